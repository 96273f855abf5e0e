"""The people's access policies, with just-in-time node access's requesters and approvers.

Reference for the grants: AWS "Setting up just-in-time access with Systems Manager"
(tests/aws/test_jit_iam.py checks the policies against it). Here: the stack key
`accessPolicies.justInTimeRequesters` / `justInTimeApprovers` creates them, named,
attached, in each target account with its own account id, and only when asked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from session_manager import SessionManagerAccessPolicies
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, record_program, run_plan

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"


def run(args: dict[str, Any]) -> Plan:
    return record_program(
        lambda: SessionManagerAccessPolicies("people", {"account_id": ACCOUNT, **args}),  # type: ignore[typeddict-item]
        mocks=AwsMocks(account_id=ACCOUNT),
    )


def test_component_creates_the_requester_and_approver_policies_when_named() -> None:
    plan = run(
        {
            "just_in_time_requesters_policy_name": "JitRequesters",
            "just_in_time_requesters_attachments": {"group_names": ["engineers"]},
            "just_in_time_approvers_policy_name": "JitApprovers",
            "just_in_time_approvers_attachments": {"role_names": ["Leads"]},
        }
    )
    names = {r.inputs["name"] for r in plan.of_type("aws:iam/policy:Policy")}
    assert names == {"JitRequesters", "JitApprovers"}
    requesters = json.loads(plan.named("people-just-in-time-requesters").inputs["policy"])
    assert "ssm:StartAccessRequest" in json.dumps(requesters)
    assert f":{ACCOUNT}:" in json.dumps(requesters)
    approvers = json.loads(plan.named("people-just-in-time-approvers").inputs["policy"])
    assert "ssm:SendAutomationSignal" in json.dumps(approvers)
    assert plan.named("people-just-in-time-requesters-group-engineers").inputs["group"] == (
        "engineers"
    )
    assert plan.named("people-just-in-time-approvers-role-Leads").inputs["role"] == "Leads"


def test_component_without_the_names_creates_neither() -> None:
    plan = run({"session_users_policy_name": "Users", "document_names": ["X-Doc"]})
    assert {r.inputs["name"] for r in plan.of_type("aws:iam/policy:Policy")} == {"Users"}


def test_attachments_without_a_policy_name_are_refused() -> None:
    with pytest.raises(Exception, match="just_in_time_approvers_attachments is set"):
        run({"just_in_time_approvers_attachments": {"role_names": ["Leads"]}})


def test_one_name_for_two_policies_is_refused() -> None:
    with pytest.raises(ConfigError, match="justInTimeApprovers"):
        parse_stack_config(
            {
                "accessPolicies": {
                    "sessionUsers": {"name": "People"},
                    "justInTimeApprovers": {"create": True, "name": "People"},
                }
            },
            "us-east-1",
        )


def test_an_organization_stack_gives_each_account_its_own(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": "us-east-1",
        "session-manager:targets": [{"account": "111111111111"}, {"account": "222222222222"}],
        "session-manager:accessPolicies": {
            "sessionUsers": {"create": False},
            "justInTimeRequesters": {"create": True, "attachToGroups": ["engineers"]},
            "justInTimeApprovers": {"create": True, "attachToRoles": ["PlatformLeads"]},
        },
    }
    (tmp_path / "Pulumi.org.yaml").write_text(yaml.safe_dump({"config": config}))
    plan = run_plan(tmp_path, "org")
    for account in ("111111111111", "222222222222"):
        prefix = f"session-manager-{account}-access-policies"
        requesters = plan.named(f"{prefix}-just-in-time-requesters")
        assert requesters.inputs["name"] == "SessionManagerJustInTimeRequesters"
        assert f"arn:aws:ssm:*:{account}:opsitem/*" in requesters.inputs["policy"]
        approvers = plan.named(f"{prefix}-just-in-time-approvers")
        assert f"arn:aws:ssm:*:{account}:automation-execution/*" in approvers.inputs["policy"]
        assert plan.named(f"{prefix}-just-in-time-approvers-role-PlatformLeads")
