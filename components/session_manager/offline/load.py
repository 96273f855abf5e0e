"""The stack's offline plan, as the CLI commands and the demo ask for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from session_manager.offline.mocks import AwsMocks
from session_manager.offline.ou_accounts import (
    OuAccountsError,
    configured_ous,
    parse_ou_accounts,
)
from session_manager.offline.plan import Plan, PlanError, read_stack_config, run_plan

__all__ = ["load_plan", "parse_ou_accounts"]


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
    try:
        organization = parse_ou_accounts(ou_accounts, configured_ous(config))
    except OuAccountsError as exc:
        raise PlanError(str(exc)) from None
    mocks = AwsMocks(
        region=config.get("aws:region", "us-east-1"), organization_accounts=organization
    )
    return run_plan(
        project_dir, stack, mocks=mocks, resolve_outputs=resolve_outputs, preview=preview
    )
