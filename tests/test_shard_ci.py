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


def test_the_deploy_verify_names_each_shard_whose_up_failed(tmp_path: Path) -> None:
    """Each shard's deploy job uploads its `pulumi up` exit code even when it failed
    (the job fails after the upload); the verify job's summary names the stack."""
    deploy = _jobs("deploy.yml")
    shard = deploy["organization-shards"]["steps"]
    upload = next(s for s in shard if str(s.get("uses", "")).startswith("actions/upload"))
    assert upload["with"]["name"] == "deploy-${{ matrix.part }}"
    assert shard[-1]["run"] == 'exit "$(cat out/status)"'
    verify = _runs(deploy["organization-shards-verify"])
    assert "shard_summary.py --reports deployed --prefix deploy" in verify
    assert '--stacks "$SHARDS"' in verify
    summary = _summary_module()
    _report(tmp_path, "deploy-0", 0, "up\n")
    _report(tmp_path, "deploy-1", 255, "error: ...\n")
    stacks = [{"part": str(i), "stack": f"org-shard-{i}"} for i in range(3)]
    text, passed = summary.summarize(tmp_path, "deploy", "org", stacks, ok={0}, title="up")
    assert not passed
    assert "| `org-shard-1` | FAILED (exit 255) |" in text
    assert "| `org-shard-2` | no report: its job failed before writing one |" in text


