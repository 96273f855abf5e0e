"""Accounts that change stack (a new shard count, or an organization stack first
sharded), the `pulumi state move` commands that carry their state, and the diff of
every stack once they ran.

What the engine does, read from pulumi/pulumi pkg/cmd/pulumi/state/state_move.go:
`pulumi state move --source S --dest D URN...` takes the resources named by exact
URN (`resourceMatches`) with all their descendants (`ChildrenOf`, transitive in
pkg/resource/graph/dependency_graph.go), rewrites only the stack and project in their
URNs (`renameStackAndProject`), re-parents a moved resource whose parent stays to
the destination's root stack, and COPIES their providers: a provider can't be moved,
so it stays in the source too ("cannot move providers ... included automatically").
Without the move, `pulumi up` of the destination creates the account's resources
again, which AWS refuses for every fixed name (EntityAlreadyExists), and `pulumi up`
of the source deletes every one it does not retain.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from session_manager.offline.diff import DiffError, PlanDiff, diff_plans
from session_manager.offline.diff_text import format_diff
from session_manager.offline.ou_accounts import FLAG

ROOT_TYPE = "pulumi:pulumi:Stack"
# An account's top-level components: `session-manager-<account>-<role>` (program.py).
_ACCOUNT_COMPONENT = re.compile(r"^session-manager-(\d{12})-")


def base_stacks(base: Any) -> list[dict[str, Any]]:
    """The base's stacks: a merged `plan --json` of a sharded organization, or one
    stack's plan (the organization stack before it was sharded)."""
    if not isinstance(base, dict):
        raise DiffError("the base plan is not a JSON object: is it `plan --json` output?")
    plan = cast(dict[str, Any], base)
    stacks = plan.get("stacks")
    if isinstance(stacks, list):
        return [cast(dict[str, Any], s) for s in cast(list[Any], stacks) if isinstance(s, dict)]
    return [plan]


def _resources(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], plan.get("resources") or [])


def _root_urn(stack: str, project: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{ROOT_TYPE}::{project}-{stack}"


def _is_top_level(resource: Mapping[str, Any]) -> bool:
    parent = resource.get("parent") or ""
    return parent.split("::")[2:3] == [ROOT_TYPE] or not parent


def account_homes(plans: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, list[str]]]:
    """Account -> (the stack that holds it, its top-level component URNs)."""
    homes: dict[str, tuple[str, list[str]]] = {}
    for plan in plans:
        for resource in _resources(plan):
            found = _ACCOUNT_COMPONENT.match(str(resource.get("name", "")))
            if not found or not str(resource.get("type", "")).startswith("session-manager:"):
                continue
            if not _is_top_level(resource):
                continue
            stack, urns = homes.setdefault(found[1], (str(plan.get("stack")), []))
            if stack == plan.get("stack"):
                urns.append(str(resource["urn"]))
    return homes


@dataclass
class Move:
    account: str
    source: str
    dest: str
    urns: list[str]

    @property
    def command(self) -> str:
        quoted = " ".join(shlex.quote(urn) for urn in sorted(self.urns))
        return (
            f"pulumi state move --source {shlex.quote(self.source)} "
            f"--dest {shlex.quote(self.dest)} --yes {quoted}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "source": self.source,
            "dest": self.dest,
            "urns": sorted(self.urns),
            "command": self.command,
        }


def moves_between(
    bases: Sequence[Mapping[str, Any]], heads: Sequence[Mapping[str, Any]]
) -> list[Move]:
    """Every account whose stack differs between the base and the head, by account."""
    before, after = account_homes(bases), account_homes(heads)
    return [
        Move(account, before[account][0], after[account][0], list(before[account][1]))
        for account in sorted(set(before) & set(after))
        if before[account][0] != after[account][0]
    ]


def _rename(urn: str | None, source: str, dest: str, roots: Mapping[str, str]) -> str | None:
    if not urn:
        return urn
    if urn in roots:
        return roots[urn]
    prefix = f"urn:pulumi:{source}::"
    return f"urn:pulumi:{dest}::{urn[len(prefix) :]}" if urn.startswith(prefix) else urn


