"""Turn validated stack config into components: what `__main__.py` runs.

Resource names are derived from accounts, Regions and fixed roles only, never
from preference values, so changing a preference updates resources in place,
and adding a target or a Region leaves every other resource's name unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from session_manager.access_policies import SessionManagerAccessPolicies
from session_manager.account_events import SessionManagerAccountEvents
from session_manager.account_events_wiring import (
    account_events_args,
    account_events_token,
    account_events_warnings,
)
from session_manager.account_lookups import (
    organization_account_states,
    organizational_unit_accounts,
    own_account_id,
)
from session_manager.args import (
    CentralLogBucketArgs,
    LogGroupArgs,
    PolicyAttachmentArgs,
    PreferenceInputsArgs,
    S3LogDestinationArgs,
    SessionDataKeyArgs,
    SessionDocumentArgs,
    SessionManagerAccessPoliciesArgs,
    SessionManagerInstanceAccessArgs,
    SessionManagerPreferencesArgs,
    SessionManagerVpcEndpointsArgs,
    ShellProfileArgs,
)
from session_manager.aws.defaults import DEPLOY_SESSION_NAME
from session_manager.aws.parameter_references import document_parameter_names
from session_manager.aws.rules import partition_of_region
from session_manager.central_logs import SessionManagerCentralLogBucket
from session_manager.config.jit import JustInTimeAccess
from session_manager.config.limits import limit_warnings
from session_manager.config.preferences import Preferences
from session_manager.config.regions import region_warnings
from session_manager.config.stack import StackConfig
from session_manager.config.targets import resolve_own_account, resolve_targets
from session_manager.instance_access import SessionManagerInstanceAccess
from session_manager.jit_wiring import (
    StackCredentials,
    deploy_just_in_time_access,
    stack_credentials,
)
from session_manager.preferences import SessionManagerPreferences
from session_manager.secret_inputs import keep_config_secrets, refuse_secret_names
from session_manager.shard_wiring import StackShare
from session_manager.vpc_endpoints import SessionManagerVpcEndpoints


def preference_inputs(prefs: Preferences) -> PreferenceInputsArgs:
    inputs = PreferenceInputsArgs(
        s3_bucket_name=prefs.s3_bucket_name,
        s3_key_prefix=prefs.s3_key_prefix,
        s3_encryption_enabled=prefs.s3_encryption_enabled,
        cloud_watch_log_group_name=prefs.cloud_watch_log_group_name,
        cloud_watch_encryption_enabled=prefs.cloud_watch_encryption_enabled,
        cloud_watch_streaming_enabled=prefs.cloud_watch_streaming_enabled,
        run_as_enabled=prefs.run_as_enabled,
        run_as_default_user=prefs.run_as_default_user,
        shell_profile=ShellProfileArgs(
            linux=prefs.shell_profile.linux, windows=prefs.shell_profile.windows
        ),
    )
    if prefs.kms_key_id:
        inputs["kms_key_id"] = prefs.kms_key_id
    if prefs.idle_session_timeout is not None:
        inputs["idle_session_timeout"] = prefs.idle_session_timeout
    if prefs.max_session_duration is not None:
        inputs["max_session_duration"] = prefs.max_session_duration
    return inputs


@dataclass(frozen=True)
class CentralLogs:
    """Where every target writes its S3 session logs, when central logging is on."""

    bucket_name: str
    key_prefix: str
    account_id: str
    kms_key_arn: pulumi.Output[str]


def preferences_args(
    config: StackConfig,
    region: str,
    prefs: Preferences | None = None,
    *,
    account_id: str | None = None,
    central: CentralLogs | None = None,
    offboard: bool = False,
) -> SessionManagerPreferencesArgs:
    """The component args for one account-Region; `offboard`: its document and aliases
    are no longer retained (`offboardAccounts`)."""
    prefs = prefs or config.preferences
    log_group = LogGroupArgs(
        create=config.creates_log_group(prefs),
        retention_in_days=config.log_group.retention_in_days,
        kms_key_alias=config.log_group.kms_key_alias,
    )
    if config.log_group.kms_key_id:
        log_group["kms_key_id"] = config.log_group.kms_key_id
    if config.log_group.create_kms_key is not None:
        log_group["create_kms_key"] = config.log_group.create_kms_key
    inputs = preference_inputs(prefs)
    append = config.s3_logging.append_account_and_region
    if central is not None:
        inputs["s3_bucket_name"] = central.bucket_name
        inputs["s3_key_prefix"] = central.key_prefix
        inputs["s3_encryption_enabled"] = True
        append = True
    result = SessionManagerPreferencesArgs(
        documents=[
            SessionDocumentArgs(
                name=document.name,
                document_format=document.document_format,
                content=document.rendered,
                tags=dict(document.tags),
            )
            for document in config.documents
        ],
        region=region,
        document_name=config.document_name,
        document_description=config.document_description,
        preferences=inputs,
        session_data_key=SessionDataKeyArgs(
            create=config.creates_session_data_key(prefs),
            alias=config.session_data_key.alias,
            deletion_window_in_days=config.session_data_key.deletion_window_in_days,
        ),
        log_group=log_group,
        append_account_and_region_to_s3_prefix=append,
        retain_document_on_delete=config.retain_document_on_delete and not offboard,
        retain_key_aliases_on_delete=not offboard,
        tags=dict(config.tags),
    )
    if account_id is not None:
        result["account_id"] = account_id
    return result


def session_key_aliases(
    components: Sequence[SessionManagerPreferences],
) -> list[pulumi.Output[str]]:
    """Keys known by alias: IAM matches them in any Region, so policies name no Region."""
    return [p.session_data_key_alias for p in components if p.session_data_key_alias is not None]


def session_key_arns(components: Sequence[SessionManagerPreferences]) -> list[pulumi.Output[str]]:
    """Keys known only by ARN (an existing key named by id or ARN)."""
    return [
        p.session_data_key_arn
        for p in components
        if p.session_data_key_arn is not None and p.session_data_key_alias is None
    ]


def referenced_parameters(config: StackConfig, regional: Sequence[Preferences]) -> list[str]:
    """Parameter Store names that the account's managed documents make nodes resolve."""
    contents: list[dict[str, Any]] = [document.content for document in config.documents]
    contents += [{"inputs": dict(preference_inputs(prefs))} for prefs in regional]
    return sorted({name for content in contents for name in document_parameter_names(content)})


