"""`verify --format markdown`: the report for a CI job summary.

A table of accounts x Regions (in sync, drift, error), then each drifted field
with its wanted and actual values (for a policy, only the statements that
differ), then the targets that could not be checked. GitHub renders it in the
run's summary page (`$GITHUB_STEP_SUMMARY`).
"""

from __future__ import annotations

import json
from typing import Any

from session_manager.ops.drift.result import (
    CANNOT_CHECK,
    DRIFT,
    IN_SYNC,
    Report,
    TargetResult,
    summarize,
)
from session_manager.ops.verify import affected

CELL = {IN_SYNC: "✅ in sync", DRIFT: "❌ drift", CANNOT_CHECK: "⚠️ error"}
OUTCOME = {
    IN_SYNC: "✅ in sync",
    DRIFT: "❌ drift found",
    CANNOT_CHECK: "⚠️ some targets could not be checked",
}
MAX_VALUE = 300
# GitHub refuses a step summary over 1 MiB ("$GITHUB_STEP_SUMMARY upload aborted,
# supports content up to a size of 1024k"; docs: "Adding a job summary", step
# isolation and limits). Past this, details are left out with a pointer to JSON.
MAX_BYTES = 900_000


def _size(lines: list[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def _cell(text: str) -> str:
    """Text that cannot break a table row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    if len(text) > MAX_VALUE:
        text = text[: MAX_VALUE - 1] + "…"
    quoted = _cell(text).replace("`", "'")
    return f"`{quoted}`"


def _row(result: TargetResult) -> str:
    """The account's row: two targets in one account-Region (accountEvents' provider and
    the targets' own) each get their own, named by the label's qualifier."""
    if not result.account:
        return result.target
    qualifier = result.target.split(result.region, 1)[-1] if result.region else ""
    return result.account + qualifier


def _matrix(report: Report) -> list[str]:
    regions = sorted({r.region for r in report.results})
    accounts = sorted({_row(r) for r in report.results})
    cells: dict[tuple[str, str], str] = {}
    for result in report.results:
        text = CELL[result.status]
        if result.drifts:
            # An error does not hide the drift found before it: "⚠️ error + ❌ drift (n)".
            count = f"({len(result.drifts)})"
            text += f" {count}" if result.status == DRIFT else f" + {CELL[DRIFT]} {count}"
        cells[(_row(result), result.region)] = text
    lines = [
        "| account | " + " | ".join(regions) + " |",
        "| --- | " + " | ".join("---" for _ in regions) + " |",
    ]
    for account in accounts:
        row = [cells.get((account, region), "n/a") for region in regions]
        lines.append(f"| {_cell(account)} | " + " | ".join(row) + " |")
    return lines


def _drift_sections(report: Report, budget: int) -> list[str]:
    """One row per finding (a cause and the targets it affects) and the policy diffs,
    within `budget` bytes; then what was left out."""
    findings = report.findings
    if not findings:
        return []
    rows: list[str] = []
    details: list[str] = []
    left_out = 0
    used = 0
    for finding in findings:
        drift = finding.drift
        detail: list[str] = []
        if drift.statements:
            wanted = f"{len(drift.wanted)} statement(s) missing"
            actual = f"{len(drift.actual)} statement(s) not in the plan"
            detail = [
                f"**{_cell(finding.id)}**, {_cell(drift.resource)} {drift.field}:",
                "",
                "```diff",
                *drift.detail_lines(),
                "```",
                "",
            ]
        else:
            wanted, actual = _value(drift.wanted), _value(drift.actual)
        where = _cell(affected(finding.targets))
        fix = f" Fix: {_cell(drift.fix)}" if drift.fix else ""
        named = f"{drift.resource} ({drift.subject})" if drift.subject else drift.resource
        cells = [drift.severity, f"`{finding.id}`", named, drift.field]
        row = (
            "| " + " | ".join(_cell(c) for c in cells) + f" | {wanted} | {actual} | {where}{fix} |"
        )
        cost = _size([row, *detail])
        if used + cost > budget:
            left_out += 1
            continue
        used += cost
        rows.append(row)
        details += detail
    lines = [
        "### Findings",
        "",
        "| severity | id | resource | field | wanted | actual | account-Regions |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]
    if details:
        lines += ["#### Policy statements that differ", "", *details]
    if left_out:
        lines += [
            f"> {left_out} more finding(s) left out: a job summary holds at most 1 MiB. "
            "Run `verify --format json` for every one.",
            "",
        ]
    return lines


def markdown_report(report: Report) -> str:
    counts = summarize(report.results)
    worst = f", worst: {report.severity}" if report.severity else ""
    lines = [
        f"## Drift report: {report.stack}",
        "",
        f"**{OUTCOME[report.status]}**{worst} (exit {report.exit_code}): "
        f"{counts['in_sync']} in sync, {counts['drift']} drift, "
        f"{counts['cannot_check']} error, of {len(report.results)} account-Region(s).",
        "",
    ]
    if report.warnings:
        lines += [f"> ⚠️ {_cell(w)}" for w in report.warnings] + [""]
    if report.results:
        lines += [*_matrix(report), ""]
    errors = [r for r in report.results if r.error]
    failed: list[str] = []
    if errors or report.errors:
        failed += ["### Could not check", ""]
        failed += [f"- {_cell(error)}" for error in report.errors]
        failed += [f"- **{_cell(r.target)}**: {_cell(r.error or '')}" for r in errors]
        failed.append("")
    # The table, the errors and the note always fit; the drift details take what is left.
    budget = MAX_BYTES - _size(lines) - _size(failed) - 1_000
    lines += _drift_sections(report, budget)
    lines += failed
    return "\n".join(lines).rstrip() + "\n"
