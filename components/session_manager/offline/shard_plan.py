"""Offline plans of a sharded organization: the shared stack and every shard, merged.

Each stack is one unit of work, planned in this process (`--jobs 1`) or in worker
processes (offline/workers.py); each unit's output is rendered where it was planned,
and the parent joins the pieces in stack order (the shared stack, then shard 0, 1,
...), so the merged output is the same bytes whatever the number of jobs.

A shard reads the shared stack's exports by stack reference (program.py
`shared_stack_output`): offline, the shared stack's own plan answers it, planned
first as a deployed stack (not `--preview`: a shard's preview runs once the shared
stack is up).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import textwrap
from collections import Counter
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.shards import Shards, StackPart, all_parts, shared_reference
from session_manager.offline.load import load_plan
from session_manager.offline.plan import (
    Plan,
    PlanError,
    PlannedResource,
    read_project,
    read_stack_config,
)
from session_manager.offline.workers import run_units


@dataclass(frozen=True)
class Sharding:
    """A stack file with `shards`: its stack (the shared one) and its shard count."""

    base: str
    project: str
    shards: Shards

    def parts(self) -> list[StackPart]:
        return all_parts(self.base, self.shards)

    def part(self, shard: str) -> StackPart:
        """`--shard`: "shared", or a shard's number."""
        if shard == "shared":
            return StackPart(self.base, None)
        # A shard's number as its stack names it: "01" or "²" would name no stack.
        if not re.fullmatch(r"0|[1-9][0-9]*", shard) or int(shard) >= self.shards.count:
            raise PlanError(
                f"--shard {shard}: stack {self.base!r} has shards 0-{self.shards.count - 1} "
                "(session-manager:shards.count); use one of them, shared, or all"
            )
        return StackPart(self.base, int(shard))

    @property
    def reference(self) -> str:
        """The name the shards read the shared stack by, as the program asks for it."""
        return shared_reference(self.shards, self.project, self.base)


def sharding(project_dir: str | Path, stack: str) -> Sharding | None:
    """The stack's sharding, or None when its file sets no valid `shards` (an invalid
    one is reported by the program's own validation, with every other problem)."""
    project_dir = Path(project_dir)
    config, _ = read_stack_config(project_dir, stack)
    raw = config.get(f"{NAMESPACE}:shards")
    if raw is None:
        return None
    try:
        shards = Shards.model_validate(json.loads(raw))
    except (ValueError, ValidationError):
        return None
    project, _ = read_project(project_dir)
    return Sharding(stack, project, shards)


@dataclass(frozen=True)
class PlanRequest:
    """What every unit of one command plans, and how it renders it."""

    project_dir: str
    base: str
    ou_accounts: tuple[str, ...] = ()
    resolve_outputs: bool = True
    preview: bool = False
    warn_ous_without_accounts: bool = False
    # text | json | summary | data (the plan's JSON object, for --diff)
    render: str = "text"


@dataclass(frozen=True)
class SharedStack:
    """What a shard reads from the shared stack: its exports by stack reference, the
    values its mocks made up, and the resources behind them (the central key, its
    alias and provider), which verify needs to find the real key."""

    outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict[str, Mapping[str, Any]])
    invented: frozenset[str] = frozenset()
    referenced: tuple[PlannedResource, ...] = ()

    def load_arguments(self) -> dict[str, Any]:
        return {
            "stack_outputs": self.outputs,
            "referenced": self.referenced,
            "referenced_invented": self.invented,
        }


# What verify resolves keys with (ops/drift/compare.py KeyResolver).
_REFERENCED_TYPES = ("aws:kms/key:Key", "aws:kms/alias:Alias")


@dataclass(frozen=True)
class PlanUnit:
    request: PlanRequest
    part: StackPart
    shared: SharedStack = SharedStack()
    # The shared stack's plan, already made for the shards' reference (not --preview).
    planned: Plan | None = None


@dataclass
class UnitResult:
    stack: str
    rendered: str = ""
    data: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list[str])
    error: str | None = None
    # Resource counts by type (for summaries).
    counts: dict[str, int] = field(default_factory=dict[str, int])


