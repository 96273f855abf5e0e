"""CI that works with a self-managed backend: secrets provider, ordering, locking, pinning."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^\s*-?\s*uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")
STACK_GROUP = "session-manager-${{ matrix.stack }}"


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on` as True
    return workflow


def job_lines(name: str, job: str) -> list[str]:
    """The raw lines of one job, comments included."""
    lines = (WORKFLOWS / name).read_text().splitlines()
    start = lines.index(f"  {job}:")
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^  \S", lines[i])), len(lines)
    )
    return lines[start:end]


def deployed_stacks() -> set[str]:
    stacks: set[str] = set()
    for name, job in (("deploy.yml", "up"), ("preview.yml", "preview"), ("drift.yml", "verify")):
        stacks |= {
            item["stack"] for item in load(name)["jobs"][job]["strategy"]["matrix"]["include"]
        }
    return stacks


def test_jobs_holding_an_id_token_pin_every_action_to_a_commit() -> None:
    checked = 0
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_name, job in load(path.name)["jobs"].items():
            if job.get("permissions", {}).get("id-token") != "write":
                continue
            uses = [line for line in job_lines(path.name, job_name) if "uses:" in line]
            assert uses
            for line in uses:
                assert PINNED.match(line), f"{path.name} {job_name}: {line.strip()}"
                checked += 1
    assert checked >= 10


def test_the_pin_check_can_fail() -> None:
    assert not PINNED.match("      - uses: pulumi/actions@v6")
    assert not PINNED.match("      - uses: pulumi/actions@8582a9e8cc630786854029b4e09281acd6794b58")
    assert PINNED.match(
        "      - uses: pulumi/actions@8582a9e8cc630786854029b4e09281acd6794b58 # v6.6.1"
    )


def test_deploy_runs_only_after_ci_passed_on_that_commit() -> None:
    ci_name = load("ci.yml")["name"]
    deploy = load("deploy.yml")
    assert "push" not in deploy["on"]
    assert deploy["on"]["workflow_run"] == {
        "workflows": [ci_name],
        "types": ["completed"],
        "branches": ["main"],
    }
    gate = deploy["jobs"]["gate"]
    assert "github.event.workflow_run.conclusion == 'success'" in gate["if"]
    assert "github.event.workflow_run.event == 'push'" in gate["if"]
    # By hand or from accountEvents: main only.
    assert (
        "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'"
        in (gate["if"])
    )
    # Actions: read lists ci's runs of one commit; Contents: read reads main's branch ref.
    assert gate["permissions"] == {"actions": "read", "contents": "read"}
    # Every path to `pulumi up` goes through the gate and deploys the commit it found.
    for name in ("up", "organization"):
        job = deploy["jobs"][name]
        assert job["needs"] == "gate", name
        assert job["if"].startswith("needs.gate.outputs.deploy == 'true' && "), name
        checkout = next(
            s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")
        )
        assert checkout["with"]["ref"] == "${{ needs.gate.outputs.sha }}", name
        assert checkout["with"]["persist-credentials"] is False, name
    # A sharded organization's jobs (docs/shards.md) come after the gate and the shared
    # stack's deploy, and deploy the same commit.
    for name in ("shards", "organization-shards", "organization-shards-verify"):
        job = deploy["jobs"][name]
        if name == "shards":  # lists the stacks from the file of the commit deployed
            assert job["needs"] == "gate"
            assert job["if"] == deploy["jobs"]["organization"]["if"]
            continue
        assert job["needs"][:2] == ["gate", "organization"], name
        checkout = next(
            s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")
        )
        assert checkout["with"]["ref"] == "${{ needs.gate.outputs.sha }}", name
    assert set(deploy["jobs"]) == {
        "gate",
        "up",
        "organization",
        "shards",
        "organization-shards",
        "organization-shards-verify",
    }


# The gate's step itself runs under bash against a fake GitHub in test_workflows.py.


def test_preview_uses_its_own_read_only_role_never_the_deploy_role() -> None:
    """Pull-request code gets an id token with sub `repo:OWNER/REPO:pull_request`; a deploy
    job in an environment gets `repo:OWNER/REPO:environment:NAME` (GitHub docs, "OpenID
    Connect reference", example subject claims). Each role trusts one of them only."""
    preview = load("preview.yml")["jobs"]["preview"]
    assert "environment" not in preview
    preview_roles = {i["role"] for i in preview["strategy"]["matrix"]["include"]}
    deploy = load("deploy.yml")["jobs"]
    deploy_roles = {i["role"] for i in deploy["up"]["strategy"]["matrix"]["include"]}
    assert preview_roles
    assert all(r.startswith("AWS_PREVIEW_ROLE_ARN_") for r in preview_roles)
    assert not preview_roles & deploy_roles
    assert all(r.startswith("AWS_ROLE_ARN_") for r in deploy_roles)
    # Every job holding a deploy role runs in an environment.
    assert deploy["up"]["environment"] == "${{ matrix.stack }}"
    assert deploy["organization"]["environment"] == "${{ vars.ORGANIZATION_STACK }}"
    readme = (ROOT / "docs/gitops.md").read_text()
    assert '"token.actions.githubusercontent.com:sub": "repo:<org>/<repo>:pull_request"' in readme
    assert (
        '"token.actions.githubusercontent.com:sub": "repo:<org>/<repo>:environment:prod"' in readme
    )
    # No trust policy in the README lets one role be assumed by both.
    assert '"repo:<org>/<repo>:environment:prod",\n' not in readme


def test_deploys_share_one_group_per_stack_and_drift_takes_its_own() -> None:
    """Drift is read-only: in the deploy's group, its queueing would cancel a pending
    deploy (GitHub docs, "Control the concurrency of workflows and jobs"; see below)."""
    concurrency = load("deploy.yml")["jobs"]["up"]["concurrency"]
    # Nothing may cancel a running `pulumi up`.
    assert concurrency == {"group": STACK_GROUP, "cancel-in-progress": False}
    drift = load("drift.yml")["jobs"]["verify"]["concurrency"]
    assert drift == {
        "group": "session-manager-verify-${{ matrix.stack }}",
        "cancel-in-progress": False,
    }
    organization = load("deploy.yml")["jobs"]["organization"]["concurrency"]
    assert organization == {
        "group": "session-manager-${{ vars.ORGANIZATION_STACK }}",
        "cancel-in-progress": False,
    }


def test_preview_cannot_replace_a_pending_deploy() -> None:
    """A pull request's preview never shares a group with deploy or drift.

    GitHub keeps at most one running and one pending job per concurrency group: "Any
    existing pending job or workflow in the same concurrency group, if it exists, will
    be canceled and the new queued job or workflow will take its place" (GitHub docs,
    "Control the concurrency of workflows and jobs"). A preview in the deploy group
    could so drop a pending deploy, such as one an organization change started. A
    preview needs no lock: the DIY backend's Preview runs without taking the stack
    lock, Update takes it (pulumi/pulumi pkg/backend/diy/backend.go).
    """
    preview = load("preview.yml")["jobs"]["preview"]["concurrency"]
    assert preview == {
        "group": (
            "session-manager-preview-${{ github.event.pull_request.number }}-${{ matrix.stack }}"
        ),
        "cancel-in-progress": False,
    }
    groups = {
        load(name)["jobs"][job]["concurrency"]["group"]
        for name, job in (
            ("deploy.yml", "up"),
            ("deploy.yml", "organization"),
            ("drift.yml", "verify"),
        )
    }
    # Group names are case-insensitive, and neither stack expression may produce the other.
    assert not any(g.lower().startswith("session-manager-preview-") for g in groups)
    assert preview["group"].lower() not in {g.lower() for g in groups}


def test_deployed_stacks_use_a_kms_secrets_provider() -> None:
    stacks = deployed_stacks()
    assert stacks
    for stack in stacks:
        document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        assert document["secretsprovider"].startswith("awskms://"), stack
        assert "encryptionsalt" not in document  # the passphrase provider's line
        key = document["encryptedkey"]
        if key:
            # pulumi/pulumi pkg/secrets/cloud/manager.go writes the data key's KMS
            # ciphertext, base64-encoded; KMS ciphertext blobs start 01 02 02 00 78.
            assert base64.b64decode(key, validate=True)[:5] == bytes.fromhex("0102020078")


def test_pull_requests_get_the_plan_diff_against_the_base_branch() -> None:
    preview = load("preview.yml")
    offline = preview["jobs"]["offline-plan"]
    assert "id-token" not in offline["permissions"]
    base = next(s for s in offline["steps"] if s.get("with", {}).get("path") == "base")
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    run = next(s["run"] for s in offline["steps"] if "--diff" in s.get("run", ""))
    assert "tail" not in run
    assert '--diff "base-$STACK.json" > "diff-$STACK.txt" || status=$?' in run
    assert 'cat "diff-$STACK.txt"; echo' in run
    assert "GITHUB_STEP_SUMMARY" in run
    # A diff the engine refuses (exit 1) fails the job, but only once it is shown and kept.
    assert run.rstrip().endswith('exit "$status"')
    upload = next(s for s in offline["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "${{ !cancelled() }}"

    comment = load("preview-comment.yml")
    assert comment["on"]["workflow_run"]["workflows"] == [preview["name"]]
    assert comment["permissions"] == {"contents": "read"}
    job = comment["jobs"]["comment"]
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}
    # It runs with write access, so it must never run the pull request's code: only the
    # default branch's comment builder (tests/test_workflows.py renders its output).
    uses = [step for step in job["steps"] if "uses" in step]
    assert len(uses) == 1
    assert uses[0]["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert "make" not in script
    assert "pip" not in script
    assert "headRefOid" in script
