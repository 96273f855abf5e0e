"""`verify --format markdown`: the report for a CI job summary.

A table of accounts x Regions (in sync, drift, error), then each drifted field
with its wanted and actual values (for a policy, only the statements that
differ), then the targets that could not be checked. GitHub renders it in the
run's summary page (`$GITHUB_STEP_SUMMARY`).
"""

from __future__ import annotations

import json
from typing import Any

from session_manager.ops.drift.result import CANNOT_CHECK, DRIFT, IN_SYNC, Report, summarize

CELL = {IN_SYNC: "✅ in sync", DRIFT: "❌ drift", CANNOT_CHECK: "⚠️ error"}
OUTCOME = {
    IN_SYNC: "✅ in sync",
    DRIFT: "❌ drift found",
    CANNOT_CHECK: "⚠️ some targets could not be checked",
}
MAX_VALUE = 300


def _cell(text: str) -> str:
    """Text that cannot break a table row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    if len(text) > MAX_VALUE:
        text = text[: MAX_VALUE - 1] + "…"
    quoted = _cell(text).replace("`", "'")
    return f"`{quoted}`"


def _matrix(report: Report) -> list[str]:
    regions = sorted({r.region for r in report.results})
    accounts = sorted({r.account or r.target for r in report.results})
    cells: dict[tuple[str, str], str] = {}
    for result in report.results:
        text = CELL[result.status]
        if result.drifts:
            # An error does not hide the drift found before it: "⚠️ error + ❌ drift (n)".
            count = f"({len(result.drifts)})"
            text += f" {count}" if result.status == DRIFT else f" + {CELL[DRIFT]} {count}"
        cells[(result.account or result.target, result.region)] = text
    lines = [
        "| account | " + " | ".join(regions) + " |",
        "| --- | " + " | ".join("---" for _ in regions) + " |",
    ]
    for account in accounts:
        row = [cells.get((account, region), "n/a") for region in regions]
        lines.append(f"| {_cell(account)} | " + " | ".join(row) + " |")
    return lines


def markdown_report(report: Report) -> str:
    counts = summarize(report.results)
    lines = [
        f"## Drift report: {report.stack}",
        "",
        f"**{OUTCOME[report.exit_code]}** (exit {report.exit_code}): "
        f"{counts['in_sync']} in sync, {counts['drift']} drift, "
        f"{counts['cannot_check']} error, of {len(report.results)} account-Region(s).",
        "",
    ]
    if report.warnings:
        lines += [f"> ⚠️ {_cell(w)}" for w in report.warnings] + [""]
    if report.results:
        lines += [*_matrix(report), ""]
    drifted = [r for r in report.results if r.drifts]
    if drifted:
        lines += ["### Drift", "", "| account-Region | resource | field | wanted | actual |"]
        lines.append("| --- | --- | --- | --- | --- |")
        details: list[str] = []
        for result in drifted:
            for drift in result.drifts:
                if drift.statements:
                    wanted = f"{len(drift.wanted)} statement(s) missing"
                    actual = f"{len(drift.actual)} statement(s) not in the plan"
                    details += [
                        f"**{_cell(result.target)}**, {_cell(drift.resource)} {drift.field}:",
                        "",
                        "```diff",
                        *drift.detail_lines(),
                        "```",
                        "",
                    ]
                else:
                    wanted, actual = _value(drift.wanted), _value(drift.actual)
                cells = [result.target, drift.resource, drift.field]
                lines.append(
                    "| " + " | ".join(_cell(c) for c in cells) + f" | {wanted} | {actual} |"
                )
        lines.append("")
        if details:
            lines += ["#### Policy statements that differ", "", *details]
    errors = [r for r in report.results if r.error]
    if errors or report.errors:
        lines += ["### Could not check", ""]
        lines += [f"- {_cell(error)}" for error in report.errors]
        lines += [f"- **{_cell(r.target)}**: {_cell(r.error or '')}" for r in errors]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
