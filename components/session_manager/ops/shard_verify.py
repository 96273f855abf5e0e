"""`verify` of a sharded organization: each stack checked in its own unit, one report.

A unit plans its stack and checks it against AWS (offline/shard_plan.py runs the
units, in worker processes with `--jobs`); the reports are merged in stack order,
so the merged report is the same whatever the number of jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from session_manager.config.errors import ConfigError
from session_manager.offline.plan import PlanError
from session_manager.offline.shard_plan import PlanUnit, plan_part
from session_manager.ops.aws_access import AwsAccess, CannotCheckError
from session_manager.ops.drift.result import Report
from session_manager.ops.verify import emulated_part, verify


@dataclass(frozen=True)
class VerifyUnitWork:
    """Plan one stack and verify it; failures become the report's errors."""

    endpoint_url: str | None = None

    def __call__(self, unit: PlanUnit) -> Report:
        stack = unit.part.name
        try:
            plan = plan_part(unit, resolve_outputs=False)
        except (ConfigError, PlanError) as exc:
            return Report(
                stack=stack, results=[], errors=[f"the stack could not be planned: {exc}"]
            )
        skipped: list[str] = []
        if self.endpoint_url:
            # An emulator: what `emulate` skips is left out here too, with a warning.
            plan, skipped = emulated_part(plan, AwsAccess(self.endpoint_url))
        try:
            return verify(plan, AwsAccess(self.endpoint_url), warnings=skipped)
        except CannotCheckError as exc:
            return Report(stack=stack, results=[], errors=[str(exc)])


def merge_reports(
    stack: str,
    reports: Sequence[Report],
    *,
    warnings: Sequence[str] = (),
    errors: Sequence[str] = (),
) -> Report:
    """One report for the organization: every stack's results in stack order, each
    distinct warning once (every shard repeats the config's), errors by stack."""
    merged_warnings = list(dict.fromkeys([*warnings, *(w for r in reports for w in r.warnings)]))
    merged_errors = [*errors]
    for report in reports:
        merged_errors += [f"stack {report.stack}: {error}" for error in report.errors]
    return Report(
        stack=stack,
        results=[result for report in reports for result in report.results],
        warnings=merged_warnings,
        errors=merged_errors,
    )
