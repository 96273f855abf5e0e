"""Organizational units' accounts, read from AWS Organizations the way the program reads them.

At `pulumi up` the program expands each `organizationalUnit` target with the
provider's `getOrganizationalUnitDescendantAccounts` and skips, with a warning, the
accounts that aren't ACTIVE. That function (terraform-provider-aws,
organizational_unit_descendant_accounts_data_source.go) lists the OU's accounts,
then recurses into each child OU: ListAccountsForParent plus
ListOrganizationalUnitsForParent, every page.
verify, adopt and emulate do the same here, with the stack's own (ambient)
credentials, so their plan holds the accounts `pulumi up` would manage; the
exclusions are then applied by the program's own target rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from session_manager.config.jit import policy_files_from
from session_manager.config.loading import namespace_values, parse_stack_config
from session_manager.config.secrets import offline_placeholders
from session_manager.offline.plan import read_stack_config
from session_manager.ops.aws_access import AwsAccess, failure_reason

# Account states the program keeps (Organizations API reference, Account.State).
ACTIVE = "ACTIVE"


@dataclass
class OrganizationMembers:
    """OU id -> the ids of its active accounts, what the report should warn about, and
    the OUs whose accounts could not be read (OU id -> the reason)."""

    accounts: dict[str, list[str]] = field(default_factory=dict[str, list[str]])
    warnings: list[str] = field(default_factory=list[str])
    errors: dict[str, str] = field(default_factory=dict[str, str])
    # Accounts below the OUs that aren't ACTIVE -> their state: the program skips them.
    inactive: dict[str, dict[str, str]] = field(default_factory=dict[str, dict[str, str]])

    def flags(self) -> list[str]:
        """The members as `--ou-accounts OU=ACCOUNT,ACCOUNT:STATE,...` values (OUs with
        accounts only), so the plan skips and warns about the inactive ones as `pulumi up`
        does."""
        flags: list[str] = []
        for ou, ids in self.accounts.items():
            states = self.inactive.get(ou, {})
            written = [*ids, *(f"{a}:{state}" for a, state in sorted(states.items()))]
            if written:
                flags.append(f"{ou}={','.join(written)}")
        return flags

    def error_lines(self) -> list[str]:
        """One line per OU that could not be read, naming it."""
        return [
            f"could not read the accounts of organizational unit {ou} from AWS "
            f"Organizations, so none of them was checked: {reason}"
            for ou, reason in self.errors.items()
        ]


def organizational_units(project_dir: str | Path, stack: str) -> list[str]:
    """The OU ids the stack's targets name, in config order.

    The config is read as the offline plan reads it: a `secure:` value, which this
    cannot decrypt, stands as the placeholder and is not checked (README "Secrets").
    """
    raw, _ = read_stack_config(Path(project_dir), stack)
    with offline_placeholders(), policy_files_from(Path(project_dir)):
        config = parse_stack_config(namespace_values(raw), raw.get("aws:region"))
    return list(
        dict.fromkeys(t.organizational_unit for t in config.targets if t.organizational_unit)
    )


def descendant_states(organizations: Any, parent_id: str) -> dict[str, str]:
    """Every account at `parent_id` and below it, with its state."""
    found: dict[str, str] = {}
    parents = [parent_id]
    while parents:
        parent = parents.pop()
        accounts = organizations.get_paginator("list_accounts_for_parent")
        for page in accounts.paginate(ParentId=parent):
            for account in page["Accounts"]:
                # `State` replaces the deprecated `Status` (API_Account.html).
                found[str(account["Id"])] = str(account.get("State", account.get("Status")))
        units = organizations.get_paginator("list_organizational_units_for_parent")
        for page in units.paginate(ParentId=parent):
            parents += [str(unit["Id"]) for unit in page["OrganizationalUnits"]]
    return dict(sorted(found.items()))


def read_members(access: AwsAccess, ou_ids: Iterable[str], region: str) -> OrganizationMembers:
    """Each OU's active accounts, through the ambient credentials (the default provider).

    An OU that cannot be read (no credentials, no permission, no such OU) is put in
    `errors` with the reason; the other OUs are still read.
    """
    members = OrganizationMembers()
    ou_ids = list(ou_ids)
    if not ou_ids:
        return members
    try:
        organizations = access.client(None, "organizations", region)
    except (ClientError, BotoCoreError) as exc:
        reason = failure_reason(exc, access.endpoint_url)
        members.errors = dict.fromkeys(ou_ids, reason)
        return members
    for ou_id in ou_ids:
        try:
            states = descendant_states(organizations, ou_id)
            members.accounts[ou_id] = [a for a, state in states.items() if state == ACTIVE]
            members.inactive[ou_id] = {a: s for a, s in states.items() if s != ACTIVE}
        except (ClientError, BotoCoreError) as exc:
            members.errors[ou_id] = failure_reason(exc, access.endpoint_url)
    members.warnings = [
        f"session-manager:targets: organizationalUnit {ou} holds no active account; "
        "nothing is managed there"
        for ou, ids in members.accounts.items()
        if not ids
    ]
    return members


def resolve_for_plan(
    access: AwsAccess, project_dir: str | Path, stack: str, given: Iterable[str]
) -> OrganizationMembers:
    """The stack's OUs read from AWS, except those `--ou-accounts` already names."""
    named = {entry.partition("=")[0] for entry in given}
    raw, _ = read_stack_config(Path(project_dir), stack)
    region = str(raw.get("aws:region") or "us-east-1")
    wanted = [ou for ou in organizational_units(project_dir, stack) if ou not in named]
    return read_members(access, wanted, region)