def instance_access_args(
    config: StackConfig,
    regional: dict[str, tuple[Preferences, SessionManagerPreferences]],
    *,
    account_id: str | None = None,
    central: CentralLogs | None = None,
    offboard: bool = False,
) -> SessionManagerInstanceAccessArgs:
    """IAM for one account, scoped to what every Region's preferences point at."""
    access = config.instance_access
    components = [component for _, component in regional.values()]
    result = SessionManagerInstanceAccessArgs(
        partition=partition_of_region(config.regions[0]).name,
        policy_name=access.policy_name,
        log_group_names=[p.log_group_name for p in components if p.log_group_name is not None],
        session_data_key_arns=session_key_arns(components),
        session_data_key_aliases=session_key_aliases(components),
        create_role=access.create_role,
        role_name=access.role_name,
        attach_to_role_names=list(access.attach_to_roles),
        retain_on_delete=not offboard,
        tags=dict(config.tags),
    )
    parameters = referenced_parameters(config, [prefs for prefs, _ in regional.values()])
    if parameters:
        result["parameter_names"] = parameters
    if account_id is not None:
        result["account_id"] = account_id
    # One destination per bucket: Regions may log to different buckets.
    by_bucket: dict[str, list[SessionManagerPreferences]] = {}
    for prefs, component in regional.values():
        bucket = central.bucket_name if central else prefs.s3_bucket_name
        if bucket:
            by_bucket.setdefault(bucket, []).append(component)
    destinations: list[S3LogDestinationArgs] = []
    appends = central is not None or config.s3_logging.append_account_and_region
    for bucket, members in sorted(by_bucket.items()):
        prefixes = [p.s3_key_prefix for p in members if p.s3_key_prefix is not None]
        if appends:
            # `<prefix>/<account>/<region>`: the account's folder covers all its Regions,
            # so adding a Region leaves the policy as it is.
            prefixes = [prefix.apply(_without_region) for prefix in prefixes]
        destination = S3LogDestinationArgs(bucket_name=bucket, key_prefixes=prefixes)
        if central is not None:
            destination["bucket_account_id"] = central.account_id
            destination["kms_key_arn"] = central.kms_key_arn
        else:
            if config.s3_logging.bucket_kms_key_arn:
                destination["kms_key_arn"] = config.s3_logging.bucket_kms_key_arn
            if config.s3_logging.bucket_account_id:
                destination["bucket_account_id"] = config.s3_logging.bucket_account_id
        destinations.append(destination)
    if destinations:
        result["s3_destinations"] = destinations
    return result


