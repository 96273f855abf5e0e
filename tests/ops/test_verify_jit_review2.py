"""verify and adopt of the just-in-time approval policies: the second review's findings.

- Cedar is compared as Cedar, not as text with whitespace folded. Cedar's grammar
  (docs.cedarpolicy.com/policies/syntax-grammar.html: "The grammar ignores whitespace
  and comments"; a `//` comment runs to the end of its line), so a newline inserted
  after `//` turns the rest of the line into a statement. cedarpy (Cedar's own engine)
  parses both texts.
- "Create approval policies for your nodes" (Systems Manager User Guide,
  systems-manager-just-in-time-node-access-approval-policies.html): if two manual
  approval policies apply to one node through its tags, requests to that node fail.
- "Create an auto-approval policy" (...-create-auto-approval-policies.html): "You can
  only have one auto-approval policy per AWS account and AWS Region". AWS's own sample
  (aws-samples/cloud-operations-best-practices, just-in-time-cfn-approval-policies.yaml)
  names its `SSM-JustInTimeAccessAutoApprovalPolicy`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ops.test_emulate_jit import (
    ACCOUNT,
    CREDENTIALS,
    MANUAL,
    PERMIT_ALL,
    POLICY,
    check,
    deployed,  # noqa: F401  (a fixture)
    findings,
    held,
    project,
    replace_policy,
    ssm_in,
    with_cedar,
)
from session_manager.cli import main
from session_manager.offline.load import load_plan
from session_manager.offline.plan import Plan, PlannedResource
from session_manager.ops.adopt import find_existing, other_auto_approvals, review
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.jit import CedarText, policy_content
from session_manager.ops.drift.severity import BREAKS_SESSIONS, WEAKENS_SECURITY
from session_manager.ops.emulate import Emulator
from session_manager.ops.emulate_jit import (  # pyright: ignore[reportPrivateUsage]
    _original_info,
    emulator_refusal,
)
from session_manager.ops.verify import IN_SYNC

SAMPLE_AUTO_APPROVAL = "SSM-JustInTimeAccessAutoApprovalPolicy"


def planned_auto(plan: Plan, account: str = ACCOUNT) -> PlannedResource:
    return next(
        r for r in plan.resources if r.inputs.get("name") == POLICY and f"-{account}-" in r.name
    )


def comment_out_permit_all(plan: Plan) -> tuple[str, str]:
    """The plan's Cedar text with a commented-out permit-all appended, and the same text
    with one newline after the `//`: that one permits everyone everywhere."""
    (entry,) = planned_auto(plan).inputs["content"]["AutoApprovalPolicyDocuments"]
    original = str(entry["content"])
    entry["content"] = f"{original}\n// {PERMIT_ALL}\n"
    return str(entry["content"]), f"{original}\n//\n{PERMIT_ALL}\n"


def test_a_newline_that_uncomments_a_permit_is_drift(deployed: tuple[Plan, str]) -> None:  # noqa: F811
    """The reviewer's reproduction: whitespace folding made these two texts equal."""
    plan, url = deployed
    _, enabled = comment_out_permit_all(plan)
    replace_policy(url, with_cedar(held(url), enabled))
    report = check(plan, url)
    assert findings(report) == [(ACCOUNT, f"document {POLICY}", "content", WEAKENS_SECURITY)]
    assert report.exit_code == 1
    (drift,) = [d for r in report.results for d in r.drifts]
    # Only the differing field is shown, not the whole document.
    assert set(drift.wanted) == {"AutoApprovalPolicyDocuments.0.content"}
    assert set(drift.actual) == {"AutoApprovalPolicyDocuments.0.content"}


def test_reindented_crlf_cedar_with_comments_stays_in_sync(
    deployed: tuple[Plan, str],  # noqa: F811
) -> None:
    plan, url = deployed
    commented, _ = comment_out_permit_all(plan)
    moved = "\r\n".join("\t" + line + "  " for line in commented.split("\n"))
    replace_policy(url, with_cedar(held(url), moved))
    assert check(plan, url).exit_code == IN_SYNC


def test_adopt_does_not_call_an_uncommented_permit_identical(
    emulator_url: str, tmp_path: Path
) -> None:
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)
    _, enabled = comment_out_permit_all(plan)
    content = dict(planned_auto(plan).inputs["content"])
    ssm_in(emulator_url).create_document(
        Name=POLICY,
        Content=yaml.safe_dump(with_cedar(content, enabled)),
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="YAML",
    )
    existing = find_existing(plan, AwsAccess(emulator_url, credentials=CREDENTIALS))
    text = review([e for e in existing if e.account == ACCOUNT])
    assert "identical to the wanted document" not in text
    assert "AutoApprovalPolicyDocuments: current" in text


