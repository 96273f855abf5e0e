"""Every Python code block in README.md, CONTRIBUTING.md and docs/ runs, under the mocks.

Blocks are found generically: every fenced block whose info string is `python`, at
any indentation (inside a list too). A block that genuinely cannot run here is
opted out by the line right before its fence, `<!-- readme-test: skip (reason) -->`,
and the reason is required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from doc_blocks import fenced_blocks
from session_manager.args_check import ArgsError
from session_manager.offline.plan import Plan, record_program

README = ROOT / "README.md"
DOCS = [README, ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
OPT_OUT = re.compile(r"^\s*<!--\s*readme-test:\s*skip\s*(?:\((?P<reason>[^)]*)\))?\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    code: str
    opt_out: str | None  # the marker's reason ("" when it gives none), None when it runs
    path: Path = README

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(text: str, path: Path = README) -> list[Block]:
    blocks: list[Block] = []
    for fenced in fenced_blocks(text):
        if fenced.info == "python":
            marker = OPT_OUT.match(fenced.before)
            opt_out = (marker["reason"] or "").strip() if marker else None
            blocks.append(Block(fenced.line, fenced.code, opt_out, path))
    return blocks


def run_block(code: str, path: Path = README) -> Plan:
    """Run one block as a Pulumi program under the mocks, with a stack's usual config."""
    compiled = compile(code, str(path), "exec")
    return record_program(
        lambda: exec(compiled, {"__name__": "__main__"}),
        config={"aws:region": "us-east-1"},
    )


BLOCKS = [block for path in DOCS for block in python_blocks(path.read_text(), path)]


def test_the_docs_have_python_blocks_and_every_opt_out_gives_a_reason() -> None:
    assert [b for b in BLOCKS if b.opt_out is None and b.path == README], "none in README"
    for block in BLOCKS:
        assert block.opt_out != "", f"{block}: say why the block cannot run"


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.opt_out is None], ids=str)
def test_readme_python_block_runs(block: Block) -> None:
    plan = run_block(block.code, block.path)
    # A block that makes components must have made resources, not stopped half way.
    if "session_manager import" in block.code:
        assert [r for r in plan.resources if r.custom], f"{block} created nothing"


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
