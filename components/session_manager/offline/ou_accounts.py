"""The `--ou-accounts OU=ACCOUNT,...` flag: which accounts an organizational unit holds.

Offline, an OU holds no accounts unless this flag says so. Every entry is checked
before the plan runs: the `=`, the OU id against the OUs the stack's targets name, and
each account id. verify and adopt call the same parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from session_manager.aws.rules import ACCOUNT_ID_PATTERN
from session_manager.config.errors import NAMESPACE
from session_manager.config.fields import ORGANIZATIONAL_UNIT_PATTERN

FLAG = "--ou-accounts"
EXAMPLE = "ou-ab12-cdef3456=111111111111,222222222222"
# Account.State in the Organizations API (API_Account.html); an account written
# `ACCOUNT:STATE` is in that state, as the program sees it, and is skipped unless ACTIVE.
ACCOUNT_STATES = ("PENDING_ACTIVATION", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED")


class OuAccountsError(ValueError):
    """One or more `--ou-accounts` entries are malformed; the message lists each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"{FLAG} {problem}" for problem in self.problems))


def configured_ous(config: Mapping[str, str]) -> list[str]:
    """The organizational units the stack's targets name, from engine-text config."""
    text = config.get(f"{NAMESPACE}:targets")
    try:
        targets: Any = json.loads(text) if text else []
    except json.JSONDecodeError:
        return []
    if not isinstance(targets, list):
        return []
    ous = [
        cast(dict[str, Any], target).get("organizationalUnit")
        for target in cast(list[Any], targets)
        if isinstance(target, dict)
    ]
    return sorted({ou for ou in ous if isinstance(ou, str) and ou})


def parse_ou_accounts(
    entries: Sequence[str], known_ous: Collection[str] | None = None
) -> dict[str, list[str]]:
    """`OU=ACCOUNT,ACCOUNT` entries as OU id -> account ids; raises OuAccountsError.

    An account may carry its Organizations state, `ACCOUNT:SUSPENDED` (`account_states`).

    With `known_ous`, an OU the config doesn't name is refused too: it would change nothing.
    """
    organization: dict[str, list[str]] = {}
    problems: list[str] = []
    for entry in entries:
        ou_id, equals, listed = (part.strip() for part in entry.partition("="))
        if not equals:
            problems.append(f"{entry!r}: write OU=ACCOUNT,ACCOUNT, e.g. {EXAMPLE}")
            continue
        if not ORGANIZATIONAL_UNIT_PATTERN.match(ou_id):
            problems.append(
                f"{entry!r}: {ou_id!r} is not an organizational unit id (ou-xxxx-xxxxxxxx) "
                "or root id (r-xxxx)"
            )
            continue
        if known_ous is not None and ou_id not in known_ous:
            named = ", ".join(sorted(known_ous)) or "none"
            problems.append(
                f"{entry!r}: no target names the organizational unit {ou_id}; the stack's "
                f"targets name: {named}"
            )
            continue
        written = [account.strip() for account in listed.split(",") if account.strip()]
        if not written:
            problems.append(f"{entry!r}: names no account after '='; e.g. {EXAMPLE}")
            continue
        accounts = [account.partition(":")[0] for account in written]
        bad = [account for account in accounts if not ACCOUNT_ID_PATTERN.match(account)]
        if bad:
            problems.append(
                f"{entry!r}: {', '.join(repr(a) for a in bad)} "
                f"{'is not an account id' if len(bad) == 1 else 'are not account ids'} (12 digits)"
            )
            continue
        wrong = [a for a in written if ":" in a and a.partition(":")[2] not in ACCOUNT_STATES]
        if wrong:
            problems.append(
                f"{entry!r}: {', '.join(repr(a) for a in wrong)}: after ':' write an account "
                f"state, one of {', '.join(ACCOUNT_STATES)}"
            )
            continue
        organization.setdefault(ou_id, []).extend(accounts)
    if problems:
        raise OuAccountsError(problems)
    return organization


def account_states(entries: Sequence[str]) -> dict[str, str]:
    """The states `ACCOUNT:STATE` gives in `--ou-accounts` entries (checked by
    `parse_ou_accounts`); an account written without one is ACTIVE."""
    return {
        account: state
        for entry in entries
        for written in entry.partition("=")[2].split(",")
        for account, _, state in [written.strip().partition(":")]
        if state
    }


# What offline_ou_warnings says, read back from a base plan's warnings.
_OU_WITHOUT_ACCOUNTS = re.compile(r"organizational unit (\S+) has no accounts in this offline plan")


def ous_planned_without_accounts(plan_json: object) -> list[str]:
    """The OUs a plan's JSON (one stack's, or the merged stacks' `stacks` list) warned it
    planned with no accounts: a base planned so lists none of their accounts' moves."""
    found: set[str] = set()
    todo: list[object] = [plan_json]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            for key, item in cast(dict[str, object], value).items():
                if key == "warnings" and isinstance(item, list):
                    for warning in cast(list[object], item):
                        found.update(_OU_WITHOUT_ACCOUNTS.findall(str(warning)))
                elif key == "stacks":
                    todo.append(item)
        elif isinstance(value, list):
            todo.extend(cast(list[object], value))
    return sorted(found)


def offline_ou_warnings(
    known_ous: Collection[str], organization: Mapping[str, object]
) -> list[str]:
    """Warnings for the OUs the stack's targets name that `--ou-accounts` gives no accounts.

    Offline, such an OU plans nothing at all, which would look like a stack with nothing to do.
    """
    return [
        f"{NAMESPACE}:targets: organizational unit {ou} has no accounts in this offline plan, "
        "so nothing is planned for it; `pulumi up`, verify, adopt and emulate read its "
        f"accounts from AWS Organizations; to plan them offline, pass {FLAG} {ou}=ACCOUNT,..."
        for ou in sorted(known_ous)
        if ou not in organization
    ]
