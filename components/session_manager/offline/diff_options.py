"""A `plan --json` resource's options, as `plan --diff` reads them (offline/diff.py).

Options are not inputs: the engine keeps most in state without calling the provider,
and `replaceOnChanges` turns changed inputs into replace keys
(pulumi/pulumi pkg/resource/deploy/step_generator.go applyReplaceOnChanges).
"""

from __future__ import annotations

from typing import Any, cast

# Resource options the engine keeps in state without calling the provider, and the value
# an option left out of a plan stands for.
STATE_ONLY_OPTIONS: dict[str, Any] = {
    "retainOnDelete": False,
    "protect": False,
    "ignoreChanges": [],
    "aliases": [],
    "deleteBeforeReplace": None,
    "deletedWith": None,
}


def option_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    old_options: dict[str, Any] = old.get("options") or {}
    new_options: dict[str, Any] = new.get("options") or {}
    changed: list[tuple[str, Any, Any]] = []
    for key, default in STATE_ONLY_OPTIONS.items():
        before = old_options.get(key, default)
        after = new_options.get(key, default)
        if before != after:
            changed.append((key, before, after))
    return changed


def option(resource: dict[str, Any], key: str) -> Any:
    options = cast(dict[str, Any], resource.get("options") or {})
    return options.get(key)


def list_option(resource: dict[str, Any], key: str) -> list[Any]:
    value = option(resource, key)
    return cast(list[Any], value) if isinstance(value, list) else []


def replace_on_changes(resource: dict[str, Any], key: str) -> bool:
    """Whether the resource's `replaceOnChanges` makes a change of top-level input `key` a
    replacement: a listed path contains the key's path (properties_path.go Contains: no
    longer than it, `*` matching any key). A nested path (`content.x`) contains no
    top-level key: it needs the provider's detailed diff, which a plan doesn't have."""
    return any(str(path) in ("*", key) for path in list_option(resource, "replaceOnChanges"))
