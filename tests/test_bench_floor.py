"""The fair floor of `make bench` registers the same graph as the program it is compared with.

bench/record.py records a stack's plan; bench/floor.py replays it through the
SDK alone. Here the program and the replay both run under the project's
RecordingMonitor, so what the floor registered can be compared with what the
program registered: resources, inputs, parents, providers, options, dependencies
(overall and per input), and what each component output and stack export
depends on. If the floor registered less, its ratio would flatter the project.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, bench_script

# Both runs (program and floor) capture the same things, independently of
# bench/record.py: the options each registration sent, and for every leaf of a
# component's registered outputs and of the stack's exports, whether it is a
# plain value or else the URNs its Output depends on.
OBSERVED = """
import json, sys
import pulumi
from pulumi.runtime import rpc
from session_manager.offline import plan as offline_plan

options = {}
_register = offline_plan.RecordingMonitor.RegisterResource

def sent(request, option):
    # None when unset: the wire tells an option left unset from an explicit False.
    return getattr(request, option) if request.HasField(option) else None

def register(monitor, request):
    response = _register(monitor, request)
    if request.type != "pulumi:pulumi:Stack":
        options[response.urn] = {
            "ignoreChanges": list(request.ignoreChanges),
            "additionalSecretOutputs": list(request.additionalSecretOutputs),
            # Provider URNs: a reference ends in the id the mock made up, which differs.
            "providers": {k: v.rsplit("::", 1)[0] for k, v in request.providers.items()},
            "retainOnDelete": sent(request, "retainOnDelete"),
            "protect": sent(request, "protect"),
            "deletedWith": request.deletedWith or None,
        }
    return response

offline_plan.RecordingMonitor.RegisterResource = register
registered = []
_register_outputs = pulumi.ComponentResource.register_outputs

def register_outputs(component, outputs):
    registered.append((component, outputs))
    _register_outputs(component, outputs)

pulumi.ComponentResource.register_outputs = register_outputs

async def walk(path, value, leaves):
    if isinstance(value, dict):
        for key, item in value.items():
            await walk(f"{path}/{key}", item, leaves)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            await walk(f"{path}/{index}", item, leaves)
    elif isinstance(value, pulumi.Output):
        leaves[path] = sorted([await r.urn.future() for r in await value.resources()])
    else:
        leaves[path] = "plain"

async def leaf_dependencies():
    leaves = {}
    for component, outputs in registered:
        if not isinstance(component, pulumi.runtime.stack.Stack):
            await walk(await component.urn.future(), outputs, leaves)
    root = pulumi.runtime.settings.get_root_resource()
    await walk("exports", dict(root.outputs), leaves)
    return leaves
"""

PROGRAM = (
    OBSERVED
    + """
import runpy
from pathlib import Path
from session_manager.offline.plan import read_project, read_stack_config, record_program

project_dir = Path(sys.argv[1])
project, _ = read_project(project_dir)
config, secret_keys = read_stack_config(project_dir, "organization")

def program():
    sys.path.insert(0, str(project_dir))
    runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
    # Resolved by record_program once every registration is done, in the run's loop.
    return leaf_dependencies()

plan = record_program(
    program, project=project, stack="organization", config=config, secret_keys=secret_keys
)
print(json.dumps({
    "outputs": {u: rpc.deserialize_properties(s) for u, s in plan.registered_outputs.items()},
    "exports": plan.outputs,
    "leaves": plan.result,
    "options": options,
    # What each registration waited for, as the program sent it: not from record.py.
    "resources": {
        r.urn: {
            "dependencies": sorted(r.dependencies),
            "input_dependencies": {k: sorted(v) for k, v in r.input_dependencies.items()},
        }
        for r in plan.resources
    },
}))
"""
)

REPLAY_UNDER_RECORDING = (
    OBSERVED
    + """
sys.path.insert(0, sys.argv[1])
import floor
from pulumi.runtime.sync_await import _sync_await
from session_manager.offline.plan import RecordingMonitor

monitors = []
set_mocks = pulumi.runtime.set_mocks

def recording_set_mocks(mocks, **kwargs):
    monitors.append(RecordingMonitor(mocks, kwargs["stack"], kwargs["project"]))
    set_mocks(monitors[0].capturing, monitor=monitors[0], **kwargs)

