"""`verify`: prove, read-only, that AWS holds what the stack declares.

The stack is planned to know what it wants (with the organizational units'
accounts read from AWS Organizations, as the program reads them at `pulumi up`);
each account-Region is then read with boto3 through the same roles the
program's providers assume. Every resource is compared field by field with its
planned inputs (`ops.drift`): policies statement by statement, keys through
their aliases, the account through STS.

Each drifted field is a finding, reported once per cause with the targets it
affects, an id and a severity (`drift.severity`). Exit status: 0 in sync; 2 a
target could not be checked (the reason is given; it outranks drift: the result
is incomplete); else the worst severity's code: 4 breaks sessions, 3 loses logs,
1 weakens security, 5 cosmetic only. Targets are checked by a bounded pool of
threads, each holding its clients only while it checks one target, so memory
stays flat as targets grow.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from session_manager.offline.component_outputs import component_outputs
from session_manager.offline.plan import Plan, PlannedResource
from session_manager.ops.aws_access import AwsAccess, CannotCheckError, failure_reason
from session_manager.ops.drift.compare import CheckContext, KeyResolver
from session_manager.ops.drift.grants import RoleGrants
from session_manager.ops.drift.jit import NATIVE_DOCUMENT
from session_manager.ops.drift.registry import CHECKS, GLOBAL_TYPES, ORDER
from session_manager.ops.drift.result import (
    CANNOT_CHECK,
    DRIFT,
    IN_SYNC,
    Drift,
    Report,
    TargetResult,
    summarize,
)
from session_manager.ops.drift.ssm import DOCUMENT, flatten, parse_document
from session_manager.ops.emulate import not_emulated
from session_manager.ops.emulate_jit import emulator_refusal

__all__ = [
    "CANNOT_CHECK",
    "DOCUMENT",
    "DRIFT",
    "IN_SYNC",
    "Drift",
    "Report",
    "Target",
    "TargetResult",
    "emulated_part",
    "flatten",
    "format_report",
    "parse_document",
    "progress_printer",
    "summarize",
    "targets_of",
    "verify",
]


@dataclass
class Target:
    """One account-Region of the plan and what the stack wants there."""

    provider: PlannedResource | None
    region: str
    account: str = ""
    resources: list[PlannedResource] = field(default_factory=list[PlannedResource])
    # Account-wide resources (IAM) are checked with the account's first Region.
    global_resources: list[PlannedResource] = field(default_factory=list[PlannedResource])

    @property
    def label(self) -> str:
        return f"{self.account or 'current account'} {self.region}"


def account_of(provider: PlannedResource | None) -> str:
    if provider is None:
        return ""
    allowed = json.loads(str(provider.inputs.get("allowedAccountIds") or "[]"))
    return str(allowed[0]) if allowed else ""


def targets_of(plan: Plan) -> list[Target]:
    """The plan's account-Regions, each with the resources verify checks there."""
    order = {typ: index for index, typ in enumerate(ORDER)}
    by_key: dict[tuple[str, str], Target] = {}
    for resource in sorted(plan.resources, key=lambda r: order.get(r.type, len(order))):
        if resource.type not in CHECKS:
            continue
        provider = plan.provider_of(resource)
        region = "" if resource.type in GLOBAL_TYPES else plan.region_of(resource)
        key = (provider.urn if provider else "", region)
        target = by_key.setdefault(
            key, Target(provider=provider, region=region, account=account_of(provider))
        )
        target.resources.append(resource)
    # Fold account-wide resources into the first Region of their account.
    regional = sorted(
        ((k, t) for k, t in by_key.items() if k[1]), key=lambda item: (item[0][0], item[0][1])
    )
    for (provider_urn, region), target in list(by_key.items()):
        if region:
            continue
        home = next((t for (p, _), t in regional if p == provider_urn), None)
        if home is None:
            target.region = "us-east-1"
            target.global_resources, target.resources = target.resources, []
            regional.append(((provider_urn, "global"), target))
        else:
            home.global_resources.extend(target.resources)
    return [t for _, t in sorted(regional, key=lambda item: (item[1].account, item[1].region))]


