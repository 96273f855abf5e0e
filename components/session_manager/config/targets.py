"""Turn `targets` config into the account-Regions one stack manages.

Pure: organizational units are expanded through a lookup function the program
passes in (the provider's Organizations functions), so the rules here are
tested without AWS. Runs before any resource is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from session_manager.config.errors import ConfigError
from session_manager.config.organization import Target
from session_manager.config.preferences import Preferences
from session_manager.config.stack import StackConfig

# Organizational unit id -> the ids of the active accounts below it.
AccountLookup = Callable[[str], Sequence[str]]


@dataclass
class AccountTarget:
    """One account: how to reach it, and the preferences of each of its Regions."""

    account_id: str
    role_arn: str
    regions: dict[str, Preferences] = field(default_factory=dict[str, Preferences])


@dataclass
class ResolvedTargets:
    accounts: list[AccountTarget]
    warnings: list[str]


def role_arn_for(config: StackConfig, target: Target, account_id: str, partition: str) -> str:
    if target.role_arn:
        return target.role_arn
    role_name = target.role_name or config.default_role_name
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def resolve_targets(
    config: StackConfig, partition: str, list_accounts: AccountLookup
) -> ResolvedTargets:
    """Expand OUs, apply exclusions, and refuse an account-Region managed twice."""
    problems: list[tuple[str, str]] = []
    accounts: dict[str, AccountTarget] = {}
    claimed: dict[tuple[str, str], str] = {}  # (account, region) -> the target path that has it
    excluded_accounts = set(config.exclude_accounts)
    excluded_regions = set(config.exclude_regions)
    matched_accounts: set[str] = set()
    matched_regions: set[str] = set()

    for index, target in enumerate(config.targets):
        path = f"session-manager:targets[{index}]"
        if target.organizational_unit:
            members = sorted(set(list_accounts(target.organizational_unit)))
            source = f"{path} (organizationalUnit {target.organizational_unit})"
        else:
            members = [target.account]
            source = path
        regions = target.regions or config.regions
        preferences = config.preferences_for(target)
        for account_id in members:
            if account_id in excluded_accounts:
                matched_accounts.add(account_id)
                continue
            role_arn = role_arn_for(config, target, account_id, partition)
            account = accounts.setdefault(account_id, AccountTarget(account_id, role_arn))
            if account.role_arn != role_arn:
                problems.append(
                    (
                        path,
                        f"reaches account {account_id} through {role_arn}, but another target "
                        f"reaches it through {account.role_arn}; use one role per account",
                    )
                )
                continue
            for region in regions:
                if region in excluded_regions:
                    matched_regions.add(region)
                    continue
                earlier = claimed.get((account_id, region))
                if earlier is not None:
                    problems.append(
                        (
                            path,
                            f"account {account_id} in {region} is already managed by {earlier}; "
                            "each account-Region may appear once",
                        )
                    )
                    continue
                claimed[(account_id, region)] = source
                account.regions[region] = preferences
    if problems:
        raise ConfigError(problems)

    warnings = [
        f"session-manager:excludeAccounts: {account} matches no target account"
        for account in sorted(excluded_accounts - matched_accounts)
    ] + [
        f"session-manager:excludeRegions: {region} matches no target Region"
        for region in sorted(excluded_regions - matched_regions)
    ]
    resolved = [
        AccountTarget(a.account_id, a.role_arn, dict(sorted(a.regions.items())))
        for _, a in sorted(accounts.items())
        if a.regions
    ]
    return ResolvedTargets(accounts=resolved, warnings=warnings)


def resolve_own_account(config: StackConfig, own_account: Callable[[], str]) -> ResolvedTargets:
    """Without targets: the Regions of the credentials' own account, after the exclusions.

    `excludeRegions` removes Regions from `regions`. `excludeAccounts` removes every
    Region when it names the credentials' account, which `own_account` looks up (only
    when `excludeAccounts` is set). The account id is "" (the default provider's).
    """
    warnings: list[str] = []
    excluded_regions = set(config.exclude_regions)
    regions = [region for region in config.regions if region not in excluded_regions]
    warnings += [
        f"session-manager:excludeRegions: {region} is not in session-manager:regions"
        for region in sorted(excluded_regions - set(config.regions))
    ]
    if config.exclude_accounts:
        account_id = own_account()
        warnings += [
            f"session-manager:excludeAccounts: {account} is not the credentials' account "
            f"({account_id}), the only one a stack without targets manages"
            for account in sorted(set(config.exclude_accounts) - {account_id})
        ]
        if account_id in config.exclude_accounts:
            warnings.append(
                f"session-manager:excludeAccounts names the credentials' own account "
                f"{account_id}: the stack manages nothing"
            )
            return ResolvedTargets(accounts=[], warnings=warnings)
    if not regions:
        warnings.append(
            "session-manager:excludeRegions excludes every Region in session-manager:regions: "
            "the stack manages nothing"
        )
    accounts = (
        [AccountTarget("", "", dict.fromkeys(regions, config.preferences))] if regions else []
    )
    return ResolvedTargets(accounts=accounts, warnings=warnings)
