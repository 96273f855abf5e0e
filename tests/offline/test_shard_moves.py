"""`plan --diff` across stacks: accounts that change stack become `pulumi state move`
commands, and the diffs show what is left once they ran.

The engine's rules are pulumi/pulumi pkg/cmd/pulumi/state/state_move.go: resources
named by exact URN move with every descendant (ChildrenOf is transitive,
pkg/resource/graph/dependency_graph.go NewDependencyGraph), only the stack and project
of their URNs change, and their providers are copied, staying in the source too.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from session_manager.cli import main
from session_manager.config.shards import shard_of
from session_manager.offline.shard_moves import Move, apply_moves

ROOT = Path(__file__).resolve().parents[2]
OU = "ou-ab12-cdef3456=555555555555,666666666666,777777777777,888888888888"
STACK_FILE = ROOT / "examples/organization/Pulumi.organization.yaml"
ACCOUNTS = ["111111111111", "222222222222", "333333333333", *OU.split("=")[1].split(",")]


def _project(folder: Path, shards: int | None) -> Path:
    folder.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    stack_file = yaml.safe_load(STACK_FILE.read_text())
    if shards:
        stack_file["config"]["session-manager:shards"] = {"count": shards}
    (folder / STACK_FILE.name).write_text(yaml.safe_dump(stack_file))
    return folder


def _plan(capsys: pytest.CaptureFixture[str], folder: Path, *extra: str) -> tuple[int, str]:
    common = ["--stack", "organization", "--project-dir", str(folder), "--ou-accounts", OU]
    code = main(["plan", *common, *extra])
    return code, capsys.readouterr().out


def _diff(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, base: int | None, head: int
) -> dict[str, Any]:
    code, base_json = _plan(capsys, _project(tmp_path / "base", base), "--json")
    assert code == 0
    (tmp_path / "base.json").write_text(base_json)
    code, out = _plan(
        capsys, _project(tmp_path / "head", head), "--diff", str(tmp_path / "base.json"), "--json"
    )
    assert code == 0
    return json.loads(out)


def test_sharding_an_organization_stack_moves_every_account_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    diff = _diff(capsys, tmp_path, None, 4)
    moves = {m["account"]: m for m in diff["moves"]}
    assert sorted(moves) == sorted(ACCOUNTS)
    base = json.loads((tmp_path / "base.json").read_text())
    for account, move in moves.items():
        assert (move["source"], move["dest"]) == (
            "organization",
            f"organization-shard-{shard_of(account, 4)}",
        )
        # The account's top-level components in the base stack: state move takes their
        # children with them, so no child is named.
        expected = sorted(
            r["urn"]
            for r in base["resources"]
            if r["name"].startswith(f"session-manager-{account}-")
            and r["parent"].endswith("::pulumi:pulumi:Stack::session-manager-organization")
        )
        assert move["urns"] == expected
        words = shlex.split(move["command"])
        assert words[:7] == [
            "pulumi", "state", "move", "--source", "organization", "--dest", move["dest"],
        ]  # fmt: skip
        assert words[7] == "--yes"
        assert words[8:] == expected
    stacks = {s["stack"]: s["diff"] for s in diff["stacks"]}
    # Once moved, nothing in AWS changes: each shard's resources are as they were.
    for name, change in stacks.items():
        assert change["awsLoses"] == [], name
        assert change["summary"]["add"] == change["summary"]["update"] == 0, name
        assert change["summary"]["replace"] == 0, name
    # The source keeps copies of the moved providers, which its next `pulumi up` deletes.
    removed = {c["urn"].rsplit("::", 1)[1] for c in stacks["organization"]["changes"]}
    assert removed == {f"aws-{account}" for account in ACCOUNTS}


def test_growing_the_shard_count_moves_only_accounts_into_the_new_shard(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    diff = _diff(capsys, tmp_path, 4, 5)
    moved = {m["account"]: (m["source"], m["dest"]) for m in diff["moves"]}
    expected = {
        account: (f"organization-shard-{shard_of(account, 4)}", "organization-shard-4")
        for account in ACCOUNTS
        if shard_of(account, 5) != shard_of(account, 4)
    }
    assert moved == expected
    assert len(moved) == 2  # 222222222222 and 666666666666: the test moves something
    assert all(dest == "organization-shard-4" for _, dest in moved.values())
    for change in diff["stacks"]:
        assert change["diff"]["summary"]["add"] == 0, change["stack"]


def test_unsharding_moves_every_account_back_to_the_one_stack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Removing `shards`: the base is the merged plan of five stacks, the head one stack."""
    code, base_json = _plan(capsys, _project(tmp_path / "base", 4), "--json")
    assert code == 0
    (tmp_path / "base.json").write_text(base_json)
    head = _project(tmp_path / "head", None)
    code, out = _plan(capsys, head, "--diff", str(tmp_path / "base.json"), "--json")
    assert code == 0, out
    diff = json.loads(out)
    assert {m["account"] for m in diff["moves"]} == set(ACCOUNTS)
    assert {m["dest"] for m in diff["moves"]} == {"organization"}
    stacks = {s["stack"]: s["diff"]["summary"] for s in diff["stacks"]}
    assert stacks["organization"]["add"] == stacks["organization"]["update"] == 0
    # The emptied shard stacks keep only provider copies, and the program refuses to
    # run them: they are listed to remove, not diffed.
    assert list(stacks) == ["organization"]
    removed = [r["stack"] for r in diff["removedStacks"]]
    assert removed == [f"organization-shard-{index}" for index in range(4)]


