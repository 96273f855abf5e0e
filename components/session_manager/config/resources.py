"""The optional resources the preferences point at: keys, log group, S3 logs, IAM, endpoints."""

from __future__ import annotations

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from session_manager.aws import defaults
from session_manager.aws.limits import iam_policy_names
from session_manager.aws.rules import (
    KMS_DELETION_WINDOW_DAYS,
    LOG_RETENTION_DAYS,
)
from session_manager.config.errors import raise_problems
from session_manager.config.fields import (
    AccountId,
    ConfigModel,
    Flag,
    WholeNumber,
    check_ec2_id,
    check_kms_key_arn,
    check_new_alias,
    check_range,
    check_regions,
    check_role_name,
    check_role_names,
)


class SessionDataKey(ConfigModel):
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
        return check_new_alias(value)

    @field_validator("deletion_window_in_days")
    @classmethod
    def _window(cls, value: int) -> int:
        return check_range(value, *KMS_DELETION_WINDOW_DAYS, "days")


class LogGroup(ConfigModel):
    create: Flag | None = Field(
        default=None,
        description=(
            "Create the session log group. Unset: created unless "
            "`preferences.cloudWatchLogGroupName` names an existing group."
        ),
    )
    retention_in_days: WholeNumber = Field(
        default=defaults.DEFAULT_LOG_RETENTION_DAYS,
        description=(
            "Days to keep session logs: a value CloudWatch accepts (0 = never expire). Default: "
            "365, the twelve months of audit trail PCI DSS 10.5.1 and the common IaC scanners' "
            "log-retention rules ask for; 90 or less is allowed where no such baseline applies."
        ),
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
        return check_new_alias(value)

    @field_validator("kms_key_id")
    @classmethod
    def _key(cls, value: str, info: ValidationInfo) -> str:
        if value and info.data.get("create_kms_key"):
            raise PydanticCustomError(
                "one_key", "set either kmsKeyId or createKmsKey: true, not both", {}
            )
        return check_kms_key_arn(value)


class S3Logging(ConfigModel):
    append_account_and_region: Flag = Field(
        default=False, description="Write logs under `<s3KeyPrefix>/<account>/<region>/`."
    )
    bucket_kms_key_arn: str = Field(
        default="", description="The bucket's SSE-KMS key ARN; nodes get kms:GenerateDataKey on it."
    )
    bucket_account_id: AccountId = Field(
        default="",
        description="Owner of the bucket when it is another account (adds s3:PutObjectAcl).",
    )

    @field_validator("bucket_kms_key_arn")
    @classmethod
    def _key(cls, value: str) -> str:
        return check_kms_key_arn(value)


class InstanceAccess(ConfigModel):
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
        rule = iam_policy_names()
        if not rule.admits(value):
            raise PydanticCustomError(
                "iam_name",
                "{got} is not an IAM policy name ({lengths} of letters, digits, +=,.@_-)",
                {"got": repr(value), "lengths": rule.lengths},
            )
        return value

    @field_validator("role_name")
    @classmethod
    def _role_name(cls, value: str) -> str:
        return check_role_name(value)

    @field_validator("attach_to_roles")
    @classmethod
    def _roles(cls, value: list[str], info: ValidationInfo) -> list[str]:
        wants_policy = info.data.get("create_role") or value
        if wants_policy and info.data.get("create_policy") is False:
            raise_problems(
                [(("..", "createPolicy"), "must be true when createRole or attachToRoles is set")]
            )
        return check_role_names(value)

    @model_validator(mode="after")
    def _role_needs_policy(self) -> InstanceAccess:
        wants_policy = self.create_role or self.attach_to_roles
        if wants_policy and not self.create_policy:
            raise_problems(
                [(("createPolicy",), "must be true when createRole or attachToRoles is set")]
            )
        own = self.role_name.casefold()
        if self.create_role and any(role.casefold() == own for role in self.attach_to_roles):
            # The created role holds the policy already: a second attachment is one grant
            # twice (IAM names are not distinguished by case, botocore's iam model).
            raise_problems(
                [
                    (
                        ("attachToRoles",),
                        f"lists {self.role_name!r}, the role createRole makes, which gets the "
                        "policy already; drop it from attachToRoles",
                    )
                ]
            )
        return self


class VpcEndpoints(ConfigModel):
    """Interface endpoints so nodes in private subnets reach Session Manager."""

    account: AccountId = Field(
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

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        check_regions([value])
        return value

    @field_validator("vpc_id")
    @classmethod
    def _vpc(cls, value: str) -> str:
        return check_ec2_id(value, "vpc")

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        if not value:
            raise PydanticCustomError("subnets", "needs at least one subnet", {})
        return [check_ec2_id(subnet, "subnet") for subnet in value]

    @field_validator("security_group_id")
    @classmethod
    def _group(cls, value: str) -> str:
        return check_ec2_id(value, "sg")

    @field_validator("route_table_ids")
    @classmethod
    def _routes(cls, value: list[str]) -> list[str]:
        return [check_ec2_id(table, "rtb") for table in value]
