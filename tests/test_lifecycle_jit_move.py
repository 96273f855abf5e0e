"""Day 2: an account with just-in-time access moves from its per-account stack into the
organization's stack (`movedFromAccountStack: true`).

Its approval policies must move with the rest: the engine matches the component by its
alias and the documents by their parent's alias (pulumi/pulumi
pkg/resource/deploy/step_generator.go, generateAliases, inheritedChildAlias), and
`pulumi state move` takes each named component with its children and copies the
providers they use (pkg/cmd/pulumi/state/state_move.go). Without the alias the
documents are creates: AWS refuses a document name that exists (CreateDocument,
DocumentAlreadyExists) and allows one auto-approval policy per account and Region
("Create an auto-approval policy", Systems Manager User Guide), and destroying the old
stack would delete the live policies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from session_manager.offline.diff import diff_plans
from session_manager.offline.diff_text import format_diff
from test_lifecycle import ACCOUNT_STACK, names, org_config, plan, state_move, steps

ACCOUNT = "333333333333"
JIT: dict[str, Any] = {
    "autoApproval": {
        "policy": (
            "permit (\n"
            '  principal in AWS::IdentityStore::Group::"oncall",\n'
            '  action == AWS::SSM::Action::"getTokenForInstanceAccess",\n'
            "  resource\n"
            ')\nwhen { resource.hasTag("Environment") && '
            'resource.getTag("Environment") == "dev" };\n'
        )
    },
    "manualApprovals": [
        {
            "name": "production",
            "accessDurationHours": 4,
            "targets": [{"key": "Environment", "value": "production"}],
            "levels": [{"approvers": [{"type": "IdentityStoreGroup", "id": "leads"}]}],
        }
    ],
}


def test_the_just_in_time_policies_move_with_the_account(tmp_path: Path) -> None:
    per_account = plan(
        tmp_path,
        {
            "aws:region": "us-east-1",
            "session-manager:regions": ["us-east-1"],
            "session-manager:instanceAccess": {"createRole": True},
            "session-manager:justInTimeAccess": JIT,
        },
        stack=ACCOUNT_STACK,
        account_id=ACCOUNT,
    )
    before = plan(tmp_path, org_config(justInTimeAccess=JIT)).to_json()
    moved_in = [{"account": "111111111111"}, {"account": ACCOUNT, "movedFromAccountStack": True}]
    head = plan(tmp_path, org_config(justInTimeAccess=JIT, targets=moved_in))
    component = f"session-manager-{ACCOUNT}-us-east-1-just-in-time-access"
    documents = {
        f"{component}-auto-approval",
        f"{component}-manual-production",
    }
    assert documents <= names(head, ACCOUNT)

    # Before the move: the command names the component by its old URN in the source.
    diff = diff_plans(before, head.to_json())
    old = (
        "urn:pulumi:SOURCE_STACK::session-manager::session-manager:index:"
        "SessionManagerJustInTimeAccess::session-manager-us-east-1-just-in-time-access"
    )
    assert old in format_diff(diff)

    # After it: the component and its documents are "same", nothing of them is created.
    found = steps(state_move(per_account, before), head)
    assert {component, *documents} <= found["same"]
    assert not ({component, *documents} & found.get("add", set()))
    assert not [n for n in found.get("remove", set()) if "just-in-time-access" in n]


def test_the_policies_move_from_a_stack_with_a_profile_and_an_account_pin(
    tmp_path: Path,
) -> None:
    """A per-account stack's aws-native providers carry its `aws:profile` and
    `aws:allowedAccountIds` (jit_wiring.stack_credentials): the move still leaves the
    documents "same" and in the same account (diff_accounts.account_moves)."""
    per_account = plan(
        tmp_path,
        {
            "aws:region": "us-east-1",
            "aws:profile": "account-333",
            "aws:allowedAccountIds": [ACCOUNT],
            "session-manager:regions": ["us-east-1"],
            "session-manager:instanceAccess": {"createRole": True},
            "session-manager:justInTimeAccess": JIT,
        },
        stack=ACCOUNT_STACK,
        account_id=ACCOUNT,
    )
    native = [r for r in per_account.resources if r.type == "pulumi:providers:aws-native"]
    assert [r.inputs.get("profile") for r in native] == ["account-333"]
    before = plan(tmp_path, org_config(justInTimeAccess=JIT)).to_json()
    moved_in = [{"account": "111111111111"}, {"account": ACCOUNT, "movedFromAccountStack": True}]
    head = plan(tmp_path, org_config(justInTimeAccess=JIT, targets=moved_in))
    component = f"session-manager-{ACCOUNT}-us-east-1-just-in-time-access"
    documents = {f"{component}-auto-approval", f"{component}-manual-production"}
    moved = state_move(per_account, before)
    found = steps(moved, head)
    assert {component, *documents} <= found["same"]
    assert not ({component, *documents} & found.get("add", set()))
    moves = diff_plans(moved, head.to_json()).account_moves
    assert not [urn for urn, _, _ in moves if "just-in-time-access" in urn]
