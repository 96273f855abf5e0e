"""CI for a sharded organization: one job per stack, side by side, one summary.

GitHub evaluates a job's `if` before expanding its matrix, `include` adds a
combination when no existing one matches it, and `fail-fast: false` keeps the other
matrix jobs running when one fails (GitHub Actions docs, "Using a matrix for your
jobs"). The Pulumi CLI's `--config-file` makes a stack read another stack's file
(pulumi/pulumi pkg/cmd/pulumi/operations/up.go, preview.go: flag "config-file").
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _jobs(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".github/workflows" / name).read_text())["jobs"]


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_each_workflow_runs_one_job_per_stack_without_fail_fast() -> None:
    for workflow, job, summary in (
        ("drift.yml", "verify-shards", "verify-shards-summary"),
        ("preview.yml", "preview-shards", "preview-shards-summary"),
        ("deploy.yml", "organization-shards", "organization-shards-verify"),
    ):
        jobs = _jobs(workflow)
        matrix = jobs[job]["strategy"]
        assert matrix["fail-fast"] is False, workflow
        assert matrix["matrix"]["shard"] == "${{ fromJSON(vars.ORGANIZATION_SHARDS) }}"
        assert "vars.ORGANIZATION_SHARDS != ''" in jobs[job]["if"]
        # The summary runs whatever the shards did, and reports each of them.
        assert jobs[summary]["if"].startswith("always() && ")
        assert job in jobs[summary]["needs"]
        # Matrix values reach scripts only through the environment.
        assert "${{" not in _runs(jobs[job]) + _runs(jobs[summary])


def test_shard_stacks_run_with_the_organizations_stack_file() -> None:
    preview, deploy = _jobs("preview.yml")["preview-shards"], _jobs("deploy.yml")
    for job in (preview, deploy["organization-shards"]):
        commands = [line for line in _runs(job).splitlines() if "pulumi " in line]
        pulumi_runs = [c for c in commands if "pulumi preview" in c or "pulumi up" in c]
        assert pulumi_runs
        script = _runs(job)
        assert '--config-file "Pulumi.$STACK.yaml"' in script
        assert "$STACK-shard-$SHARD" in script
    # The shared stack first: the shards read its central key by stack reference.
    assert deploy["organization-shards"]["needs"] == ["gate", "organization"]
    # Preview and drift cover the shared stack too.
    for workflow, job in (("preview.yml", "preview-shards"), ("drift.yml", "verify-shards")):
        assert _jobs(workflow)[job]["strategy"]["matrix"]["include"] == [{"shard": "shared"}]


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
    parts = ["shared", "0", "1", "2"]
    text, passed = summary.summarize(tmp_path, "drift", "org", parts, ok={0, 5}, title="Drift")
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
         "--shards", "[0, 1, 2]", "--ok", "0,5", "--title", "Drift"]
    ) == 0  # fmt: skip
