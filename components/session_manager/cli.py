"""Command line: `python -m session_manager <command>`.

Exit codes: 0 success, 1 the command ran and found a problem, 2 it could not run
(bad config, missing files).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from session_manager.config import ConfigError


def _plan(args: argparse.Namespace) -> int:
    from session_manager.mocks import AwsMocks  # noqa: PLC0415
    from session_manager.plan import (  # noqa: PLC0415
        PlanError,
        format_plan,
        read_stack_config,
        run_plan,
    )

    organization: dict[str, list[str]] = {}
    for entry in args.ou_accounts:
        ou_id, _, accounts = entry.partition("=")
        organization.setdefault(ou_id, []).extend(a for a in accounts.split(",") if a)
    try:
        project_dir = Path(args.project_dir)
        config, _ = read_stack_config(project_dir, args.stack)
        mocks = AwsMocks(
            region=config.get("aws:region", "us-east-1"), organization_accounts=organization
        )
        # A summary prints no outputs, so it need not resolve them.
        plan = run_plan(project_dir, args.stack, mocks=mocks, resolve_outputs=not args.summary)
    except (ConfigError, PlanError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
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


def _config_reference(args: argparse.Namespace) -> int:
    from session_manager.reference import (  # noqa: PLC0415
        config_reference_markdown,
        embed_reference,
    )

    if args.write:
        readme = Path(args.write)
        readme.write_text(embed_reference(readme.read_text()))
        print(f"updated the config reference in {readme}")
    else:
        print(config_reference_markdown(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m session_manager",
        description="Session Manager preferences as code: offline tools for the Pulumi program.",
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
    plan.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    output = plan.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--summary", action="store_true", help="print resource counts only")
    plan.add_argument("--project-dir", default=".", help="folder with Pulumi.yaml (default: .)")
    plan.add_argument(
        "--ou-accounts",
        action="append",
        default=[],
        metavar="OU=ACCOUNT,...",
        help="accounts an organizational unit holds, for the plan (repeatable); offline, "
        "an OU otherwise holds no accounts",
    )
    plan.set_defaults(handler=_plan)

    reference = commands.add_parser(
        "config-reference", help="print the stack-config reference table (Markdown)"
    )
    reference.add_argument("--write", metavar="README", help="rewrite the table in this file")
    reference.set_defaults(handler=_config_reference)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))