def _moved(resource: dict[str, Any], source: str, dest: str, project: str) -> dict[str, Any]:
    """A resource as `pulumi state move` writes it into `dest`."""
    roots = {_root_urn(source, project): _root_urn(dest, project)}
    copy = dict(resource)
    for key in ("urn", "parent", "provider"):
        copy[key] = _rename(copy.get(key), source, dest, roots)
    options = dict(cast(dict[str, Any], copy.get("options") or {}))
    if options.get("deletedWith"):
        options["deletedWith"] = _rename(options["deletedWith"], source, dest, roots)
    aliases = cast(list[str], options.get("aliases") or [])
    options["aliases"] = [_rename(a, source, dest, roots) for a in aliases]
    copy["options"] = options
    return copy


def _with_descendants(resources: Sequence[Mapping[str, Any]], urns: Sequence[str]) -> set[str]:
    children: dict[str, list[str]] = {}
    for resource in resources:
        children.setdefault(str(resource.get("parent")), []).append(str(resource["urn"]))
    found, queue = set(urns), list(urns)
    while queue:
        for child in children.get(queue.pop(), []):
            if child not in found:
                found.add(child)
                queue.append(child)
    return found


def apply_moves(
    bases: Sequence[Mapping[str, Any]], moves: Sequence[Move]
) -> dict[str, dict[str, Any]]:
    """The base plans as the stacks' states would be after the moves, by stack."""
    after: dict[str, dict[str, Any]] = {
        str(b.get("stack")): dict(b) | {"resources": list(_resources(b))} for b in bases
    }
    for move in moves:
        source = after[move.source]
        project = str(source.get("project"))
        dest = after.setdefault(move.dest, _empty(move.dest, project, bool(source.get("preview"))))
        resources = _resources(source)
        moving = _with_descendants(resources, move.urns)
        kept = [r for r in resources if r["urn"] not in moving]
        taken = [r for r in resources if r["urn"] in moving]
        providers = {r.get("provider") for r in taken}
        landed = _resources(dest)
        present = {r["urn"] for r in landed}
        copies = [
            _moved(r, move.source, move.dest, project)
            for r in kept
            if r["urn"] in providers and str(r.get("type", "")).startswith("pulumi:providers:")
        ]
        source["resources"] = kept
        landed += [c for c in copies if c["urn"] not in present]
        landed += [_moved(r, move.source, move.dest, project) for r in taken]
        dest["resources"] = sorted(landed, key=lambda r: str(r["urn"]))
    return after


def _empty(stack: str, project: Any, preview: bool) -> dict[str, Any]:
    """A stack with nothing in its state yet."""
    empty: dict[str, Any] = {"stack": stack, "project": project, "resources": []}
    return empty | {"preview": True} if preview else empty


def removal_command(stack: str) -> str:
    """How to remove a stack the stack file no longer has, once the moves ran."""
    return f"pulumi stack rm --stack {shlex.quote(stack)} --force --yes"


def removal_check(stack: str) -> str:
    """A shell check that prints nothing when `stack` holds only its root stack, its
    providers and the shared stack's StackReference (a read resource: removing the stack
    touches no AWS resource): `pulumi stack --show-urns` prints each resource's URN
    (pulumi/pulumi pkg/cmd/pulumi/stack/stack.go renderResourceRow). Every shard with
    centralLogging holds `pulumi:pulumi:StackReference` (pkg/resource/deploy/builtins.go)."""
    return (
        f"pulumi stack --stack {shlex.quote(stack)} --show-urns | grep -o 'urn:pulumi:[^ ]*' "
        "| grep -v -e '::pulumi:pulumi:Stack::' -e '::pulumi:pulumi:StackReference::' "
        "-e '::pulumi:providers:'"
    )


