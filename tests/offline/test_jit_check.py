"""`jit check`: request tables answered in AWS's order, with Cedar's own engine.

The order and outcomes are AWS's ("Create approval policies for your nodes",
https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-just-in-time-node-access-approval-policies.html):
deny-access, then auto-approval, then manual; a deny-access match prevents only the
auto-approval; a tag-specific manual policy is favoured over an all-nodes one; a node two
manual policies apply to makes the request fail; with no policy, nobody can ask.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from session_manager.cli import main
from session_manager.config.cedar import Node, Person
from session_manager.config.jit import JustInTimeAccess
from session_manager.offline.jit_check import answer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "just-in-time"
ACTION = 'action == AWS::SSM::Action::"getTokenForInstanceAccess"'
LEVEL = {"approvers": [{"type": "IdentityStoreGroup", "id": "approvers"}]}


def stack_dir(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    for path in EXAMPLE.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], where: Path) -> tuple[int, str]:
    code = main(["jit", "check", "--stack", "just-in-time", "--project-dir", str(where)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_example_table_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(capsys, stack_dir(tmp_path))
    assert (code, out) == (0, "6 of 6 requests answered as expected\n")


def test_a_flipped_condition_is_a_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = stack_dir(tmp_path)
    stack = where / "Pulumi.just-in-time.yaml"
    # Developers' auto-approval moves from dev nodes to production nodes.
    stack.write_text(stack.read_text().replace('== "dev"', '== "production"'))
    code, out = check(capsys, where)
    assert code == 1
    assert (
        "MISMATCH developer to a production node: expected needs 2 approvals, got "
        "auto-approved (the auto-approval policy permits it)"
    ) in out
    assert "MISMATCH developer to a dev node: expected auto-approved, got denied" in out
    assert "4 of 6 requests answered as expected" in out


def test_a_bad_table_exits_2_naming_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = stack_dir(tmp_path)
    table = where / "jit-requests.yaml"
    table.write_text(table.read_text().replace("expect: denied", "expect: maybe", 1))
    code, out = check(capsys, where)
    assert code == 2
    assert "requests[3].expect: 'maybe' is not an answer" in out


def jit(**value: object) -> JustInTimeAccess:
    return JustInTimeAccess.model_validate(value)


def test_deny_access_blocks_auto_approval_not_manual_approval() -> None:
    policies = jit(
        autoApproval={
            "policy": f'permit (principal in AWS::IdentityStore::Group::"devs", {ACTION}, '
            "resource);"
        },
        denyAccess={
            "account": "999999999999",
            "region": "us-east-1",
            "policy": f"forbid (principal, {ACTION}, resource) when {{ principal has "
            'employeeNumber && principal.employeeNumber like "TEMP-*" };',
        },
        manualApprovals=[{"name": "all", "levels": [LEVEL, LEVEL, LEVEL]}],
    )
    node = Node("i-1", {"Environment": "dev"})
    staff = Person("bob", ("devs",), {"employeeNumber": "E-1"})
    temp = Person("tim", ("devs",), {"employeeNumber": "TEMP-7"})
    assert answer(policies, staff, node).text == "auto-approved"
    got = answer(policies, temp, node)
    assert got.text == "needs 3 approvals"
    assert got.why.startswith("the deny-access policy forbids auto-approval")


def test_tag_specific_manual_policy_beats_all_nodes_and_two_fail() -> None:
    policies = jit(
        manualApprovals=[
            {"name": "all", "levels": [LEVEL]},
            {
                "name": "demo",
                "targets": [{"key": "Demo", "value": "yes"}],
                "levels": [LEVEL, LEVEL],
            },
            {"name": "db", "targets": [{"key": "Tier", "value": "db"}], "levels": [LEVEL]},
        ]
    )
    person = Person("bob")
    assert answer(policies, person, Node("i-1", {"Demo": "yes"})).text == "needs 2 approvals"
    assert answer(policies, person, Node("i-2", {})).text == "needs 1 approval"
    both = answer(policies, person, Node("i-3", {"Demo": "yes", "Tier": "db"}))
    assert both.text == "fails"
    assert "'db', 'demo'" in both.why
    assert policies.overlap_warnings() == [
        "justInTimeAccess.manualApprovals: 'demo' and 'db' both apply to a node tagged "
        "Demo=yes and Tier=db; AWS fails every access request to such a node"
    ]


def test_no_policy_means_denied() -> None:
    assert answer(jit(), Person("bob"), Node("i-1")).text == "denied"


def test_plan_diff_shows_the_answers_a_change_flips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24's "done when": flipping one condition shows the flipped answers."""
    where = stack_dir(tmp_path)
    plan = ["plan", "--stack", "just-in-time", "--project-dir", str(where)]
    assert main([*plan, "--json"]) == 0
    base = tmp_path / "base.json"
    base.write_text(capsys.readouterr().out)
    stack = where / "Pulumi.just-in-time.yaml"
    stack.write_text(stack.read_text().replace('== "dev" };', '== "production" };'))
    assert main([*plan, "--diff", str(base)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Access answers that change:\n"
        "~ access request 'developer to a dev node': auto-approved -> denied\n"
        "~ access request 'developer to a production node': needs 2 approvals -> auto-approved\n"
    )
    assert "aws-native:ssm:Document" in out
    assert "2 to update, 0 to replace" in out
    # Unchanged policies: no answer block.
    shutil.copy(EXAMPLE / stack.name, stack)
    assert main([*plan, "--diff", str(base)]) == 0
    assert "Access answers" not in capsys.readouterr().out
