"""KMS key policies and the key statements other policies share."""

from __future__ import annotations

from collections.abc import Sequence

from session_manager.aws.policy_document import (
    Policy,
    Statement,
    account_root_arn,
    log_group_arn,
    one_or_many,
    policy_document,
)
from session_manager.aws.rules import service_principal

# What CloudWatch Logs needs from a key that encrypts a log group (AWS's documented set).
LOGS_KEY_ACTIONS = (
    "kms:Decrypt*",
    "kms:Describe*",
    "kms:Encrypt*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)


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
            {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": one_or_many(key_arns)}
        )
    if key_aliases:
        statements.append(
            {
                "Sid": f"{sid}ByAlias",
                "Effect": "Allow",
                "Action": action,
                "Resource": f"arn:{partition}:kms:*:{account_id}:key/*",
                "Condition": {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": one_or_many(key_aliases)}
                },
            }
        )
    return statements
