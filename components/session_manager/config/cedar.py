"""Cedar's own engine (cedarpy) on just-in-time access policies, with AWS's schema.

Validation is per statement, so each problem names the line its statement starts on;
evaluation answers one access request the way the policy's evaluator would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import cedarpy
import yaml

from session_manager.aws.jit import (
    ACTION,
    CEDAR_SCHEMA,
    GROUP_TYPE,
    PRINCIPAL_ATTRIBUTES,
    PRINCIPAL_TAGS_TYPE,
    PRINCIPAL_TYPE,
    Statement,
    auto_approval_content,
    code_only,
    split_statements,
    statement_effect,
    template_slots,
)
from session_manager.aws.rules import DOCUMENT_CONTENT_MAX_BYTES

# `principal has x` / `resource has "x"`: Cedar types a `has` of an attribute the schema
# doesn't declare as false and skips what it guards, so a typo there validates but never
# matches. Checked here against the schema's attribute lists.
_HAS = re.compile(r'\b(principal|resource)\s+has\s+(?:"([^"]*)"|([A-Za-z_][A-Za-z0-9_]*))')
_DECLARED = {"principal": PRINCIPAL_ATTRIBUTES, "resource": ()}


def _never_true(statement: str) -> list[str]:
    reasons: list[str] = []
    for match in _HAS.finditer(code_only(statement)):
        var, name = match.group(1), match.group(2) or match.group(3)
        if name not in _DECLARED[var]:
            declared = ", ".join(_DECLARED[var]) or "none (use hasTag for its tags)"
            reasons.append(
                f"`{var} has {name}` is never true: AWS's schema declares no attribute "
                f"`{name}` (its attributes: {declared})"
            )
    return reasons


def _shape_problems(statement: str, effect: str | None) -> list[str]:
    """What AWS's policy types refuse that Cedar itself accepts: templates, the other effect."""
    reasons: list[str] = []
    slots = template_slots(statement)
    if slots:
        reasons.append(
            f"{', '.join(slots)} makes it a Cedar template; AWS takes policies only: "
            "name the principal or resource, or leave the scope open"
        )
    found = statement_effect(statement)
    # Any other first word is a syntax error, which Cedar reports.
    if effect is not None and found in ("permit", "forbid") and found != effect:
        reasons.append(
            f"is a `{found}` statement; this policy may hold only `{effect}` statements "
            "(AWS: Statement structure and built-in operators for auto-approval and "
            "deny-access policies)"
        )
    return reasons


_PARSE_ERROR = "Policy parse error: "


def _parse_error_line(statement: Statement, error: str) -> int:
    """The line of a parse error, which cedarpy reports without a place: the first line
    whose prefix of the statement fails with the same error (before it, the prefix only
    ends too early), else the statement's first line."""
    text = statement.text
    code = code_only(text)
    first = len(code) - len(code.lstrip())
    lead = text.count("\n", 0, first)
    lines = text.split("\n")
    for count in range(lead + 1, len(lines)):
        prefix = "\n".join(lines[:count])
        result = cedarpy.validate_policies(  # pyright: ignore[reportUnknownMemberType]
            prefix, CEDAR_SCHEMA
        )
        if any(str(e.error) == error for e in result.errors):
            return statement.line + count - 1 - lead
    # Only the whole statement fails so: the error is on its last line when that line holds
    # the unexpected token; other errors (an invalid scope variable) show only at the end.
    token = re.search(r"unexpected token `([^`]*)`", error)
    last = code.rstrip().rsplit("\n", 1)[-1]
    if token and token.group(1) in last and len(lines) - 1 > lead:
        return statement.line + code.rstrip().count("\n") - lead
    return statement.line


def rendered_size(policy: str) -> int:
    """Bytes of the document that carries `policy`: its content as YAML, the format the
    approval-policy documents are deployed in (aws/jit.py POLICY_DOCUMENT_FORMAT)."""
    rendered = yaml.safe_dump(auto_approval_content(policy), sort_keys=True)
    return max(len(rendered.encode()), len(policy.encode()))


