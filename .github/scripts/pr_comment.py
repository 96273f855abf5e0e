"""Builds the pull-request comment of plan diffs so that no diff can leave its code block.

preview-comment.yml runs this file from the default branch (never the pull
request's copy), with a write token, on text a fork's run uploaded. Standard
library only: the job installs nothing.

CommonMark 0.31, "Fenced code blocks": a closing fence is a run of at least as many
backticks as the opening one, indented 0-3 spaces; a backtick fence is closed only
by backticks. So a fence one backtick longer than the longest backtick run anywhere
in the text cannot be closed by any of its lines, indented or not, and `~~~` lines
and HTML inside it stay literal text.
"""

from __future__ import annotations

import re
import sys
from itertools import accumulate
from pathlib import Path

MARKER = "<!-- session-manager offline plan diff -->"
# GitHub rejects an issue comment body over 65,536 characters. Counting UTF-8 bytes
# instead of characters can only over-count, so the comment always fits.
COMMENT_LIMIT = 65_536
# Stack names come from the artifact's file names, which the pull request controls.
STACK_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def code_block(text: str, info: str = "diff") -> str:
    """`text` in a backtick fence longer than any backtick run in it (at least 3)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}\n"


def heading(stack: str) -> str:
    return f"### Offline plan: what this pull request changes in {stack}\n"


def cut_note(summary_url: str) -> str:
    return (
        "\nThis diff is cut to fit a comment; the whole diff is in the "
        f"[job summary]({summary_url}).\n"
    )


def _fit(text: str, budget: int) -> str:
    """The longest run of whole leading lines whose code block fits in `budget` bytes."""
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        if used + size(line) + 1 > budget:
            break
        kept.append(line)
        used += size(line) + 1
    # A long backtick run in the kept lines lengthens both fences: drop lines until it fits.
    while kept and size(code_block("\n".join(kept))) > budget:
        kept.pop()
    return "\n".join(kept)


def more_stacks_note(count: int, summary_url: str) -> str:
    return (
        f"\n{count} more stack{'s' if count != 1 else ''}: see the [job summary]({summary_url}).\n"
    )


def _overhead(stack: str, summary_url: str) -> int:
    """What a cut stack takes with no diff line at all: heading, empty block, note."""
    return size(heading(stack)) + size(code_block("")) + size(cut_note(summary_url))


def build_comment(
    diffs: list[tuple[str, str]], summary_url: str, limit: int = COMMENT_LIMIT
) -> str:
    """The comment: the marker, then per stack a heading and its diff in one code block.

    When the whole does not fit in `limit`, each stack gets an equal share, its diff
    cut at a line end and followed by a link to the job summary that holds all of it.
    A share never drops below a stack's fixed overhead (heading, empty block, note):
    with too many stacks for that, the last ones are left out and one line says how
    many, pointing to the job summary.
    """
    for stack, _ in diffs:
        if not STACK_NAME.match(stack):
            # Not echoed: the name is the pull request's text and could carry "::" commands.
            raise ValueError("an artifact's stack name is not letters, digits, . _ - (1-100)")
    whole = MARKER + "\n" + "".join(heading(s) + code_block(d) for s, d in diffs)
    if size(whole) <= limit:
        return whole
    # The largest overhead among the first n stacks, for every n.
    largest = list(accumulate((_overhead(stack, summary_url) for stack, _ in diffs), max))
    shown, share = len(diffs), 0
    while shown:
        left_out = len(diffs) - shown
        room = limit - size(MARKER) - 1
        room -= size(more_stacks_note(left_out, summary_url)) if left_out else 0
        share = room // shown
        if share >= largest[shown - 1]:
            break
        shown -= 1
    parts = [MARKER + "\n"]
    for stack, diff in diffs[:shown]:
        block = heading(stack) + code_block(diff)
        if size(block) > share:
            fixed = size(heading(stack)) + size(cut_note(summary_url))
            block = heading(stack) + code_block(_fit(diff, share - fixed)) + cut_note(summary_url)
        parts.append(block)
    if shown < len(diffs):
        parts.append(more_stacks_note(len(diffs) - shown, summary_url))
    return "".join(parts)


def read_diffs(plans: Path) -> list[tuple[str, str]]:
    """Each `diff-<stack>.txt` the preview run uploaded (one folder per artifact)."""
    found: list[tuple[str, str]] = []
    for path in sorted(plans.glob("*/diff-*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        found.append((path.stem.removeprefix("diff-"), text.rstrip("\n")))
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: pr_comment.py PLANS_DIR SUMMARY_URL", file=sys.stderr)
        return 2
    try:
        comment = build_comment(read_diffs(Path(argv[0])), argv[1])
    except ValueError as error:
        print(f"pr_comment: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(comment)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
