"""`ignoreChanges`: the paths whose old value the engine keeps before the provider's Diff.

pulumi/pulumi pkg/resource/deploy/step_generator.go `processIgnoreChanges`.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

_PATH_ELEMENT = re.compile(r'\.?([^.\[\]]+)|\[(\d+)\]|\["([^"]*)"\]')
_MISSING = object()


def _path(text: str) -> list[str | int]:
    """A property path such as `a.b[0]["c.d"]` as keys and indexes (resource.ParsePropertyPath)."""
    elements: list[str | int] = []
    for match in _PATH_ELEMENT.finditer(text):
        key, index, quoted = match.groups()
        elements.append(int(index) if index is not None else (quoted if key is None else key))
    return elements


def _get(value: Any, path: list[str | int]) -> Any:
    for element in path:
        if isinstance(element, int) and isinstance(value, list):
            items = cast(list[Any], value)
            if element >= len(items):
                return _MISSING
            value = items[element]
        elif isinstance(element, str) and isinstance(value, dict) and element in value:
            value = cast(dict[str, Any], value)[element]
        else:
            return _MISSING
    return value


def ignoring_changes(
    inputs: dict[str, Any], old_inputs: dict[str, Any], paths: list[str]
) -> dict[str, Any]:
    """`inputs` with each ignored path set back to its value in `old_inputs`.

    step_generator.go `processIgnoreChanges`: a copy of the new inputs where
    `PropertyPath.Reset` puts the old value at the path, or removes it when the old
    inputs have none, so the provider's Diff never sees a change there.
    """
    result = json.loads(json.dumps(inputs))
    for text in paths:
        path = _path(text)
        if not path:
            continue
        parent = _get(result, path[:-1])
        old = _get(old_inputs, path)
        last = path[-1]
        if isinstance(parent, dict) and isinstance(last, str):
            if old is _MISSING:
                cast(dict[str, Any], parent).pop(last, None)
            else:
                cast(dict[str, Any], parent)[last] = old
        elif isinstance(parent, list) and isinstance(last, int) and old is not _MISSING:
            items = cast(list[Any], parent)
            if last < len(items):
                items[last] = old
    return result
