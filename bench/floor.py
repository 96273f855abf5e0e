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
providers, retain_on_delete, protect, deleted_with); only the fair floor sends
depends_on.

Both run under the same interpreter settings as the project's plan command
(collection paused, SDK stack capture skipped: session_manager.offline.runtime_tuning).
Reading, parsing and preparing the graph is not part of either floor:
registration order, keyword argument names, links, the mock's answers are
worked out before (`prepare`), so that the timed loop only constructs resources,
Outputs and options, as the program does. That load is timed apart, with
collection paused too, and printed last, `graph_load_seconds: X.XXX` (after
`graph_load_cpu_seconds`), for bench.py to take off the process's time. Looking
up the pulumi-aws classes stays in the floor: it imports their modules, which
the program pays for too.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import importlib.util
import json
import re
import sys
import time
from dataclasses import dataclass
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


@functools.cache
def sdk_class(typ: str) -> Any:
    """The pulumi-aws class of a resource type token (`aws:<module>/<name>:<Class>`).

    The same SDK classes the project uses: their construction cost is part of the floor.
    """
    if typ == "pulumi:providers:aws":
        return aws.Provider
    module, cls = typ.split(":")[1].split("/", maxsplit=1)[0], typ.split(":")[2]
    return getattr(getattr(aws, module), cls)


@functools.cache
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
            resource["options"].get("deletedWith"),
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


@dataclass(frozen=True, slots=True)
class Ref:
    """A resource's property (by its Python attribute) or a component's registered output."""

    urn: str
    name: str
    component: bool