def policy_problems(
    text: str, *, effect: str | None = None, where: str = "the policy"
) -> list[str]:
    """Every parse or schema problem of a policy text, as `line N of <where>: reason`.

    `effect`: the only effect its statements may have (`permit` for an auto-approval
    policy, `forbid` for a deny-access one)."""
    size = rendered_size(text)
    if size > DOCUMENT_CONTENT_MAX_BYTES:
        # CreateDocument's MaxDocumentSizeExceeded: "The size limit of a document is 64 KB",
        # measured on the document as deployed: the policy in its YAML wrapper.
        return [
            f"makes a {size}-byte document (the policy in its YAML content); an SSM "
            f"document's content is at most {DOCUMENT_CONTENT_MAX_BYTES} bytes (64 KB)"
        ]
    statements = split_statements(text)
    if not statements:
        return ["has no policy statement"]
    problems: list[str] = []
    for statement in statements:
        # cedarpy's hints leave its dict parameters' types open.
        result = cedarpy.validate_policies(  # pyright: ignore[reportUnknownMemberType]
            statement.text, CEDAR_SCHEMA
        )
        reasons = _shape_problems(statement.text, effect)
        reasons += _never_true(statement.text) if result.validation_passed else []
        lines = dict.fromkeys(reasons, statement.line)
        for error in result.errors:
            reason = str(error.error).replace("for policy `policy0`, ", "")
            if reason not in reasons:
                reasons.append(reason)
                lines[reason] = (
                    _parse_error_line(statement, reason)
                    if reason.startswith(_PARSE_ERROR)
                    else statement.line
                )
        problems += [f"line {lines[reason]} of {where}: {reason}" for reason in reasons]
    return problems


@dataclass(frozen=True)
class Person:
    """Who asks: an IAM Identity Center user, the groups they are in, their attributes."""

    user: str
    groups: Sequence[str] = ()
    attributes: Mapping[str, str] = field(default_factory=dict[str, str])
    principal_tags: Mapping[str, str] = field(default_factory=dict[str, str])


@dataclass(frozen=True)
class Node:
    """Which node: its id, type and tags."""

    node_id: str
    tags: Mapping[str, str] = field(default_factory=dict[str, str])
    node_type: str = "AWS::EC2::Instance"


def _entities(person: Person, node: Node) -> list[dict[str, object]]:
    groups = [{"type": GROUP_TYPE, "id": group} for group in person.groups]
    return [
        {
            "uid": {"type": PRINCIPAL_TYPE, "id": person.user},
            "attrs": dict(person.attributes),
            "parents": groups,
        },
        *({"uid": group, "attrs": {}, "parents": []} for group in groups),
        {
            "uid": {"type": node.node_type, "id": node.node_id},
            "attrs": {},
            "parents": [],
            "tags": dict(node.tags),
        },
        {
            "uid": {"type": PRINCIPAL_TAGS_TYPE, "id": person.user},
            "attrs": {},
            "parents": [],
            "tags": dict(person.principal_tags),
        },
    ]


def permits(policy: str, person: Person, node: Node) -> bool:
    """Whether Cedar allows the request under `policy` (default deny, forbid wins)."""
    request = {
        "principal": f'{PRINCIPAL_TYPE}::"{person.user}"',
        "action": ACTION,
        "resource": f'{node.node_type}::"{node.node_id}"',
        "context": {
            "iam": {"principalTags": {"__entity": {"type": PRINCIPAL_TAGS_TYPE, "id": person.user}}}
        },
    }
    result = cedarpy.is_authorized(  # pyright: ignore[reportUnknownMemberType]
        request, policy, _entities(person, node), schema=CEDAR_SCHEMA
    )
    return result.decision == cedarpy.Decision.Allow


# A permit for every request: with it, a policy of forbid statements denies exactly the
# requests one of its statements matches.
PERMIT_ALL = f"permit (principal, action == {ACTION}, resource);"


def forbids(policy: str, person: Person, node: Node) -> bool:
    """Whether a forbid statement of `policy` matches the request."""
    return not permits(f"{policy}\n{PERMIT_ALL}", person, node)