def _run_check_step(tmp_path: Path, job: str, outputs: dict[str, str], count: int) -> Any:
    """A deploy job's count check, run by bash in a checkout of the sharded example,
    with a `pulumi` on PATH that answers `stack output --json` from `outputs`."""
    import shutil
    import subprocess
    import sys

    project = tmp_path / "checkout"
    project.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    stack_file = ROOT / "examples/organization-shards/Pulumi.organization.yaml"
    text = stack_file.read_text().replace("    count: 4\n", f"    count: {count}\n")
    (project / stack_file.name).write_text(text)
    (project / ".venv/bin").mkdir(parents=True)
    python = project / ".venv/bin/python"  # the job's `make venv-locked`
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(outputs))
    fake = bin_dir / "pulumi"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = login ]; then exit 0; fi\n'
        # pulumi stack output --stack NAME --json
        f'exec "{sys.executable}" -c "import json,sys; print(json.load(open(sys.argv[1]))'
        f'[sys.argv[2]])" "{answers}" "$4"\n'
    )
    fake.chmod(0o755)
    steps = _jobs("deploy.yml")[job]["steps"]
    step = next(s for s in steps if str(s.get("name", "")).startswith("Check the stack"))
    script = tmp_path / "check.sh"
    script.write_text(step["run"])
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "STACK": "organization",
        "SHARD_STACK": "organization-shard-1",
        "PULUMI_BACKEND_URL": "file://state",
    }
    # GitHub runs `bash -e {0}` for a step with no shell.
    return subprocess.run(
        ["bash", "-e", str(script)], cwd=project, env=env, capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip


def test_the_deploy_jobs_stop_before_pulumi_up_while_the_count_changed(tmp_path: Path) -> None:
    four = json.dumps({"accounts": {}, "shardCount": 4})
    five = json.dumps({"accounts": {}, "shardCount": 5})
    # shards.count went 4 -> 5 in the file; the stacks still hold the 4-shard layout.
    shared = _run_check_step(tmp_path / "a", "organization", {"organization": four}, 5)
    assert shared.returncode == 1, shared.stderr
    assert "last deployed with shardCount 4" in shared.stderr
    shard = _run_check_step(
        tmp_path / "b",
        "organization-shards",
        {"organization": five, "organization-shard-1": four},
        5,
    )
    assert shard.returncode == 1, shard.stderr
    assert "own.json: that stack last deployed with shardCount 4" in shard.stderr
    # Once every stack was deployed by hand with the new count, CI deploys again.
    done = _run_check_step(
        tmp_path / "c",
        "organization-shards",
        {"organization": five, "organization-shard-1": five},
        5,
    )
    assert done.returncode == 0, done.stderr


def _condition(text: str, needs: dict[str, dict[str, Any]]) -> bool:
    """A job's `if`, as GitHub evaluates the few forms the workflows use: `&&`, `||`,
    `!`, parentheses, `==`/`!=` of strings, `needs.J.result`, `needs.J.outputs.X`,
    `vars.X`, `always()` and `success()`. With no status function, `success()` is
    implied; `success()` is true when every needed job succeeded; a need that was
    skipped, or never set an output, gives the empty string (GitHub Actions docs,
    "Evaluate expressions in workflows and actions", Status check functions;
    "Contexts reference", needs context: outputs of a job that didn't run are empty)."""
    import re

    text = text.strip().removeprefix("${{").removesuffix("}}").strip()
    if not re.search(r"\b(always|success|failure|cancelled)\(\)", text):
        text = f"success() && ({text})"
    all_succeeded = all(need["result"] == "success" for need in needs.values())
    tokens = re.findall(r"'[^']*'|&&|\|\||!=|==|!|\(|\)|[\w.()-]+", text)
    python: list[str] = []
    for token in tokens:
        if token in ("&&", "||"):
            python.append(" and " if token == "&&" else " or ")
        elif token in ("!=", "==", "(", ")"):
            python.append(f" {token} ")
        elif token == "!":
            python.append(" not ")
        elif token.startswith("'"):
            python.append(repr(token[1:-1]))
        elif token in ("always()", "success()"):
            python.append(repr(token == "always()" or all_succeeded))
        elif token.startswith("needs."):
            _, job, field, *rest = token.split(".")
            need = needs[job]
            found = need["result"] if field == "result" else need["outputs"].get(rest[0], "")
            python.append(repr(found))
        elif token.startswith("vars."):
            python.append(repr(""))
        else:
            raise AssertionError(f"can't evaluate {token!r} in {text!r}")
    return bool(eval("".join(python), {"__builtins__": {}}))


def test_no_shard_job_runs_when_the_stack_list_was_skipped_or_failed() -> None:
    """With no ORGANIZATION_STACK (or on a fork's pull request) the `shards` job is
    skipped; its outputs are then empty strings, so `count != '0'` alone is true and
    an `always()` summary would run on an empty stack list and fail every day."""
    for workflow, jobs in (
        ("drift.yml", ("verify-shards", "verify-shards-summary")),
        ("preview.yml", ("preview-shards", "preview-shards-summary")),
        ("deploy.yml", ("organization-shards", "organization-shards-verify")),
    ):
        defined = _jobs(workflow)
        for name in jobs:
            condition = defined[name]["if"]
            listed = defined[name]["needs"]
            listed = [listed] if isinstance(listed, str) else listed
            for result in ("skipped", "failure"):
                needs = {n: {"result": result, "outputs": {}} for n in listed}
                needs["shards"] = {"result": result, "outputs": {}}
                assert not _condition(condition, needs), (workflow, name, result)
            # Listed and sharded: each runs (after every need succeeded).
            needs = {n: {"result": "success", "outputs": {}} for n in listed}
            needs["shards"]["outputs"] = {"count": "4"}
            assert _condition(condition, needs), (workflow, name)
            # Listed, unsharded: none runs.
            needs["shards"]["outputs"] = {"count": "0"}
            assert not _condition(condition, needs), (workflow, name)
    # The summaries run when a shard failed: that failure is what they report.
    for workflow, summary, matrix in (
        ("drift.yml", "verify-shards-summary", "verify-shards"),
        ("preview.yml", "preview-shards-summary", "preview-shards"),
    ):
        needs = {
            "shards": {"result": "success", "outputs": {"count": "4"}},
            matrix: {"result": "failure", "outputs": {}},
        }
        assert _condition(_jobs(workflow)[summary]["if"], needs), workflow


def test_every_upload_of_a_matrix_job_overwrites_its_artifact_on_a_rerun() -> None:
    """Re-running a failed shard job uploads its report again under the same name:
    actions/upload-artifact v4 refuses that unless `overwrite: true` ("If false, the
    action will fail if an artifact for the given name already exists", its action.yml,
    input `overwrite`, in v4.6.2 ea165f8d; the run fails with "(409) Conflict: an
    artifact with this name already exists on the workflow run"), and the summary
    would read the first attempt's status. Every upload in every workflow overwrites:
    any job can be re-run; at least the shard matrices' ones are checked to be there."""
    in_matrix: list[str] = []
    for path in sorted((ROOT / ".github/workflows").glob("*.yml")):
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            for step in job.get("steps", []):
                if not str(step.get("uses", "")).startswith("actions/upload-artifact@"):
                    continue
                where = f"{path.name} {name} {step['with']['name']}"
                assert step["with"].get("overwrite") is True, where
                if "matrix" in (job.get("strategy") or {}):
                    in_matrix.append(f"{path.name} {name}")
    assert {
        "deploy.yml organization-shards",
        "drift.yml verify-shards",
        "preview.yml preview-shards",
        "preview.yml offline-plan",
    } <= set(in_matrix)