def emulated_part(plan: Plan, access: AwsAccess | None = None) -> tuple[Plan, list[str]]:
    """The plan without what `emulate` skips, and a warning naming what was left out.

    Against an emulator (`--endpoint-url`, `make demo`) verify checks what emulate
    created: a resource it cannot create (a VPC endpoint names a VPC only a real
    account has) would otherwise be reported missing. With `access` (the emulator's),
    the just-in-time approval-policy documents too when that emulator refuses their
    types (a moto this project did not start: emulate_jit.emulator_refusal).
    """
    skipped = {id(r) for r in not_emulated(plan)}
    warnings: list[str] = []
    if skipped:
        kinds = sorted({r.type.rsplit(":", 1)[-1] for r in plan.resources if id(r) in skipped})
        warnings.append(
            f"not emulated, so not verified: {len(skipped)} ({', '.join(kinds)}): "
            "they name a VPC or group only a real account has"
        )
    policies = plan.of_type(NATIVE_DOCUMENT)
    if access is not None and policies:
        refusal = emulator_refusal(access.client(None, "ssm", plan.region_of(policies[0])))
        if refusal:
            skipped |= {id(r) for r in policies}
            warnings.append(
                f"not emulated, so not verified: {len(policies)} just-in-time approval "
                f"policy document(s): the emulator refuses their types ({refusal})"
            )
    if not skipped:
        return plan, []
    kept = [r for r in plan.resources if id(r) not in skipped]
    return dataclasses.replace(plan, resources=kept), warnings


class Verifier:
    def __init__(self, plan: Plan, access: AwsAccess) -> None:
        self.access = access
        self.resolver = KeyResolver(plan, access)
        self.grants = RoleGrants.of(plan.resources)
        self.component_outputs = component_outputs(plan)

    def check(self, target: Target) -> TargetResult:
        result = TargetResult(target=target.label, account=target.account, region=target.region)
        try:
            with self.access.scope():  # one client per service, one read per AWS object
                self._check(target, result)
        except (ClientError, BotoCoreError) as exc:
            result.error = failure_reason(exc, self.access.endpoint_url)
        except CannotCheckError as exc:  # another account than the stack allows: never read
            result.error = str(exc)
        except Exception as exc:  # one target's failure is its error line, not a crash
            # An answer the reader cannot parse, a shape it does not expect: the other
            # targets are still checked, and this one says what went wrong.
            result.error = f"{type(exc).__name__}: {exc}"
        result.target, result.account = target.label, target.account
        return result

    def _check(self, target: Target, result: TargetResult) -> None:
        actual_account = self.access.confirmed_account(target.provider, target.region)
        if target.account and target.account != actual_account:
            result.error = f"the credentials reach account {actual_account}, not {target.account}"
            return
        target.account = actual_account
        ctx = CheckContext(
            access=self.access,
            provider=target.provider,
            region=target.region,
            account=actual_account,
            resolver=self.resolver,
            result=result,
            grants=self.grants,
            component_outputs=self.component_outputs,
        )
        problems: list[str] = []
        for resource in target.resources:
            self._check_one(ctx, resource, problems)
        regional = len(result.drifts)
        for resource in target.global_resources:
            self._check_one(ctx, resource, problems)
        for drift in result.drifts[regional:]:
            drift.account_wide = True  # IAM is global: the account is what it affects
        if problems:
            result.error = "; ".join(problems)

    def _check_one(self, ctx: CheckContext, resource: PlannedResource, problems: list[str]) -> None:
        """One resource's check. Its failure (an answer shaped otherwise than expected, a
        read refused) is that resource's "could not check" line: the other checks still
        run and their findings still show. Failing to reach AWS at all stops the target."""
        try:
            CHECKS[resource.type](ctx, resource)
        except (BotoCoreError, CannotCheckError):
            raise
        except Exception as exc:
            kind = resource.type.rsplit(":", 1)[-1]
            named = resource.inputs.get("name") or resource.inputs.get("bucket") or resource.name
            problems.append(f"{kind} {named}: {failure_reason(exc, self.access.endpoint_url)}")


