"""Numbers as the engine's wire format leaves them: whole floats back to integers."""

from __future__ import annotations

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