@dataclass
class StackDiffs:
    moves: list[Move]
    diffs: list[tuple[str, PlanDiff]] = field(default_factory=list[tuple[str, PlanDiff]])
    # Stacks the stack file no longer has whose state, after the moves, holds only the
    # root stack and the providers `pulumi state move` copied (it can't move them).
    removed: list[str] = field(default_factory=list[str])
    # The stack's OUs that `--ou-accounts` gave no accounts: offline they hold none, so
    # the moves of their accounts are missing from `moves`.
    ous_without_accounts: list[str] = field(default_factory=list[str])

    def to_json(self) -> dict[str, Any]:
        incomplete = {"movesIncomplete": self.incomplete()} if self.ous_without_accounts else {}
        return {
            "moves": [m.to_json() for m in self.moves],
            "stacks": [{"stack": s, "diff": d.to_json()} for s, d in self.diffs],
            "removedStacks": [
                {"stack": s, "check": removal_check(s), "command": removal_command(s)}
                for s in self.removed
            ],
        } | incomplete

    @property
    def fails(self) -> bool:
        """Some stack's `pulumi up` fails on a step its diff lists (PlanDiff.fails)."""
        return any(diff.fails for _, diff in self.diffs)

    def incomplete(self) -> str:
        """Why the moves listed are not all the moves: the OUs planned with no accounts."""
        ous = ", ".join(self.ous_without_accounts)
        example = " ".join(f"{FLAG} {ou}=ACCOUNT,..." for ou in self.ous_without_accounts)
        return (
            f"INCOMPLETE: organizational unit(s) {ous} hold no accounts in this offline plan, "
            "so no state move of their accounts is listed (an account that changes stack "
            "with no move is created again by its new stack, which AWS refuses, and deleted "
            "by its old one). Plan the base and this change again, both with "
            f"{example} (every account each OU holds, its child OUs' included)"
        )


def _only_providers(plan: Mapping[str, Any]) -> bool:
    kinds = {str(r.get("type", "")) for r in _resources(plan)}
    return all(k == ROOT_TYPE or k.startswith("pulumi:providers:") for k in kinds)


def _check_bases(bases: Sequence[Mapping[str, Any]]) -> None:
    for base in bases:
        if not isinstance(base.get("resources"), list):
            raise DiffError("the base plan has no resources list: is it `plan --json` output?")


def diff_stacks(
    bases: Sequence[Mapping[str, Any]], heads: Sequence[Mapping[str, Any]]
) -> StackDiffs:
    """The moves, then each head stack's diff against its base after the moves. A base
    stack the head no longer has holds, after the moves, only the providers they copied
    (state_move.go can't move a provider) when every account moved out: it is listed to
    remove (`pulumi stack rm --force`; the program refuses to run it, so no `pulumi up`
    would delete them). Else it is diffed against nothing (all of it deleted)."""
    _check_bases(bases)
    moves = moves_between(bases, heads)
    after = apply_moves(bases, moves)
    result = StackDiffs(moves)
    # A suspended account is warned about by the stack that now holds it only, but its
    # resources may still be in another stack's base, whose `pulumi up` fails as well.
    warned = [str(w) for head in heads for w in cast(list[Any], head.get("warnings") or [])]
    for head in heads:
        name = str(head.get("stack"))
        base = after.pop(name, None) or _empty(name, head.get("project"), bool(head.get("preview")))
        result.diffs.append((name, diff_plans(base, head, organization_warnings=warned)))
    for name, base in after.items():
        if _only_providers(base):
            result.removed.append(name)
            continue
        gone = _empty(name, base.get("project"), bool(base.get("preview")))
        result.diffs.append((name, diff_plans(base, gone, organization_warnings=warned)))
    return result


def format_stack_diffs(diffs: StackDiffs, *, summary: bool = False) -> str:
    lines: list[str] = []
    if diffs.ous_without_accounts:
        lines += [f"!! State moves: {diffs.incomplete()}", ""]
    if diffs.moves:
        partial = " (or more: INCOMPLETE, see above)" if diffs.ous_without_accounts else ""
        lines += [
            f"State moves: {len(diffs.moves)} account(s){partial} change stack. Run these BEFORE "
            "`pulumi up` of any stack: without them the destination creates each account's "
            "resources again (AWS refuses their names: AlreadyExists) and the source "
            "deletes what it does not retain. The diffs below assume they ran.",
            "",
        ]
        lines += [
            f"# account {m.account}: {m.source} -> {m.dest}\n{m.command}" for m in diffs.moves
        ]
        lines.append("")
    for stack, diff in diffs.diffs:
        lines += [f"=== stack {stack} ===", format_diff(diff, summary=summary), ""]
    for stack in diffs.removed:
        lines += [
            f"=== stack {stack} ===",
            f"stack {stack} is no longer in the stack file: after the moves it holds only "
            "the providers `pulumi state move` copied and the stack reference to the shared "
            "stack (it can't move them, and no `pulumi up` of it runs to delete them; "
            "neither calls an AWS API to go). Once this prints nothing (and `pulumi stack` "
            f"itself succeeded: check its exit status first): {removal_check(stack)}",
            f"remove it with: {removal_command(stack)}",
            "",
        ]
    return "\n".join(lines).rstrip("\n")
