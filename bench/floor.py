"""The floors: register recorded resources with Pulumi's mock runtime, and nothing else.

Reads the graph `bench/record.py` wrote and registers exactly those resources,
with the same types, names, inputs, parents, providers and options, through
the Pulumi SDK alone: no config models, no renderer, no policy builders.

    python bench/floor.py graph.json            # the fair floor
    python bench/floor.py --replay graph.json   # the replay floor

The fair floor builds the same graph as the program: an input that came from
another resource stays an Output of that resource (or waits for the resources
it was derived from), components register the same outputs, and the stack
exports the same values, each leaf the same Output (`{"$ref": [urn, name]}`), an
Output of the same resources (`{"$after": [urns], "value": v}`:
`Output.all(*urns).apply(lambda _: v)`) or the same plain value. What the
project adds on top of it is its own cost.

The replay floor registers the recorded, already resolved values: no input
depends on another resource, components register no outputs, nothing is
exported. It is the cheapest way to register the same resources. Both send
the program's options (ignore_changes, additional_secret_outputs, component
providers, retain_on_delete, protect); only the fair floor sends depends_on.

Both run under the same interpreter settings as the project's plan command
(collection paused, SDK stack capture skipped: session_manager.offline.runtime_tuning).
Reading and parsing the graph is not part of either floor: it is timed apart,
with collection paused too, and printed last, `graph_load_seconds: X.XXX`
(after `graph_load_cpu_seconds`), for bench.py to take off the process's time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await  # pyright: ignore[reportPrivateUsage]


class EchoMocks(pulumi.runtime.Mocks):
    """Answers each resource with its inputs, and what the project's mocks added to them."""

    def __init__(self, answered: dict[str, dict[str, Any]] | None = None) -> None:
        self.answered = answered or {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        state.update(self.answered.get(f"{args.typ}::{args.name}", {}))
        return f"{args.name}-id", state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


ROOT = Path(__file__).resolve().parents[1]


def _runtime_tuning() -> Any:
    """The project's plan settings, loaded by path: the floor pays for none of its imports."""
    path = ROOT / "components/session_manager/offline/runtime_tuning.py"
    spec = importlib.util.spec_from_file_location("runtime_tuning", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tuning = _runtime_tuning()


def sdk_class(typ: str) -> Any:
    """The pulumi-aws class of a resource type token (`aws:<module>/<name>:<Class>`).

    The same SDK classes the project uses: their construction cost is part of the floor.
    """
    if typ == "pulumi:providers:aws":
        return aws.Provider
    module, cls = typ.split(":")[1].split("/", maxsplit=1)[0], typ.split(":")[2]
    return getattr(getattr(aws, module), cls)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def provider_value(value: Any) -> Any:
    """A provider input as the program passed it: the engine sends provider config as JSON."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return value if isinstance(decoded, str) else decoded
    return value


def registration_order(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents, providers and dependencies before the resources that use them."""
    by_urn = {r["urn"]: r for r in resources}
    order: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(urn: str) -> None:
        if urn in placed or urn not in by_urn:
            return
        placed.add(urn)
        resource = by_urn[urn]
        providers = resource["options"].get("providers", {}).values()
        for before in (
            resource["parent"],
            resource["provider"],
            *providers,
            *resource["dependsOn"],
        ):
            if before:
                place(before)
        for link in resource["links"].values():
            for before in link.get("$after") or link["$ref"][:1]:
                place(before)
        order.append(resource)

    for resource in resources:
        place(resource["urn"])
    return order


class Floor:
    """Registers a recorded graph; `fair` keeps its links, else values replace them."""

    def __init__(self, graph: dict[str, Any], *, fair: bool) -> None:
        # The engine's default provider is not registered by programs.
        self.resources = [r for r in graph["resources"] if not r["name"].startswith("default_")]
        self.component_outputs: dict[str, dict[str, Any]] = graph["componentOutputs"]
        self.exports: dict[str, Any] = graph["outputs"]
        self.fair = fair
        self.by_urn: dict[str, pulumi.Resource] = {}
        self.registered: dict[str, dict[str, Any]] = {}

    def ref(self, urn: str, prop: str) -> Any:
        """A resource's property, or a component's registered output, as the program holds it."""
        if urn in self.component_outputs:
            return self.component_output(urn, prop)
        return getattr(self.by_urn[urn], snake(prop))

    def component_output(self, urn: str, name: str) -> Any:
        outputs = self.registered.setdefault(urn, {})
        if name not in outputs:
            outputs[name] = self.linked(self.component_outputs[urn][name])
        return outputs[name]

    def linked(self, value: Any) -> Any:
        """A component output or export as the program built it (record.py has the format)."""
        if isinstance(value, dict) and "$ref" in value:
            return self.ref(*value["$ref"])
        if isinstance(value, dict) and "$after" in value:
            output = self.after(value["$after"], value["value"])
            return pulumi.Output.secret(output) if value.get("secret") else output
        if isinstance(value, dict):
            return {k: self.linked(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, list):
            return [self.linked(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
        return value

    def input(self, value: Any, link: dict[str, Any] | None) -> Any:
        if not (self.fair and link):
            return value
        if "$ref" in link:
            return self.ref(*link["$ref"])
        return self.after(link["$after"], value)

    def after(self, urns: list[str], value: Any) -> pulumi.Output[Any]:
        """`value` once those resources are registered: an Output that depends on them."""
        if not urns:
            return pulumi.Output.from_input(value)
        return pulumi.Output.all(*[self.by_urn[urn].urn for urn in urns]).apply(lambda _: value)

    def register(self, resource: dict[str, Any]) -> pulumi.Resource:
        parent, provider, options = resource["parent"], resource["provider"], resource["options"]
        providers = {p: self.by_urn[urn] for p, urn in options.get("providers", {}).items()}
        opts = pulumi.ResourceOptions(
            parent=self.by_urn.get(parent) if parent else None,
            provider=self.by_urn.get(provider) if provider else None,  # type: ignore[arg-type]
            providers=providers or None,  # type: ignore[arg-type]
            # Unset when false, as the program leaves them: the wire tells unset from False.
            retain_on_delete=options["retainOnDelete"] or None,
            protect=options["protect"] or None,
            ignore_changes=options.get("ignoreChanges"),
            additional_secret_outputs=options.get("additionalSecretOutputs"),
            depends_on=[self.by_urn[u] for u in resource["dependsOn"]] if self.fair else None,
        )
        typ, name = resource["type"], resource["name"]
        inputs = {k: self.input(v, resource["links"].get(k)) for k, v in resource["inputs"].items()}
        if typ.startswith("pulumi:providers:"):
            inputs = {k: provider_value(v) for k, v in inputs.items()}
        if not resource["custom"]:
            return pulumi.ComponentResource(typ, name, None, opts)
        return sdk_class(typ)(name, opts=opts, **{snake(k): v for k, v in inputs.items()})

    def run(self) -> None:
        for resource in registration_order(self.resources):
            self.by_urn[resource["urn"]] = self.register(resource)
        if not self.fair:
            return
        for urn in self.component_outputs:
            component = self.by_urn[urn]
            assert isinstance(component, pulumi.ComponentResource)
            component.register_outputs(
                {name: self.component_output(urn, name) for name in self.component_outputs[urn]}
            )
        for name, value in self.exports.items():
            pulumi.export(name, self.linked(value))


def run(graph: dict[str, Any], *, fair: bool) -> int:
    floor = Floor(graph, fair=fair)
    urns = {r["urn"] for r in floor.resources}
    for resource in floor.resources:
        if resource["provider"] not in urns:
            resource["provider"] = None
    asyncio.set_event_loop(asyncio.new_event_loop())
    with tuning.collection_paused(), tuning.stack_capture_skipped():
        # The replay floor echoes inputs only, as it always did.
        answered = {f"{r['type']}::{r['name']}": r["answered"] for r in floor.resources}
        answered = answered if fair else {}
        pulumi.runtime.set_mocks(
            EchoMocks(answered), project=graph["project"], stack=graph["stack"], preview=False
        )
        _sync_await(run_pulumi_func(floor.run))
    return len(floor.resources)


def load(path: Path) -> tuple[dict[str, Any], float, float]:
    """The recorded graph, and the wall and CPU seconds reading and parsing it took.

    Not the floor's work: bench.py takes these seconds off the process's. Collection
    is paused as for the run: its passes over the parsed graph would be timed otherwise.
    """
    with tuning.collection_paused():
        wall, cpu = time.perf_counter(), time.process_time()
        graph = json.loads(path.read_text())
        return graph, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    args = sys.argv[1:]
    fair = "--replay" not in args
    path = next(a for a in args if not a.startswith("--"))
    graph, load_seconds, load_cpu_seconds = load(Path(path))
    count = run(graph, fair=fair)
    print(f"{count} resources registered ({'fair' if fair else 'replay'} floor)")
    print(f"graph_load_cpu_seconds: {load_cpu_seconds:.3f}")
    print(f"graph_load_seconds: {load_seconds:.3f}")


if __name__ == "__main__":
    main()
