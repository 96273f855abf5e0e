"""Read a stack's config from the Pulumi engine and turn pydantic errors into readable ones."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import (
    ValidationError,
)

from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.messages import readable
from session_manager.config.stack import StackConfig

# --- Loading -----------------------------------------------------------------


def parse_stack_config(values: Mapping[str, Any], aws_region: str | None = None) -> StackConfig:
    """Validate the namespace's keys (without the `session-manager:` prefix).

    Raises ConfigError listing every problem.
    """
    data = dict(values)
    if not data.get("regions"):
        if not aws_region:
            raise ConfigError(
                [(f"{NAMESPACE}:regions", "set it, or set aws:region, to say where to deploy")]
            )
        data["regions"] = [aws_region]
    try:
        return StackConfig.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for error in exc.errors(include_url=False):
            problems += readable(StackConfig, error)
        raise ConfigError(problems) from None


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
    return merged


def load_stack_config() -> StackConfig:
    """Read and validate this stack's `session-manager` config from the Pulumi engine."""
    raw = pulumi_config_values()
    region = raw.get("aws:region")
    return parse_stack_config(namespace_values(raw), aws_region=str(region) if region else None)
