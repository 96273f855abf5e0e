"""`python -m session_manager shards`: the stacks CI's matrices run, from the stack
file, and the guard that stops a deploy while the count changed under the stacks.

Changing shards.count moves accounts between stacks; until `pulumi state move` ran,
a `pulumi up` would create the moved accounts' resources again in one stack and
delete them in the other (pulumi/pulumi pkg/cmd/pulumi/state/state_move.go moves
resources between stacks' states; without it the engine sees new and removed
resources, pkg/resource/deploy/step_generator.go). So a stack whose last `pulumi up`
exported another shardCount than the file's is refused before `pulumi up`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from session_manager.cli import main
from session_manager.offline.load import load_plan

ROOT = Path(__file__).resolve().parents[1]
SHARDED = ROOT / "examples/organization-shards/Pulumi.organization.yaml"
UNSHARDED = ROOT / "examples/organization/Pulumi.organization.yaml"


def _project(tmp_path: Path, stack_file: Path, count: object = None) -> Path:
    folder = tmp_path / f"{stack_file.parent.name}-{count}"
    folder.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    text = stack_file.read_text()
    if count is not None:
        text = text.replace("    count: 4\n", f"    count: {count}\n")
    (folder / stack_file.name).write_text(text)
    return folder


def _shards(capsys: pytest.CaptureFixture[str], folder: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["shards", "--stack", "organization", "--project-dir", str(folder), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_stacks_come_from_the_stack_files_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(tmp_path, SHARDED, count=5)
    code, out, _ = _shards(capsys, folder, "--json")
    assert code == 0
    assert out.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    listing = json.loads(out)
    assert listing["count"] == 5
    assert listing["stacks"][0] == {"part": "shared", "stack": "organization"}
    assert listing["shards"] == [
        {"part": str(i), "stack": f"organization-shard-{i}"} for i in range(5)
    ]
    assert listing["stacks"][1:] == listing["shards"]
    unsharded = _project(tmp_path, UNSHARDED)
    code, out, _ = _shards(capsys, unsharded, "--json")
    assert (code, json.loads(out)) == (0, {"count": 0, "stacks": [], "shards": []})


def test_an_invalid_count_is_refused_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(tmp_path, SHARDED, count='"4"')
    code, out, err = _shards(capsys, folder, "--json")
    assert (code, out) == (2, "")
    assert "session-manager:shards.count: must be a whole number from 1 to 100, got '4'" in err


def _outputs(tmp_path: Path, name: str, outputs: dict[str, object]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(outputs))
    return str(path)


def test_a_deploy_is_refused_while_a_stack_deployed_with_another_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _project(tmp_path, SHARDED, count=5)
    four = _outputs(tmp_path, "four.json", {"accounts": {}, "shardCount": 4})
    five = _outputs(tmp_path, "five.json", {"accounts": {}, "shardCount": 5})
    unsharded = _outputs(tmp_path, "unsharded.json", {"accounts": {}})
    never = _outputs(tmp_path, "never.json", {})
    code, _, err = _shards(capsys, folder, "--check-deployed", five, "--check-deployed", four)
    assert code == 1
    assert "four.json: that stack last deployed with shardCount 4, but " in err
    assert "Pulumi.organization.yaml sets shards.count 5" in err
    assert "five.json" not in err
    # Adding shards to an organization stack that deployed unsharded moves every account.
    code, _, err = _shards(capsys, folder, "--check-deployed", unsharded)
    assert code == 1
    assert "last deployed with shardCount 0" in err
    # A stack that never deployed (a new shard) has nothing to move out.
    assert _shards(capsys, folder, "--check-deployed", five, "--check-deployed", never)[0] == 0
    garbage = _outputs(tmp_path, "garbage.json", [])  # type: ignore[arg-type]
    assert _shards(capsys, folder, "--check-deployed", garbage)[0] == 2
    # Bad input says what is wrong: a missing file, a count of the wrong type (the
    # program exports a number; "4" must not read as "deployed with 4, but sets 4").
    code, _, err = _shards(capsys, folder, "--check-deployed", str(tmp_path / "nonexistent"))
    assert (code, err.strip()) == (2, f"shards: {tmp_path / 'nonexistent'}: file not found")
    texted = _outputs(tmp_path, "texted.json", {"shardCount": "5"})
    code, _, err = _shards(capsys, folder, "--check-deployed", texted)
    assert code == 2
    assert "texted.json: shardCount is '5', not a whole number" in err
    assert "but Pulumi.organization.yaml sets" not in err
    # An unsharded stack file and an unsharded stack agree.
    plain = _project(tmp_path, UNSHARDED)
    assert _shards(capsys, plain, "--check-deployed", unsharded)[0] == 0


def test_every_stack_exports_the_count_the_check_compares(tmp_path: Path) -> None:
    """What `pulumi stack output --json` shows after `pulumi up` (program exports)."""
    folder = _project(tmp_path, SHARDED)
    shared = load_plan(folder, "organization")
    assert shared.outputs["shardCount"] == 4
    shard = load_plan(
        folder,
        "organization-shard-1",
        config_file="organization",
        stack_outputs={"organization/session-manager/organization": shared.outputs},
    )
    assert shard.outputs["shardCount"] == 4


_MISSING_OUTPUT = """
import json, sys
from session_manager.config.errors import ConfigError
from session_manager.offline.load import load_plan
try:
    load_plan(sys.argv[1], "organization-shard-1", config_file="organization",
              stack_outputs=json.loads(sys.argv[2]))
