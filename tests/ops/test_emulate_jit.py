"""emulate, verify and adopt with just-in-time node access's approval-policy documents.

The documents are YAML in the shape of AWS's CloudFormation sample
(aws-samples/cloud-operations-best-practices, static/cfn-templates/just-in-time-node-access/
just-in-time-cfn-approval-policies.yaml): an auto-approval policy's Cedar text in
`AutoApprovalPolicyDocuments`, a manual policy's approvers in `aws:approve` steps. moto
as shipped takes YAML but refuses the AutoApprovalPolicy and ManualApprovalPolicy types,
which AWS takes (AWS::SSM::Document DocumentType lists both). The tests' moto is taught
exactly those types (ops/emulate_jit.teach_moto, in conftest's moto_server); the first
test fails once moto learns them, and the teaching can go.

Severities: "Create approval policies for your nodes" (with no policy that applies,
users can't request access: a missing policy breaks access, exit 4); "Create an
auto-approval policy" (one per account and Region: another one is reported, exit 1).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from session_manager.cli import main
from session_manager.offline.load import load_plan
from session_manager.offline.plan import Plan
from session_manager.ops.adopt import find_existing, import_file, review
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.severity import BREAKS_SESSIONS, WEAKENS_SECURITY
from session_manager.ops.emulate import Emulator
from session_manager.ops.emulate_jit import moto_refuses_jit_types
from session_manager.ops.verify import IN_SYNC, Report, verify

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
POLICY = "session-manager-auto-approval"
MANUAL = "production"
PERMIT_ALL = (
    'permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource);'
)
EMPTY = 'schemaVersion: "0.3"\n'
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


def test_moto_as_shipped_refuses_the_just_in_time_types() -> None:
    assert moto_refuses_jit_types()


def test_taught_moto_still_refuses_other_types_and_text(emulator_url: str) -> None:
    """The teaching is the two types only: moto's own checks answer the rest."""
    ssm = ssm_in(emulator_url)
    with pytest.raises(ClientError, match="Invalid document type NotAType"):
        ssm.create_document(
            Name="not-a-policy", Content=EMPTY, DocumentType="NotAType", DocumentFormat="YAML"
        )
    with pytest.raises(ClientError, match="Invalid document format TEXT"):
        ssm.create_document(
            Name="not-a-policy",
            Content="permit (principal, action, resource);",
            DocumentType="AutoApprovalPolicy",
            DocumentFormat="TEXT",
        )


def held(url: str, name: str = POLICY, account: str = ACCOUNT) -> dict[str, Any]:
    """The default version's content, parsed."""
    text = ssm_in(url, account).get_document(Name=name, DocumentFormat="YAML")["Content"]
    return yaml.safe_load(text)


def test_emulate_then_verify_is_in_sync_and_reads_the_policies(
    deployed: tuple[Plan, str],
) -> None:
    plan, url = deployed
    report = check(plan, url)
    assert report.exit_code == IN_SYNC, findings(report)
    checked = {(r.account, c) for r in report.results for c in r.checked}
    for account in (ACCOUNT, "222222222222"):
        assert {(account, f"document {POLICY}"), (account, f"document {MANUAL}")} <= checked
    assert ssm_in(url).describe_document(Name=POLICY)["Document"]["DocumentType"] == (
        "AutoApprovalPolicy"
    )
    (cedar,) = held(url)["AutoApprovalPolicyDocuments"]
    assert cedar["type"] == "Cedar"
    assert "getTokenForInstanceAccess" in cedar["content"]
    assert held(url, MANUAL)["mainSteps"][0]["action"] == "aws:approve"


