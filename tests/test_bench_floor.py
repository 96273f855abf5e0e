"""The fair floor of `make bench` registers the same graph as the program it is compared with.

bench/record.py records a stack's plan; bench/floor.py replays it through the
SDK alone. Here the replay runs under the project's RecordingMonitor, so what
the floor registered can be compared with what the program registered:
resources, inputs, parents, providers, dependencies (overall and per input),
component outputs and exports. If the floor registered less, its ratio would
flatter the project.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

REPLAY_UNDER_RECORDING = """
import json, sys
sys.path.insert(0, sys.argv[1])
import floor, pulumi
from pulumi.runtime import rpc
from session_manager.offline.plan import RecordingMonitor

monitors = []
set_mocks = pulumi.runtime.set_mocks

def recording_set_mocks(mocks, **kwargs):
    monitors.append(RecordingMonitor(mocks))
    set_mocks(monitors[0].capturing, monitor=monitors[0], **kwargs)

pulumi.runtime.set_mocks = recording_set_mocks
graph = json.loads(open(sys.argv[2]).read())
floor.run(graph, fair=sys.argv[3] == "fair")
monitor = monitors[0]
from pulumi.runtime.sync_await import _sync_await
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
}))
"""


def _run(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _recorded(tmp_path: Path) -> dict[str, Any]:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "examples/organization/Pulumi.organization.yaml", tmp_path)
    graph = tmp_path / "graph.json"
    _run(str(ROOT / "bench/record.py"), str(tmp_path), "organization", str(graph))
    return json.loads(graph.read_text())


def _replayed(graph_path: Path, mode: str) -> dict[str, Any]:
    out = _run("-c", REPLAY_UNDER_RECORDING, str(ROOT / "bench"), str(graph_path), mode)
    return json.loads(out)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("org")
    return _recorded(folder), folder / "graph.json"


def _links(resource: dict[str, Any]) -> dict[str, list[str]]:
    links: dict[str, list[str]] = {}
    for key, link in resource["links"].items():
        links[key] = sorted(link["$after"]) if "$after" in link else [link["$ref"][0]]
    return links


def test_the_fair_floor_registers_the_programs_graph(recorded: tuple[dict[str, Any], Path]) -> None:
    graph, path = recorded
    replayed = _replayed(path, "fair")
    program = {r["urn"]: r for r in graph["resources"]}
    floor = replayed["resources"]
    assert set(floor) == set(program)
    for urn, resource in program.items():
        registered = floor[urn]
        assert registered["inputs"] == resource["inputs"], urn
        assert registered["parent"] == resource["parent"], urn
        assert (registered["provider"] or None) == (
            resource["provider"] if resource["provider"] in program else None
        ), urn
        assert registered["input_dependencies"] == _links(resource), urn
        expected = {u for deps in _links(resource).values() for u in deps} | set(
            resource["dependsOn"]
        )
        assert set(registered["dependencies"]) == expected, urn
    # Links are real: some inputs are another resource's property, some derived from several.
    kinds = {next(iter(link)) for r in graph["resources"] for link in r["links"].values()}
    assert kinds == {"$ref", "$after"}


PROGRAM_OUTPUTS = """
import json, sys
from pathlib import Path
from pulumi.runtime import rpc
from session_manager.offline.plan import run_plan

plan = run_plan(Path(sys.argv[1]), "organization")
print(json.dumps({
    "outputs": {u: rpc.deserialize_properties(s) for u, s in plan.registered_outputs.items()},
    "exports": plan.outputs,
}))
"""


def test_the_fair_floor_registers_the_same_component_outputs_and_exports(
    recorded: tuple[dict[str, Any], Path],
) -> None:
    graph, path = recorded
    program = json.loads(_run("-c", PROGRAM_OUTPUTS, str(path.parent)))
    floor = _replayed(path, "fair")
    assert floor["outputs"] == program["outputs"]
    assert set(program["outputs"]) >= set(graph["componentOutputs"])
    # Under mocks the stack's exports are not registered as outputs; they resolve the same.
    assert floor["exports"] == program["exports"]
    assert set(program["exports"]) == {"accountEvents", "accounts", "centralLogs"}


def test_the_replay_floor_registers_values_only(recorded: tuple[dict[str, Any], Path]) -> None:
    graph, path = recorded
    replayed = _replayed(path, "replay")
    assert set(replayed["resources"]) == {r["urn"] for r in graph["resources"]}
    assert all(not r["dependencies"] for r in replayed["resources"].values())
    assert all(not outputs for outputs in replayed["outputs"].values())
