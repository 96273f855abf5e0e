"""`plan --diff` warns when a manual approval policy is renamed in one update.

The new name is a new resource: the engine creates it during the update and deletes the
old one at the end (pulumi/pulumi pkg/resource/deploy/step_generator.go: resources the
program no longer registers are deleted after the rest), and in between AWS fails every
request to a node two manual policies apply to ("Create approval policies for your
nodes", https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-just-in-time-node-access-approval-policies.html).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from session_manager.offline.diff import diff_plans
from session_manager.offline.diff_text import format_diff
from test_lifecycle import plan


def _stack(name: str, value: str = "production", accounts: int = 0) -> dict[str, Any]:
    manual = {
        "name": name,
        "accessDurationHours": 4,
        "targets": [{"key": "Environment", "value": value}],
        "levels": [{"approvers": [{"type": "IdentityStoreGroup", "id": "leads"}]}],
    }
    stack: dict[str, Any] = {
        "aws:region": "us-east-1",
        "session-manager:regions": ["us-east-1"],
        "session-manager:justInTimeAccess": {"manualApprovals": [manual]},
    }
    if accounts:
        stack["session-manager:targets"] = [
            {"account": f"{i}" * 12} for i in range(1, accounts + 1)
        ]
    return stack


def _diff(tmp_path: Path, base: dict[str, Any], head: dict[str, Any]) -> tuple[list[str], str]:
    before = plan(tmp_path, base, stack="dev").to_json()
    after = plan(tmp_path, head, stack="dev").to_json()
    found = diff_plans(before, after)
    return found.warnings, format_diff(found)


def test_a_manual_policy_renamed_in_one_update_is_warned_about(tmp_path: Path) -> None:
    warnings, text = _diff(tmp_path, _stack("production"), _stack("prod-access"))
    rename = [w for w in warnings if "is renamed to 'prod-access' in one update" in w]
    assert len(rename) == 1
    assert "AWS fails every access request" in rename[0]
    assert "is renamed to 'prod-access'" in text


def test_a_rename_in_several_accounts_is_one_warning_naming_each(tmp_path: Path) -> None:
    warnings, _ = _diff(
        tmp_path, _stack("production", accounts=2), _stack("prod-access", accounts=2)
    )
    rename = [w for w in warnings if "renamed" in w]
    assert len(rename) == 1, rename
    assert "(in 111111111111-us-east-1, 222222222222-us-east-1)" in rename[0]


def test_a_retargeted_policy_or_a_rename_to_other_nodes_is_not(tmp_path: Path) -> None:
    # The same name: an update of the same document, no second policy.
    warnings, _ = _diff(tmp_path, _stack("production"), _stack("production", "prod"))
    assert not [w for w in warnings if "renamed" in w]
    # A new name whose targets no node shares with the old one's: no window.
    warnings, _ = _diff(tmp_path, _stack("production"), _stack("staging", "staging"))
    assert not [w for w in warnings if "renamed" in w]
