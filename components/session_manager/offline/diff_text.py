"""`plan --diff` as text, in the style of `pulumi preview --diff`: what the engine refuses
and what AWS loses first, then +, -, ~, +- and = lines, then the counts."""

from __future__ import annotations

import json
from typing import Any

from session_manager.offline import returning_accounts
from session_manager.offline.diff import PHYSICAL_NAME_INPUTS, PlanDiff, ResourceChange
from session_manager.offline.urns import NAME_DELIMITER

_SIGNS = {"add": "+", "remove": "-", "retain": "-", "update": "~", "replace": "+-", "same": "="}


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _loud_blocks(diff: PlanDiff) -> list[str]:
    lines: list[str] = []
    if diff.errors:
        lines.append(f"!! {len(diff.errors)} step(s) the engine REFUSES: `pulumi up` will fail:")
        lines += [f"!!   {error}" for error in diff.errors]
        lines.append("")
    if diff.secret_changes:
        lines.append(
            f"!! {len(diff.secret_changes)} secret config value(s) set again since the base "
            "(the ciphertext differs): " + ", ".join(diff.secret_changes)
        )
        lines.append(
            "!!   plan --diff can't decrypt them: if a value really changed, `pulumi up` "
            "updates what uses it (review with `pulumi preview --diff`)"
        )
        lines.append("")
    lines += _state_move_block(diff)
    lines += _returning_account_block(diff)
    lines += _account_move_block(diff)
    losses = diff.aws_losses()
    if losses:
        lines.append(f"!! AWS LOSES {len(losses)} resource(s):")
        for change in losses:
            if change.action == "update":
                cuts = change.retention_cuts
                lines += [f"!!   {change.type} {change.name}: {cut}" for cut in cuts]
            elif change.action == "remove" and change.deleted_with:
                lines.append(
                    f"!!   {change.type} {change.name}: deleted with "
                    f"{_provider_name(change.deleted_with)} (deletedWith)"
                )
            elif change.action == "remove":
                lines.append(f"!!   {change.type} {change.name}: deleted")
            else:
                keys = ", ".join(p.key for p in change.changes if p.replaces)
                lines.append(
                    f"!!   {change.type} {change.name}: DELETED AND RECREATED "
                    f"({keys} changes; {change.order})"
                )
        lines.append("")
    kept = [c for c in diff.changes if c.retained and c.action in ("retain", "replace")]
    if kept:
        lines.append(
            f"!! {len(kept)} resource(s) retained on delete leave the stack but stay in AWS, "
            "unmanaged:"
        )
        for change in kept:
            if change.action == "retain" and change.deleted_with:
                lines.append(
                    f"!!   {change.type} {change.name}: removed from the stack, kept in AWS "
                    f"with {_provider_name(change.deleted_with)} (deletedWith)"
                )
            elif change.action == "retain":
                why = f" ({change.kept_because})" if change.kept_because else ""
                lines.append(
                    f"!!   {change.type} {change.name}: removed from the stack, kept in AWS{why}"
                )
            elif any(p.replaces and p.key in PHYSICAL_NAME_INPUTS for p in change.changes):
                lines.append(
                    f"!!   {change.type} {change.name}: replaced; the old one stays in AWS "
                    "under its old name, no longer managed"
                )
            else:
                lines.append(
                    f"!!   {change.type} {change.name}: replaced, but the old one stays in AWS "
                    "under the same name: AWS will refuse to create the new one"
                )
        lines.append("")
    return lines


# Stands for the per-account stack the moved resources come from: plan --diff can't know it.
SOURCE_STACK = "SOURCE_STACK"


def _state_move_block(diff: PlanDiff) -> list[str]:
    """Creates that `pulumi state move` turns into "same" (README "Moving accounts")."""
    if not diff.awaiting_state_move:
        return []
    stack = diff.awaiting_state_move[0].split(NAME_DELIMITER, 1)[0].removeprefix("urn:pulumi:")
    lines = [
        f"!! {diff.moved_adds} resource(s) to add carry aliases (movedFromAccountStack) to "
        "names this stack's state doesn't hold yet: they are expected to be \"same\", no "
        "create, once their per-account stack's state is moved here. Without the move AWS "
        "refuses the creates (the names exist). Move it first, with the per-account stack "
        f"as {SOURCE_STACK}. First, in {SOURCE_STACK}: remove aws:allowedAccountIds and "
        "every other aws:* config but aws:region (equal to this stack's), and `pulumi up` "
        "it: the move copies its default provider and refuses one whose inputs differ "
        'from this stack\'s ("provider ... already exists in destination stack", '
        "pulumi state_move.go). Then:",
        f"!!   pulumi state move --source {SOURCE_STACK} --dest {stack} \\",
    ]
    for index, alias in enumerate(diff.awaiting_state_move):
        old = alias.replace(
            f"urn:pulumi:{stack}{NAME_DELIMITER}", f"urn:pulumi:{SOURCE_STACK}{NAME_DELIMITER}", 1
        )
        more = " \\" if index < len(diff.awaiting_state_move) - 1 else ""
        lines.append(f"!!     '{old}'{more}")
    lines.append("")
    return lines


