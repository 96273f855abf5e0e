"""One summary for the matrix jobs of a sharded organization (docs/shards.md, CI).

Each matrix job uploads an artifact `<prefix>-<part>` holding `status` (its command's
exit code) and `report.md`; this reads them from `--reports` in the order of
`--stacks` (`python -m session_manager shards --json`'s list: the shared stack, then
shard 0, 1, ...), writes a table of every stack's result and then each report, and
exits 1 when a stack failed or left no report (its job failed before it could write
one), or when no stack is listed: a shard that fails is reported, not lost.

Standard library only: it runs on the runner's python3, outside the project's venv.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def summarize(
    reports: Path, prefix: str, stack: str, stacks: list[dict[str, str]], *, ok: set[int],
    title: str,
) -> tuple[str, bool]:  # fmt: skip
    rows: list[str] = []
    bodies: list[str] = []
    passed = bool(stacks)  # none listed: the job that lists them failed
    for listed in stacks:
        part, name = listed["part"], listed["stack"]
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
        f"### {title}: {stack}, {len(stacks)} stacks",
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
    parser.add_argument(
        "--stacks", required=True, help='JSON list of {"part", "stack"}: `shards --json`'
    )
    parser.add_argument("--ok", default="0", help="exit codes that pass, comma-separated")
    parser.add_argument("--title", required=True)
    args = parser.parse_args(argv)
    stacks = json.loads(args.stacks or "[]")
    ok = {int(code) for code in args.ok.split(",")}
    text, passed = summarize(args.reports, args.prefix, args.stack, stacks, ok=ok, title=args.title)
    print(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
