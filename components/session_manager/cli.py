"""Command line: `python -m session_manager <command>`.

Exit codes: 0 success (or in sync), 1 the command ran and found a problem
(drift, a resource the emulator refused), 2 it could not run or could not check
(bad config, missing files, no credentials).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from session_manager.cli_shards import (
    EXIT_ENGINE_REFUSES,
    add_shard_options,
    add_shards_command,
    refusing_sharded_stacks,
)
from session_manager.cli_values import (
    endpoint_url,
    readable_file,
    stack_name,
    writable_file,
    write_text,
)
from session_manager.config.errors import ConfigError

if TYPE_CHECKING:
    from session_manager.offline.plan import Plan
    from session_manager.ops.drift.result import Report
    from session_manager.ops.organization import OrganizationMembers


def _load_plan(
    args: argparse.Namespace,
    *,
    resolve_outputs: bool = True,
    show_warnings: bool = True,
    offline: bool = False,
) -> Plan:
    """The stack's offline plan, its warnings on stderr; raises ConfigError or PlanError."""
    from session_manager.cli_shards import load_arguments  # noqa: PLC0415
    from session_manager.offline.load import load_plan  # noqa: PLC0415
    from session_manager.offline.runtime_tuning import collection_paused  # noqa: PLC0415

    # A plan keeps every object it builds till the command ends: collecting is wasted work.
    with collection_paused():
        plan = load_plan(
            args.project_dir,
            ou_accounts=args.ou_accounts,
            **load_arguments(args),
            resolve_outputs=resolve_outputs,
            preview=getattr(args, "preview", False),
            warn_ous_without_accounts=offline,
        )
    if show_warnings:
        for warning in plan.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return plan


def _read_organization(
    args: argparse.Namespace, credentials: dict[str, str] | None = None, *, strict: bool = True
) -> OrganizationMembers:
    """Read the OUs' active accounts from AWS Organizations into the plan's `--ou-accounts`.

    What the program does at `pulumi up`; an OU named by `--ou-accounts` is taken as
    given. The result holds the warnings (an OU with no account) and the OUs that
    could not be read; with `strict`, an OU that could not be read raises
    CannotCheckError naming it.
    """
    from session_manager.ops.aws_access import AwsAccess, CannotCheckError  # noqa: PLC0415
    from session_manager.ops.organization import resolve_for_plan  # noqa: PLC0415

    access = AwsAccess(args.endpoint_url, credentials=credentials)
    members = resolve_for_plan(access, args.project_dir, args.stack, args.ou_accounts)
    if strict and members.errors:
        raise CannotCheckError("; ".join(members.error_lines()))
    args.ou_accounts = [*args.ou_accounts, *members.flags()]
    return members


def _not_aws_endpoint(args: argparse.Namespace) -> str | None:
    """Why `--endpoint-url` is no AWS API (e.g. a web server on the wrong port), or None."""
    if not args.endpoint_url:
        return None
    from session_manager.ops.endpoint_check import endpoint_problem  # noqa: PLC0415

    return endpoint_problem(args.endpoint_url)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _plan_flag_misuse(args: argparse.Namespace) -> str | None:
    if args.diff and args.format == "terraform-plan":
        return (
            "plan: --format terraform-plan describes one plan, not a diff: "
            "use --diff with --format text or json"
        )
    if args.import_file and not args.diff:
        return "plan: --import-file writes what a --diff finds to import: add --diff BASE.json"
    return None


