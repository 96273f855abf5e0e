"""The GitHub workflows validate offline, and keep their security properties."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(executable), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def test_every_workflow_matches_githubs_schema() -> None:
    assert {p.name for p in WORKFLOWS} >= {"preview.yml", "deploy.yml", "drift.yml", "ci.yml"}
    result = validate(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validation_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert validate(broken).returncode != 0


def test_pull_requests_preview_per_stack_without_trusting_forks() -> None:
    workflow = load("preview.yml")
    assert workflow["permissions"] == {"contents": "read"}
    offline, preview = workflow["jobs"]["offline-plan"], workflow["jobs"]["preview"]
    assert "id-token" not in offline["permissions"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    # Not the deploy group: a newer run in a group cancels the pending one (see test_ci_backend).
    assert preview["concurrency"]["group"] == "session-manager-preview-${{ matrix.stack }}"
    pulumi_step = next(
        s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")
    )
    assert pulumi_step["with"]["command"] == "preview"
    assert pulumi_step["with"]["comment-on-pr"] is True


def test_merges_deploy_through_environments_and_schedule_verifies() -> None:
    deploy = load("deploy.yml")["jobs"]["up"]
    assert deploy["environment"] == "${{ matrix.stack }}"
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}
    assert deploy["concurrency"]["group"] == "session-manager-${{ matrix.stack }}"
    drift = load("drift.yml")
    assert drift["on"]["schedule"]
    run = next(
        s["run"] for s in drift["jobs"]["verify"]["steps"] if "run" in s and "verify" in s["run"]
    )
    assert "exit $status" in run
    assert "GITHUB_STEP_SUMMARY" in run
    # The Markdown report (accounts x Regions, then the drift) is what the summary shows.
    assert "--format markdown > report.md" in run
    assert 'cat report.md >> "$GITHUB_STEP_SUMMARY"' in run
    assert "--ou-accounts" not in run  # OU accounts are read from AWS Organizations


def test_ci_workflow_runs_the_ci_script() -> None:
    steps = load("ci.yml")["jobs"]["test"]["steps"]
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def test_organization_changes_deploy_then_verify_in_the_stacks_group() -> None:
    """accountEvents' repository_dispatch (and the daily schedule) run up, then verify."""
    workflow = load("deploy.yml")
    assert workflow["on"]["repository_dispatch"]["types"] == ["session-manager-accounts-changed"]
    assert workflow["on"]["schedule"]
    up, organization = workflow["jobs"]["up"], workflow["jobs"]["organization"]
    # Merges still deploy every stack; events and the schedule only the organization stack.
    assert "repository_dispatch" not in up["if"]
    assert "schedule" not in up["if"]
    assert "repository_dispatch" in organization["if"]
    # The daily reconcile is on unless turned off: an unset variable is '' in expressions
    # (GitHub Actions docs, "Contexts": vars), so only "false" stops it.
    assert "vars.RECONCILE_DAILY != 'false'" in organization["if"]
    assert organization["concurrency"] == {
        "group": "session-manager-${{ vars.ORGANIZATION_STACK }}",
        "cancel-in-progress": False,
    }
    assert organization["permissions"] == {"contents": "read", "id-token": "write"}
    steps = organization["steps"]
    up_index = next(
        i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("pulumi/actions")
    )
    assert steps[up_index]["with"]["command"] == "up"
    verify_index = next(i for i, s in enumerate(steps) if "verify --stack" in s.get("run", ""))
    assert verify_index > up_index
    assert "exit $status" in steps[verify_index]["run"]
    # The payload never reaches a script except through the environment.
    for step in steps:
        assert "client_payload" not in step.get("run", "")


def run_payload_check(tmp_path: Path, **payload: str) -> subprocess.CompletedProcess[str]:
    """The organization job's first step, run by bash with a dispatch's environment."""
    steps = load("deploy.yml")["jobs"]["organization"]["steps"]
    step = next(s for s in steps if s.get("name") == "Check the event is for this stack")
    assert step["shell"] == "bash"
    script = tmp_path / "check.sh"
    script.write_text(step["run"])
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": "repository_dispatch",
        "STACK": "organization",
        "PAYLOAD_STACK": "organization",
        "PAYLOAD_EVENT": "MoveAccount",
        "PAYLOAD_ACCOUNT": "111111111111",
        **payload,
    }
    # GitHub runs `bash -e {0}` for `shell: bash` steps.
    return subprocess.run(
        ["bash", "-e", str(script)], env=env, capture_output=True, text=True, check=False
    )


def test_the_dispatch_payload_is_checked_before_it_is_printed(tmp_path: Path) -> None:
    """The payload comes from whoever holds the token: only expected shapes pass."""
    good = run_payload_check(tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Deploying organization after MoveAccount (account 111111111111)" in good.stdout
    # An OU event carries no account; a stack may be org/project/stack.
    assert run_payload_check(tmp_path, PAYLOAD_ACCOUNT="").returncode == 0
    nested = run_payload_check(tmp_path, STACK="acme/sm/org", PAYLOAD_STACK="acme/sm/org")
    assert nested.returncode == 0
    bad = {
        "PAYLOAD_STACK": "org\n::add-mask::x",
        "PAYLOAD_ACCOUNT": "1111111111112",
        "PAYLOAD_EVENT": "Move Account",
    }
    for key, value in bad.items():
        result = run_payload_check(tmp_path, **{key: value})
        assert result.returncode == 1, key
        assert "::error::the dispatch payload's " in result.stdout, key
        assert value not in result.stdout, key  # never echoed back
    assert run_payload_check(tmp_path, PAYLOAD_EVENT="x" * 65).returncode == 1
    other = run_payload_check(tmp_path, PAYLOAD_STACK="dev")
    assert other.returncode == 1
    assert "is for stack 'dev'" in other.stdout
    # The daily reconcile has no payload and is not checked against one.
    reconcile = run_payload_check(
        tmp_path, GITHUB_EVENT_NAME="schedule", PAYLOAD_STACK="", PAYLOAD_EVENT=""
    )
    assert reconcile.returncode == 0
    assert "after the daily reconcile" in reconcile.stdout
