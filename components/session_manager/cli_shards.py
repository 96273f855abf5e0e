"""The command line's `--shard` and `--jobs`: plan, verify and adopt a sharded organization.

`--shard all` (the default) runs the shared stack and every shard, merged in stack
order; `--shard shared` or `--shard N` runs one stack, printed exactly as an
unsharded stack's plan (so it can be the base of a `--diff`). docs/shards.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from session_manager.config.errors import ConfigError

if TYPE_CHECKING:
    from session_manager.offline.shard_plan import Sharding
    from session_manager.ops.drift.result import Report


def add_shard_options(parser: argparse.ArgumentParser, *, jobs: bool = True) -> None:
    from session_manager.offline.workers import default_jobs  # noqa: PLC0415

    parser.add_argument(
        "--shard",
        metavar="all|shared|N",
        help="a sharded organization (session-manager:shards): every stack, merged "
        "(all, the default), the shared stack, or shard N alone (docs/shards.md)",
    )
    if jobs:
        parser.add_argument(
            "--jobs",
            type=_jobs,
            default=default_jobs(),
            metavar="N",
            help="with every shard: stacks run in up to N worker processes at once "
            "(default: the core count); the output is the same for any N",
        )


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of jobs (1 or more)")
    return int(value)


def select(args: argparse.Namespace) -> Sharding | None:
    """The stack's sharding when `--shard all` runs every stack; else None, with
    `args.part` set to the one shard asked for. Raises PlanError for a bad --shard."""
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.offline.shard_plan import sharding  # noqa: PLC0415

    args.part = None
    shard = getattr(args, "shard", None)
    sharded = sharding(args.project_dir, args.stack)
    if sharded is None:
        if shard not in (None, "all"):
            raise PlanError(
                f"--shard {shard}: stack {args.stack!r} sets no (valid) session-manager:shards; "
                "leave --shard out"
            )
        return None
    if shard in (None, "all"):
        return sharded
    args.part = sharded.part(shard)
    return None


def load_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """What `load_plan` needs to plan the one shard `select` chose (none: the stack)."""
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.offline.shard_plan import (  # noqa: PLC0415
        PlanRequest,
        SharedStack,
        sharding,
        shared_stack,
    )

    if not hasattr(args, "part") and sharding(args.project_dir, args.stack) is not None:
        # emulate and demo: the shards' placeholders would need the shared stack's.
        raise PlanError(
            f"{args.command} takes one unsharded stack, and {args.stack!r} sets "
            "session-manager:shards: remove it from a copy of the stack file to emulate the "
            "organization as one stack (the resources are the same), then verify the shards"
        )
    part = getattr(args, "part", None)
    if part is None:
        return {"stack": args.stack}
    shared = SharedStack()
    if part.index is not None:
        sharded = sharding(args.project_dir, args.stack)
        assert sharded is not None
        request = PlanRequest(args.project_dir, args.stack, tuple(args.ou_accounts))
        shared = shared_stack(request, sharded)
    return {"stack": part.name, "config_file": args.stack, **shared.load_arguments()}


def _errors(results: list[Any]) -> int | None:
    """Print each distinct unit error once (every stack reads the same config); 2 if any."""
    errors = list(dict.fromkeys(r.error for r in results if r.error))
    for error in errors:
        print(error, file=sys.stderr)
    return 2 if errors else None


def plan_all(args: argparse.Namespace, sharded: Sharding) -> int:
    """`plan` of every stack of a sharded organization, merged."""
    from session_manager.offline.shard_plan import (  # noqa: PLC0415
        PlanRequest,
        merged_json,
        merged_summary,
        merged_text,
        merged_warnings,
        plan_units,
    )

    as_json = args.json or args.format == "json"
    if args.format == "terraform-plan":
        print(
            "plan: --format terraform-plan describes one stack: add --shard shared or "
            f"--shard 0-{sharded.shards.count - 1}",
            file=sys.stderr,
        )
        return 2
    if args.diff:
        render = "data"
    elif args.summary:
        render = "summary"
    else:
        render = "json" if as_json else "text"
    request = PlanRequest(
        args.project_dir,
        args.stack,
        tuple(args.ou_accounts),
        resolve_outputs=not args.summary,
        preview=args.preview,
        warn_ous_without_accounts=True,
        render=render,
    )
    results = plan_units(request, sharded, sharded.parts(), args.jobs)
    failed = _errors(results)
    if failed:
        return failed
    if args.summary or args.diff:
        for warning in merged_warnings(results):
            print(f"warning: {warning}", file=sys.stderr)
    if args.diff:
        base_file = Path(args.diff)
        try:
            base = json.loads(base_file.read_text())
        except (OSError, ValueError) as exc:
            print(f"cannot diff against {base_file}: {exc}", file=sys.stderr)
            return 2
        return print_stack_diffs(base_file, base, [r.data for r in results], as_json, args.summary)
    if as_json:
        print(merged_json(sharded, [r.rendered for r in results]))
    elif args.summary:
        print(merged_summary(results))
    else:
        print(merged_text(results))
    return 0


def print_stack_diffs(
    base_file: Path, base: Any, heads: list[Any], as_json: bool, summary: bool
) -> int:
    """The diff from a base of one or many stacks (a sharded organization's merged
    `plan --json`) to `heads`: the state moves first, then each stack's diff."""
    from session_manager.offline.diff import DiffError  # noqa: PLC0415
    from session_manager.offline.shard_moves import (  # noqa: PLC0415
        base_stacks,
        diff_stacks,
        format_stack_diffs,
    )

    try:
        diffs = diff_stacks(base_stacks(base), heads)
    except (ValueError, DiffError) as exc:
        print(f"cannot diff against {base_file}: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(diffs.to_json(), indent=2, sort_keys=True))
    else:
        print(format_stack_diffs(diffs, summary=summary))
    return 0


def verify_all(
    args: argparse.Namespace,
    sharded: Sharding,
    warnings: list[str],
    errors: list[str],
) -> Report:
    """`verify` of every stack of a sharded organization, as one report."""
    from session_manager.offline.shard_plan import PlanRequest, plan_units  # noqa: PLC0415
    from session_manager.ops.shard_verify import (  # noqa: PLC0415
        VerifyUnitWork,
        merge_reports,
    )

    request = PlanRequest(
        args.project_dir, args.stack, tuple(args.ou_accounts), resolve_outputs=False
    )
    work = VerifyUnitWork(args.endpoint_url)
    reports = plan_units(request, sharded, sharded.parts(), args.jobs, work=work)
    return merge_reports(args.stack, reports, warnings=warnings, errors=errors)


def adopt_all(
    args: argparse.Namespace, sharded: Sharding, adopt_one: Callable[[argparse.Namespace], int]
) -> int:
    """`adopt` of every stack: one import file each (`OUT` -> `OUT.<stack>.json`)."""
    worst = 0
    out = Path(args.out)
    for part in sharded.parts():
        print(f"=== stack {part.name} ===")
        one = argparse.Namespace(**vars(args))
        one.part = part
        one.out = str(out.with_name(f"{out.stem}.{part.name}{out.suffix or '.json'}"))
        one.import_stack = part.name
        try:
            code = adopt_one(one)
        except ConfigError as exc:
            print(str(exc), file=sys.stderr)
            code = 2
        worst = max(worst, code)
    return worst
