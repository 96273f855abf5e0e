"""IAM policies for the people who start sessions."""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from session_manager.aws.people_policies import (
    OWN_SESSION_METHODS,
    OWN_SESSIONS_BY_SESSION_TAG,
    OWNER_VARIABLE_METHODS,
)
from session_manager.config.fields import (
    DEPLOYER_ARN_PATTERN,
    ConfigModel,
    Flag,
    check_group_names,
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

    @field_validator("attach_to_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        return check_group_names(value)


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
    own_sessions: list[str] = Field(
        default_factory=lambda: list(OWN_SESSION_METHODS),
        description=(
            "How a person's own sessions (resume, end, data channel) are recognized: `userName` "
            "(session ids `<user name>-*`, IAM users only), `sessionTag` (the session's "
            "`aws:ssmmessages:session-id` tag is `${aws:userid}`: role sessions, IAM Identity "
            "Center and federated users). Default: both."
        ),
    )
    any_session_data_channel: Flag = Field(
        default=False,
        description=(
            "Also grant ssmmessages:OpenDataChannel on every session of the account, not only on "
            "one's own. Trade-off: whoever holds another person's session token can attach to "
            "that session."
        ),
    )
    session_owner_variable: str = Field(
        default="",
        description=(
            "Deprecated, use `ownSessions`: `${aws:username}` means `[userName]`, "
            "`${aws:userid}` means `[sessionTag]`."
        ),
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

    @field_validator("own_sessions")
    @classmethod
    def _own_sessions(cls, value: list[str]) -> list[str]:
        bad = [method for method in value if method not in OWN_SESSION_METHODS]
        if bad or not value:
            raise PydanticCustomError(
                "own_sessions",
                "must list one or both of userName, sessionTag; got {got}",
                {"got": ", ".join(repr(method) for method in value) or "nothing"},
            )
        return sorted(set(value), key=OWN_SESSION_METHODS.index)

    @model_validator(mode="before")
    @classmethod
    def _owner(cls, data: Any) -> Any:
        """Reads the old `sessionOwnerVariable` as the `ownSessions` method it stood for."""
        if not isinstance(data, dict):
            return data
        values: dict[str, Any] = dict(data)  # pyright: ignore[reportUnknownArgumentType]
        old_key = next(
            (k for k in ("sessionOwnerVariable", "session_owner_variable") if k in values), None
        )
        if old_key is None:
            return values
        old = values[old_key]
        if old not in OWNER_VARIABLE_METHODS:
            raise PydanticCustomError(
                "owner",
                "sessionOwnerVariable (deprecated, use ownSessions) is {got}; it may be only "
                "${aws:username} or ${aws:userid}",
                {"got": repr(old)},
            )
        new_key = next((k for k in ("ownSessions", "own_sessions") if k in values), None)
        if new_key is None:
            values["ownSessions"] = [OWNER_VARIABLE_METHODS[old]]
        elif list(values[new_key]) != [OWNER_VARIABLE_METHODS[old]]:
            raise PydanticCustomError(
                "owner",
                "sessionOwnerVariable {old} means ownSessions: [{method}], but ownSessions is "
                "{new}; remove sessionOwnerVariable",
                {"old": old, "method": OWNER_VARIABLE_METHODS[old], "new": values[new_key]},
            )
        return values

    @property
    def deprecation(self) -> str:
        """The warning for a stack that still sets `sessionOwnerVariable`, or empty."""
        old = self.session_owner_variable
        if not old:
            return ""
        method = OWNER_VARIABLE_METHODS[old]
        change = (
            " Sessions of roles and IAM Identity Center users are now recognized by their "
            "session tag, which is the method AWS documents for them; session ids never begin "
            "with ${aws:userid}."
            if method == OWN_SESSIONS_BY_SESSION_TAG
            else " ssmmessages:OpenDataChannel on own sessions is now granted too."
        )
        return (
            "session-manager:accessPolicies.sessionUsers.sessionOwnerVariable is deprecated: "
            f"{old} now means ownSessions: [{method}].{change} Replace it with "
            f"`ownSessions: [{method}]`, or drop both for the default [userName, sessionTag], "
            "which covers IAM users and role sessions."
        )


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


class JustInTimeRequestersPolicy(_PeoplePolicy):
    create: Flag = Field(
        default=False,
        description=(
            "Create the policy for people who request just-in-time node access "
            "(aws/jit_iam.py): request, get the access token, follow and cancel requests, "
            "read the approval policies. It grants no ssm:StartSession."
        ),
    )
    name: str = Field(default="SessionManagerJustInTimeRequesters", description="Policy name.")


class JustInTimeApproversPolicy(_PeoplePolicy):
    create: Flag = Field(
        default=False,
        description=(
            "Create the policy for approvers of just-in-time node access requests: read "
            "requests and approval policies, approve or reject (ssm:SendAutomationSignal)."
        ),
    )
    name: str = Field(default="SessionManagerJustInTimeApprovers", description="Policy name.")


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
    just_in_time_requesters: JustInTimeRequestersPolicy = Field(
        default=JustInTimeRequestersPolicy(),
        description="Who may request just-in-time node access (see below).",
    )
    just_in_time_approvers: JustInTimeApproversPolicy = Field(
        default=JustInTimeApproversPolicy(),
        description="Who may approve just-in-time node access requests (see below).",
    )
