"""Steps that concern an account, not one resource: a leaving provider of an account that
isn't ACTIVE (the engine must load it to delete), and provider swaps across accounts."""

from __future__ import annotations

from typing import Any

from session_manager.config.targets import inactive_accounts, state_delete_commands
from session_manager.offline.returning_accounts import provider_account

# diff.ResourceChange, which imports this module: typed loosely to keep imports one-way.
ResourceChange = Any


def unreachable_providers(
    changes: list[ResourceChange],
    before: dict[str, dict[str, Any]],
    warnings: list[str],
    stack: str,
) -> None:
    """The leaving providers of an account that isn't ACTIVE fail the update, if they have
    deletes: the engine configures each to delete them, and its role can't be assumed.

    Every provider of the account counts: its pulumi-aws one and the aws-native one of
    each Region (the just-in-time documents'), whose Configure calls STS through the
    assumed role (pulumi-aws-native provider/pkg/provider/provider.go). One error per
    account, on its first leaving provider, with a `pulumi state delete --stack` for each:
    a sharded organization's shard stack is not the one selected."""
    inactive = inactive_accounts(warnings)
    removed = {c.urn for c in changes if c.action in ("remove", "retain")}
    leaving: dict[str, list[ResourceChange]] = {}
    for change in changes:
        if not (change.is_provider and change.urn in removed):
            continue
        account = provider_account(before.get(change.urn)) or change.name.removeprefix("aws-")
        if account in inactive:
            leaving.setdefault(account, []).append(change)
    for account, providers in sorted(leaving.items()):
        urns = {p.urn for p in providers}
        deletes = [u for u in removed if before[u].get("provider") in urns]
        if not deletes:
            continue
        providers.sort(key=lambda p: (p.type != "pulumi:providers:aws", p.urn))
        names = ", ".join(p.name for p in providers)
        providers[0].error = (
            f"the engine must load provider(s) {names} to delete these {len(deletes)} "
            "resource(s) (retained or not: step_generator.go GenerateDeletes, "
            f"EnsureProvider), and can't assume a role in a {inactive[account]} account: run "
            f"first `{state_delete_commands(stack, [p.urn for p in providers])}` (they "
            "remove them from the state without calling AWS; they stay in AWS)"
        )
        # After those commands the resources leave the stack and stay in AWS: not lost.
        for change in changes:
            if change.urn in deletes and change.action == "remove":
                change.action, change.retained = "retain", True
                change.kept_because = f"{inactive[account]} account: `pulumi state delete`"


def account_moves(
    changes: list[ResourceChange],
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
) -> list[tuple[str, str, str]]:
    """Provider swaps whose providers act in different accounts (allowedAccountIds).

    pulumi-aws's DiffConfig replaces only on `region` (pulumi/pulumi-aws#4000), so
    `providerChanged` is false and the engine diffs only the resource's inputs: no step
    at all. Nothing is created in the new account; the state just points there.
    """
    moves: list[tuple[str, str, str]] = []
    for change in changes:
        if change.provider_swap is None or not change.in_aws:
            continue
        old_provider, new_provider = change.provider_swap
        old = provider_account(before.get(old_provider))
        new = provider_account(after.get(new_provider))
        if old and new and old != new:
            moves.append((change.urn, old, new))
    return moves
