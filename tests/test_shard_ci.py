"""CI for a sharded organization: one job per stack, side by side, one summary.

GitHub evaluates a job's `if` before expanding its matrix, `include` adds a
combination when no existing one matches it, and `fail-fast: false` keeps the other
matrix jobs running when one fails (GitHub Actions docs, "Using a matrix for your
jobs"). The Pulumi CLI's `--config-file` makes a stack read another stack's file
(pulumi/pulumi pkg/cmd/pulumi/operations/up.go, preview.go: flag "config-file").
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _jobs(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".github/workflows" / name).read_text())["jobs"]


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_each_workflow_runs_one_job_per_stack_of_the_stack_file_without_fail_fast() -> None:
    """The matrix comes from the stack file (`shards --json`), never from a variable
    to keep in step: a new shard is deployed, previewed and checked as soon as
    shards.count says so. `include` of a list of objects makes one job per object
    (GitHub Actions docs, "Using a matrix for your jobs", Expanding or adding matrix
    configurations; fromJSON, "Evaluate expressions in workflows and actions")."""
    for workflow, job, summary, listed in (
        ("drift.yml", "verify-shards", "verify-shards-summary", "stacks"),
        ("preview.yml", "preview-shards", "preview-shards-summary", "stacks"),
        ("deploy.yml", "organization-shards", "organization-shards-verify", "shards"),
    ):
        jobs = _jobs(workflow)
        text = (ROOT / ".github/workflows" / workflow).read_text()
        assert "ORGANIZATION_SHARDS" not in text, workflow
        matrix = jobs[job]["strategy"]
        assert matrix["fail-fast"] is False, workflow
        assert matrix["matrix"] == {
            "include": f"${{{{ fromJSON(needs.shards.outputs.{listed}) }}}}"
        }
        assert "shards" in jobs[job]["needs"]
        assert "needs.shards.outputs.count != '0'" in jobs[job]["if"]
        lister = _runs(jobs["shards"])
        assert 'session_manager shards --stack "$STACK" --json' in lister
        assert f'echo "{listed}=$(jq -c .{listed} shards.json)"' in lister
        # The summary runs whatever the shards did, and reports each of them.
        assert jobs[summary]["if"].startswith("always() && ")
        assert job in jobs[summary]["needs"]
        # Matrix values and job outputs reach scripts only through the environment.
        assert "${{" not in _runs(jobs[job]) + _runs(jobs[summary]) + lister


def test_shard_stacks_run_with_the_organizations_stack_file() -> None:
    preview, deploy = _jobs("preview.yml")["preview-shards"], _jobs("deploy.yml")
    for job, stack_var in (
        (preview, "$PART_STACK"),
        (deploy["organization-shards"], "$SHARD_STACK"),
    ):
        script = _runs(job)
        assert '--config-file "Pulumi.$STACK.yaml"' in script
        assert f'--stack "{stack_var}"' in script
    # The shared stack first: the shards read its central key by stack reference.
    assert deploy["organization-shards"]["needs"][:2] == ["gate", "organization"]


def test_deploys_check_the_count_their_stacks_deployed_with_before_pulumi_up() -> None:
    """Changing shards.count needs `pulumi state move` steps first; an accountEvents
    deploy or the daily reconcile in between must not run `pulumi up` (docs/shards.md)."""
    deploy = _jobs("deploy.yml")
    for name, checked in (
        ("organization", ["deployed.json"]),
        ("organization-shards", ["shared.json", "own.json"]),
    ):
        steps = deploy[name]["steps"]
        names = [str(s.get("name", s.get("uses", s.get("run")))) for s in steps]
        check = next(i for i, n in enumerate(names) if n.startswith("Check the stack"))
        up = next(
            i for i, s in enumerate(steps)
            if s.get("with", {}).get("command") == "up" or "pulumi up --yes" in str(s.get("run"))
        )  # fmt: skip
        assert check < up, name
        script = str(steps[check]["run"])
        for outputs in checked:
            assert f"--check-deployed {outputs}" in script, name
            assert f"--json > {outputs}" in script, name
        assert "|| true" not in script


def _summary_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "shard_summary", ROOT / ".github/scripts/shard_summary.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(folder: Path, name: str, status: int, text: str) -> None:
    (folder / name).mkdir(parents=True)
    (folder / name / "status").write_text(f"{status}\n")
    (folder / name / "report.md").write_text(text)


def test_the_summary_reports_every_stack_and_fails_on_a_failed_or_missing_one(
    tmp_path: Path,
) -> None:
    summary = _summary_module()
    _report(tmp_path, "drift-shared", 0, "in sync\n")
    _report(tmp_path, "drift-0", 5, "cosmetic\n")
    _report(tmp_path, "drift-1", 4, "breaks sessions\n")
    stacks = [{"part": "shared", "stack": "org"}] + [
        {"part": str(i), "stack": f"org-shard-{i}"} for i in range(3)
    ]
    text, passed = summary.summarize(tmp_path, "drift", "org", stacks, ok={0, 5}, title="Drift")
    assert not passed
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `org` | ok (exit 0) |",
        "| `org-shard-0` | ok (exit 5) |",
        "| `org-shard-1` | FAILED (exit 4) |",
        "| `org-shard-2` | no report: its job failed before writing one |",
    ]
    assert text.index("in sync") < text.index("cosmetic") < text.index("breaks sessions")
    _report(tmp_path, "drift-2", 0, "ok\n")
    (tmp_path / "drift-1" / "status").write_text("0\n")
    assert summary.main(
        ["--reports", str(tmp_path), "--prefix", "drift", "--stack", "org",
         "--stacks", json.dumps(stacks), "--ok", "0,5", "--title", "Drift"]
    ) == 0  # fmt: skip
    # No stack listed: the job that lists them failed, and so does the summary.
    assert summary.main(
        ["--reports", str(tmp_path), "--prefix", "drift", "--stack", "org",
         "--stacks", "", "--title", "Drift"]
    ) == 1  # fmt: skip