def _without_region(prefix: str) -> str:
    return prefix.rsplit("/", 1)[0]


def access_policies_args(
    config: StackConfig,
    components: Sequence[SessionManagerPreferences],
    *,
    account_id: str | None = None,
    deploy_role_arn: str | None = None,
    offboard: bool = False,
) -> SessionManagerAccessPoliciesArgs:
    """Policies for the people of one account, naming its managed documents and keys."""
    policies = config.access_policies
    users, inventory, guard = (
        policies.session_users,
        policies.instance_inventory,
        policies.preferences_guard,
    )
    requesters, approvers = policies.just_in_time_requesters, policies.just_in_time_approvers
    deployers: list[str] = sorted(
        set(guard.deployer_role_arns) | ({deploy_role_arn} if deploy_role_arn else set[str]())
    )
    result = SessionManagerAccessPoliciesArgs(
        partition=partition_of_region(config.regions[0]).name,
        document_names=[config.document_name, *(d.name for d in config.documents)],
        aws_document_names=list(users.allowed_aws_documents),
        instance_tags={key: list(values) for key, values in users.instance_tags.items()},
        session_data_key_arns=session_key_arns(components),
        session_data_key_aliases=session_key_aliases(components),
        own_session_methods=list(users.own_sessions),
        any_session_data_channel=users.any_session_data_channel,
        session_users_policy_name=users.name if users.create else "",
        session_users_attachments=PolicyAttachmentArgs(
            role_names=list(users.attach_to_roles), group_names=list(users.attach_to_groups)
        ),
        instance_inventory_policy_name=inventory.name if inventory.create else "",
        instance_inventory_attachments=PolicyAttachmentArgs(
            role_names=list(inventory.attach_to_roles), group_names=list(inventory.attach_to_groups)
        ),
        preferences_guard_policy_name=guard.name if guard.create else "",
        preferences_guard_attachments=PolicyAttachmentArgs(
            role_names=list(guard.attach_to_roles), group_names=list(guard.attach_to_groups)
        ),
        just_in_time_requesters_policy_name=requesters.name if requesters.create else "",
        just_in_time_requesters_attachments=PolicyAttachmentArgs(
            role_names=list(requesters.attach_to_roles),
            group_names=list(requesters.attach_to_groups),
        ),
        just_in_time_approvers_policy_name=approvers.name if approvers.create else "",
        just_in_time_approvers_attachments=PolicyAttachmentArgs(
            role_names=list(approvers.attach_to_roles),
            group_names=list(approvers.attach_to_groups),
        ),
        deployer_role_arns=deployers,
        retain_on_delete=not offboard,
        tags=dict(config.tags),
    )
    if account_id is not None:
        result["account_id"] = account_id
    return result


@dataclass
class AccountDeployment:
    """What one account got: its Regions' preferences and its IAM."""

    preferences: dict[str, SessionManagerPreferences] = field(
        default_factory=dict[str, SessionManagerPreferences]
    )
    instance_access: SessionManagerInstanceAccess | None = None
    access_policies: SessionManagerAccessPolicies | None = None
    vpc_endpoints: list[SessionManagerVpcEndpoints] = field(
        default_factory=list[SessionManagerVpcEndpoints]
    )
    provider: aws.Provider | None = None


@dataclass
class Deployment:
    """What one stack created, by account ("" for the credentials' own account)."""

    accounts: dict[str, AccountDeployment]
    central_logs: SessionManagerCentralLogBucket | None = None
    account_events: SessionManagerAccountEvents | None = None
    # A sharded organization's stacks export the count they deployed with: CI
    # refuses to deploy while the stack file's differs (docs/shards.md).
    shard_count: int | None = None


