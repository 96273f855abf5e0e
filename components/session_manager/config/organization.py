"""Organization targets and the central log bucket."""

from __future__ import annotations

from inspect import signature
from typing import Any

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from session_manager.aws.central_log_policies import (
    central_log_bucket_policy,
    central_log_key_policy,
)
from session_manager.aws.log_archive import (
    MIN_AUDIT_RETENTION_DAYS,
    default_access_log_bucket_name,
    default_noncurrent_days,
    noncurrent_days_problem,
)
from session_manager.aws.rules import bucket_name_problem
from session_manager.config.errors import NAMESPACE, raise_problems
from session_manager.config.fields import (
    ORGANIZATION_ID_PATTERN,
    AccountId,
    ConfigModel,
    Flag,
    WholeNumber,
    check_bucket,
    check_key_prefix,
    check_new_alias,
    check_organizational_unit,
    check_regions,
    check_role_arn,
    check_role_name,
    check_role_names,
)
from session_manager.config.jit import TargetJustInTimeAccess
from session_manager.config.log_archive import AccessLogging, ObjectLock

# The policy builders' parameters that come from centralLogging, by config key
# (break_glass_warning). A parameter missing here fails loudly (KeyError) in tests.
POLICY_INPUT_KEYS = {
    "bucket_name": "bucketName",
    "organization_id": "organizationId",
    "writer_role_names": "writerRoleNames",
    "key_prefix": "keyPrefix",
    "break_glass_role_arn": "objectLock.breakGlassRoleArn",
}
# Where the key and bucket are: a change makes new ones, no policy update.
POLICY_PLACEMENT = frozenset({"partition", "account_id", "region"})


class Target(ConfigModel):
    """One account, or every account of an organizational unit, with its Regions."""

    account: AccountId = Field(default="", description="Account id (12 digits).")
    organizational_unit: str = Field(
        default="",
        description=(
            "Organizational unit id (ou-...) or root id (r-...): every account below it, "
            "read at plan time."
        ),
    )
    regions: list[str] = Field(
        default_factory=list[str], description="Regions for this target. Default: `regions`."
    )
    role_arn: str = Field(
        default="",
        description="Role to assume in the account. Default: `defaultRoleName` in the account.",
    )
    role_name: str = Field(
        default="", description="Role name to assume in each account of an organizational unit."
    )
    preferences: dict[str, Any] = Field(
        default_factory=dict[str, Any],
        description="Preference overrides for this target, with AWS's input names.",
    )
    just_in_time_access: TargetJustInTimeAccess | None = Field(
        default=None,
        description=(
            "This target's own just-in-time approval policies: `autoApproval` and "
            "`manualApprovals` here replace the stack's for its account-Regions."
        ),
    )
    moved_from_account_stack: Flag = Field(
        default=False,
        description=(
            "The account's resources came from its own per-account stack by `pulumi state "
            "move`: match them by their old names (`session-manager-<region>-...`, without the "
            "account id) through aliases, so the move creates and deletes nothing. One target "
            "at a time; remove it after the first `pulumi up`."
        ),
    )

    @field_validator("organizational_unit")
    @classmethod
    def _ou(cls, value: str) -> str:
        return check_organizational_unit(value)

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return check_regions(value)

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str, info: ValidationInfo) -> str:
        return check_role_arn(value, info.data.get("account"), "target account")

    @field_validator("role_name")
    @classmethod
    def _role_name(cls, value: str) -> str:
        return check_role_name(value, optional=True)

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if bool(self.account) == bool(self.organizational_unit):
            raise_problems([((), "set exactly one of account or organizationalUnit")])
        if self.organizational_unit and self.moved_from_account_stack:
            raise_problems(
                [
                    (
                        ("movedFromAccountStack",),
                        "names one account's former stack; set it on an account target, "
                        "not on an organizationalUnit",
                    )
                ]
            )
        if self.role_arn and self.role_name:
            raise_problems(
                [(("roleName",), "set roleArn or roleName, not both: roleArn names the role")]
            )
        if self.organizational_unit and self.role_arn:
            raise_problems(
                [
                    (
                        ("roleArn",),
                        "names one account's role; use roleName for an organizational unit",
                    )
                ]
            )
        return self


