"""Plan the dev stack and every example as Terraform plan JSON, and judge them with checkov.

`make scan-plans` runs this with the project's virtualenv; checkov runs from its own
(checkov/.venv). A failed check fails the scan unless allowlist.yaml names it with a
reason; an allow-listed check that no longer fails anywhere fails it too, so the list
stays true.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from session_manager.offline.plan import Plan, run_plan
from session_manager.offline.shard_plan import (
    PlanRequest,
    PlanUnit,
    plan_part,
    sharding,
    shared_stack,
)
from session_manager.offline.terraform_plan import format_terraform_plan

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
CHECKOV = HERE / ".venv" / "bin" / "checkov"


def read_allowlist(path: Path = HERE / "allowlist.yaml") -> dict[str, str]:
    """Check id -> the reason it is accepted; every entry needs a reason."""
    loaded: Any = yaml.safe_load(path.read_text()) or {}
    if not isinstance(loaded, dict):
        raise SystemExit(f"{path.name} must map check ids to reasons")
    entries: dict[str, str] = {}
    for check, reason in loaded.items():  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(reason, str) or len(reason.split()) < 5:
            raise SystemExit(f"{path.name}: {check} needs a reason (a sentence saying why)")
        entries[str(check)] = reason  # pyright: ignore[reportUnknownArgumentType]
    return entries


def write_plans(out: Path) -> list[Path]:
    """The dev stack's, the consumer example's and every example stack file's plan."""
    written: list[Path] = []

    def write(name: str, plan: Plan) -> None:
        path = out / f"{name}.json"
        path.write_text(format_terraform_plan(plan) + "\n")
        written.append(path)

    write("dev", run_plan(ROOT, "dev"))
    write("consumer-dev", run_plan(ROOT / "examples" / "consumer", "dev"))
    for stack_file in sorted(ROOT.glob("examples/*/Pulumi.*.yaml")):
        if stack_file.parent.name == "consumer":
            continue
        stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
        with tempfile.TemporaryDirectory() as project:
            for name in ("Pulumi.yaml", "__main__.py"):
                shutil.copy(ROOT / name, Path(project) / name)
            shutil.copy(stack_file, Path(project) / stack_file.name)
            for policy in stack_file.parent.glob("*.cedar"):  # its policy files
                shutil.copy(policy, Path(project) / policy.name)
            sharded = sharding(project, stack)
            if sharded is None:
                write(f"{stack_file.parent.name}-{stack}", run_plan(Path(project), stack))
                continue
            # A sharded organization (docs/shards.md): the shared stack and every shard.
            request = PlanRequest(project, stack)
            shared = shared_stack(request, sharded)
            for part in sharded.parts():
                plan = plan_part(PlanUnit(request, part, shared))
                if plan.resources:  # a shard no account hashes to holds nothing to judge
                    write(f"{stack_file.parent.name}-{part.name}", plan)
    return written


def failed_checks(plans: list[Path]) -> list[dict[str, Any]]:
    """checkov's failed checks over the plans, offline (--skip-download)."""
    command = [str(CHECKOV), "--framework", "terraform_plan", "--skip-download", "-o", "json"]
    for plan in plans:
        command += ["-f", str(plan)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        raise SystemExit(f"checkov failed to run:\n{result.stderr[-2000:]}")
    reports: Any = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed: list[dict[str, Any]] = []
    for report in reports:
        summary = report["summary"]
        if summary["parsing_errors"]:
            raise SystemExit(f"checkov could not parse a plan: {summary}")
        failed += report["results"]["failed_checks"]
    return failed


def judge(failed: list[dict[str, Any]], allowlist: dict[str, str]) -> list[str]:
    """Problems: failed checks no reason accepts, and accepted checks that no longer fail."""
    problems = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} "
        f"({Path(check['file_path']).name})"
        for check in failed
        if check["check_id"] not in allowlist
    ]
    fired = {check["check_id"] for check in failed}
    problems += [
        f"{check} is in allowlist.yaml but no plan fails it any more: remove it"
        for check in sorted(set(allowlist) - fired)
    ]
    return problems


def main() -> int:
    allowlist = read_allowlist()
    with tempfile.TemporaryDirectory() as out:
        plans = write_plans(Path(out))
        failed = failed_checks(plans)
    problems = judge(failed, allowlist)
    for problem in problems:
        print(problem, file=sys.stderr)
    accepted = sorted({c["check_id"] for c in failed} & set(allowlist))
    print(
        f"checkov on {len(plans)} plans: {len(failed)} failed checks, "
        f"all accepted by allowlist.yaml ({', '.join(accepted) or 'none'})"
        if not problems
        else f"checkov: {len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