pulumi.runtime.set_mocks = recording_set_mocks
graph = json.loads(open(sys.argv[2]).read())
floor.run(floor.prepare(graph, fair=sys.argv[3] == "fair"))
monitor = monitors[0]
root = pulumi.runtime.settings.get_root_resource()
exports = _sync_await(pulumi.Output.from_input(dict(root.outputs)).future())
print(json.dumps({
    "exports": exports,
    "resources": {
        r.urn: {
            "type": r.type, "inputs": r.inputs, "parent": r.parent, "provider": r.provider,
            "dependencies": sorted(r.dependencies),
            "input_dependencies": {k: sorted(v) for k, v in r.input_dependencies.items() if v},
        }
        for r in monitor.planned
    },
    "outputs": {u: rpc.deserialize_properties(s) for u, s in monitor.registered_outputs.items()},
    "leaves": _sync_await(leaf_dependencies()),
    "options": options,
}))
"""
)


def _run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("org")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copy(ROOT / "examples/organization/Pulumi.organization.yaml", folder)
    graph = folder / "graph.json"
    _run(str(ROOT / "bench/record.py"), str(folder), "organization", str(graph))
    return json.loads(graph.read_text()), graph


def _replayed(graph_path: Path, mode: str) -> dict[str, Any]:
    out = _run("-c", REPLAY_UNDER_RECORDING, str(ROOT / "bench"), str(graph_path), mode)
    return json.loads(out)


@pytest.fixture(scope="module")
def program(recorded: tuple[dict[str, Any], Path]) -> dict[str, Any]:
    """The organization example's own run, observed as the floors' runs are."""
    return json.loads(_run("-c", PROGRAM, str(recorded[1].parent)))


@pytest.fixture(scope="module")
def fair(recorded: tuple[dict[str, Any], Path]) -> dict[str, Any]:
    return _replayed(recorded[1], "fair")


@pytest.fixture(scope="module")
def replay(recorded: tuple[dict[str, Any], Path]) -> dict[str, Any]:
    return _replayed(recorded[1], "replay")


def test_the_fair_floor_registers_the_programs_graph(
    recorded: tuple[dict[str, Any], Path], fair: dict[str, Any]
) -> None:
    graph, _ = recorded
    program = {r["urn"]: r for r in graph["resources"]}
    floor = fair["resources"]
    assert set(floor) == set(program)
    for urn, resource in program.items():
        registered = floor[urn]
        # The plan adds a provider's plugin `version` as the engine stores it, after
        # registration (offline/default_providers.py): no registered input.
        engine_added = {"version"} if resource["type"].startswith("pulumi:providers:") else set()
        wanted = {k: v for k, v in resource["inputs"].items() if k not in engine_added}
        assert registered["inputs"] == wanted, urn
        assert registered["parent"] == resource["parent"], urn
        assert (registered["provider"] or None) == (
            resource["provider"] if resource["provider"] in program else None
        ), urn
    # Links are real: some inputs are another resource's property, some derived from several.
    kinds = {next(iter(link)) for r in graph["resources"] for link in r["links"].values()}
    assert kinds == {"$ref", "$after"}


def test_the_fair_floor_waits_for_what_the_program_waited_for(
    program: dict[str, Any], fair: dict[str, Any]
) -> None:
    """Dependencies as the program sent them, overall and per input, not as record.py wrote them."""
    # The engine's default provider is registered by no program, and by no floor.
    expected = {
        urn: resource
        for urn, resource in program["resources"].items()
        if not urn.rsplit("::", 1)[1].startswith("default_")
    }
    floor = fair["resources"]
    assert set(floor) == set(expected)
    for urn, resource in expected.items():
        assert floor[urn]["dependencies"] == resource["dependencies"], urn
        assert floor[urn]["input_dependencies"] == resource["input_dependencies"], urn
    # What the organization example has, so an empty comparison cannot pass: explicit
    # depends_on, inputs of one resource and inputs of several.
    per_input = [d for r in expected.values() for d in r["input_dependencies"].values()]
    assert {min(len(d), 2) for d in per_input} == {1, 2}
    assert any(
        set(r["dependencies"]) - {u for d in r["input_dependencies"].values() for u in d}
        for r in expected.values()
    )


def test_the_fair_floor_registers_the_same_component_outputs_and_exports(
    recorded: tuple[dict[str, Any], Path], program: dict[str, Any], fair: dict[str, Any]
) -> None:
    graph, _ = recorded
    assert fair["outputs"] == program["outputs"]
    assert set(program["outputs"]) >= set(graph["componentOutputs"])
    # Under mocks the stack's exports are not registered as outputs; they resolve the same.
    assert fair["exports"] == program["exports"]
    assert set(program["exports"]) == {"accountEvents", "accounts", "centralLogs"}


def test_component_outputs_and_exports_depend_on_the_same_resources(
    program: dict[str, Any], fair: dict[str, Any]
) -> None:
    """Same values are not enough: a value matched to the wrong resource is a wrong dependency."""
    leaves: dict[str, Any] = program["leaves"]
    for path, expected in leaves.items():
        assert fair["leaves"].get(path) == expected, path
    assert set(fair["leaves"]) == set(leaves)
    # The example has every kind: plain values, Outputs of no resource (a component's
    # region), of one resource and of several (a policy document), as exports too.
    kinds = {"plain" if d == "plain" else min(len(d), 2) for d in leaves.values()}
    assert kinds == {"plain", 0, 1, 2}
    exported = [d for path, d in leaves.items() if path.startswith("exports/")]
    assert {min(len(d), 2) for d in exported} == {0, 1, 2}


def test_the_floors_send_the_programs_options(
    program: dict[str, Any], fair: dict[str, Any], replay: dict[str, Any]
) -> None:
    expected: dict[str, Any] = program["options"]
    for floor in (fair, replay):
        assert set(floor["options"]) == set(expected)
        for urn, options in expected.items():
            assert floor["options"][urn] == options, urn
    # What the organization example sets, so an empty comparison cannot pass.
    by_name = {urn.rsplit("::", 1)[1]: options for urn, options in expected.items()}
    assert by_name["session-manager-central-logs-bucket"]["ignoreChanges"] == ["objectLockEnabled"]
    assert by_name["session-manager-account-events-connection"]["additionalSecretOutputs"] == [
        "authParameters"
    ]
    providers = by_name["session-manager-central-logs"]["providers"]
    assert list(providers) == ["aws"]
    assert "aws-999999999999" in providers["aws"]
    assert by_name["session-manager-central-logs-bucket"]["retainOnDelete"] is True
    assert {o["retainOnDelete"] for o in expected.values()} == {True, None}
    assert {o["protect"] for o in expected.values()} == {None}
    # Grants are deleted with their policy (the instance role's own grant with the role).
    deleted_with = {urn: o["deletedWith"] for urn, o in expected.items() if o["deletedWith"]}
    assert deleted_with
    assert set(deleted_with.values()) <= set(expected)


def test_the_replay_floor_registers_values_only(
    recorded: tuple[dict[str, Any], Path], replay: dict[str, Any]
) -> None:
    assert set(replay["resources"]) == {r["urn"] for r in recorded[0]["resources"]}
    assert all(not r["dependencies"] for r in replay["resources"].values())
    assert all(not outputs for outputs in replay["outputs"].values())


# Notes, at each registration the mock runtime answers, whether the collector runs
# and whether the SDK's own stack capture is in place; and counts its captures.
UNDER_FLOOR = """
import gc, json, sys
sys.path.insert(0, sys.argv[1])
import floor
from pulumi.runtime import resource as sdk_resource