def _deploy_account(
    config: StackConfig,
    regions: dict[str, Preferences],
    *,
    prefix: str,
    account_id: str | None = None,
    provider: aws.Provider | None = None,
    central: CentralLogs | None = None,
    deploy_role_arn: str | None = None,
    offboard: bool = False,
    former_prefix: str | None = None,
    just_in_time: Mapping[str, JustInTimeAccess | None] | None = None,
    stack: StackCredentials | None = None,
) -> AccountDeployment:
    """One account's components, named `<prefix>-<role>`.

    `former_prefix`: the names the account's components had in another stack (a
    per-account stack's `session-manager`), matched through aliases after `pulumi state
    move`; the engine carries a component's alias to its children (step_generator.go,
    inheritedChildAlias), so nothing is created or deleted.
    """

    def opts_for(role: str) -> pulumi.ResourceOptions | None:
        if former_prefix is None:
            return pulumi.ResourceOptions(providers=[provider]) if provider else None
        return pulumi.ResourceOptions(
            providers=[provider] if provider else None,
            aliases=[pulumi.Alias(name=f"{former_prefix}-{role}")],
        )

    deployed = AccountDeployment(provider=provider)
    regional: dict[str, tuple[Preferences, SessionManagerPreferences]] = {}
    for region, prefs in regions.items():
        component = SessionManagerPreferences(
            f"{prefix}-{region}",
            preferences_args(
                config, region, prefs, account_id=account_id, central=central, offboard=offboard
            ),
            opts=opts_for(region),
        )
        deployed.preferences[region] = component
        regional[region] = (prefs, component)
    if config.instance_access.create_policy:
        deployed.instance_access = SessionManagerInstanceAccess(
            f"{prefix}-instance-access",
            instance_access_args(
                config, regional, account_id=account_id, central=central, offboard=offboard
            ),
            opts=opts_for("instance-access"),
        )
    policies = config.access_policies
    if (
        policies.session_users.create
        or policies.instance_inventory.create
        or (policies.preferences_guard.create)
        or policies.just_in_time_requesters.create
        or policies.just_in_time_approvers.create
    ):
        deployed.access_policies = SessionManagerAccessPolicies(
            f"{prefix}-access-policies",
            access_policies_args(
                config,
                list(deployed.preferences.values()),
                account_id=account_id,
                deploy_role_arn=deploy_role_arn,
                offboard=offboard,
            ),
            opts=opts_for("access-policies"),
        )
    for endpoints in config.vpc_endpoints:
        if endpoints.region not in regions or (account_id and endpoints.account != account_id):
            continue
        prefs = regions[endpoints.region]
        uses_s3 = bool(prefs.s3_bucket_name or central)
        role = f"{endpoints.region}-vpc-endpoints-{endpoints.vpc_id}"
        deployed.vpc_endpoints.append(
            SessionManagerVpcEndpoints(
                f"{prefix}-{role}",
                SessionManagerVpcEndpointsArgs(
                    region=endpoints.region,
                    vpc_id=endpoints.vpc_id,
                    subnet_ids=list(endpoints.subnet_ids),
                    security_group_id=endpoints.security_group_id,
                    services=config.vpc_endpoint_services(prefs),
                    route_table_ids=list(endpoints.route_table_ids) if uses_s3 else [],
                    retain_on_delete=not offboard,
                    tags=dict(config.tags),
                ),
                opts=opts_for(role),
            )
        )
    deploy_just_in_time_access(
        just_in_time or dict.fromkeys(regions, config.just_in_time_access),
        config.tags,
        prefix,
        account_id,
        deploy_role_arn,
        former_prefix=former_prefix,
        stack=stack,
    )
    return deployed


