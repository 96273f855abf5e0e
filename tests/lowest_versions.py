"""`make test-lowest`: plan the organization example against the lowest declared versions.

pyproject.toml's floors are a promise to users who pin older SDKs. This installs
exactly each runtime dependency's `>=` floor (pulumi, pulumi-aws, boto3, pydantic,
PyYAML, typing-extensions), wheels only, into a separate virtualenv, and runs the
real program's offline plan of examples/organization there. A floor below what the
program uses (an argument, a field such as the organizations account `state`) fails
the plan. The virtualenv is kept (LOWEST_VENV, default .venv/lowest) and rebuilt only
when the floors change.

Usage: python tests/lowest_versions.py [--venv DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "organization" / "Pulumi.organization.yaml"

# Each of the example's OUs holds an account, so the plan reads what the program reads of it
# (the organizations account `state`, which pulumi-aws 7.0 does not have).
# The URNs are checked too: they are what `pulumi up --target`, `pulumi state delete` and
# aliases name, and the SDK's stack and project settings changed shape across pulumi
# releases (contextvars from 3.211 on, unseen by the mock runtime's worker threads, which
# then read "stack" and "project"). The engine's URN form, `urn:pulumi:<stack>::<project>::
# <parent type$...$type>::<name>`, is pulumi/pulumi sdk/go/common/resource/urn/urn.go (`New`).
PLAN_SCRIPT = """
import json, sys
from pathlib import Path
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import run_plan
work, stack, accounts, project, expected = sys.argv[1:6]
mocks = AwsMocks(organization_accounts=json.loads(accounts))
plan = run_plan(Path(work), stack, mocks=mocks)
documents = plan.of_type("aws:ssm/document:Document")
assert documents, "the plan has no Session document"
prefix = f"urn:pulumi:{stack}::{project}::"
named = [
    (r.name, kind, urn)
    for r in plan.resources
    for kind, urns in (("urn", [r.urn]), ("parent", [r.parent]), ("alias", r.aliases))
    for urn in urns
    if urn
]
wrong = [f"{name} {kind} {urn}" for name, kind, urn in named if not urn.startswith(prefix)]
assert not wrong, f"{len(wrong)} URNs don't start with {prefix}, e.g. {wrong[:3]}"
urns = {r.urn for r in plan.resources}
missing = [urn for urn in json.loads(expected) if urn not in urns]
assert not missing, f"the plan has no {missing}"
print(f"planned {len(plan.resources)} resources, {len(documents)} documents,", end=" ")
print(f"{len(named)} URNs under {prefix}")
"""


def expected_urns(stack: str, project: str) -> list[str]:
    """URNs the example's plan must hold, spelled out in the engine's form (urn/urn.go `New`)."""
    account, region = "111111111111", "us-east-1"
    parent_type = "session-manager:index:SessionManagerPreferences"
    return [
        f"urn:pulumi:{stack}::{project}::pulumi:providers:aws::aws-{account}",
        f"urn:pulumi:{stack}::{project}::{parent_type}$aws:ssm/document:Document"
        f"::session-manager-{account}-{region}-document",
    ]


def lowest_pins(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """`name==floor` for every runtime dependency: each must declare a `>=` floor."""
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins: list[str] = []
    for text in dependencies:
        requirement = Requirement(text)
        floors = [s.version for s in requirement.specifier if s.operator == ">="]
        if len(floors) != 1:
            raise SystemExit(f"pyproject.toml: {text!r} declares no single '>=' floor")
        pins.append(f"{requirement.name}=={floors[0]}")
    return sorted(pins)


def ensure_venv(venv: Path, pins: list[str]) -> Path:
    """The virtualenv with exactly the pins installed; reused while the pins are the same."""
    python = venv / "bin" / "python"
    stamp = venv / ".lowest-pins"
    wanted = "\n".join(pins) + "\n"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Wheels only: no compiler, and no sdist build that hides a missing wheel for long.
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--only-binary", ":all:", *pins],
        check=True,
    )
    stamp.write_text(wanted)
    return python


def ou_accounts(stack_file: Path = EXAMPLE) -> dict[str, list[str]]:
    """One made-up member account for each OU the stack targets."""
    targets = yaml.safe_load(stack_file.read_text())["config"]["session-manager:targets"]
    ous = [t["organizationalUnit"] for t in targets if "organizationalUnit" in t]
    if not ous:
        raise SystemExit(f"{stack_file.name} targets no organizational unit")
    return {ou: [f"{555555555555 + index}"] for index, ou in enumerate(ous)}


def installed(python: Path, names: list[str]) -> dict[str, str]:
    script = "import sys, importlib.metadata as m\nfor n in sys.argv[1:]: print(n, m.version(n))\n"
    out = subprocess.run(
        [str(python), "-c", script, *names], check=True, capture_output=True, text=True
    ).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="plan with the lowest declared versions")
    parser.add_argument(
        "--venv", type=Path, default=Path(os.environ.get("LOWEST_VENV", ROOT / ".venv" / "lowest"))
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    pins = lowest_pins()
    python = ensure_venv(args.venv, pins)
    versions = installed(python, [pin.split("==")[0] for pin in pins])
    wrong = [
        pin for pin in pins if Version(versions[pin.split("==")[0]]) != Version(pin.split("==")[1])
    ]
    if wrong:
        raise SystemExit(f"the lowest-versions virtualenv does not hold {', '.join(wrong)}")
    installed_at = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / name, Path(work) / name)
        shutil.copy(EXAMPLE, Path(work) / EXAMPLE.name)
        stack = EXAMPLE.name.removeprefix("Pulumi.").removesuffix(".yaml")
        # The project from this checkout, not an installed copy: only its dependencies vary.
        env = {**os.environ, "PYTHONPATH": str(ROOT / "components")}
        project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
        command = [
            str(python),
            "-c",
            PLAN_SCRIPT,
            work,
            stack,
            json.dumps(ou_accounts()),
            project,
            json.dumps(expected_urns(stack, project)),
        ]
        result = subprocess.run(command, env=env, check=False)
    print(
        f"lowest versions: {', '.join(pins)}; install {installed_at - started:.0f}s, "
        f"plan {time.monotonic() - installed_at:.0f}s"
    )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
