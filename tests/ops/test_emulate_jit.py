"""emulate, verify and adopt with just-in-time node access's approval-policy documents.

moto as shipped refuses DocumentFormat TEXT and the AutoApprovalPolicy type, which AWS
takes (AWS::SSM::Document DocumentType lists AutoApprovalPolicy and
ManualApprovalPolicy; the Cedar text is neither JSON nor YAML). The tests' moto is taught
exactly those (ops/emulate_jit.teach_moto, in conftest's moto_server); the first test
fails once moto learns them, and the teaching can go.

Severities: "Create approval policies for your nodes" (with no policy that applies,
users can't request access: a missing policy breaks access, exit 4); "Create an
auto-approval policy" (one per account and Region: another one is reported, exit 1).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from session_manager.cli import main
from session_manager.offline.load import load_plan
from session_manager.offline.plan import Plan
from session_manager.ops.adopt import find_existing, import_file, review
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.severity import BREAKS_SESSIONS, WEAKENS_SECURITY
from session_manager.ops.emulate import Emulator
from session_manager.ops.emulate_jit import moto_refuses_text
from session_manager.ops.verify import IN_SYNC, Report, verify

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
POLICY = "session-manager-auto-approval"
ACCOUNT = "111111111111"


def project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    for path in (ROOT / "examples" / "just-in-time").iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def ssm_in(url: str, account: str = ACCOUNT) -> Any:
    """An SSM client in `account`, as the stack's providers reach it (assumed role)."""
    sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]
    role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    found = sts.assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    return boto3.client(  # type: ignore[call-overload]
        "ssm",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
    )


@pytest.fixture
def deployed(emulator_url: str, tmp_path: Path) -> tuple[Plan, str]:
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)
    report = Emulator(emulator_url).apply(plan)
    assert not [r for r in report.skipped if r.type == "aws-native:ssm:Document"]
    return plan, emulator_url


def check(plan: Plan, url: str) -> Report:
    return verify(plan, AwsAccess(url, credentials=CREDENTIALS))


def findings(report: Report) -> list[tuple[str, str, str, str]]:
    return [(r.account, d.resource, d.field, d.severity) for r in report.results for d in r.drifts]


def test_moto_as_shipped_refuses_a_text_document() -> None:
    assert moto_refuses_text()


def test_taught_moto_still_refuses_text_for_other_types(emulator_url: str) -> None:
    ssm = ssm_in(emulator_url)
    with pytest.raises(ClientError, match="Invalid document format TEXT"):
        ssm.create_document(
            Name="not-a-policy",
            Content="permit (principal, action, resource);",
            DocumentType="Command",
            DocumentFormat="TEXT",
        )


def test_emulate_then_verify_is_in_sync_and_reads_the_policies(
    deployed: tuple[Plan, str],
) -> None:
    plan, url = deployed
    report = check(plan, url)
    assert report.exit_code == IN_SYNC, findings(report)
    checked = {(r.account, c) for r in report.results for c in r.checked}
    assert {("111111111111", f"document {POLICY}"), ("222222222222", f"document {POLICY}")} <= (
        checked
    )
    held = ssm_in(url).get_document(Name=POLICY, DocumentFormat="TEXT")
    assert held["DocumentType"] == "AutoApprovalPolicy"
    assert "getTokenForInstanceAccess" in held["Content"]


