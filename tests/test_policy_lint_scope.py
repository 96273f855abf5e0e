"""The parliament allowances for just-in-time access hold only where AWS's policies use them.

parliament's database predates ssm:StartAccessRequest, ssm:GetAccessToken and the
ssm:DocumentType condition key, and knows only automation-definition for
ssm:StartAutomationExecution. AWS's "Setting up just-in-time access with Systems Manager"
(docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-just-in-time-node-access-setting-up.html)
uses them in exactly these ways: the two actions on "*" (StartAccessRequest here narrowed to
the node resource types the Service Authorization Reference gives it), StartAutomationExecution on
ManualApprovalPolicy documents and on automation executions, ssm:DocumentType on
document reads and StartAutomationExecution. The same findings anywhere else must fail.
"""

from __future__ import annotations

from typing import Any

import pytest
from policy_lint import lint
from session_manager.aws.jit_iam import approver_policy, requester_policy

ACCOUNT = "111111111111"
DOCUMENTS = f"arn:aws:ssm:*:{ACCOUNT}:document/*"
MANUAL_ONLY = {"StringEquals": {"ssm:DocumentType": "ManualApprovalPolicy"}}


def one(action: str, resource: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": "Probe", "Effect": "Allow", "Action": action}
    statement["Resource"] = resource
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize("build", [requester_policy, approver_policy])
def test_aws_shaped_policies_still_pass(build: Any) -> None:
    assert lint(build("aws", ACCOUNT)) == []
    assert lint(build("aws-us-gov", ACCOUNT)) == []


@pytest.mark.parametrize(
    "policy",
    [
        # StartAutomationExecution outside documents and automation executions.
        one("ssm:StartAutomationExecution", "arn:aws:s3:::bucket/*"),
        # On documents, but not only the ManualApprovalPolicy ones.
        one("ssm:StartAutomationExecution", DOCUMENTS),
        # ssm:DocumentType on an action AWS's policies don't use it with.
        one("ssm:StartSession", DOCUMENTS, MANUAL_ONLY),
        # ssm:DocumentType on document reads, for documents that aren't approval policies.
        one("ssm:GetDocument", DOCUMENTS, {"StringEquals": {"ssm:DocumentType": "Command"}}),
        # The unknown actions on anything but the resources the SAR gives them.
        one("ssm:StartAccessRequest", DOCUMENTS),
        one("ssm:StartAccessRequest", "*"),
        one("ssm:GetAccessToken", f"arn:aws:ec2:*:{ACCOUNT}:instance/*"),
    ],
    ids=[
        "start-automation-on-s3",
        "start-automation-any-document",
        "document-type-on-start-session",
        "document-type-command",
        "access-request-on-documents",
        "access-request-on-anything",
        "access-token-on-instances",
    ],
)
def test_the_allowances_do_not_reach_other_policies(policy: dict[str, Any]) -> None:
    assert lint(policy) != []
