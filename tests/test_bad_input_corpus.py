"""The corpus of bad input (tests/bad_inputs/): every case refused with the words it names.

Each YAML file there is a list of cases of one area; add a case by adding an entry.

- A stack case (`config:` merged over `aws:region: us-east-1`, or a whole `file:`, or a
  `project:` file in place of Pulumi.yaml) runs
  through `plan` in-process and must exit `exit` (default 2) with every word of `says` in
  what it printed, and no traceback.
- A CLI case (`argv:`, with `{project}` and `{tmp}` filled in) runs `main(argv)` the same way.
- A component case (`component:`, `args:`) builds that component under the mock runtime
  and must raise a `pulumi.RunError` (which `pulumi up` prints without a traceback) with
  those words.
- `warns:` in place of `says:` marks a setting AWS accepts that does nothing, which the
  plan answers with a warning holding the fix (config/limits.py `limit_warnings`): the
  plan must succeed (exit 0) and its `warning:` lines must hold every word of `warns`.
- `gap:` marks a case AWS refuses and the plan still accepts, waiting for the named pass;
  it is a strict xfail, so the case fails loudly once the plan refuses it: drop `gap:` then.
- `emulate: true` also applies the stack to moto (`emulate`): whatever the emulator
  refuses, the plan must refuse too. `emulate: refused` says moto refuses it today
  (with `gap:`, a strict xfail until the plan refuses it too).

`{{x*N}}` in any text stands for `x` repeated N times (long names, big documents).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import requests
import session_manager
import yaml
from conftest import cli, write_stack
from session_manager.cli import main
from session_manager.offline.plan import record_program

CORPUS = Path(__file__).parent / "bad_inputs"
GOOD_STACK = "config:\n  aws:region: us-east-1\n"


def _expand(value: Any) -> Any:
    """`{{x*N}}` written out, in every string and key of a case."""
    if isinstance(value, str):
        return re.sub(r"\{\{(.+?)\*(\d+)\}\}", lambda m: m[1] * int(m[2]), value, flags=re.S)
    if isinstance(value, dict):
        return {_expand(k): _expand(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_expand(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def _all_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(CORPUS.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield path.stem, _expand(case)


ALL_CASES = list(_all_cases())


def _params(kind: str) -> list[Any]:
    params: list[Any] = []
    for area, case in ALL_CASES:
        if kind not in case and not (kind == "config" and ("file" in case or "project" in case)):
            continue
        marks = [pytest.mark.xfail(strict=True, reason=case["gap"])] if case.get("gap") else []
        params.append(pytest.param(case, id=f"{area}:{case['id']}", marks=marks))
    return params


def _stack_text(case: dict[str, Any]) -> str:
    if "file" in case:
        return str(case["file"])
    config: dict[str, Any] = {} if case.get("base") is False else {"aws:region": "us-east-1"}
    config.update(case.get("config") or {})
    return yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True)


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    """`main(argv)` in-process: its exit code (argparse's too) and everything it printed."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses a flag with exit 2
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _assert_refused(case: dict[str, Any], code: int, output: str) -> None:
    """Refused with the words of `says`, or (`warns`) planned with a warning holding them."""
    assert "Traceback" not in output, output
    if "warns" in case:
        assert code == 0, output
        said = "\n".join(line for line in output.splitlines() if line.startswith("warning:"))
        words = case["warns"]
    else:
        assert code == case.get("exit", 2), output
        said, words = output, case["says"]
    missing = [word for word in words if word.lower() not in said.lower()]
    assert not missing, f"{missing} not in: {output}"


@pytest.fixture(scope="module")
def stack_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_stack(tmp_path_factory.mktemp("corpus-stack"), GOOD_STACK)


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = write_stack(tmp_path_factory.mktemp("corpus-cli"), GOOD_STACK)
    (project / "list.json").write_text("[1, 2]\n")
    (project / "binary.json").write_bytes(b"\xff\xfe\x00\x81 not text")
    (project / "empty.json").write_text("")
    (project / "object.json").write_text('{"resources": "none"}\n')
    (project / "folder-stack").mkdir()
    (project / "folder-stack" / "Pulumi.yaml").write_text((project / "Pulumi.yaml").read_text())
    (project / "folder-stack" / "Pulumi.folder.yaml").mkdir()
    resource = '{"urn": "urn:x", "type": "aws:kms/key:Key", "name": "k", %s}'
    for name, field in (("options-text", '"options": "bad"'), ("inputs-list", '"inputs": [1, 2]')):
        (project / f"{name}.json").write_text('{"resources": [%s]}\n' % (resource % field))
    (project / "Pulumi.dup.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  aws:region: eu-west-1\n"
    )
    return project


# --- The corpus as a whole ------------------------------------------------------------


def test_the_corpus_holds_at_least_250_cases_with_unique_ids() -> None:
    ids = [f"{area}:{case['id']}" for area, case in ALL_CASES]
    assert len(ids) >= 250, len(ids)
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]
    for _, case in ALL_CASES:
        assert bool(case.get("says")) != bool(case.get("warns")), (
            f"{case['id']} names no words (or both says and warns) its message must hold"
        )
        assert not ("warns" in case and "config" not in case), f"{case['id']}: warns is for config"


