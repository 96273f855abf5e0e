"""The plan's output is byte-identical before and after performance work.

`golden_plans.json` holds the SHA-256 of what `python -m session_manager plan`
printed (text, `--json` and `--summary`) for the dev stack and the organization
example, generated from the code before the runtime levers of `make bench`
(collection paused, stack capture skipped, document content from only the
Output-valued inputs) went in. A lever that changes a single byte fails here.

A change that means to change the plan regenerates the digests, and says why in
its commit:  PYTHONPATH=tests .venv/bin/python tests/offline/test_golden_plans.py --write
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, cli

GOLDEN = Path(__file__).with_name("golden_plans.json")
# name -> (stack file, extra CLI arguments)
STACKS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "dev": (ROOT / "Pulumi.dev.yaml", ()),
    # The OU target lists two accounts, one of them excluded by the stack file.
    "organization": (
        ROOT / "examples/organization/Pulumi.organization.yaml",
        ("--ou-accounts", "ou-ab12-cdef3456=555555555555,444444444444"),
    ),
}
FORMATS: dict[str, tuple[str, ...]] = {"text": (), "json": ("--json",), "summary": ("--summary",)}


def plan_digests(name: str) -> dict[str, str]:
    """SHA-256 of each plan format the CLI prints for one stack."""
    stack_file, extra = STACKS[name]
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for file in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / file, project / file)
        shutil.copy(stack_file, project / stack_file.name)
        for fmt, flags in FORMATS.items():
            result = cli("plan", "--stack", stack, *extra, *flags, cwd=project)
            assert result.returncode == 0, result.stderr
            digests[fmt] = hashlib.sha256(result.stdout.encode()).hexdigest()
    return digests


@pytest.mark.parametrize("name", sorted(STACKS))
def test_plan_output_matches_the_golden_digest(name: str) -> None:
    golden = json.loads(GOLDEN.read_text())
    assert plan_digests(name) == golden[name]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.write_text(
        json.dumps({name: plan_digests(name) for name in sorted(STACKS)}, indent=2) + "\n"
    )
    print(f"wrote {GOLDEN}")