def replace_policy(url: str, content: str) -> None:
    ssm = ssm_in(url)
    version = ssm.update_document(
        Name=POLICY, Content=content, DocumentFormat="TEXT", DocumentVersion="$LATEST"
    )["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name=POLICY, DocumentVersion=version)


def test_a_policy_changed_in_the_console_weakens_security(deployed: tuple[Plan, str]) -> None:
    plan, url = deployed
    replace_policy(
        url,
        'permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource);',
    )
    report = check(plan, url)
    assert findings(report) == [(ACCOUNT, f"document {POLICY}", "content", WEAKENS_SECURITY)]
    assert report.exit_code == 1
    (drift,) = [d for r in report.results for d in r.drifts]
    assert "pulumi up --refresh" in drift.fix


def test_whitespace_alone_is_no_drift(deployed: tuple[Plan, str]) -> None:
    plan, url = deployed
    current = ssm_in(url).get_document(Name=POLICY, DocumentFormat="TEXT")["Content"]
    replace_policy(url, "\r\n".join("  " + line for line in current.split("\n")) + "\n")
    assert check(plan, url).exit_code == IN_SYNC


def test_a_missing_policy_breaks_access(deployed: tuple[Plan, str]) -> None:
    plan, url = deployed
    ssm_in(url).delete_document(Name=POLICY)
    report = check(plan, url)
    assert findings(report) == [(ACCOUNT, f"document {POLICY}", "document", BREAKS_SESSIONS)]
    assert report.exit_code == 4


def test_a_second_auto_approval_policy_is_reported(deployed: tuple[Plan, str]) -> None:
    plan, url = deployed
    ssm_in(url).create_document(
        Name="console-auto-approval",
        Content='permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", '
        "resource);",
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="TEXT",
    )
    report = check(plan, url)
    assert findings(report) == [
        (ACCOUNT, "document console-auto-approval", "document", WEAKENS_SECURITY)
    ]
    assert report.exit_code == 1
    (drift,) = [d for r in report.results for d in r.drifts]
    assert "aws ssm delete-document --name console-auto-approval" in drift.fix


def test_emulate_cli_creates_the_policies(
    emulator_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["emulate", "--stack", "just-in-time", "--project-dir", str(project(tmp_path))]
    assert main([*argv, "--endpoint-url", emulator_url]) == 0
    out = capsys.readouterr().out
    assert "2  aws-native:ssm:Document" in out
    assert "skipped aws-native" not in out


def test_adopt_finds_a_console_policy_and_prints_its_import_id(
    emulator_url: str, tmp_path: Path
) -> None:
    """aws-native's AWS::SSM::Document import id is the document Name: CloudFormation's
    schema for AWS::SSM::Document has primaryIdentifier ["/properties/Name"]."""
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)
    ssm_in(emulator_url).create_document(
        Name=POLICY,
        Content='permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", '
        "resource);",
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="TEXT",
    )
    existing = find_existing(plan, AwsAccess(emulator_url, credentials=CREDENTIALS))
    (found,) = existing
    assert found.resource.type == "aws-native:ssm:Document"
    assert found.account == ACCOUNT
    entries = [r for r in import_file(plan, existing)["resources"] if "id" in r]
    assert entries == [
        {
            "type": "aws-native:ssm:Document",
            "name": f"session-manager-{ACCOUNT}-us-east-1-just-in-time-access-auto-approval",
            "id": POLICY,
            "provider": f"aws-native-{ACCOUNT}-us-east-1",
            "parent": f"session-manager-{ACCOUNT}-us-east-1-just-in-time-access",
        }
    ]
    text = review(existing)
    assert "content: current" in text


def test_a_manual_approval_policy_is_covered_too(emulator_url: str, tmp_path: Path) -> None:
    """Generic over the document types: a ManualApprovalPolicy document (the other type
    AWS::SSM::Document lists for just-in-time access) is emulated and verified alike, and
    AWS allows up to 50 of them per account and Region ("Create manual approval
    policies"), so another one is no finding."""
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)
    plan.resources = [
        replace(r, inputs={**r.inputs, "documentType": "ManualApprovalPolicy"})
        if r.type == "aws-native:ssm:Document"
        else r
        for r in plan.resources
    ]
    Emulator(emulator_url).apply(plan)
    held = ssm_in(emulator_url).describe_document(Name=POLICY)["Document"]
    assert held["DocumentType"] == "ManualApprovalPolicy"
    ssm_in(emulator_url).create_document(
        Name="console-manual-approval",
        Content="a manual policy the console wrote",
        DocumentType="ManualApprovalPolicy",
        DocumentFormat="TEXT",
    )
    report = check(plan, emulator_url)
    assert report.exit_code == IN_SYNC, findings(report)
    ssm_in(emulator_url).delete_document(Name=POLICY)
    assert findings(check(plan, emulator_url)) == [
        (ACCOUNT, f"document {POLICY}", "document", BREAKS_SESSIONS)
    ]


def test_an_emulator_that_refuses_the_type_skips_it_with_the_reason(
    emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A moto this project did not start (not taught) answers moto's own refusal."""
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)
    refusal = {"Error": {"Code": "ValidationException", "Message": "Invalid document format TEXT"}}

    def refuse(self: Emulator, resource: Any, inputs: dict[str, Any], report: Any) -> None:
        if inputs.get("documentFormat") == "TEXT":
            raise ClientError(refusal, "CreateDocument")  # type: ignore[arg-type]

    monkeypatch.setattr(Emulator, "_document", refuse)
    report = Emulator(emulator_url).apply(plan)
    skipped = [r for r in report.skipped if r.type == "aws-native:ssm:Document"]
    assert len(skipped) == 2
    assert "Invalid document format TEXT" in report.reasons[skipped[0].urn]
    assert not [r for r in report.created if r.type == "aws-native:ssm:Document"]