def test_cedar_that_does_not_parse_is_compared_as_text() -> None:
    """Only CRLF and trailing whitespace are normalized: a newline after `//` is not."""
    broken = "permit (principal, action, resource) // unfinished\nwhen {"
    assert CedarText(broken) == CedarText(broken.replace("\n", "  \r\n") + "\n")
    assert CedarText(broken) != CedarText(broken.replace("// ", "//\n"))
    assert CedarText(broken) != CedarText(PERMIT_ALL)
    wanted = {"AutoApprovalPolicyDocuments": [{"type": "Cedar", "content": PERMIT_ALL}]}
    assert policy_content(wanted, "YAML") == policy_content(
        {"AutoApprovalPolicyDocuments": [{"type": "Cedar", "content": f"  {PERMIT_ALL}\r\n"}]},
        "YAML",
    )


def console_manual_policy(url: str, targets: list[dict[str, Any]]) -> None:
    content = held(url, MANUAL)
    content["targets"] = targets
    ssm_in(url).create_document(
        Name="console-manual-approval",
        Content=yaml.safe_dump(content),
        DocumentType="ManualApprovalPolicy",
        DocumentFormat="YAML",
    )


@pytest.mark.parametrize(
    ("targets", "overlaps"),
    [
        ([{"Key": "tag:Environment", "Values": ["production"]}], True),  # the same tag
        ([{"Key": "tag:Team", "Values": ["sre"]}], True),  # another key: a node has both
        ([{"Key": "tag:Environment", "Values": ["dev"]}], False),  # one key, another value
        ([], False),  # every node: a tag-targeted policy is favoured over it
    ],
)
def test_an_undeclared_manual_policy_that_can_overlap_breaks_sessions(
    deployed: tuple[Plan, str],  # noqa: F811
    targets: list[dict[str, Any]],
    overlaps: bool,
) -> None:
    plan, url = deployed
    console_manual_policy(url, targets)
    report = check(plan, url)
    if not overlaps:
        assert report.exit_code == IN_SYNC
        return
    assert findings(report) == [
        (ACCOUNT, "document console-manual-approval", "targets", BREAKS_SESSIONS)
    ]
    assert report.exit_code == 4
    (drift,) = [d for r in report.results for d in r.drifts]
    assert "aws ssm delete-document --name console-manual-approval" in drift.fix
    assert "session-manager adopt" in drift.fix


def test_verify_tells_how_to_keep_a_differently_named_auto_approval(
    deployed: tuple[Plan, str],  # noqa: F811
) -> None:
    plan, url = deployed
    ssm_in(url).create_document(
        Name=SAMPLE_AUTO_APPROVAL,
        Content=yaml.safe_dump(held(url)),
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="YAML",
    )
    (drift,) = [d for r in check(plan, url).results for d in r.drifts]
    assert f"justInTimeAccess.autoApproval.name: {SAMPLE_AUTO_APPROVAL}" in drift.fix


def test_adopt_lists_an_auto_approval_of_another_name(
    emulator_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory = project(tmp_path)
    plan = load_plan(directory, "just-in-time", [], resolve_outputs=False)
    content = dict(planned_auto(plan).inputs["content"])
    ssm_in(emulator_url).create_document(
        Name=SAMPLE_AUTO_APPROVAL,
        Content=yaml.safe_dump(content),
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="YAML",
    )
    (note,) = other_auto_approvals(plan, AwsAccess(emulator_url, credentials=CREDENTIALS))
    assert SAMPLE_AUTO_APPROVAL in note
    assert ACCOUNT in note
    assert "one auto-approval policy per account and Region" in note
    assert f"`justInTimeAccess.autoApproval.name: {SAMPLE_AUTO_APPROVAL}`" in note
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    out = tmp_path / "import.json"
    argv = ["adopt", "--stack", "just-in-time", "--project-dir", str(directory)]
    assert main([*argv, "--endpoint-url", emulator_url, "--out", str(out)]) == 1
    assert SAMPLE_AUTO_APPROVAL in capsys.readouterr().out
    assert not out.exists()


def test_verify_against_an_untaught_moto_leaves_the_policies_out(
    emulator_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A moto this project did not start refuses both types (moto/ssm/models.py
    `_validate_document_info`): emulate skips the documents, and verify leaves them out
    with a note, as it leaves out the VPC endpoints emulate can't create, instead of
    reporting them missing (exit 4)."""
    from moto.ssm import models

    monkeypatch.setattr(models, "_validate_document_info", _original_info[0])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    directory = project(tmp_path)
    plan = load_plan(directory, "just-in-time", [], resolve_outputs=False)
    report = Emulator(emulator_url).apply(plan)
    assert [r for r in report.skipped if r.type == "aws-native:ssm:Document"]
    argv = ["verify", "--stack", "just-in-time", "--project-dir", str(directory)]
    assert main([*argv, "--endpoint-url", emulator_url]) == IN_SYNC
    out = capsys.readouterr().out
    assert "just-in-time approval policy document(s)" in out
    assert "Invalid document type AutoApprovalPolicy" in out
    # A taught moto holds them: no refusal, and the probe's document is gone again.
    monkeypatch.undo()
    ssm = ssm_in(emulator_url)
    assert emulator_refusal(ssm) is None
    kinds = [{"Key": "DocumentType", "Values": ["AutoApprovalPolicy"]}]
    assert not ssm.list_documents(Filters=kinds)["DocumentIdentifiers"]