def _plan(args: argparse.Namespace) -> int:
    from session_manager.cli_shards import plan_all, select  # noqa: PLC0415
    from session_manager.offline.jit_check import plan_answers  # noqa: PLC0415
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.offline.render import format_plan  # noqa: PLC0415

    misuse = _plan_flag_misuse(args)
    if misuse:
        return _fail(misuse)
    try:
        sharded = select(args)
        if sharded is not None:  # every stack of a sharded organization, merged
            return plan_all(args, sharded)
        # A summary prints no outputs, so it need not resolve them. The full plan and
        # --json print the warnings themselves; so does a diff, text or JSON (an
        # offboarding account, a skipped closed account: what the change is about).
        plan = _load_plan(
            args,
            resolve_outputs=not args.summary,
            show_warnings=args.summary and not args.diff,
            offline=True,
        )
        # The request table's answers: `plan --json` keeps them for a later --diff.
        answers = plan_answers(Path(args.project_dir), args.stack, args.ou_accounts)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    if args.diff:
        return _print_diff(
            plan,
            Path(args.diff),
            as_json=args.json or args.format == "json",
            summary=args.summary,
            answers=answers,
            import_path=args.import_file,
            shard=args.shard if args.part is not None else None,
        )
    if args.format == "terraform-plan":
        return _print_terraform_plan(plan)
    if args.json or args.format == "json":
        print(json.dumps(plan.to_json() | answers, indent=2, sort_keys=True))
    elif args.summary:
        counts = Counter(r.type for r in plan.resources)
        for typ, count in sorted(counts.items()):
            print(f"{count:6d}  {typ}")
        print(f"{len(plan.resources):6d}  resources in all")
    else:
        print(format_plan(plan))
    return 0


def _print_terraform_plan(plan: Plan) -> int:
    """`plan --format terraform-plan`: Terraform's plan JSON, for IaC scanners."""
    from session_manager.offline.terraform_plan import (  # noqa: PLC0415
        TerraformPlanError,
        format_terraform_plan,
    )

    try:
        print(format_terraform_plan(plan))
    except TerraformPlanError as exc:
        return _fail(str(exc))
    return 0


def _print_diff(
    plan: Plan,
    base_file: Path,
    *,
    as_json: bool,
    summary: bool,
    answers: dict[str, dict[str, str]] | None = None,
    import_path: str | None = None,
    shard: str | None = None,
) -> int:
    """`plan --diff BASE.json`: the change from the base plan to this one; a base of
    another stack, project or kind of plan is refused (exit 2)."""
    from session_manager.cli_shards import print_diff, print_stack_diffs  # noqa: PLC0415
    from session_manager.offline.diff import DiffError, diff_plans  # noqa: PLC0415
    from session_manager.offline.diff_text import format_diff  # noqa: PLC0415
    from session_manager.offline.jit_check import answer_flips  # noqa: PLC0415

    try:
        text = base_file.read_text()
        if not text.strip():
            return _fail(
                f"cannot diff against {base_file}: the file is empty; write the base plan "
                "with `plan --json > FILE` on the base branch"
            )
        try:
            base: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            return _fail(
                f"cannot diff against {base_file}: not JSON ({exc.msg}, line {exc.lineno} "
                f"column {exc.colno}); is it `plan --json` output?"
            )
        if isinstance(base, dict) and "stacks" in base:  # a sharded organization's plans
            return print_stack_diffs(
                base_file, base, [plan.to_json()], as_json, summary, shard=shard, answers=answers
            )
        diff = diff_plans(base, plan.to_json())
    except (OSError, ValueError, DiffError) as exc:
        return _fail(f"cannot diff against {base_file}: {exc}")
    flips = answer_flips(cast(Any, base), answers or {})
    if import_path:
        # `pulumi import --file` input for an account that comes back (empty when none).
        Path(import_path).write_text(json.dumps(diff.import_file or {"resources": []}, indent=2))
    print_diff(diff.to_json, lambda: format_diff(diff, summary=summary), flips, as_json)
    # Steps the engine refuses (a protected resource deleted or replaced, an unreachable
    # account's provider): `pulumi up` will fail, so a pipeline must not pass.
    # Or the state would point at another account than AWS (a provider swap across accounts).
    return EXIT_ENGINE_REFUSES if diff.fails else 0


