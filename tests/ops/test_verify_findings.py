"""Issue 22's report: one finding per cause, an id and a severity, an exit code per severity;
and issue 19's accountEvents checks (the rules' account) and the log bucket's key."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber
from session_manager.offline.plan import Plan, run_plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.compare import CheckContext, KeyResolver
from session_manager.ops.drift.events import RULES_ACCOUNT, check_management_account
from session_manager.ops.drift.result import Drift, Report, TargetResult
from session_manager.ops.drift.severity import EXIT_CODES
from session_manager.ops.emulate import Emulator
from session_manager.ops.prerequisites import create_expected_buckets
from session_manager.ops.verify import IN_SYNC, format_report, verify
from session_manager.ops.verify_markdown import markdown_report

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ENCRYPTION = Drift("bucket org-session-logs", "encryption", "enabled", "none")


def _report(*drifts: Drift, targets: int = 1) -> Report:
    results = [
        TargetResult(f"{n:012d} us-east-1", f"{n:012d}", "us-east-1", drifts=list(drifts))
        for n in range(1, targets + 1)
    ]
    return Report(stack="s", results=results)


def test_one_finding_per_cause_with_the_targets_it_affects() -> None:
    report = _report(ENCRYPTION, targets=30)
    (finding,) = report.findings
    assert finding.targets == [f"{n:012d} us-east-1" for n in range(1, 31)]
    as_json = report.to_json()
    assert as_json["findings"] == [
        {
            "id": "bucket-org-session-logs/encryption",
            "severity": "weakens security",
            "resource": "bucket org-session-logs",
            "field": "encryption",
            "wanted": "enabled",
            "actual": "none",
            # Pulumi diffs against its state: only a refresh sees the drift to undo.
            "fix": "run `pulumi up --refresh`: the stack puts back what it declares",
            "targets": finding.targets,
        }
    ]
    text = format_report(report)
    # Once, with the targets (the first ten, then how many more), not 30 times.
    assert text.count("encryption: wanted") == 1
    assert "[weakens security] bucket-org-session-logs/encryption" in text
    assert "in 30: 000000000001 us-east-1, " in text
    assert "and 20 more" in text
    markdown = markdown_report(report)
    assert markdown.count("| weakens security | `bucket-org-session-logs/encryption` |") == 1


@pytest.mark.parametrize(
    ("drift", "code"),
    [
        (Drift("document D", "tags.team", "x", None), 5),
        (Drift("kms key alias/k", "enableKeyRotation", True, False), 1),
        (Drift("log group g", "retentionInDays", 365, 7), 3),
        (Drift("kms key alias/k", "keyState", "Enabled", "Disabled"), 4),
    ],
    ids=["cosmetic", "weakens-security", "loses-logs", "breaks-sessions"],
)
def test_the_exit_code_is_the_worst_severitys(drift: Drift, code: int) -> None:
    assert EXIT_CODES[drift.severity] == code
    cosmetic = Drift("iam role R", "description", "a", "b")
    report = _report(cosmetic, drift)
    assert report.exit_code == code
    assert report.to_json()["exit"] == code
    assert f"(exit {code})" in format_report(report)
    assert f"(exit {code})" in markdown_report(report)


def test_a_target_that_could_not_be_checked_still_outranks_drift() -> None:
    report = _report(Drift("kms key alias/k", "keyState", "Enabled", "Disabled"))
    report.results[0].error = "AccessDenied"
    assert report.exit_code == 2


def test_the_drift_workflow_pages_for_every_severity_but_cosmetic() -> None:
    workflow = (ROOT / ".github/workflows/drift.yml").read_text()
    assert '"$status" -eq 5' in workflow
    readme = (ROOT / "docs/verify-adopt-emulate.md").read_text()
    for severity, code in EXIT_CODES.items():
        assert f"| {code} | {severity}" in readme


# --- accountEvents: the rules must be in the organization's management account.


def _context(account: str, organizations: Any) -> CheckContext:
    plan = Plan(stack="s", project="p")
    access = AwsAccess("http://127.0.0.1:9")
    ctx = CheckContext(
        access=access,
        provider=None,
        region="us-east-1",
        account=account,
        resolver=KeyResolver(plan, access),
        result=TargetResult("t"),
    )
    ctx._clients["organizations@us-east-1"] = organizations
    return ctx


def test_rules_outside_the_management_account_are_reported() -> None:
    """EventBridge delivers Organizations events only in the management account (EventBridge
    User Guide, "Receiving events from AWS Organizations"): rules elsewhere never fire."""
    organizations = boto3.client("organizations", region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]
    with Stubber(organizations) as stub:
        answer = {"Organization": {"Id": "o-exampleorg1", "MasterAccountId": "999999999999"}}
        stub.add_response("describe_organization", answer)
        stub.add_response("describe_organization", answer)
        elsewhere = _context("123456789012", organizations)
        check_management_account(elsewhere)
        at_home = _context("999999999999", organizations)
        check_management_account(at_home)
    (drift,) = elsewhere.result.drifts
    assert (drift.field, drift.wanted, drift.actual) == (
        "account",
        "the management account 999999999999",
        "123456789012",
    )
    assert "999999999999" in drift.fix
    assert at_home.result.drifts == []


def test_rules_of_an_account_in_no_organization_are_reported(emulator_url: str) -> None:
    # moto answers DescribeOrganization as AWS does for an account in no organization.
    organizations = boto3.client(
        "organizations",
        endpoint_url=emulator_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ctx = _context("123456789012", organizations)
    # Each of accountEvents' rules asks (events._check_in): one cause, one finding.
    for _ in range(3):
        check_management_account(ctx)
    assert [(d.field, d.actual) for d in ctx.result.drifts] == [("account", "no organization")]
    assert ctx.result.drifts[0].resource == RULES_ACCOUNT


# --- The log bucket's key against the key the instance policy grants.


def _bucket_key_stack(tmp_path: Path) -> Plan:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    granted = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    config = {
        "aws:region": "us-east-1",
        "session-manager:preferences": {
            "s3BucketName": "team-session-logs",
            "s3EncryptionEnabled": True,
        },
        "session-manager:s3Logging": {"bucketKmsKeyArn": granted},
        "session-manager:instanceAccess": {"createPolicy": True},
    }
    (tmp_path / "Pulumi.key.yaml").write_text(json.dumps({"config": config}, indent=2))
    return run_plan(tmp_path, "key")


def test_a_bucket_key_the_instance_policy_does_not_grant_loses_the_logs(
    emulator_url: str, tmp_path: Path
) -> None:
    """The agent uploads with the bucket's default key; KMS refuses a node that key is not
    granted to (S3 user guide, "Specifying server-side encryption with AWS KMS"; facts,
    "Permissions": kms:GenerateDataKey and kms:Decrypt on the bucket key)."""
    plan = _bucket_key_stack(tmp_path)
    emulator = Emulator(emulator_url)
    create_expected_buckets(plan, emulator.access)
    emulator.apply(plan)
    access = AwsAccess(emulator_url, credentials=CREDENTIALS)
    before = verify(plan, access)
    assert before.exit_code == IN_SYNC, [str(d) for r in before.results for d in r.drifts]
    s3 = boto3.client("s3", endpoint_url=emulator_url, region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]
    other = "arn:aws:kms:us-east-1:123456789012:key/00000000-1111-2222-3333-444444444444"
    rule = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": other}
    }
    s3.put_bucket_encryption(
        Bucket="team-session-logs", ServerSideEncryptionConfiguration={"Rules": [rule]}
    )
    report = verify(plan, access)
    (finding,) = report.findings
    drift = finding.drift
    assert (drift.resource, drift.field, drift.actual) == (
        "bucket team-session-logs",
        "bucketKey",
        other,
    )
    assert drift.severity == "loses logs"
    assert drift.fix.startswith("logs will be lost")
    assert report.exit_code == EXIT_CODES["loses logs"]
    assert json.loads(json.dumps(report.to_json()))["findings"][0]["fix"] == drift.fix


# --- Severities per the review's evidence (each row cites where the consequence comes from).
TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": ["ec2.amazonaws.com"]},
    "Action": ["sts:AssumeRole"],
}
ANY_ACCOUNT = {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["sts:AssumeRole"]}


@pytest.mark.parametrize(
    ("drift", "severity"),
    [
        # amazon-ssm-agent agent/session/plugins/shell/shell.go validate: with
        # cloudWatchEncryptionEnabled, IsLogGroupEncryptedWithKMS false (no key, or no
        # group) refuses the session with CloudWatchEncryptionErrorMsg.
        (Drift("log group g", "kmsKeyId", "arn:aws:kms:us-east-1:1:key/k", ""), "breaks sessions"),
        (Drift("log group g", "logGroup", "exists", "missing"), "breaks sessions"),
        # Another key is still a key: the agent's check passes.
        (Drift("log group g", "kmsKeyId", "arn:k1", "arn:k2"), "weakens security"),
        # StartSession without the preferences document opens a shell with AWS's defaults.
        (
            Drift("document SSM-SessionManagerRunShell", "document", "exists", "missing"),
            "loses logs",
        ),
        (Drift("document Team-Tail", "document", "exists", "missing"), "breaks sessions"),
        (
            Drift("document SSM-SessionManagerRunShell", "inputs.kmsKeyId", "k", ""),
            "weakens security",
        ),
        (
            Drift("document SSM-SessionManagerRunShell", "inputs.kmsKeyId", "k", "k2"),
            "breaks sessions",
        ),
        # S3 DeleteBucketEncryption resets to SSE-S3, which IsBucketEncrypted accepts.
        (Drift("bucket b", "encryption", "present", "missing"), "weakens security"),
        (
            Drift(
                "bucket b",
                "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm",
                "aws:kms",
                "AES256",
            ),
            "weakens security",
        ),
        (Drift("bucket b", "rules[0].expiration.days", 2557, 400), "loses logs"),
        (Drift("sns topic t", "encrypted", True, False), "weakens security"),
        (
            Drift("events api destination d", "invocationEndpoint", "https://a", "https://b"),
            "weakens security",
        ),
        # A trust opened to any account grants more, not less (IAM: Principal AWS "*" is everyone).
        (
            Drift("iam role R", "assumeRolePolicy", [TRUST], [ANY_ACCOUNT], statements=True),
            "weakens security",
        ),
        (Drift("iam role R", "assumeRolePolicy", [TRUST], [], statements=True), "breaks sessions"),
    ],
)
def test_severity_follows_what_the_drift_does(drift: Drift, severity: str) -> None:
    assert drift.severity == severity


def test_one_field_drifted_two_ways_gets_two_ids() -> None:
    """One id per cause: the document shared with one account here, publicly there."""
    shared = [
        TargetResult(
            "1 us-east-1", "1", drifts=[Drift("document D", "permissions.accountIds", [], ["7"])]
        ),
        TargetResult(
            "2 us-east-1", "2", drifts=[Drift("document D", "permissions.accountIds", [], ["all"])]
        ),
    ]
    findings = Report(stack="s", results=shared).findings
    ids = [f.id for f in findings]
    assert len(set(ids)) == 2
    assert all(i.startswith("document-d/permissions.accountIds~") for i in ids)


def test_verify_help_names_each_exit_code() -> None:
    from session_manager.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = " ".join(str(commands.choices["verify"].description).split())
    for severity, code in EXIT_CODES.items():
        assert f"{code} {severity}" in text
    assert "2 a target could not be checked" in text


def test_the_deploy_workflow_does_not_fail_on_cosmetic_drift() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job.get("steps", [])]
    # The organization's, and a sharded organization's after its shards (docs/shards.md).
    verifies = [s for s in steps if s.get("name") == "Verify"]
    assert len(verifies) == 2
    for step in verifies:
        assert '"$status" -eq 5' in step["run"]
        assert step["run"].index('"$status" -eq 5') < step["run"].rindex("exit $status")


@pytest.mark.parametrize(
    ("drift", "fix"),
    [
        (Drift("log group g", "retentionInDays", 365, 7), "`pulumi up --refresh`"),
        # UpdateDocument fails while the default version is not the latest.
        (
            Drift("document D", "defaultVersion", "latest (3)", "2"),
            "aws ssm update-document-default-version --name D --document-version 3",
        ),
        (Drift("iam role R", "inlinePolicies", [], ["x"]), "delete-role-policy --role-name R"),
        (Drift("kms key alias/k", "keyState", "Enabled", "PendingDeletion"), "cancel-key-deletion"),
    ],
)
def test_each_finding_says_how_to_fix_it(drift: Drift, fix: str) -> None:
    assert fix in drift.fix


@pytest.mark.parametrize(
    ("inputs", "severity"),
    [
        ({"kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"}, "breaks sessions"),
        ({}, "loses logs"),
    ],
    ids=["encrypted", "unencrypted"],
)
def test_a_missing_log_group_breaks_sessions_only_when_planned_encrypted(
    inputs: dict[str, Any], severity: str
) -> None:
    """shell.go validate checks IsLogGroupEncryptedWithKMS only with cloudWatchEncryptionEnabled
    (the stack encrypts the group exactly then); otherwise only the logs are lost."""
    from session_manager.offline.plan import PlannedResource
    from session_manager.ops.drift.logs import LOG_GROUP, check_log_group

    logs = boto3.client("logs", region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]
    ctx = _context("123456789012", None)
    ctx._clients["logs@us-east-1"] = logs
    group = PlannedResource(
        type=LOG_GROUP,
        name="g",
        urn="urn:g",
        inputs={"name": "g", **inputs},
        provider=None,
        parent=None,
        custom=True,
    )
    with Stubber(logs) as stub:
        stub.add_response("describe_log_groups", {"logGroups": []}, {"logGroupNamePrefix": "g"})
        check_log_group(ctx, group)
    (drift,) = ctx.result.drifts
    assert (drift.field, drift.severity) == ("logGroup", severity)
