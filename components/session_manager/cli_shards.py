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
from typing import TYPE_CHECKING, Any, NoReturn, cast

from session_manager.cli_values import stack_name
from session_manager.config.errors import ConfigError

if TYPE_CHECKING:
    from session_manager.offline.shard_plan import Sharding
    from session_manager.ops.drift.result import Report

# `plan --diff`: the diff is printed, but `pulumi up` would fail on a step it lists
# (in any stack of a sharded organization: CI's offline plan must not pass).
EXIT_ENGINE_REFUSES = 1


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
    `args.part` set to the one shard asked for. A --shard out of range exits 2 as
    argparse does for bad arguments, naming the valid ones."""
    from session_manager.config.shards import stack_part  # noqa: PLC0415
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.offline.shard_plan import sharding  # noqa: PLC0415

    args.part = None
    shard = getattr(args, "shard", None)
    refuse_shard_stack(args)
    sharded = sharding(args.project_dir, args.stack)
    if sharded is None:
        if shard not in (None, "all"):
            _usage_error(
                args,
                f"--shard {shard}: stack {args.stack!r} sets no (valid) "
                "session-manager:shards; leave --shard out",
            )
        return None
    # The names `shards` lists, refused alike (a mistyped shard, names too long for Pulumi).
    stack_part(args.stack, sharded.shards)
    if shard in (None, "all"):
        return sharded
    try:
        args.part = sharded.part(shard)
    except PlanError as exc:
        _usage_error(args, str(exc))
    return None


def _usage_error(args: argparse.Namespace, message: str) -> NoReturn:
    """Bad input, not a stack that could not be checked: argparse's usage error (exit
    2, and no report)."""
    print(f"python -m session_manager {args.command}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def refuse_shard_stack(args: argparse.Namespace) -> None:
    """`--stack organization-shard-2`: a shard stack reads the organization's file
    (pulumi --config-file), so every command takes it as `--stack organization --shard
    2` (or refuses it), whether or not a Pulumi.organization-shard-2.yaml exists (`pulumi
    stack init` may write one; a copy of the organization's file would plan a second
    organization). A shard number the file doesn't have is said to be out of range."""
    from session_manager.config.shards import named_shard  # noqa: PLC0415
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.offline.shard_plan import sharding  # noqa: PLC0415

    named = named_shard(args.stack)
    if named is None:
        return
    base, index = named
    try:
        sharded_base = sharding(args.project_dir, base)
    except PlanError:
        return  # no Pulumi.<base>.yaml: an ordinary stack name
    if sharded_base is None:
        return
    count = sharded_base.shards.count
    if index >= count:
        _usage_error(
            args,
            f"stack {args.stack!r} is named as shard {index} of {base!r}, but "
            f"Pulumi.{base}.yaml has shards 0-{count - 1} (session-manager:shards.count "
            f"{count}): shard {index} is out of range; use --stack {base} --shard N with N "
            f"in 0-{count - 1}, shared, or all",
        )
    _usage_error(
        args,
        f"stack {args.stack!r} is shard {index} of {base!r}, and reads Pulumi.{base}.yaml: "
        f"use --stack {base} --shard {index}",
    )


