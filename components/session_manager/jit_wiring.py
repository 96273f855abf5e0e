"""How the program turns `justInTimeAccess` config into each account-Region's component.

aws-native resources have no per-resource Region: each account-Region gets its own
aws-native provider, pinned to the account and assuming the account's deploy role.
Each account-Region gets its own policies: its target's `justInTimeAccess`, else the
stack's (config/stack.py `jit_for`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws_native as aws_native

from session_manager.args import (
    JustInTimeApprovalLevelArgs,
    ManualApprovalPolicyArgs,
    SessionManagerJustInTimeAccessArgs,
)
from session_manager.aws.defaults import DEPLOY_SESSION_NAME
from session_manager.aws.jit import undeployable_reason
from session_manager.config.jit import JustInTimeAccess, ManualApproval
from session_manager.just_in_time_access import SessionManagerJustInTimeAccess


def manual_approval_args(policy: ManualApproval) -> ManualApprovalPolicyArgs:
    return ManualApprovalPolicyArgs(
        name=policy.name,
        access_duration_hours=policy.access_duration_hours,
        targets=[{"key": t.key, "value": t.value} for t in policy.targets],
        levels=[
            JustInTimeApprovalLevelArgs(
                approvers=[{"type": a.type, "id": a.id} for a in level.approvers]
            )
            for level in policy.levels
        ],
        description=policy.description,
    )


def just_in_time_args(
    jit: JustInTimeAccess, tags: Mapping[str, str]
) -> SessionManagerJustInTimeAccessArgs | None:
    """One account-Region's component args; None when it has nothing to deploy.

    Manual policies AWS's documented content can't express stay out (the plan warns:
    JustInTimeAccess.undeployed_warnings)."""
    args = SessionManagerJustInTimeAccessArgs(tags=dict(tags))
    if jit.auto_approval is not None:
        args["auto_approval_policy"] = jit.auto_approval.policy
        args["auto_approval_name"] = jit.auto_approval.name
    manual = [
        manual_approval_args(policy)
        for policy in jit.manual_approvals
        if undeployable_reason(policy.document()) is None
    ]
    if manual:
        args["manual_approvals"] = manual
    return args if "auto_approval_policy" in args or manual else None


def deploy_just_in_time_access(
    policies: Mapping[str, JustInTimeAccess | None],
    tags: Mapping[str, str],
    prefix: str,
    account_id: str | None,
    role_arn: str | None,
    *,
    former_prefix: str | None = None,
) -> list[SessionManagerJustInTimeAccess]:
    """The approval policies of every managed Region of one account (`policies`: by Region).

    `former_prefix`: as program._deploy_account's (movedFromAccountStack): the component
    is aliased to its per-account stack's name, and its documents follow it."""
    deployed: list[SessionManagerJustInTimeAccess] = []
    for region, jit in policies.items():
        args = just_in_time_args(jit, tags) if jit is not None else None
        if args is None:
            continue
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
                args,
                opts=pulumi.ResourceOptions(
                    providers=[provider],
                    aliases=(
                        [pulumi.Alias(name=f"{former_prefix}-{region}-just-in-time-access")]
                        if former_prefix
                        else None
                    ),
                ),
            )
        )
    return deployed
