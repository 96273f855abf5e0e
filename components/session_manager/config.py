"""Stack configuration: pydantic models, loading, and readable errors.

The models validate what users write in `Pulumi.<stack>.yaml` under the
`session-manager` namespace. Every problem is reported at once, each with its
config path and what is allowed, before any resource is registered.
"""

from __future__ import annotations

import difflib
import json
import re
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, cast, get_args, get_origin

import pulumi
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from session_manager import args as defaults
from session_manager.aws_rules import (
    ACCOUNT_ID_PATTERN,
    DOCUMENT_CONTENT_MAX_BYTES,
    IDLE_SESSION_TIMEOUT_MINUTES,
    KMS_ALIAS_PATTERN,
    KMS_DELETION_WINDOW_DAYS,
    KMS_KEY_ARN_PATTERN,
    KMS_KEY_REFERENCE_FORMS,
    KMS_KEY_REFERENCE_PATTERN,
    LINUX_USER_PATTERN,
    LOG_GROUP_NAME_PATTERN,
    LOG_RETENTION_DAYS,
    MAX_SESSION_DURATION_MINUTES,
    REGION_PATTERN,
    bucket_name_problem,
    document_name_problem,
    partition_of_region,
)
from session_manager.document import (
    check_session_document,
    render_session_document,
    serialize_session_document,
)

NAMESPACE = "session-manager"
IAM_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,128}$")
IAM_ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_ARN_PATTERN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::(?P<account>\d{12}):"
    r"role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]{1,64})$"
)
ORGANIZATIONAL_UNIT_PATTERN = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
DEPLOYER_ARN_PATTERN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::(\d{12}|\*):role/[\w+=,.@*/-]{1,512}$"
)

# A problem found by a cross-field check: (path below the model, message).
Problem = tuple[tuple[str | int, ...], str]


class ConfigError(pulumi.RunError):
    """Stack config that cannot be deployed. Pulumi prints it without a traceback."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"Invalid stack config ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {path}: {message}" for path, message in self.problems]
        super().__init__("\n".join(lines))


def _problems(problems: list[Problem]) -> None:
    """Raise every cross-field problem of a model at once."""
    if problems:
        raise PydanticCustomError("cross_field", "{summary}", {"summary": "", "problems": problems})


# --- Value types -------------------------------------------------------------


def _flag(value: Any) -> Any:
    """Booleans, or "true"/"false" as `pulumi config set` without --path stores them."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise PydanticCustomError("flag", "must be true or false, got {got}", {"got": repr(value)})
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]


def _minutes(low: int, high: int) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value is None:
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value)
        ):
            number = int(value)
        if number is None or not low <= number <= high:
            raise PydanticCustomError(
                "minutes",
                "must be a whole number of minutes from {low} to {high}, got {got}",
                {"low": low, "high": high, "got": repr(value)},
            )
        return number

    return BeforeValidator(check)


IdleMinutes = Annotated[int | None, _minutes(*IDLE_SESSION_TIMEOUT_MINUTES)]
MaxMinutes = Annotated[int | None, _minutes(*MAX_SESSION_DURATION_MINUTES)]


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError(
            "whole", "must be a whole number, got {got}", {"got": repr(value)}
        )
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


def _check_kms_reference(value: str) -> str:
    if value and not KMS_KEY_REFERENCE_PATTERN.match(value):
        raise PydanticCustomError(
            "kms_reference",
            "{got} is not a KMS key reference; use {forms}",
            {"got": repr(value), "forms": KMS_KEY_REFERENCE_FORMS},
        )
    return value


def _check_kms_key_arn(value: str) -> str:
    if value and not KMS_KEY_ARN_PATTERN.match(value):
        raise PydanticCustomError(
            "kms_arn",
            "{got} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>)",
            {"got": repr(value)},
        )
    return value


def _check_new_alias(value: str) -> str:
    if not KMS_ALIAS_PATTERN.match(value) or value.startswith("alias/aws/"):
        raise PydanticCustomError(
            "kms_alias",
            "{got} is not an alias name you can create: use alias/<name> of letters, digits, "
            "'/', '_' and '-', not starting with alias/aws/",
            {"got": repr(value)},
        )
    return value


