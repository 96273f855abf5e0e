"""Lint policies with parliament; shared by the policy and component tests."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from typing import Any, cast

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import (  # pyright: ignore[reportUnknownVariableType]
        analyze_policy_string,
        iam_definition,
    )

# Actions AWS documents for just-in-time node access that parliament's bundled IAM database
# (generated from an older Service Authorization Reference) does not know. Only these are
# accepted as UNKNOWN_ACTION, and only on the resources the SAR gives them (SCOPED_FINDINGS:
# "*" for GetAccessToken, the account's node ARNs for StartAccessRequest);
# tests/aws/test_jit_iam.py fails once parliament learns one, so the list shrinks as
# parliament catches up.
MISSING_FROM_PARLIAMENT = ("ssm:GetAccessToken", "ssm:StartAccessRequest")

# Findings accepted for a kind of policy: (issue, text the finding must contain, reason).
# A finding is accepted only when both match; anything else fails the test.
ACCEPTED_FINDINGS: dict[str, list[tuple[str, str, str]]] = {
    "identity": [
        (
            "UNKNOWN_CONDITION_FOR_ACTION",
            "ssm:SessionDocumentAccessCheck",
            "parliament's database lacks ssm:SessionDocumentAccessCheck, which AWS's quickstart "
            "policies for Session Manager use on ssm:StartSession",
        ),
        (
            "UNKNOWN_CONDITION_FOR_ACTION",
            "kms:ResourceAliases",
            "parliament's database predates kms:ResourceAliases, which AWS documents for "
            "kms:Decrypt and uses itself to scope session keys by alias",
        ),
        (
            "RESOURCE_MISMATCH",
            "ssmmessages:OpenDataChannel",
            "the Service Authorization Reference lists no resource type for ssmmessages, but "
            "AWS's quickstart end-user policy grants ssmmessages:OpenDataChannel on the user's "
            "own session ARNs and AWS's AmazonEKSLocalOutpostServiceRolePolicy on session/*",
        ),
        # No UNKNOWN_CONDITION_FOR_ACTION is accepted for ssmmessages:OpenDataChannel: the SAR
        # lists no condition key for it, so a session-tag condition would never match and role
        # users could not open data channels (people_policies.DataChannelsOfOwnRoleSessions).
    ],
    "key": [
        ("RESOURCE_STAR", "", "in a key policy, Resource '*' means this key and nothing else"),
        (
            "UNKNOWN_CONDITION_FOR_ACTION",
            "kms:EncryptionContext:aws:logs:arn",
            "AWS's documented CloudWatch Logs key statement grants kms:Describe* under the "
            "kms:EncryptionContext:aws:logs:arn condition",
        ),
        (
            "MISMATCHED_TYPE",
            "ArnEquals",
            "parliament types kms:EncryptionContext:* as String; AWS documents ArnEquals "
            "for aws:logs:arn",
        ),
    ],
    "resource": [],
    "trust": [("MALFORMED", "neither Resource", "a trust policy has no Resource element")],
}


Statement = dict[str, Any]


def _listed(statement: Statement, key: str) -> list[str]:
    value = statement.get(key)
    return [str(v) for v in cast(list[Any], value)] if isinstance(value, list) else [str(value)]


def _resources_match(pattern: str) -> Callable[[Statement], bool]:
    """Every Resource of the statement matches `pattern`."""
    compiled = re.compile(pattern)
    return lambda statement: all(compiled.fullmatch(r) for r in _listed(statement, "Resource"))


def _document_type_is(*types: str) -> Callable[[Statement], bool]:
    """The statement's condition is StringEquals ssm:DocumentType, limited to `types`."""

    def check(statement: Statement) -> bool:
        condition = cast(dict[str, Any], statement.get("Condition") or {})
        equals = cast(dict[str, Any], condition.get("StringEquals") or {})
        wanted = equals.get("ssm:DocumentType")
        found = cast(list[Any], wanted) if isinstance(wanted, list) else [wanted]
        return bool(found) and {str(t) for t in found} <= set(types)

    return check


_ACCOUNT_ARN = r"arn:aws[a-z-]*:ssm:[^:]*:\d{12}"
_ANY_RESOURCE = _resources_match(r"\*")
_APPROVAL_POLICY_DOCUMENTS = _resources_match(_ACCOUNT_ARN + r":document/\*")
_OWN_NODES = _resources_match(
    r"arn:aws[a-z-]*:(?:ec2:[^:]*:\d{12}:instance|ssm:[^:]*:\d{12}:managed-instance)/\*"
)