def _verify(args: argparse.Namespace) -> int:
    from session_manager.cli_shards import select, verify_all  # noqa: PLC0415
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.ops.aws_access import AwsAccess, CannotCheckError  # noqa: PLC0415
    from session_manager.ops.drift.result import Report  # noqa: PLC0415
    from session_manager.ops.verify import emulated_part, progress_printer, verify  # noqa: PLC0415

    # Whatever fails, the report is printed in the chosen format (the drift workflow
    # publishes the Markdown one as the job summary): an empty one would hide why.
    not_aws = _not_aws_endpoint(args)
    if not_aws:
        return _print_report(args, Report(stack=args.stack, results=[], errors=[not_aws]))
    try:
        sharded = select(args)  # first: bad --stack/--shard is a usage error, no report
        members = _read_organization(args, strict=False)
        if sharded is not None:  # every stack of a sharded organization, one report
            merged = verify_all(args, sharded, members.warnings, members.error_lines())
            return _print_report(args, merged)
        # The report carries the plan's warnings; stderr need not repeat them.
        plan = _load_plan(args, resolve_outputs=False, show_warnings=False)
    except (ConfigError, PlanError, CannotCheckError) as exc:
        failed = Report(
            stack=args.stack, results=[], errors=[f"the stack could not be planned: {exc}"]
        )
        return _print_report(args, failed)
    skipped: list[str] = []
    if args.endpoint_url:
        # An emulator: what `emulate` skips is left out here too, with a warning.
        plan, skipped = emulated_part(plan, AwsAccess(args.endpoint_url))
    report = verify(
        plan,
        AwsAccess(args.endpoint_url),
        progress=progress_printer(),
        warnings=[*members.warnings, *skipped],
        errors=members.error_lines(),
    )
    return _print_report(args, report)


def _print_report(args: argparse.Namespace, report: Report) -> int:
    from session_manager.ops.verify import format_report  # noqa: PLC0415
    from session_manager.ops.verify_markdown import markdown_report  # noqa: PLC0415

    if args.json or args.format == "json":
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    elif args.format == "markdown":
        print(markdown_report(report))
    else:
        print(format_report(report))
    if report.errors:
        # Also on stderr, for a terminal or log that shows only that.
        for error in report.errors:
            print(f"error: {error}", file=sys.stderr)
    return report.exit_code


def _adopt(args: argparse.Namespace) -> int:
    from session_manager.cli_shards import adopt_all, select  # noqa: PLC0415
    from session_manager.offline.plan import PlanError  # noqa: PLC0415

    try:
        sharded = select(args)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    if sharded is not None:  # an import file per stack of a sharded organization
        return adopt_all(args, sharded, _adopt_stack)
    return _adopt_stack(args)


def _adopt_stack(args: argparse.Namespace) -> int:
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.ops.adopt import (  # noqa: PLC0415
        import_blockers,
        import_file,
        look_up,
        next_steps,
        review,
    )
    from session_manager.ops.aws_access import AwsAccess, CannotCheckError  # noqa: PLC0415

    not_aws = _not_aws_endpoint(args)
    if not_aws:
        return _fail(not_aws)
    try:
        for warning in _read_organization(args).warnings:
            print(f"warning: {warning}", file=sys.stderr)
        plan = _load_plan(args, resolve_outputs=False)
        existing, renamed = look_up(plan, AwsAccess(args.endpoint_url))
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    except CannotCheckError as exc:
        return _fail(f"could not look for existing documents: {exc}")
    print(review(existing, plan.invented))
    blockers = import_blockers(existing, renamed, force=args.force, out=args.out)
    if blockers:
        print("\n" + blockers)
        if not args.force:
            return 1
    if not existing:
        return 0
    failed = write_text(
        "--out", Path(args.out), json.dumps(import_file(plan, existing), indent=2) + "\n"
    )
    part = getattr(args, "part", None)
    # A shard stack runs with the organization's stack file (docs/shards.md).
    stack = f" --stack {part.name} --config-file Pulumi.{args.stack}.yaml" if part else ""
    print(failed or next_steps(args.out, existing, stack), file=sys.stderr if failed else None)
    return 2 if failed else 0