def _check_regions(value: list[str]) -> list[str]:
    bad = [region for region in value if not REGION_PATTERN.match(region)]
    if bad:
        raise PydanticCustomError(
            "region",
            "{got} {verb} not a Region name like us-east-1",
            {"got": ", ".join(repr(r) for r in bad), "verb": "is" if len(bad) == 1 else "are"},
        )
    duplicates = sorted({region for region in value if value.count(region) > 1})
    if duplicates:
        raise PydanticCustomError(
            "region", "lists {got} more than once", {"got": ", ".join(duplicates)}
        )
    partitions = sorted({partition_of_region(region).name for region in value})
    if len(partitions) > 1:
        raise PydanticCustomError(
            "region",
            "mixes partitions ({got}); one account lives in one partition",
            {"got": ", ".join(partitions)},
        )
    return value


def _check_account(value: str) -> str:
    if value and not ACCOUNT_ID_PATTERN.match(value):
        raise PydanticCustomError(
            "account_id", "{got} is not an account id (12 digits)", {"got": repr(value)}
        )
    return value


def _check_bucket(value: str, *, required: bool = False) -> str:
    problem = bucket_name_problem(value) if value or required else None
    if problem:
        raise PydanticCustomError(
            "bucket_name",
            "{got} is not a valid S3 bucket name: {why}",
            {"got": repr(value), "why": problem},
        )
    return value


def _check_role_name(value: str, *, optional: bool = False) -> str:
    if (value or not optional) and not IAM_ROLE_NAME_PATTERN.match(value):
        raise PydanticCustomError(
            "iam_name",
            "{got} is not an IAM role name (1-64 of letters, digits, +=,.@_-)",
            {"got": repr(value)},
        )
    return value


def _check_role_names(value: list[str]) -> list[str]:
    bad = [role for role in value if not IAM_ROLE_NAME_PATTERN.match(role)]
    if bad:
        raise PydanticCustomError(
            "iam_name",
            "{got} are not IAM role names (1-64 of letters, digits, +=,.@_-)",
            {"got": ", ".join(repr(role) for role in bad)},
        )
    return value


def _check_role_arn(value: str, account: Any, owner: str) -> str:
    """A role ARN, and in `account` when one is given (`owner` names that account)."""
    match = ROLE_ARN_PATTERN.match(value) if value else None
    if value and not match:
        raise PydanticCustomError(
            "role_arn",
            "{got} is not a role ARN (arn:<partition>:iam::<account>:role/<name>)",
            {"got": repr(value)},
        )
    if match and account and match.group("account") != account:
        raise PydanticCustomError(
            "role_arn",
            "is in account {other}, not in the {owner} {account}",
            {"other": match.group("account"), "owner": owner, "account": account},
        )
    return value


# --- Models ------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=True,
    )


class ShellProfile(_Model):
    linux: str = Field(
        default="", description="Commands run at the start of Linux and macOS sessions."
    )
    windows: str = Field(default="", description="Commands run at the start of Windows sessions.")


