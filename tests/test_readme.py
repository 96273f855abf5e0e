"""Every Python code block in README.md runs, under Pulumi's mock runtime.

Blocks are found generically: every fenced block whose info string is `python`, at
any indentation (inside a list too). A block that genuinely cannot run here is
opted out by the line right before its fence, `<!-- readme-test: skip (reason) -->`,
and the reason is required.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from session_manager.args_check import ArgsError
from session_manager.offline.plan import Plan, record_program

README = ROOT / "README.md"
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[^`\s]*)\s*$")
OPT_OUT = re.compile(r"^\s*<!--\s*readme-test:\s*skip\s*(?:\((?P<reason>[^)]*)\))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    code: str
    opt_out: str | None  # the marker's reason ("" when it gives none), None when it runs


def python_blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        if opening["info"] == "python":
            before = next((line for line in reversed(lines[:index]) if line.strip()), "")
            marker = OPT_OUT.match(before)
            code = textwrap.dedent("\n".join(lines[index + 1 : end]))
            opt_out = (marker["reason"] or "").strip() if marker else None
            blocks.append(Block(index + 1, code, opt_out))
        index = end + 1
    return blocks


def run_block(code: str, path: Path = README) -> Plan:
    """Run one block as a Pulumi program under the mocks, with a stack's usual config."""
    compiled = compile(code, str(path), "exec")
    return record_program(
        lambda: exec(compiled, {"__name__": "__main__"}),
        config={"aws:region": "us-east-1"},
    )


BLOCKS = python_blocks(README.read_text())


def test_the_readme_has_python_blocks_and_every_opt_out_gives_a_reason() -> None:
    assert [b for b in BLOCKS if b.opt_out is None], "no runnable python block found"
    for block in BLOCKS:
        assert block.opt_out != "", f"README.md:{block.line}: say why the block cannot run"


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.opt_out is None], ids=lambda b: f"README.md:{b.line}"
)
def test_readme_python_block_runs(block: Block) -> None:
    plan = run_block(block.code)
    # A block that makes components must have made resources, not stopped half way.
    if "session_manager import" in block.code:
        assert [r for r in plan.resources if r.custom], f"README.md:{block.line} created nothing"


def test_discovery_finds_indented_blocks_and_opt_outs() -> None:
    text = (
        "1. A step:\n\n   ```python\n   x = 1\n   ```\n\n"
        "<!-- readme-test: skip (needs a real AWS account) -->\n```python\nimport boto3\n```\n"
        "```bash\necho no\n```\n"
    )
    blocks = python_blocks(text)
    assert [(b.line, b.code, b.opt_out) for b in blocks] == [
        (3, "x = 1", None),
        (8, "import boto3", "needs a real AWS account"),
    ]


def test_the_runner_fails_on_a_block_that_drifted_from_the_api() -> None:
    # The README's example before issue 14: `log_group_arns` is not an argument.
    drifted = (
        "from session_manager import SessionManagerInstanceAccess\n"
        'SessionManagerInstanceAccess("a", {"log_group_arns": ["arn"]})\n'
    )
    with pytest.raises(ArgsError, match="did you mean 'log_group_names'"):
        run_block(drifted)