def _emulate(args: argparse.Namespace) -> int:
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.ops.aws_access import CannotCheckError  # noqa: PLC0415
    from session_manager.ops.emulate import (  # noqa: PLC0415
        EMULATOR_ACCESS_KEY,
        EMULATOR_SECRET_KEY,
        NOT_EMULATED,
        EmulationError,
        Emulator,
        EmulatorUnreachableError,
    )

    emulator = {
        "aws_access_key_id": EMULATOR_ACCESS_KEY,
        "aws_secret_access_key": EMULATOR_SECRET_KEY,
    }
    not_aws = _not_aws_endpoint(args)
    if not_aws:
        return _fail(not_aws)
    try:
        for warning in _read_organization(args, credentials=emulator).warnings:
            print(f"warning: {warning}", file=sys.stderr)
        plan = _load_plan(args, resolve_outputs=False)
    except (ConfigError, PlanError, CannotCheckError) as exc:
        return _fail(str(exc))
    try:
        report = Emulator(args.endpoint_url).apply(plan)
    except EmulatorUnreachableError as exc:
        return _fail(str(exc))
    except EmulationError as exc:
        print(f"The emulator refused the plan: {exc}", file=sys.stderr)
        return 1
    counts = Counter(r.type for r in report.created)
    print(f"Applied stack '{plan.stack}' to {args.endpoint_url}:")
    for typ, count in sorted(counts.items()):
        print(f"  {count:4d}  {typ}")
    for resource in report.skipped:
        why = "needs a real network" if resource.type in NOT_EMULATED else "not emulated"
        why = report.reasons.get(resource.urn, why)
        print(f"  skipped {resource.type} {resource.name} ({why})")
    for note in report.notes:
        print(f"warning: {note}", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from session_manager.ops.demo import run_demo  # noqa: PLC0415

    return run_demo(args)


def _jit_check(args: argparse.Namespace) -> int:
    """`jit check`: answer the stack's request table with its approval policies."""
    from session_manager.offline.jit_check import check_stack  # noqa: PLC0415
    from session_manager.offline.plan import PlanError  # noqa: PLC0415

    try:
        rows = check_stack(Path(args.project_dir), args.stack, args.ou_accounts)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    wrong = [row for row in rows if not row.matches]
    for row in wrong:
        print(f"MISMATCH {row.name}: expected {row.expected}, got {row.got.text} ({row.got.why})")
    print(f"{len(rows) - len(wrong)} of {len(rows)} requests answered as expected")
    return 1 if wrong else 0


def _config_reference(args: argparse.Namespace) -> int:
    from session_manager.config.reference import config_reference_markdown, embed_reference  # noqa: PLC0415

    if args.write:
        readme = Path(args.write)
        try:
            text = readme.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"--write {readme}: cannot read it: {exc}")
        try:
            updated = embed_reference(text)
        except ValueError as exc:
            return _fail(f"--write {readme}: {exc}")
        failed = write_text("--write", readme, updated)
        if failed:
            return _fail(failed)
        print(f"updated the config reference in {readme}")
    else:
        print(config_reference_markdown(), end="")
    return 0