# Findings for just-in-time node access that parliament's database can't judge, each
# accepted only for the one action, resource pattern and condition AWS's "Setting up
# just-in-time access with Systems Manager" example policies (requester and approver) use
# it with: (issue, the finding's whole text, statement check, reason). Anywhere else the
# same finding fails the lint (tests/test_policy_lint_scope.py).
SCOPED_FINDINGS: list[tuple[str, str, Callable[[Statement], bool], str]] = [
    (
        "UNKNOWN_ACTION",
        "Unknown action ssm:GetAccessToken",
        _ANY_RESOURCE,
        "a just-in-time node access action parliament's database predates; the Service "
        "Authorization Reference gives it no resource type, so Resource '*'",
    ),
    (
        "UNKNOWN_ACTION",
        "Unknown action ssm:StartAccessRequest",
        _OWN_NODES,
        "a just-in-time node access action parliament's database predates; the Service "
        "Authorization Reference gives it the node's resource types, instance and "
        "managed-instance (iann0036/iam-dataset aws/iam_definition.json), so the account's "
        "node ARNs",
    ),
    (
        "RESOURCE_MISMATCH",
        "[{'action': 'ssm:StartAutomationExecution', "
        "'required_format': 'arn:*:ssm:*:*:automation-definition/*:*'}]",
        lambda s: (
            (_APPROVAL_POLICY_DOCUMENTS(s) and _document_type_is("ManualApprovalPolicy")(s))
            or _resources_match(_ACCOUNT_ARN + r":automation-execution/\*")(s)
        ),
        "parliament knows only automation-definition for StartAutomationExecution; AWS's "
        "requester policy grants it on ManualApprovalPolicy documents (ssm:DocumentType) "
        "and on the automation executions a request starts",
    ),
    *(
        (
            "UNKNOWN_CONDITION_FOR_ACTION",
            f"Unknown condition ssm:DocumentType for action {action}",
            lambda s: (
                _APPROVAL_POLICY_DOCUMENTS(s)
                and _document_type_is("AutoApprovalPolicy", "ManualApprovalPolicy")(s)
            ),
            "parliament's database lacks ssm:DocumentType, which AWS's just-in-time policies "
            "use to scope document reads and approvals to the approval policy types",
        )
        for action in ("ssm:StartAutomationExecution", "ssm:DescribeDocument", "ssm:GetDocument")
    ),
]


def _analyze(policy: dict[str, Any]) -> list[Any]:
    findings = analyze_policy_string(json.dumps(policy), ignore_private_auditors=True).findings
    return cast(list[Any], findings)


def _accepted(issue: str, text: str, kind: str) -> bool:
    return any(
        issue == accepted
        # An action name must match whole: ssm:StartAccessRequests is another action.
        and (text.endswith(fragment) if accepted == "UNKNOWN_ACTION" else fragment in text)
        for accepted, fragment, _ in ACCEPTED_FINDINGS[kind]
    )


def _scoped(issue: str, detail: str) -> list[Callable[[Statement], bool]]:
    return [check for i, whole, check, _ in SCOPED_FINDINGS if i == issue and detail == whole]


def lint(policy: dict[str, Any], kind: str = "identity") -> list[str]:
    """Parliament findings that are not accepted for this kind of policy.

    A finding of SCOPED_FINDINGS is judged statement by statement (each linted alone):
    accepted only where that statement has the action, resources and condition it is
    accepted for."""
    unaccepted: list[str] = []
    scoped_kind = kind == "identity"
    for finding in _analyze(policy):
        text = f"{finding.issue}: {finding.detail}"
        if _accepted(finding.issue, text, kind):
            continue
        if scoped_kind and _scoped(finding.issue, str(finding.detail)):
            continue  # judged per statement below
        unaccepted.append(text)
    statements: Any = policy.get("Statement", [])
    for statement in cast(
        list[Statement], statements if isinstance(statements, list) else [statements]
    ):
        if not scoped_kind:
            break
        alone = {"Version": policy.get("Version", "2012-10-17"), "Statement": [statement]}
        for finding in _analyze(alone):
            checks = _scoped(finding.issue, str(finding.detail))
            if checks and not any(check(statement) for check in checks):
                unaccepted.append(
                    f"{finding.issue}: {finding.detail} (statement {statement.get('Sid')!r}: "
                    "accepted only for the resources and condition AWS's policies use)"
                )
    return unaccepted


def sar_resource_types(action: str) -> list[str]:
    """Resource types the Service Authorization Reference lists for an action.

    parliament's iam_definition.json is generated from the SAR; it is the independent
    reference here.
    """
    prefix, name = action.split(":", 1)
    types: set[str] = set()
    for service in iam_definition:
        if service["prefix"] != prefix:
            continue
        for privilege in service["privileges"]:
            if privilege["privilege"] == name:
                types |= {r["resource_type"] for r in privilege["resource_types"]}
    return sorted(t for t in types if t)


def scoping_problems(policy: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for entry in policy["Statement"]:
        actions = entry["Action"] if isinstance(entry["Action"], list) else [entry["Action"]]
        resources = (
            entry["Resource"] if isinstance(entry["Resource"], list) else [entry["Resource"]]
        )
        for action in actions:
            if "*" in resources and sar_resource_types(action):
                problems.append(
                    f"{entry.get('Sid')}: {action} supports {sar_resource_types(action)}"
                )
    return problems


def sar_condition_keys(action: str) -> list[str]:
    """Condition keys the SAR lists for an action (parliament's copy of it)."""
    prefix, name = action.split(":", 1)
    keys: set[str] = set()
    for service in iam_definition:
        if service["prefix"] != prefix:
            continue
        for privilege in service["privileges"]:
            if privilege["privilege"] == name:
                for resource in privilege["resource_types"]:
                    keys |= set(resource["condition_keys"])
    return sorted(keys)
