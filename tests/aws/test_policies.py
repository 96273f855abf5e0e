"""Policy builders: least privilege, partition-aware, deterministic, parliament-clean."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_lint import lint, sar_resource_types, scoping_problems
from session_manager.aws.instance_policy import (
    InstancePolicyInputs,
    S3LogDestination,
    ec2_trust_policy,
    instance_policy,
)
from session_manager.aws.key_policies import logs_key_policy, session_data_key_policy
from session_manager.aws.parameter_references import document_parameter_names, parameter_arn
from session_manager.aws.people_policies import (
    SessionUserPolicyInputs,
    instance_inventory_policy,
    session_user_policy,
)

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
        parameter_names=["/team/ports/db", "bastion-host"],
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
    # Multipart uploads (the agent's uploader, 5 MiB parts) to an SSE-KMS bucket need
    # kms:Decrypt too (S3 user guide, "Multipart upload API and permissions").
    assert statement(policy, "EncryptSessionLogObjects") == {
        "Sid": "EncryptSessionLogObjects",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KEY,
    }
    # The node registers itself: instance and managed-instance are its SAR resource types.
    assert statement(policy, "RegisterManagedNode")["Resource"] == [
        f"arn:aws:ec2:*:{ACCOUNT}:instance/*",
        f"arn:aws:ssm:*:{ACCOUNT}:managed-instance/*",
    ]
    # Parameter ARNs drop the leading slash (SAR: parameter/${ParameterNameWithoutLeadingSlash}).
    assert statement(policy, "ResolveDocumentParameters") == {
        "Sid": "ResolveDocumentParameters",
        "Effect": "Allow",
        "Action": "ssm:GetParameters",
        "Resource": [
            f"arn:aws:ssm:*:{ACCOUNT}:parameter/bastion-host",
            f"arn:aws:ssm:*:{ACCOUNT}:parameter/team/ports/db",
        ],
    }
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


def _every_builder_policy() -> list[dict[str, Any]]:
    return [
        instance_policy(full_inputs()),
        instance_policy(InstancePolicyInputs(partition="aws", account_id=ACCOUNT)),
        session_user_policy(
            SessionUserPolicyInputs(
                partition="aws",
                account_id=ACCOUNT,
                document_names=["SSM-SessionManagerRunShell"],
                aws_document_names=["AWS-StartPortForwardingSession"],
                session_data_key_arns=[KEY],
            )
        ),
        instance_inventory_policy(),
    ]


def test_every_action_aws_lets_you_scope_is_scoped() -> None:
    """An action on "*" must be one whose SAR entry lists no resource type."""
    for policy in _every_builder_policy():
        assert scoping_problems(policy) == []


def test_scoping_check_can_fail() -> None:
    loose = {
        "Statement": [{"Sid": "X", "Action": "ssm:UpdateInstanceInformation", "Resource": "*"}]
    }
    assert scoping_problems(loose) == [
        "X: ssm:UpdateInstanceInformation supports ['instance', 'managed-instance']"
    ]
    # And the actions kept on "*" really have no resource type in the SAR.
    for action in [
        "ssmmessages:CreateControlChannel",
        "logs:DescribeLogGroups",
        "ec2:DescribeInstances",
    ]:
        assert sar_resource_types(action) == []


@pytest.mark.parametrize(
    ("content", "names"),
    [
        ({"inputs": {"portNumber": "{{ ssm:/team/db/port }}"}}, ["/team/db/port"]),
        # A version or label selector is not part of the name (the agent's resolver).
        ({"properties": {"host": "{{ssm:db-host:3}}"}}, ["db-host"]),
        ({"parameters": {"host": {"type": "String", "default": "{{ssm:db-host}}"}}}, ["db-host"]),
        # Only what the agent resolves: descriptions are never resolved.
        ({"description": "{{ssm:unused}}", "inputs": {"a": ["x {{ssm:a.b_c-d}} y"]}}, ["a.b_c-d"]),
        # `ssm-secure:` is not the agent's pattern, and neither is a bare name.
        ({"inputs": {"a": "{{ssm-secure:pw}} ssm:x {{ssm:}}"}}, []),
        # A parameter shared by another account is referenced by its ARN. The agent sends
        # everything after `ssm:` to GetParameters (amazon-ssm-agent
        # agent/framework/docparser/parameterstore/parameterstore.go, validParamRegex
        # `:([/\w.:-]+)*`), so the ARN is the name; a selector still follows the name.
        (
            {"inputs": {"a": "{{ssm:arn:aws:ssm:us-east-1:111122223333:parameter/shared/x}}"}},
            ["arn:aws:ssm:us-east-1:111122223333:parameter/shared/x"],
        ),
        (
            {"inputs": {"a": "{{ssm:arn:aws:ssm:us-east-1:444455556666:parameter/shared/x:2}}"}},
            ["arn:aws:ssm:us-east-1:444455556666:parameter/shared/x"],
        ),
    ],
)
def test_document_parameter_references(content: dict[str, Any], names: list[str]) -> None:
    assert document_parameter_names(content) == names


def test_parameter_arns_follow_the_partition() -> None:
    assert parameter_arn("aws-us-gov", ACCOUNT, "/a/b") == (
        f"arn:aws-us-gov:ssm:*:{ACCOUNT}:parameter/a/b"
    )
    assert parameter_arn("aws-cn", ACCOUNT, "plain", "cn-north-1") == (
        f"arn:aws-cn:ssm:cn-north-1:{ACCOUNT}:parameter/plain"
    )


def test_an_arn_reference_is_its_own_resource_in_the_stack_partition() -> None:
    shared = "arn:aws:ssm:us-east-1:444455556666:parameter/shared/x"
    assert parameter_arn("aws", ACCOUNT, shared) == shared
    with pytest.raises(ValueError, match="partition aws, but the stack's Regions are in aws-cn"):
        parameter_arn("aws-cn", ACCOUNT, shared)
    with pytest.raises(ValueError, match="is not a parameter ARN"):
        parameter_arn("aws", ACCOUNT, "arn:aws:ssm:us-east-1:444455556666:document/x")
    policy = instance_policy(
        InstancePolicyInputs(partition="aws", account_id=ACCOUNT, parameter_names=[shared, "/a"])
    )
    assert statement(policy, "ResolveDocumentParameters")["Resource"] == [
        f"arn:aws:ssm:*:{ACCOUNT}:parameter/a",
        shared,
    ]
