"""Secrets in the offline plan: shown masked, with their shape kept, as previews show them."""

from __future__ import annotations

from typing import Any, cast

from pulumi.runtime import rpc

from session_manager.config.secrets import UNDECRYPTED, SecretLeaf, mask_scalar_entries

# How the engine's wire format marks a secret value (pulumi sdk/python/lib/pulumi/runtime/rpc.py:
# _special_sig_key and _special_secret_sig).
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
SECRET_MASK = UNDECRYPTED
# Inputs that hold JSON text: documents and policies (a secret config value may be in one).
JSON_INPUTS = ("content", "policy", "assumeRolePolicy")


def unwrap_secrets(inputs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Inputs with secret values unwrapped, and the names of those that were secret.

    Deserializing lifts a secret inside a list or dict to the whole value
    (rpc.deserialize_property), so the top level is where secrets are.
    """
    secret = sorted(key for key, value in inputs.items() if rpc.is_rpc_secret(value))
    if not secret:
        return inputs, secret
    return {key: rpc.unwrap_rpc_secret(value) for key, value in inputs.items()}, secret


def mask_secret_inputs(inputs: dict[str, Any], secret: list[str]) -> dict[str, Any]:
    """Secret inputs with their values masked and their shape kept, as previews show them.

    Documents and policies stay readable: offline, the only secrets rendered into them
    are config values the plan cannot decrypt, already the UNDECRYPTED placeholder.
    """
    return {
        key: _masked(value) if key in secret and key not in JSON_INPUTS else value
        for key, value in inputs.items()
    }


def mask_secrets(value: Any) -> Any:
    """`value` with every secret's values replaced by the mask, its shape kept.

    A secret Output reaches the monitor wrapped in the engine's secret signature;
    `pulumi preview` shows such a value as [secret], and so does the plan.
    """
    if isinstance(value, dict):
        fields = cast(dict[str, Any], value)
        if fields.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE:
            return _masked(fields.get("value"))
        # Strings, most of the values, skip the call: this runs for every resource's state.
        return {
            key: item if isinstance(item, str) else mask_secrets(item)
            for key, item in fields.items()
        }
    if isinstance(value, list):
        return [item if isinstance(item, str) else mask_secrets(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in cast(dict[str, Any], value).items()}
    if isinstance(value, list):
        return [_masked(item) for item in cast(list[Any], value)]
    return SECRET_MASK


def mask_secret_scalars(inputs: dict[str, Any], leaves: frozenset[SecretLeaf]) -> dict[str, Any]:
    """Secret numbers and flags inside documents and policies masked, by the key they sit under."""
    return {
        key: mask_scalar_entries(value, leaves) if isinstance(value, str) else value
        for key, value in inputs.items()
    }


def mask_secure(value: Any) -> tuple[Any, bool]:
    """Replace `secure:` values (which need the stack's secrets provider) with a mask."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:  # pyright: ignore[reportUnknownArgumentType]
            return SECRET_MASK, True
        masked: dict[str, Any] = {}
        secret = False
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            masked[str(key)], item_secret = mask_secure(item)  # pyright: ignore[reportUnknownArgumentType]
            secret = secret or item_secret
        return masked, secret
    if isinstance(value, list):
        items = [mask_secure(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
        return [item for item, _ in items], any(s for _, s in items)
    return value, False
