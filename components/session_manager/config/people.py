"""IAM policies for the people who start sessions."""

from __future__ import annotations

import re

from pydantic import (
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from session_manager.config.fields import (
    DEPLOYER_ARN_PATTERN,
    ConfigModel,
    Flag,
    check_iam_name,
    check_role_names,
)


class _PeoplePolicy(ConfigModel):
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
        return check_iam_name(value)

    @field_validator("attach_to_roles")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        return check_role_names(value)


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


class AccessPolicies(ConfigModel):
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
