"""Config values stored with `pulumi config set --secret`.

In a real run the engine hands the program every value decrypted, and lists the
top-level keys that are or contain a secret (PULUMI_CONFIG_SECRET_KEYS; a
`--path` secret makes its whole top-level key secret). The decrypted value is
validated like any other.

The offline plan has no secrets provider, so it cannot decrypt a `secure:` value:
it passes UNDECRYPTED in its place. A field holding UNDECRYPTED is not checked
against its format rules (a placeholder is not a Linux user name); the plan
says so in one line instead (`undecrypted_notes`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

UNDECRYPTED = "[secret]"


def undecrypted_paths(key: str, value: Any) -> Iterator[str]:
    """The config paths under `key` that hold UNDECRYPTED (a value as the engine hands it)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if value == UNDECRYPTED:
        yield key
    elif isinstance(value, dict):
        for name, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            yield from undecrypted_paths(f"{key}.{name}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            yield from undecrypted_paths(f"{key}[{index}]", item)


def undecrypted_note(path: str) -> str:
    return (
        f"{path}: a secret the offline plan cannot decrypt; shown as {UNDECRYPTED} and not "
        "checked here (`pulumi preview` checks the decrypted value)"
    )


def _string_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value[:1] in ("{", "["):
            try:
                yield from _string_leaves(json.loads(value))
                return
            except json.JSONDecodeError:
                pass
        if value:
            yield value
    elif isinstance(value, dict):
        for item in value.values():  # pyright: ignore[reportUnknownVariableType]
            yield from _string_leaves(item)
    elif isinstance(value, list):
        for item in value:  # pyright: ignore[reportUnknownVariableType]
            yield from _string_leaves(item)


def secret_strings(config: Mapping[str, Any], secret_keys: set[str], namespace: str) -> set[str]:
    """Every string inside the namespace's secret keys, as the engine handed them over.

    Only strings: numbers and flags next to a secret in the same top-level key say
    nothing secret, and their digits would match everywhere. The placeholder the
    offline plan passes for a value it cannot decrypt is included.
    """
    found: set[str] = set()
    for key in secret_keys:
        if key.startswith(f"{namespace}:") and key in config:
            found.update(_string_leaves(config[key]))
    return found


def contains_secret(value: Any, secrets: set[str]) -> bool:
    """Whether `value` (a string, or dicts and lists of them) shows any of `secrets`."""
    if isinstance(value, str):
        return any(secret in value or _json_escaped(secret) in value for secret in secrets)
    if isinstance(value, dict):
        return any(contains_secret(item, secrets) for item in value.values())  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, (list, tuple)):
        return any(contains_secret(item, secrets) for item in value)  # pyright: ignore[reportUnknownVariableType]
    return False


def masking(secrets: set[str]) -> dict[str, str]:
    """Replacements that hide every secret, as written and as escaped in JSON, longest first."""
    forms = {form for secret in secrets for form in (secret, _json_escaped(secret))}
    return dict.fromkeys(sorted(forms, key=lambda f: (-len(f), f)), UNDECRYPTED)


def _json_escaped(secret: str) -> str:
    """How a secret reads inside JSON text (quotes, backslashes and non-ASCII escaped)."""
    return json.dumps(secret)[1:-1]
