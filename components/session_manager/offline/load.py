"""The stack's offline plan, as the CLI commands and the demo ask for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, read_stack_config, run_plan


def parse_ou_accounts(entries: Sequence[str]) -> dict[str, list[str]]:
    """`--ou-accounts OU=ACCOUNT,ACCOUNT` flags as a map of OU id to account ids."""
    organization: dict[str, list[str]] = {}
    for entry in entries:
        ou_id, _, accounts = entry.partition("=")
        organization.setdefault(ou_id, []).extend(a for a in accounts.split(",") if a)
    return organization


def load_plan(
    project_dir: str | Path,
    stack: str,
    ou_accounts: Sequence[str] = (),
    *,
    resolve_outputs: bool = True,
    preview: bool = False,
) -> Plan:
    """The stack's offline plan; raises ConfigError or PlanError."""
    project_dir = Path(project_dir)
    config, _ = read_stack_config(project_dir, stack)
    mocks = AwsMocks(
        region=config.get("aws:region", "us-east-1"),
        organization_accounts=parse_ou_accounts(ou_accounts),
    )
    return run_plan(
        project_dir, stack, mocks=mocks, resolve_outputs=resolve_outputs, preview=preview
    )
