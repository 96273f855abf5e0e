"""The Session document's inputs, as users write them under `preferences`."""

from __future__ import annotations

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from session_manager.aws import defaults
from session_manager.aws.rules import (
    LINUX_USER_PATTERN,
)
from session_manager.config.fields import (
    ConfigModel,
    Flag,
    IdleMinutes,
    MaxMinutes,
    check_bucket,
    check_key_prefix,
    check_kms_reference,
    check_log_group_name,
)


class ShellProfile(ConfigModel):
    linux: str = Field(
        default="", description="Commands run at the start of Linux and macOS sessions."
    )
    windows: str = Field(default="", description="Commands run at the start of Windows sessions.")


class Preferences(ConfigModel):
    """The inputs of the Session document, with AWS's names."""

    s3_bucket_name: str = Field(
        default="", description="Existing bucket for session logs; empty turns S3 logging off."
    )
    s3_key_prefix: str = Field(default="", description="Key prefix for session logs in the bucket.")
    s3_encryption_enabled: Flag = Field(
        default=True, description="Sessions start only if the bucket is encrypted."
    )
    cloud_watch_log_group_name: str = Field(
        default="",
        description=(
            "Log group for session logs. Empty with `logGroup.create` on: "
            f"`{defaults.DEFAULT_LOG_GROUP_NAME}`. A name with `logGroup.create` unset: "
            "an existing group."
        ),
    )
    cloud_watch_encryption_enabled: Flag = Field(
        default=True, description="Sessions start only if the log group is encrypted."
    )
    cloud_watch_streaming_enabled: Flag = Field(
        default=True, description="Stream session data to CloudWatch Logs as it happens."
    )
    kms_key_id: str = Field(
        default="",
        description=(
            "Existing session-data key (id, ARN or alias). Empty with `sessionDataKey.create` "
            "on: the created key."
        ),
    )
    run_as_enabled: Flag = Field(
        default=False, description="Start Linux/macOS sessions as `runAsDefaultUser`, not ssm-user."
    )
    run_as_default_user: str = Field(
        default="",
        description="OS user for Run As; must exist on the nodes.",
        validate_default=True,
    )
    idle_session_timeout: IdleMinutes = Field(
        default=20, description="Minutes of inactivity before a session ends (1-60)."
    )
    max_session_duration: MaxMinutes = Field(
        default=None,
        description="Maximum session length in minutes (1-1440); unset means no limit.",
    )
    shell_profile: ShellProfile = Field(
        default=ShellProfile(), description="Commands run when a session starts."
    )

    @field_validator("s3_bucket_name")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return check_bucket(value)

    @field_validator("s3_key_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return check_key_prefix(value)

    @field_validator("cloud_watch_log_group_name")
    @classmethod
    def _log_group(cls, value: str) -> str:
        return check_log_group_name(value)

    @field_validator("kms_key_id")
    @classmethod
    def _kms(cls, value: str) -> str:
        return check_kms_reference(value)

    @field_validator("run_as_default_user")
    @classmethod
    def _run_as_user(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("run_as_enabled") and not value:
            raise PydanticCustomError(
                "run_as_user",
                "is required when runAsEnabled is true: name a Linux user that exists on the "
                "nodes, or sessions fail to start",
                {},
            )
        if value and not LINUX_USER_PATTERN.match(value):
            raise PydanticCustomError(
                "linux_user",
                "{got} is not a valid Linux user name: start with a letter or '_', then up to "
                "31 letters, digits, '_', '.' or '-'",
                {"got": repr(value)},
            )
        return value
