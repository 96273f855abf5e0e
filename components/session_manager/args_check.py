"""Run-time checks of the components' args, which are TypedDicts.

Python does not check a TypedDict at run time, and Pulumi's engine accepts any input,
so a misspelt key (`log_group_arns` for `log_group_names`) would be silently ignored
and the component would build something else than asked. Each component calls
`check_args` before it registers anything: an unknown key is refused with the closest
valid one, and so is a missing required key. Values are not type-checked here: they
may be Outputs, and the type checker (pyright) covers them.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar, Union, cast, get_args, get_origin, get_type_hints

import pulumi
from typing_extensions import is_typeddict

# pulumi.Input[T] names "Output[T]" by a forward reference; these resolve it.
_INPUT_NAMES: dict[str, Any] = {"Output": pulumi.Output, "T": TypeVar("T")}


class ArgsError(pulumi.RunError, TypeError):
    """A component's args name a key it does not have, or leave out a required one.

    A `pulumi.RunError`, so `pulumi up` prints it without a traceback.
    """


def check_args(component: str, args: object, spec: type) -> None:
    """Raise ArgsError naming every unknown or missing key of `args` (a `spec` TypedDict)."""
    problems = list(_problems(args, spec, "args"))
    if problems:
        raise ArgsError(f"{component}: " + "; ".join(problems))


def _problems(value: object, spec: type, path: str) -> Iterator[str]:
    if value is None or isinstance(value, pulumi.Output):
        return  # left out, or resolved later: nothing to check now
    if not isinstance(value, Mapping):
        yield f"{path} must be a dict of {spec.__name__}, got {type(value).__name__}"
        return
    fields = get_type_hints(spec, localns=_INPUT_NAMES)
    given = cast(Mapping[object, Any], value)
    required = cast(frozenset[str], getattr(spec, "__required_keys__", frozenset[str]()))
    for key in sorted(required - {str(k) for k in given}):
        yield f"{path}.{key} is required"
    for key, item in given.items():
        if key not in fields:
            guess = difflib.get_close_matches(str(key), sorted(fields), n=1, cutoff=0.6)
            hint = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(fields)}"
            yield f"{path}.{key} is not an argument of {spec.__name__}; {hint}"
            continue
        yield from _nested(item, fields[str(key)], f"{path}.{key}")


def _nested(value: object, annotation: object, path: str) -> Iterator[str]:
    """Problems inside a value whose annotation holds a TypedDict, or a sequence of them."""
    nested = _typed_dict_in(annotation)
    if nested is not None:
        yield from _problems(value, nested, path)
        return
    item_spec = _sequence_item_typed_dict(annotation)
    if item_spec is not None and isinstance(value, (list, tuple)):
        for index, item in enumerate(cast(Sequence[object], value)):
            yield from _problems(item, item_spec, f"{path}[{index}]")


def _typed_dict_in(annotation: object) -> type | None:
    if is_typeddict(annotation):
        return cast(type, annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        for option in get_args(annotation):
            if is_typeddict(option):
                return cast(type, option)
    return None


def _sequence_item_typed_dict(annotation: object) -> type | None:
    origin = get_origin(annotation)
    if origin in (Sequence, list, tuple):
        item_args = get_args(annotation)
        return _typed_dict_in(item_args[0]) if item_args else None
    return None
