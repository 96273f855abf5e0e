"""`plan --diff` of a sharded organization shows the access answers a change flips.

Every stack of a sharded organization reads the same stack file and request table
(docs/shards.md), so the merged `plan --json` carries the table's answers once, and the
default `plan --diff` (every stack, merged) prints "Access answers that change" as an
unsharded stack's diff does; the merged output is the same bytes for any --jobs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from offline.test_jit_check import stack_dir
from session_manager.cli import main

FLIPPED = (
    "Access answers that change:\n"
    "~ access request 'developer to a dev node': auto-approved -> denied\n"
)


def test_sharded_plan_diff_shows_the_flipped_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = stack_dir(tmp_path)
    stack = where / "Pulumi.just-in-time.yaml"
    stack.write_text(stack.read_text() + "  session-manager:shards:\n    count: 2\n")
    plan = ["plan", "--stack", "just-in-time", "--project-dir", str(where)]
    outputs: list[str] = []
    for jobs in ("1", "2"):
        assert main([*plan, "--json", "--jobs", jobs]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "developer to a dev node" in json.loads(outputs[0])["justInTimeAnswers"]
    base = where / "base.json"
    base.write_text(outputs[0])
    stack.write_text(stack.read_text().replace('== "dev" };', '== "production" };'))
    for jobs in ("1", "2"):
        assert main([*plan, "--diff", str(base), "--jobs", jobs]) == 0
        assert capsys.readouterr().out.startswith(FLIPPED)
    assert main([*plan, "--diff", str(base), "--json", "--jobs", "1"]) == 0
    flips = json.loads(capsys.readouterr().out)["accessAnswers"]
    assert "~ access request 'developer to a dev node': auto-approved -> denied" in flips