captures = []
sdk_capture = sdk_resource._get_stack_trace

def counted_capture():
    captures.append(True)
    return sdk_capture()

sdk_resource._get_stack_trace = counted_capture
seen = []
echo = floor.EchoMocks.new_resource

def new_resource(mocks, args):
    seen.append({
        "name": args.name,
        "collecting": gc.isenabled(),
        "sdk_capture": sdk_resource._get_stack_trace is counted_capture,
    })
    return echo(mocks, args)

floor.EchoMocks.new_resource = new_resource
collecting_before = gc.isenabled()
floor.run(floor.prepare(json.loads(sys.argv[2]), fair=sys.argv[3] == "fair"))
print(json.dumps({
    "seen": seen,
    "captures": len(captures),
    "collecting_before": collecting_before,
    "collecting_after": gc.isenabled(),
    "sdk_capture_after": sdk_resource._get_stack_trace is counted_capture,
}))
"""


def _tiny_graph() -> dict[str, Any]:
    """A component and a log group in it, in record.py's format."""

    def resource(name: str, typ: str, **fields: Any) -> dict[str, Any]:
        return {
            "urn": f"urn:{name}",
            "type": typ,
            "name": name,
            "custom": True,
            "parent": None,
            "provider": None,
            "inputs": {},
            "options": {"retainOnDelete": False, "protect": False},
            "answered": {},
            "links": {},
            "dependsOn": [],
            **fields,
        }

    group = resource("group", "test:index:Group", custom=False)
    logs = resource(
        "logs",
        "aws:cloudwatch/logGroup:LogGroup",
        parent="urn:group",
        inputs={"name": "logs"},
        answered={"arn": "arn:logs"},
    )
    return {
        "project": "floor",
        "stack": "settings",
        "resources": [group, logs],
        "componentOutputs": {},
        "outputs": {},
    }


