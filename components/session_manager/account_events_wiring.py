"""How the program turns `accountEvents` config into the component's args.

The token is read as a secret and refused when the stack stores it in plain
text; the OUs to watch are the target OUs and every OU below them, read at plan
time like the OUs' accounts.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from session_manager.args import SessionManagerAccountEventsArgs
from session_manager.aws.account_events import GITHUB_HEADERS, ORGANIZATIONS_HOME_REGIONS
from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.stack import StackConfig


def _descendant_organizational_units(ou_id: str) -> list[str]:
    """Every OU below an OU (the provider walks the whole subtree), read at plan time."""
    result = aws.organizations.get_organizational_unit_descendant_organizational_units(
        parent_id=ou_id
    )
    return [child.id for child in result.childrens]


def watched_organizational_units(config: StackConfig) -> list[str] | None:
    """The target OUs and every OU below them; None when a root is a target (every OU)."""
    roots = [t.organizational_unit for t in config.targets if t.organizational_unit]
    if any(ou.startswith("r-") for ou in roots):
        return None
    watched = set(roots)
    for ou in roots:
        watched.update(_descendant_organizational_units(ou))
    return sorted(watched)


def account_events_warnings(config: StackConfig) -> list[str]:
    """What a plan should point out about `accountEvents` that is not an error."""
    if config.account_events is None and config.account_events_token_text:
        return [
            f"{NAMESPACE}:accountEventsToken is set but {NAMESPACE}:accountEvents is not: "
            "the token is unused; remove it, or configure accountEvents"
        ]
    return []


def account_events_token(config: StackConfig) -> pulumi.Output[str]:
    """The endpoint's token, only ever as a secret; refused when stored in plain text."""
    key = f"{NAMESPACE}:accountEventsToken"
    if not pulumi.runtime.is_config_secret(key):
        raise ConfigError(
            [
                (
                    key,
                    "is stored in plain text; store it encrypted with "
                    f"pulumi config set --secret {key} <token>",
                )
            ]
        )
    return pulumi.Output.secret(config.account_events_token_text)


def account_events_args(
    config: StackConfig, partition: str, stack: str, token: pulumi.Output[str]
) -> SessionManagerAccountEventsArgs:
    """The component args for `accountEvents`, in the partition's Organizations Region.

    `token` comes from `account_events_token`, which the program calls before it
    registers anything, so a plain-text token stops the run before any resource.
    """
    events = config.account_events
    if events is None:
        raise ValueError("accountEvents is not configured")
    watched = watched_organizational_units(config)
    args = SessionManagerAccountEventsArgs(
        region=ORGANIZATIONS_HOME_REGIONS.get(partition, "us-east-1"),
        name=events.name,
        stack=stack,
        invocation_endpoint=events.invocation_endpoint,
        token=token,
        api_key_name=events.api_key_name,
        api_key_scheme=events.api_key_scheme,
        basic_auth_username=events.basic_auth_username,
        headers=dict(GITHUB_HEADERS) if events.repository else {},
        watched_organizational_units=watched or [],
        watch_every_organizational_unit=watched is None,
        excluded_accounts=list(config.exclude_accounts),
        invocation_rate_limit_per_second=events.invocation_rate_limit_per_second,
        maximum_retry_attempts=events.maximum_retry_attempts,
        maximum_event_age_in_seconds=events.maximum_event_age_in_seconds,
        dead_letter_retention_days=events.dead_letter_retention_days,
        alarm_topic_arn=events.alarm_topic_arn,
        create_alarm_topic=events.create_alarm_topic,
        alarm_emails=list(events.alarm_emails),
        tags=dict(config.tags),
    )
    if events.account:
        args["account_id"] = events.account
    return args
