"""Command line: `python -m session_manager <command>`.

Exit codes: 0 success (or in sync), 1 the command ran and found a problem
(drift, a resource the emulator refused), 2 it could not run or could not check
(bad config, missing files, no credentials).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from session_manager.config.errors import ConfigError

if TYPE_CHECKING:
    from session_manager.offline.plan import Plan


def _load_plan(args: argparse.Namespace, *, resolve_outputs: bool = True) -> Plan:
    """The stack's offline plan; raises ConfigError or PlanError."""
    from session_manager.offline.load import load_plan  # noqa: PLC0415
    from session_manager.offline.runtime_tuning import collection_paused  # noqa: PLC0415

    # A plan keeps every object it builds till the command ends: collecting is wasted work.
    with collection_paused():
        return load_plan(
            args.project_dir, args.stack, args.ou_accounts, resolve_outputs=resolve_outputs
        )


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _plan(args: argparse.Namespace) -> int:
    from session_manager.offline.plan import PlanError, format_plan  # noqa: PLC0415

    try:
        # A summary prints no outputs, so it need not resolve them.
        plan = _load_plan(args, resolve_outputs=not args.summary)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, sort_keys=True))
    elif args.summary:
        counts = Counter(r.type for r in plan.resources)
        for typ, count in sorted(counts.items()):
            print(f"{count:6d}  {typ}")
        print(f"{len(plan.resources):6d}  resources in all")
    else:
        print(format_plan(plan))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.ops.sessions import AwsAccess  # noqa: PLC0415
    from session_manager.ops.verify import format_report, progress_printer, verify  # noqa: PLC0415

    try:
        plan = _load_plan(args, resolve_outputs=False)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    report = verify(plan, AwsAccess(args.endpoint_url), progress=progress_printer())
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        print(format_report(report))
    return report.exit_code


def _adopt(args: argparse.Namespace) -> int:
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.ops.adopt import find_existing, import_file, provider_targets, review  # noqa: PLC0415
    from session_manager.ops.sessions import AwsAccess, CannotCheckError  # noqa: PLC0415

    try:
        plan = _load_plan(args, resolve_outputs=False)
        existing = find_existing(plan, AwsAccess(args.endpoint_url))
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    except CannotCheckError as exc:
        return _fail(f"could not look for existing documents: {exc}")
    print(review(existing))
    if not existing:
        return 0
    Path(args.out).write_text(json.dumps(import_file(plan, existing), indent=2) + "\n")
    print(f"\nWrote {args.out} with {len(existing)} document(s) to adopt. Next:")
    providers = provider_targets(existing)
    if providers:
        targets = " ".join(f"--target '{urn}'" for urn in providers)
        print(f"  pulumi up {targets}   # create the account providers first")
    print(f"  pulumi import --file {args.out} --protect=false --generate-code=false")
    print("  pulumi preview   # each adopted document shows an in-place update")
    return 0


def _emulate(args: argparse.Namespace) -> int:
    from session_manager.offline.plan import PlanError  # noqa: PLC0415
    from session_manager.ops.emulate import NOT_EMULATED, EmulationError, Emulator  # noqa: PLC0415

    try:
        plan = _load_plan(args, resolve_outputs=False)
    except (ConfigError, PlanError) as exc:
        return _fail(str(exc))
    try:
        report = Emulator(args.endpoint_url).apply(plan)
    except EmulationError as exc:
        print(f"The emulator refused the plan: {exc}", file=sys.stderr)
        return 1
    counts = Counter(r.type for r in report.created)
    print(f"Applied stack '{plan.stack}' to {args.endpoint_url}:")
    for typ, count in sorted(counts.items()):
        print(f"  {count:4d}  {typ}")
    for resource in report.skipped:
        why = "needs a real network" if resource.type in NOT_EMULATED else "not emulated"
        print(f"  skipped {resource.type} {resource.name} ({why})")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from session_manager.ops.demo import run_demo  # noqa: PLC0415

    return run_demo(args)


def _config_reference(args: argparse.Namespace) -> int:
    from session_manager.config.reference import config_reference_markdown, embed_reference  # noqa: PLC0415

    if args.write:
        readme = Path(args.write)
        readme.write_text(embed_reference(readme.read_text()))
        print(f"updated the config reference in {readme}")
    else:
        print(config_reference_markdown(), end="")
    return 0


def _stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
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
            "every resource it registers. No AWS calls, no credentials, no Pulumi CLI."
        ),
    )
    _stack_options(plan)
    output = plan.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--summary", action="store_true", help="print resource counts only")
    plan.set_defaults(handler=_plan)

    verify = commands.add_parser(
        "verify",
        help="check, read-only, that AWS holds what the stack declares",
        description=(
            "Exit 0 in sync, 1 drift (each field named, wanted and actual), 2 a target "
            "could not be checked."
        ),
    )
    _stack_options(verify)
    verify.add_argument("--endpoint-url", help="an AWS API emulator to check instead of AWS")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.set_defaults(handler=_verify)

    adopt = commands.add_parser(
        "adopt",
        help="write a pulumi import file for managed documents that already exist",
    )
    _stack_options(adopt)
    adopt.add_argument("--endpoint-url", help="an AWS API emulator to look in instead of AWS")
    adopt.add_argument("--out", required=True, help="where to write the import file")
    adopt.set_defaults(handler=_adopt)

    emulate = commands.add_parser(
        "emulate",
        help="apply the stack's plan to an AWS API emulator (moto) with real create calls",
    )
    _stack_options(emulate)
    emulate.add_argument(
        "--endpoint-url", required=True, help="the emulator, e.g. http://127.0.0.1:5000"
    )
    emulate.set_defaults(handler=_emulate)

    demo = commands.add_parser(
        "demo",
        help="start moto on loopback, emulate and verify a stack, print a summary, stop",
    )
    _stack_options(demo)
    demo.set_defaults(handler=_demo)

    reference = commands.add_parser(
        "config-reference", help="print the stack-config reference table (Markdown)"
    )
    reference.add_argument("--write", metavar="README", help="rewrite the table in this file")
    reference.set_defaults(handler=_config_reference)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))
