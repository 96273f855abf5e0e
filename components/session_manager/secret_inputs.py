"""Config values stored as secrets stay secrets in every resource input and output that shows them.

`pulumi config set --secret` values reach the program decrypted. Written into a
document or a policy as plain strings, they would be stored in the state in
plain text and printed by `pulumi preview`. Only a secret Output keeps them
encrypted in state and masked in previews (Pulumi docs, "Secrets"; the engine
encrypts the properties of a resource that it receives as secrets).

The engine only says which top-level keys hold a secret (a `--path` secret makes
its whole key secret); the stack file says which values inside are `secure:`
(config/secrets.py, `secret_leaves`). A stack transformation, registered when there
is any, wraps each input of each resource that shows one of those values in
`Output.secret`; the components pass what they register as outputs, and the program
what it exports, through `secret_where_shown` (outputs.py) the same way. It is all
SDK-side, so the offline plan and the tests run it too. A stack without secrets
registers nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.loading import pulumi_config_values
from session_manager.config.secret_names import secret_name_problems, secure_paths
from session_manager.config.secrets import (
    SecretLeaf,
    secret_leaves,
    shows_secret,
    stack_file_override,
    undecrypted_paths,
)
from session_manager.outputs import use_secret_rule


def stack_file_config(root: Path | None = None) -> dict[str, Any] | None:
    """The `config:` mapping of this stack's `Pulumi.<stack>.yaml`, if it can be read."""
    override = stack_file_override()
    if override is not None:
        return dict(override)
    directory = root or Path(pulumi.get_root_directory() or ".")
    path = directory / f"Pulumi.{pulumi.get_stack()}.yaml"
    with contextlib.suppress(OSError, yaml.YAMLError, UnicodeDecodeError):
        loaded: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            config: Any = cast(dict[str, Any], loaded).get("config")
            if isinstance(config, dict):
                return cast(dict[str, Any], config)
    return None


def config_secrets(stack_file: Mapping[str, Any] | None = None) -> frozenset[SecretLeaf]:
    """Every secret value of this stack's `session-manager` config keys."""
    raw = pulumi_config_values()
    keys = set(runtime_config.get_config_secret_keys_env())
    keys |= {key for key in raw if runtime_config.is_config_secret(key)}
    declared = stack_file if stack_file is not None else stack_file_config()
    return secret_leaves(raw, keys, NAMESPACE, declared)


def refuse_secret_names(stack_file: Mapping[str, Any] | None = None) -> None:
    """Raise ConfigError for every name config key stored as a secret (config/secret_names.py).

    The secret paths are those the stack file declares `secure:` and, offline, those
    holding the plan's placeholder.
    """
    raw = pulumi_config_values()
    declared = stack_file if stack_file is not None else stack_file_config()
    secure = list(secure_paths(declared or {}))
    secure += [path for key in raw for path in undecrypted_paths(key, raw[key])]
    problems = secret_name_problems(secure, raw)
    if problems:
        raise ConfigError(problems)


def secret_if_shown(value: Any, secrets: frozenset[SecretLeaf], name: str = "") -> Any:
    """`value` as a secret Output once resolved, if it shows one of `secrets`."""
    if value is None:
        return None

    def check(resolved: Any) -> Any:
        return pulumi.Output.secret(resolved) if shows_secret(resolved, secrets, name) else resolved

    return pulumi.Output.from_input(value).apply(check)


def keep_config_secrets(
    secrets: frozenset[SecretLeaf] | None = None, stack_file: Mapping[str, Any] | None = None
) -> bool:
    """Make every resource input, component output and export that shows a secret a secret.

    Returns whether there was any secret to keep. Call it before creating resources.
    """
    found = config_secrets(stack_file) if secrets is None else secrets
    if not found:
        use_secret_rule(None)
        return False
    use_secret_rule(lambda value, name: secret_if_shown(value, found, name))

    def transformation(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not isinstance(args.resource, pulumi.CustomResource):
            return None
        props = {key: secret_if_shown(value, found, key) for key, value in args.props.items()}
        return pulumi.ResourceTransformationResult(props, args.opts)

    pulumi.runtime.register_stack_transformation(transformation)
    return True