except ConfigError as exc:
    print(json.dumps(exc.problems))
"""


def test_a_missing_shared_output_fails_naming_the_output_and_the_stack(tmp_path: Path) -> None:
    """Today's main read "" as the central key's ARN: the bucket policy and the
    instances' kms:GenerateDataKey would name no key. (In a process of its own: the
    SDK's runtime is not reusable after an apply raised.)"""
    folder = _project(tmp_path, SHARDED)
    reference = "organization/session-manager/organization"
    for outputs in ({}, {reference: {"centralLogs": {"bucketName": "b"}}}):
        ran = subprocess.run(
            [sys.executable, "-c", _MISSING_OUTPUT, str(folder), json.dumps(outputs)],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert json.loads(ran.stdout) == [
            [
                "session-manager:shards.sharedStackReference",
                f"the shared stack {reference!r} has no output centralLogs.kmsKeyArn: deploy "
                "the shared stack first (pulumi up --stack organization), or set "
                "shards.sharedStackReference to its name (docs/shards.md)",
            ]
        ], ran.stderr[-2000:]


def test_a_configured_reference_names_the_shared_stack_for_a_legacy_backend(
    tmp_path: Path,
) -> None:
    """A self-managed backend in the legacy layout parses the reference as a bare stack
    name (pulumi/pulumi pkg/backend/diy/store.go legacyReferenceStore.ParseReference):
    `organization/<project>/<stack>` fails there, `sharedStackReference` fixes it: the
    shard reads the shared stack's outputs under that name."""
    folder = _project(tmp_path, SHARDED)
    stack_file = folder / SHARDED.name
    stack_file.write_text(
        stack_file.read_text().replace(
            "    count: 4\n", "    count: 4\n    sharedStackReference: organization\n"
        )
    )
    shared = load_plan(folder, "organization")
    shard = load_plan(
        folder,
        "organization-shard-1",
        config_file="organization",
        stack_outputs={"organization": shared.outputs},
    )
    key_arn = shared.outputs["centralLogs"]["kmsKeyArn"]
    assert key_arn
    assert key_arn in json.dumps([r.inputs for r in shard.resources])


def _named(tmp_path: Path, stack: str) -> Path:
    """The sharded example's stack file as `Pulumi.<stack>.yaml`."""
    folder = tmp_path / f"named-{len(stack)}-{stack[:20]}"
    folder.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copy(SHARDED, folder / f"Pulumi.{stack}.yaml")
    return folder


@pytest.mark.parametrize("stack", ["eu-shard", "prod-shards"])
def test_shards_and_plan_agree_on_a_name_that_only_contains_shard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stack: str
) -> None:
    """`shards` listed `eu-shard` and `eu-shard-shard-0` ... for CI's matrix, while
    `plan` (and the program, so every `pulumi up`) refused `eu-shard` as a mistyped shard
    of `eu`: a name is a shard's only as `<stack>-shard-<n>` (docs/shards.md)."""
    folder = _named(tmp_path, stack)
    common = ["--stack", stack, "--project-dir", str(folder)]
    assert main(["shards", *common, "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [s["stack"] for s in listing["stacks"]] == [
        stack, *(f"{stack}-shard-{i}" for i in range(4))
    ]  # fmt: skip
    for one in ([], ["--shard", "shared"], ["--shard", "2"]):
        code = main(["plan", *common, *one, "--summary"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "resources in all" in out


@pytest.mark.parametrize(
    ("stack", "key"),
    [
        ("organization-shard2", "session-manager:shards"),
        ("o" * 93, "session-manager:shards.count"),  # o...o-shard-3: 101 characters
    ],
    ids=["mistyped-shard", "too-long"],
)
def test_shards_refuses_the_stacks_plan_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stack: str, key: str
) -> None:
    """A stack name `plan` refuses is never listed for CI's matrix either: `shards`
    exits 2 with plan's message. A shard stack name over Pulumi's 100 characters
    (pulumi/pulumi sdk/go/common/tokens/stack_name.go ParseStackName, "a stack name
    cannot exceed 100 characters") could never be created by `pulumi stack init`."""
    folder = _named(tmp_path, stack)
    common = ["--stack", stack, "--project-dir", str(folder)]
    assert main(["shards", *common, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    message = captured.err.strip().removeprefix("shards: ")
    assert f"  - {key}: " in message
    adopt = ["adopt", "--out", str(tmp_path / "i.json")]
    for command in (["plan"], ["plan", "--shard", "0"], ["verify"], adopt):
        assert main([*command, *common]) == 2
        captured = capsys.readouterr()
        assert message in captured.err
