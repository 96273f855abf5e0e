"""Per-target approval policies and policies kept in files.

AWS ("Create approval policies for your nodes", systems-manager-just-in-time-node-access-
approval-policies.html): "Auto-approval and manual approval policies apply only to the
AWS accounts and AWS Regions where they're created. Each member account in your
organization manages their own approval policies", so one stack's accounts may need
different ones; a node two manual policies apply to makes every request to it fail, and
only the policies of the node's own account-Region can apply to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from session_manager.config.errors import ConfigError
from session_manager.config.jit import policy_files_from
from session_manager.config.limits import limit_warnings
from session_manager.config.loading import parse_stack_config
from session_manager.config.stack import StackConfig
from session_manager.config.targets import resolve_targets

ACTION = 'action == AWS::SSM::Action::"getTokenForInstanceAccess"'
DEVS = f'permit (principal in AWS::IdentityStore::Group::"devs", {ACTION}, resource);'
OPS = f'permit (principal in AWS::IdentityStore::Group::"ops", {ACTION}, resource);'
LEVEL = {"approvers": [{"type": "IdentityStoreGroup", "id": "g-approvers"}]}


def manual(name: str, key: str, value: str) -> dict[str, Any]:
    return {
        "name": name,
        "accessDurationHours": 1,
        "targets": [{"key": key, "value": value}],
        "levels": [LEVEL],
    }


def stack(**values: Any) -> StackConfig:
    return parse_stack_config({"regions": ["us-east-1", "eu-west-1"], **values})


def error(**values: Any) -> str:
    try:
        stack(**values)
    except ConfigError as exc:
        return str(exc)
    return ""


ORG = {
    "justInTimeAccess": {
        "autoApproval": {"policy": DEVS},
        "manualApprovals": [manual("stack-prod", "Environment", "production")],
    },
    "targets": [
        {"account": "111111111111", "justInTimeAccess": {"autoApproval": {"policy": OPS}}},
        {
            "organizationalUnit": "ou-ab12-cdef3456",
            "regions": ["eu-west-1"],
            "justInTimeAccess": {"manualApprovals": [manual("ou-prod", "Tier", "web")]},
        },
        {"account": "333333333333"},
    ],
}


def test_each_account_region_gets_its_targets_policies_else_the_stacks() -> None:
    """Precedence: the target's own keys, else the stack's; a key a target leaves out
    is the stack's (the OU keeps the stack's auto-approval, the account the stack's
    manual policies)."""
    config = stack(**ORG)
    resolved = resolve_targets(
        config, "aws", lambda ou: {"444444444444": "ACTIVE"} if ou else {}, lambda: {}
    )
    got = {
        (a.account_id, region): (
            jit.auto_approval.policy if jit and jit.auto_approval else None,
            [m.name for m in jit.manual_approvals] if jit else None,
        )
        for a in resolved.accounts
        for region, jit in a.just_in_time.items()
    }
    assert got == {
        ("111111111111", "eu-west-1"): (OPS, ["stack-prod"]),
        ("111111111111", "us-east-1"): (OPS, ["stack-prod"]),
        ("333333333333", "eu-west-1"): (DEVS, ["stack-prod"]),
        ("333333333333", "us-east-1"): (DEVS, ["stack-prod"]),
        ("444444444444", "eu-west-1"): (DEVS, ["ou-prod"]),
    }


def test_jit_at_names_the_policies_of_an_account_region() -> None:
    config = stack(**ORG)

    def auto(account: str = "", region: str = "", ou: str = "") -> str | None:
        jit = config.jit_at(account, region, ou)
        return jit.auto_approval.policy if jit and jit.auto_approval else None

    assert auto("111111111111", "us-east-1") == OPS
    assert auto("333333333333") == DEVS
    assert auto() == DEVS
    jit = config.jit_at("444444444444", "eu-west-1", "ou-ab12-cdef3456")
    assert jit is not None
    assert [m.name for m in jit.manual_approvals] == ["ou-prod"]
    # Which OU holds an account is Organizations' to say, not the offline check's.
    with pytest.raises(ValueError, match="name the node's organizationalUnit too"):
        config.jit_at("444444444444")
    with pytest.raises(ValueError, match="no target names organizationalUnit ou-ab12-cdef3456 in"):
        config.jit_at("444444444444", "us-east-1", "ou-ab12-cdef3456")


def test_a_targets_policies_are_checked_like_the_stacks_naming_the_target() -> None:
    open_production = f"permit (principal, {ACTION}, resource);"
    got = error(
        targets=[
            {
                "account": "111111111111",
                "justInTimeAccess": {
                    "autoApproval": {"policy": open_production},
                    "manualApprovals": [
                        manual("same-name", "A", "1"),
                        manual("same-name", "B", "2"),
                    ],
                },
            }
        ]
    )
    assert (
        "session-manager:targets[0].justInTimeAccess.autoApproval.policy: auto-approves every "
        "principal (no group, no attribute) to AWS::EC2::Instance nodes tagged "
        "Environment=production"
    ) in got
    assert (
        "targets[0].justInTimeAccess.manualApprovals[1].name: 'same-name' names another "
        "manual policy too"
    ) in got
    cedar = error(
        targets=[
            {
                "account": "111111111111",
                "justInTimeAccess": {"autoApproval": {"policy": DEVS.replace("permit", "forbid")}},
            }
        ]
    )
    assert "targets[0].justInTimeAccess.autoApproval.policy" in cedar
    assert "is a `forbid` statement" in cedar


def test_overlapping_manual_policies_are_flagged_within_one_account_region_only() -> None:
    """A target's own policies that overlap are flagged, naming the target; the stack's
    and a target's never apply to the same node (different account-Regions)."""
    config = stack(
        justInTimeAccess={"manualApprovals": [manual("stack-web", "Tier", "web")]},
        targets=[
            {
                "account": "111111111111",
                "justInTimeAccess": {
                    "manualApprovals": [
                        manual("acct-web", "Tier", "web"),
                        manual("acct-prod", "Environment", "production"),
                    ]
                },
            },
            {"account": "222222222222"},
        ],
    )
    warnings = [w for w in limit_warnings(config) if "both apply" in w]
    assert warnings == [
        "session-manager:targets[0].justInTimeAccess.manualApprovals: 'acct-web' and "
        "'acct-prod' both apply to a node tagged Tier=web and Environment=production; AWS "
        "fails every access request to such a node"
    ]


