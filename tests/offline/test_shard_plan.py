"""Planning a sharded organization: every stack, merged the same for any --jobs.

The organization-shards example is the organization example plus `shards: {count: 4}`;
with the OU's accounts given, its five stacks together must declare exactly what the
one organization stack declares, each account in one shard stack, the central
bucket and accountEvents in the shared stack only.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from session_manager.cli import main
from session_manager.config.shards import shard_of
from session_manager.offline.shard_plan import Sharding, merged_json

ROOT = Path(__file__).resolve().parents[2]
OU = "ou-ab12-cdef3456=555555555555,666666666666,777777777777,888888888888"
SHARDED = ROOT / "examples/organization-shards/Pulumi.organization.yaml"
UNSHARDED = ROOT / "examples/organization/Pulumi.organization.yaml"


def _project(tmp_path: Path, stack_file: Path) -> Path:
    folder = tmp_path / stack_file.parent.name
    folder.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copy(stack_file, folder / stack_file.name)
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sharded(tmp_path: Path) -> Path:
    return _project(tmp_path, SHARDED)


@pytest.mark.parametrize("output", [[], ["--json"], ["--summary"]], ids=["text", "json", "summary"])
def test_jobs_two_prints_the_same_bytes_as_jobs_one(
    sharded: Path, capsys: pytest.CaptureFixture[str], output: list[str]
) -> None:
    """--jobs 1 plans the five stacks one after another in this process; --jobs 2 in
    forked workers, two at a time. Stdout, stderr and the exit code must not differ."""
    base = ["plan", "--stack", "organization", "--project-dir", str(sharded), "--ou-accounts", OU]
    one = _run(capsys, *base, *output, "--jobs", "1")
    two = _run(capsys, *base, *output, "--jobs", "2")
    assert one[0] == 0
    assert one == two
    assert one[1].count("organization-shard-") >= 4


def _all(sharded: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, _ = _run(
        capsys, "plan", "--stack", "organization", "--project-dir", str(sharded),
        "--ou-accounts", OU, "--json", "--jobs", "2",
    )  # fmt: skip
    assert code == 0
    return json.loads(out)


def _declared(plan: dict[str, Any]) -> set[tuple[str, str, str]]:
    """What AWS gets: every non-provider resource's type, name and inputs."""
    return {
        (r["type"], r["name"], json.dumps(r["inputs"], sort_keys=True))
        for r in plan["resources"]
        if not r["type"].startswith("pulumi:providers:")
    }