@dataclass(frozen=True, slots=True)
class After:
    """`value` once those resources are registered: `Output.all(*urns).apply(lambda _: value)`."""

    urns: list[str]
    value: Any
    secret: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """One registration, ready to make: only its Outputs and options are left to build."""

    urn: str
    type: str
    name: str
    custom: bool
    # URNs of resources registered before it (None: none, or not the floor's).
    parent: str | None
    provider: str | None
    providers: dict[str, str]
    # None for the replay floor, which sends no depends_on.
    depends_on: list[str] | None
    retain_on_delete: bool | None
    protect: bool | None
    # The URN of the resource this one is deleted with (registered before it).
    deleted_with: str | None
    ignore_changes: list[str] | None
    additional_secret_outputs: list[str] | None
    # Keyword arguments of the SDK class: plain values, and those the fair floor links.
    values: dict[str, Any]
    links: dict[str, Ref | After]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A recorded graph in registration order, with all a floor needs worked out beforehand.

    Preparing it is no part of either floor (`load` times it apart): the program has
    no graph to sort, no names to convert and no links to look up.
    """

    project: str
    stack: str
    steps: list[Step]
    # The pulumi-aws classes to look up, which imports their modules: the run does that.
    types: list[str]
    # What the project's mock answered, for the fair floor's mock (`EchoMocks`).
    answered: dict[str, dict[str, Any]]
    # Only the fair floor registers component outputs and exports.
    component_outputs: dict[str, dict[str, Any]]
    exports: dict[str, Any]


def prepare(graph: dict[str, Any], *, fair: bool) -> Prepared:
    """The floor's registrations for a graph record.py wrote (its format is described there)."""
    # The engine's default provider is not registered by programs.
    resources = [r for r in graph["resources"] if not r["name"].startswith("default_")]
    urns = {r["urn"] for r in resources}
    components: set[str] = set(graph["componentOutputs"])

    def linked(value: Any) -> Any:
        """A recorded component output or export, its links made Ref and After."""
        if isinstance(value, dict) and "$ref" in value:
            return ref(*value["$ref"])
        if isinstance(value, dict) and "$after" in value:
            return After(value["$after"], value["value"], bool(value.get("secret")))
        if isinstance(value, dict):
            return {k: linked(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, list):
            return [linked(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
        return value

    def ref(urn: str, prop: str) -> Ref:
        if urn in components:
            return Ref(urn, prop, component=True)
        return Ref(urn, snake(prop), component=False)

    def step(resource: dict[str, Any]) -> Step:
        typ, options = resource["type"], resource["options"]
        values: dict[str, Any] = {}
        links: dict[str, Ref | After] = {}
        if resource["custom"]:
            for key, value in resource["inputs"].items():
                link = resource["links"].get(key) if fair else None
                if link is None:
                    is_provider = typ.startswith("pulumi:providers:")
                    values[snake(key)] = provider_value(value) if is_provider else value
                elif "$ref" in link:
                    links[snake(key)] = ref(*link["$ref"])
                else:
                    links[snake(key)] = After(link["$after"], value)
        return Step(
            urn=resource["urn"],
            type=typ,
            name=resource["name"],
            custom=resource["custom"],
            parent=resource["parent"] if resource["parent"] in urns else None,
            provider=resource["provider"] if resource["provider"] in urns else None,
            providers=options.get("providers", {}),
            depends_on=resource["dependsOn"] if fair else None,
            # Unset when false, as the program leaves them: the wire tells unset from False.
            retain_on_delete=options["retainOnDelete"] or None,
            protect=options["protect"] or None,
            deleted_with=options.get("deletedWith"),
            ignore_changes=options.get("ignoreChanges"),
            additional_secret_outputs=options.get("additionalSecretOutputs"),
            values=values,
            links=links,
        )

    return Prepared(
        project=graph["project"],
        stack=graph["stack"],
        steps=[step(r) for r in registration_order(resources)],
        types=sorted({r["type"] for r in resources if r["custom"]}),
        # The replay floor echoes inputs only, as it always did.
        answered={f"{r['type']}::{r['name']}": r["answered"] for r in resources} if fair else {},
        component_outputs={u: linked(o) for u, o in graph["componentOutputs"].items()}
        if fair
        else {},
        exports=linked(graph["outputs"]) if fair else {},
    )


class Floor:
    """Registers a prepared graph: resources, Outputs and options, nothing else."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.by_urn: dict[str, pulumi.Resource] = {}
        self.registered: dict[str, dict[str, Any]] = {}

    def ref(self, ref: Ref) -> Any:
        """A resource's property, or a component's registered output, as the program holds it."""
        if ref.component:
            return self.component_output(ref.urn, ref.name)
        return getattr(self.by_urn[ref.urn], ref.name)

    def component_output(self, urn: str, name: str) -> Any:
        outputs = self.registered.setdefault(urn, {})
        if name not in outputs:
            outputs[name] = self.linked(self.prepared.component_outputs[urn][name])
        return outputs[name]

    def linked(self, value: Any) -> Any:
        """A component output, export or input as the program built it."""
        if isinstance(value, Ref):
            return self.ref(value)
        if isinstance(value, After):
            output = self.after(value.urns, value.value)
            return pulumi.Output.secret(output) if value.secret else output
        if isinstance(value, dict):
            return {k: self.linked(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, list):
            return [self.linked(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
        return value

    def after(self, urns: list[str], value: Any) -> pulumi.Output[Any]:
        """`value` once those resources are registered: an Output that depends on them."""
        if not urns:
            return pulumi.Output.from_input(value)
        return pulumi.Output.all(*[self.by_urn[urn].urn for urn in urns]).apply(lambda _: value)

    def register(self, step: Step, cls: Any) -> pulumi.Resource:
        by_urn = self.by_urn
        providers = {package: by_urn[urn] for package, urn in step.providers.items()}
        depends_on = step.depends_on
        opts = pulumi.ResourceOptions(
            parent=by_urn[step.parent] if step.parent else None,
            provider=by_urn[step.provider] if step.provider else None,  # type: ignore[arg-type]
            providers=providers or None,  # type: ignore[arg-type]
            retain_on_delete=step.retain_on_delete,
            protect=step.protect,
            deleted_with=by_urn[step.deleted_with] if step.deleted_with else None,
            ignore_changes=step.ignore_changes,
            additional_secret_outputs=step.additional_secret_outputs,
            depends_on=None if depends_on is None else [by_urn[u] for u in depends_on],
        )
        if not step.custom:
            return pulumi.ComponentResource(step.type, step.name, None, opts)
        inputs = step.values
        if step.type.startswith("pulumi:providers:"):
            # The plugin version the engine stores in a provider's inputs is a resource
            # option to the SDK (it sets it itself), not a constructor argument.
            inputs = {k: v for k, v in inputs.items() if k != "version"}
        if step.links:
            inputs = inputs | {k: self.linked(link) for k, link in step.links.items()}
        return cls(step.name, opts=opts, **inputs)

    def run(self) -> None:
        # Here, not when preparing: the program imports these pulumi-aws modules too.
        classes = {typ: sdk_class(typ) for typ in self.prepared.types}
        for step in self.prepared.steps:
            self.by_urn[step.urn] = self.register(step, classes.get(step.type))
        for urn, outputs in self.prepared.component_outputs.items():
            component = self.by_urn[urn]
            assert isinstance(component, pulumi.ComponentResource)
            component.register_outputs({name: self.component_output(urn, name) for name in outputs})
        for name, value in self.prepared.exports.items():
            pulumi.export(name, self.linked(value))


def run(prepared: Prepared) -> int:
    """Registers the prepared graph under the project's plan settings: the timed part."""
    floor = Floor(prepared)
    asyncio.set_event_loop(asyncio.new_event_loop())
    with tuning.collection_paused(), tuning.stack_capture_skipped():
        pulumi.runtime.set_mocks(
            EchoMocks(prepared.answered),
            project=prepared.project,
            stack=prepared.stack,
            preview=False,
        )
        _sync_await(run_pulumi_func(floor.run))
    return len(prepared.steps)


def load(path: Path, *, fair: bool) -> tuple[Prepared, float, float]:
    """The recorded graph, prepared, and the wall and CPU seconds reading and preparing took.

    Not the floor's work: bench.py takes these seconds off the process's. Collection
    is paused as for the run: its passes over the parsed graph would be timed otherwise.
    """
    with tuning.collection_paused():
        wall, cpu = time.perf_counter(), time.process_time()
        prepared = prepare(json.loads(path.read_text()), fair=fair)
        return prepared, time.perf_counter() - wall, time.process_time() - cpu


def given_path(value: str) -> Path:
    """A path argument: an empty one would quietly mean the current folder."""
    if not value:
        raise argparse.ArgumentTypeError("name a path")
    return Path(value)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="floor.py", description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "graph", metavar="GRAPH", type=given_path, help="a graph bench/record.py wrote"
    )
    parser.add_argument(
        "--replay",
        action="store_true",
        help="the replay floor: recorded values only (default: the fair floor)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    fair = not args.replay
    try:
        prepared, load_seconds, load_cpu_seconds = load(args.graph, fair=fair)
    except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        # A wrong path or file is a usage error: one line, as argparse reports its own.
        if isinstance(error, OSError):
            reason = error.strerror
        elif isinstance(error, json.JSONDecodeError):
            reason = f"not JSON ({error})"
        else:
            reason = f"not a graph bench/record.py wrote ({type(error).__name__}: {error})"
        print(f"floor.py: error: {args.graph}: {reason}", file=sys.stderr)
        raise SystemExit(2) from None
    count = run(prepared)
    print(f"{count} resources registered ({'fair' if fair else 'replay'} floor)")
    print(f"graph_load_cpu_seconds: {load_cpu_seconds:.3f}")
    print(f"graph_load_seconds: {load_seconds:.3f}")


if __name__ == "__main__":
    main()