def test_a_target_may_remove_the_stacks_auto_approval() -> None:
    config = stack(
        justInTimeAccess={"autoApproval": {"policy": DEVS}},
        targets=[{"account": "111111111111", "justInTimeAccess": {"autoApproval": None}}],
    )
    jit = config.jit_at("111111111111")
    assert jit is not None
    assert jit.auto_approval is None


# --- policyFile ---------------------------------------------------------------------


def from_files(tmp_path: Path, **values: Any) -> str:
    with policy_files_from(tmp_path):
        return error(**values)


def test_a_policy_file_is_read_relative_to_the_stack_file(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "auto.cedar").write_text(DEVS, encoding="utf-8")
    with policy_files_from(tmp_path):
        config = stack(justInTimeAccess={"autoApproval": {"policyFile": "policies/auto.cedar"}})
    assert config.just_in_time_access is not None
    assert config.just_in_time_access.auto_approval is not None
    assert config.just_in_time_access.auto_approval.policy == DEVS


def test_policy_file_errors_carry_the_files_own_lines(tmp_path: Path) -> None:
    """Leading blank lines and comments stay: the line Cedar's error names is the file's."""
    text = f'\n\n// devs\n{DEVS}\n\npermit (principal in AWS::Nope::G::"x", {ACTION}, resource);\n'
    (tmp_path / "auto.cedar").write_text(text, encoding="utf-8")
    got = from_files(tmp_path, justInTimeAccess={"autoApproval": {"policyFile": "auto.cedar"}})
    assert "line 6 of autoApproval.policyFile 'auto.cedar': unrecognized entity type" in got


