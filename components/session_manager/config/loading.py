"""Read a stack's config from the Pulumi engine and turn pydantic errors into readable ones."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import (
    ValidationError,
)

from session_manager.aws.regions import region_problem
from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.limits import limit_problems
from session_manager.config.messages import readable
from session_manager.config.regions import partition_problems
from session_manager.config.secret_names import secret_name_problems
from session_manager.config.secrets import placeholders_allowed, undecrypted_paths
from session_manager.config.stack import StackConfig

# --- Loading -----------------------------------------------------------------


def parse_stack_config(values: Mapping[str, Any], aws_region: str | None = None) -> StackConfig:
    """Validate the namespace's keys (without the `session-manager:` prefix).

    Raises ConfigError listing every problem.
    """
    data = dict(values)
    problems: list[tuple[str, str]] = []
    if placeholders_allowed():
        # Offline, a secret name would only be checked as the placeholder: say why it is refused.
        flat = {f"{NAMESPACE}:{key}": value for key, value in data.items()}
        secure = [path for key, value in flat.items() for path in undecrypted_paths(key, value)]
        secret_names = secret_name_problems(secure, flat)
        if secret_names:
            raise ConfigError(secret_names)
    # The provider's Region, and the stack's when `regions` is not set: named as written.
    aws_region_problem = region_problem(aws_region) if aws_region else None
    if aws_region_problem:
        problems.append(("aws:region", aws_region_problem))
    if not data.get("regions"):
        if not aws_region:
            raise ConfigError(
                [(f"{NAMESPACE}:regions", "set it, or set aws:region, to say where to deploy")]
            )
        if aws_region_problem:
            raise ConfigError(problems)
        data["regions"] = [aws_region]
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems += readable(StackConfig, error)
        raise ConfigError(problems) from None
    if not problems:
        problems = partition_problems(config, aws_region) + limit_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def namespace_values(raw: Mapping[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    """The keys of one namespace from a flat `ns:key` map, with JSON objects decoded."""
    prefix = f"{namespace}:"
    return {
        key[len(prefix) :]: _decode(value) for key, value in raw.items() if key.startswith(prefix)
    }


def pulumi_config_values() -> dict[str, Any]:
    """Every config key the Pulumi engine gave this program, as `ns:key` -> raw value."""
    from pulumi.runtime import config as runtime_config  # noqa: PLC0415 (runtime-only)

    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return {_current_key_form(key): value for key, value in merged.items()}


def _current_key_form(key: str) -> str:
    """`ns:config:name`, the legacy form Pulumi's ParseKey still reads as `ns:name`
    (pulumi/pulumi sdk/go/common/resource/config/key.go, TestParseKey "test:config:key");
    the engine passes it on normalised, the offline plan as the stack file writes it."""
    parts = key.split(":")
    return f"{parts[0]}:{parts[2]}" if len(parts) == 3 and parts[1] == "config" else key


# Namespaces a stack of this project reads; a near miss of one is a typo, not another tool's.
READ_NAMESPACES = (NAMESPACE, "aws")


def _squashed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def misspelt_namespaces(keys: Iterable[str]) -> list[tuple[str, str]]:
    """Config keys whose namespace is a near miss of one this project reads.

    Keys of any other namespace (the project's own, other providers') are left alone.
    """
    problems: list[tuple[str, str]] = []
    for key in sorted(keys):
        namespace, colon, rest = key.partition(":")
        if not colon or namespace in READ_NAMESPACES:
            continue
        meant = [n for n in READ_NAMESPACES if _squashed(n) == _squashed(namespace)]
        # Only the long name is matched loosely: awsx and aws-native are real namespaces.
        meant = meant or difflib.get_close_matches(namespace, [NAMESPACE], n=1, cutoff=0.8)
        if meant:
            problems.append(
                (key, f"unknown namespace {namespace!r}; did you mean '{meant[0]}:{rest}'?")
            )
    return problems


def project_namespace_keys(keys: Iterable[str], project: str) -> list[tuple[str, str]]:
    """This program's keys written in the project's own namespace, which it does not read.

    `pulumi config set regions ...` writes `<project>:regions` (Pulumi's config keys take
    the project's name as namespace when none is given); a renamed project (`name: my-ssm`)
    then holds every setting where this program, and the config reference, do not look:
    the stack would deploy the defaults. Refused, naming the key to write instead.
    """
    if project == NAMESPACE:
        return []
    known = {field.alias or name for name, field in StackConfig.model_fields.items()}
    problems: list[tuple[str, str]] = []
    for key in sorted(keys):
        namespace, _, rest = key.partition(":")
        if namespace == project and rest.split(".")[0] in known:
            problems.append(
                (
                    key,
                    f"this program reads '{NAMESPACE}:{rest}' whatever the project's name "
                    f"({project!r}), and nothing reads {key!r}; write the key as "
                    f"'{NAMESPACE}:{rest}' (pulumi config set {NAMESPACE}:{rest} ...)",
                )
            )
    return problems


def load_stack_config(project: str = NAMESPACE) -> StackConfig:
    """Read and validate this stack's `session-manager` config from the Pulumi engine.

    `project` is the project's name, whose namespace holds no key of this program.
    """
    raw = pulumi_config_values()
    region = raw.get("aws:region")
    problems = misspelt_namespaces(raw) + project_namespace_keys(raw, project)
    try:
        config = parse_stack_config(
            namespace_values(raw), aws_region=str(region) if region else None
        )
    except ConfigError as exc:
        raise ConfigError(problems + exc.problems) from None
    if problems:
        raise ConfigError(problems)
    return config
