"""IAM and KMS policy builders.

Pure functions that return policy dicts. Every ARN is built from the partition
it lives in, so the same code is right in aws, aws-cn and aws-us-gov.
Statements and resource lists come out sorted, so the same inputs always
serialize to the same JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    if inputs.log_group_names:
        group_arns = sorted(
            {f"arn:{p}:logs:*:{account}:log-group:{name}" for name in inputs.log_group_names}
        )
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
                "Resource": _one_or_many(object_arns),
            },
            {
                "Sid": "CheckSessionLogBucketEncryption",
                "Effect": "Allow",
                "Action": "s3:GetEncryptionConfiguration",
                "Resource": _one_or_many(f"arn:{p}:s3:::{dest.bucket_name}" for dest in inputs.s3),
            },
        ]
        if foreign_object_arns:
            # A bucket in another account: the agent hands each object to the bucket owner.
            statements.append(
                {
                    "Sid": "HandSessionLogObjectsToBucketOwner",
                    "Effect": "Allow",
                    "Action": "s3:PutObjectAcl",
                    "Resource": _one_or_many(foreign_object_arns),
                }
            )
        bucket_keys = [dest.kms_key_arn for dest in inputs.s3 if dest.kms_key_arn]
        if bucket_keys:
            statements.append(
                {
                    "Sid": "EncryptSessionLogObjects",
                    "Effect": "Allow",
                    "Action": "kms:GenerateDataKey",
                    "Resource": _one_or_many(bucket_keys),
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


def session_key_statements(
    sid: str,
    action: str,
    *,
    partition: str,
    account_id: str,
    key_arns: Sequence[str],
    key_aliases: Sequence[str],
) -> list[Statement]:
    """One action on the session-data keys: by ARN, and by alias in any Region of the account."""
    statements: list[Statement] = []
    if key_arns:
        statements.append(
            {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": _one_or_many(key_arns)}
        )
    if key_aliases:
        statements.append(
            {
                "Sid": f"{sid}ByAlias",
                "Effect": "Allow",
                "Action": action,
                "Resource": f"arn:{partition}:kms:*:{account_id}:key/*",
                "Condition": {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": _one_or_many(key_aliases)}
                },
            }
        )
    return statements


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


def _org_writer_condition(
    partition: str, organization_id: str, writer_role_names: Sequence[str]
) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:PrincipalOrgID": organization_id}}
    if writer_role_names:
        condition["ArnLike"] = {
            "aws:PrincipalArn": _one_or_many(
                f"arn:{partition}:iam::*:role/{name}" for name in writer_role_names
            )
        }
    return condition


def central_log_bucket_policy(
    *,
    partition: str,
    bucket_name: str,
    key_prefix: str,
    organization_id: str,
    writer_role_names: Sequence[str] = (),
) -> Policy:
    """Bucket policy: TLS only; the organization's instance roles write their own logs.

    Each principal may write only under `<prefix>/<its own account>/`, enforced
    with the `${aws:PrincipalAccount}` policy variable; the Region folder below it
    is set by each account's preferences document.
    """
    bucket_arn = f"arn:{partition}:s3:::{bucket_name}"
    prefix = key_prefix.strip("/")
    own_folder = f"{prefix}/${{aws:PrincipalAccount}}/*" if prefix else "${aws:PrincipalAccount}/*"
    writers = _org_writer_condition(partition, organization_id, writer_role_names)
    return policy_document(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "OrganizationInstancesWriteOwnSessionLogs",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["s3:PutObject", "s3:PutObjectAcl"],
                "Resource": f"{bucket_arn}/{own_folder}",
                "Condition": writers,
            },
            {
                "Sid": "OrganizationInstancesCheckEncryption",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetEncryptionConfiguration",
                "Resource": bucket_arn,
                "Condition": writers,
            },
        ]
    )


def central_log_key_policy(
    *,
    partition: str,
    account_id: str,
    region: str,
    bucket_name: str,
    organization_id: str,
    writer_role_names: Sequence[str] = (),
) -> Policy:
    """Key policy of the central bucket's key: usable by the organization, through S3 only."""
    bucket_arn = f"arn:{partition}:s3:::{bucket_name}"
    condition = _org_writer_condition(partition, organization_id, writer_role_names)
    condition["StringEquals"]["kms:ViaService"] = service_principal("s3", region)
    # With S3 Bucket Keys the encryption context is the bucket ARN, otherwise the object's.
    # Encryption-context keys are strings, so StringLike (not ArnLike) compares them.
    condition["StringLike"] = {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]}
    return policy_document(
        [
            key_admin_statement(partition, account_id),
            {
                "Sid": "OrganizationInstancesEncryptSessionLogs",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": condition,
            },
        ]
    )