class Preferences(_Model):
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
        return _check_bucket(value)

    @field_validator("s3_key_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value.startswith("/"):
            raise PydanticCustomError(
                "s3_prefix", "must not start with '/' (S3 keys have no leading slash)", {}
            )
        return value

    @field_validator("cloud_watch_log_group_name")
    @classmethod
    def _log_group(cls, value: str) -> str:
        if value and not LOG_GROUP_NAME_PATTERN.match(value):
            raise PydanticCustomError(
                "log_group_name",
                "{got} is not a valid log group name: use 1-512 characters of letters, digits, "
                "'.', '-', '_', '/' and '#'",
                {"got": repr(value)},
            )
        return value

    @field_validator("kms_key_id")
    @classmethod
    def _kms(cls, value: str) -> str:
        return _check_kms_reference(value)

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


class SessionDataKey(_Model):
    create: Flag | None = Field(
        default=None,
        description=(
            "Create a KMS key for session data. Unset: created unless `preferences.kmsKeyId` "
            "names a key."
        ),
    )
    alias: str = Field(
        default=defaults.DEFAULT_SESSION_DATA_KEY_ALIAS, description="Alias of the created key."
    )
    deletion_window_in_days: WholeNumber = Field(
        default=defaults.DEFAULT_KEY_DELETION_WINDOW_DAYS,
        description="Days (7-30) before a deleted key is destroyed.",
    )

    @field_validator("alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        return _check_new_alias(value)

    @field_validator("deletion_window_in_days")
    @classmethod
    def _window(cls, value: int) -> int:
        low, high = KMS_DELETION_WINDOW_DAYS
        if not low <= value <= high:
            raise PydanticCustomError(
                "deletion_window",
                "must be from {low} to {high} days, got {got}",
                {"low": low, "high": high, "got": value},
            )
        return value


class LogGroup(_Model):
    create: Flag | None = Field(
        default=None,
        description=(
            "Create the session log group. Unset: created unless "
            "`preferences.cloudWatchLogGroupName` names an existing group."
        ),
    )
    retention_in_days: WholeNumber = Field(
        default=defaults.DEFAULT_LOG_RETENTION_DAYS,
        description="Days to keep session logs: a value CloudWatch accepts (0 = never expire).",
    )
    create_kms_key: Flag | None = Field(
        default=None,
        description="Create a KMS key for the log group. Unset: created unless `kmsKeyId` is set.",
    )
    kms_key_alias: str = Field(
        default=defaults.DEFAULT_LOGS_KEY_ALIAS, description="Alias of the created logs key."
    )
    kms_key_id: str = Field(
        default="", description="Existing key ARN that encrypts the created log group."
    )

    @field_validator("retention_in_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
            raise PydanticCustomError(
                "retention",
                "{got} is not a retention CloudWatch accepts; use one of {allowed}",
                {"got": value, "allowed": allowed},
            )
        return value

    @field_validator("kms_key_alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        return _check_new_alias(value)

    @field_validator("kms_key_id")
    @classmethod
    def _key(cls, value: str, info: ValidationInfo) -> str:
        if value and info.data.get("create_kms_key"):
            raise PydanticCustomError(
                "one_key", "set either kmsKeyId or createKmsKey: true, not both", {}
            )
        return _check_kms_key_arn(value)


class S3Logging(_Model):
    append_account_and_region: Flag = Field(
        default=False, description="Write logs under `<s3KeyPrefix>/<account>/<region>/`."
    )
    bucket_kms_key_arn: str = Field(
        default="", description="The bucket's SSE-KMS key ARN; nodes get kms:GenerateDataKey on it."
    )
    bucket_account_id: str = Field(
        default="",
        description="Owner of the bucket when it is another account (adds s3:PutObjectAcl).",
    )

    @field_validator("bucket_kms_key_arn")
    @classmethod
    def _key(cls, value: str) -> str:
        return _check_kms_key_arn(value)

    @field_validator("bucket_account_id")
    @classmethod
    def _account(cls, value: str) -> str:
        return _check_account(value)


class InstanceAccess(_Model):
    create_policy: Flag = Field(
        default=True, description="Create the least-privilege instance policy (once per account)."
    )
    policy_name: str = Field(
        default=defaults.DEFAULT_INSTANCE_POLICY_NAME, description="Name of the instance policy."
    )
    create_role: Flag = Field(
        default=False, description="Also create a role and instance profile with the policy."
    )
    role_name: str = Field(
        default=defaults.DEFAULT_INSTANCE_ROLE_NAME,
        description="Name of the created role and profile.",
    )
    attach_to_roles: list[str] = Field(
        default_factory=list[str],
        description="Existing role names to attach the policy to.",
        validate_default=True,
    )

    @field_validator("policy_name")
    @classmethod
    def _policy_name(cls, value: str) -> str:
        if not IAM_NAME_PATTERN.match(value):
            raise PydanticCustomError(
                "iam_name",
                "{got} is not an IAM policy name (1-128 of letters, digits, +=,.@_-)",
                {"got": repr(value)},
            )
        return value

    @field_validator("role_name")
    @classmethod
    def _role_name(cls, value: str) -> str:
        return _check_role_name(value)

    @field_validator("attach_to_roles")
    @classmethod
    def _roles(cls, value: list[str], info: ValidationInfo) -> list[str]:
        wants_policy = info.data.get("create_role") or value
        if wants_policy and info.data.get("create_policy") is False:
            _problems(
                [(("..", "createPolicy"), "must be true when createRole or attachToRoles is set")]
            )
        return _check_role_names(value)

    @model_validator(mode="after")
    def _role_needs_policy(self) -> InstanceAccess:
        wants_policy = self.create_role or self.attach_to_roles
        if wants_policy and not self.create_policy:
            _problems([(("createPolicy",), "must be true when createRole or attachToRoles is set")])
        return self


class Target(_Model):
    """One account, or every account of an organizational unit, with its Regions."""

    account: str = Field(default="", description="Account id (12 digits).")
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

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return _check_account(value)

    @field_validator("organizational_unit")
    @classmethod
    def _ou(cls, value: str) -> str:
        if value and not ORGANIZATIONAL_UNIT_PATTERN.match(value):
            raise PydanticCustomError(
                "ou",
                "{got} is not an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)",
                {"got": repr(value)},
            )
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return _check_regions(value)

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str, info: ValidationInfo) -> str:
        return _check_role_arn(value, info.data.get("account"), "target account")

    @field_validator("role_name")
    @classmethod
    def _role_name(cls, value: str) -> str:
        return _check_role_name(value, optional=True)

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if bool(self.account) == bool(self.organizational_unit):
            _problems([((), "set exactly one of account or organizationalUnit")])
        if self.organizational_unit and self.role_arn:
            _problems(
                [
                    (
                        ("roleArn",),
                        "names one account's role; use roleName for an organizational unit",
                    )
                ]
            )
        return self


class CentralLogging(_Model):
    """A session-log bucket in a log-archive account that every target writes to."""

    account: str = Field(description="The log-archive account id.")
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
        default=90, description="Days before log objects move to S3 Glacier Flexible Retrieval."
    )
    expire_after_days: WholeNumber = Field(
        default=2557, description="Days before log objects expire (default: 7 years)."
    )
    kms_key_alias: str = Field(
        default="alias/session-manager/central-logs", description="Alias of the bucket's KMS key."
    )

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return _check_account(value)

    @field_validator("bucket_name")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return _check_bucket(value, required=True)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value:
            _check_regions([value])
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
        return _check_role_arn(value, info.data.get("account"), "log-archive account")

    @field_validator("kms_key_alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        return _check_new_alias(value)

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
        return value


def _check_iam_name(value: str) -> str:
    if not IAM_NAME_PATTERN.match(value):
        raise PydanticCustomError(
            "iam_name",
            "{got} is not an IAM name (1-128 of letters, digits, +=,.@_-)",
            {"got": repr(value)},
        )
    return value


class CustomDocument(_Model):
    """A Session document of any type, written with AWS's own field names."""

    name: str = Field(description="Document name (3-128 of letters, digits, `_.-`).")
    document_format: str = Field(default="JSON", description="JSON or YAML.")
    tags: dict[str, str] = Field(default_factory=dict[str, str], description="Document tags.")
    content: dict[str, Any] = Field(
        description=(
            'The Session document: schemaVersion (default "1.0"), description, sessionType, '
            "inputs, parameters, properties."
        )
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = document_name_problem(value)
        if problem:
            raise PydanticCustomError(
                "document_name", "{got} {why}", {"got": repr(value), "why": problem}
            )
        return value

    @field_validator("document_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value.upper() not in ("JSON", "YAML"):
            raise PydanticCustomError(
                "document_format",
                "{got} is not a document format; use JSON or YAML",
                {"got": repr(value)},
            )
        return value.upper()

    @field_validator("content")
    @classmethod
    def _content(cls, value: dict[str, Any]) -> dict[str, Any]:
        problems: list[Problem] = list(check_session_document(value))
        if not problems:
            size = len(rendered_content(value, "JSON").encode())
            if size > DOCUMENT_CONTENT_MAX_BYTES:
                problems.append(((), f"is {size} bytes; Session documents may be 64 KB at most"))
        _problems(problems)
        return value

    @property
    def rendered(self) -> str:
        return rendered_content(self.content, self.document_format)


def rendered_content(content: dict[str, Any], document_format: str) -> str:
    return serialize_session_document(render_session_document(content), document_format)


class _PeoplePolicy(_Model):
    """What every customer-managed policy for people has: a name and its attachments."""

    name: str = Field(description="Policy name.")
    attach_to_roles: list[str] = Field(
        default_factory=list[str], description="Roles to attach it to."
    )
    attach_to_groups: list[str] = Field(
        default_factory=list[str], description="Groups to attach it to."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_iam_name(value)

    @field_validator("attach_to_roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return _check_role_names(value)


class SessionUsersPolicy(_PeoplePolicy):
    create: Flag = Field(default=True, description="Create the session-users policy.")
    name: str = Field(default="SessionManagerSessionUsers", description="Policy name.")
    instance_tags: dict[str, list[str]] = Field(
        default_factory=dict[str, list[str]],
        description="Only instances with one of these values per tag key; empty: every instance.",
    )
    allowed_aws_documents: list[str] = Field(
        default_factory=list[str],
        description="AWS-owned documents users may start too, e.g. AWS-StartPortForwardingSession.",
    )
    session_owner_variable: str = Field(
        default="${aws:username}",
        description="Names users' own sessions: ${aws:username} (IAM users), ${aws:userid} (SSO).",
    )

    @field_validator("allowed_aws_documents")
    @classmethod
    def _aws_documents(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not re.fullmatch(r"AWS-[A-Za-z0-9_.-]{1,124}", name)]
        if bad:
            raise PydanticCustomError(
                "aws_document",
                "{got} are not AWS-owned document names (AWS-...)",
                {"got": ", ".join(repr(name) for name in bad)},
            )
        return value

    @field_validator("session_owner_variable")
    @classmethod
    def _owner(cls, value: str) -> str:
        if value not in ("${aws:username}", "${aws:userid}"):
            raise PydanticCustomError(
                "owner",
                "{got} is not one of ${{aws:username}}, ${{aws:userid}}",
                {"got": repr(value)},
            )
        return value


class InstanceInventoryPolicy(_PeoplePolicy):
    create: Flag = Field(
        default=True, description="Create the read-only instance-inventory policy."
    )
    name: str = Field(default="SessionManagerInstanceInventory", description="Policy name.")


class PreferencesGuardPolicy(_PeoplePolicy):
    create: Flag = Field(
        default=False, description="Create the policy that denies changing the managed documents."
    )
    name: str = Field(default="SessionManagerPreferencesGuard", description="Policy name.")
    deployer_role_arns: list[str] = Field(
        default_factory=list[str],
        description=(
            "Roles still allowed to change the documents (wildcards allowed). With targets, each "
            "account's deploy role is added."
        ),
        validate_default=True,
    )

    @field_validator("deployer_role_arns")
    @classmethod
    def _deployers(cls, value: list[str]) -> list[str]:
        bad = [arn for arn in value if not DEPLOYER_ARN_PATTERN.match(arn)]
        if bad:
            raise PydanticCustomError(
                "role_arn",
                "{got} are not role ARNs (arn:<partition>:iam::<account>:role/<name>)",
                {"got": ", ".join(repr(arn) for arn in bad)},
            )
        return value


class AccessPolicies(_Model):
    session_users: SessionUsersPolicy = Field(
        default=SessionUsersPolicy(), description="Who may start sessions, and on what (see below)."
    )
    instance_inventory: InstanceInventoryPolicy = Field(
        default=InstanceInventoryPolicy(),
        description="Read-only EC2 listing for clients (see below).",
    )
    preferences_guard: PreferencesGuardPolicy = Field(
        default=PreferencesGuardPolicy(),
        description="Preferences change only through this code (see below).",
    )


class VpcEndpoints(_Model):
    """Interface endpoints so nodes in private subnets reach Session Manager."""

    account: str = Field(
        default="", description="Target account of the VPC (required with targets)."
    )
    region: str = Field(description="Region of the VPC.")
    vpc_id: str = Field(description="The VPC (vpc-...).")
    subnet_ids: list[str] = Field(description="Subnets for the interface endpoints.")
    security_group_id: str = Field(
        description="Security group for the endpoints; a rule allows HTTPS from the VPC."
    )
    route_table_ids: list[str] = Field(
        default_factory=list[str],
        description="Route tables for the S3 gateway endpoint, used when S3 logging is on.",
    )

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return _check_account(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        _check_regions([value])
        return value

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str) -> str:
        return _check_ec2_id(value, "vpc")

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        if not value:
            raise PydanticCustomError("subnets", "needs at least one subnet", {})
        return [_check_ec2_id(subnet, "subnet") for subnet in value]

    @field_validator("security_group_id")
    @classmethod
    def _group(cls, value: str) -> str:
        return _check_ec2_id(value, "sg")

    @field_validator("route_table_ids")
    @classmethod
    def _routes(cls, value: list[str]) -> list[str]:
        return [_check_ec2_id(table, "rtb") for table in value]


def _check_ec2_id(value: str, kind: str) -> str:
    if not re.fullmatch(rf"{kind}-[0-9a-f]{{8}}([0-9a-f]{{9}})?", value):
        raise PydanticCustomError(
            "ec2_id",
            "{got} is not a {kind} id ({kind}-0123456789abcdef0)",
            {"got": repr(value), "kind": kind},
        )
    return value


class StackConfig(_Model):
    """Everything under the `session-manager` namespace of a stack."""

    regions: list[str] = Field(
        default_factory=list[str],
        description="Regions to manage in the account. Default: `aws:region`.",
    )
    preferences: Preferences = Field(
        default=Preferences(),
        description="The Session document's inputs, with AWS's names (see below).",
    )
    document_name: str = Field(
        default=defaults.DEFAULT_DOCUMENT_NAME,
        description=(
            "Name of the preferences document. Another name makes a custom preferences "
            "document for `--document-name`."
        ),
    )
    document_description: str = Field(
        default=defaults.DEFAULT_DOCUMENT_DESCRIPTION,
        description="Description written into the document.",
    )
    retain_document_on_delete: Flag = Field(
        default=True,
        description=(
            "Keep the document in AWS when it leaves the stack (destroy, Region removed). "
            "Set false to let `pulumi destroy` delete it."
        ),
    )
    session_data_key: SessionDataKey = Field(
        default=SessionDataKey(), description="KMS key for session data (see below)."
    )
    log_group: LogGroup = Field(
        default=LogGroup(), description="CloudWatch Logs log group (see below)."
    )
    s3_logging: S3Logging = Field(
        default=S3Logging(), description="Options for S3 session logs (see below)."
    )
    instance_access: InstanceAccess = Field(
        default=InstanceAccess(), description="Instance-profile IAM (see below)."
    )
    tags: dict[str, str] = Field(
        default_factory=dict[str, str], description="Tags for every taggable resource."
    )
    targets: list[Target] = Field(
        default_factory=list[Target],
        description=(
            "Accounts and organizational units to manage, each through its own provider. "
            "Empty: the current credentials' account."
        ),
    )
    default_role_name: str = Field(
        default="OrganizationAccountAccessRole",
        description="Role assumed in a target account that names no roleArn or roleName.",
    )
    exclude_accounts: list[str] = Field(
        default_factory=list[str], description="Accounts never managed, even inside a target OU."
    )
    exclude_regions: list[str] = Field(
        default_factory=list[str], description="Regions never managed, in any target."
    )
    central_logging: CentralLogging | None = Field(
        default=None,
        description="A central session-log bucket in a log-archive account (see below).",
    )
    documents: list[CustomDocument] = Field(
        default_factory=list[CustomDocument],
        description="Custom Session documents for every managed account-Region (see below).",
    )
    access_policies: AccessPolicies = Field(
        default=AccessPolicies(), description="Customer-managed policies for people (see below)."
    )
    vpc_endpoints: list[VpcEndpoints] = Field(
        default_factory=list[VpcEndpoints],
        description="VPC endpoints for nodes in private subnets (see below).",
    )

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return _check_regions(value)

    @field_validator("default_role_name")
    @classmethod
    def _default_role(cls, value: str) -> str:
        return _check_role_name(value)

    @field_validator("exclude_accounts")
    @classmethod
    def _excluded_accounts(cls, value: list[str]) -> list[str]:
        for account in value:
            _check_account(account)
        return value

    @field_validator("exclude_regions")
    @classmethod
    def _excluded_regions(cls, value: list[str]) -> list[str]:
        return _check_regions(value)

    @field_validator("document_name")
    @classmethod
    def _document_name(cls, value: str) -> str:
        problem = document_name_problem(value)
        if problem:
            raise PydanticCustomError(
                "document_name", "{got} {why}", {"got": repr(value), "why": problem}
            )
        return value

    @model_validator(mode="after")
    def _wiring(self) -> StackConfig:
        problems: list[Problem] = self._wiring_problems(self.preferences, ("preferences",))
        for index, target in enumerate(self.targets):
            where = ("targets", index, "preferences")
            try:
                merged = self.preferences_for(target)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    problems.append(((*where, *error["loc"]), error["msg"]))
                continue
            if target.preferences:
                problems += self._wiring_problems(merged, where)
        names = [self.document_name]
        for index, document in enumerate(self.documents):
            if document.name in names:
                problems.append(
                    (
                        ("documents", index, "name"),
                        f"{document.name!r} names another managed document too",
                    )
                )
            names.append(document.name)
        guard = self.access_policies.preferences_guard
        if guard.create and not guard.deployer_role_arns and not self.targets:
            problems.append(
                (
                    ("accessPolicies", "preferencesGuard", "deployerRoleArns"),
                    "needs at least one role, or the guard would lock out every deployer",
                )
            )
        for index, endpoints in enumerate(self.vpc_endpoints):
            if self.targets and not endpoints.account:
                problems.append((("vpcEndpoints", index, "account"), "is required with targets"))
            regions = {
                region for t in self.targets for region in (t.regions or self.regions)
            } or set(self.regions)
            if endpoints.region not in regions:
                problems.append(
                    (
                        ("vpcEndpoints", index, "region"),
                        f"{endpoints.region} is not a managed Region",
                    )
                )
        if self.central_logging is not None:
            if self.preferences.s3_bucket_name:
                problems.append(
                    (
                        ("preferences", "s3BucketName"),
                        "must be empty with centralLogging, which names the bucket",
                    )
                )
            if not self.targets:
                problems.append(
                    (
                        ("centralLogging",),
                        "needs targets: it serves the accounts of an organization",
                    )
                )
        _problems(problems)
        return self

    def _wiring_problems(self, prefs: Preferences, where: tuple[str | int, ...]) -> list[Problem]:
        problems: list[Problem] = []
        if self.session_data_key.create and prefs.kms_key_id:
            problems.append(
                (
                    ("sessionDataKey", "create"),
                    f"is true but {_path_text(where)}.kmsKeyId already names a key; set only one",
                )
            )
        if (
            self.creates_log_group(prefs)
            and prefs.cloud_watch_encryption_enabled
            and self.log_group.create_kms_key is False
            and not self.log_group.kms_key_id
        ):
            problems.append(
                (
                    ("logGroup", "createKmsKey"),
                    f"is false, but {_path_text(where)}.cloudWatchEncryptionEnabled is true and "
                    "sessions fail to start on an unencrypted log group; set logGroup.kmsKeyId, "
                    "or logGroup.createKmsKey: true",
                )
            )
        if (
            self.s3_logging.append_account_and_region
            and not prefs.s3_bucket_name
            and self.central_logging is None
        ):
            problems.append(
                (
                    ("s3Logging", "appendAccountAndRegion"),
                    f"needs {_path_text(where)}.s3BucketName to be set",
                )
            )
        return problems

    def preferences_for(self, target: Target) -> Preferences:
        """The stack's preferences with a target's overrides (shellProfile merged per OS)."""
        if not target.preferences:
            return self.preferences
        merged = self.preferences.model_dump(by_alias=True)
        for key, value in target.preferences.items():
            if key == "shellProfile" and isinstance(value, dict):
                merged[key] = {**merged[key], **cast(dict[str, Any], value)}
            else:
                merged[key] = value
        return Preferences.model_validate(merged)

    def creates_session_data_key(self, prefs: Preferences | None = None) -> bool:
        create = self.session_data_key.create
        prefs = prefs or self.preferences
        return (not prefs.kms_key_id) if create is None else create

    def creates_log_group(self, prefs: Preferences | None = None) -> bool:
        create = self.log_group.create
        prefs = prefs or self.preferences
        return (not prefs.cloud_watch_log_group_name) if create is None else create


# --- Loading -----------------------------------------------------------------


def _unwrap_model(annotation: Any) -> Any:
    """The model class inside Optional[...], list[...] or Annotated[...], if any."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap_model(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, dict):
        for arg in get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that validates the object at `loc` (for 'did you mean' hints)."""
    model: type[BaseModel] | None = StackConfig
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if field is None:
            return None
        model = _unwrap_model(field.annotation)
    return model


def _aliased(loc: Sequence[str | int]) -> list[str | int]:
    """The path with every field written as users write it (its camelCase alias)."""
    parts: list[str | int] = []
    for index, part in enumerate(loc):
        model = _model_at(loc[:index])
        field = model.model_fields.get(part) if model and isinstance(part, str) else None
        parts.append(field.alias if field and field.alias else part)
    return parts


def _path_text(loc: Sequence[str | int]) -> str:
    """A path inside the namespace, without the namespace prefix."""
    return _path(loc).removeprefix(f"{NAMESPACE}:")


def _path(loc: Sequence[str | int]) -> str:
    loc = _aliased(loc)
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"{NAMESPACE}:{text}" if text else NAMESPACE


def _readable(error: Any) -> list[tuple[str, str]]:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = error["type"]
    if kind == "cross_field":
        found: list[tuple[str, str]] = []
        for sub, message in error["ctx"]["problems"]:
            base = loc[:-1] if sub[:1] == ("..",) else loc
            found.append((_path(base + tuple(sub[1:] if sub[:1] == ("..",) else sub)), message))
        return found
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = sorted(f.alias or n for n, f in model.model_fields.items()) if model else []
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(known)}"
        return [(_path(loc), f"unknown key; {hint}")]
    if kind == "missing":
        return [(_path(loc), "is required")]
    message = error["msg"]
    if kind in ("string_type", "dict_type", "list_type", "model_type", "model_attributes_type"):
        message = f"{message}, got {error['input']!r}"
    return [(_path(loc), message)]


def parse_stack_config(values: Mapping[str, Any], aws_region: str | None = None) -> StackConfig:
    """Validate the namespace's keys (without the `session-manager:` prefix).

    Raises ConfigError listing every problem.
    """
    data = dict(values)
    if not data.get("regions"):
        if not aws_region:
            raise ConfigError(
                [(f"{NAMESPACE}:regions", "set it, or set aws:region, to say where to deploy")]
            )
        data["regions"] = [aws_region]
    try:
        return StackConfig.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for error in exc.errors(include_url=False):
            problems += _readable(error)
        raise ConfigError(problems) from None


def _decode(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def namespace_values(raw: Mapping[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    """The keys of one namespace from a flat `ns:key` map, with JSON objects decoded."""
    prefix = f"{namespace}:"
    return {
        key[len(prefix) :]: _decode(value) for key, value in raw.items() if key.startswith(prefix)
    }


def pulumi_config_values() -> dict[str, Any]:
    """Every config key the Pulumi engine gave this program, as `ns:key` -> raw value."""
    from pulumi.runtime import config as runtime_config  # noqa: PLC0415 (runtime-only)

    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def load_stack_config() -> StackConfig:
    """Read and validate this stack's `session-manager` config from the Pulumi engine."""
    raw = pulumi_config_values()
    region = raw.get("aws:region")
    return parse_stack_config(namespace_values(raw), aws_region=str(region) if region else None)