def deploy(config: StackConfig, home_region: str | None = None) -> Deployment:
    """Create every component the config asks for.

    With no `targets`, the stack manages the credentials' own account through the
    default provider. With targets, each account gets one explicit provider that
    assumes its role and is pinned to it; its Regions are chosen per resource.
    """
    refuse_secret_names()
    keep_config_secrets()
    for warning in region_warnings(config, home_region) + limit_warnings(config, home_region):
        pulumi.log.warn(warning)
    if config.access_policies.session_users.deprecation:
        pulumi.log.warn(config.access_policies.session_users.deprecation)
    for warning in config.central_logging.warnings if config.central_logging else []:
        pulumi.log.warn(warning)
    for warning in account_events_warnings(config):
        pulumi.log.warn(warning)
    share = StackShare.of(config)  # a shard's name must agree with the config
    # Refused before any resource: a token in plain text (a shard leaves it to the shared).
    events = config.account_events is not None and share.shared
    events_token = account_events_token(config) if events else None
    if not config.targets:
        # Read (and a role chain refused) before any resource is registered.
        stack = stack_credentials() if config.just_in_time_access is not None else None
        own = resolve_own_account(config, own_account_id)
        for warning in own.warnings:
            pulumi.log.warn(warning)
        deployed = {
            account.account_id: _deploy_account(
                config,
                account.regions,
                prefix="session-manager",
                offboard=account.offboard,
                stack=stack,
            )
            for account in own.accounts
        }
        return Deployment(accounts=deployed)

    partition = partition_of_region(config.regions[0]).name
    resolved = resolve_targets(
        config,
        partition,
        organizational_unit_accounts,
        organization_account_states,
        stack=pulumi.get_stack(),
        project=pulumi.get_project(),
    )
    for warning in share.warnings(resolved):
        pulumi.log.warn(warning)
    # The providers' own Region never changes as targets change (a provider whose
    # config changes would replace its resources); resources choose their Region.
    provider_region = home_region or config.regions[0]
    providers: dict[str, aws.Provider] = {}

    def provider_for(account_id: str, role_arn: str) -> aws.Provider:
        if account_id not in providers:
            providers[account_id] = aws.Provider(
                f"aws-{account_id}",
                region=provider_region,
                allowed_account_ids=[account_id],
                # The typed class, not a dict: provider config is sent as JSON, and only
                # the class translates role_arn to the roleArn the provider reads.
                assume_roles=[
                    aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=DEPLOY_SESSION_NAME)
                ],
            )
        return providers[account_id]

    central_bucket = None
    central = None
    logging = config.central_logging
    if logging is not None and share.shared:
        role_arn = logging.role_arn or (
            f"arn:{partition}:iam::{logging.account}:role/{config.default_role_name}"
        )
        access = config.instance_access
        writers = logging.writer_role_names or sorted(
            {*([access.role_name] if access.create_role else []), *access.attach_to_roles}
        )
        central_bucket = SessionManagerCentralLogBucket(
            "session-manager-central-logs",
            CentralLogBucketArgs(
                region=logging.region or provider_region,
                account_id=logging.account,
                bucket_name=logging.bucket_name,
                key_prefix=logging.key_prefix,
                organization_id=logging.organization_id,
                writer_role_names=writers,
                transition_to_glacier_after_days=logging.transition_to_glacier_after_days,
                expire_after_days=logging.expire_after_days,
                noncurrent_version_expire_after_days=logging.noncurrent_days,
                object_lock=logging.object_lock.enabled,
                object_lock_mode=logging.object_lock.mode,
                object_lock_retention_days=logging.object_lock_days,
                break_glass_role_arn=logging.object_lock.break_glass_role_arn,
                access_log_bucket_name=(
                    logging.access_log_bucket_name if logging.access_logging.enabled else ""
                ),
                kms_key_alias=logging.kms_key_alias,
                tags=dict(config.tags),
            ),
            opts=pulumi.ResourceOptions(providers=[provider_for(logging.account, role_arn)]),
        )
    if logging is not None:
        # A shard writes to the bucket the shared stack made: its key's ARN by reference.
        key_arn = central_bucket.kms_key_arn if central_bucket else share.central_key_arn()
        prefix = logging.key_prefix.strip("/")
        central = CentralLogs(logging.bucket_name, prefix, logging.account, key_arn)

    accounts = {
        target.account_id: _deploy_account(
            config,
            target.regions,
            prefix=f"session-manager-{target.account_id}",
            account_id=target.account_id,
            provider=provider_for(target.account_id, target.role_arn),
            central=central,
            deploy_role_arn=target.role_arn,
            offboard=target.offboard,
            former_prefix="session-manager" if target.moved_from_account_stack else None,
            just_in_time=target.just_in_time,
        )
        for target in resolved.accounts
        if share.holds(target.account_id)
    }
    account_events = None
    if config.account_events is not None and events_token is not None:
        events = config.account_events
        opts = None
        if events.account:
            role_arn = events.role_arn or (
                f"arn:{partition}:iam::{events.account}:role/{config.default_role_name}"
            )
            opts = pulumi.ResourceOptions(providers=[provider_for(events.account, role_arn)])
        account_events = SessionManagerAccountEvents(
            "session-manager-account-events",
            account_events_args(config, partition, pulumi.get_stack(), events_token),
            opts=opts,
        )
    return Deployment(
        accounts=accounts,
        central_logs=central_bucket,
        account_events=account_events,
        shard_count=config.shards.count if config.shards else None,
    )
