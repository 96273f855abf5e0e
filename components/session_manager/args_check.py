"""Run-time checks of the components' args, which are TypedDicts.

Python does not check a TypedDict at run time, and Pulumi's engine accepts any input,
so a misspelt key (`log_group_arns` for `log_group_names`) would be silently ignored
and the component would build something else than asked. Each component calls
`check_args` before it registers anything: an unknown key is refused with the closest
valid one, and so is a missing required key. Each value is checked against its
annotation as far as it is known now: a plain `str` where a list belongs (which Python
would iterate letter by letter), a number where text belongs. Outputs and awaitables
resolve later and are not checked.
"""

from __future__ import annotations

import difflib
import inspect
import json
import types
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints

import pulumi
from typing_extensions import is_typeddict

# pulumi.Input[T] names "Output[T]" by a forward reference; these resolve it.
_INPUT_NAMES: dict[str, Any] = {"Output": pulumi.Output, "T": TypeVar("T")}

T = TypeVar("T")


class ArgsError(pulumi.RunError, TypeError):
    """A component's args name a key it does not have, or leave out a required one.

    A `pulumi.RunError`, so `pulumi up` prints it without a traceback.
    """


def check_args(component: str, args: T | None, spec: type) -> T:
    """`args` (a `spec` TypedDict) once checked; raises ArgsError naming every problem.

    `None` stands for no args at all: the components treat it as `{}`.
    """
    given = cast(T, {}) if args is None else args
    problems = list(_problems(given, spec, "args"))
    if problems:
        raise ArgsError(f"{component}: " + "; ".join(problems))
    return given


def _problems(value: object, spec: type, path: str) -> Iterator[str]:
    if not isinstance(value, Mapping):
        yield f"{path} must be a dict of {spec.__name__}, got {_described(value)}"
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
        yield from _value_problems(item, fields[str(key)], f"{path}.{key}")


def _options(annotation: object) -> tuple[object, ...]:
    """The types a Union allows (pulumi.Input[T] is T | Awaitable[T] | Output[T]), or itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _value_problems(value: object, annotation: object, path: str) -> Iterator[str]:
    """Problems of one value against its annotation, checked as deep as its shape is known.

    An Output or awaitable resolves later, and None means left out: nothing to check now.
    """
    if value is None or isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return
    options = _options(annotation)
    for option in options:
        origin = get_origin(option)
        if is_typeddict(option) and isinstance(value, Mapping):
            yield from _problems(cast(Mapping[object, object], value), cast(type, option), path)
            return
        if origin in _SEQUENCES and isinstance(value, (list, tuple)):
            item = (get_args(option) or (Any,))[0]
            for index, element in enumerate(cast(Sequence[object], value)):
                yield from _value_problems(element, item, f"{path}[{index}]")
            return
        if origin in _MAPPINGS and isinstance(value, Mapping):
            item = (get_args(option) or (Any, Any))[-1]
            for key, element in cast(Mapping[object, object], value).items():
                yield from _value_problems(element, item, f"{path}[{key!r}]")
            return
        if _accepts(value, option):
            return
    yield f"{path} must be {_expected(options)}, got {_described(value)}{_fix(value, options)}"


_SEQUENCES = (Sequence, list, tuple)
_MAPPINGS = (Mapping, dict)


def _accepts(value: object, option: object) -> bool:
    """Whether `value` itself satisfies `option` (containers are checked by the caller)."""
    origin = get_origin(option)
    if origin is Literal:
        return value in get_args(option)
    if is_typeddict(option) or origin in (*_SEQUENCES, *_MAPPINGS, Awaitable, pulumi.Output):
        return False
    if origin is not None or option is Any:
        return True  # a form this check doesn't know: left to the type checker
    return isinstance(option, type) and _is_instance(value, option)


def _is_instance(value: object, cls: type) -> bool:
    # A bool is an int to Python, but True where a number of days belongs is a mistake.
    if isinstance(value, bool) and cls is not bool:
        return False
    return isinstance(value, cls)


def _expected(options: tuple[object, ...]) -> str:
    """What the annotation allows, in words (an Output or awaitable is implied by Input)."""
    words: list[str] = []
    for option in options:
        origin = get_origin(option)
        if is_typeddict(option):
            words.append(f"a dict of {cast(type, option).__name__}")
        elif origin in _SEQUENCES:
            item = (get_args(option) or (Any,))[0]
            words.append(f"a list of {_expected(_options(item))}")
        elif origin in _MAPPINGS:
            words.append("a dict")
        elif origin is Literal:
            words.append(" or ".join(repr(v) for v in get_args(option)))
        elif isinstance(option, type) and origin is None:
            words.append(option.__name__)
    return " or ".join(dict.fromkeys(words)) or "another type"


def _described(value: object) -> str:
    return f"the {type(value).__name__} {value!r}"


def _fix(value: object, options: tuple[object, ...]) -> str:
    """For a str where a list belongs (Python would iterate it letter by letter): the list."""
    if isinstance(value, str) and any(get_origin(o) in _SEQUENCES for o in options):
        return f"; write {json.dumps([value])}"
    return ""