@contextlib.contextmanager
def _collection_paused() -> Generator[None]:
    """No collection during a plan; unlike the single-stack plan nothing is frozen,
    so a process that plans stacks one after another frees each one's garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_part(unit: PlanUnit, *, resolve_outputs: bool | None = None) -> Plan:
    if unit.planned is not None:
        return unit.planned
    request = unit.request
    with _collection_paused():
        return load_plan(
            request.project_dir,
            unit.part.name,
            request.ou_accounts,
            resolve_outputs=request.resolve_outputs if resolve_outputs is None else resolve_outputs,
            preview=request.preview,
            warn_ous_without_accounts=request.warn_ous_without_accounts,
            config_file=request.base,
            **unit.shared.load_arguments(),
        )


def summary_lines(counts: Mapping[str, int]) -> list[str]:
    lines = [f"{count:6d}  {typ}" for typ, count in sorted(counts.items())]
    return [*lines, f"{sum(counts.values()):6d}  resources in all"]


def _render(plan: Plan, render: str) -> tuple[str, dict[str, Any] | None]:
    from session_manager.offline.render import format_plan  # noqa: PLC0415

    if render == "json":
        return json.dumps(plan.to_json(), indent=2, sort_keys=True), None
    if render == "data":
        return "", plan.to_json()
    if render == "summary":
        return "\n".join(summary_lines(Counter(r.type for r in plan.resources))), None
    return format_plan(plan), None


def plan_unit(unit: PlanUnit) -> UnitResult:
    """One stack's plan, rendered; a plan that can't run is the result's `error`."""
    try:
        plan = plan_part(unit)
    except (ConfigError, PlanError) as exc:
        return UnitResult(unit.part.name, error=str(exc))
    rendered, data = _render(plan, unit.request.render)
    return UnitResult(
        plan.stack,
        rendered=rendered,
        data=data,
        warnings=list(plan.warnings),
        counts=dict(Counter(r.type for r in plan.resources)),
    )


def shared_stack(request: PlanRequest, sharded: Sharding) -> SharedStack:
    """What a shard's stack reference reads: the shared stack's exports, as deployed."""
    return _shared_stack_plan(request, sharded)[0]


def _shared_stack_plan(request: PlanRequest, sharded: Sharding) -> tuple[SharedStack, Plan]:
    deployed = PlanRequest(
        request.project_dir,
        request.base,
        request.ou_accounts,
        resolve_outputs=True,
        warn_ous_without_accounts=request.warn_ous_without_accounts,
    )
    plan = plan_part(PlanUnit(deployed, StackPart(sharded.base, None)))
    keys = [r for r in plan.resources if r.type in _REFERENCED_TYPES]
    providers = {r.provider for r in keys}
    referenced = [*keys, *(r for r in plan.resources if r.urn in providers)]
    shared = SharedStack(
        {sharded.reference: plan.outputs}, frozenset(plan.invented), tuple(referenced)
    )
    return shared, plan


def plan_units(
    request: PlanRequest,
    sharded: Sharding,
    parts: Sequence[StackPart],
    jobs: int,
    work: Any = plan_unit,
) -> list[Any]:
    """Plan `parts` (shared stack outputs first, for the shards' references), in order.

    The shared stack's plan made for the reference is also its unit's plan, unless the
    command plans as a first preview sees it (the reference reads the deployed stack).
    """
    shared, planned = SharedStack(), None
    if any(part.index is not None for part in parts):
        with contextlib.suppress(ConfigError, PlanError):  # each unit reports it itself
            shared, planned = _shared_stack_plan(request, sharded)
    reuse = None if request.preview else planned
    units = [
        PlanUnit(request, part, shared, reuse if part.index is None else None) for part in parts
    ]
    return run_units(work, units, jobs)


def merged_warnings(results: Sequence[UnitResult]) -> list[str]:
    """Each distinct warning once, in stack order: every shard repeats the config's."""
    return list(dict.fromkeys(w for result in results for w in result.warnings))


def merged_text(results: Sequence[UnitResult]) -> str:
    return "\n\n".join(f"=== stack {r.stack} ===\n{r.rendered}" for r in results)


def merged_summary(results: Sequence[UnitResult]) -> str:
    lines = [f"{sum(r.counts.values()):6d}  resources in stack {r.stack}" for r in results]
    total: Counter[str] = Counter()
    for result in results:
        total.update(result.counts)
    return "\n".join([*lines, "", *summary_lines(total)])


def merged_json(
    sharded: Sharding, rendered: Sequence[str], answers: Mapping[str, Any] | None = None
) -> str:
    """`{"shards": {...}, "stacks": [plan, ...]}` as `json.dumps(indent=2, sort_keys=True)`
    would write it, from each stack's own dump: the parent never parses the plans.
    `answers`: the request table's (jit_check.plan_answers, `{justInTimeAnswers: ...}`),
    the organization's once: every stack reads the same stack file and table."""
    head = json.dumps(
        {**(answers or {}), "shards": {"count": sharded.shards.count, "stack": sharded.base}},
        indent=2,
        sort_keys=True,
    )
    stacks = ",\n".join(textwrap.indent(text, "    ") for text in rendered)
    opening = head.removesuffix("\n}")
    return f'{opening},\n  "stacks": [\n{stacks}\n  ]\n}}'
