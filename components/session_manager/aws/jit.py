"""Just-in-time node access: AWS's rules for approval policies, as pure data and functions.

Sources (AWS Systems Manager User Guide):
- "Create approval policies for your nodes" (systems-manager-just-in-time-node-access-
  approval-policies.html): three policy types; evaluated deny-access, then auto-approval,
  then manual; one deny-access policy per organization, one auto-approval policy per
  account and Region; a tag-specific manual policy is favoured over one for all nodes;
  a node that two manual policies apply to makes access requests to it fail; with no
  policy that applies, nobody can request access to the node.
- "Create an auto-approval policy" (...-create-auto-approval-policies.html): Cedar,
  one per account and Region, auto-approved access lasts 1 hour.
- "Create a deny-access policy" (...-create-deny-access-policies.html): Cedar, created
  from the management or delegated administrator account, shared through AWS RAM; it
  prevents the auto-approval of the requests it matches.
- "Create manual approval policies" (...-create-manual-policies.html): up to 50 per
  account and Region, access duration 1-336 hours, node targets are tag key-value pairs
  (a policy applies to a node that has any of them), up to 5 approvers per level and up
  to 5 levels (one approval from each level); approvers are IAM Identity Center users and
  groups or IAM users (not roles); the page gives the access duration no default.
- "Statement structure and built-in operators for auto-approval and deny-access
  policies" (auto-approval-deny-access-policy-statement-structure.html): the action is
  always `AWS::SSM::Action::"getTokenForInstanceAccess"`, and the Cedar schema below.
  An auto-approval policy holds `permit` statements, a deny-access policy `forbid` ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

ACTION = 'AWS::SSM::Action::"getTokenForInstanceAccess"'
PRINCIPAL_TYPE = "AWS::IdentityStore::User"
GROUP_TYPE = "AWS::IdentityStore::Group"
NODE_TYPES = ("AWS::EC2::Instance", "AWS::SSM::ManagedInstance")
PRINCIPAL_TAGS_TYPE = "AWS::IAM::PrincipalTags"
# The attributes the schema gives an Identity Center user (all optional).
PRINCIPAL_ATTRIBUTES = ("employeeNumber", "costCenter", "organization", "division")

MANUAL_POLICIES_PER_ACCOUNT_REGION = 50
ACCESS_DURATION_HOURS = (1, 336)
MAX_APPROVAL_LEVELS = 5
MAX_APPROVERS_PER_LEVEL = 5
AUTO_APPROVED_ACCESS_HOURS = 1
# What each approver type is ("Create manual approval policies": "IAM Identity Center
# users and groups or IAM users"); the names are this project's (AWS documents none).
APPROVER_TYPES = {
    "IdentityStoreUser": "an IAM Identity Center user",
    "IdentityStoreGroup": "an IAM Identity Center group",
    "IamUser": "an IAM user",
}
# The document content of the two policy types, as AWS's own sample deploys them with
# CloudFormation's AWS::SSM::Document (aws-samples/cloud-operations-best-practices,
# static/cfn-templates/just-in-time-node-access/just-in-time-cfn-approval-policies.yaml,
# from the recipe "Enable JITNA using Infrastructure-as-Code"): YAML, schemaVersion 0.3,
# the access token role and the access duration in seconds; the auto-approval policy's
# Cedar text in `AutoApprovalPolicyDocuments`, a manual policy's tag targets as
# `tag:<key>` targets and its approvers in an `aws:approve` step. The User Guide shows
# only the console. No document type exists for the deny-access policy (DocumentType in
# the CreateDocument API reference lists AutoApprovalPolicy and ManualApprovalPolicy).
POLICY_DOCUMENT_FORMAT = "YAML"
POLICY_SCHEMA_VERSION = "0.3"
ACCESS_TOKEN_ROLE = "SSM-JustInTimeAccessTokenRole"
APPROVAL_TIMEOUT_SECONDS = 604800  # the sample's: 7 days for the approvers to answer
# The approver types a manual policy document names, by this project's approver type;
# SSOGroup is the JIT sample's, IamUser the per-level approval sample's of Change Manager
# (approval-type-samples.html), whose `aws:approve` step has the same EnhancedApprovals
# input. No AWS page shows an IAM Identity Center user in such a document: a policy with
# one is checked and answered by `jit check`, not deployed.
APPROVER_DOCUMENT_TYPES = {"IdentityStoreGroup": "SSOGroup", "IamUser": "IamUser"}
# The one effect each Cedar policy type may hold.
AUTO_APPROVAL_EFFECT = "permit"
DENY_ACCESS_EFFECT = "forbid"

# The schema as AWS documents it ("Just-in-time node access schema"), kept verbatim so a
# policy that AWS would accept validates here and a typo'd attribute or entity does not.
CEDAR_SCHEMA = """\
namespace AWS::EC2 {
    entity Instance tags String;
}

