"""AWS (emulated by moto on loopback) accepts what the program produces.

Mocks accept any value; an AWS API does not. The dev stack's plan is replayed
as real create calls: documents, key policies, log groups, IAM policies, roles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from session_manager.offline.plan import run_plan
from session_manager.ops.emulate import EmulationError, Emulator

ROOT = Path(__file__).resolve().parents[2]


def describe_document(emulator: Emulator, name: str, region: str) -> dict[str, Any]:
    """The default version's content of a document in the default account, parsed."""
    ssm = emulator.client("ssm", region)
    return json.loads(ssm.get_document(Name=name)["Content"])


def test_dev_stack_is_accepted_and_wired(emulator_url: str) -> None:
    plan = run_plan(ROOT, "dev")
    emulator = Emulator(emulator_url)
    report = emulator.apply(plan)
    created = {r.type for r in report.created}
    assert {"aws:ssm/document:Document", "aws:kms/key:Key", "aws:iam/policy:Policy"} <= created
    assert not [r for r in report.skipped if r.type.startswith("aws:")]

    for region in ("us-east-1", "eu-west-1"):
        document = describe_document(emulator, "SSM-SessionManagerRunShell", region)
        inputs = document["inputs"]
        kms = emulator.client("kms", region)
        # The document names a real key, which is enabled and rotates.
        key = kms.describe_key(KeyId=inputs["kmsKeyId"])["KeyMetadata"]
        assert key["Enabled"]
        assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
        aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
        assert aliases["alias/session-manager/data"] == key["KeyId"]
        # The log group the document names exists, encrypted with the logs key.
        logs = emulator.client("logs", region)
        (group,) = logs.describe_log_groups(logGroupNamePrefix=inputs["cloudWatchLogGroupName"])[
            "logGroups"
        ]
        # A year of audit trail by default (PCI DSS 10.5.1).
        assert group["retentionInDays"] == 365
        logs_key = kms.describe_key(KeyId=group["kmsKeyId"])["KeyMetadata"]
        assert aliases["alias/session-manager/logs"] == logs_key["KeyId"]
        policy = json.loads(
            kms.get_key_policy(KeyId=logs_key["KeyId"], PolicyName="default")["Policy"]
        )
        condition = policy["Statement"][1]["Condition"]["ArnEquals"]
        assert condition["kms:EncryptionContext:aws:logs:arn"] == group["arn"].removesuffix(":*")

    iam = emulator.client("iam")
    policies = {p["PolicyName"]: p for p in iam.list_policies(Scope="Local")["Policies"]}
    assert set(policies) == {
        "SessionManagerInstanceAccess",
        "SessionManagerSessionUsers",
        "SessionManagerInstanceInventory",
    }
    policy = policies["SessionManagerInstanceAccess"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    statements = version["PolicyVersion"]["Document"]["Statement"]
    assert {s["Sid"] for s in statements} >= {"SessionManagerChannels", "DecryptSessionDataByAlias"}
    attached = iam.list_attached_role_policies(RoleName="SessionManagerInstanceRole")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [policy["Arn"]]


def test_malformed_resources_are_rejected_with_a_clear_error(emulator_url: str) -> None:
    plan = run_plan(ROOT, "dev")
    policy = plan.named("session-manager-instance-access-policy")
    broken = json.loads(policy.inputs["policy"])
    del broken["Statement"][0]["Resource"]
    policy.inputs["policy"] = json.dumps(broken)
    with pytest.raises(EmulationError) as caught:
        Emulator(emulator_url).apply(plan)
    message = str(caught.value)
    assert "aws:iam/policy:Policy 'session-manager-instance-access-policy' was rejected" in message
    assert "MalformedPolicyDocument" in message


def test_existing_preferences_document_collides_as_in_real_accounts(emulator_url: str) -> None:
    # The console creates SSM-SessionManagerRunShell on first use; creating it again fails.
    ssm = boto3.client(
        "ssm",
        endpoint_url=emulator_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ssm.create_document(
        Name="SSM-SessionManagerRunShell",
        Content=json.dumps(
            {"schemaVersion": "1.0", "sessionType": "Standard_Stream", "inputs": {}}
        ),
        DocumentType="Session",
    )
    with pytest.raises(EmulationError, match="DocumentAlreadyExists"):
        Emulator(emulator_url).apply(run_plan(ROOT, "dev"))


def test_emulating_twice_updates_what_the_first_run_made(emulator_url: str) -> None:
    """emulate is idempotent: a second run against the same emulator succeeds and converges."""
    plan = run_plan(ROOT, "dev")
    first = Emulator(emulator_url).apply(plan)
    emulator = Emulator(emulator_url)
    second = emulator.apply(plan)
    assert [r.urn for r in second.created] == [r.urn for r in first.created]
    kms = emulator.client("kms", "us-east-1")
    # The second run reused the keys it had aliased, instead of making new ones.
    keys = [k for k in plan.of_type("aws:kms/key:Key") if k.inputs["region"] == "us-east-1"]
    assert len(kms.list_keys()["Keys"]) == len(keys)
    ssm = emulator.client("ssm", "us-east-1")
    described = ssm.describe_document(Name="SSM-SessionManagerRunShell")["Document"]
    assert described["DefaultVersion"] == described["LatestVersion"]


def test_emulating_again_after_a_refusal_finishes_the_job(emulator_url: str) -> None:
    plan = run_plan(ROOT, "dev")
    policy = plan.named("session-manager-instance-access-policy")
    good = policy.inputs["policy"]
    broken = json.loads(good)
    del broken["Statement"][0]["Resource"]
    policy.inputs["policy"] = json.dumps(broken)
    with pytest.raises(EmulationError):
        Emulator(emulator_url).apply(plan)
    policy.inputs["policy"] = good
    report = Emulator(emulator_url).apply(plan)
    assert policy in report.created


def test_reverting_a_document_keeps_the_newer_content_as_the_provider_does(
    emulator_url: str,
) -> None:
    """Back to an earlier version's content: UpdateDocument refuses it
    (DuplicateDocumentContent, SSM API reference, UpdateDocument errors) and
    terraform-provider-aws (internal/service/ssm/document.go, resourceDocumentUpdate,
    commit 0105d2191ae7) then makes `latest_version` the default: the update succeeds
    and the NEWER content stays in effect. emulate does the same and says so, with
    the command that makes the matching version the default."""
    plan = run_plan(ROOT, "dev")
    emulator = Emulator(emulator_url)
    emulator.apply(plan)
    (document,) = [
        r
        for r in plan.of_type("aws:ssm/document:Document")
        if r.inputs["name"] == "SSM-SessionManagerRunShell" and r.inputs["region"] == "us-east-1"
    ]
    original = document.inputs["content"]
    changed = json.loads(original)
    changed["inputs"]["idleSessionTimeout"] = "45"
    document.inputs["content"] = json.dumps(changed)
    assert Emulator(emulator_url).apply(plan).notes == []
    document.inputs["content"] = original
    report = Emulator(emulator_url).apply(plan)
    ssm = emulator.client("ssm", "us-east-1")
    described = ssm.describe_document(Name="SSM-SessionManagerRunShell")["Document"]
    assert described["DefaultVersion"] == described["LatestVersion"] == "2"
    assert (
        describe_document(emulator, "SSM-SessionManagerRunShell", "us-east-1")["inputs"][
            "idleSessionTimeout"
        ]
        == "45"
    )
    (note,) = report.notes
    assert "DuplicateDocumentContent" in note
    assert "NOT in effect" in note
    assert (
        "aws ssm update-document-default-version --name SSM-SessionManagerRunShell "
        "--document-version 1" in note
    )
    # verify then finds the newer content in effect and names the one command that helps.
    from session_manager.ops.aws_access import AwsAccess
    from session_manager.ops.verify import verify

    report = verify(
        plan,
        AwsAccess(
            emulator_url,
            credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"},
        ),
    )
    found = [
        d
        for r in report.results
        for d in r.drifts
        if d.resource == "document SSM-SessionManagerRunShell"
        and d.field == "inputs.idleSessionTimeout"
    ]
    assert found
    assert all(
        d.fix.startswith(
            "aws ssm update-document-default-version --name SSM-SessionManagerRunShell "
            "--document-version 1:"
        )
        for d in found
    )
    assert all("pulumi up --refresh" not in d.fix for d in found)
