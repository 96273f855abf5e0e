"""IAM for just-in-time node access's requesters and approvers.

Reference: AWS Systems Manager User Guide, "Setting up just-in-time access with Systems
Manager" (https://docs.aws.amazon.com/systems-manager/latest/userguide/
systems-manager-just-in-time-node-access-setting-up.html): its operator (requester) and
approver example policies. And "Start a just-in-time node access session": users must not
hold ssm:StartSession, or they keep connecting through plain Session Manager.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from policy_lint import MISSING_FROM_PARLIAMENT, lint, sar_resource_types, scoping_problems
from session_manager.aws.jit_iam import approver_policy, requester_policy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from parliament import (  # pyright: ignore[reportUnknownVariableType]
        analyze_policy_string,
        iam_definition,
    )

ACCOUNT = "111122223333"


def actions(policy: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Action -> the statements that grant it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in policy["Statement"]:
        listed = entry["Action"] if isinstance(entry["Action"], list) else [entry["Action"]]
        for action in listed:
            found.setdefault(action, []).append(entry)
    return found


def test_requesters_can_request_and_get_the_token_but_not_start_plain_sessions() -> None:
    granted = actions(requester_policy("aws", ACCOUNT))
    # AWS's operator example: AllowJITNAOperations.
    assert {"ssm:StartAccessRequest", "ssm:GetAccessToken"} <= set(granted)
    # The token's credentials start the session; ssm:StartSession would bypass approval.
    assert "ssm:StartSession" not in granted
    # AWS's example: cancel a request = stop its automation, only JIT's own (its tag).
    (stop,) = granted["ssm:StopAutomationExecution"]
    assert stop["Condition"] == {
        "StringEquals": {"aws:ResourceTag/SystemsManagerJustInTimeNodeAccessManaged": "true"}
    }
    # Manual approvals start from ManualApprovalPolicy documents only.
    starts = granted["ssm:StartAutomationExecution"]
    on_documents = next(s for s in starts if ":document/" in s["Resource"])
    assert on_documents["Condition"] == {
        "StringEquals": {"ssm:DocumentType": "ManualApprovalPolicy"}
    }


def test_requesters_ask_for_their_accounts_nodes_only() -> None:
    """The Service Authorization Reference ("Actions, resources, and condition keys for AWS
    Systems Manager", https://docs.aws.amazon.com/service-authorization/latest/reference/
    list_awssystemsmanager.html; its machine-readable copy: iann0036/iam-dataset
    aws/iam_definition.json) gives ssm:StartAccessRequest the resource types `instance`
    (arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}) and
    `managed-instance` (arn:${Partition}:ssm:${Region}:${Account}:managed-instance/
    ${InstanceId}); ssm:GetAccessToken has none, so "*"."""
    granted = actions(requester_policy("aws-cn", ACCOUNT))
    (request,) = granted["ssm:StartAccessRequest"]
    assert request["Resource"] == [
        f"arn:aws-cn:ec2:*:{ACCOUNT}:instance/*",
        f"arn:aws-cn:ssm:*:{ACCOUNT}:managed-instance/*",
    ]
    (token,) = granted["ssm:GetAccessToken"]
    assert token["Resource"] == "*"


def test_requesters_resume_and_end_only_their_own_sessions() -> None:
    """AWS's "Moving to just-in-time node access from Session Manager"
    (https://docs.aws.amazon.com/systems-manager/latest/userguide/
    systems-manager-just-in-time-node-access-moving-from-session-manager.html), "Modified
    policy for just-in-time node access": ssm:StartAccessRequest, ssm:GetAccessToken,
    ssm:ResumeSession, ssm:TerminateSession. Scoped as AWS's "Additional sample IAM policies
    for Session Manager" restricts users to their own sessions: an IAM user's session ids
    (`session/<user name>-<suffix>`), a role session's tag `aws:ssmmessages:session-id`
    (its `${aws:userid}`); the Service Authorization Reference gives both actions the
    resource type `session` and that condition key."""
    granted = actions(requester_policy("aws-us-gov", ACCOUNT))
    sessions = f"arn:aws-us-gov:ssm:*:{ACCOUNT}:session/"
    for action in ("ssm:ResumeSession", "ssm:TerminateSession"):
        by_user, by_tag = granted[action]
        assert by_user["Resource"] == sessions + "${aws:username}-" + "?" * 17
        assert "Condition" not in by_user
        assert by_tag["Resource"] == sessions + "*"
        assert by_tag["Condition"] == {
            "StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}
        }
    # Not on AWS's list for requesters: no data channel, no plain session.
    assert "ssmmessages:OpenDataChannel" not in granted
    assert "ssm:StartSession" not in granted


def test_approvers_signal_only_just_in_time_automations_of_their_account() -> None:
    granted = actions(approver_policy("aws", ACCOUNT))
    # AWS's approver example: AllowApprovalRejectionSignal.
    (signal,) = granted["ssm:SendAutomationSignal"]
    assert signal["Resource"] == f"arn:aws:ssm:*:{ACCOUNT}:automation-execution/*"
    assert signal["Condition"] == {
        "StringEquals": {"aws:ResourceTag/SystemsManagerJustInTimeNodeAccessManaged": "true"}
    }
    assert "ssm:StartAccessRequest" not in granted
    assert "ssm:StartSession" not in granted
    (read,) = granted["ssm:GetDocument"]
    assert read["Condition"] == {
        "StringEquals": {"ssm:DocumentType": ["AutoApprovalPolicy", "ManualApprovalPolicy"]}
    }


@pytest.mark.parametrize("build", [requester_policy, approver_policy])
def test_arns_follow_the_partition(build: Any) -> None:
    text = json.dumps(build("aws-cn", ACCOUNT))
    assert "arn:aws:" not in text
    assert f"arn:aws-cn:ssm:*:{ACCOUNT}:" in text


@pytest.mark.parametrize("build", [requester_policy, approver_policy])
def test_parliament_finds_nothing_unaccepted_and_scoping_is_least(build: Any) -> None:
    policy = build("aws", ACCOUNT)
    assert lint(policy) == []
    # Every action the SAR gives a resource type is scoped to it, never "*".
    assert scoping_problems(policy) == []


def test_the_allowance_lists_exactly_the_actions_parliament_lacks() -> None:
    """MISSING_FROM_PARLIAMENT shrinks when parliament catches up: each listed action is
    absent from parliament's database, and it is every action parliament calls unknown."""
    known = {
        f"{service['prefix']}:{p['privilege']}".lower()
        for service in iam_definition
        for p in service["privileges"]
    }
    for action in MISSING_FROM_PARLIAMENT:
        assert action.lower() not in known, f"parliament knows {action} now: drop it"
        assert sar_resource_types(action) == []
    unknown: set[str] = set()
    for build in (requester_policy, approver_policy):
        analysis = analyze_policy_string(json.dumps(build("aws", ACCOUNT)))
        unknown |= {
            str(f.detail).removeprefix("Unknown action ")
            for f in analysis.findings
            if f.issue == "UNKNOWN_ACTION"
        }
    assert unknown == set(MISSING_FROM_PARLIAMENT)


def test_the_lint_still_catches_an_unknown_action_outside_the_allowance() -> None:
    policy = requester_policy("aws", ACCOUNT)
    policy["Statement"].append(
        {"Effect": "Allow", "Action": "ssm:StartAccessRequests", "Resource": "*"}
    )
    assert any("ssm:StartAccessRequests" in f for f in lint(policy))
