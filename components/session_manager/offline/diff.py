"""`plan --diff BASE.json`: what a pull request changes, the way a reviewer reads it.

Both sides are `plan --json` objects: the base is the target branch's plan, the
head is this checkout's. Resources are matched by URN (the engine's, so a renamed
resource shows as one removed and one added, as `pulumi preview` shows it). For
each resource in both, the changed inputs are listed; a change that pulumi-aws
can only make by deleting and recreating the resource (`aws/replacements.py`)
makes it a replacement. Documents and policies get a unified diff of their JSON,
not the whole object. Unchanged resources are left out.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from session_manager.aws.replacements import REGION, replaces

# Inputs that hold a document or policy as text (JSON, or YAML for YAML documents).
TEXT_DOCUMENT_INPUTS = ("content", "policy", "assumeRolePolicy")


class DiffError(Exception):
    """The base plan is not a `plan --json` object."""


@dataclass
class PropertyChange:
    key: str
    before: Any
    after: Any
    replaces: bool
    # A unified diff of the document's lines, for documents and policies.
    unified: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.key,
            "before": self.before,
            "after": self.after,
            "replaces": self.replaces,
            "diff": self.unified,
        }


@dataclass
class ResourceChange:
    action: str  # "add", "remove", "update" or "replace"
    urn: str
    type: str
    name: str
    changes: list[PropertyChange] = field(default_factory=list[PropertyChange])

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass
class PlanDiff:
    changes: list[ResourceChange]
    unchanged: int

    def of(self, action: str) -> list[ResourceChange]:
        return [c for c in self.changes if c.action == action]

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": {
                action: len(self.of(action)) for action in ("add", "update", "replace", "remove")
            }
            | {"unchanged": self.unchanged},
            "changes": [c.to_json() for c in self.changes],
        }


def _resources(plan: Any, side: str) -> dict[str, dict[str, Any]]:
    if not isinstance(plan, Mapping):
        raise DiffError(f"the {side} plan is not a JSON object: is it `plan --json` output?")
    resources = cast(Mapping[str, Any], plan).get("resources")
    if not isinstance(resources, list):
        raise DiffError(f"the {side} plan has no resources list: is it `plan --json` output?")
    found: dict[str, dict[str, Any]] = {}
    for resource in resources:  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str):  # pyright: ignore[reportUnknownMemberType]
            raise DiffError(f"the {side} plan has a resource without a urn")
        found[str(resource["urn"])] = resource  # pyright: ignore[reportUnknownArgumentType]
    return found


def _document_lines(value: Any) -> list[str]:
    """A document's or policy's text as stable lines: JSON pretty-printed, else as written."""
    if not isinstance(value, str):
        return json.dumps(value, indent=2, sort_keys=True).splitlines()
    try:
        return json.dumps(json.loads(value), indent=2, sort_keys=True).splitlines()
    except json.JSONDecodeError:
        return value.splitlines()


def _unified(key: str, before: Any, after: Any) -> list[str]:
    return list(
        difflib.unified_diff(
            _document_lines(before),
            _document_lines(after),
            fromfile=f"{key} (base)",
            tofile=f"{key} (this change)",
            lineterm="",
        )
    )


def _property_changes(
    resource_type: str, before: dict[str, Any], after: dict[str, Any]
) -> list[PropertyChange]:
    changes: list[PropertyChange] = []
    for key in sorted(set(before) | set(after)):
        if key.startswith("__"):
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        # A Region that only appears or disappears keeps the provider's Region.
        forces = replaces(resource_type, key) and not (
            key == REGION and (old is None or new is None)
        )
        unified = _unified(key, old, new) if key in TEXT_DOCUMENT_INPUTS else None
        if unified == []:
            continue  # the same document, written differently
        changes.append(PropertyChange(key, old, new, forces, unified))
    return changes


def diff_plans(base: Mapping[str, Any], head: Mapping[str, Any]) -> PlanDiff:
    """The change from `base` to `head`, both `plan --json` objects."""
    before, after = _resources(base, "base"), _resources(head, "head")
    changes: list[ResourceChange] = []
    unchanged = 0
    for urn in sorted(set(before) | set(after)):
        old, new = before.get(urn), after.get(urn)
        if old is None or new is None:
            present = new if old is None else old
            assert present is not None
            action = "add" if old is None else "remove"
            changes.append(ResourceChange(action, urn, present["type"], present["name"]))
            continue
        properties = _property_changes(
            new["type"], old.get("inputs") or {}, new.get("inputs") or {}
        )
        for key in ("provider", "options"):
            if old.get(key) != new.get(key):
                properties.append(PropertyChange(key, old.get(key), new.get(key), False))
        if not properties:
            unchanged += 1
            continue
        action = "replace" if any(p.replaces for p in properties) else "update"
        changes.append(ResourceChange(action, urn, new["type"], new["name"], properties))
    return PlanDiff(changes, unchanged)


_SIGNS = {"add": "+", "remove": "-", "update": "~", "replace": "+-"}


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def format_diff(diff: PlanDiff) -> str:
    """The diff as text, in the style of `pulumi preview --diff`: +, -, ~ and +- lines."""
    lines: list[str] = []
    replaced = diff.of("replace")
    if replaced:
        lines.append(f"!! {len(replaced)} resource(s) will be DELETED AND RECREATED:")
        for change in replaced:
            keys = ", ".join(p.key for p in change.changes if p.replaces)
            lines.append(f"!!   {change.type} {change.name}: {keys} changes")
        lines.append("")
    for change in diff.changes:
        lines.append(f"{_SIGNS[change.action]} {change.type}  {change.name}  ({change.action})")
        for prop in change.changes:
            flag = "  [forces replacement]" if prop.replaces else ""
            if prop.unified is not None:
                lines.append(f"    ~ {prop.key}:{flag}")
                lines.extend(f"        {line}" for line in prop.unified)
            else:
                lines.append(
                    f"    ~ {prop.key}: {_short(prop.before)} => {_short(prop.after)}{flag}"
                )
    counts = diff.to_json()["summary"]
    if not diff.changes:
        lines.append("No changes: every resource is as in the base plan.")
    lines += [
        "",
        f"Resources: {counts['add']} to add, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['remove']} to delete, "
        f"{counts['unchanged']} unchanged.",
    ]
    return "\n".join(lines)
