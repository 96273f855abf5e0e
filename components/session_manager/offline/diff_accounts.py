"""Steps that concern an account, not one resource: a leaving provider of an account that
isn't ACTIVE (the engine must load it to delete), and provider swaps across accounts."""

from __future__ import annotations

from typing import Any

from session_manager.config.targets import inactive_accounts
from session_manager.offline.returning_accounts import provider_account

# diff.ResourceChange, which imports this module: typed loosely to keep imports one-way.
ResourceChange = Any


def unreachable_providers(
    changes: list[ResourceChange], before: dict[str, dict[str, Any]], warnings: list[str]
) -> None:
    """A leaving provider of an account that isn't ACTIVE fails the update, if it has
    deletes: the engine configures it to delete them, and its role can't be assumed."""
    inactive = inactive_accounts(warnings)
    removed = {c.urn for c in changes if c.action in ("remove", "retain")}
    for change in changes:
        state = inactive.get(change.name.removeprefix("aws-"))
        if not (change.is_provider and change.urn in removed and state):
            continue
        deletes = [u for u in removed if before[u].get("provider") == change.urn]
        if deletes:
            change.error = (
                f"the engine must load provider {change.name} to delete these {len(deletes)} "
                "resource(s) (retained or not: step_generator.go GenerateDeletes, "
                f"EnsureProvider), and can't assume a role in a {state} account: run "
                f"`pulumi state delete --target-dependents '{change.urn}'` first (it "
                "removes them from the state without calling AWS; they stay in AWS)"
            )


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
