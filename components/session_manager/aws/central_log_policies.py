"""The central log bucket's bucket policy and key policy: writers from the organization only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from session_manager.aws.key_policies import key_admin_statement
from session_manager.aws.log_archive import (
    KEY_LOSS_ACTIONS,
    KEY_POLICY_CHANGE,
    LOG_DELIVERY_PRINCIPAL,
    LOG_ERASURE_ACTIONS,
)
from session_manager.aws.policy_document import Policy, Statement, one_or_many, policy_document
from session_manager.aws.rules import service_principal


def org_writer_condition(
    partition: str, organization_id: str, writer_role_names: Sequence[str]
) -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {"aws:PrincipalOrgID": organization_id}}
    if writer_role_names:
        condition["ArnLike"] = {
            "aws:PrincipalArn": one_or_many(
                f"arn:{partition}:iam::*:role/{name}" for name in writer_role_names
            )
        }
    return condition


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """Refuse every request to the bucket that is not over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def deny_log_erasure(bucket_arn: str, break_glass_role_arn: str) -> Statement:
    """Nobody but the break-glass role may erase or unlock a log version, or change the rules.

    Object Lock GOVERNANCE yields to s3:BypassGovernanceRetention (S3 user guide, "Object Lock
    retention modes"); an explicit Deny wins over any Allow, the account's admins' and the
    deploy role's included (IAM user guide, "Policy evaluation logic").
    """
    return {
        "Sid": "DenyLogErasureExceptBreakGlass",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(LOG_ERASURE_ACTIONS),
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": break_glass_role_arn}},
    }


def central_log_bucket_policy(
    *,
    partition: str,
    bucket_name: str,
    key_prefix: str,
    organization_id: str,
    writer_role_names: Sequence[str] = (),
    break_glass_role_arn: str = "",
) -> Policy:
    """Bucket policy: TLS only; the organization's instance roles write their own logs.

    Each principal may write only under `<prefix>/<its own account>/`, enforced
    with the `${aws:PrincipalAccount}` policy variable; the Region folder below it
    is set by each account's preferences document.
    """
    bucket_arn = f"arn:{partition}:s3:::{bucket_name}"
    prefix = key_prefix.strip("/")
    own_folder = f"{prefix}/${{aws:PrincipalAccount}}/*" if prefix else "${aws:PrincipalAccount}/*"
    writers = org_writer_condition(partition, organization_id, writer_role_names)
    erasure = [deny_log_erasure(bucket_arn, break_glass_role_arn)] if break_glass_role_arn else []
    return policy_document(
        [
            deny_insecure_transport(bucket_arn),
            *erasure,
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


def deny_key_loss(break_glass_role_arn: str) -> Statement:
    """Nobody (but the break-glass role, when there is one) may disable or delete the key,
    nor, with a break-glass role, change the key policy that says so.

    An explicit Deny in the key policy wins over the account-root statement and every IAM
    Allow, the log-archive admins' and the deploy role's included (KMS developer guide,
    "Key policies": a key policy is evaluated with IAM policies; IAM user guide, "Policy
    evaluation logic"). Without a break-glass role kms:PutKeyPolicy stays allowed: denied
    to everyone, nobody could ever change the policy again.
    """
    statement: Statement = {
        "Sid": "DenyKeyDisableAndDeletion",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": list(KEY_LOSS_ACTIONS),
        "Resource": "*",
    }
    if break_glass_role_arn:
        statement["Sid"] = "DenyKeyPolicyChangeDisableAndDeletionExceptBreakGlass"
        statement["Action"] = sorted([*KEY_LOSS_ACTIONS, KEY_POLICY_CHANGE])
        statement["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": break_glass_role_arn}}
    return statement


def locks_out_deployer(break_glass_role_arn: str) -> bool:
    """Whether the central key's policy denies kms:PutKeyPolicy to the deploy role.

    Then KMS's lockout safety check refuses the policy from the deploy role unless
    BypassPolicyLockoutSafetyCheck is set (KMS API reference, CreateKey and PutKeyPolicy:
    "BypassPolicyLockoutSafetyCheck ... Setting this value to true increases the risk
    that the KMS key becomes unmanageable").
    """
    return bool(break_glass_role_arn)


def guards_logs(policy: Policy) -> bool:
    """Whether a key policy denies the key's loss: the central log key's (see deny_key_loss)."""
    for statement in policy.get("Statement", []):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") == "Deny" and "kms:ScheduleKeyDeletion" in actions:
            return True
    return False


def central_log_key_policy(
    *,
    partition: str,
    account_id: str,
    region: str,
    bucket_name: str,
    organization_id: str,
    writer_role_names: Sequence[str] = (),
    break_glass_role_arn: str = "",
) -> Policy:
    """Key policy of the central bucket's key: usable by the organization, through S3 only.

    No principal but the break-glass role (none without one) may disable the key or
    schedule its deletion. With a break-glass role nobody else may call kms:PutKeyPolicy
    either, the deploy role included, so no admin can first remove that deny: the key is
    created with the lockout safety check bypassed (`locks_out_deployer`), and a later
    change of this policy needs `pulumi up` as the break-glass role. Without one,
    PutKeyPolicy stays open to the account (the stack updates this policy itself when the
    writer roles change), and a service control policy can close it (README, "Central
    session logs").
    """
    bucket_arn = f"arn:{partition}:s3:::{bucket_name}"
    condition = org_writer_condition(partition, organization_id, writer_role_names)
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
            deny_key_loss(break_glass_role_arn),
        ]
    )


def access_log_bucket_policy(
    *,
    partition: str,
    bucket_name: str,
    source_bucket_name: str,
    source_account_id: str,
    prefix: str,
) -> Policy:
    """Bucket policy of the server-access-log bucket: TLS only; S3 delivers the source's logs.

    With Object Ownership enforced, log delivery is granted by policy, not by ACL, to
    the logging service principal, for the one source bucket of the one account
    (S3 user guide, "Permissions for log delivery").
    """
    bucket_arn = f"arn:{partition}:s3:::{bucket_name}"
    return policy_document(
        [
            deny_insecure_transport(bucket_arn),
            {
                "Sid": "S3ServerAccessLogsFromTheSessionLogBucket",
                "Effect": "Allow",
                "Principal": {"Service": LOG_DELIVERY_PRINCIPAL},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{prefix}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:s3:::{source_bucket_name}"},
                    "StringEquals": {"aws:SourceAccount": source_account_id},
                },
            },
        ]
    )
