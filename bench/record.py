"""Record a stack's resource graph for the floors to replay (untimed).

    python bench/record.py PROJECT_DIR STACK graph.json

Runs the project's program as the offline plan does and writes what it
registered, in the shape of `plan --json`, plus what the fair floor needs to
rebuild the same graph:

- `answered` per resource: what the mock runtime answered beyond the inputs,
  so the fair floor's mock answers the same and its Outputs hold the same values.
- `links` per resource: each input whose value came from other resources. When
  it is one resource's property (an alias's `targetKeyId` is its key's `keyId`)
  the link names that property, `{"$ref": [urn, property]}`, and the floor
  passes that very Output. When it was derived from several (a document's
  content renders the key's id and the log group's name) the link lists them,
  `{"$after": [urns]}`, and the floor waits for them before the value is known.
  The engine sends no more than an input's value and the URNs it depends on,
  so a one-resource input is matched to that resource's property by value.
- `dependsOn`: dependencies that came from no input (the `depends_on` option).
- `options`: besides `retainOnDelete`, `protect` and `deletedWith` (the URN whose
  delete stands in for this one's), the `ignoreChanges` and
  component `providers` ({package: provider URN}) the engine got, and the
  `additionalSecretOutputs` the program passed (the SDK classes add their own).
- `componentOutputs`: what each component passed to `register_outputs`, and
  `outputs`: the stack's exports. Both are recorded from the program's own
  objects, leaf by leaf (dicts and lists are walked):
  - a plain value (no Output) stays that value;
  - an Output that is a resource's property or a component's registered output
    (the same object) is `{"$ref": [urn, name]}`, with the property's Python
    attribute name (`key_id`) or the output's registered name;
  - any other Output is `{"$after": [urns], "value": value}` (plus
    `"secret": true` when secret): it was derived from those resources, the
    URNs of its `Output.resources()`, and resolved to that value.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pulumi
import pulumi_aws._utilities as aws_utilities
from floor import given_path, sdk_class, snake
from pulumi.runtime import rpc
from session_manager.config.errors import ConfigError
from session_manager.offline.plan import (
    Plan,
    PlanError,
    PlannedResource,
    RecordingMonitor,
    run_plan,
)
from session_manager.offline.runtime_tuning import collection_paused

Link = dict[str, Any]

# Request fields the floor does not replay: a program that sets one fails the
# recording, rather than the floor registering a lighter graph.
UNREPLAYED = (
    "replaceOnChanges",
    "deleteBeforeReplace",
    "importId",
    "hideDiffs",
    "replace_with",
)


def request_options(request: Any) -> dict[str, Any]:
    """A RegisterResource request's options that the floor replays, as the engine got them.

    Not `additionalSecretOutputs`: the request has the SDK class's own too (Recorder).
    """
    unreplayed = [name for name in UNREPLAYED if getattr(request, name)]
    if request.HasField("customTimeouts"):
        unreplayed.append("customTimeouts")
    if unreplayed:
        raise RuntimeError(f"{request.name}: the floor does not replay {', '.join(unreplayed)}")
    options: dict[str, Any] = {}
    if request.ignoreChanges:
        options["ignoreChanges"] = list(request.ignoreChanges)
    if request.providers:
        # A provider reference is "<provider urn>::<provider id>".
        options["providers"] = {
            package: ref.rsplit("::", 1)[0] for package, ref in sorted(request.providers.items())
        }
    return options


class Recorder:
    """What the program built beyond what the monitor saw: its objects, so links are real.

    Install `hooks()` around the run and await `collect()` in the run's event loop
    after the program: it fills `component_outputs`, `exports` and `options`.
    """

    def __init__(self) -> None:
        self.resources: list[pulumi.Resource] = []
        self.registered: list[tuple[pulumi.ComponentResource, dict[str, Any]]] = []
        # The options the program passed to the pulumi-aws class being constructed.
        self.pending: pulumi.ResourceOptions | None = None
        self.program_options: dict[int, pulumi.ResourceOptions] = {}
        self.requested: dict[str, dict[str, Any]] = {}
        self.component_outputs: dict[str, dict[str, Any]] = {}
        self.exports: dict[str, Any] = {}
        self.options: dict[str, dict[str, Any]] = {}

    @contextlib.contextmanager
    def hooks(self) -> Iterator[None]:
        resource_init = pulumi.Resource.__init__
        resource_args_opts = aws_utilities.get_resource_args_opts
        register_outputs = pulumi.ComponentResource.register_outputs
        register_resource = RecordingMonitor.RegisterResource

        def init(resource: pulumi.Resource, *args: Any, **kwargs: Any) -> None:
            opts, self.pending = self.pending, None
            self.resources.append(resource)
            if opts is not None:
                self.program_options[id(resource)] = opts
            resource_init(resource, *args, **kwargs)

        def args_opts(*args: Any, **kwargs: Any) -> Any:
            # Every pulumi-aws resource class reads its caller's options here, just
            # before it merges its own (aliases, secret outputs) into them.
            found = resource_args_opts(*args, **kwargs)
            self.pending = found[1]
            return found

        def outputs(component: pulumi.ComponentResource, values: Any) -> None:
            # The stack's own are its exports, read from it after the run.
            if not isinstance(component, pulumi.runtime.stack.Stack):
                self.registered.append((component, values))
            register_outputs(component, values)

        def register(monitor: RecordingMonitor, request: Any) -> Any:
            response = register_resource(monitor, request)
            self.requested[response.urn] = request_options(request)
            return response

        with contextlib.ExitStack() as patches:
            patches.enter_context(mock.patch.object(pulumi.Resource, "__init__", init))
            patches.enter_context(
                mock.patch.object(aws_utilities, "get_resource_args_opts", args_opts)
            )
            patches.enter_context(
                mock.patch.object(pulumi.ComponentResource, "register_outputs", outputs)
            )
            patches.enter_context(mock.patch.object(RecordingMonitor, "RegisterResource", register))
            yield

    async def collect(self) -> None:
        urns: dict[int, str] = {}
        for resource in self.resources:
            urn = await resource.urn.future()
            assert urn, resource  # known: the run has finished
            urns[id(resource)] = urn
        # Outputs the program holds as properties and registered outputs: what `$ref` names.
        named: dict[int, list[str]] = {}
        for resource in self.resources:
            if isinstance(resource, pulumi.CustomResource):
                for attribute, value in vars(resource).items():
                    if isinstance(value, pulumi.Output):
                        named.setdefault(id(value), [urns[id(resource)], attribute])
        for component, values in self.registered:
            for name, value in values.items():
                if isinstance(value, pulumi.Output):
                    named.setdefault(id(value), [urns[id(component)], name])

        async def leaf(value: Any, defining: list[str] | None = None) -> Any:
            if isinstance(value, dict):
                return {k: await leaf(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
            if isinstance(value, (list, tuple)):
                return [await leaf(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
            if not isinstance(value, pulumi.Output):
                return value
            output: pulumi.Output[Any] = value
            # A component output is named after itself: where it is defined, not a link.
            if id(output) in named and named[id(output)] != defining:
                return {"$ref": named[id(output)]}
            after = sorted(urns[id(r)] for r in await output.resources())
            link: Link = {"$after": after, "value": await output.future()}
            return link | {"secret": True} if await output.is_secret() else link

        for component, values in sorted(self.registered, key=lambda r: urns[id(r[0])]):
            urn = urns[id(component)]
            self.component_outputs[urn] = {
                name: await leaf(value, [urn, name]) for name, value in values.items()
            }
        root = pulumi.runtime.settings.get_root_resource()
        if isinstance(root, pulumi.runtime.stack.Stack):
            self.exports = await leaf(dict(root.outputs))
        for resource in self.resources:
            urn = urns[id(resource)]
            options = dict(self.requested.get(urn, {}))
            # The program's own, not the request's: the SDK class adds its own again.
            opts = self.program_options.get(id(resource))
            if opts is not None and opts.additional_secret_outputs:
                options["additionalSecretOutputs"] = list(opts.additional_secret_outputs)
            self.options[urn] = options


class Graph:
    def __init__(self, plan: Plan, recorder: Recorder) -> None:
        # The engine's default provider is not registered by programs.
        self.resources = [r for r in plan.resources if not r.name.startswith("default_")]
        self.by_urn = {r.urn: r for r in self.resources}
        # Resolved, to match inputs by value.
        self.resolved_outputs: dict[str, dict[str, Any]] = {
            urn: rpc.deserialize_properties(struct)
            for urn, struct in plan.registered_outputs.items()
            if urn in self.by_urn
        }
        self.recorder = recorder
        self.stack, self.project = plan.stack, plan.project

    def properties(self, urn: str) -> Iterator[tuple[str, Any]]:
        """A resource's properties a program can pass on, what the mock computed first."""
        if urn in self.resolved_outputs:
            yield from self.resolved_outputs[urn].items()
            return
        resource = self.by_urn[urn]
        if not resource.custom:
            return
        cls = sdk_class(resource.type)
        readable = [(k, v) for k, v in resource.state.items() if hasattr(cls, snake(k))]
        yield from ((k, v) for k, v in readable if k not in resource.inputs)
        yield from ((k, v) for k, v in readable if k in resource.inputs)

    def link(self, value: Any, urn: str) -> Link | None:
        if value is None:
            return None
        for prop, candidate in self.properties(urn):
            if candidate == value:
                return {"$ref": [urn, prop]}
        return None

    def resource_json(self, resource: PlannedResource) -> dict[str, Any]:
        links: dict[str, Link] = {}
        from_inputs: set[str] = set()
        for key, value in resource.inputs.items():
            # Sorted: the SDK sends them in set order.
            deps = sorted(u for u in resource.input_dependencies.get(key, []) if u in self.by_urn)
            if not deps:
                continue
            from_inputs.update(deps)
            found = self.link(value, deps[0]) if len(deps) == 1 else None
            links[key] = found or {"$after": deps}
        data = resource.to_json()
        return {
            **data,
            "options": data["options"] | self.recorder.options.get(resource.urn, {}),
            "custom": resource.custom,
            # What the mock answered beyond the inputs it echoed (ids, ARNs).
            "answered": {k: v for k, v in resource.state.items() if resource.inputs.get(k) != v},
            "links": links,
            "dependsOn": sorted(
                u for u in resource.dependencies if u in self.by_urn and u not in from_inputs
            ),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "resources": [self.resource_json(r) for r in self.resources],
            "componentOutputs": {
                urn: outputs
                for urn, outputs in self.recorder.component_outputs.items()
                if urn in self.by_urn
            },
            "outputs": self.recorder.exports,
        }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="record.py", description=(__doc__ or "").split("\n", 1)[0]
    )
    parser.add_argument(
        "project_dir", metavar="PROJECT_DIR", type=given_path, help="the folder with Pulumi.yaml"
    )
    parser.add_argument("stack", metavar="STACK", help="the stack to plan (Pulumi.STACK.yaml)")
    parser.add_argument(
        "out", metavar="OUT", type=given_path, help="where to write the graph (JSON)"
    )
    args = parser.parse_args(argv)
    # Before the run, which takes a while at bench sizes.
    if not args.out.parent.is_dir():
        parser.error(f"OUT {args.out}: no folder {args.out.parent}")
    if args.out.is_dir():
        parser.error(f"OUT {args.out}: is a folder; name the graph file to write")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with collection_paused():
        recorder = Recorder()
        try:
            with recorder.hooks():
                plan = run_plan(args.project_dir, args.stack, after=recorder.collect)
        except (ConfigError, PlanError) as error:
            # No project or stack there, or config the program rejects: the plan's own message.
            print(f"record.py: error: {error}", file=sys.stderr)
            raise SystemExit(2) from None
        args.out.write_text(json.dumps(Graph(plan, recorder).to_json()))


if __name__ == "__main__":
    main()