def refusing_shard_stacks(
    handler: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """A command (shards, emulate, demo) that refuses `--stack <x>-shard-<n>` as
    plan, verify and adopt do (`refuse_shard_stack`), before it reads anything."""

    def run(args: argparse.Namespace) -> int:
        refuse_shard_stack(args)
        return handler(args)

    return run


def _unsharded_only(args: argparse.Namespace) -> str:
    # emulate and demo: the shards' placeholders would need the shared stack's.
    return (
        f"{args.command} takes one unsharded stack, and {args.stack!r} sets "
        "session-manager:shards: remove it from a copy of the stack file to emulate the "
        "organization as one stack (the resources are the same); check the deployed shards "
        f"with `verify --stack {args.stack}` (docs/shards.md)"
    )


def refusing_sharded_stacks(
    handler: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """emulate and demo: refuse a shard's name, and a sharded organization's stack before
    they read AWS or start moto (emulated alone, the shared stack read as the whole
    organization in sync)."""
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.offline.shard_plan import sharding  # noqa: PLC0415

    def run(args: argparse.Namespace) -> int:
        refuse_shard_stack(args)
        try:
            sharded = sharding(args.project_dir, args.stack)
        except (PlanError, ConfigError):
            sharded = None  # no readable stack file or bad config: the command says so itself
        if sharded is not None:
            print(_unsharded_only(args), file=sys.stderr)
            return 2
        return handler(args)

    return run


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
        raise PlanError(_unsharded_only(args))
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
    """`plan` of every stack of a sharded organization, merged, with the request table's
    answers (jit_check.plan_answers: the stack file's, the same for every stack) kept in
    --json and compared by --diff."""
    from session_manager.offline.jit_check import plan_answers  # noqa: PLC0415
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
    answers = plan_answers(Path(args.project_dir), args.stack, args.ou_accounts)
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
        return print_stack_diffs(
            base_file,
            base,
            [r.data for r in results],
            as_json,
            args.summary,
            ous_without_accounts=_ous_without_accounts(args),
            answers=answers,
        )
    if as_json:
        print(merged_json(sharded, [r.rendered for r in results], answers))
    elif args.summary:
        print(merged_summary(results))
    else:
        print(merged_text(results))
    return 0


def _ous_without_accounts(args: argparse.Namespace) -> list[str]:
    """The OUs the stack's targets name that `--ou-accounts` gives no accounts: offline
    they plan nothing, so their accounts' state moves can't be listed."""
    from session_manager.offline.ou_accounts import (  # noqa: PLC0415
        configured_ous,
        parse_ou_accounts,
    )
    from session_manager.offline.plan import read_stack_config  # noqa: PLC0415

    given = parse_ou_accounts(args.ou_accounts)
    config = read_stack_config(Path(args.project_dir), args.stack)[0]
    return [ou for ou in configured_ous(config) if ou not in given]


def print_stack_diffs(
    base_file: Path,
    base: Any,
    heads: list[Any],
    as_json: bool,
    summary: bool,
    *,
    shard: str | None = None,
    ous_without_accounts: list[str] | None = None,
    answers: dict[str, dict[str, str]] | None = None,
) -> int:
    """The diff from a base of one or many stacks (a sharded organization's merged
    `plan --json`) to `heads`: the access answers that change (as an unsharded stack's
    diff shows them), the state moves, then each stack's diff. With `--shard` (one stack
    planned) the base must be that stack's alone: the base's other stacks would read as
    deleted, and moves out of them can't be known."""
    from session_manager.offline.diff import DiffError  # noqa: PLC0415
    from session_manager.offline.jit_check import answer_flips  # noqa: PLC0415
    from session_manager.offline.ou_accounts import ous_planned_without_accounts  # noqa: PLC0415
    from session_manager.offline.shard_moves import (  # noqa: PLC0415
        base_stacks,
        diff_stacks,
        format_stack_diffs,
    )

    one_of_many = _one_stack_of_an_organization(base)
    if shard is None and len(heads) > 1 and one_of_many is not None:
        print(
            f"plan: {base_file} is the plan of one stack of a sharded organization "
            f"({one_of_many}), but this plan holds every stack: the others would read as "
            "created from nothing. Diff against the base branch's `plan --json` without "
            f"--shard, or that stack alone with `plan --shard {_shard_label(one_of_many)} "
            f"--diff {base_file}`",
            file=sys.stderr,
        )
        return 2
    try:
        bases = base_stacks(base)
        others = sorted({str(b.get("stack")) for b in bases} - {str(h.get("stack")) for h in heads})
        if shard is not None and others:
            print(
                f"plan: --shard {shard} plans one stack, but {base_file} holds every stack of "
                f"the organization ({', '.join(others)} too): diff against that stack's own "
                f"`plan --shard {shard} --json` on the base branch, or leave --shard out to "
                "diff every stack (and see the state moves)",
                file=sys.stderr,
            )
            return 2
        diffs = diff_stacks(bases, heads)
        # Either side planned without an OU's accounts: their moves are missing.
        diffs.ous_without_accounts = sorted(
            {*(ous_without_accounts or []), *ous_planned_without_accounts(base)}
        )
    except (ValueError, DiffError) as exc:
        print(f"cannot diff against {base_file}: {exc}", file=sys.stderr)
        return 2
    flips = answer_flips(base, answers or {})
    print_diff(diffs.to_json, lambda: format_stack_diffs(diffs, summary=summary), flips, as_json)
    return EXIT_ENGINE_REFUSES if diffs.fails else 0


def print_diff(
    as_data: Callable[[], dict[str, Any]],
    as_text: Callable[[], str],
    flips: list[str],
    as_json: bool,
) -> None:
    """A plan diff, with the access requests it answers differently (justInTimeAccess)."""
    if as_json:
        extra = {"accessAnswers": flips} if flips else {}
        print(json.dumps(as_data() | extra, indent=2, sort_keys=True))
    else:
        print("\n".join(["Access answers that change:", *flips, ""]) if flips else "", end="")
        print(as_text())


def _one_stack_of_an_organization(base: Any) -> str | None:
    """The stack a base plan of ONE stack of a sharded organization (`plan --shard N
    --json`, or `--shard shared`) is of; None for a merged base, or an unsharded stack's
    plan (the organization before it was sharded: it exports no shardCount)."""
    from session_manager.config.shards import SHARD_COUNT_OUTPUT  # noqa: PLC0415

    if not isinstance(base, dict) or "stacks" in base:
        return None
    plan = cast("dict[str, Any]", base)
    outputs = plan.get("outputs")
    if not isinstance(outputs, dict) or SHARD_COUNT_OUTPUT not in outputs:
        return None
    return str(plan.get("stack"))


def _shard_label(stack: str) -> str:
    """`--shard`'s value for one of the organization's stacks."""
    from session_manager.config.shards import named_shard  # noqa: PLC0415

    named = named_shard(stack)
    return "shared" if named is None else str(named[1])


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


def add_shards_command(commands: Any) -> None:
    """`shards`: the stacks of a sharded organization (CI's matrix), and the guard that
    stops CI deploying them while the count they deployed with differs from the file's."""
    parser = commands.add_parser(
        "shards",
        help="list a sharded organization's stacks; check the count they deployed with",
        description=(
            "Print the stacks of the stack file's organization: the shared stack, then "
            "each shard (--json: one line, for a CI matrix). With --check-deployed, exit 1 "
            "when a stack's last `pulumi up` used another shards.count than the file: its "
            "accounts must move first (docs/shards.md). Exit 2 bad input."
        ),
    )
    parser.add_argument(
        "--stack", required=True, type=stack_name, help="the stack whose file is read"
    )
    parser.add_argument("--project-dir", default=".", help="folder with Pulumi.yaml")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument(
        "--check-deployed",
        action="append",
        default=[],
        metavar="OUTPUTS.json",
        type=Path,
        help="`pulumi stack output --json` of a stack about to deploy (repeatable): its "
        "shardCount must be the file's count",
    )
    parser.set_defaults(handler=refusing_shard_stacks(shards_command))


def _stack_file_shards(project_dir: Path, stack: str) -> Any:
    """The file's `shards` (None: unsharded); ConfigError when they are invalid."""
    from pydantic import ValidationError  # noqa: PLC0415

    from session_manager.config.errors import NAMESPACE  # noqa: PLC0415
    from session_manager.config.shards import Shards  # noqa: PLC0415
    from session_manager.offline.plan import read_stack_config  # noqa: PLC0415

    raw = read_stack_config(project_dir, stack)[0].get(f"{NAMESPACE}:shards")
    if raw is None:
        return None
    try:
        return Shards.model_validate(json.loads(raw))
    except ValidationError as exc:
        raise ConfigError(
            [
                (".".join([f"{NAMESPACE}:shards", *(str(p) for p in e["loc"])]), e["msg"])
                for e in exc.errors()
            ]
        ) from None


def shards_command(args: argparse.Namespace) -> int:
    from session_manager.config.shards import all_parts, stack_part  # noqa: PLC0415
    from session_manager.offline.plan import PlanError  # noqa: PLC0415

    try:
        shards = _stack_file_shards(Path(args.project_dir), args.stack)
        if shards:  # the stacks plan, verify and adopt take: never one they refuse
            stack_part(args.stack, shards)
    except (ConfigError, PlanError) as exc:
        print(f"shards: {exc}", file=sys.stderr)
        return 2
    count = shards.count if shards else 0
    if args.check_deployed:
        return _check_deployed(args.check_deployed, args.stack, count)
    parts = all_parts(args.stack, shards) if shards else []
    stacks = [
        {"part": "shared" if p.index is None else str(p.index), "stack": p.name} for p in parts
    ]
    if args.json:
        listing = {"count": count, "stacks": stacks, "shards": stacks[1:]}
        print(json.dumps(listing, separators=(",", ":")))
    elif not shards:
        print(f"{args.stack} sets no session-manager:shards: one stack")
    else:
        for stack in stacks:
            print(stack["stack"] + (" (shared)" if stack["part"] == "shared" else ""))
    return 0


def _check_deployed(files: list[Path], stack: str, count: int) -> int:
    """Exit 1 when a stack deployed with another count than the file's, 2 bad input."""
    from session_manager.config.shards import SHARD_COUNT_OUTPUT  # noqa: PLC0415

    worst = 0
    for outputs_file in files:
        try:
            outputs: Any = json.loads(outputs_file.read_text())
        except FileNotFoundError:
            print(f"shards: {outputs_file}: file not found", file=sys.stderr)
            worst = 2
            continue
        except (OSError, ValueError) as exc:
            outputs = f"cannot read {outputs_file}: {exc}"
        if not isinstance(outputs, dict):
            print(f"shards: {outputs_file}: not what `pulumi stack output --json` prints",
                  file=sys.stderr)  # fmt: skip
            worst = 2
            continue
        deployed = cast("dict[str, Any]", outputs).get(SHARD_COUNT_OUTPUT, 0)
        if isinstance(deployed, bool) or not isinstance(deployed, int):
            print(
                f"shards: {outputs_file}: {SHARD_COUNT_OUTPUT} is {deployed!r}, not a whole "
                "number: the program exports it as one; is this `pulumi stack output --json` "
                "of this organization's stacks?",
                file=sys.stderr,
            )
            worst = 2
            continue
        problem = _deployed_problem(outputs_file, cast("dict[str, Any]", outputs), stack, count)
        if problem:
            print(f"shards: {problem}", file=sys.stderr)
            worst = max(worst, 1)
    if not worst:
        print(f"{stack}: the stacks deployed with shards.count {count}, as the file says")
    return worst


def _deployed_problem(
    outputs_file: Path, outputs: dict[str, Any], stack: str, count: int
) -> str | None:
    """Why a stack with these outputs must not deploy now, or None."""
    from session_manager.config.shards import SHARD_COUNT_OUTPUT  # noqa: PLC0415

    if not outputs:
        return None  # never deployed (or exports nothing): nothing moves out of it
    deployed = outputs.get(SHARD_COUNT_OUTPUT, 0)  # an unsharded stack exports none
    if deployed == count:
        return None
    return (
        f"{outputs_file}: that stack last deployed with {SHARD_COUNT_OUTPUT} {deployed}, but "
        f"Pulumi.{stack}.yaml sets shards.count {count}: accounts move between stacks. Run the "
        "`pulumi state move` commands `plan --diff` prints, then `pulumi up` the shared stack "
        "and every shard by hand (docs/shards.md, Changing the count); until then CI refuses "
        "to deploy them"
    )
