"""Config paths as users write them, and pydantic errors turned into readable messages.

Functions take the root model, so the models can name their own paths in messages
without importing upward.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from session_manager.config.errors import NAMESPACE


def _unwrap_model(annotation: Any) -> Any:
    """The model class inside Optional[...], list[...] or Annotated[...], if any."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap_model(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, dict):
        for arg in get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that validates the object at `loc` (for 'did you mean' hints)."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if field is None:
            return None
        model = _unwrap_model(field.annotation)
    return model


def _aliased(root: type[BaseModel], loc: Sequence[str | int]) -> list[str | int]:
    """The path with every field written as users write it (its camelCase alias)."""
    parts: list[str | int] = []
    for index, part in enumerate(loc):
        model = _model_at(root, loc[:index])
        field = model.model_fields.get(part) if model and isinstance(part, str) else None
        parts.append(field.alias if field and field.alias else part)
    return parts


def path_text(root: type[BaseModel], loc: Sequence[str | int]) -> str:
    """A path inside the namespace, without the namespace prefix."""
    return config_path(root, loc).removeprefix(f"{NAMESPACE}:")


def config_path(root: type[BaseModel], loc: Sequence[str | int]) -> str:
    """`session-manager:a.b[0].c`: a path as users write it in the stack file."""
    loc = _aliased(root, loc)
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"{NAMESPACE}:{text}" if text else NAMESPACE


def _known_keys(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys, as users write them, of the object at `loc`."""
    model = _model_at(root, loc)
    return sorted(f.alias or n for n, f in model.model_fields.items()) if model else []


def readable(root: type[BaseModel], error: Any) -> list[tuple[str, str]]:
    """One pydantic error as (config path, message) pairs, with 'did you mean' for typos."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = error["type"]
    if kind == "cross_field":
        found: list[tuple[str, str]] = []
        for sub, message in error["ctx"]["problems"]:
            base = loc[:-1] if sub[:1] == ("..",) else loc
            found.append(
                (config_path(root, base + tuple(sub[1:] if sub[:1] == ("..",) else sub)), message)
            )
        return found
    if kind == "extra_forbidden" and len(loc) == 1 and re.search(r"[.\[]", str(loc[0])):
        key = f"{NAMESPACE}:{loc[0]}"
        return [
            (
                config_path(root, loc),
                "unknown key: a dotted key set without --path is stored as one key; run "
                f"`pulumi config rm '{key}'` and set it again with "
                f"`pulumi config set --path '{key}' <value>`",
            )
        ]
    if kind == "extra_forbidden":
        known = _known_keys(root, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(known)}"
        return [(config_path(root, loc), f"unknown key; {hint}")]
    if kind == "missing":
        return [(config_path(root, loc), "is required")]
    message = error["msg"]
    shape = _shape_problem(root, loc, kind, error["input"])
    if shape:
        return [(config_path(root, loc), shape)]
    if kind == "string_type":
        message = f"{message}, got {error['input']!r}"
    return [(config_path(root, loc), message)]


def nested_message(model: type[BaseModel], error: Any) -> str:
    """The readable message of an error raised by validating `model` inside another model."""
    return readable(model, error)[0][1]


def _shape_problem(root: type[BaseModel], loc: Sequence[str | int], kind: str, value: Any) -> str:
    """What text, a list or an object must look like, for a value of another shape; else ''."""
    if kind == "string_type" and isinstance(value, (bool, int, float)):
        return _quote_hint(value)
    if kind in ("list_type", "tuple_type", "set_type"):
        return _list_hint(config_path(root, loc), value)
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        known = _known_keys(root, loc)
        keys = f" (its keys: {', '.join(known)})" if known else ""
        return (
            f"must be an object of keys, written as `key: value` lines below it{keys}, "
            f"got {_described(value)}"
        )
    return ""


def _described(value: Any) -> str:
    """A config value as users wrote it, without Python class names."""
    if value is None or value == "":
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    kinds = ((int, "the number"), (float, "the number"), (str, "the text"), (list, "a list"))
    kind = next((name for cls, name in kinds if isinstance(value, cls)), "an object")
    return f"{kind} {value!r}"


def _list_hint(path: str, value: Any) -> str:
    """For one item written where a list belongs: the list it should be, and the --path form."""
    if isinstance(value, dict):
        return (
            f"must be a list, got {_described(value)}; for a list of one, put `- ` before its "
            f"first key (`pulumi config set --path '{path}[0].<key>' <value>`)"
        )
    if isinstance(value, str) and value:
        return (
            f"must be a list, e.g. [{value}], got {_described(value)} "
            f"(`pulumi config set --path '{path}[0]' {value}`)"
        )
    return f"must be a list, got {_described(value)}"


def _quote_hint(value: bool | float) -> str:
    """For text written unquoted, which YAML or `config set --path` read as a number or boolean."""
    if isinstance(value, bool):
        got = f"the boolean {'true' if value else 'false'}"
    else:
        got = f"the number {value!r}"
    return (
        f"must be text, got {got}; put the value in quotes in the stack file (YAML reads "
        "unquoted digits as a number, drops leading zeros and reads 0-prefixed digits as "
        "octal), or add `--type string` to `pulumi config set --path`"
    )
