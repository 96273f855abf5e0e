"""The stack's offline plan, as the CLI commands and the demo ask for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from session_manager.offline.mocks import AwsMocks
from session_manager.offline.ou_accounts import (
    OuAccountsError,
    account_states,
    configured_ous,
    offline_ou_warnings,
    parse_ou_accounts,
)
from session_manager.offline.plan import (
    Plan,
    PlanError,
    PlannedResource,
    read_stack_config,
    run_plan,
)

__all__ = ["load_plan", "parse_ou_accounts"]


def load_plan(
    project_dir: str | Path,
    stack: str,
    ou_accounts: Sequence[str] = (),
    *,
    resolve_outputs: bool = True,
    preview: bool = False,
    warn_ous_without_accounts: bool = False,
    config_file: str | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    referenced: Sequence[PlannedResource] = (),
    referenced_invented: Iterable[str] = (),
) -> Plan:
    """The stack's offline plan; raises ConfigError or PlanError.

    `warn_ous_without_accounts`: warn about each OU that `ou_accounts` leaves out (for
    `plan`; the commands that read OUs from AWS have their own warning for an empty OU).
    `config_file`: the stack whose file holds the config (a shard's); `stack_outputs`:
    what each stack reference reads, by fully qualified stack name; `referenced` and
    `referenced_invented`: that stack's resources and made-up values the outputs carry.
    """
    project_dir = Path(project_dir)
    config, _ = read_stack_config(project_dir, config_file or stack)
    known_ous = configured_ous(config)
    try:
        organization = parse_ou_accounts(ou_accounts, known_ous)
    except OuAccountsError as exc:
        raise PlanError(str(exc)) from None
    mocks = AwsMocks(
        region=config.get("aws:region", "us-east-1"),
        organization_accounts=organization,
        account_states=account_states(ou_accounts),
        stack_outputs=stack_outputs,
    )
    plan = run_plan(
        project_dir,
        stack,
        mocks=mocks,
        resolve_outputs=resolve_outputs,
        preview=preview,
        config_file=config_file,
    )
    plan.referenced = list(referenced)
    plan.invented |= set(referenced_invented)
    if warn_ous_without_accounts:
        plan.warnings[:0] = offline_ou_warnings(known_ous, organization)
    return plan