namespace AWS::IdentityStore {
    entity Group;

    entity User in [Group] {
    employeeNumber?: String,
    costCenter?: String,
    organization?: String,
    division?: String,
    };
}

namespace AWS::IAM {
    entity Role;

    type AuthorizationContext = {
        principalTags: PrincipalTags,
    };

    entity PrincipalTags tags String;
}

namespace AWS::SSM {
    entity ManagedInstance tags String;

    action "getTokenForInstanceAccess" appliesTo {
    principal: [AWS::IdentityStore::User],
    resource: [AWS::EC2::Instance, AWS::SSM::ManagedInstance],
    context: {
        "iam": AWS::IAM::AuthorizationContext
        }
    };
}
"""


@dataclass(frozen=True)
class Statement:
    """One Cedar policy statement of a policy text, and the line it starts on (1-based)."""

    text: str
    line: int


def split_statements(text: str) -> list[Statement]:
    """The statements of a Cedar policy text, each with its first line.

    Cedar ends every statement with `;`. Strings (with `\\` escapes) and `//` comments
    may hold a `;`, so both are skipped; comments before a statement don't move its line.
    """
    statements: list[Statement] = []
    start = 0
    first: int | None = None  # offset of the statement's first code character
    index = 0
    in_string = False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
            index += 1
            continue
        if text.startswith("//", index):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        if first is None and not char.isspace():
            first = index
        if char == '"':
            in_string = True
        elif char == ";":
            assert first is not None
            statements.append(Statement(text[start : index + 1], text.count("\n", 0, first) + 1))
            start, first = index + 1, None
        index += 1
    if first is not None:
        statements.append(Statement(text[start:], text.count("\n", 0, first) + 1))
    return statements


def code_only(text: str) -> str:
    """`text` with string contents and `//` comments blanked (same length and lines), so
    a search for Cedar syntax can't match inside them."""
    out = list(text)
    index = 0
    while index < len(text):
        if text[index] == '"':
            index += 1
            while index < len(text) and text[index] != '"':
                step = 2 if text[index] == "\\" else 1
                for blank in range(index, min(index + step, len(text))):
                    out[blank] = " " if text[blank] != "\n" else "\n"
                index += step
        elif text.startswith("//", index):
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            out[index:end] = " " * (end - index)
            index = end
        index += 1
    return "".join(out)


# Annotations (`@id("...")`) may come before a statement's effect.
_EFFECT = re.compile(r'^\s*(?:@\w+\s*(?:\(\s*"[^"]*"\s*\))?\s*)*([A-Za-z_]\w*)')
_SLOT = re.compile(r"\?(principal|resource)\b")


def statement_effect(statement: str) -> str:
    """The effect a statement starts with (`permit`, `forbid`, or whatever word is there)."""
    match = _EFFECT.match(code_only(statement))
    return match.group(1) if match else ""


def template_slots(statement: str) -> list[str]:
    """The `?principal` / `?resource` slots of a Cedar template: AWS takes policies only."""
    return sorted({f"?{m.group(1)}" for m in _SLOT.finditer(code_only(statement))})


Tag = tuple[str, str]