# --- Policies for people ------------------------------------------------------

# What session clients call to list and follow sessions; none supports resource-level
# permissions.
SESSION_CLIENT_ACTIONS = (
    "ec2:DescribeInstances",
    "ssm:DescribeInstanceProperties",
    "ssm:DescribeSessions",
    "ssm:GetConnectionStatus",
)
DOCUMENT_CHANGE_ACTIONS = (
    "ssm:CreateDocument",
    "ssm:DeleteDocument",
    "ssm:UpdateDocument",
    "ssm:UpdateDocumentDefaultVersion",
    "ssm:UpdateDocumentMetadata",
)


def document_arns(partition: str, account_id: str, names: Iterable[str]) -> list[str]:
    """This account's documents, in every Region (documents are regional, names are not)."""
    return sorted({f"arn:{partition}:ssm:*:{account_id}:document/{name}" for name in names})


@dataclass(frozen=True)
class SessionUserPolicyInputs:
    partition: str
    account_id: str
    # Documents this project manages in the account (preferences and custom ones).
    document_names: Sequence[str]
    aws_document_names: Sequence[str] = ()
    # Tag key -> allowed values; empty allows every instance.
    instance_tags: Mapping[str, Sequence[str]] = field(default_factory=dict[str, Sequence[str]])
    session_data_key_arns: Sequence[str] = ()
    session_data_key_aliases: Sequence[str] = ()
    session_owner_variable: str = "${aws:username}"


def session_user_policy(inputs: SessionUserPolicyInputs) -> Policy:
    """Lets people start sessions on the allowed nodes with the allowed documents, and no more.

    `ssm:SessionDocumentAccessCheck` makes StartSession check the user's access to
    the default preferences document, so nobody can pick a document that skips
    its logging. Users may end or resume only their own sessions.
    """
    p, account = inputs.partition, inputs.account_id
    node_condition: dict[str, Any] = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    if inputs.instance_tags:
        node_condition["StringLike"] = {
            f"ssm:resourceTag/{key}": _one_or_many(values)
            for key, values in sorted(inputs.instance_tags.items())
        }
    documents = document_arns(p, account, inputs.document_names) + sorted(
        f"arn:{p}:ssm:*::document/{name}" for name in set(inputs.aws_document_names)
    )
    statements: list[Statement] = [
        {
            "Sid": "StartSessionsOnAllowedNodes",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": [
                f"arn:{p}:ec2:*:{account}:instance/*",
                f"arn:{p}:ssm:*:{account}:managed-instance/*",
            ],
            "Condition": node_condition,
        },
        {
            "Sid": "StartSessionsWithAllowedDocuments",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": _one_or_many(documents),
            "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}},
        },
        {
            "Sid": "FollowSessions",
            "Effect": "Allow",
            "Action": list(SESSION_CLIENT_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "EndOrResumeOwnSessions",
            "Effect": "Allow",
            "Action": ["ssm:ResumeSession", "ssm:TerminateSession"],
            "Resource": f"arn:{p}:ssm:*:{account}:session/{inputs.session_owner_variable}-*",
        },
    ]
    statements += session_key_statements(
        "EncryptSessionData",
        "kms:GenerateDataKey",
        partition=p,
        account_id=account,
        key_arns=inputs.session_data_key_arns,
        key_aliases=inputs.session_data_key_aliases,
    )
    return policy_document(statements)


def instance_inventory_policy() -> Policy:
    """Read-only listing for clients that sync instances (no resource-level permissions)."""
    return policy_document(
        [
            {
                "Sid": "ListInstances",
                "Effect": "Allow",
                "Action": ["ec2:DescribeInstanceStatus", "ec2:DescribeInstances"],
                "Resource": "*",
            }
        ]
    )


def preferences_guard_policy(
    partition: str,
    account_id: str,
    document_names: Sequence[str],
    deployer_role_arns: Sequence[str],
) -> Policy:
    """Denies changing the managed documents to everyone but the deployer roles."""
    return policy_document(
        [
            {
                "Sid": "ManagedDocumentsChangeOnlyThroughCode",
                "Effect": "Deny",
                "Action": list(DOCUMENT_CHANGE_ACTIONS),
                "Resource": _one_or_many(document_arns(partition, account_id, document_names)),
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": _one_or_many(deployer_role_arns)}},
            }
        ]
    )
