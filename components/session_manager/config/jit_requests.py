"""The request table: access requests and the answers a stack's approval policies must give.

A YAML file kept next to the stack file (`justInTimeAccess.requestTable`):

    requests:
      - name: on-call to production
        person: {user: alice, groups: [<Identity Center group id>], attributes: {...}}
        node: {id: i-0abc, tags: {Environment: production}}
        expect: auto-approved        # or: denied, fails, "needs 2 approvals"
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from session_manager.aws.jit import NODE_TYPES, PRINCIPAL_ATTRIBUTES
from session_manager.config.cedar import Node, Person
from session_manager.config.fields import ConfigModel

AUTO_APPROVED = "auto-approved"
DENIED = "denied"
FAILS = "fails"
NEEDS = re.compile(r"^needs ([1-5]) approvals?$")
EXPECTATIONS = f"{AUTO_APPROVED}, {DENIED}, {FAILS} or 'needs N approvals' (N: 1-5 levels)"


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

    id: str = Field(description="Node id.")
    type: str = Field(default="AWS::EC2::Instance", description="Or AWS::SSM::ManagedInstance.")
    tags: dict[str, str] = Field(default_factory=dict[str, str], description="The node's tags.")

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
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
        if text not in (AUTO_APPROVED, DENIED, FAILS) and not NEEDS.match(text):
            raise PydanticCustomError(
                "expect",
                "{got} is not an answer; use {allowed}",
                {"got": repr(value), "allowed": EXPECTATIONS},
            )
        return text

    def cedar_person(self) -> Person:
        p = self.person
        return Person(p.user, tuple(p.groups), dict(p.attributes), dict(p.principal_tags))

    def cedar_node(self) -> Node:
        return Node(self.node.id, dict(self.node.tags), self.node.type)


class RequestTable(ConfigModel):
    """The whole file."""

    requests: list[AccessRequest] = Field(description="The rows.")
