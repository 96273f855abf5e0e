"""One summary for the matrix jobs of a sharded organization (docs/shards.md, CI).

Each matrix job uploads an artifact `<prefix>-<part>` holding `status` (its command's
exit code) and `report.md`; this reads them from `--reports` in stack order (the
shared stack, then shard 0, 1, ...), writes a table of every stack's result and then
each report, and exits 1 when a stack failed or left no report (its job failed
before it could write one): a shard that fails is reported, not lost.

Standard library only: it runs on the runner's python3, outside the project's venv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def part_stack(stack: str, part: str) -> str:
    return stack if part == "shared" else f"{stack}-shard-{part}"


def summarize(
    reports: Path, prefix: str, stack: str, parts: list[str], *, ok: set[int], title: str
) -> tuple[str, bool]:
    rows: list[str] = []
    bodies: list[str] = []
    passed = True
    for part in parts:
        name = part_stack(stack, part)
        folder = reports / f"{prefix}-{part}"
        status_file, report_file = folder / "status", folder / "report.md"
        if not status_file.is_file():
            rows.append(f"| `{name}` | no report: its job failed before writing one |")
            passed = False
            continue
        text = status_file.read_text().strip()
        code = int(text) if text.isdigit() else -1
        good = code in ok
        passed = passed and good
        rows.append(f"| `{name}` | {'ok' if good else 'FAILED'} (exit {code}) |")
        body = report_file.read_text() if report_file.is_file() else "(no report)\n"
        bodies.append(f"<details><summary>{name}</summary>\n\n{body}\n</details>\n")
    lines = [
        f"### {title}: {stack}, {len(parts)} stacks",
        "",
        "| stack | result |",
        "| --- | --- |",
    ]
    return "\n".join([*lines, *rows, "", *bodies]), passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=Path, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--shards", required=True, help="JSON list of shard numbers")
    parser.add_argument("--ok", default="0", help="exit codes that pass, comma-separated")
    parser.add_argument("--title", required=True)
    args = parser.parse_args(argv)
    numbers = [p.strip(' "') for p in args.shards.strip("[] ").split(",") if p.strip(' "')]
    parts = ["shared", *numbers]
    ok = {int(code) for code in args.ok.split(",")}
    text, passed = summarize(args.reports, args.prefix, args.stack, parts, ok=ok, title=args.title)
    print(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