def test_policy_file_problems_are_named(tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "latin1.cedar").write_bytes(b"// caf\xe9\n" + DEVS.encode())
    (tmp_path / "deny.cedar").write_text(DEVS.replace("permit", "forbid"), encoding="utf-8")

    def auto(value: dict[str, Any]) -> str:
        return from_files(tmp_path, justInTimeAccess={"autoApproval": value})

    assert "'missing.cedar': no such file (relative to the stack file's directory" in auto(
        {"policyFile": "missing.cedar"}
    )
    assert "'adir' is a directory" in auto({"policyFile": "adir"})
    assert "'latin1.cedar' is not UTF-8 text (line 1)" in auto({"policyFile": "latin1.cedar"})
    assert "set policy or policyFile, not both" in auto(
        {"policyFile": "deny.cedar", "policy": DEVS}
    )
    assert "set policy (Cedar text) or policyFile" in auto({})
    deny = from_files(
        tmp_path,
        justInTimeAccess={
            "denyAccess": {
                "account": "999999999999",
                "region": "us-east-1",
                "policyFile": "deny.cedar",
            }
        },
    )
    assert deny == ""


def test_a_manual_policy_may_not_take_a_managed_documents_name() -> None:
    """Each manual policy is a document named after it: it can't share the preferences
    document's name, or the auto-approval policy's, in any account-Region."""
    got = error(
        justInTimeAccess={
            "autoApproval": {"policy": DEVS},
            "manualApprovals": [manual("session-manager-auto-approval", "A", "1")],
        }
    )
    assert (
        "justInTimeAccess.manualApprovals[0].name: 'session-manager-auto-approval' names the "
        "auto-approval policy's document too"
    ) in got
    got = error(
        targets=[
            {
                "account": "111111111111",
                "justInTimeAccess": {
                    "manualApprovals": [manual("SSM-SessionManagerRunShell", "A", "1")]
                },
            }
        ],
    )
    assert (
        "targets[0].justInTimeAccess.manualApprovals[0].name: 'SSM-SessionManagerRunShell' "
        "is the name of the Session preferences document (documentName)"
    ) in got


def test_a_name_clash_is_reported_at_the_key_that_holds_it() -> None:
    """A target that sets only `autoApproval` keeps the stack's manual policies: a clash
    of one of them is the stack's key's, reported once there, not at the target's path,
    which holds no `manualApprovals`."""
    got = error(
        justInTimeAccess={"manualApprovals": [manual("SSM-SessionManagerRunShell", "A", "1")]},
        targets=[
            {
                "account": "111111111111",
                "justInTimeAccess": {"autoApproval": {"policy": DEVS}},
            }
        ],
    )
    assert "session-manager:justInTimeAccess.manualApprovals[0].name" in got
    assert "targets[0].justInTimeAccess.manualApprovals" not in got


def test_a_policy_file_with_a_utf8_bom_is_read_without_it(tmp_path: Path) -> None:
    """Windows editors start UTF-8 files with a byte order mark, which Cedar's parser
    refuses as an unexpected token: it is dropped, the file's lines stay."""
    (tmp_path / "auto.cedar").write_bytes(b"\xef\xbb\xbf" + DEVS.encode())
    with policy_files_from(tmp_path):
        config = stack(justInTimeAccess={"autoApproval": {"policyFile": "auto.cedar"}})
    assert config.just_in_time_access is not None
    assert config.just_in_time_access.auto_approval is not None
    assert config.just_in_time_access.auto_approval.policy == DEVS


def test_a_policy_file_outside_the_stack_files_directory_is_refused(tmp_path: Path) -> None:
    """A stack file from a pull request must not make the plan read other files of the
    machine (the error would show what Cedar makes of them)."""
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.cedar").write_text(DEVS, encoding="utf-8")
    for path in ("../outside.cedar", str(tmp_path / "outside.cedar")):
        got = from_files(project, justInTimeAccess={"autoApproval": {"policyFile": path}})
        assert "is outside the stack file's directory" in got, path
