"""Turn `targets` config into the account-Regions one stack manages.

Pure: organizational units are expanded through a lookup function the program
passes in (the provider's Organizations functions), so the rules here are
tested without AWS. Runs before any resource is registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from session_manager.config.errors import ConfigError
from session_manager.config.jit import JustInTimeAccess
from session_manager.config.organization import Target
from session_manager.config.preferences import Preferences
from session_manager.config.stack import StackConfig

# Organizational unit id -> the accounts below it, each with its Organizations state.
AccountLookup = Callable[[str], Mapping[str, str]]
# The organization's accounts and their states, as far as the credentials may list them.
StateLookup = Callable[[], Mapping[str, str]]

# Account.State in the Organizations API: PENDING_ACTIVATION | ACTIVE | SUSPENDED |
# PENDING_CLOSURE | CLOSED (https://docs.aws.amazon.com/organizations/latest/APIReference/
# API_Account.html; the deprecated Status has ACTIVE | SUSPENDED | PENDING_CLOSURE). Only an
# ACTIVE account's role can be assumed: a closed account stays SUSPENDED for 90 days.
ACTIVE = "ACTIVE"


@dataclass
class AccountTarget:
    """One account: how to reach it, and the preferences of each of its Regions."""

    account_id: str
    role_arn: str
    regions: dict[str, Preferences] = field(default_factory=dict[str, Preferences])
    # Listed in `offboardAccounts`: what the stack made there is no longer retained.
    offboard: bool = False
    # Its resources came from a per-account stack: aliased to their names there.
    moved_from_account_stack: bool = False
    # Each Region's just-in-time approval policies: its target's, else the stack's.
    just_in_time: dict[str, JustInTimeAccess | None] = field(
        default_factory=dict[str, "JustInTimeAccess | None"]
    )


@dataclass
class ResolvedTargets:
    accounts: list[AccountTarget]
    warnings: list[str]


def role_arn_for(config: StackConfig, target: Target, account_id: str, partition: str) -> str:
    if target.role_arn:
        return target.role_arn
    role_name = target.role_name or config.default_role_name
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def account_provider_urn(stack: str, project: str, account_id: str) -> str:
    """The engine URN of the explicit provider the program gives a target account
    (program.py `provider_for`: `aws-<account>`, parented to the stack)."""
    return f"urn:pulumi:{stack}::{project}::pulumi:providers:aws::aws-{account_id}"


def native_provider_urn(stack: str, project: str, account_id: str, region: str) -> str:
    """The engine URN of an account-Region's aws-native provider, which its just-in-time
    documents use (jit_wiring.py: `aws-native-<account>-<region>`, parented to the stack)."""
    return (
        f"urn:pulumi:{stack}::{project}::pulumi:providers:aws-native::"
        f"aws-native-{account_id}-{region}"
    )


def state_delete_commands(stack: str, provider_urns: Iterable[str]) -> str:
    """`pulumi state delete --target-dependents`, one per provider, each naming the stack:
    a sharded organization's shard stack is not the one selected
    (pkg/cmd/pulumi/state/state_delete.go: `--stack`, `--target-dependents`)."""
    return "; ".join(
        f"pulumi state delete --stack {stack} --target-dependents '{urn}'" for urn in provider_urns
    )


# The words inactive_account_warning writes, which `plan --diff` reads back.
_INACTIVE = re.compile(
    r"account (\d{12}) is ([A-Z_]+) in AWS Organizations, so its role can't be assumed"
)


def inactive_account_warning(
    path: str, account_id: str, state: str, stack: str, provider_urns: list[str]
) -> str:
    """Said when a target account can't be deployed to: it is skipped, not failed.

    Skipping is not enough while the state holds what the stack made there: for every
    resource it deletes, retained or not, the engine loads its provider from the old
    state (pulumi/pulumi pkg/resource/deploy/step_generator.go GenerateDeletes, lines
    2436-2440, `EnsureProvider`; deployment.go EnsureProvider, line 737, SameProvider;
    providers/registry.go Same, line 861, `Configure` with the old inputs), and
    pulumi-aws validates the credentials there by assuming the role (provider/config.go
    validateCredentials), which fails in such an account. `pulumi state delete
    --target-dependents` removes the provider and everything using it from the state
    without any provider call (pkg/cmd/pulumi/state/state_delete.go, flag line 163).
    `provider_urns`: the account's pulumi-aws provider and the aws-native provider of each
    Region with just-in-time policies, which the engine configures the same way
    (pulumi-aws-native provider/pkg/provider/provider.go Configure: STS through the
    assumed role).
    """
    return (
        f"{path}: account {account_id} is {state} in AWS Organizations, so its role can't be "
        "assumed: skipped. While the stack's state holds what it made there, `pulumi up` "
        "and `pulumi preview` FAIL: the engine loads the account's providers, assuming the "
        "role, to delete even retained resources. Run first, for each provider of the "
        f"account the state holds: {state_delete_commands(stack, provider_urns)} (they remove "
        "them from the state without calling AWS; they stay in AWS). `plan --diff` against "
        "the last deployed plan names exactly the providers the state holds"
    )


def inactive_accounts(warnings: Iterable[str]) -> dict[str, str]:
    """Account id -> Organizations state, for each account a plan's warnings skipped."""
    return {
        found.group(1): found.group(2)
        for warning in warnings
        if (found := _INACTIVE.search(warning))
    }


