"""The shape of a resource in a `plan --json` file, checked before `plan --diff` reads it.

A hand-edited or truncated base (`"options": "bad"`, `"inputs": [1, 2]`) would otherwise
fail deep in the diff with a traceback; the diff refuses it in one line naming the place.
"""

from __future__ import annotations

import json
from typing import Any

# What `plan --json` writes of each resource, by key: the types its value may have (None
# where the key may be null). A hand-edited or truncated file fails here, not in the diff.
_RESOURCE_SHAPE: dict[str, tuple[type | None, ...]] = {
    "inputs": (dict, None),
    "options": (dict,),
    "parent": (str, None),
    "provider": (str, None),
}
_OPTION_SHAPE: dict[str, tuple[type | None, ...]] = {
    "aliases": (list,),
    "ignoreChanges": (list,),
    "replaceOnChanges": (list,),
    "protect": (bool,),
    "retainOnDelete": (bool,),
    "deleteBeforeReplace": (bool, None),
    "deletedWith": (str, None),
}


def resource_shape_problem(resource: dict[str, Any]) -> str | None:
    """Where a resource of a `plan --json` file holds a value of another type, or None."""
    urn = resource["urn"]
    places: list[tuple[str, Any, tuple[type | None, ...]]] = [
        (key, resource[key], allowed) for key, allowed in _RESOURCE_SHAPE.items() if key in resource
    ]
    options = resource.get("options")
    if isinstance(options, dict):
        places += [
            (f"options.{key}", options[key], allowed)
            for key, allowed in _OPTION_SHAPE.items()
            if key in options
        ]
    for where, value, allowed in places:
        if not any(value is None if kind is None else isinstance(value, kind) for kind in allowed):
            return f"{urn} {where} is {type(value).__name__} {json.dumps(value)[:40]}"
    return None
