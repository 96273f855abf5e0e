"""The records a verify run produces: drifted fields, per-target results, the report."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from session_manager.ops.drift.fixes import fix_for
from session_manager.ops.drift.severity import (
    EXIT_CODES,
    SEVERITIES,
    classify,
    finding_id,
    still_granted,
    worst,
)

IN_SYNC, DRIFT, CANNOT_CHECK = 0, 1, 2
STATUS_NAMES = ("in_sync", "drift", "cannot_check")


@dataclass
class Drift:
    """One field of one resource: what the plan wants and what AWS holds.

    For a policy, `wanted` and `actual` are the statements that differ (only in the
    plan, only in AWS), not the whole documents.
    """

    resource: str
    field: str
    wanted: Any
    actual: Any
    statements: bool = False
    # One of severity.SEVERITIES; left empty, it follows from the resource and field.
    severity: str = ""
    # What to do about it; left empty, it follows from the resource and field (fixes.py).
    fix: str = ""
    # An account-wide resource's (IAM is global): it affects the account, not one Region.
    account_wide: bool = False
    # The AWS object itself, where the label does not name it: a key found behind an
    # alias that moved away from it (its ARN).
    subject: str = ""

    def __post_init__(self) -> None:
        if not self.fix:
            self.fix = fix_for(self.resource, self.field, self.wanted)
        if not self.severity:
            removed = bool(self.statements and self.wanted)
            if removed and still_granted(self.wanted, self.actual):
                removed = False  # widened, not narrowed
            added = bool(self.statements and self.actual)
            cleared = not self.statements and self.actual in (None, "", "missing", "none")
            self.severity = classify(
                self.resource, self.field, removed=removed, added=added, cleared=cleared
            )

    @property
    def id(self) -> str:
        return finding_id(self.resource, self.field)

    def to_json(self) -> dict[str, Any]:
        result = {
            "id": self.id,
            "severity": self.severity,
            "resource": self.resource,
            "field": self.field,
            "wanted": self.wanted,
            "actual": self.actual,
        }
        if self.subject:
            result["subject"] = self.subject
        if self.statements:
            result["diff"] = "statements"
        if self.fix:
            result["fix"] = self.fix
        return result

    def __str__(self) -> str:
        if self.statements:
            changed = len(self.wanted) + len(self.actual)
            return f"{self.resource} {self.field}: {changed} statement(s) differ"
        wanted, actual = json.dumps(self.wanted), json.dumps(self.actual)
        named = f" ({self.subject})" if self.subject else ""
        return f"{self.resource}{named} {self.field}: wanted {wanted}, actual {actual}"

    def detail_lines(self, limit: int | None = None) -> list[str]:
        """For a policy: one line per differing statement, `-` wanted, `+` in AWS.

        With `limit`, at most that many lines per side, then how many were left out.
        """
        if not self.statements:
            return []
        lines: list[str] = []
        for sign, statements in (("-", self.wanted), ("+", self.actual)):
            shown = statements if limit is None else statements[:limit]
            lines += [f"{sign} {json.dumps(s, sort_keys=True)}" for s in shown]
            if len(statements) > len(shown):
                lines.append(f"{sign} ... {len(statements) - len(shown)} more (--format json)")
        return lines


@dataclass
class TargetResult:
    target: str
    account: str = ""
    region: str = ""
    checked: list[str] = field(default_factory=list[str])
    drifts: list[Drift] = field(default_factory=list[Drift])
    error: str | None = None

    @property
    def status(self) -> int:
        if self.error:
            return CANNOT_CHECK
        return DRIFT if self.drifts else IN_SYNC

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "account": self.account,
            "region": self.region,
            "status": STATUS_NAMES[self.status],
            "checked": self.checked,
            "drifts": [d.to_json() for d in self.drifts],
            "error": self.error,
        }


@dataclass
class Finding:
    """One cause: the same drift (same field, same values) in every target it affects."""

    drift: Drift
    targets: list[str] = field(default_factory=list[str])
    # The drift's id, made unique when one field drifted differently elsewhere.
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or self.drift.id

    def to_json(self) -> dict[str, Any]:
        return {**self.drift.to_json(), "id": self.id, "targets": self.targets}


def findings_of(results: Iterable[TargetResult]) -> list[Finding]:
    """Drifts grouped by cause, worst severity first, then by id."""
    grouped: dict[str, Finding] = {}
    # The same values seen from several accounts (one account's ARNs, e.g. the central
    # bucket's key, read in each member account and in its own): the cause as written.
    literal: dict[str, Finding] = {}
    for result in results:
        for drift in result.drifts:
            written = json.dumps(
                [drift.id, drift.wanted, drift.actual, drift.subject], sort_keys=True, default=str
            )
            # The same drift in each account names that account's ARNs: one cause.
            cause = written.replace(result.account, "<account>") if result.account else written
            finding = literal.get(written) or grouped.setdefault(cause, Finding(drift))
            literal.setdefault(written, finding)
            where = (result.account or result.target) if drift.account_wide else result.target
            if where not in finding.targets:  # found twice in one target: one cause
                finding.targets.append(where)
    # One id per cause: a field that drifted differently in some targets (shared with
    # other accounts here, with another account there) gets an id per value held.
    ids = Counter(f.drift.id for f in grouped.values())
    for cause, finding in grouped.items():
        if ids[finding.drift.id] > 1:
            digest = hashlib.sha256(cause.encode()).hexdigest()[:8]
            finding.id = f"{finding.drift.id}~{digest}"
    return sorted(grouped.values(), key=lambda f: (SEVERITIES.index(f.drift.severity), f.id))


@dataclass
class Report:
    stack: str
    results: list[TargetResult]
    warnings: list[str] = field(default_factory=list[str])
    # What could not be checked outside any one account-Region: the plan itself,
    # an organizational unit whose accounts could not be read. Each makes it exit 2.
    errors: list[str] = field(default_factory=list[str])

    @property
    def status(self) -> int:
        if self.errors:
            return CANNOT_CHECK
        return max((r.status for r in self.results), default=IN_SYNC)

    @property
    def severity(self) -> str | None:
        """The worst severity found, or None without drift."""
        return worst([d.severity for r in self.results for d in r.drifts])

    @property
    def exit_code(self) -> int:
        """0 in sync; 2 incomplete (outranks drift); else the worst severity's code."""
        status = self.status
        if status != DRIFT:
            return status
        return EXIT_CODES[self.severity or SEVERITIES[0]]

    @property
    def findings(self) -> list[Finding]:
        return findings_of(self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": STATUS_NAMES[self.status],
            "exit": self.exit_code,
            "severity": self.severity,
            "summary": summarize(self.results),
            "findings": [f.to_json() for f in self.findings],
            "warnings": self.warnings,
            "errors": self.errors,
            "targets": [r.to_json() for r in self.results],
        }


def summarize(results: Iterable[TargetResult]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(STATUS_NAMES, 0)
    for result in results:
        counts[STATUS_NAMES[result.status]] += 1
    return counts