def _account_providers(
    config: StackConfig, target: Target, account_id: str, stack: str, project: str
) -> list[str]:
    """The providers the program gives an account of `target`: its pulumi-aws one, and an
    aws-native one in each Region where approval policies are declared."""
    jit = config.jit_for(target)
    with_policies = jit is not None and bool(jit.auto_approval or jit.manual_approvals)
    regions = [r for r in target.regions or config.regions if r not in config.exclude_regions]
    return [account_provider_urn(stack, project, account_id)] + [
        native_provider_urn(stack, project, account_id, region)
        for region in (regions if with_policies else [])
    ]


def resolve_targets(
    config: StackConfig,
    partition: str,
    list_accounts: AccountLookup,
    account_states: StateLookup | None = None,
    *,
    stack: str = "<stack>",
    project: str = "<project>",
) -> ResolvedTargets:
    """Expand OUs, skip accounts that aren't ACTIVE, apply exclusions, and refuse an
    account-Region managed twice.

    `account_states` is asked only when a target names an account: an account it says
    is not ACTIVE is skipped too; one it doesn't list is deployed as given.
    """
    problems: list[tuple[str, str]] = []
    inactive: dict[str, str] = {}  # account -> the warning that skips it
    explicit_states: Mapping[str, str] = (
        account_states() if account_states and any(t.account for t in config.targets) else {}
    )
    accounts: dict[str, AccountTarget] = {}
    claimed: dict[tuple[str, str], str] = {}  # (account, region) -> the target path that has it
    excluded_accounts = set(config.exclude_accounts)
    excluded_regions = set(config.exclude_regions)
    matched_accounts: set[str] = set()
    matched_regions: set[str] = set()

    for index, target in enumerate(config.targets):
        path = f"session-manager:targets[{index}]"
        if target.organizational_unit:
            states = dict(list_accounts(target.organizational_unit))
            source = f"{path} (organizationalUnit {target.organizational_unit})"
        else:
            states = {target.account: explicit_states.get(target.account, ACTIVE)}
            source = path
        regions = target.regions or config.regions
        preferences = config.preferences_for(target)
        for account_id, state in sorted(states.items()):
            if account_id in excluded_accounts:
                matched_accounts.add(account_id)
                continue
            if (state or ACTIVE) != ACTIVE:
                inactive.setdefault(
                    account_id,
                    inactive_account_warning(
                        source,
                        account_id,
                        state,
                        stack,
                        _account_providers(config, target, account_id, stack, project),
                    ),
                )
                continue
            role_arn = role_arn_for(config, target, account_id, partition)
            account = accounts.setdefault(account_id, AccountTarget(account_id, role_arn))
            account.moved_from_account_stack |= target.moved_from_account_stack
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
                account.just_in_time[region] = config.jit_for(target)
    if problems:
        raise ConfigError(problems)

    warnings = [
        f"session-manager:excludeAccounts: {account} matches no target account"
        for account in sorted(excluded_accounts - matched_accounts)
    ] + [
        f"session-manager:excludeRegions: {region} matches no target Region"
        for region in sorted(excluded_regions - matched_regions)
    ]
    warnings += [inactive[account] for account in sorted(inactive)]
    if matched_accounts and not accounts:
        # As excludeRegions excluding every Region: a stack that manages nothing.
        warnings.append(
            "session-manager:excludeAccounts excludes every target account: the stack "
            "manages nothing"
        )
    offboard = set(config.offboard_accounts)
    resolved = [
        AccountTarget(
            a.account_id,
            a.role_arn,
            dict(sorted(a.regions.items())),
            a.account_id in offboard,
            a.moved_from_account_stack,
            dict(sorted(a.just_in_time.items())),
        )
        for _, a in sorted(accounts.items())
        if a.regions and a.account_id not in inactive
    ]
    warnings += offboard_warnings(
        offboard, {a.account_id for a in resolved}, "not a target of this stack now"
    )
    return ResolvedTargets(accounts=resolved, warnings=warnings)


