"""Cedar's own engine (cedarpy) on just-in-time access policies, with AWS's schema.

Validation is per statement, so each problem names the line its statement starts on;
evaluation answers one access request the way the policy's evaluator would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

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


# AWS's "Statement structure and built-in operators for auto-approval and deny-access
# policies" gives a statement as an effect (`permit | forbid`), a scope `(principal, action,
# resource)` and `when { ... }` conditions with Cedar's built-in operators. Cedar takes
# more; whether AWS refuses the rest is unverified, so the plan warns (never refuses).
STATEMENT_STRUCTURE_URL = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
    "auto-approval-deny-access-policy-statement-structure.html"
)
# Keys of Cedar's JSON policy form whose list value is not a function call's arguments.
_LIST_KEYS = frozenset({"Set", "pattern", "Value"})


def _walk(node: object) -> Iterator[tuple[str, object]]:
    """Every (key, value) of a JSON value, depth first."""
    if isinstance(node, dict):
        for key, value in cast(dict[str, object], node).items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in cast(list[object], node):
            yield from _walk(item)


def _constructs(policy: dict[str, Any]) -> list[tuple[str, str]]:
    """(construct, regex finding it in the statement's code) for each construct of one
    statement, in Cedar's JSON form, that AWS's statement structure doesn't show."""
    found: list[tuple[str, str]] = [
        (f"the annotation `@{name}`", rf"@\s*{re.escape(name)}\b")
        for name in cast(dict[str, str], policy.get("annotations") or {})
    ]
    for var in ("principal", "resource"):
        scope = cast(dict[str, Any], policy.get(var) or {})
        if scope.get("op") == "is":
            found.append(
                (f"`{var} is {scope.get('entity_type')}` in the scope", rf"\b{var}\s+is\b")
            )
    for condition in cast(list[dict[str, object]], policy.get("conditions") or []):
        if condition.get("kind") == "unless":
            found.append(("an `unless` clause", r"\bunless\b"))
        for key, value in _walk(condition.get("body")):
            if key == "if-then-else":
                found.append(("`if ... then ... else`", r"\bif\b"))
            elif key == "is":
                found.append(("the `is` operator", r"\bis\b"))
            elif isinstance(value, list) and key not in _LIST_KEYS:
                found.append((f"the extension function `{key}()`", rf"\b{re.escape(key)}\s*\("))
    return list(dict.fromkeys(found))


def _line_of(statement: Statement, pattern: str) -> int:
    """The line of the first match of `pattern` in the statement's code (not in its strings
    or comments), else the statement's first line."""
    code = code_only(statement.text)
    lead = statement.text.count("\n", 0, len(code) - len(code.lstrip()))
    match = re.search(pattern, code)
    return statement.line + (statement.text.count("\n", 0, match.start()) - lead if match else 0)


def undocumented_grammar(text: str) -> list[tuple[int, str]]:
    """(line, construct) of what a valid policy text uses beyond AWS's documented
    statement structure: annotations, `is`, `unless`, `if-then-else`, extension functions
    (`ip("10.0.0.1").isLoopback()`), and a statement that repeats an earlier one."""
    found: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for statement in split_statements(text):
        try:
            parsed = json.loads(cedarpy.policies_to_json_str(statement.text))
        except ValueError:
            continue  # not Cedar: policy_problems reports it
        for policy in cast(dict[str, Any], parsed.get("staticPolicies") or {}).values():
            found += [
                (_line_of(statement, pattern), construct)
                for construct, pattern in _constructs(policy)
            ]
            canonical = json.dumps(policy, sort_keys=True)
            if canonical in seen:
                found.append((statement.line, f"a statement that repeats line {seen[canonical]}'s"))
            seen.setdefault(canonical, statement.line)
    return found


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
