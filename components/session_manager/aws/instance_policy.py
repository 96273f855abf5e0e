"""IAM for managed nodes: what the SSM Agent calls, per enabled feature, and the EC2 trust."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from session_manager.aws.key_policies import session_key_statements
from session_manager.aws.parameter_references import parameter_arns
from session_manager.aws.policy_document import (
    Policy,
    Statement,
    managed_node_arns,
    one_or_many,
    policy_document,
)

# What the SSM Agent needs for every session, whatever else is configured. The Service
# Authorization Reference ("Actions, resources, and condition keys for Amazon Message Gateway
# Service") lists no resource type for any ssmmessages action, so "*" is the only form.
SESSION_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
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
    """What the instance profiles of one account need, for all of its Regions.

    Nothing here names a Region, so the policy stays the same when Regions are
    added: log groups are scoped by name, created keys by alias, and S3 logs by
    the account's own prefix.
    """

    partition: str
    account_id: str
    log_group_names: Sequence[str] = ()
    # Existing keys named by ARN; created keys are matched by alias instead.
    session_data_key_arns: Sequence[str] = ()
    session_data_key_aliases: Sequence[str] = ()
    s3: Sequence[S3LogDestination] = ()
    # Parameter Store names the managed documents reference as `{{ssm:name}}`.
    parameter_names: Sequence[str] = ()


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
            # The Service Authorization Reference lists the instance and managed-instance
            # resource types for ssm:UpdateInstanceInformation: the node registers itself.
            "Sid": "RegisterManagedNode",
            "Effect": "Allow",
            "Action": "ssm:UpdateInstanceInformation",
            "Resource": managed_node_arns(p, account),
        },
    ]
    if inputs.parameter_names:
        # The agent resolves `{{ssm:name}}` in Session documents with the node's own
        # credentials, through ssm:GetParameters (amazon-ssm-agent parameterstore).
        statements.append(
            {
                "Sid": "ResolveDocumentParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": one_or_many(parameter_arns(p, account, inputs.parameter_names)),
            }
        )
    if inputs.log_group_names:
        group_arns = sorted(
            {f"arn:{p}:logs:*:{account}:log-group:{name}" for name in inputs.log_group_names}
        )
        statements += [
            {
                "Sid": "WriteSessionLogStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": one_or_many(f"{arn}:log-stream:*" for arn in group_arns),
            },
            {
                "Sid": "DescribeSessionLogStreams",
                "Effect": "Allow",
                "Action": "logs:DescribeLogStreams",
                "Resource": one_or_many([*group_arns, *(f"{arn}:*" for arn in group_arns)]),
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
    if inputs.s3:
        object_arns = [arn for dest in inputs.s3 for arn in _object_arns(p, dest)]
        foreign_object_arns = [
            arn
            for dest in inputs.s3
            if dest.bucket_account_id and dest.bucket_account_id != account
            for arn in _object_arns(p, dest)
        ]
        statements += [
            {
                "Sid": "WriteSessionLogObjects",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": one_or_many(object_arns),
            },
            {
                "Sid": "CheckSessionLogBucketEncryption",
                "Effect": "Allow",
                "Action": "s3:GetEncryptionConfiguration",
                "Resource": one_or_many(f"arn:{p}:s3:::{dest.bucket_name}" for dest in inputs.s3),
            },
        ]
        if foreign_object_arns:
            # A bucket in another account: the agent hands each object to the bucket owner.
            statements.append(
                {
                    "Sid": "HandSessionLogObjectsToBucketOwner",
                    "Effect": "Allow",
                    "Action": "s3:PutObjectAcl",
                    "Resource": one_or_many(foreign_object_arns),
                }
            )
        bucket_keys = [dest.kms_key_arn for dest in inputs.s3 if dest.kms_key_arn]
        if bucket_keys:
            # The agent uploads with the SDK's multipart uploader (5 MiB parts, amazon-ssm-agent
            # agent/s3util). A multipart upload to an SSE-KMS bucket needs kms:Decrypt as well
            # as kms:GenerateDataKey (S3 user guide, "Multipart upload API and permissions").
            statements.append(
                {
                    "Sid": "EncryptSessionLogObjects",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": one_or_many(bucket_keys),
                }
            )
    statements += session_key_statements(
        "DecryptSessionData",
        "kms:Decrypt",
        partition=p,
        account_id=account,
        key_arns=inputs.session_data_key_arns,
        key_aliases=inputs.session_data_key_aliases,
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