class CentralLogging(ConfigModel):
    """A session-log bucket in a log-archive account that every target writes to."""

    account: AccountId = Field(description="The log-archive account id.")
    role_arn: str = Field(
        default="",
        description="Role to assume in the log-archive account. Default: `defaultRoleName`.",
    )
    region: str = Field(default="", description="Region of the bucket. Default: `aws:region`.")
    bucket_name: str = Field(description="Name of the bucket to create.")
    key_prefix: str = Field(
        default="session-manager",
        description="Each account and Region writes under `<keyPrefix>/<account>/<region>/`.",
    )
    organization_id: str = Field(
        description="Organization id (o-...): only its principals may write."
    )
    writer_role_names: list[str] = Field(
        default_factory=list[str],
        description=(
            "Instance role names allowed to write. Default: the roles `instanceAccess` creates "
            "or attaches to; empty: any principal of the organization that IAM allows."
        ),
    )
    transition_to_glacier_after_days: WholeNumber = Field(
        default=90,
        description=(
            "Days before log objects move to S3 Glacier Flexible Retrieval; less than "
            "`expireAfterDays` (S3 rejects a transition that is not earlier than the expiration)."
        ),
    )
    expire_after_days: WholeNumber = Field(
        default=2557,
        description=(
            "Days before log objects expire (default: 7 years); at least 365, the year of audit "
            "trail that PCI DSS 10.5.1 and similar baselines ask for."
        ),
    )
    noncurrent_version_expire_after_days: WholeNumber | None = Field(
        default=None,
        description=(
            "Days a log version is kept after it stops being current (expired, overwritten "
            "or deleted). Unset: 1 when Object Lock keeps every version for `expireAfterDays`, "
            "so a log lives `expireAfterDays` plus a day; otherwise `expireAfterDays` (at least "
            "that without such a lock), so an overwritten log is kept as long as a current one."
        ),
    )
    object_lock: ObjectLock = Field(
        default=ObjectLock(), description="S3 Object Lock on every log version (see below)."
    )
    access_logging: AccessLogging = Field(
        default=AccessLogging(),
        description="Server access logs of the bucket, in a second bucket (see below).",
    )
    kms_key_alias: str = Field(
        default="alias/session-manager/central-logs", description="Alias of the bucket's KMS key."
    )

    @field_validator("bucket_name")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return check_bucket(value, required=True)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value:
            check_regions([value])
        return value

    @field_validator("organization_id")
    @classmethod
    def _org(cls, value: str) -> str:
        if not ORGANIZATION_ID_PATTERN.match(value):
            raise PydanticCustomError(
                "org_id", "{got} is not an organization id (o-xxxxxxxxxx)", {"got": repr(value)}
            )
        return value

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str, info: ValidationInfo) -> str:
        return check_role_arn(value, info.data.get("account"), "log-archive account")

    @field_validator("writer_role_names")
    @classmethod
    def _writer_role_names(cls, value: list[str]) -> list[str]:
        return check_role_names(value)

    @field_validator("key_prefix")
    @classmethod
    def _key_prefix(cls, value: str) -> str:
        return check_key_prefix(value)

    @field_validator("kms_key_alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        return check_new_alias(value)

    @field_validator("expire_after_days")
    @classmethod
    def _expiry(cls, value: int, info: ValidationInfo) -> int:
        transition = info.data.get("transition_to_glacier_after_days")
        if transition is not None and value <= transition:
            raise PydanticCustomError(
                "expiry",
                "must be more than transitionToGlacierAfterDays ({transition}), got {got}",
                {"transition": transition, "got": value},
            )
        if value < MIN_AUDIT_RETENTION_DAYS:
            raise PydanticCustomError(
                "expiry",
                "must be at least {low} days (a year of audit trail), got {got}",
                {"low": MIN_AUDIT_RETENTION_DAYS, "got": value},
            )
        return value

    @model_validator(mode="after")
    def _noncurrent(self) -> CentralLogging:
        days = self.noncurrent_version_expire_after_days
        lock = self.object_lock_days if self.object_lock.enabled else None
        problem = (
            None if days is None else noncurrent_days_problem(self.expire_after_days, days, lock)
        )
        if problem:
            raise_problems([(("noncurrentVersionExpireAfterDays",), problem)])
        return self

    @model_validator(mode="after")
    def _transition_before_expiry(self) -> CentralLogging:
        """Also when `expireAfterDays` is left at its default (defaults are not validated).

        S3 rejects a lifecycle rule whose expiration is not later than its transition:
        PutBucketLifecycleConfiguration answers InvalidArgument "'Days' in the
        Expiration action ... must be greater than 'Days' in the Transition action"
        (AWS CDK's LifecycleRule reference: "the expiration time must be later than
        the transition time").
        """
        if self.transition_to_glacier_after_days >= self.expire_after_days:
            raise_problems(
                [
                    (
                        ("transitionToGlacierAfterDays",),
                        f"must be less than expireAfterDays ({self.expire_after_days}): S3 "
                        "rejects a lifecycle rule whose expiration is not later than its "
                        f"transition; got {self.transition_to_glacier_after_days}",
                    )
                ]
            )
        return self

    @model_validator(mode="after")
    def _access_log_bucket(self) -> CentralLogging:
        name = self.access_log_bucket_name
        if self.access_logging.enabled and not self.access_logging.bucket_name:
            problem = bucket_name_problem(name)
            if problem:
                raise_problems(
                    [
                        (
                            ("accessLogging", "bucketName"),
                            f"the default {name!r} is not a valid bucket name ({problem}); set it",
                        )
                    ]
                )
        if self.access_logging.enabled and name == self.bucket_name:
            raise_problems(
                [(("accessLogging", "bucketName"), "must differ from the log bucket's name")]
            )
        return self

    @property
    def noncurrent_days(self) -> int:
        lock = self.object_lock_days if self.object_lock.enabled else None
        return self.noncurrent_version_expire_after_days or default_noncurrent_days(
            self.expire_after_days, lock
        )

    @property
    def object_lock_days(self) -> int:
        return self.object_lock.retention_days or self.expire_after_days

    @property
    def object_lock_warning(self) -> str:
        """Said on every preview when versions unlock before the logs expire."""
        days = self.object_lock.retention_days
        if not self.object_lock.enabled or days is None or days >= self.expire_after_days:
            return ""
        return (
            f"{NAMESPACE}:centralLogging.objectLock.retentionDays is {days}, less than "
            f"expireAfterDays ({self.expire_after_days}): each session log becomes rewritable "
            f"(it can be overwritten or deleted) {days} days after it is written, although it "
            f"is kept {self.expire_after_days} days"
        )

    @staticmethod
    def locked_policy_inputs() -> list[str]:
        """The centralLogging keys the key and bucket policy builders read, those that
        update the policies in place: read from the builders' parameters, so a new
        input can't be left out. Account and Region make a new key and bucket instead."""
        params = [
            *signature(central_log_key_policy).parameters,
            *signature(central_log_bucket_policy).parameters,
        ]
        keys = (POLICY_INPUT_KEYS[p] for p in params if p not in POLICY_PLACEMENT)
        return list(dict.fromkeys(keys))

    @property
    def break_glass_warning(self) -> str:
        """Said on every preview with a break-glass role: the deploy role can no longer
        change the central key's policy nor the bucket's policy, lock or lifecycle."""
        role = self.object_lock.break_glass_role_arn
        if not role:
            return ""
        return (
            f"{NAMESPACE}:centralLogging.objectLock.breakGlassRoleArn: only {role} may change "
            "the central log key's policy and the log bucket's policy, Object Lock and "
            "lifecycle; a `pulumi up` that changes them ("
            + ", ".join(self.locked_policy_inputs())
            + ", retention or expiry) fails with AccessDenied unless it runs as that role "
            "(kms:PutKeyPolicy and s3:PutBucketPolicy are denied to every other principal). "
            "Keep the role: if it is deleted, nobody can change the key policy again"
        )

    @property
    def warnings(self) -> list[str]:
        """What every preview says about the log bucket's protection."""
        return [w for w in (self.object_lock_warning, self.break_glass_warning) if w]

    @property
    def access_log_bucket_name(self) -> str:
        return self.access_logging.bucket_name or default_access_log_bucket_name(self.bucket_name)
