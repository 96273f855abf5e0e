"""The value rules of the just-in-time access component's args (args_rules.py merges them).

The limits are AWS's ("Create manual approval policies for just-in-time node access");
the approver types are those AWS's sample documents name (aws/jit.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from session_manager.aws.jit import (
    APPROVER_DOCUMENT_TYPES,
    MANUAL_POLICIES_PER_ACCOUNT_REGION,
    MAX_APPROVAL_LEVELS,
    MAX_APPROVERS_PER_LEVEL,
)


def _count_rule(low: int, high: int | None, what: str) -> Callable[[Any], str | None]:
    def rule(value: Any) -> str | None:
        count = len(value)
        if low <= count and (high is None or count <= high):
            return None
        return f"needs {low}-{high} {what}, got {count}" if high else f"needs a {what[:-1]}"

    return rule


def _choice_rule(allowed: tuple[str, ...]) -> Callable[[Any], str | None]:
    def rule(value: Any) -> str | None:
        return None if value in allowed else f"{value!r}: use one of {', '.join(allowed)}"

    return rule


JIT_VALUE_RULES: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("SessionManagerJustInTimeAccessArgs", "manual_approvals"): _count_rule(
        1, MANUAL_POLICIES_PER_ACCOUNT_REGION, "manual approval policies"
    ),
    # A policy for every node has no documented content (aws/jit.py undeployable_reason).
    ("ManualApprovalPolicyArgs", "targets"): _count_rule(1, None, "tag targets"),
    ("ManualApprovalPolicyArgs", "levels"): _count_rule(1, MAX_APPROVAL_LEVELS, "levels"),
    ("JustInTimeApprovalLevelArgs", "approvers"): _count_rule(
        1, MAX_APPROVERS_PER_LEVEL, "approvers"
    ),
    ("JustInTimeApproverArgs", "type"): _choice_rule(tuple(APPROVER_DOCUMENT_TYPES)),
}

JIT_ARGS_WITHOUT_RULES: dict[tuple[str, str], str] = {
    ("ManualApprovalPolicyArgs", "description"): (
        "free text inside the document; its size counts in the document's 64 KB"
    ),
    ("JustInTimeApproverArgs", "id"): (
        "an IAM Identity Center group id or an IAM user name: only AWS knows which exist"
    ),
    ("JustInTimeTagTargetArgs", "key"): (
        "any node tag key: a policy for a tag no node has applies to no node"
    ),
    ("JustInTimeTagTargetArgs", "value"): "as key",
}
