"""Lint policies with parliament; shared by the policy and component tests."""

from __future__ import annotations

import json
import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports the deprecated pkg_resources
    from parliament import analyze_policy_string

# Findings accepted for a kind of policy, each with the reason. Anything else fails.
ACCEPTED_FINDINGS: dict[str, dict[str, str]] = {
    "identity": {},
    "key": {
        "RESOURCE_STAR": "in a key policy, Resource '*' means this key and nothing else",
        "UNKNOWN_CONDITION_FOR_ACTION": (
            "AWS's documented CloudWatch Logs key statement grants kms:Describe* under the "
            "kms:EncryptionContext:aws:logs:arn condition"
        ),
        "MISMATCHED_TYPE": (
            "parliament types kms:EncryptionContext:* as String; AWS documents ArnEquals "
            "for aws:logs:arn"
        ),
    },
    "trust": {"MALFORMED": "a trust policy has no Resource element"},
}


def lint(policy: dict[str, Any], kind: str = "identity") -> list[str]:
    """Parliament findings that are not accepted for this kind of policy."""
    analysis = analyze_policy_string(json.dumps(policy), ignore_private_auditors=True)
    accepted = ACCEPTED_FINDINGS[kind]
    return [
        f"{finding.issue}: {finding.detail}"
        for finding in analysis.findings
        if finding.issue not in accepted
    ]