def _bounded(
    check: Callable[[Target], TargetResult], targets: list[Target], workers: int
) -> Iterator[TargetResult]:
    """Results in target order, with at most `workers` checks queued or running."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: dict[int, Future[TargetResult]] = {}
        finished: dict[int, TargetResult] = {}
        submitted = emitted = 0
        while emitted < len(targets):
            while submitted < len(targets) and len(pending) < workers:
                pending[submitted] = pool.submit(check, targets[submitted])
                submitted += 1
            done, _ = wait(pending.values(), return_when=FIRST_COMPLETED)
            for index in [i for i, f in pending.items() if f in done]:
                finished[index] = pending.pop(index).result()
            while emitted in finished:
                yield finished.pop(emitted)
                emitted += 1


ACCOUNT_EVENTS = "session-manager:index:SessionManagerAccountEvents$"


def _label_apart(targets: list[Target], results: list[TargetResult]) -> None:
    """Two providers reaching one account-Region (accountEvents' and the targets' own)
    are two targets: each label says which, so text, JSON and Markdown keep them apart."""
    for qualify in (_account_events_only, _provider_name):
        labels = Counter(r.target for r in results)
        for target, result in zip(targets, results, strict=True):
            which = qualify(target) if labels[result.target] > 1 else ""
            if which:
                result.target = f"{result.target} ({which})"


def _account_events_only(target: Target) -> str:
    resources = [*target.resources, *target.global_resources]
    return "accountEvents" if all(ACCOUNT_EVENTS in r.urn for r in resources) else ""


def _provider_name(target: Target) -> str:
    return f"provider {target.provider.name}" if target.provider else "default provider"


def verify(
    plan: Plan,
    access: AwsAccess,
    progress: Callable[[int, int], None] | None = None,
    *,
    workers: int = 8,
    warnings: list[str] | None = None,
    errors: list[str] | None = None,
) -> Report:
    """Check every account-Region of the plan; `warnings` and `errors` (an OU whose
    accounts could not be read) join the report, with the plan's own warnings."""
    targets = targets_of(plan)
    access.pin_plan(plan)
    verifier = Verifier(plan, access)
    results: list[TargetResult] = []
    for done, result in enumerate(
        _bounded(verifier.check, targets, max(1, min(workers, len(targets) or 1))), start=1
    ):
        results.append(result)
        if progress:
            progress(done, len(targets))
    _label_apart(targets, results)
    return Report(
        stack=plan.stack,
        results=results,
        warnings=[*(warnings or []), *plan.warnings],
        errors=list(errors or []),
    )


def progress_printer(stream: Any = None) -> Callable[[int, int], None]:
    """Progress on stderr for long runs: a live counter on a terminal, tenths otherwise.

    `sys.stderr` is looked up when the printer is made, not when this module is
    imported (a test runner or a caller may have replaced it since); a stream that
    is closed or cannot write gets no progress rather than ending the run.
    """
    out: Any = stream if stream is not None else sys.stderr
    try:
        interactive = bool(out.isatty())
    except (AttributeError, OSError, ValueError):
        interactive = False

    def show(done: int, total: int) -> None:
        if total < 5:
            return
        try:
            if interactive:
                out.write(f"\rchecked {done}/{total} account-Regions")
                if done == total:
                    out.write("\n")
            elif done == total or done % max(1, total // 10) == 0:
                out.write(f"checked {done}/{total} account-Regions\n")
            out.flush()
        except (AttributeError, OSError, ValueError):
            return

    return show


# Per side: a policy replaced wholesale would print every statement; JSON has them all.
MAX_DETAIL_LINES = 4
# Per finding: the targets it affects, then how many more (JSON lists them all).
MAX_TARGETS = 10
OUTCOMES = {
    IN_SYNC: "in sync",
    DRIFT: "drift found",
    CANNOT_CHECK: "some targets could not be checked",
}


def affected(targets: list[str], limit: int = MAX_TARGETS) -> str:
    shown = ", ".join(targets[:limit])
    more = len(targets) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def outcome(report: Report) -> str:
    text = OUTCOMES[report.status]
    if report.severity:
        text += f"; worst: {report.severity}"
    return text


def format_report(report: Report) -> str:
    lines = [f"Verify stack '{report.stack}': {len(report.results)} account-Region(s)", ""]
    lines += [f"WARN   {warning}" for warning in report.warnings]
    lines += [f"ERROR  could not check: {error}" for error in report.errors]
    for result in report.results:
        if result.error:
            lines.append(f"ERROR  {result.target}: could not check: {result.error}")
        if result.drifts:
            # Drift found before an error stopped the target is still drift: shown too.
            lines.append(f"DRIFT  {result.target}: {len(result.drifts)} drifted field(s)")
        if not result.error and not result.drifts:
            lines.append(f"OK     {result.target}: in sync ({len(result.checked)} checked)")
    findings = report.findings
    if findings:
        # One finding per cause, however many targets it affects.
        lines += ["", f"Findings: {len(findings)}"]
        for finding in findings:
            drift = finding.drift
            lines.append(f"  [{drift.severity}] {finding.id}")
            lines.append(f"         {drift}")
            lines += [f"           {line}" for line in drift.detail_lines(MAX_DETAIL_LINES)]
            lines.append(f"         in {len(finding.targets)}: {affected(finding.targets)}")
            if drift.fix:
                lines.append(f"         fix: {drift.fix}")
    lines += ["", f"Result: {outcome(report)} (exit {report.exit_code})"]
    return "\n".join(lines)
