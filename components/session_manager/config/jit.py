"""`justInTimeAccess`: just-in-time node access approval policies, checked with Cedar.

The auto-approval and deny-access policies are Cedar text, validated statement by
statement with Cedar's own engine against the schema AWS documents; manual approval
policies are tag targets and levels of approvers. Limits and rules: aws/jit.py.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from session_manager.aws.jit import (
    ACCESS_DURATION_HOURS,
    APPROVER_TYPES,
    AUTO_APPROVAL_EFFECT,
    DENY_ACCESS_EFFECT,
    MANUAL_POLICIES_PER_ACCOUNT_REGION,
    MAX_APPROVAL_LEVELS,
    MAX_APPROVERS_PER_LEVEL,
    NODE_TYPES,
    Tag,
    overlapping_targets,
)
from session_manager.config.cedar import Node, Person, permits, policy_problems
from session_manager.config.errors import Problem, raise_problems
from session_manager.config.fields import (
    ConfigModel,
    WholeNumber,
    check_account,
    check_document_name,
    check_range,
    check_regions,
)

DEFAULT_AUTO_APPROVAL_NAME = "session-manager-auto-approval"


def _cedar(value: str, effect: str, where: str) -> str:
    problems = policy_problems(value, effect=effect, where=where)
    if problems:
        raise PydanticCustomError(
            "cedar",
            "is not a valid just-in-time access policy for AWS's Cedar schema: {problems}",
            {"problems": "; ".join(problems)},
        )
    return value


class AutoApproval(ConfigModel):
    """The auto-approval policy, one per account and Region (AWS's limit)."""

    name: str = Field(default=DEFAULT_AUTO_APPROVAL_NAME, description="Document name.")
    policy: str = Field(
        description=(
            "Cedar `permit` statements for `getTokenForInstanceAccess` (auto-approved access "
            "lasts 1 hour)."
        )
    )

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        return _cedar(value, AUTO_APPROVAL_EFFECT, "autoApproval.policy")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_document_name(value)


class DenyAccess(ConfigModel):
    """The organization's deny-access policy, from its management or delegated admin account."""

    account: str = Field(description="The management or delegated administrator account.")
    region: str = Field(description="The Region it is created in (AWS replicates it).")
    policy: str = Field(
        description="Cedar `forbid` statements: matched requests are never auto-approved."
    )

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        return _cedar(value, DENY_ACCESS_EFFECT, "denyAccess.policy")

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return check_account(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_regions([value])[0]


class Approver(ConfigModel):
    """An approver: an IAM Identity Center user or group, or an IAM user (AWS: not a role)."""

    type: str = Field(description="IdentityStoreUser, IdentityStoreGroup or IamUser.")
    id: str = Field(description="The user's or group's id, or the IAM user's name.")

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in APPROVER_TYPES:
            raise PydanticCustomError(
                "approver_type",
                "{got} is not an approver type; AWS lets these approve: {allowed}",
                {
                    "got": repr(value),
                    "allowed": ", ".join(f"{k} ({v})" for k, v in APPROVER_TYPES.items()),
                },
            )
        return value


class TagTarget(ConfigModel):
    """A node tag key-value pair."""

    key: str = Field(description="Tag key.")
    value: str = Field(description="Tag value.")


class ApprovalLevel(ConfigModel):
    """One level of approvers: one of them approves for the level."""

    approvers: list[Approver] = Field(description="1 to 5 approvers.")

    @field_validator("approvers")
    @classmethod
    def _approvers(cls, value: list[Approver]) -> list[Approver]:
        if not 1 <= len(value) <= MAX_APPROVERS_PER_LEVEL:
            raise PydanticCustomError(
                "approvers",
                "needs 1 to {most} approvers, got {got}",
                {"most": MAX_APPROVERS_PER_LEVEL, "got": len(value)},
            )
        return value


class ManualApproval(ConfigModel):
    """A manual approval policy: who approves access to the nodes with these tags."""

    name: str = Field(description="Policy name, unique in the stack.")
    access_duration_hours: WholeNumber = Field(
        description="How long approved access lasts, 1-336 hours (AWS has no default)."
    )
    targets: list[TagTarget] = Field(
        default_factory=list[TagTarget],
        description="Node tags it applies to (any of them); empty: every node.",
    )
    levels: list[ApprovalLevel] = Field(
        description="Levels of approvers, in order; one approval from each level."
    )

    @field_validator("access_duration_hours")
    @classmethod
    def _duration(cls, value: int) -> int:
        return check_range(value, *ACCESS_DURATION_HOURS, "hours")

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[ApprovalLevel]) -> list[ApprovalLevel]:
        if not 1 <= len(value) <= MAX_APPROVAL_LEVELS:
            raise PydanticCustomError(
                "levels",
                "needs 1 to {most} levels of approvers, got {got}",
                {"most": MAX_APPROVAL_LEVELS, "got": len(value)},
            )
        return value

    @property
    def tags(self) -> list[Tag]:
        return [(target.key, target.value) for target in self.targets]


class JustInTimeAccess(ConfigModel):
    """Just-in-time node access for every managed account-Region (see below)."""

    auto_approval: AutoApproval | None = Field(
        default=None, description="The auto-approval policy of every managed account-Region."
    )
    manual_approvals: list[ManualApproval] = Field(
        default_factory=list[ManualApproval],
        description=(
            "Manual approval policies (up to 50 per account-Region), checked and answered by "
            "`jit check`; not deployed yet (AWS documents no content format for them)."
        ),
    )
    deny_access: DenyAccess | None = Field(
        default=None,
        description=(
            "The organization's deny-access policy (one per organization), checked and "
            "answered by `jit check`; create it from its account (not deployed by the stack)."
        ),
    )
    production_tags: dict[str, list[str]] = Field(
        default_factory=lambda: {"Environment": ["production"]},
        description=(
            "Tag keys and the values that mark production nodes: an auto-approval that lets "
            "anyone (no group, no attribute) onto such a node is refused."
        ),
    )
    request_table: str = Field(
        default="",
        description=(
            "YAML file of access requests and their expected answers, relative to the stack "
            "file: `session-manager jit check` evaluates it."
        ),
    )

    @model_validator(mode="after")
    def _rules(self) -> JustInTimeAccess:
        problems: list[Problem] = []
        if len(self.manual_approvals) > MANUAL_POLICIES_PER_ACCOUNT_REGION:
            problems.append(
                (
                    ("manualApprovals",),
                    f"has {len(self.manual_approvals)} policies; AWS allows "
                    f"{MANUAL_POLICIES_PER_ACCOUNT_REGION} per account and Region",
                )
            )
        names = [policy.name for policy in self.manual_approvals]
        problems += [
            (("manualApprovals", index, "name"), f"{name!r} names another manual policy too")
            for index, name in enumerate(names)
            if name in names[:index]
        ]
        every_node = [i for i, p in enumerate(self.manual_approvals) if not p.targets]
        problems += [
            (
                ("manualApprovals", index, "targets"),
                f"is empty, like manualApprovals[{every_node[0]}]'s: two policies for every "
                "node make every access request fail",
            )
            for index in every_node[1:]
        ]
        if self.auto_approval is not None:
            problems += self._open_production_problems(self.auto_approval.policy)
        raise_problems(problems)
        return self

    def _open_production_problems(self, policy: str) -> list[Problem]:
        """An auto-approval that admits a person with no group and no attribute to production."""
        anyone = Person(user="anyone")
        return [
            (
                ("autoApproval", "policy"),
                f"auto-approves every principal (no group, no attribute) to {node_type} "
                f"nodes tagged {key}={value}; scope it to a group or an attribute",
            )
            for key, values in sorted(self.production_tags.items())
            for value in values
            # Every node type of AWS's schema: a policy scoped to `resource is
            # AWS::SSM::ManagedInstance` opens hybrid nodes only.
            for node_type in NODE_TYPES
            if permits(policy, anyone, Node("production-node", {key: value}, node_type))
        ]

    def overlap_warnings(self) -> list[str]:
        """Pairs of tag-targeted manual policies that can both apply to one node."""
        warnings: list[str] = []
        policies = [p for p in self.manual_approvals if p.targets]
        for index, first in enumerate(policies):
            for second in policies[index + 1 :]:
                pair = overlapping_targets(first.tags, second.tags)
                if pair is not None:
                    (key_a, value_a), (key_b, value_b) = pair
                    tagged = f"{key_a}={value_a}" + (
                        "" if (key_a, value_a) == (key_b, value_b) else f" and {key_b}={value_b}"
                    )
                    warnings.append(
                        f"justInTimeAccess.manualApprovals: {first.name!r} and {second.name!r} "
                        f"both apply to a node tagged {tagged}; AWS fails every access request "
                        "to such a node"
                    )
        return warnings
