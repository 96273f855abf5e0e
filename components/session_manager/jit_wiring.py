"""How the program turns `justInTimeAccess` config into each account-Region's component.

aws-native resources have no per-resource Region: each account-Region gets its own
aws-native provider, pinned to the account and assuming the account's deploy role.
"""

from __future__ import annotations

from collections.abc import Iterable

import pulumi
import pulumi_aws_native as aws_native

from session_manager.aws.defaults import DEPLOY_SESSION_NAME
from session_manager.config.stack import StackConfig
from session_manager.just_in_time_access import SessionManagerJustInTimeAccess


def deploy_just_in_time_access(
    config: StackConfig,
    regions: Iterable[str],
    prefix: str,
    account_id: str | None,
    role_arn: str | None,
) -> list[SessionManagerJustInTimeAccess]:
    """The auto-approval policy of every managed Region of one account."""
    jit = config.just_in_time_access
    if jit is None or jit.auto_approval is None:
        return []
    deployed: list[SessionManagerJustInTimeAccess] = []
    for region in regions:
        provider = aws_native.Provider(
            f"aws-native-{account_id}-{region}" if account_id else f"aws-native-{region}",
            region=region,
            # The SDK defaults this to true, and the provider checks allowedAccountIds only
            # after its STS GetCallerIdentity, which that skips (pulumi-aws-native
            # provider/pkg/provider/provider.go Configure, validateAccountId).
            skip_credentials_validation=False,
            allowed_account_ids=[account_id] if account_id else None,
            assume_role=(
                aws_native.ProviderAssumeRoleArgs(
                    role_arn=role_arn, session_name=DEPLOY_SESSION_NAME
                )
                if role_arn
                else None
            ),
        )
        deployed.append(
            SessionManagerJustInTimeAccess(
                f"{prefix}-{region}-just-in-time-access",
                {
                    "auto_approval_policy": jit.auto_approval.policy,
                    "auto_approval_name": jit.auto_approval.name,
                    "tags": dict(config.tags),
                },
                opts=pulumi.ResourceOptions(providers=[provider]),
            )
        )
    return deployed