def _stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", required=True, type=stack_name, help="stack name: reads Pulumi.<stack>.yaml"
    )
    parser.add_argument("--project-dir", default=".", help="folder with Pulumi.yaml (default: .)")
    parser.add_argument(
        "--ou-accounts",
        action="append",
        default=[],
        metavar="OU=ACCOUNT,...",
        help="accounts an organizational unit holds, for the plan (repeatable); offline, "
        "an OU otherwise holds no accounts",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m session_manager",
        description="Session Manager preferences as code: tools for the Pulumi program.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="print what `pulumi up` would create for a stack, offline",
        description=(
            "Run the project's __main__.py for a stack under Pulumi's mock runtime and print "
            "every resource it registers. No AWS calls, no credentials, no Pulumi CLI. "
            "Exit 0; 1 with --diff when the diff lists steps the engine refuses (`pulumi up` "
            "would fail; the diff is printed); 2 bad input, or a base it can't diff against."
        ),
    )
    _stack_options(plan)
    add_shard_options(plan)
    output = plan.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--summary", action="store_true", help="print resource counts only")
    output.add_argument(
        "--format",
        choices=["text", "json", "terraform-plan"],
        help="terraform-plan: Terraform's plan JSON (`terraform show -json`), for IaC scanners "
        "such as checkov and trivy",
    )
    plan.add_argument(
        "--preview",
        action="store_true",
        help="plan as a first `pulumi preview` sees the stack: ids, ARNs and everything "
        "derived from them are unknown until the resources exist",
    )
    plan.add_argument(
        "--diff",
        metavar="BASE.json",
        type=readable_file,
        help="print only what changes from a base plan (a `plan --json` of the same stack, "
        "planned the same way): the engine's steps, what AWS loses, documents as unified "
        "diffs; with --summary, only the counts and what AWS loses. Exit 1 when the "
        "engine would refuse a step, or resources would move to another account's provider",
    )
    plan.add_argument(
        "--import-file",
        metavar="FILE.json",
        help="with --diff: write the `pulumi import --file` JSON of what an account that "
        "comes back still has in AWS",
    )
    plan.set_defaults(handler=_plan)

    verify = commands.add_parser(
        "verify",
        help="check, read-only, that AWS holds what the stack declares",
        description=(
            "Each drift is a finding with an id and a severity. Exit 0 in sync; 2 a target "
            "could not be checked (outranks drift); else the worst severity's: 4 breaks "
            "sessions, 3 loses logs, 1 weakens security, 5 cosmetic only."
        ),
    )
    _stack_options(verify)
    add_shard_options(verify)
    verify.add_argument(
        "--endpoint-url", type=endpoint_url, help="an AWS API emulator to check instead of AWS"
    )
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text for terminals, json for machines, markdown for a CI job summary "
        "(a table of accounts x Regions, then the drift details)",
    )
    verify.set_defaults(handler=_verify)

    adopt = commands.add_parser(
        "adopt",
        help="write a pulumi import file for managed documents that already exist",
    )
    _stack_options(adopt)
    add_shard_options(adopt, jobs=False)
    adopt.add_argument(
        "--endpoint-url", type=endpoint_url, help="an AWS API emulator to look in instead of AWS"
    )
    adopt.add_argument(
        "--out", required=True, type=writable_file, help="where to write the import file"
    )
    adopt.add_argument(
        "--force",
        action="store_true",
        help="also import documents whose default version is not their latest",
    )
    adopt.set_defaults(handler=_adopt)

    emulate = commands.add_parser(
        "emulate",
        help="apply the stack's plan to an AWS API emulator (moto) with real create calls",
    )
    _stack_options(emulate)
    emulate.add_argument(
        "--endpoint-url",
        type=endpoint_url,
        required=True,
        help="the emulator, e.g. http://127.0.0.1:5000",
    )
    emulate.set_defaults(handler=refusing_sharded_stacks(_emulate))

    demo = commands.add_parser(
        "demo",
        help="start moto on loopback, emulate and verify a stack, print a summary, stop",
    )
    _stack_options(demo)
    demo.set_defaults(handler=refusing_sharded_stacks(_demo))

    jit = commands.add_parser(
        "jit", help="just-in-time node access: `jit check` answers the stack's request table"
    )
    jit_commands = jit.add_subparsers(dest="jit_command", required=True, metavar="COMMAND")
    jit_check = jit_commands.add_parser(
        "check",
        help="evaluate the request table with Cedar: deny-access, auto-approval, manual",
        description=(
            "Answer each row of justInTimeAccess.requestTable as AWS orders the policies "
            "(deny-access, then auto-approval, then manual) and print every mismatch. "
            "Exit 0 all match, 1 a mismatch, 2 bad config or table."
        ),
    )
    _stack_options(jit_check)
    jit_check.set_defaults(handler=_jit_check)

    add_shards_command(commands)
    reference = commands.add_parser(
        "config-reference", help="print the stack-config reference table (Markdown)"
    )
    reference.add_argument(
        "--write",
        metavar="PAGE",
        type=readable_file,
        help="rewrite the reference in this page (docs/configuration-reference.md)",
    )
    reference.set_defaults(handler=_config_reference)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        # `plan --json | head`: the reader left; nothing more to say, and no traceback.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (lives till exit)
        return 0