def replace_policy(url: str, content: dict[str, Any], name: str = POLICY) -> None:
    """A new default version, as the console or `aws ssm update-document` would make."""
    ssm = ssm_in(url)
    version = ssm.update_document(
        Name=name,
        Content=yaml.safe_dump(content, sort_keys=False, width=60, indent=4),
        DocumentFormat="YAML",
        DocumentVersion="$LATEST",
    )["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name=name, DocumentVersion=version)


def with_cedar(content: dict[str, Any], cedar: str) -> dict[str, Any]:
    return {**content, "AutoApprovalPolicyDocuments": [{"type": "Cedar", "content": cedar}]}


def test_a_policy_changed_in_the_console_weakens_security(deployed: tuple[Plan, str]) -> None:
    plan, url = deployed
    replace_policy(url, with_cedar(held(url), PERMIT_ALL))
    report = check(plan, url)
    assert findings(report) == [(ACCOUNT, f"document {POLICY}", "content", WEAKENS_SECURITY)]
    assert report.exit_code == 1
    (drift,) = [d for r in report.results for d in r.drifts]
    assert "pulumi up --refresh" in drift.fix


def test_whitespace_and_layout_alone_are_no_drift(deployed: tuple[Plan, str]) -> None:
    """Other line endings and indentation in the Cedar text, other key order and YAML
    layout around it: the same policy."""
    plan, url = deployed
    current = held(url)
    (cedar,) = current["AutoApprovalPolicyDocuments"]
    reindented = "\r\n".join("  " + line for line in cedar["content"].split("\n")) + "\n"
    replace_policy(url, dict(reversed(with_cedar(current, reindented).items())))
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
        Content=yaml.safe_dump(with_cedar(held(url), PERMIT_ALL)),
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="YAML",
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
    assert "4  aws-native:ssm:Document" in out
    assert "skipped aws-native" not in out


def test_adopt_finds_a_console_policy_and_prints_its_import_id(
    emulator_url: str, tmp_path: Path
) -> None:
    """aws-native's AWS::SSM::Document import id is the document Name: CloudFormation's
    schema for AWS::SSM::Document has primaryIdentifier ["/properties/Name"]."""
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)
    planned = next(r for r in plan.resources if r.inputs.get("name") == POLICY)
    ssm_in(emulator_url).create_document(
        Name=POLICY,
        Content=yaml.safe_dump(with_cedar(dict(planned.inputs["content"]), PERMIT_ALL)),
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="YAML",
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
    # Only the Cedar text differs: the review names that field, not the wrapper's.
    text = review(existing)
    assert "AutoApprovalPolicyDocuments: current" in text
    assert "accessDuration" not in text


def test_adopt_sees_a_reindented_policy_as_identical(emulator_url: str, tmp_path: Path) -> None:
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)
    planned = next(r for r in plan.resources if r.inputs.get("name") == POLICY)
    content = dict(planned.inputs["content"])
    (cedar,) = content["AutoApprovalPolicyDocuments"]
    ssm_in(emulator_url).create_document(
        Name=POLICY,
        Content=yaml.safe_dump(with_cedar(content, cedar["content"].replace("\n", "\n\t"))),
        DocumentType="AutoApprovalPolicy",
        DocumentFormat="YAML",
    )
    (found,) = find_existing(plan, AwsAccess(emulator_url, credentials=CREDENTIALS))
    assert "identical to the wanted document" in review([found])


def test_manual_approval_policies_are_verified(deployed: tuple[Plan, str]) -> None:
    """AWS allows up to 50 manual approval policies per account and Region ("Create
    manual approval policies"), so another one no node can share with the stack's is no
    finding (one that can: test_verify_jit_review2.py); the stack's own changed (an
    approver swapped) weakens security, missing breaks access."""
    plan, url = deployed
    ssm = ssm_in(url)
    other = {**held(url, MANUAL), "targets": [{"Key": "tag:Environment", "Values": ["dev"]}]}
    ssm.create_document(
        Name="console-manual-approval",
        Content=yaml.safe_dump(other),
        DocumentType="ManualApprovalPolicy",
        DocumentFormat="YAML",
    )
    assert check(plan, url).exit_code == IN_SYNC
    content = held(url, MANUAL)
    content["mainSteps"][0]["inputs"]["EnhancedApprovals"]["Approvers"] = [
        {"approver": "someone-else", "type": "SSOGroup"}
    ]
    replace_policy(url, content, MANUAL)
    assert findings(check(plan, url)) == [
        (ACCOUNT, f"document {MANUAL}", "content", WEAKENS_SECURITY)
    ]
    ssm.delete_document(Name=MANUAL)
    assert findings(check(plan, url)) == [
        (ACCOUNT, f"document {MANUAL}", "document", BREAKS_SESSIONS)
    ]


def test_an_emulator_that_refuses_the_type_skips_it_with_the_reason(
    emulator_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A moto this project did not start (not taught) answers moto's own refusal."""
    plan = load_plan(project(tmp_path), "just-in-time", [], resolve_outputs=False)

    def refuse(self: Emulator, resource: Any, inputs: dict[str, Any], report: Any) -> None:
        kind = inputs.get("documentType")
        if kind in ("AutoApprovalPolicy", "ManualApprovalPolicy"):
            refusal = {
                "Error": {"Code": "ValidationException", "Message": f"Invalid document type {kind}"}
            }
            raise ClientError(refusal, "CreateDocument")  # type: ignore[arg-type]

    monkeypatch.setattr(Emulator, "_document", refuse)
    report = Emulator(emulator_url).apply(plan)
    skipped = [r for r in report.skipped if r.type == "aws-native:ssm:Document"]
    assert len(skipped) == 4
    assert "Invalid document type AutoApprovalPolicy" in report.reasons[skipped[0].urn]
    assert not [r for r in report.created if r.type == "aws-native:ssm:Document"]