@pytest.mark.parametrize("mode", ["fair", "replay"])
def test_the_floors_register_under_the_projects_interpreter_settings(mode: str) -> None:
    """Collection paused and the SDK's stack capture skipped, as for the project's plan."""
    graph = json.dumps(_tiny_graph())
    observed = json.loads(_run("-c", UNDER_FLOOR, str(ROOT / "bench"), graph, mode))
    assert [s["name"] for s in observed["seen"]] == ["group", "logs"]
    assert [s["collecting"] for s in observed["seen"]] == [False, False]
    assert [s["sdk_capture"] for s in observed["seen"]] == [False, False]
    assert observed["captures"] == 0
    # Around the floor the process is as it was: the settings are the floor's doing.
    assert observed["collecting_before"]
    assert observed["collecting_after"]
    assert observed["sdk_capture_after"]


def _bench_script(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "bench" / script), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize(
    ("script", "args", "error"),
    [
        ("floor.py", [], "the following arguments are required: GRAPH"),
        # A misspelt flag must not run the fair floor in place of the replay floor.
        ("floor.py", ["--repaly", "graph.json"], "unrecognized arguments: --repaly"),
        ("record.py", [], "the following arguments are required: PROJECT_DIR, STACK, OUT"),
        ("record.py", [".", "organization"], "the following arguments are required: OUT"),
        ("record.py", [".", "organization", "out/graph.json"], "OUT out/graph.json: no folder out"),
        (
            "record.py",
            [".", "organization", "."],
            "OUT .: is a folder; name the graph file to write",
        ),
        ("record.py", ["", "organization", "graph.json"], "argument PROJECT_DIR: name a path"),
        ("floor.py", [""], "argument GRAPH: name a path"),
    ],
)
def test_the_bench_scripts_report_usage_errors(
    script: str, args: list[str], error: str, tmp_path: Path
) -> None:
    (tmp_path / "graph.json").write_text("{}")
    result = _bench_script(script, *args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("usage: ")
    assert result.stderr.endswith(f"{script}: error: {error}\n")


@pytest.mark.parametrize(
    ("script", "args", "error"),
    [
        ("floor.py", ["missing.json"], "missing.json: No such file or directory"),
        ("floor.py", ["--replay", "."], ".: Is a directory"),
        # JSON, but not a graph: the file is wrong, not the floor.
        (
            "floor.py",
            ["graph.json"],
            "graph.json: not a graph bench/record.py wrote (KeyError: 'resources')",
        ),
        # The project's own message, for the folder as resolved.
        ("record.py", ["missing", "organization", "graph.json"], "no Pulumi.yaml in {cwd}/missing"),
        # A project without its program: run_plan's own message.
        (
            "record.py",
            ["noprogram", "dev", "graph.json"],
            "no __main__.py in {cwd}/noprogram: the plan runs the project's Python program; "
            "point --project-dir at this project's directory, or copy its __main__.py there",
        ),
    ],
)
def test_the_bench_scripts_report_missing_inputs_in_one_line(
    script: str, args: list[str], error: str, tmp_path: Path
) -> None:
    (tmp_path / "graph.json").write_text("{}")
    (tmp_path / "noprogram").mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / "noprogram")
    result = _bench_script(script, *args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"{script}: error: {error.format(cwd=tmp_path.resolve())}\n"


def test_the_floors_report_their_graph_load_and_bench_takes_it_off(
    recorded: tuple[dict[str, Any], Path],
) -> None:
    out = _run(str(ROOT / "bench/floor.py"), "--replay", str(recorded[1]))
    lines = out.splitlines()
    assert lines[-1].startswith("graph_load_seconds: ")
    bench = bench_script("bench")
    measured = bench.Measure(seconds=5.0, megabytes=300.0, cpu_seconds=4.0)
    loaded = bench.without_graph_load(measured, out)
    load = float(lines[-1].split(": ")[1])
    assert loaded.seconds == pytest.approx(5.0 - load)
    assert loaded.megabytes == 300.0
    assert loaded.load_seconds == pytest.approx(load)
    report = "1 resources registered\ngraph_load_cpu_seconds: 0.250\ngraph_load_seconds: 1.500\n"
    parsed = bench.without_graph_load(measured, report)
    assert (parsed.seconds, parsed.cpu_seconds, parsed.load_seconds) == (3.5, 3.75, 1.5)
    with pytest.raises(SystemExit, match="graph_load_seconds"):
        bench.without_graph_load(measured, "1 resources registered\n")
