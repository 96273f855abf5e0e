"""The request table: access requests and the answers a stack's approval policies must give.

A YAML file kept next to the stack file (`justInTimeAccess.requestTable`):

    requests:
      - name: on-call to production
        person: {user: alice, groups: [<Identity Center group id>], attributes: {...}}
        node: {id: i-0123456789abcdef0, tags: {Environment: production}}
        expect: auto-approved        # or: denied, fails, "needs 2 approvals at 2 levels"
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from session_manager.aws.jit import NODE_TYPES, PRINCIPAL_ATTRIBUTES
from session_manager.config.cedar import Node, Person
from session_manager.config.fields import (
    ConfigModel,
    check_account,
    check_organizational_unit,
    check_regions,
)

AUTO_APPROVED = "auto-approved"
DENIED = "denied"
FAILS = "fails"
# AWS ("Create approval policies for your nodes"): a manual policy asks one approval from
# each of its levels ("two approvals from two levels"), 1-5 levels.
NEEDS = re.compile(r"^needs ([1-5]) approvals? at ([1-5]) levels?$")
EXPECTATIONS = (
    f"{AUTO_APPROVED}, {DENIED}, {FAILS} or 'needs N approvals at N levels' (N: 1-5; one "
    "approval per level)"
)


# SSM's node ids (API reference, InstanceInformation's InstanceId pattern
# `(^i-(\w{8}|\w{17})$)|(^mi-\w{17}$)`): EC2 instances are i-, hybrid (on-premises)
# nodes mi-; AWS's Cedar schema types the latter AWS::SSM::ManagedInstance
# (auto-approval-deny-access-policy-statement-structure.html).
NODE_ID = re.compile(r"^(?:i-(?:\w{8}|\w{17})|mi-\w{17})$")


def node_type_of(node_id: str) -> str:
    """The Cedar entity type of a node id (AWS::SSM::ManagedInstance for mi-)."""
    return NODE_TYPES[1] if node_id.startswith("mi-") else NODE_TYPES[0]


def needs(levels: int) -> str:
    """The answer of a manual policy with `levels` levels of approvers."""
    plural = "s" if levels != 1 else ""
    return f"needs {levels} approval{plural} at {levels} level{plural}"


class RequestPerson(ConfigModel):
    """Who asks: an IAM Identity Center user."""

    user: str = Field(description="The user's id.")
    groups: list[str] = Field(default_factory=list[str], description="Group ids.")
    attributes: dict[str, str] = Field(
        default_factory=dict[str, str], description="employeeNumber, costCenter, ..."
    )
    principal_tags: dict[str, str] = Field(
        default_factory=dict[str, str], description="context.iam.principalTags."
    )

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(PRINCIPAL_ATTRIBUTES))
        if unknown:
            raise PydanticCustomError(
                "attributes",
                "{got}: not in AWS's schema; a user has {allowed}",
                {"got": ", ".join(unknown), "allowed": ", ".join(PRINCIPAL_ATTRIBUTES)},
            )
        return value


class RequestNode(ConfigModel):
    """Which node."""

    id: str = Field(description="Node id: i-... (an EC2 instance) or mi-... (a hybrid node).")
    type: str = Field(
        default="",
        description=(
            "AWS::EC2::Instance or AWS::SSM::ManagedInstance; default: from the id "
            "(mi-: a managed instance)."
        ),
    )
    tags: dict[str, str] = Field(default_factory=dict[str, str], description="The node's tags.")
    account: str = Field(
        default="",
        description=(
            "The node's account: the answer uses the policies of its target (an account "
            "target's own, else the stack's). Default: the stack's policies."
        ),
    )
    region: str = Field(default="", description="The node's Region, with `account`.")
    organizational_unit: str = Field(
        default="",
        description=(
            "The organizational unit target the account is managed through, when no account "
            "target names it: the answer uses that target's policies."
        ),
    )

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return check_account(value)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_regions([value])[0] if value else value

    @field_validator("organizational_unit")
    @classmethod
    def _ou(cls, value: str) -> str:
        return check_organizational_unit(value)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not NODE_ID.match(value):
            raise PydanticCustomError(
                "node_id",
                "{got} is not a node id: an EC2 instance is i- and 8 or 17 characters, a "
                "hybrid node mi- and 17 (i-0123456789abcdef0, mi-0123456789abcdef0)",
                {"got": repr(value)},
            )
        return value

    @field_validator("type")
    @classmethod
    def _type(cls, value: str, info: ValidationInfo) -> str:
        node_id = str(info.data.get("id", ""))
        implied = node_type_of(node_id) if node_id else ""
        if not value:
            return implied
        if implied and value != implied:
            raise PydanticCustomError(
                "node_type",
                "{got} does not fit id {id}: AWS's schema types {prefix} nodes {implied}",
                {
                    "got": repr(value),
                    "id": repr(node_id),
                    "prefix": node_id.split("-", 1)[0] + "-",
                    "implied": implied,
                },
            )
        if value not in NODE_TYPES:
            raise PydanticCustomError(
                "node_type",
                "{got} is not a node type; use {allowed}",
                {"got": repr(value), "allowed": " or ".join(NODE_TYPES)},
            )
        return value


class AccessRequest(ConfigModel):
    """One row: a person asks for a node; the answer they must get."""

    name: str = Field(description="What the row checks.")
    person: RequestPerson
    node: RequestNode
    expect: str = Field(description=EXPECTATIONS)

    @field_validator("expect")
    @classmethod
    def _expect(cls, value: Any) -> str:
        text = str(value).strip()
        need = NEEDS.match(text)
        if text not in (AUTO_APPROVED, DENIED, FAILS) and not need:
            raise PydanticCustomError(
                "expect",
                "{got} is not an answer; use {allowed}",
                {"got": repr(value), "allowed": EXPECTATIONS},
            )
        if need and need.group(1) != need.group(2):
            raise PydanticCustomError(
                "expect",
                "{got} never happens: AWS asks one approval at each level of a manual policy",
                {"got": repr(value)},
            )
        # "needs 1 approvals at 1 levels" and "needs 1 approval at 1 level" are one answer:
        # kept in the spelling `jit check` answers with.
        return needs(int(need.group(1))) if need else text

    def cedar_person(self) -> Person:
        p = self.person
        return Person(p.user, tuple(p.groups), dict(p.attributes), dict(p.principal_tags))

    def cedar_node(self) -> Node:
        return Node(
            self.node.id, dict(self.node.tags), self.node.type or node_type_of(self.node.id)
        )


class RequestTable(ConfigModel):
    """The whole file."""

    requests: list[AccessRequest] = Field(description="The rows.")

    @field_validator("requests")
    @classmethod
    def _rows(cls, value: list[AccessRequest]) -> list[AccessRequest]:
        if not value:
            raise PydanticCustomError(
                "requests", "is empty: a table with no row checks nothing; add rows"
            )
        names = [row.name for row in value]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise PydanticCustomError(
                    "requests",
                    "row {index} is named {name}, like row {first}: `plan --diff` tells "
                    "answers apart by row name",
                    {"index": index, "name": repr(name), "first": names.index(name)},
                )
        return value
