"""Value transforms of the offline plan: numbers as the engine shows them, placeholders swapped.

Pure functions on plain values, shared by the plan, emulate and drift comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast


def state_numbers(
    state: dict[str, Any], raw_inputs: dict[str, Any], numbered_inputs: dict[str, Any]
) -> dict[str, Any]:
    """`whole_numbers(state)`, reusing the inputs' conversion: a mock's answer echoes them."""
    return {
        key: numbered_inputs[key]
        if key in raw_inputs and raw_inputs[key] is value
        else whole_numbers(value)
        for key, value in state.items()
    }


def whole_numbers(value: Any) -> Any:
    """The engine's wire format has only floats: show 30, not 30.0."""
    # Strings, most of the values, skip the call: this runs for every resource.
    if isinstance(value, dict):
        items = cast(dict[Any, Any], value).items()
        return {k: v if isinstance(v, str) else whole_numbers(v) for k, v in items}
    if isinstance(value, list):
        return [v if isinstance(v, str) else whole_numbers(v) for v in cast(list[Any], value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def replace_placeholders(value: Any, replacements: Mapping[str, str]) -> Any:
    """`value` with every placeholder id or ARN of the plan swapped for the real one."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {k: replace_placeholders(v, replacements) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [replace_placeholders(v, replacements) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value