def test_the_shards_together_declare_what_the_one_stack_declares(
    sharded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The central key's ARN reaches each shard's policies by stack reference, and it is
    the ARN the shared stack's plan exports: every input is the unsharded stack's."""
    merged = _all(sharded, capsys)
    assert merged["shards"] == {"count": 4, "stack": "organization"}
    stacks = merged["stacks"]
    assert [s["stack"] for s in stacks] == ["organization"] + [
        f"organization-shard-{i}" for i in range(4)
    ]
    unsharded = _project(tmp_path, UNSHARDED)
    code, out, _ = _run(
        capsys, "plan", "--stack", "organization", "--project-dir", str(unsharded),
        "--ou-accounts", OU, "--json",
    )  # fmt: skip
    assert code == 0
    whole = _declared(json.loads(out))
    parts = [_declared(s) for s in stacks]
    assert set().union(*parts) == whole
    assert sum(len(p) for p in parts) == len(whole)  # nothing declared twice


def test_each_account_lives_in_its_shard_and_shared_parts_in_the_shared_stack(
    sharded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = _all(sharded, capsys)["stacks"]
    shared = {r["type"] for r in stacks[0]["resources"]}
    assert "session-manager:index:SessionManagerCentralLogBucket" in shared
    assert "session-manager:index:SessionManagerAccountEvents" in shared
    assert "session-manager:index:SessionManagerPreferences" not in shared
    for index, stack in enumerate(stacks[1:]):
        names = [r["name"] for r in stack["resources"]]
        accounts = {n.split("-")[2] for n in names if n.startswith("session-manager-")}
        assert all(shard_of(account, 4) == index for account in accounts), accounts
        assert not any("central-logs" in n or "account-events" in n for n in names)
    # A shard's `pulumi up` touches only its own state: every URN names its stack.
    for stack in stacks:
        prefix = f"urn:pulumi:{stack['stack']}::"
        assert all(r["urn"].startswith(prefix) for r in stack["resources"])


def test_one_shard_prints_as_that_stacks_own_plan(
    sharded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = _all(sharded, capsys)["stacks"]
    for shard, expected in (("shared", stacks[0]), ("2", stacks[3])):
        code, out, _ = _run(
            capsys, "plan", "--stack", "organization", "--project-dir", str(sharded),
            "--ou-accounts", OU, "--json", "--shard", shard,
        )  # fmt: skip
        assert code == 0
        assert json.loads(out) == expected


def _usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Bad input, refused as argparse refuses it (exit 2, `<prog> <command>: error:`),
    with nothing on stdout: not a report saying a stack "could not be checked"."""
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    return err.strip()


def test_bad_shard_arguments_are_refused_plainly(
    sharded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("plan", "verify"):
        err = _usage_error(
            capsys, command, "--stack", "organization", "--project-dir", str(sharded),
            "--shard", "4",
        )  # fmt: skip
        assert err == (
            f"python -m session_manager {command}: error: --shard 4: stack 'organization' has "
            "shards 0-3 (session-manager:shards.count); use one of them, shared, or all"
        )
    # A shard's number as its stack is named: "01" names no stack.
    err = _usage_error(
        capsys, "plan", "--stack", "organization", "--project-dir", str(sharded), "--shard", "01"
    )
    assert "--shard 01: stack 'organization' has shards 0-3" in err
    # --shard of an unsharded stack: a usage error too, with no report.
    unsharded = _project(tmp_path, UNSHARDED)
    for command in ("plan", "verify"):
        err = _usage_error(
            capsys, command, "--stack", "organization", "--project-dir", str(unsharded),
            "--shard", "1",
        )  # fmt: skip
        assert "sets no (valid) session-manager:shards; leave --shard out" in err
    code, _, err = _run(
        capsys, "plan", "--stack", "organization", "--project-dir", str(sharded),
        "--format", "terraform-plan",
    )  # fmt: skip
    assert code == 2
    assert "--format terraform-plan describes one stack" in err


def test_merged_json_is_what_json_dumps_writes() -> None:
    """The parent joins the stacks' own dumps instead of parsing and dumping them again."""
    from session_manager.config.shards import Shards

    plans = [{"stack": "a", "resources": [{"urn": "x", "inputs": {"b": [1, {"c": "d\ne"}]}}]}, {}]
    sharding = Sharding("org", "session-manager", Shards(count=1))
    rendered = [json.dumps(p, indent=2, sort_keys=True) for p in plans]
    expected = json.dumps(
        {"shards": {"count": 1, "stack": "org"}, "stacks": plans}, indent=2, sort_keys=True
    )
    assert merged_json(sharding, rendered) == expected


def test_a_shard_stack_named_by_stack_is_refused_with_the_shard_option(
    sharded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shard stack reads the organization's stack file (pulumi --config-file,
    pulumi/pulumi pkg/cmd/pulumi/config/io.go): `--stack organization-shard-2` is
    `--stack organization --shard 2`, whether or not the shard has a file of its own
    (a copy of the organization's file planned a second sharded organization, and
    failed in the workers with a traceback)."""
    expected = (
        "error: stack 'organization-shard-2' is shard 2 of 'organization', and reads "
        "Pulumi.organization.yaml: use --stack organization --shard 2"
    )
    for own_file in (False, True):
        if own_file:
            shutil.copy(
                sharded / "Pulumi.organization.yaml", sharded / "Pulumi.organization-shard-2.yaml"
            )
        for command, *extra in (
            ("plan",),
            ("verify",),
            ("adopt", "--out", str(sharded / "import.json")),
            # Every command that takes --stack says the same (before, these three read
            # the shard's own file, or said it had no Pulumi.organization-shard-2.yaml).
            ("shards",),
            ("emulate", "--endpoint-url", "http://127.0.0.1:9"),
            ("demo",),
        ):
            argv = [command, "--stack", "organization-shard-2", "--project-dir", str(sharded)]
            err = _usage_error(capsys, *argv, *extra)
            assert expected in err, (own_file, command)
            assert "Traceback" not in err
            assert err.startswith(f"python -m session_manager {command}: error:"), err


def test_emulate_and_demo_refuse_a_sharded_organization_alike(
    sharded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """emulate refused a sharded stack, but demo emulated its shared stack alone and
    said "in sync", which read as the whole organization checked (fresh review)."""
    for command, *extra in (("emulate", "--endpoint-url", "http://127.0.0.1:9"), ("demo",)):
        code, out, err = _run(
            capsys, command, "--stack", "organization", "--project-dir", str(sharded), *extra
        )
        assert code == 2, (command, out, err)
        assert f"{command} takes one unsharded stack" in err + out
        assert "`verify --stack organization` (docs/shards.md)" in err
        assert "listening" not in out
        assert "Traceback" not in err


def test_a_shard_stack_out_of_range_is_said_to_be(
    sharded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--stack organization-shard-9` of an organization with shards 0-3 names no
    stack: suggesting `--shard 9` (refused in turn) sent the user round in a circle."""
    for command in ("plan", "verify", "shards"):
        argv = [command, "--stack", "organization-shard-9", "--project-dir", str(sharded)]
        err = _usage_error(capsys, *argv)
        assert "has shards 0-3" in err, err
        assert "shard 9 is out of range" in err
        assert "--shard 9" not in err


def test_the_documented_ou_accounts_fill_every_shard_of_the_example(
    sharded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The example's own `--ou-accounts` (its header, and docs/shards.md's recipe and CI
    variable) once gave 555555555555 and 666666666666 only: with the named accounts,
    shards 1, 2 and 3 held accounts and organization-shard-0 none, so the example's
    "4 shards" showed an empty one. Every shard holds an account with the documented
    list (jump hash, `shard_of`; the plan decides by the same function)."""
    header = SHARDED.read_text()
    documented = re.findall(r"--ou-accounts (ou-\S+=[0-9,]+)", header)
    assert len(documented) == 1
    ou = documented[0]
    shards_doc = (ROOT / "docs/shards.md").read_text()
    assert f"OU={ou} " in shards_doc
    assert f"(`{ou}`)" in shards_doc
    code, out, _ = _run(
        capsys, "plan", "--stack", "organization", "--project-dir", str(sharded),
        "--ou-accounts", ou, "--summary",
    )  # fmt: skip
    assert code == 0
    listed = re.finditer(r"^\s*(\d+)  resources in stack (\S+)$", out, re.M)
    counts = {m[2]: int(m[1]) for m in listed}
    shards = {f"organization-shard-{i}" for i in range(4)}
    assert shards <= set(counts)
    assert all(counts[s] > 0 for s in shards), counts
