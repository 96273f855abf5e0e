"""Config values stored as secrets stay secrets in every resource input that shows them.

`pulumi config set --secret` values reach the program decrypted. Written into a
document or a policy as plain strings, they would be stored in the state in
plain text and printed by `pulumi preview`. Only a secret Output keeps them
encrypted in state and masked in previews (Pulumi docs, "Secrets"; the engine
encrypts the properties of a resource that it receives as secrets).

The engine only says which top-level keys hold a secret (a `--path` secret makes
its whole key secret), so every string inside such a key counts as secret. A
stack transformation, registered when there is any, wraps each input of each
resource that shows one of those strings (as written, or escaped inside JSON)
in `Output.secret`. It is an SDK-side transformation, so the offline plan and
the tests run it too. A stack without secrets registers nothing.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from session_manager.config.errors import NAMESPACE
from session_manager.config.loading import pulumi_config_values
from session_manager.config.secrets import contains_secret, secret_strings


def config_secrets() -> set[str]:
    """Every string inside this stack's secret `session-manager` config keys."""
    raw = pulumi_config_values()
    keys = set(runtime_config.get_config_secret_keys_env())
    keys |= {key for key in raw if runtime_config.is_config_secret(key)}
    return secret_strings(raw, keys, NAMESPACE)


def _secret_if_shown(value: Any, secrets: set[str]) -> Any:
    if value is None:
        return None

    def check(resolved: Any) -> Any:
        return pulumi.Output.secret(resolved) if contains_secret(resolved, secrets) else resolved

    return pulumi.Output.from_input(value).apply(check)


def keep_config_secrets(secrets: set[str] | None = None) -> bool:
    """Make every resource input that shows a secret config value a secret Output.

    Returns whether there was any secret to keep. Call it before creating resources.
    """
    found = config_secrets() if secrets is None else secrets
    if not found:
        return False

    def transformation(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not isinstance(args.resource, pulumi.CustomResource):
            return None
        props = {key: _secret_if_shown(value, found) for key, value in args.props.items()}
        return pulumi.ResourceTransformationResult(props, args.opts)

    pulumi.runtime.register_stack_transformation(transformation)
    return True