def offboard_warnings(offboard: set[str], managed: set[str], why_not: str) -> list[str]:
    """Loud on every preview: what a removal would now delete, or that nothing was deleted."""
    return [
        (
            f"session-manager:offboardAccounts: account {account} is being OFFBOARDED: its "
            "instance policy, role, instance profile, policy attachments, people's policies, "
            "VPC endpoints, KMS key aliases and Session documents are no longer retained. "
            "Once it leaves the stack (removed from the targets, or excluded), `pulumi up` "
            "DELETES them in AWS and its running nodes lose Session Manager. Its KMS keys and "
            "log groups are always kept"
            if account in managed
            else f"session-manager:offboardAccounts: account {account} is {why_not}: if an "
            "earlier `pulumi up` ran while the stack managed it and it was listed here, its "
            "resources were deleted when it left; otherwise they were kept in AWS. Remove it "
            "from offboardAccounts"
        )
        for account in sorted(offboard)
    ]


def resolve_own_account(config: StackConfig, own_account: Callable[[], str]) -> ResolvedTargets:
    """Without targets: the Regions of the credentials' own account, after the exclusions.

    `excludeRegions` removes Regions from `regions`. `excludeAccounts` removes every
    Region when it names the credentials' account, which `own_account` looks up (only
    when `excludeAccounts` or `offboardAccounts` is set). The account id is "" (the
    default provider's).
    """
    warnings: list[str] = []
    excluded_regions = set(config.exclude_regions)
    regions = [region for region in config.regions if region not in excluded_regions]
    warnings += [
        f"session-manager:excludeRegions: {region} is not in session-manager:regions"
        for region in sorted(excluded_regions - set(config.regions))
    ]
    offboard = False
    if config.offboard_accounts:
        account_id = own_account()
        offboard = account_id in config.offboard_accounts
        others = set(config.offboard_accounts) - {account_id}
        warnings += offboard_warnings(
            others,
            set[str](),
            f"not the credentials' account ({account_id}), the only one a stack without "
            "targets manages",
        )
        if offboard:
            excluded = account_id in config.exclude_accounts
            managed = set[str]() if excluded else {account_id}
            warnings += offboard_warnings({account_id}, managed, "excluded (excludeAccounts)")
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
        [AccountTarget("", "", dict.fromkeys(regions, config.preferences), offboard)]
        if regions
        else []
    )
    return ResolvedTargets(accounts=accounts, warnings=warnings)
