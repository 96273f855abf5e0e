"""How the program turns `justInTimeAccess` config into each account-Region's component.

aws-native resources have no per-resource Region: each account-Region gets its own
aws-native provider, pinned to the account and assuming the account's deploy role. A
stack without targets has no deploy role: its aws-native providers take the stack's
default pulumi-aws provider's credentials settings (`aws:profile`, `aws:allowedAccountIds`,
`aws:assumeRoles`), which an explicit provider does not read.
Each account-Region gets its own policies: its target's `justInTimeAccess`, else the
stack's (config/stack.py `jit_for`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_aws_native as aws_native

from session_manager.args import (
    JustInTimeApprovalLevelArgs,
    ManualApprovalPolicyArgs,
    SessionManagerJustInTimeAccessArgs,
)
from session_manager.aws.defaults import DEPLOY_SESSION_NAME
from session_manager.aws.jit import undeployable_reason
from session_manager.config.errors import ConfigError
from session_manager.config.jit import JustInTimeAccess, ManualApproval
from session_manager.just_in_time_access import SessionManagerJustInTimeAccess


@dataclass(frozen=True)
class StackCredentials:
    """The stack's default pulumi-aws provider settings that choose the account.

    An explicit provider reads none of the stack's `aws:` config, so without these the
    aws-native providers of a stack without targets use whatever account the ambient
    credentials are in, not the one `aws:profile` / `aws:assumeRoles` reach and
    `aws:allowedAccountIds` pins."""

    profile: str | None = None
    # pulumi-aws takes a list; aws-native one file: passed when the list has one.
    shared_credentials_file: str | None = None
    allowed_account_ids: list[str] | None = None
    forbidden_account_ids: list[str] | None = None
    assume_role: dict[str, Any] | None = None


# pulumi-aws settings that choose credentials and aws-native has no input for (its
# provider: profile, sharedCredentialsFile, assumeRole{roleArn, sessionName, externalId,
# durationSeconds, policy, policyArns, tags, transitiveTagKeys}, allowed/forbidden ids).
_UNFOLLOWED_KEYS = {
    "accessKey": "keys in the stack file",
    "secretKey": "keys in the stack file",
    "token": "keys in the stack file",
    "assumeRoleWithWebIdentity": "a web-identity role",
    "sharedConfigFiles": "shared config files",
}
_UNFOLLOWED_ROLE_FIELDS = ("sourceIdentity",)
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def _aws_object(config: pulumi.Config, key: str, kind: type) -> Any:
    """`aws:<key>` as JSON of `kind` (None when unset), or a config error naming it."""
    raw = config.get(key)
    if raw is None:
        return None
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    if not isinstance(value, kind):
        expected = "a list" if kind is list else "an object"
        raise ConfigError([(f"aws:{key}", f"must be {expected} (got {raw!r})")])
    return value


def _refuse(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise ConfigError(
            [
                (
                    key,
                    f"{why}, which the just-in-time documents' aws-native provider can't "
                    "follow: give the credentials through the environment, `aws:profile` or "
                    "one `aws:sharedCredentialsFiles` entry, or deploy through "
                    "`session-manager:targets` (docs/just-in-time-access.md)",
                )
                for key, why in problems
            ]
        )


def _duration_seconds(role: dict[str, Any]) -> int | None:
    """pulumi-aws's `duration` ("1h", "15m", "900s") as aws-native's durationSeconds."""
    duration = role.get("duration")
    if duration in (None, ""):
        return None
    match = _DURATION.fullmatch(str(duration))
    if not match or not any(match.groups()):
        raise ConfigError(
            [("aws:assumeRoles", f"duration {duration!r} is not like 1h, 15m or 900s")]
        )
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def stack_credentials() -> StackCredentials:
    """Read the stack's `aws:` provider settings; what aws-native can't follow (a role
    chain, static keys, a web identity, config files, a source identity) is refused here,
    before any resource is registered."""
    config = pulumi.Config("aws")
    roles = _aws_object(config, "assumeRoles", list)
    single = _aws_object(config, "assumeRole", dict)  # pulumi-aws 6's one-role form
    chain: list[Any] = [*([single] if single else []), *(roles or [])]
    if len(chain) > 1:
        raise ConfigError(
            [
                (
                    "aws:assumeRoles",
                    f"names a chain of {len(chain)} roles; the just-in-time documents' "
                    "aws-native provider assumes one role: use one role that the stack's "
                    "credentials can assume directly, or deploy through "
                    "`session-manager:targets` (docs/just-in-time-access.md)",
                )
            ]
        )
    role = cast(dict[str, Any], chain[0]) if chain and isinstance(chain[0], dict) else None
    files = _aws_object(config, "sharedCredentialsFiles", list)
    problems = [
        (f"aws:{key}", f"sets {why}")
        for key, why in _UNFOLLOWED_KEYS.items()
        if config.get_secret(key) is not None
    ]
    if files and len(files) > 1:
        problems.append(("aws:sharedCredentialsFiles", "sets more than one credentials file"))
    problems += [
        ("aws:assumeRoles", f"sets the role's {field}")
        for field in _UNFOLLOWED_ROLE_FIELDS
        if role and role.get(field)
    ]
    _refuse(sorted(set(problems)))
    if role is not None and role.get("duration") not in (None, ""):
        role = {**role, "durationSeconds": _duration_seconds(role)}
    allowed = _aws_object(config, "allowedAccountIds", list)
    forbidden = _aws_object(config, "forbiddenAccountIds", list)
    return StackCredentials(
        profile=config.get("profile"),
        shared_credentials_file=str(files[0]) if files and len(files) == 1 else None,
        allowed_account_ids=[str(a) for a in allowed] if allowed else None,
        forbidden_account_ids=[str(a) for a in forbidden] if forbidden else None,
        assume_role=role,
    )


def _native_assume_role(
    role_arn: str | None, stack: StackCredentials | None
) -> aws_native.ProviderAssumeRoleArgs | None:
    if role_arn:
        return aws_native.ProviderAssumeRoleArgs(
            role_arn=role_arn, session_name=DEPLOY_SESSION_NAME
        )
    role = stack.assume_role if stack else None
    if not role:
        return None
    # The keys pulumi-aws's ProviderAssumeRole and aws-native's ProviderAssumeRoleArgs
    # share; `duration` is converted (stack_credentials), `sourceIdentity` is refused there.
    return aws_native.ProviderAssumeRoleArgs(
        role_arn=role.get("roleArn"),
        session_name=role.get("sessionName"),
        duration_seconds=role.get("durationSeconds"),
        external_id=role.get("externalId"),
        policy=role.get("policy"),
        policy_arns=role.get("policyArns"),
        tags=role.get("tags"),
        transitive_tag_keys=role.get("transitiveTagKeys"),
    )


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
    stack: StackCredentials | None = None,
) -> list[SessionManagerJustInTimeAccess]:
    """The approval policies of every managed Region of one account (`policies`: by Region).

    `former_prefix`: as program._deploy_account's (movedFromAccountStack): the component
    is aliased to its per-account stack's name, and its documents follow it. `stack`: the
    stack's own provider settings, for a stack without targets (no `account_id`)."""
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
            allowed_account_ids=(
                [account_id] if account_id else stack.allowed_account_ids if stack else None
            ),
            forbidden_account_ids=None if account_id or not stack else stack.forbidden_account_ids,
            profile=None if account_id or not stack else stack.profile,
            shared_credentials_file=(
                None if account_id or not stack else stack.shared_credentials_file
            ),
            assume_role=_native_assume_role(role_arn, None if account_id else stack),
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
