"""Fenced code blocks of a Markdown page, for the doc tests (test_readme, test_docs)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

FENCE = re.compile(r"^(?P<indent>\s*)```(?P<info>[^`\s]*)\s*$")


@dataclass(frozen=True)
class Fenced:
    line: int  # 1-based line of the opening fence
    info: str  # the info string: python, yaml, bash, ...
    code: str  # dedented, so a block inside a list item reads as written
    before: str  # the last non-blank line before the fence (where markers go)


def fenced_blocks(text: str) -> Iterator[Fenced]:
    """Every fenced block at any indentation (inside a list too)."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        before = next((line for line in reversed(lines[:index]) if line.strip()), "")
        code = textwrap.dedent("\n".join(lines[index + 1 : end]))
        yield Fenced(index + 1, opening["info"], code, before)
        index = end + 1