def test_lowering_the_count_says_to_remove_the_emptied_shard_stack(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """5 -> 4 shards: shard 4's accounts move out, and `pulumi state move` COPIES their
    providers ("cannot move providers", pulumi/pulumi pkg/cmd/pulumi/state/state_move.go),
    so shard 4 keeps them; the program refuses to run a shard >= count, so no `pulumi up`
    deletes them: the diff says to remove the stack (`pulumi stack rm --force`: "even if
    it still contains resources", pkg/cmd/pulumi/stack/stack_remove.go), and how to check
    that only providers are left, instead of listing provider deletions."""
    code, base_json = _plan(capsys, _project(tmp_path / "base", 5), "--json")
    assert code == 0
    (tmp_path / "base.json").write_text(base_json)
    head = _project(tmp_path / "head", 4)
    code, out = _plan(capsys, head, "--diff", str(tmp_path / "base.json"))
    assert code == 0, out
    shard_4 = out[out.index("=== stack organization-shard-4 ===") :]
    assert "stack organization-shard-4 is no longer in the stack file" in shard_4
    assert "pulumi stack rm --stack organization-shard-4 --force --yes" in shard_4
    assert "pulumi stack --stack organization-shard-4 --show-urns" in shard_4
    assert "(remove)" not in shard_4
    assert "ciphertext" not in capsys.readouterr().err + out
    assert out.count("=== stack organization-shard-4 ===") == 1
    code, out = _plan(capsys, head, "--diff", str(tmp_path / "base.json"), "--json")
    diff = json.loads(out)
    assert [r["stack"] for r in diff["removedStacks"]] == ["organization-shard-4"]
    assert "organization-shard-4" not in {s["stack"] for s in diff["stacks"]}


def test_a_move_takes_descendants_and_copies_the_provider() -> None:
    root = "urn:pulumi:a::p::pulumi:pulumi:Stack::p-a"
    provider = "urn:pulumi:a::p::pulumi:providers:aws::aws-111111111111"
    component = "urn:pulumi:a::p::x:index:C::session-manager-111111111111-us-east-1"
    child = "urn:pulumi:a::p::x:index:C$aws:kms/key:Key::session-manager-111111111111-us-east-1-key"
    grandchild = child.replace("Key::", "Key$aws:kms/alias:Alias::") + "-alias"

    def resource(urn: str, parent: str | None, typ: str) -> dict[str, Any]:
        return {"urn": urn, "parent": parent, "type": typ, "provider": provider, "options": {}}

    base = {
        "stack": "a",
        "project": "p",
        "resources": [
            resource(provider, root, "pulumi:providers:aws") | {"provider": None},
            resource(component, root, "x:index:C"),
            resource(grandchild, child, "aws:kms/alias:Alias"),  # before its parent
            resource(child, component, "aws:kms/key:Key"),
        ],
    }
    after = apply_moves([base], [Move("111111111111", "a", "b", [component])])
    assert [r["urn"] for r in after["a"]["resources"]] == [provider]
    moved = {r["urn"]: r for r in after["b"]["resources"]}
    renamed = {urn.replace("urn:pulumi:a::", "urn:pulumi:b::") for urn in base_urns(base)}
    assert set(moved) == renamed
    b_component = component.replace("urn:pulumi:a::", "urn:pulumi:b::")
    assert moved[b_component]["parent"] == "urn:pulumi:b::p::pulumi:pulumi:Stack::p-b"
    b_provider = provider.replace("urn:pulumi:a::", "urn:pulumi:b::")
    assert moved[b_component]["provider"] == b_provider


def base_urns(plan: dict[str, Any]) -> list[str]:
    return [r["urn"] for r in plan["resources"]]


def test_one_shard_against_a_base_of_every_stack_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`plan --shard 1 --diff <merged base>` planned one stack: the base's four others
    would read as deleted (and exit 0). It is bad input, exit 2, saying what to diff."""
    folder = _project(tmp_path / "p", 4)
    code, base_json = _plan(capsys, folder, "--json")
    assert code == 0
    (tmp_path / "base.json").write_text(base_json)
    code = main(
        ["plan", "--stack", "organization", "--project-dir", str(folder), "--ou-accounts", OU,
         "--shard", "1", "--diff", str(tmp_path / "base.json")]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "--shard 1 plans one stack" in captured.err
    assert "organization-shard-0" in captured.err
    # Its own base is fine: no change.
    code, own = _plan(capsys, folder, "--shard", "1", "--json")
    (tmp_path / "own.json").write_text(own)
    code, out = _plan(capsys, folder, "--shard", "1", "--diff", str(tmp_path / "own.json"))
    assert code == 0, out


# `pulumi stack --stack organization-shard-4 --show-urns` of an emptied shard: its root
# stack, the StackReference to the shared stack that every shard with centralLogging
# reads (a read resource, type pulumi:pulumi:StackReference, pulumi/pulumi
# pkg/resource/deploy/builtins.go), and the provider copies `pulumi state move` left.
# The layout is renderTree/renderResourceRow's (pkg/cmd/pulumi/stack/stack.go): a
# tree of `TYPE  NAME` rows, each followed by `    URN: <urn>` with --show-urns.
_SHOW_URNS = """\
Current stack is organization-shard-4:
    Managed by ci
    Last updated: 2 hours ago (2026-12-07 03:10:00.000000000 +0000 UTC)
    Pulumi version used: v3.200.0
Current stack resources (4):
    TYPE                                 NAME
    pulumi:pulumi:Stack                  session-manager-organization-shard-4
    │   URN: urn:pulumi:organization-shard-4::session-manager::pulumi:pulumi:Stack::session-manager-organization-shard-4
    ├─ pulumi:pulumi:StackReference      organization/session-manager/organization
    │     URN: urn:pulumi:organization-shard-4::session-manager::pulumi:pulumi:StackReference::organization/session-manager/organization
    ├─ pulumi:providers:aws              aws-555555555555
    │     URN: urn:pulumi:organization-shard-4::session-manager::pulumi:providers:aws::aws-555555555555
    └─ pulumi:providers:aws              aws-666666666666
          URN: urn:pulumi:organization-shard-4::session-manager::pulumi:providers:aws::aws-666666666666
"""  # noqa: E501
_LEFT_BEHIND = (
    "urn:pulumi:organization-shard-4::session-manager::session-manager:index:"
    "SessionManagerAccessPolicies::session-manager-555555555555-access-policies"
)


@pytest.mark.parametrize("left", ["", _LEFT_BEHIND])
def test_the_removal_check_prints_nothing_for_an_emptied_shard_only(
    tmp_path: Path, left: str
) -> None:
    """The printed check runs in a shell against a realistic `--show-urns` listing: it
    prints nothing for a shard holding only its root stack, its StackReference and
    provider copies (before, the StackReference always printed, so the check never
    passed), and prints a resource a state move left behind."""
    from session_manager.offline.shard_moves import removal_check

    listing = _SHOW_URNS + (f"    └─ x  y\n          URN: {left}\n" if left else "")
    (tmp_path / "listing.txt").write_text(listing)
    fake = tmp_path / "bin" / "pulumi"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncat {shlex.quote(str(tmp_path / 'listing.txt'))}\n")
    fake.chmod(0o755)
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(
        [bash, "-c", removal_check("organization-shard-4")],
        env={"PATH": f"{fake.parent}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ([left] if left else [])


@pytest.mark.parametrize(
    ("shard", "stack"), [("2", "organization-shard-2"), ("shared", "organization")]
)
def test_every_stack_against_a_base_of_one_of_them_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, shard: str, stack: str
) -> None:
    """`plan --diff <plan --shard N --json>` of every stack: the base holds one stack of
    the organization (it exports shardCount), so every other stack would read as created
    from nothing (and, for the shared stack's base, exit 0 with 'No changes' on it).
    Bad input, exit 2, as `--shard N` against a merged base is; an unsharded stack's base
    (it exports no shardCount) is still the organization before it was sharded."""
    folder = _project(tmp_path / "p", 4)
    code, base_json = _plan(capsys, folder, "--shard", shard, "--json")
    assert code == 0
    (tmp_path / "base.json").write_text(base_json)
    code = main(
        ["plan", "--stack", "organization", "--project-dir", str(folder), "--ou-accounts", OU,
         "--diff", str(tmp_path / "base.json")]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"is the plan of one stack of a sharded organization ({stack})" in captured.err
    assert f"`plan --shard {shard} --diff" in captured.err


def test_moves_without_the_ous_accounts_are_said_to_be_incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The organization example targets OU ou-ab12-cdef3456. Offline, an OU that
    `--ou-accounts` gives no accounts holds none, so 4 -> 5 shards planned without the
    flag listed only the explicit accounts' moves: the OU's accounts, which move all
    the same at `pulumi up` (the program reads them from AWS Organizations), had none,
    and their new shard's `pulumi up` would create them again. The header says so."""

    def diff(*ou: str) -> tuple[str, dict[str, Any]]:
        outs: list[str] = []
        for extra in ((), ("--json",)):
            for shards in (4, 5):
                folder = tmp_path / f"{shards}{'-'.join(ou)}{''.join(extra)}"
                _project(folder, shards)
                argv = ["plan", "--stack", "organization", "--project-dir", str(folder), *ou]
                if shards == 4:
                    assert main([*argv, "--json"]) == 0
                    (tmp_path / "base.json").write_text(capsys.readouterr().out)
                else:
                    assert main([*argv, "--diff", str(tmp_path / "base.json"), *extra]) == 0
                    outs.append(capsys.readouterr().out)
        return outs[0], json.loads(outs[1])

    text, data = diff()
    first = text.splitlines()[0]
    assert first.startswith("!! State moves: INCOMPLETE: organizational unit(s) ou-ab12-cdef3456")
    assert "--ou-accounts ou-ab12-cdef3456=ACCOUNT,..." in first
    assert "(or more: INCOMPLETE, see above) change stack" in text
    assert data["movesIncomplete"].startswith("INCOMPLETE: organizational unit(s) ou-ab12")
    # With every OU's accounts: complete, and said nowhere.
    text, data = diff("--ou-accounts", OU)
    assert "INCOMPLETE" not in text
    assert "movesIncomplete" not in data
    assert {m["account"] for m in data["moves"]} & set(OU.split("=")[1].split(","))


def test_a_base_planned_without_the_ous_accounts_makes_the_moves_incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The base's own plan warned that the OU held no accounts: its accounts were in no
    stack of the base, so the diff can list no move for them (they read as created in
    their new stack, which AWS refuses: pulumi/pulumi state_move.go is the only way
    across). The header says INCOMPLETE when either side was planned so."""
    base_folder, head_folder = tmp_path / "base", tmp_path / "head"
    _project(base_folder, 4)
    _project(head_folder, 5)
    assert (
        main(["plan", "--stack", "organization", "--project-dir", str(base_folder), "--json"]) == 0
    )
    (tmp_path / "base.json").write_text(capsys.readouterr().out)
    argv = ["plan", "--stack", "organization", "--project-dir", str(head_folder),
            "--ou-accounts", OU, "--diff", str(tmp_path / "base.json")]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith(
        "!! State moves: INCOMPLETE: organizational unit(s) ou-ab12-cdef3456"
    )


@pytest.mark.parametrize(
    ("base_shards", "shard"),
    [(4, None), (None, None), (4, "1")],
    ids=["every-stack", "unsharded-base", "one-shard"],
)
@pytest.mark.parametrize("output", [[], ["--json"], ["--summary"]], ids=["text", "json", "summary"])
def test_a_diff_the_engine_refuses_in_any_stack_exits_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    base_shards: int | None,
    shard: str | None,
    output: list[str],
) -> None:
    """An OU account that turned SUSPENDED while its stack's state holds its resources:
    `pulumi up` of that stack fails (the engine loads the account's provider to delete
    them, and Organizations refuses the role of a suspended account; pulumi/pulumi
    pkg/resource/deploy/step.go DeleteStep, session-manager-facts "Closed accounts").
    `plan --diff` printed `!! ... the engine REFUSES` in that shard's section, yet across
    every stack it exited 0 where an unsharded stack and `--shard N` exit 1: CI's
    offline plan passed a change `pulumi up` would fail on. Against the unsharded base
    the account's resources are still in the shared stack, whose `pulumi up` deletes
    them: only shard 1 warned that the account is suspended, so that stack's diff must
    take the other stacks' warnings too."""
    base_folder, head_folder = tmp_path / "base", tmp_path / "head"
    _project(base_folder, base_shards)
    _project(head_folder, 4)
    one = ["--shard", shard] if shard else []
    accounts = "ou-ab12-cdef3456=555555555555,666666666666"
    common = ["plan", "--stack", "organization", *one]
    argv = [*common, "--project-dir", str(base_folder), "--ou-accounts", accounts, "--json"]
    assert main(argv) == 0
    (tmp_path / "base.json").write_text(capsys.readouterr().out)
    assert shard_of("666666666666", 4) == 1  # the suspended account's shard
    head = [*common, "--project-dir", str(head_folder), "--diff", str(tmp_path / "base.json")]
    assert main([*head, "--ou-accounts", accounts, *output]) == 0  # nothing changed
    capsys.readouterr()
    code = main([*head, "--ou-accounts", f"{accounts}:SUSPENDED", *output])
    out = capsys.readouterr().out
    assert code == 1
    if not output:
        assert "the engine REFUSES" in out
    if not output and base_shards is None:
        provider = (
            "urn:pulumi:organization::session-manager::pulumi:providers:aws::aws-666666666666"
        )
        assert "the engine must load provider(s) aws-666666666666" in out
        # The diffed stack's own name (docs/changing-things-safely.md: --stack on each).
        assert f"`pulumi state delete --stack organization --target-dependents '{provider}'`" in out


def test_a_per_account_stack_moves_into_the_accounts_shard(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`movedFromAccountStack` in a sharded organization: the account's resources land
    in its shard stack, so `pulumi state move --dest` must name that stack (the aliases
    are URNs of the stack the program runs as; pulumi/pulumi state_move.go rewrites only
    the stack and project), and docs/changing-things-safely.md, which said `--dest
    organization`, must say so."""
    folder = _project(tmp_path / "p", 4)
    stack_file = folder / STACK_FILE.name
    config = yaml.safe_load(stack_file.read_text())
    targets = config["config"]["session-manager:targets"]
    config["config"]["session-manager:targets"] = [
        t for t in targets if t.get("account") != "333333333333"
    ]
    stack_file.write_text(yaml.safe_dump(config))
    code, base_json = _plan(capsys, folder, "--json")
    assert code == 0
    (tmp_path / "base.json").write_text(base_json)
    for target in targets:
        if target.get("account") == "333333333333":
            target["movedFromAccountStack"] = True
    config["config"]["session-manager:targets"] = targets
    stack_file.write_text(yaml.safe_dump(config))
    code, out = _plan(capsys, folder, "--diff", str(tmp_path / "base.json"))
    assert code == 0
    shard = f"organization-shard-{shard_of('333333333333', 4)}"
    assert f"!!   pulumi state move --source SOURCE_STACK --dest {shard} \\" in out
    doc = (ROOT / "docs/changing-things-safely.md").read_text()
    assert f"`--dest {shard}` for 333333333333 with `shards.count: 4`" in doc
    assert "(`--dest <organization>-shard-N`)" in doc
