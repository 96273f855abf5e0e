"""How the central log bucket keeps every log version: Object Lock and server access logs."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from session_manager.aws.log_archive import (
    DEFAULT_OBJECT_LOCK_MODE,
    MAX_RETENTION_DAYS,
    OBJECT_LOCK_MODES,
)
from session_manager.config.fields import (
    ConfigModel,
    Flag,
    WholeNumber,
    check_bucket,
    check_role_arn,
)


class ObjectLock(ConfigModel):
    """S3 Object Lock default retention for every log object version."""

    enabled: Flag = Field(
        default=True,
        description=(
            "Lock every object version so nobody can overwrite or delete session logs. Once on, "
            "S3 never turns it off."
        ),
    )
    mode: str = Field(
        default=DEFAULT_OBJECT_LOCK_MODE,
        description=(
            "COMPLIANCE (nobody may lift it, not even the root user) or GOVERNANCE (principals "
            "with s3:BypassGovernanceRetention may; needs `breakGlassRoleArn`)."
        ),
    )
    break_glass_role_arn: str = Field(
        default="",
        description=(
            "The only role the bucket policy lets bypass governance retention, delete log "
            "versions, or change the bucket's lock, lifecycle or policy, and the central key's "
            "policy lets disable or delete the key; everyone else, the deploy role included, "
            "is denied. Required with GOVERNANCE; optional with COMPLIANCE."
        ),
    )
    retention_days: WholeNumber | None = Field(
        default=None,
        description=(
            "Days each version stays locked. Unset: `expireAfterDays`, the logs' lifetime. "
            "Shorter than `expireAfterDays`: every preview warns that logs become rewritable "
            "after that many days."
        ),
    )

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        if value not in OBJECT_LOCK_MODES:
            raise PydanticCustomError(
                "lock_mode", "{got} is not GOVERNANCE or COMPLIANCE", {"got": repr(value)}
            )
        return value

    @field_validator("break_glass_role_arn")
    @classmethod
    def _break_glass(cls, value: str) -> str:
        return check_role_arn(value, None, "")

    @model_validator(mode="after")
    def _governance_needs_break_glass(self) -> ObjectLock:
        if self.enabled and self.mode == "GOVERNANCE" and not self.break_glass_role_arn:
            raise PydanticCustomError(
                "break_glass",
                "mode GOVERNANCE lets any principal with s3:BypassGovernanceRetention delete "
                "session logs: set breakGlassRoleArn (the bucket policy then denies that, "
                "version deletion and lock, lifecycle and policy changes to every other "
                "principal) or use COMPLIANCE",
                {},
            )
        return self

    @field_validator("retention_days")
    @classmethod
    def _days(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_RETENTION_DAYS:
            raise PydanticCustomError(
                "lock_days",
                "must be from 1 to {high} days, got {got}",
                {"high": MAX_RETENTION_DAYS, "got": value},
            )
        return value


class AccessLogging(ConfigModel):
    """S3 server access logs of the central bucket, kept in a second bucket."""

    enabled: Flag = Field(
        default=True, description="Record every request to the log bucket in a second bucket."
    )
    bucket_name: str = Field(
        default="",
        description=(
            "Name of the access-log bucket (same account and Region). Default: "
            "`<bucketName>-access-logs`."
        ),
    )

    @field_validator("bucket_name")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return check_bucket(value)
