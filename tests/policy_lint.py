"""Lint policies with parliament; shared by the policy and component tests."""

from __future__ import annotations

import json
import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import (  # pyright: ignore[reportUnknownVariableType]
        analyze_policy_string,
        iam_definition,
    )

# Actions AWS documents for just-in-time node access that parliament's bundled IAM database
# (generated from an older Service Authorization Reference) does not know. Only these are
# accepted as UNKNOWN_ACTION; tests/aws/test_jit_iam.py fails once parliament learns one,
# so the list shrinks as parliament catches up.
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
        *(
            (
                "UNKNOWN_ACTION",
                f"Unknown action {action}",
                "a just-in-time node access action parliament's database predates (AWS "
                "'Setting up just-in-time access with Systems Manager' example policies)",
            )
            for action in MISSING_FROM_PARLIAMENT
        ),
        (
            "UNKNOWN_CONDITION_FOR_ACTION",
            "Unknown condition ssm:DocumentType for action",
            "parliament's database lacks ssm:DocumentType, which AWS's just-in-time node access "
            "policies use to scope document reads and approvals to the approval policy types",
        ),
        (
            "RESOURCE_MISMATCH",
            "'action': 'ssm:StartAutomationExecution'",
            "parliament knows only automation-definition for StartAutomationExecution; AWS's "
            "just-in-time requester policy grants it on ManualApprovalPolicy documents and on "
            "the automation executions a request starts",
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


def lint(policy: dict[str, Any], kind: str = "identity") -> list[str]:
    """Parliament findings that are not accepted for this kind of policy."""
    analysis = analyze_policy_string(json.dumps(policy), ignore_private_auditors=True)
    unaccepted: list[str] = []
    for finding in analysis.findings:
        text = f"{finding.issue}: {finding.detail}"
        if not any(
            finding.issue == issue
            # An action name must match whole: ssm:StartAccessRequests is another action.
            and (text.endswith(fragment) if issue == "UNKNOWN_ACTION" else fragment in text)
            for issue, fragment, _ in ACCEPTED_FINDINGS[kind]
        ):
            unaccepted.append(text)
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
