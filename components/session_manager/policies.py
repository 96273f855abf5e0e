"""IAM and KMS policy builders.

Pure functions that return policy dicts. Every ARN is built from the partition
it lives in, so the same code is right in aws, aws-cn and aws-us-gov.
Statements and resource lists come out sorted, so the same inputs always
serialize to the same JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from session_manager.aws_rules import service_principal

POLICY_VERSION = "2012-10-17"

Statement = dict[str, Any]
Policy = dict[str, Any]

# What CloudWatch Logs needs from a key that encrypts a log group (AWS's documented set).
LOGS_KEY_ACTIONS = (
    "kms:Decrypt*",
    "kms:Describe*",
    "kms:Encrypt*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)

# What the SSM Agent needs for every session, whatever else is configured.
SESSION_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)


def _one_or_many(values: Iterable[str]) -> str | list[str]:
    unique = sorted(set(values))
    return unique[0] if len(unique) == 1 else unique


def policy_document(statements: Sequence[Statement]) -> Policy:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def account_root_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def log_group_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def key_admin_statement(partition: str, account_id: str) -> Statement:
    """Lets the account's IAM policies govern the key.

    KMS refuses a key policy without it ("will not allow you to update the key
    policy in the future"), and it is what keeps the key manageable.
    """
    return {
        "Sid": "EnableIamPoliciesForThisAccount",
        "Effect": "Allow",
        "Principal": {"AWS": account_root_arn(partition, account_id)},
        "Action": "kms:*",
        "Resource": "*",
    }


def session_data_key_policy(partition: str, account_id: str) -> Policy:
    """Key policy of the session-data key: IAM in this account decides who uses it."""
    return policy_document([key_admin_statement(partition, account_id)])


def logs_key_policy(partition: str, account_id: str, region: str, log_group_name: str) -> Policy:
    """Key policy that lets CloudWatch Logs use the key for one log group only."""
    return policy_document(
        [
            key_admin_statement(partition, account_id),
            {
                "Sid": "AllowCloudWatchLogsForTheSessionLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": service_principal("logs", region)},
                "Action": list(LOGS_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": log_group_arn(
                            partition, region, account_id, log_group_name
                        )
                    }
                },
            },
        ]
    )


@dataclass(frozen=True)
class S3LogDestination:
    """Where the agent writes session logs in S3."""

    bucket_name: str
    key_prefixes: Sequence[str] = ("",)
    # Set when the bucket belongs to another account: the agent must then hand
    # the object to the bucket owner (s3:PutObjectAcl).
    bucket_account_id: str = ""
    # The bucket's SSE-KMS key, when it has one: uploads need a data key from it.
    kms_key_arn: str = ""


@dataclass(frozen=True)
class InstancePolicyInputs:
    """The ARNs an instance profile needs, gathered from every Region of one account."""

    partition: str
    account_id: str
    log_group_arns: Sequence[str] = ()
    session_data_key_arns: Sequence[str] = ()
    s3: S3LogDestination | None = None


def _object_arns(partition: str, s3: S3LogDestination) -> list[str]:
    arns: list[str] = []
    for prefix in s3.key_prefixes or ("",):
        clean = prefix.strip("/")
        path = f"{clean}/*" if clean else "*"
        arns.append(f"arn:{partition}:s3:::{s3.bucket_name}/{path}")
    return arns


def instance_policy(inputs: InstancePolicyInputs) -> Policy:
    """Least-privilege policy for the instance profiles of managed nodes.

    Grants the session channels always, and for each enabled feature exactly what
    the SSM Agent calls, scoped to the resource ARNs wherever IAM allows it.
    """
    p, account = inputs.partition, inputs.account_id
    statements: list[Statement] = [
        {
            "Sid": "SessionManagerChannels",
            "Effect": "Allow",
            "Action": list(SESSION_CHANNEL_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "RegisterManagedNode",
            "Effect": "Allow",
            "Action": "ssm:UpdateInstanceInformation",
            "Resource": "*",
        },
    ]
    if inputs.log_group_arns:
        group_arns = sorted(set(inputs.log_group_arns))
        statements += [
            {
                "Sid": "WriteSessionLogStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": _one_or_many(f"{arn}:log-stream:*" for arn in group_arns),
            },
            {
                "Sid": "DescribeSessionLogStreams",
                "Effect": "Allow",
                "Action": "logs:DescribeLogStreams",
                "Resource": _one_or_many([*group_arns, *(f"{arn}:*" for arn in group_arns)]),
            },
            {
                # The agent lists log groups to check encryption before it streams.
                # DescribeLogGroups has no resource-level permissions: "*" is the only form.
                "Sid": "CheckSessionLogGroupEncryption",
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": "*",
            },
        ]
    if inputs.s3 is not None:
        object_arns = _object_arns(p, inputs.s3)
        put_actions = ["s3:PutObject"]
        if inputs.s3.bucket_account_id and inputs.s3.bucket_account_id != account:
            put_actions.append("s3:PutObjectAcl")
        statements += [
            {
                "Sid": "WriteSessionLogObjects",
                "Effect": "Allow",
                "Action": _one_or_many(put_actions),
                "Resource": _one_or_many(object_arns),
            },
            {
                "Sid": "CheckSessionLogBucketEncryption",
                "Effect": "Allow",
                "Action": "s3:GetEncryptionConfiguration",
                "Resource": f"arn:{p}:s3:::{inputs.s3.bucket_name}",
            },
        ]
        if inputs.s3.kms_key_arn:
            statements.append(
                {
                    "Sid": "EncryptSessionLogObjects",
                    "Effect": "Allow",
                    "Action": "kms:GenerateDataKey",
                    "Resource": inputs.s3.kms_key_arn,
                }
            )
    if inputs.session_data_key_arns:
        statements.append(
            {
                "Sid": "DecryptSessionData",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": _one_or_many(inputs.session_data_key_arns),
            }
        )
    return policy_document(statements)


def ec2_trust_policy(partition: str) -> Policy:
    """Trust policy that lets EC2 hand the role to instances."""
    principal = "ec2.amazonaws.com.cn" if partition == "aws-cn" else "ec2.amazonaws.com"
    return policy_document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sts:AssumeRole",
            }
        ]
    )