def manual_policies_for_node(
    targets: dict[str, list[Tag]], node_tags: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The manual policies that apply to a node: (tag-specific ones, all-nodes ones).

    A policy with no targets is for all nodes; one with targets applies when the node
    has any of its tag key-value pairs.
    """
    specific = sorted(
        name
        for name, tags in targets.items()
        if tags and any(node_tags.get(key) == value for key, value in tags)
    )
    every = sorted(name for name, tags in targets.items() if not tags)
    return specific, every


def manual_policy_tags(content: Any) -> list[Tag]:
    """A manual policy document's `tag:<key>` targets as (key, value) pairs (the shape
    `manual_approval_content` writes)."""
    targets: Any = (
        cast(dict[str, Any], content).get("targets") if isinstance(content, dict) else None
    )
    pairs: list[Tag] = []
    for target in cast(list[Any], targets) if isinstance(targets, list) else []:
        if not isinstance(target, dict):
            continue
        entry = cast(dict[str, Any], target)
        key, values = str(entry.get("Key") or ""), entry.get("Values")
        if key.startswith("tag:") and isinstance(values, list):
            pairs += [(key.removeprefix("tag:"), str(v)) for v in cast(list[Any], values)]
    return pairs


def overlapping_targets(a: list[Tag], b: list[Tag]) -> tuple[Tag, Tag] | None:
    """A tag of `a` and one of `b` that one node can carry together, or None.

    A node has one value per key, so the two policies can't both apply only when every
    pair of their tags names the same key with different values.
    """
    for key_a, value_a in a:
        for key_b, value_b in b:
            if key_a != key_b or value_a == value_b:
                return (key_a, value_a), (key_b, value_b)
    return None


def auto_approval_content(policy: str) -> dict[str, object]:
    """The AutoApprovalPolicy document's content: the Cedar text in AWS's wrapper."""
    return {
        "schemaVersion": POLICY_SCHEMA_VERSION,
        "description": "Auto-approval policy for just-in-time node access",
        "accessTokenRole": ACCESS_TOKEN_ROLE,
        "accessDuration": AUTO_APPROVED_ACCESS_HOURS * 3600,
        "AutoApprovalPolicyDocuments": [{"type": "Cedar", "content": policy}],
    }


@dataclass(frozen=True)
class ManualPolicy:
    """What a manual approval policy document holds (config/jit.py ManualApproval)."""

    name: str
    access_duration_hours: int
    targets: tuple[Tag, ...]
    levels: tuple[tuple[tuple[str, str], ...], ...]  # per level: (approver type, id)
    description: str = ""


def undeployable_reason(policy: ManualPolicy) -> str | None:
    """Why AWS's documented content can't express the policy, or None."""
    if not policy.targets:
        return (
            "targets every node: no AWS page shows the document content of such a policy "
            "(create it in the console)"
        )
    unknown = sorted(
        {kind for level in policy.levels for kind, _ in level} - set(APPROVER_DOCUMENT_TYPES)
    )
    if unknown:
        return (
            f"has {', '.join(unknown)} approvers: no AWS page shows how a document names "
            "them (create it in the console)"
        )
    return None


def manual_approval_content(policy: ManualPolicy) -> dict[str, object]:
    """The ManualApprovalPolicy document's content: one `aws:approve` step per level.

    Each level asks one approval (AWS: "one approval from each level"); levels after the
    first are further `aws:approve` steps, as Change Manager's levels are and as the
    "Approver Access Request Status Update" event reports a level by its StepName.
    """
    values: dict[str, list[str]] = {}
    for key, value in policy.targets:
        values.setdefault(key, [])
        if value not in values[key]:
            values[key].append(value)
    steps = [
        {
            "name": "ManualApproval" if index == 0 else f"ManualApproval{index + 1}",
            "action": "aws:approve",
            "timeoutSeconds": APPROVAL_TIMEOUT_SECONDS,
            "inputs": {
                "Message": f"Approve just-in-time node access ({policy.name}, level {index + 1})",
                "MinRequiredApprovals": 1,
                "EnhancedApprovals": {
                    "Approvers": [
                        {"approver": approver, "type": APPROVER_DOCUMENT_TYPES[kind]}
                        for kind, approver in level
                    ]
                },
            },
        }
        for index, level in enumerate(policy.levels)
    ]
    return {
        "schemaVersion": POLICY_SCHEMA_VERSION,
        "description": policy.description,
        "accessTokenRole": ACCESS_TOKEN_ROLE,
        "accessDuration": policy.access_duration_hours * 3600,
        "targets": [{"Key": f"tag:{key}", "Values": vals} for key, vals in values.items()],
        "mainSteps": steps,
    }
