"""Record a stack's resource graph for the floors to replay (untimed).

    python bench/record.py PROJECT_DIR STACK graph.json

Runs the project's offline plan and writes what it registered, in the shape of
`plan --json`, plus what the fair floor needs to rebuild the same graph:

- `answered` per resource: what the mock runtime answered beyond the inputs,
  so the fair floor's mock answers the same and its Outputs hold the same values.
- `links` per resource: each input whose value came from other resources. When
  it is one resource's property (an alias's `targetKeyId` is its key's `keyId`)
  the link names that property, `{"$ref": [urn, property]}`, and the floor
  passes that very Output. When it was derived from several (a document's
  content renders the key's id and the log group's name) the link lists them,
  `{"$after": [urns]}`, and the floor waits for them before the value is known.
- `dependsOn`: dependencies that came from no input (the `depends_on` option).
- `componentOutputs`: what each component passed to `register_outputs`, with
  the values that are a descendant's property as `$ref` links.
- `outputs`: the stack's exports, with the values that are a component's or a
  resource's property as `$ref` links.

Links are matched by value against what the mock runtime answered: the engine
sends the floor no more than values and the URNs they depend on.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from floor import sdk_class, snake
from pulumi.runtime import rpc
from session_manager.offline.plan import Plan, PlannedResource, run_plan
from session_manager.offline.runtime_tuning import collection_paused

Link = dict[str, Any]


class Graph:
    def __init__(self, plan: Plan) -> None:
        # The engine's default provider is not registered by programs.
        self.resources = [r for r in plan.resources if not r.name.startswith("default_")]
        self.by_urn = {r.urn: r for r in self.resources}
        self.children: dict[str, list[str]] = {}
        for resource in self.resources:
            if resource.parent in self.by_urn:
                self.children.setdefault(resource.parent, []).append(resource.urn)
        self.component_outputs: dict[str, dict[str, Any]] = {
            urn: rpc.deserialize_properties(struct)
            for urn, struct in plan.registered_outputs.items()
            if urn in self.by_urn
        }
        self.exports = plan.outputs
        self.stack, self.project = plan.stack, plan.project

    def properties(self, urn: str) -> Iterator[tuple[str, Any]]:
        """A resource's properties a program can pass on, what the mock computed first."""
        if urn in self.component_outputs:
            yield from self.component_outputs[urn].items()
            return
        resource = self.by_urn[urn]
        if not resource.custom:
            return
        cls = sdk_class(resource.type)
        readable = [(k, v) for k, v in resource.state.items() if hasattr(cls, snake(k))]
        yield from ((k, v) for k, v in readable if k not in resource.inputs)
        yield from ((k, v) for k, v in readable if k in resource.inputs)

    def link(self, value: Any, candidates: Iterable[str]) -> Link | None:
        if value is None:
            return None
        for urn in candidates:
            for prop, candidate in self.properties(urn):
                if candidate == value:
                    return {"$ref": [urn, prop]}
        return None

    def descendants(self, urn: str) -> list[str]:
        found: list[str] = []
        level = self.children.get(urn, [])
        while level:
            found.extend(level)
            level = [child for parent in level for child in self.children.get(parent, [])]
        return found

    def resource_json(self, resource: PlannedResource) -> dict[str, Any]:
        links: dict[str, Link] = {}
        from_inputs: set[str] = set()
        for key, value in resource.inputs.items():
            deps = [u for u in resource.input_dependencies.get(key, []) if u in self.by_urn]
            if not deps:
                continue
            from_inputs.update(deps)
            found = self.link(value, deps) if len(deps) == 1 else None
            links[key] = found or {"$after": deps}
        return {
            **resource.to_json(),
            "custom": resource.custom,
            # What the mock answered beyond the inputs it echoed (ids, ARNs).
            "answered": {k: v for k, v in resource.state.items() if resource.inputs.get(k) != v},
            "links": links,
            "dependsOn": sorted(
                u for u in resource.dependencies if u in self.by_urn and u not in from_inputs
            ),
        }

    def linked_tree(self, value: Any, index: dict[str, Link]) -> Any:
        if isinstance(value, dict):
            return {k: self.linked_tree(v, index) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, list):
            return [self.linked_tree(v, index) for v in value]  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, str) and value in index:
            return index[value]
        return value

    def to_json(self) -> dict[str, Any]:
        component_outputs = {
            urn: {
                name: self.link(value, self.descendants(urn)) or value
                for name, value in outputs.items()
            }
            for urn, outputs in self.component_outputs.items()
        }
        # Exports name components' outputs, else resources' properties.
        index: dict[str, Link] = {}
        for urn in [*self.component_outputs, *self.by_urn]:
            for prop, value in self.properties(urn):
                if isinstance(value, str):
                    index.setdefault(value, {"$ref": [urn, prop]})
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [self.resource_json(r) for r in self.resources],
            "componentOutputs": component_outputs,
            "outputs": self.linked_tree(self.exports, index),
        }


def main() -> None:
    project_dir, stack, out = sys.argv[1:4]
    with collection_paused():
        plan = run_plan(Path(project_dir), stack)
        Path(out).write_text(json.dumps(Graph(plan).to_json()))


if __name__ == "__main__":
    main()
