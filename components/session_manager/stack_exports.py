"""The stack's exports: per account and Region what the components made, each secret
wherever it shows a secret config value, so `pulumi stack output` never prints one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

from session_manager.config.shards import SHARD_COUNT_OUTPUT
from session_manager.outputs import secret_where_shown

if TYPE_CHECKING:
    from session_manager.preferences import SessionManagerPreferences
    from session_manager.program import Deployment


def _region_outputs(p: SessionManagerPreferences) -> dict[str, pulumi.Input[str] | None]:
    return {
        "documentName": p.document_name,
        "documentArn": p.document_arn,
        "sessionDataKeyArn": p.session_data_key_arn,
        "logGroupName": p.log_group_name,
        "logGroupArn": p.log_group_arn,
        "s3BucketName": p.s3_bucket_name,
        "s3KeyPrefix": p.s3_key_prefix,
    }


def _export(name: str, value: Any) -> None:
    """A stack output, secret wherever it shows a secret config value."""
    pulumi.export(name, secret_where_shown({name: value})[name])


def export_outputs(deployment: Deployment) -> None:
    own = deployment.accounts.get("")
    if own is not None:
        _export("preferences", {r: _region_outputs(p) for r, p in own.preferences.items()})
        if own.access_policies is not None:
            _export(
                "accessPolicyArns",
                {
                    "sessionUsers": own.access_policies.session_users_policy_arn,
                    "instanceInventory": own.access_policies.instance_inventory_policy_arn,
                    "preferencesGuard": own.access_policies.preferences_guard_policy_arn,
                    # Only when created: stacks without them export what they did before.
                    **{
                        key: arn
                        for key, arn in (
                            (
                                "justInTimeRequesters",
                                own.access_policies.just_in_time_requesters_policy_arn,
                            ),
                            (
                                "justInTimeApprovers",
                                own.access_policies.just_in_time_approvers_policy_arn,
                            ),
                        )
                        if arn is not None
                    },
                },
            )
        if own.instance_access is not None:
            _export("instancePolicyArn", own.instance_access.policy_arn)
            _export("instanceRoleName", own.instance_access.role_name)
            _export("instanceProfileName", own.instance_access.instance_profile_name)
        return
    _export(
        "accounts",
        {
            account_id: {
                "preferences": {r: _region_outputs(p) for r, p in deployed.preferences.items()},
                "instancePolicyArn": (
                    deployed.instance_access.policy_arn if deployed.instance_access else None
                ),
            }
            for account_id, deployed in deployment.accounts.items()
        },
    )
    if deployment.account_events is not None:
        events = deployment.account_events
        _export(
            "accountEvents",
            {
                "ruleNames": events.rule_names,
                "apiDestinationArn": events.api_destination_arn,
                "deadLetterQueueUrl": events.dead_letter_queue_url,
                "alarmTopicArn": events.alarm_topic_arn,
            },
        )
    if deployment.central_logs is not None:
        _export(
            "centralLogs",
            {
                "bucketName": deployment.central_logs.bucket_name,
                "bucketArn": deployment.central_logs.bucket_arn,
                "kmsKeyArn": deployment.central_logs.kms_key_arn,
            },
        )
    if deployment.shard_count is not None:
        # What `shards --check-deployed` compares with the stack file's count.
        _export(SHARD_COUNT_OUTPUT, deployment.shard_count)