def _account_move_block(diff: PlanDiff) -> list[str]:
    """Provider swaps into another account: no step for the engine, wrong state for AWS."""
    if not diff.account_moves:
        return []
    pairs = sorted({(old, new) for _, old, new in diff.account_moves})
    moves = ", ".join(f"{old} => {new}" for old, new in pairs)
    return [
        f"!! ERROR: {len(diff.account_moves)} resource(s) move to a provider of ANOTHER "
        f"account ({moves}). The engine sees no change (pulumi-aws's DiffConfig replaces "
        "only on region), so nothing is created in the new account: the resources stay in "
        "the old one while the state says the new one, and the next refresh finds them "
        "missing. Safe paths: keep the account; or give them new names too (for the log "
        "archive a new centralLogging.bucketName: a new bucket in the new account, the "
        "old one retained where it is), or a new stack; or state surgery (`pulumi state "
        "delete` them, then `pulumi up` creates them in the new account, the old ones stay "
        'unmanaged). See docs/central-logs.md "Moving the log-archive account".',
        "",
    ]


# The bulk import file `plan --diff --import-file` writes.
IMPORT_FILE = "import.json"


def _returning_account_block(diff: PlanDiff) -> list[str]:
    """Retained, fixed-name creates of an account new to the stack (docs/changing-things-
    safely.md "An account comes back")."""
    if not diff.returning_imports:
        return []
    accounts = sorted({c.account for c in diff.returning_imports})
    lines = [
        f"!! {len(diff.returning_imports)} resource(s) retained on delete, with fixed names, "
        f"are CREATED for account(s) {', '.join(accounts)}: if this account was managed "
        "before, these exist in AWS: import them first, or AWS refuses the creates "
        f"({returning_accounts.REFUSALS}) and `pulumi up` fails:"
    ]
    lines += [f"!!   {c.type} {c.name}: import id {c.id}" for c in diff.returning_imports]
    lines.append(
        f"!!   write them to a file with `plan --diff BASE --import-file {IMPORT_FILE}`, then "
        f"`pulumi import --file {IMPORT_FILE} --generate-code=false`, then `pulumi up`"
    )
    lines.append("")
    return lines


def _change_lines(change: ResourceChange) -> list[str]:
    label = {
        "retain": "removed from the stack, kept in AWS [retain]",
        "replace": f"replace, {change.order}" + (" [retain]" if change.retained else ""),
        "same": "no AWS change",
    }.get(change.action, change.action)
    lines = [f"{_SIGNS[change.action]} {change.type}  {change.name}  ({label})"]
    if change.renamed_from:
        lines.append(f"    = same resource, through an alias, as {change.renamed_from}")
    if change.deleted_with:
        lines.append(
            f"    = no Delete call of its own: deletedWith {change.deleted_with}, "
            "which this update deletes too"
        )
    if change.provider_swap:
        old, new = change.provider_swap
        lines.append(
            f"    = provider {_provider_name(old)} => {_provider_name(new)} "
            f"({_swap_reason(change.provider_config_changes)})"
        )
    for key, before, after in change.option_changes:
        lines.append(f"    = option {key}: {_short(before)} => {_short(after)} (state only)")
    for prop in change.changes:
        flag = "  [forces replacement]" if prop.replaces else ""
        if prop.unified is not None:
            lines.append(f"    ~ {prop.key}:{flag}")
            lines.extend(f"        {line}" for line in prop.unified)
        else:
            lines.append(f"    ~ {prop.key}: {_short(prop.before)} => {_short(prop.after)}{flag}")
    return lines


def _provider_name(urn: str) -> str:
    return urn.rsplit(NAME_DELIMITER, 1)[-1]


def _swap_reason(config_changes: list[str]) -> str:
    if not config_changes:
        return "same config: not an update"
    return f"config differs in {', '.join(config_changes)}, no replacement: not an update"


def _only_provider_swap(change: ResourceChange) -> bool:
    return (
        change.action == "same"
        and change.provider_swap is not None
        and not change.renamed_from
        and not change.option_changes
    )


def summary_line(diff: PlanDiff) -> str:
    counts = diff.summary()
    return (
        f"Resources: {counts['add']} to add, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['remove']} to delete, "
        f"{counts['retain']} to remove from the stack but keep in AWS, "
        f"{counts['unchanged']} unchanged."
    )


def format_diff(diff: PlanDiff, *, summary: bool = False) -> str:
    """The diff as text, in the style of `pulumi preview --diff`: +, -, ~ and +- lines.

    With `summary`, only the loud blocks and the counts.
    """
    lines = [f"warning: {w}" for w in diff.warnings] + _loud_blocks(diff)
    if not summary:
        swaps: dict[tuple[str, str, tuple[str, ...]], int] = {}
        for change in diff.changes:
            if _only_provider_swap(change):
                assert change.provider_swap is not None
                swap = (*change.provider_swap, tuple(change.provider_config_changes))
                swaps[swap] = swaps.get(swap, 0) + 1
                continue
            lines += _change_lines(change)
        # One line per provider swap, not one per resource: none of them is an update.
        for (old, new, config), count in sorted(swaps.items()):
            lines.append(
                f"= {count} resource(s) move from provider {_provider_name(old)} to "
                f"{_provider_name(new)} ({_swap_reason(list(config))})"
            )
        if not diff.changes and not diff.secret_changes:
            lines.append("No changes: every resource is as in the base plan.")
        elif not diff.changes:
            lines.append("No resource input changes, but see the secrets above.")
        lines.append("")
    lines.append(summary_line(diff))
    return "\n".join(lines)