# --- Stack config and stack files, through `plan` ---------------------------------------


@pytest.mark.parametrize("case", _params("config"))
def test_plan_refuses_each_bad_stack(
    case: dict[str, Any], stack_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (stack_project / "Pulumi.t.yaml").write_text(_stack_text(case), encoding="utf-8")
    project_file = stack_project / "Pulumi.yaml"
    good_project = project_file.read_text(encoding="utf-8")
    project_file.write_text(case.get("project", good_project), encoding="utf-8")
    try:
        code, output = _run(
            capsys, ["plan", "--stack", "t", "--project-dir", str(stack_project), "--summary"]
        )
    finally:
        project_file.write_text(good_project, encoding="utf-8")
    _assert_refused(case, code, output)


GOOD_INPUTS = sorted((Path(__file__).parent / "good_inputs").glob("*.yaml"))


@pytest.mark.parametrize("stack_file", GOOD_INPUTS, ids=[p.stem for p in GOOD_INPUTS])
def test_plan_accepts_each_good_stack_at_the_edges(
    stack_file: Path, stack_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tests/good_inputs/: stack files at the edges of what AWS allows (limits, partitions,
    Unicode), from the reviews: each check added for the bad ones must let them pass."""
    (stack_project / "Pulumi.t.yaml").write_text(stack_file.read_text(encoding="utf-8"))
    code, output = _run(
        capsys, ["plan", "--stack", "t", "--project-dir", str(stack_project), "--summary"]
    )
    assert code == 0, output
    assert "Traceback" not in output, output


# --- Command lines ----------------------------------------------------------------------


@pytest.mark.parametrize("case", _params("argv"))
def test_each_bad_command_line_exits_with_one_error(
    case: dict[str, Any],
    cli_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [a.format(project=cli_project, tmp=tmp_path) for a in case["argv"]]
    code, output = _run(capsys, argv)
    _assert_refused(case, code, output)


@pytest.mark.parametrize(
    "argv",
    [
        ["config-reference", "--write", "{tmp}"],
        ["adopt", "--stack", "t", "--out", "{tmp}/missing/import.json"],
        ["plan", "--stack", "t", "--diff", "{tmp}"],
    ],
    ids=["config-reference", "adopt", "plan-diff"],
)
def test_broken_file_arguments_print_no_traceback_from_the_real_cli(
    tmp_path: Path, argv: list[str]
) -> None:
    result = cli(*[a.format(tmp=tmp_path) for a in argv])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("python -m session_manager")


# --- Components used from Python ---------------------------------------------------------


@pytest.mark.parametrize("case", _params("component"))
def test_each_component_refuses_bad_args_with_a_run_error(case: dict[str, Any]) -> None:
    component = getattr(session_manager, case["component"])
    with pytest.raises(pulumi.RunError) as caught:
        record_program(lambda: component("corpus", case["args"]))
    message = str(caught.value)
    missing = [word for word in case["says"] if word.lower() not in message.lower()]
    assert not missing, f"{missing} not in: {message}"


# --- What the emulator refuses, the plan refuses ------------------------------------------


def _emulate_params() -> list[Any]:
    params: list[Any] = []
    for area, case in ALL_CASES:
        if not case.get("emulate"):
            continue
        marks = (
            [pytest.mark.xfail(strict=True, reason=case["gap"])]
            if case.get("gap") and case["emulate"] == "refused"
            else []
        )
        params.append(pytest.param(case, id=f"{area}:{case['id']}", marks=marks))
    return params


@pytest.fixture
def clean_emulator(emulator_url: str) -> Iterator[str]:
    """The emulator, reset after the test too: moto's backends are global to the process,
    so what a case created would otherwise meet the next in-process moto (the demo's)."""
    yield emulator_url
    requests.post(f"{emulator_url}/moto-api/reset", timeout=10)


@pytest.mark.parametrize("case", _emulate_params())
def test_plan_refuses_whatever_the_emulator_refuses(
    case: dict[str, Any], clean_emulator: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator_url = clean_emulator
    project = write_stack(tmp_path, _stack_text(case))
    stack = ["--stack", "t", "--project-dir", str(project)]
    plan_code, plan_output = _run(capsys, ["plan", *stack, "--summary"])
    emulate_code, emulate_output = _run(capsys, ["emulate", *stack, "--endpoint-url", emulator_url])
    assert "Traceback" not in plan_output + emulate_output
    if case["emulate"] == "refused" and plan_code == 0:
        assert emulate_code == 1, f"moto no longer refuses it: {emulate_output}"
    # emulate plans first: a refused plan is exit 2 there too, before any create call.
    assert emulate_code != 0 or plan_code == 0, emulate_output
    assert plan_code != 0 or emulate_code == 0, (
        f"moto refused what the plan accepted: {emulate_output}"
    )
