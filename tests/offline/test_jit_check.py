"""`jit check`: request tables answered in AWS's order, with Cedar's own engine.

The order and outcomes are AWS's ("Create approval policies for your nodes",
https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-just-in-time-node-access-approval-policies.html):
deny-access, then auto-approval, then manual; a deny-access match prevents only the
auto-approval; a tag-specific manual policy is favoured over an all-nodes one; a node two
manual policies apply to makes the request fail; with no policy, nobody can ask.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import cast

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


def edited_stack(tmp_path: Path, old: str, new: str) -> Path:
    """The example in `tmp_path`, its stack file with `old` replaced by `new`."""
    where = stack_dir(tmp_path)
    stack = where / "Pulumi.just-in-time.yaml"
    text = stack.read_text()
    assert old in text
    stack.write_text(text.replace(old, new))
    return where


def check(capsys: pytest.CaptureFixture[str], where: Path) -> tuple[int, str]:
    code = main(["jit", "check", "--stack", "just-in-time", "--project-dir", str(where)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_example_table_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(capsys, stack_dir(tmp_path))
    assert (code, out) == (0, "8 of 8 requests answered as expected\n")


def test_a_flipped_condition_is_a_mismatch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Developers' auto-approval moves from dev nodes to production nodes.
    where = edited_stack(tmp_path, '== "dev"', '== "production"')
    code, out = check(capsys, where)
    assert code == 1
    assert (
        "MISMATCH developer to a production node: expected needs 2 approvals at 2 levels, got "
        "auto-approved in 111111111111; needs 2 approvals at 2 levels in 222222222222 "
        "(111111111111: the auto-approval policy permits it; 222222222222: manual policy "
        "'production')"
    ) in out
    assert "MISMATCH developer to a dev node: expected auto-approved, got denied" in out
    assert "6 of 8 requests answered as expected" in out


def test_a_bad_table_exits_2_naming_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = stack_dir(tmp_path)
    table = where / "jit-requests.yaml"
    table.write_text(table.read_text().replace("expect: denied", "expect: maybe", 1))
    code, out = check(capsys, where)
    assert code == 2
    # The table's own wording: its path, the row with its name, the key; never its text.
    assert (
        f"{table}: requests[3] ('intern (also a developer) to a dev node').expect: 'maybe' "
        "is not an answer"
    ) in out


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
        manualApprovals=[{"name": "all", "accessDurationHours": 1, "levels": [LEVEL] * 3}],
    )
    node = Node("i-1", {"Environment": "dev"})
    staff = Person("bob", ("devs",), {"employeeNumber": "E-1"})
    temp = Person("tim", ("devs",), {"employeeNumber": "TEMP-7"})
    assert answer(policies, staff, node).text == "auto-approved"
    got = answer(policies, temp, node)
    assert got.text == "needs 3 approvals at 3 levels"
    assert got.why.startswith("the deny-access policy forbids auto-approval")


def test_tag_specific_manual_policy_beats_all_nodes_and_two_fail() -> None:
    policies = jit(
        manualApprovals=[
            {"name": "all", "accessDurationHours": 1, "levels": [LEVEL]},
            {
                "name": "demo",
                "accessDurationHours": 1,
                "targets": [{"key": "Demo", "value": "yes"}],
                "levels": [LEVEL, LEVEL],
            },
            {
                "name": "database",
                "accessDurationHours": 1,
                "targets": [{"key": "Tier", "value": "db"}],
                "levels": [LEVEL],
            },
        ]
    )
    person = Person("bob")
    assert (
        answer(policies, person, Node("i-1", {"Demo": "yes"})).text
        == "needs 2 approvals at 2 levels"
    )
    assert answer(policies, person, Node("i-2", {})).text == "needs 1 approval at 1 level"
    both = answer(policies, person, Node("i-3", {"Demo": "yes", "Tier": "db"}))
    assert both.text == "fails"
    assert "'database', 'demo'" in both.why
    assert policies.overlap_warnings() == [
        "justInTimeAccess.manualApprovals: 'demo' and 'database' both apply to a node tagged "
        "Demo=yes and Tier=db; AWS fails every access request to such a node"
    ]


def test_no_policy_means_denied() -> None:
    assert answer(jit(), Person("bob"), Node("i-1")).text == "denied"


def _planned_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[str], Path]:
    """The example copied to `tmp_path`: its `plan` command and its `plan --json` file."""
    plan = ["plan", "--stack", "just-in-time", "--project-dir", str(stack_dir(tmp_path))]
    assert main([*plan, "--json"]) == 0
    base = tmp_path / "base.json"
    base.write_text(capsys.readouterr().out)
    return plan, base


def test_plan_diff_shows_the_answers_a_change_flips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24's "done when": flipping one condition shows the flipped answers."""
    plan, base = _planned_base(tmp_path, capsys)
    stack = tmp_path / "Pulumi.just-in-time.yaml"
    stack.write_text(stack.read_text().replace('== "dev" };', '== "production" };'))
    assert main([*plan, "--diff", str(base)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Access answers that change:\n"
        "~ access request 'developer to a dev node': auto-approved -> denied\n"
        "~ access request 'developer to a production node': needs 2 approvals at 2 levels "
        "-> auto-approved in 111111111111; needs 2 approvals at 2 levels in 222222222222\n"
    )
    assert "aws-native:ssm:Document" in out
    # The document's Cedar text shows as its lines: the changed condition, not one escaped
    # JSON string of the whole policy.
    assert (
        '        -        when { resource.hasTag("Environment") && resource.getTag("Environment") '
        '== "dev" };\n'
        '        +        when { resource.hasTag("Environment") && resource.getTag("Environment") '
        '== "production" };\n'
    ) in out
    assert "\\n" not in out
    # Only account 111111111111's auto-approval document changes: the sandbox account
    # 222222222222 has its own (its target's `justInTimeAccess`).
    # A content change replaces the document, delete first (tests/test_jit_revert.py).
    assert "0 to update, 1 to replace" in out
    # Unchanged policies: no answer block.
    shutil.copy(EXAMPLE / stack.name, stack)
    assert main([*plan, "--diff", str(base)]) == 0
    assert "Access answers" not in capsys.readouterr().out


def test_jit_check_runs_from_the_repo_root_as_documented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands the example and docs/just-in-time-access.md give, run as written from
    a repository root (its Pulumi.yaml, __main__.py and examples/just-in-time/)."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(EXAMPLE, tmp_path / "examples" / "just-in-time")
    comment = (EXAMPLE / "Pulumi.just-in-time.yaml").read_text(encoding="utf-8")
    commands = [
        line.removeprefix("#").strip()
        for line in comment.splitlines()
        if line.startswith(("#   cp ", "#   session-manager "))
    ]
    docs = (ROOT / "docs" / "just-in-time-access.md").read_text(encoding="utf-8")
    assert commands == [
        "cp examples/just-in-time/* .",
        "session-manager jit check --stack just-in-time",
    ]
    assert "\n".join(commands) in docs
    copy, run = (shlex.split(c) for c in commands)
    monkeypatch.chdir(tmp_path)
    assert (copy[0], copy[-1]) == ("cp", ".")
    for pattern in copy[1:-1]:
        for source in sorted(Path().glob(pattern)):  # the shell's glob
            shutil.copy(source, ".")
    assert main(run[1:]) == 0
    assert capsys.readouterr().out == "8 of 8 requests answered as expected\n"


def _table_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> str:
    where = stack_dir(tmp_path)
    (where / "jit-requests.yaml").write_text(text, encoding="utf-8")
    code, out = check(capsys, where)
    assert code == 2
    return out


def test_a_file_that_is_no_table_is_named_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`requestTable: ../../etc/passwd` printed every line of the file before."""
    secretish = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    out = _table_error(tmp_path, capsys, secretish)
    assert "jit-requests.yaml: not a request table" in out
    assert "root:x" not in out
    assert "daemon" not in out


def test_rows_need_unique_names_and_a_table_needs_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan --diff` tells answers apart by row name: two rows of one name would hide one."""
    row = "  - name: same\n    person: {user: u}\n    node: {id: i-01234567}\n    expect: denied\n"
    out = _table_error(tmp_path, capsys, "requests:\n" + row + row)
    assert "requests: row 1 is named 'same', like row 0" in out
    (tmp_path / "empty").mkdir()
    out = _table_error(tmp_path / "empty", capsys, "requests: []\n")
    assert "requests: is empty" in out


def test_an_answer_asks_one_approval_per_level() -> None:
    """AWS ("Create approval policies for your nodes"): a policy "requires one approval from
    one level", another "two approvals from two levels": one approval at each level."""
    from session_manager.config.jit_requests import AccessRequest

    base = {"name": "r", "person": {"user": "u"}, "node": {"id": "i-01234567"}}
    assert AccessRequest.model_validate(base | {"expect": "needs 2 approvals at 2 levels"})
    with pytest.raises(ValueError, match="AWS asks one approval at each level"):
        AccessRequest.model_validate(base | {"expect": "needs 2 approvals at 1 level"})
    with pytest.raises(ValueError, match="is not an answer"):
        AccessRequest.model_validate(base | {"expect": "needs 2 approvals"})


def test_a_row_naming_an_account_uses_that_accounts_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example's sandbox account has its own auto-approval policy: the same node and
    person get another answer once the row names another account."""
    where = stack_dir(tmp_path)
    table = where / "jit-requests.yaml"
    table.write_text(
        table.read_text().replace('account: "222222222222"', 'account: "111111111111"')
    )
    code, out = check(capsys, where)
    assert code == 1
    assert (
        "MISMATCH developer to a sandbox node in the sandbox account: expected auto-approved, "
        "got denied (no manual approval policy applies to the node)"
    ) in out


def test_a_row_whose_policies_depend_on_an_ou_must_name_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Offline, which organizational unit holds an account is unknown: when an OU target
    has policies of its own, a row naming an account no account target names must say
    its organizationalUnit; a row that does gets that target's policies."""
    where = stack_dir(tmp_path)
    stack = where / "Pulumi.just-in-time.yaml"
    stack.write_text(
        stack.read_text().replace(
            '    - account: "111111111111"\n',
            "    - organizationalUnit: ou-ab12-cdef3456\n"
            "      justInTimeAccess: {autoApproval: null}\n",
        )
    )
    code, out = check(capsys, where)
    assert code == 2
    assert (
        "requests[0] ('on-call engineer to a production node').node: the stack manages "
        "no account 111111111111 (its accounts: 222222222222); an account of "
        "ou-ab12-cdef3456: name the node's organizationalUnit, or pass --ou-accounts"
    ) in out
    table = where / "jit-requests.yaml"
    table.write_text(
        table.read_text().replace(
            'account: "111111111111"}',
            'account: "111111111111", organizationalUnit: ou-ab12-cdef3456}',
        )
    )
    code, out = check(capsys, where)
    # The OU has no auto-approval policy: the rows naming it get none; the rows without an
    # account are answered alike in 222222222222 and in the OU's (unlisted) accounts.
    assert code == 1, out
    assert out.splitlines() == [
        "MISMATCH on-call engineer to a production node: expected auto-approved, got needs 2 "
        "approvals at 2 levels (manual policy 'production')",
        "MISMATCH developer to a dev node: expected auto-approved, got denied (no manual "
        "approval policy applies to the node)",
        "6 of 8 requests answered as expected",
    ]


def _row(**node: object) -> dict[str, object]:
    return {"name": "r", "person": {"user": "u"}, "node": node, "expect": "denied"}


def test_node_ids_are_checked_and_mi_ids_are_managed_instances() -> None:
    """SSM's node ids (API reference, InstanceInformation InstanceId pattern
    `(^i-(\\w{8}|\\w{17})$)|(^mi-\\w{17}$)`): EC2 instances i-, hybrid nodes mi-, which AWS's
    Cedar schema types AWS::SSM::ManagedInstance (statement-structure page). A policy
    scoped to `resource is AWS::SSM::ManagedInstance` must answer a mi- row."""
    from session_manager.config.jit_requests import AccessRequest

    hybrid = AccessRequest.model_validate(_row(id="mi-0123456789abcdef0"))
    assert hybrid.cedar_node().node_type == "AWS::SSM::ManagedInstance"
    ec2 = AccessRequest.model_validate(_row(id="i-0123456789abcdef0"))
    assert ec2.cedar_node().node_type == "AWS::EC2::Instance"
    for bad in ("host-1", "i-1", "mi-0123", "arn:aws:ec2:us-east-1:1:instance/i-01234567"):
        with pytest.raises(ValueError, match="is not a node id"):
            AccessRequest.model_validate(_row(id=bad))
    with pytest.raises(ValueError, match="does not fit id"):
        AccessRequest.model_validate(_row(id="mi-0123456789abcdef0", type="AWS::EC2::Instance"))
    policy = f"permit (principal, {ACTION}, resource is AWS::SSM::ManagedInstance) "
    policy += 'when { resource.hasTag("Env") && resource.getTag("Env") == "lab" };'
    lab = AccessRequest.model_validate(_row(id="mi-0123456789abcdef0", tags={"Env": "lab"}))
    got = answer(jit(autoApproval={"policy": policy}), Person("u"), lab.cedar_node())
    assert got.text == "auto-approved"


def test_needs_one_approval_is_accepted_in_either_spelling() -> None:
    """`jit check` answers `needs 1 approval at 1 level`; a table may write the plural."""
    from session_manager.config.jit_requests import AccessRequest

    for written in ("needs 1 approvals at 1 levels", "needs 1 approval at 1 level"):
        row = AccessRequest.model_validate(_row(id="i-01234567") | {"expect": written})
        assert row.expect == "needs 1 approval at 1 level"


def test_rows_naming_an_unmanaged_account_or_region_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row's account and Region pick the policies of that account-Region: one the stack
    doesn't manage has none of the stack's, so answering it with them would be wrong."""
    where = stack_dir(tmp_path)
    table = where / "jit-requests.yaml"
    text = table.read_text()
    table.write_text(text.replace('account: "111111111111"}', 'account: "333333333333"}'))
    code, out = check(capsys, where)
    assert code == 2
    assert (
        "requests[0] ('on-call engineer to a production node').node: the stack manages "
        "no account 333333333333 (its accounts: 111111111111, 222222222222)"
    ) in out
    table.write_text(
        text.replace('account: "111111111111"}', 'account: "111111111111", region: eu-west-1}')
    )
    code, out = check(capsys, where)
    assert code == 2
    assert "the stack manages account 111111111111 in us-east-1, not in eu-west-1" in out


def test_jit_check_honours_ou_accounts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--ou-accounts OU=ACCOUNT` says which accounts an OU target holds (as for `plan`):
    a row naming such an account gets that target's policies without naming the OU."""
    where = edited_stack(
        tmp_path, '    - account: "111111111111"\n', "    - organizationalUnit: ou-ab12-cdef3456\n"
    )
    args = ["jit", "check", "--stack", "just-in-time", "--project-dir", str(where)]
    assert main(args) == 2
    capsys.readouterr()
    code = main([*args, "--ou-accounts", "ou-ab12-cdef3456=111111111111"])
    out = capsys.readouterr().out
    assert (code, out) == (0, "8 of 8 requests answered as expected\n")


def test_a_missing_request_table_names_the_config_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = edited_stack(tmp_path, "    requestTable: jit-requests.yaml\n", "")
    code, out = check(capsys, where)
    assert code == 2
    assert "session-manager:justInTimeAccess.requestTable is not set" in out


def _plan_flips(tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: object) -> list[str]:
    """The example planned to a base, its stack config changed by `edit(config)`, and the
    access-answer lines `plan --diff` shows."""
    import yaml

    plan, base = _planned_base(tmp_path, capsys)
    stack = tmp_path / "Pulumi.just-in-time.yaml"
    loaded = yaml.safe_load(stack.read_text())
    edit(loaded["config"])  # type: ignore[operator]
    stack.write_text(yaml.safe_dump(loaded))
    assert main([*plan, "--diff", str(base)]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if "access request" in line]


def test_a_row_without_account_is_answered_in_every_managed_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review repro A: account 111111111111's own auto-approval policy admits developers to
    every node. The row 'developer to a production node' names no account: answered with
    the stack's policies alone, neither `plan --diff` nor `jit check` saw it auto-approved
    in 111111111111. Answered in each managed account, the answer names where it differs."""
    every_node = (
        "permit (principal in AWS::IdentityStore::Group::"
        f'"a1b2c3d4-0002-7000-8000-0000developers", {ACTION}, resource);'
    )

    def edit(config: dict[str, list[dict[str, object]]]) -> None:
        config["session-manager:targets"][0]["justInTimeAccess"] = {
            "autoApproval": {"policy": every_node}
        }

    assert _plan_flips(tmp_path, capsys, edit) == [
        "~ access request 'developer to a production node': needs 2 approvals at 2 levels -> "
        "auto-approved in 111111111111; needs 2 approvals at 2 levels in 222222222222",
        "~ access request 'developer to a sandbox-tagged node elsewhere': denied -> auto-approved",
        # The target's own auto-approval policy replaces the stack's in 111111111111.
        "~ access request 'on-call engineer to a production node': auto-approved -> needs 2 "
        "approvals at 2 levels",
    ]
    code, out = check(capsys, tmp_path)
    assert code == 1
    assert "MISMATCH developer to a production node" in out


def test_policies_moved_onto_the_targets_flip_no_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Review repro B: the stack's auto-approval and manual policies move onto the targets
    (each account keeps the very policies it had) and the stack's become empty. Nothing
    changes in AWS, so no answer may flip; answering account-less rows with the stack's
    (now empty) policies invented four flips."""

    def edit(config: dict[str, object]) -> None:
        stack = cast(dict[str, object], config["session-manager:justInTimeAccess"])
        targets = cast(list[dict[str, object]], config["session-manager:targets"])
        auto, manual = stack.pop("autoApproval"), stack["manualApprovals"]
        stack["manualApprovals"] = []
        targets[0]["justInTimeAccess"] = {"autoApproval": auto, "manualApprovals": manual}
        sandbox = cast(dict[str, object], targets[1]["justInTimeAccess"])
        sandbox["manualApprovals"] = manual

    assert _plan_flips(tmp_path, capsys, edit) == []
    assert check(capsys, tmp_path) == (0, "8 of 8 requests answered as expected\n")


def test_an_accounts_regions_are_named_only_where_they_differ() -> None:
    """A row without `account` or `region`, answered in every managed account-Region: one
    account whose two Regions answer differently is named with each Region; an account
    whose Regions agree is named once."""
    from session_manager.config.jit_requests import RequestTable
    from session_manager.config.loading import parse_stack_config
    from session_manager.offline.jit_check import table_answers

    devs = f'permit (principal in AWS::IdentityStore::Group::"devs", {ACTION}, resource);'
    config = parse_stack_config(
        {
            "regions": ["us-east-1", "eu-west-1"],
            "justInTimeAccess": {
                "manualApprovals": [{"name": "all", "accessDurationHours": 1, "levels": [LEVEL]}]
            },
            "targets": [
                {
                    "account": "111111111111",
                    "regions": ["us-east-1"],
                    "justInTimeAccess": {"autoApproval": {"policy": devs}},
                },
                {"account": "111111111111", "regions": ["eu-west-1"]},
                {"account": "222222222222"},
            ],
        }
    )
    row = {"name": "dev", "person": {"user": "u", "groups": ["devs"]}, "expect": "denied"}
    table = RequestTable.model_validate({"requests": [row | {"node": {"id": "i-01234567"}}]})
    (got,) = table_answers(config, table)
    assert got.got.text == (
        "needs 1 approval at 1 level in 111111111111 eu-west-1, 222222222222; "
        "auto-approved in 111111111111 us-east-1"
    )
    # A row naming its Region is answered there only.
    table = RequestTable.model_validate(
        {"requests": [row | {"node": {"id": "i-01234567", "region": "us-east-1"}}]}
    )
    (got,) = table_answers(config, table)
    assert got.got.text == (
        "auto-approved in 111111111111; needs 1 approval at 1 level in 222222222222"
    )
