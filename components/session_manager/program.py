"""Turn validated stack config into components: what `__main__.py` runs.

Resource names are derived from Regions and fixed roles only, never from
preference values, so changing a preference updates resources in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from session_manager.args import (
    LogGroupArgs,
    PreferenceInputsArgs,
    S3LogDestinationArgs,
    SessionDataKeyArgs,
    SessionManagerInstanceAccessArgs,
    SessionManagerPreferencesArgs,
    ShellProfileArgs,
)
from session_manager.aws_rules import partition_of_region
from session_manager.config import StackConfig
from session_manager.instance_access import SessionManagerInstanceAccess
from session_manager.preferences import SessionManagerPreferences


def preference_inputs(config: StackConfig) -> PreferenceInputsArgs:
    prefs = config.preferences
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


def preferences_args(config: StackConfig, region: str) -> SessionManagerPreferencesArgs:
    """The component args for one Region of the stack's account."""
    log_group = LogGroupArgs(
        create=config.creates_log_group,
        retention_in_days=config.log_group.retention_in_days,
        kms_key_alias=config.log_group.kms_key_alias,
    )
    if config.log_group.kms_key_id:
        log_group["kms_key_id"] = config.log_group.kms_key_id
    if config.log_group.create_kms_key is not None:
        log_group["create_kms_key"] = config.log_group.create_kms_key
    return SessionManagerPreferencesArgs(
        region=region,
        document_name=config.document_name,
        document_description=config.document_description,
        preferences=preference_inputs(config),
        session_data_key=SessionDataKeyArgs(
            create=config.creates_session_data_key,
            alias=config.session_data_key.alias,
            deletion_window_in_days=config.session_data_key.deletion_window_in_days,
        ),
        log_group=log_group,
        append_account_and_region_to_s3_prefix=config.s3_logging.append_account_and_region,
        retain_document_on_delete=config.retain_document_on_delete,
        tags=dict(config.tags),
    )


def instance_access_args(
    config: StackConfig, regional: list[SessionManagerPreferences]
) -> SessionManagerInstanceAccessArgs:
    """IAM for the account, scoped to what every Region's preferences point at."""
    access = config.instance_access
    result = SessionManagerInstanceAccessArgs(
        partition=partition_of_region(config.regions[0]).name,
        policy_name=access.policy_name,
        log_group_arns=[p.log_group_arn for p in regional if p.log_group_arn is not None],
        session_data_key_arns=[
            p.session_data_key_arn for p in regional if p.session_data_key_arn is not None
        ],
        create_role=access.create_role,
        role_name=access.role_name,
        attach_to_role_names=list(access.attach_to_roles),
        tags=dict(config.tags),
    )
    if config.preferences.s3_bucket_name:
        s3 = S3LogDestinationArgs(
            bucket_name=config.preferences.s3_bucket_name,
            key_prefixes=[p.s3_key_prefix for p in regional if p.s3_key_prefix is not None],
        )
        if config.s3_logging.bucket_kms_key_arn:
            s3["kms_key_arn"] = config.s3_logging.bucket_kms_key_arn
        if config.s3_logging.bucket_account_id:
            s3["bucket_account_id"] = config.s3_logging.bucket_account_id
        result["s3"] = s3
    return result


@dataclass
class Deployment:
    """What one stack created: the Regions' preferences and the account's IAM."""

    preferences: dict[str, SessionManagerPreferences]
    instance_access: SessionManagerInstanceAccess | None


def deploy(config: StackConfig) -> Deployment:
    regional = {
        region: SessionManagerPreferences(
            f"session-manager-{region}", preferences_args(config, region)
        )
        for region in config.regions
    }
    access = None
    if config.instance_access.create_policy:
        access = SessionManagerInstanceAccess(
            "session-manager-instance-access",
            instance_access_args(config, list(regional.values())),
        )
    return Deployment(preferences=regional, instance_access=access)


def export_outputs(deployment: Deployment) -> None:
    pulumi.export(
        "preferences",
        {
            region: {
                "documentName": p.document_name,
                "documentArn": p.document_arn,
                "sessionDataKeyArn": p.session_data_key_arn,
                "logGroupName": p.log_group_name,
                "logGroupArn": p.log_group_arn,
                "s3BucketName": p.s3_bucket_name,
                "s3KeyPrefix": p.s3_key_prefix,
            }
            for region, p in deployment.preferences.items()
        },
    )
    access = deployment.instance_access
    if access is not None:
        pulumi.export("instancePolicyArn", access.policy_arn)
        pulumi.export("instanceRoleName", access.role_name)
        pulumi.export("instanceProfileName", access.instance_profile_name)
