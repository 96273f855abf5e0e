"""`requestTable` is read from the stack file's directory only, like `policyFile`
(config/jit.py read_policy_file): a stack file from a pull request must not make
`jit check` or `plan` read (and answer from) files elsewhere on the machine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from offline.test_jit_check import EXAMPLE, check, edited_stack
from session_manager.offline.jit_check import PlanError, plan_answers


def _outside_table(tmp_path: Path) -> Path:
    (tmp_path / "stack").mkdir()
    where = edited_stack(
        tmp_path / "stack",
        "    requestTable: jit-requests.yaml\n",
        "    requestTable: ../outside/jit-requests.yaml\n",
    )
    (tmp_path / "outside").mkdir()
    shutil.copy(EXAMPLE / "jit-requests.yaml", tmp_path / "outside" / "jit-requests.yaml")
    return where


def test_a_request_table_outside_the_stack_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = _outside_table(tmp_path)
    code, out = check(capsys, where)
    assert code == 2
    assert "session-manager:justInTimeAccess.requestTable: '../outside/jit-requests.yaml'" in out
    assert "outside the stack file's directory" in out
    with pytest.raises(PlanError, match="outside the stack file's directory"):
        plan_answers(where, "just-in-time")
