"""The text plan: a tree of resources, each with its inputs, documents as readable JSON.

Lines that show an id or ARN the mocks made up end in INVENTED_MARK
(`invented.py`); inputs the program made secret are labelled `(secret)`.
"""

from __future__ import annotations

import json
from typing import Any

from session_manager.offline.invented import INVENTED_MARK, mark_invented
from session_manager.offline.plan import Plan, PlannedResource
from session_manager.offline.secret_masks import JSON_INPUTS
from session_manager.offline.urns import resource_name, resource_type


def _render_value(key: str, value: Any, indent: str, label: str | None = None) -> list[str]:
    label = label or key
    if key in JSON_INPUTS and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if parsed is not None:
            text = json.dumps(parsed, indent=2, sort_keys=True)
            return [f"{indent}{label}:"] + [f"{indent}    {line}" for line in text.splitlines()]
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True)
        return [f"{indent}{label}: {text}"]
    return [f"{indent}{label}: {json.dumps(value)}"]


def _short(urn: str | None) -> str:
    return urn.split("::")[-1] if urn else "-"


def format_plan(plan: Plan) -> str:
    """A readable plan: a tree of resources, each with its inputs."""
    children: dict[str | None, list[PlannedResource]] = {}
    urns = {r.urn for r in plan.resources}
    for resource in plan.resources:
        parent = resource.parent if resource.parent in urns else None
        children.setdefault(parent, []).append(resource)
    lines = [f"Offline plan for stack '{plan.stack}' of project '{plan.project}'"]
    if plan.preview:
        lines.append(
            "(as a first `pulumi preview` sees it: what AWS assigns, and all that derives "
            "from it, is unknown until the resources exist)"
        )
    lines += [
        f"(Pulumi mock runtime, no AWS calls: lines ending in '{INVENTED_MARK.strip()}' show "
        "an id, ARN or account the plan made up; AWS assigns the real ones)",
        "",
    ]

    def walk(parent: str | None, depth: int) -> None:
        for resource in children.get(parent, []):
            indent = "    " * depth
            notes: list[str] = []
            if resource.retain_on_delete:
                notes.append("retained on delete")
            if resource.protect:
                notes.append("protected")
            if resource.ignore_changes:
                notes.append(f"ignores changes to {', '.join(resource.ignore_changes)}")
            if resource.delete_before_replace:
                notes.append("deleted before replaced")
            if resource.aliases:
                # Each old URN by its own type and name: the full URNs are in --json.
                olds = (f"{resource_type(u)} {resource_name(u)}" for u in resource.aliases)
                notes.append(f"was {', '.join(olds)}")
            if (
                resource.custom
                and resource.provider
                and not resource.type.startswith("pulumi:providers:")
            ):
                notes.append(f"provider {_short(resource.provider)}")
            suffix = f"  ({', '.join(notes)})" if notes else ""
            lines.append(f"{indent}+ {resource.type}  {resource.name}{suffix}")
            for key in sorted(resource.inputs):
                if key.startswith("__"):
                    continue
                label = f"{key} (secret)" if key in resource.secret_inputs else key
                rendered = _render_value(key, resource.inputs[key], indent + "      ", label)
                lines.extend(mark_invented(rendered, plan.invented))
            walk(resource.urn, depth + 1)

    walk(None, 0)
    custom = [r for r in plan.resources if r.custom]
    components = len(plan.resources) - len(custom)
    lines += ["", f"Resources: {len(custom)} to create, plus {components} components."]
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"    {warning}" for warning in plan.warnings]
    if plan.outputs:
        lines += ["", "Outputs:"]
        lines += [
            f"    {line}"
            for line in mark_invented(
                json.dumps(plan.outputs, indent=2, sort_keys=True).splitlines(), plan.invented
            )
        ]
    return "\n".join(lines)
