"""Issue 22 review: keys are known by what really uses them, not by where an alias points.

The reviewer's decoys, on moto: a new key (with the original's description, policy,
rotation and even tags; or described otherwise) gets the alias, and the original
key, which the document, the central bucket and the alarm topic still use by ARN,
is opened to `Principal "*"` or disabled. KMS identifies a key by its ARN, and an
alias is only a pointer that UpdateAlias moves (AWS KMS developer guide, "Using
aliases" and "Use aliases to control access to KMS keys":
https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html).
So the key in use is checked, the move is its own finding, and nothing is blamed on
the document, the bucket or the instance policy, which still name the stack's key.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from session_manager.offline.plan import Plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.severity import BREAKS_SESSIONS, LOSES_LOGS, WEAKENS_SECURITY
from session_manager.ops.verify import IN_SYNC, Report, verify
from whole_stack import CENTRAL, CREDENTIALS, HOME, MEMBER, OU_MEMBER, Aws, deployed_stack

DATA, CENTRAL_KEY = "alias/session-manager/data", "alias/session-manager/central-logs"
ALARMS = "alias/session-manager-account-events-alarms"
PREFS = "SSM-SessionManagerRunShell"
OPEN = {
    "Sid": "open",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
    "Resource": "*",
}


@pytest.fixture(scope="module")
def deployed(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Aws]:
    return deployed_stack(moto_server, tmp_path_factory.mktemp("key-identity"))


def _decoy(aws: Aws, alias: str, account: str, region: str, *, same: bool) -> tuple[str, str]:
    """A new key gets the alias (UpdateAlias); (original key id, decoy key id).

    `same`: the decoy copies the original's description, policy, rotation and tags.
    """
    kms = aws("kms", account, region)
    original = aws.key(alias, account, region)
    if same:
        policy = kms.get_key_policy(KeyId=original["KeyId"], PolicyName="default")["Policy"]
        tags = kms.list_resource_tags(KeyId=original["KeyId"])["Tags"]
        made = kms.create_key(Description=original["Description"], Policy=policy, Tags=tags)
        decoy = str(made["KeyMetadata"]["KeyId"])
        kms.enable_key_rotation(KeyId=decoy)
    else:
        decoy = str(kms.create_key(Description="decoy")["KeyMetadata"]["KeyId"])
    kms.update_alias(AliasName=alias, TargetKeyId=decoy)
    return str(original["KeyId"]), decoy


def _open(aws: Aws, account: str, region: str, key_id: str) -> None:
    kms = aws("kms", account, region)
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    policy["Statement"].append(OPEN)
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))


def _found(report: Report) -> set[tuple[str, str, str, str]]:
    return {(r.target, d.resource, d.field, d.severity) for r in report.results for d in r.drifts}


def _drift(report: Report, resource: str, field: str) -> Any:
    return next(
        d for r in report.results for d in r.drifts if (d.resource, d.field) == (resource, field)
    )


def test_tampering_behind_a_moved_alias_is_caught_and_blamed_on_nothing_else(
    deployed: tuple[Plan, Aws],
) -> None:
    plan, aws = deployed
    access = AwsAccess(aws.url, credentials=CREDENTIALS)
    before = verify(plan, access)
    assert before.exit_code == IN_SYNC, sorted(_found(before))
    member_us, ou_eu = f"{MEMBER} us-east-1", f"{OU_MEMBER} eu-west-1"
    central_us, home_us = f"{CENTRAL} us-east-1", f"{HOME} us-east-1"

    # Same description, policy, rotation and tags: only the ARN tells them apart.
    data_key, data_decoy = _decoy(aws, DATA, MEMBER, "us-east-1", same=True)
    _open(aws, MEMBER, "us-east-1", data_key)
    central_key, central_decoy = _decoy(aws, CENTRAL_KEY, CENTRAL, "us-east-1", same=True)
    _open(aws, CENTRAL, "us-east-1", central_key)
    alarms_key, _ = _decoy(aws, ALARMS, HOME, "us-east-1", same=True)
    aws("kms", HOME).disable_key(KeyId=alarms_key)
    # Described otherwise: the data key of another account-Region.
    other_data_key, _ = _decoy(aws, DATA, OU_MEMBER, "eu-west-1", same=False)
    aws("kms", OU_MEMBER, "eu-west-1").disable_key(KeyId=other_data_key)

    report = verify(plan, access)
    assert not [r.error for r in report.results if r.error]
    # The instance and people policies grant the data key by alias (kms:ResourceAliases):
    # once the alias leaves it, kms:Decrypt is refused, so sessions break.
    expected = {
        (member_us, f"kms alias {DATA}", "targetKeyId", BREAKS_SESSIONS),
        (member_us, f"kms key {DATA}", "policy", WEAKENS_SECURITY),
        (ou_eu, f"kms alias {DATA}", "targetKeyId", BREAKS_SESSIONS),
        (ou_eu, f"kms key {DATA}", "keyState", BREAKS_SESSIONS),
        (central_us, f"kms alias {CENTRAL_KEY}", "targetKeyId", WEAKENS_SECURITY),
        (central_us, f"kms key {CENTRAL_KEY}", "policy", WEAKENS_SECURITY),
        (home_us, f"kms alias {ALARMS}", "targetKeyId", WEAKENS_SECURITY),
        # Only the alarm topic uses it: SNS refuses Publish (KMSDisabled), alarms go
        # unheard, rated as an alarm whose actions are disabled (kms._disabled_severity).
        (home_us, f"kms key {ALARMS}", "keyState", LOSES_LOGS),
    }
    assert sorted(_found(report)) == sorted(expected)
    # The key checked is the one in use; the fix points the alias back to it.
    opened = _drift(report, f"kms key {CENTRAL_KEY}", "policy")
    assert [s["Sid"] for s in opened.actual] == ["open"]
    moved = _drift(report, f"kms alias {CENTRAL_KEY}", "targetKeyId")
    assert moved.wanted.endswith(central_key)
    assert moved.actual.endswith(central_decoy)
    assert f"moved from the key in use ({moved.wanted})" in moved.fix
    assert f"--target-key-id {central_key}" in moved.fix
    data_moved = next(
        d
        for r in report.results
        if r.target == member_us
        for d in r.drifts
        if d.field == "targetKeyId"
    )
    assert data_moved.wanted.endswith(data_key)
    assert data_moved.actual.endswith(data_decoy)

    # Then the alias moves to a key described otherwise: the same key in use is checked.
    central_other, _ = _decoy(aws, CENTRAL_KEY, CENTRAL, "us-east-1", same=False)
    assert central_other == central_decoy
    alarms_other, _ = _decoy(aws, ALARMS, HOME, "us-east-1", same=False)
    assert alarms_other != alarms_key  # the alias pointed at the first decoy
    again = verify(plan, access)
    assert sorted(_found(again)) == sorted(expected)


def test_a_resource_switched_to_another_key_is_blamed_not_the_alias(
    deployed: tuple[Plan, Aws],
) -> None:
    """The reverse case: the alias stays, the preferences are given another key by hand
    (SSM UpdateDocument). The stack's key is the alias's tagged, older one, so the
    document is blamed, and the alias and key are not."""
    plan, aws = deployed
    access = AwsAccess(aws.url, credentials=CREDENTIALS)
    other = aws("kms", MEMBER, "eu-west-1").create_key(Description="someone else's")
    other_id = str(other["KeyMetadata"]["KeyId"])
    ssm = aws("ssm", MEMBER, "eu-west-1")
    content = json.loads(ssm.get_document(Name=PREFS)["Content"])
    content["inputs"]["kmsKeyId"] = other_id
    version = ssm.update_document(
        Name=PREFS, Content=json.dumps(content), DocumentVersion="$LATEST"
    )["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name=PREFS, DocumentVersion=version)
    report = verify(plan, access)
    member_eu = [r for r in report.results if r.target == f"{MEMBER} eu-west-1"]
    (drift,) = [d for r in member_eu for d in r.drifts]
    assert (drift.resource, drift.field, drift.actual) == (
        f"document {PREFS}",
        "inputs.kmsKeyId",
        other_id,
    )


def test_a_central_bucket_on_another_key_is_put_back_by_the_central_stack(
    moto_server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The central bucket's default key changed by hand (S3 PutBucketEncryption): the stack
    made that bucket and its key, so the fix is the stack's refresh and update (Pulumi diffs
    against its state: https://www.pulumi.com/docs/iac/cli/commands/pulumi_up/, --refresh),
    back to the key it made; not s3Logging.bucketKmsKeyArn, which this stack does not use.
    Runs last: it deploys afresh."""
    plan, aws = deployed_stack(moto_server, tmp_path_factory.mktemp("central-key"))
    access = AwsAccess(aws.url, credentials=CREDENTIALS)
    central_key = aws.key(CENTRAL_KEY, CENTRAL, "us-east-1")["Arn"]
    other = aws("kms", CENTRAL).create_key(Description="other")["KeyMetadata"]["Arn"]
    rule = {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": other},
        "BucketKeyEnabled": True,
    }
    aws("s3", CENTRAL).put_bucket_encryption(
        Bucket="org-session-logs", ServerSideEncryptionConfiguration={"Rules": [rule]}
    )
    report = verify(plan, access)
    bucket_key = _drift(report, "bucket org-session-logs", "bucketKey")
    # Text, like `actual` (second review, B5); this stack is the one that puts it back.
    assert bucket_key.wanted == central_key
    assert bucket_key.actual == other
    assert "`pulumi up --refresh`" in bucket_key.fix
    assert "centralLogging stack" not in bucket_key.fix
    assert central_key in bucket_key.fix
    assert "s3Logging.bucketKmsKeyArn" not in bucket_key.fix
    # Neither the central key nor its alias is blamed.
    assert not [d for r in report.results for d in r.drifts if d.resource.startswith("kms ")]
