"""Policy builders: least privilege, partition-aware, deterministic, parliament-clean."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_lint import lint
from session_manager.aws.instance_policy import (
    InstancePolicyInputs,
    S3LogDestination,
    ec2_trust_policy,
    instance_policy,
)
from session_manager.aws.key_policies import logs_key_policy, session_data_key_policy

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GROUP = f"arn:aws:logs:*:{ACCOUNT}:log-group:ssm-sessionmanager-logs"


def statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in policy["Statement"] if s.get("Sid") == sid)


def sids(policy: dict[str, Any]) -> set[str]:
    return {s["Sid"] for s in policy["Statement"]}


def full_inputs(partition: str = "aws") -> InstancePolicyInputs:
    return InstancePolicyInputs(
        partition=partition,
        account_id=ACCOUNT,
        log_group_names=["ssm-sessionmanager-logs"],
        session_data_key_arns=[KEY],
        session_data_key_aliases=["alias/session-manager/data"],
        s3=(S3LogDestination("session-logs", ("ssm/111122223333/us-east-1",), kms_key_arn=KEY),),
    )


def test_minimal_instance_policy_grants_only_the_session_channels() -> None:
    policy = instance_policy(InstancePolicyInputs(partition="aws", account_id=ACCOUNT))
    assert sids(policy) == {"SessionManagerChannels", "RegisterManagedNode"}
    assert statement(policy, "SessionManagerChannels")["Action"] == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]


def test_each_feature_adds_scoped_statements() -> None:
    policy = instance_policy(full_inputs())
    assert statement(policy, "WriteSessionLogStreams")["Resource"] == f"{GROUP}:log-stream:*"
    assert statement(policy, "DescribeSessionLogStreams")["Resource"] == [GROUP, f"{GROUP}:*"]
    assert statement(policy, "WriteSessionLogObjects") == {
        "Sid": "WriteSessionLogObjects",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::session-logs/ssm/111122223333/us-east-1/*",
    }
    assert statement(policy, "CheckSessionLogBucketEncryption")["Resource"] == (
        "arn:aws:s3:::session-logs"
    )
    assert statement(policy, "EncryptSessionLogObjects")["Resource"] == KEY
    assert statement(policy, "DecryptSessionData") == {
        "Sid": "DecryptSessionData",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": KEY,
    }


def test_created_keys_are_matched_by_alias_in_any_region_of_the_account() -> None:
    policy = instance_policy(full_inputs())
    assert statement(policy, "DecryptSessionDataByAlias") == {
        "Sid": "DecryptSessionDataByAlias",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
        "Condition": {
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/session-manager/data"}
        },
    }


def test_bucket_in_another_account_needs_put_object_acl() -> None:
    inputs = InstancePolicyInputs(
        partition="aws",
        account_id=ACCOUNT,
        s3=(
            S3LogDestination("central-logs", ("",), bucket_account_id="999988887777"),
            S3LogDestination("own-logs", ("a",)),
        ),
    )
    policy = instance_policy(inputs)
    put = statement(policy, "WriteSessionLogObjects")
    assert put["Action"] == "s3:PutObject"
    assert put["Resource"] == ["arn:aws:s3:::central-logs/*", "arn:aws:s3:::own-logs/a/*"]
    # Only the other account's bucket gets the ACL hand-over.
    acl = statement(policy, "HandSessionLogObjectsToBucketOwner")
    assert acl["Resource"] == "arn:aws:s3:::central-logs/*"
    assert statement(policy, "CheckSessionLogBucketEncryption")["Resource"] == [
        "arn:aws:s3:::central-logs",
        "arn:aws:s3:::own-logs",
    ]


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_arns_follow_the_partition(partition: str) -> None:
    text = json.dumps(instance_policy(full_inputs(partition)))
    assert f"arn:{partition}:s3:::session-logs" in text
    key_policy = session_data_key_policy(partition, ACCOUNT)
    assert key_policy["Statement"][0]["Principal"]["AWS"] == f"arn:{partition}:iam::{ACCOUNT}:root"


def test_logs_key_is_usable_by_cloudwatch_for_one_log_group_only() -> None:
    policy = logs_key_policy("aws", ACCOUNT, "eu-west-1", "ssm-sessionmanager-logs")
    admin, logs = policy["Statement"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert admin["Action"] == "kms:*"
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:ssm-sessionmanager-logs"
            )
        }
    }
    china = logs_key_policy("aws-cn", ACCOUNT, "cn-north-1", "g")
    assert china["Statement"][1]["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com.cn"}


def test_policies_are_deterministic() -> None:
    shuffled = InstancePolicyInputs(
        partition="aws",
        account_id=ACCOUNT,
        log_group_names=["b", "a", "b"],
        session_data_key_arns=[KEY, KEY.replace("us-east-1", "eu-west-1")],
    )
    ordered = InstancePolicyInputs(
        partition="aws",
        account_id=ACCOUNT,
        log_group_names=["a", "b"],
        session_data_key_arns=[KEY.replace("us-east-1", "eu-west-1"), KEY],
    )
    assert json.dumps(instance_policy(shuffled)) == json.dumps(instance_policy(ordered))


@pytest.mark.parametrize(
    ("policy", "kind"),
    [
        (instance_policy(InstancePolicyInputs(partition="aws", account_id=ACCOUNT)), "identity"),
        (instance_policy(full_inputs()), "identity"),
        (
            instance_policy(
                InstancePolicyInputs(
                    partition="aws",
                    account_id=ACCOUNT,
                    s3=(S3LogDestination("b-1", ("",), bucket_account_id="999988887777"),),
                )
            ),
            "identity",
        ),
        (session_data_key_policy("aws", ACCOUNT), "key"),
        (logs_key_policy("aws", ACCOUNT, "us-east-1", "ssm-sessionmanager-logs"), "key"),
        (ec2_trust_policy("aws"), "trust"),
    ],
    ids=[
        "instance-minimal",
        "instance-full",
        "instance-cross-account",
        "data-key",
        "logs-key",
        "trust",
    ],
)
def test_parliament_finds_nothing_unaccepted(policy: dict[str, Any], kind: str) -> None:
    assert lint(policy, kind) == []


def test_parliament_lint_can_fail() -> None:
    # A scoped ARN on an action without resource-level permissions is reported.
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": GROUP},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
        ],
    }
    findings = lint(bad)
    assert any(f.startswith("RESOURCE_MISMATCH") for f in findings)
    assert any(f.startswith("RESOURCE_STAR") for f in findings)
