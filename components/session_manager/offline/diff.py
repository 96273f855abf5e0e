"""`plan --diff BASE.json`: what a pull request changes, step by step as the engine takes it.

Both sides are `plan --json` objects: the base is the target branch's plan, the
head is this checkout's. Each head resource is matched to a base resource the way
the Pulumi engine matches a registration to old state, and each pair is judged by
the engine's rules (pulumi/pulumi pkg/resource/deploy/step_generator.go and
step.go, cited below by function; line numbers at commit 1b5949891b3c):

- match by URN first, then by the resource's aliases, then by aliases inherited
  from an aliased parent (`getOldResource`, `generateAliases`,
  `inheritedChildAlias`): an alias match is the same resource, not an add and a
  remove;
- `ignoreChanges` paths take the base's value before anything is compared
  (`processIgnoreChanges`), so they never show;
- a changed provider reference replaces the resource only when `providerChanged`
  (lines 2800-2881) says so: a provider appears or disappears, or the new provider's
  DiffConfig of the old provider's config against its own reports a replacement.
  Otherwise, aliased provider or not, equal config or not, `diff` (lines 2884-2971)
  goes on to `diffResource` (line 2974), which diffs only the resource's own inputs:
  a pulumi-aws bump, or a move from the default provider to an explicit one in the
  same Region, is no update by itself. pulumi-aws's DiffConfig (pulumi-terraform-
  bridge `configDiffer`) replaces only for config marked ForcesProviderReplace,
  `region` (pulumi/pulumi-aws#4000); in v7 a Region change reaches every regional
  resource's own `region` input, which is ForceNew, so it replaces either way;
- `retainOnDelete`, `protect`, `ignoreChanges`, aliases and `deleteBeforeReplace`
  are not inputs: changing only them is a same step that rewrites state
  (`continueStepsFromDiff` returns no step; engine/journal_snapshot.go `mustWrite`);
- an input that pulumi-aws marks ForceNew replaces (`aws/replacements.py`), and so does
  a changed input the head's `replaceOnChanges` names (`continueStepsFromDiff`, line 1946,
  `applyReplaceOnChanges`, lines 3170-3230: a changed key a listed path contains becomes a
  replace key; `*` contains every key; the goal's list, so the head's);
  `deleteBeforeReplace` orders the replacement (`continueStepsFromDiff`, line 2043:
  the goal's option overrides the provider's choice);
- a replace of a resource protected in both plans fails the update
  (`continueStepsFromDiff`, line 1957: `new.Protect && old.Protect`); a delete of one
  protected in the base fails it (step.go `DeleteStep.Apply`, line 647,
  deleteProtectedError);
- a delete, or the delete half of a replace (a DeleteStep with `replacing` set,
  create-before-delete or delete-before-replace alike), of a resource retained on
  delete in the BASE calls no provider Delete: it leaves the stack and stays in AWS
  (step.go `DeleteStep.Apply`, line 661 reads the OLD state's RetainOnDelete). So a
  replaced retained resource keeps its old physical resource in AWS, unmanaged.

- `deletedWith`: a resource whose `deletedWith` target is replaced is replaced too
  (`diff`, lines 2909-2916); a delete of a resource whose OLD state's `deletedWith`
  names a resource also deleted in this update, whether removed or the delete half
  of a replace, calls no provider Delete (step.go `DeleteStep.Apply`, line 663,
  `isDeletedWith` on `sg.deletes`). `GenerateDeletes` (step_generator.go lines
  2421-2429) and a replacement (line 2145) mark the target in `sg.deletes` before any
  step applies, whatever the target's own retainOnDelete: so a dependent of a retained
  target that leaves is not deleted either, while one that leaves alone (its target
  stays) is.
- every resource deleted, retained or not, first has its provider loaded from the old
  state (`GenerateDeletes`, lines 2436-2440, `EnsureProvider`): an account's
  provider is configured, assuming its role, even when all it deletes is retained.
  In an account that isn't ACTIVE (the head plan's warnings say which) that fails
  the update.

Documents and policies get a unified diff of their JSON. Unchanged resources are
left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from session_manager.aws.replacements import REGION, replaces
from session_manager.offline.alias_matching import awaiting_state_move, match_resources
from session_manager.offline.diff_accounts import account_moves, unreachable_providers
from session_manager.offline.diff_documents import unified_document_diff
from session_manager.offline.diff_options import (
    list_option,
    option,
    option_changes,
    replace_on_changes,
)
from session_manager.offline.diff_retention import retention_cuts
from session_manager.offline.ignore_changes import ignoring_changes
from session_manager.offline.jit_rename import manual_policy_rename_warnings
from session_manager.offline.plan_shape import resource_shape_problem
from session_manager.offline.returning_accounts import (
    ImportCandidate,
    import_file,
    returning_account_imports,
)

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
# Provider inputs that are the plugin's, not the provider's config (providers/registry.go
# keeps the plugin version apart from the config `FilterProviderConfig` hands DiffConfig).
PROVIDER_PLUGIN_INPUTS = frozenset({"version", "pluginDownloadURL"})
# Provider config whose change the provider's DiffConfig reports as a replacement of
# every resource it manages (pulumi-aws: ForcesProviderReplace on `region`, #4000).
PROVIDER_REPLACING_CONFIG = frozenset({REGION})
# Inputs that are a resource's physical name: changing one makes a new name in AWS.
PHYSICAL_NAME_INPUTS = frozenset({"name", "namePrefix", "bucket", "bucketPrefix", "alarmName"})


class DiffError(Exception):
    """The base plan is not a `plan --json` object, or not one of this stack."""


@dataclass
class PropertyChange:
    key: str
    before: Any
    after: Any
    replaces: bool
    # A unified diff of the document's lines, for documents and policies.
    unified: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "property": self.key,
            "before": self.before,
            "after": self.after,
            "replaces": self.replaces,
            "diff": self.unified,
        }


@dataclass
class ResourceChange:
    # "add", "update", "replace", "remove" (deleted in AWS), "retain" (removed from the
    # stack, kept in AWS) or "same" (only state changes: options, URN, provider).
    action: str
    urn: str
    type: str
    name: str
    changes: list[PropertyChange] = field(default_factory=list[PropertyChange])
    # The base URN when the resource was matched through an alias.
    renamed_from: str | None = None
    # Options that changed, as (option, before, after): state only, no AWS call.
    option_changes: list[tuple[str, Any, Any]] = field(default_factory=list[tuple[str, Any, Any]])
    # A provider swap the engine takes without a resource diff (e.g. a pulumi-aws bump).
    provider_swap: tuple[str, str] | None = None
    # The provider config keys that differ in such a swap (none for a version bump).
    provider_config_changes: list[str] = field(default_factory=list[str])
    # Replacements: "delete-then-create" or "create-then-delete".
    order: str | None = None
    # The base's retainOnDelete: a delete (or a replace's delete) leaves it in AWS.
    retained: bool = False
    # Why a delete is a retain instead (an account that isn't ACTIVE: diff_accounts.py).
    kept_because: str | None = None
    # Why the engine refuses this step and fails the update, or None.
    error: str | None = None
    # A custom resource, not a provider: something that exists in AWS. Components
    # and providers live in the state only (a component has no provider reference:
    # step_generator.go providerChanged, line 2818).
    in_aws: bool = True
    # The base's `deletedWith` target, when that target is deleted in this update too:
    # this resource's own delete calls no provider Delete (step.go isDeletedWith).
    deleted_with: str | None = None
    # How an update shortens the retention of stored logs, deleting the older ones
    # (offline/diff_retention.py); empty when it doesn't.
    retention_cuts: list[str] = field(default_factory=list[str])

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(PROVIDER_TYPE_PREFIX)

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "changes": [c.to_json() for c in self.changes],
            "renamedFrom": self.renamed_from,
            "optionChanges": [
                {"option": key, "before": before, "after": after}
                for key, before, after in self.option_changes
            ],
            "providerSwap": list(self.provider_swap) if self.provider_swap else None,
            "providerConfigChanges": self.provider_config_changes,
            "replaceOrder": self.order,
            "retained": self.retained,
            "keptBecause": self.kept_because,
            "deletedWith": self.deleted_with,
            "retentionCuts": self.retention_cuts,
            "error": self.error,
        }


ACTIONS = ("add", "update", "replace", "remove", "retain", "same")


@dataclass
class PlanDiff:
    changes: list[ResourceChange]
    unchanged: int
    warnings: list[str] = field(default_factory=list[str])
    # Secret config keys whose ciphertext differs from the base's: set again, maybe to a
    # new value, which the engine (it decrypts) would show as updates.
    secret_changes: list[str] = field(default_factory=list[str])
    # Aliases of added components that match nothing in the base (movedFromAccountStack
    # before `pulumi state move`): old URNs in this stack, outermost components only.
    awaiting_state_move: list[str] = field(default_factory=list[str])
    # The added resources those components hold, themselves included: "same" once moved.
    moved_adds: int = 0
    # Retained, fixed-name creates of an account new to the stack: if it was managed
    # before, they exist in AWS and the creates fail; import them first.
    returning_imports: list[ImportCandidate] = field(default_factory=list[ImportCandidate])
    # Those imports as a `pulumi import --file` JSON object.
    import_file: dict[str, Any] = field(default_factory=dict[str, Any])
    # Provider swaps into another account, as (urn, old account, new account): the engine
    # takes them as no change, while AWS keeps the resources in the old account.
    account_moves: list[tuple[str, str, str]] = field(default_factory=list[tuple[str, str, str]])

    def of(self, action: str) -> list[ResourceChange]:
        return [c for c in self.changes if c.action == action]

    @property
    def errors(self) -> list[str]:
        return [c.error for c in self.changes if c.error]

    @property
    def fails(self) -> bool:
        """`pulumi up` fails, or leaves the state pointing at the wrong account."""
        return bool(self.errors or self.account_moves)

    def aws_losses(self) -> list[ResourceChange]:
        """What AWS really loses: deletes and replaces of AWS resources not retained in the
        base, and updates that shorten how long stored logs are kept."""
        return [
            c
            for c in self.changes
            if (c.action in ("remove", "replace") and not c.retained and c.in_aws)
            or (c.action == "update" and c.retention_cuts)
        ]

    def summary(self) -> dict[str, int]:
        counts = {action: len(self.of(action)) for action in ACTIONS if action != "same"}
        # Same steps that only rewrite state are unchanged resources to AWS.
        return counts | {"unchanged": self.unchanged + len(self.of("same"))}

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "awsLoses": [c.urn for c in self.aws_losses()],
            "errors": self.errors,
            "warnings": self.warnings,
            "secretChanges": self.secret_changes,
            "awaitingStateMove": self.awaiting_state_move,
            "accountMoves": [
                {"urn": urn, "fromAccount": old, "toAccount": new}
                for urn, old, new in self.account_moves
            ],
            "importIfReturning": [
                {"urn": c.urn, "type": c.type, "id": c.id, "account": c.account}
                for c in self.returning_imports
            ],
            "changes": [c.to_json() for c in self.changes],
        }


def _plan_object(plan: Any, side: str) -> Mapping[str, Any]:
    if not isinstance(plan, Mapping):
        raise DiffError(f"the {side} plan is not a JSON object: is it `plan --json` output?")
    return cast(Mapping[str, Any], plan)


def _resources(plan: Mapping[str, Any], side: str) -> dict[str, dict[str, Any]]:
    resources = plan.get("resources")
    if not isinstance(resources, list):
        raise DiffError(f"the {side} plan has no resources list: is it `plan --json` output?")
    found: dict[str, dict[str, Any]] = {}
    for resource in resources:  # pyright: ignore[reportUnknownVariableType]
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str):  # pyright: ignore[reportUnknownMemberType]
            raise DiffError(f"the {side} plan has a resource without a urn")
        for key in ("type", "name"):
            if not isinstance(resource.get(key), str):  # pyright: ignore[reportUnknownMemberType]
                raise DiffError(f"the {side} plan's {resource['urn']} has no {key}")
        shape = resource_shape_problem(cast(dict[str, Any], resource))
        if shape:
            raise DiffError(f"the {side} plan is not a plan --json file: {shape}")
        found[str(resource["urn"])] = resource  # pyright: ignore[reportUnknownArgumentType]
    return found


def check_same_stack(base: Mapping[str, Any], head: Mapping[str, Any]) -> None:
    """Refuse a base of another stack or project, or of another kind of plan.

    The engine diffs a stack against its own state only: URNs carry the stack and
    project, so another stack's plan matches nothing and everything shows as added
    and deleted. A `--preview` plan holds "[unknown ...]" for every computed value, so
    against a full plan every such input would show as changed, and some as
    replacements: both sides must be planned the same way.
    """
    # The preview workflow's stand-in for a stack the target branch lacks: `{"resources": []}`.
    new_stack = not base.get("resources") and "stack" not in base and "project" not in base
    for key in ("stack", "project"):
        if not new_stack and base.get(key) != head.get(key):
            raise DiffError(
                f"the base plan is of {key} {base.get(key)!r}, this one of {head.get(key)!r}: "
                f"plan the base with the same --stack and project"
            )
    if bool(base.get("preview")) != bool(head.get("preview")):
        kinds = {True: "a --preview plan", False: "a full plan"}
        raise DiffError(
            f"the base is {kinds[bool(base.get('preview'))]} and this is "
            f"{kinds[bool(head.get('preview'))]}: unknown values would show as changes; "
            "plan both with --preview or both without"
        )


# --- Judging one resource ----------------------------------------------------


def _property_changes(
    resource_type: str,
    before: dict[str, Any],
    after: dict[str, Any],
    replace_on: Callable[[str], bool] = lambda _key: False,
) -> list[PropertyChange]:
    changes: list[PropertyChange] = []
    for key in sorted(set(before) | set(after)):
        if key.startswith("__"):
            continue
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        # A Region that only appears or disappears keeps the provider's Region.
        forces = replace_on(key) or (
            replaces(resource_type, key) and not (key == REGION and (old is None or new is None))
        )
        unified = unified_document_diff(key, old, new)
        if unified == []:
            continue  # the same document, written differently
        changes.append(PropertyChange(key, old, new, forces, unified))
    return changes


def _provider_config(provider: dict[str, Any] | None) -> dict[str, Any] | None:
    if provider is None:
        return None
    inputs: dict[str, Any] = provider.get("inputs") or {}
    plugin = PROVIDER_PLUGIN_INPUTS
    return {k: v for k, v in inputs.items() if not k.startswith("__") and k not in plugin}


def _provider_change(
    old: dict[str, Any],
    new: dict[str, Any],
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    matches: dict[str, str],
) -> tuple[PropertyChange | None, tuple[str, str, list[str]] | None]:
    """step_generator.go `providerChanged` (lines 2800-2881): a replace, or a plain swap.

    A swap is no resource change: when `providerChanged` is false, `diff` goes on to
    `diffResource` with the resource's own inputs only (line 2945), whatever else the
    provider's config says.
    """
    old_provider, new_provider = old.get("provider"), new.get("provider")
    if old_provider == new_provider:
        return None, None
    # Line 2821: a provider that appears or disappears (component <-> custom) replaces.
    if not old_provider or not new_provider:
        return PropertyChange("provider", old_provider, new_provider, True), None
    # Lines 2834-2839: the new provider is aliased to the old one.
    if matches.get(new_provider) == old_provider:
        return None, None
    old_config = _provider_config(before.get(old_provider)) or {}
    new_config = _provider_config(after.get(new_provider)) or {}
    # Lines 2857-2873: the new provider's DiffConfig decides whether this replaces.
    replacing = sorted(
        key for key in PROVIDER_REPLACING_CONFIG if old_config.get(key) != new_config.get(key)
    )
    if replacing:
        before_values = {key: old_config.get(key) for key in replacing}
        after_values = {key: new_config.get(key) for key in replacing}
        return PropertyChange("provider", before_values, after_values, True), None
    changed = sorted(
        k for k in set(old_config) | set(new_config) if old_config.get(k) != new_config.get(k)
    )
    return None, (old_provider, new_provider, changed)


def _in_aws(resource: dict[str, Any]) -> bool:
    """A custom resource that is not a provider: only these have an AWS object."""
    is_provider = str(resource["type"]).startswith(PROVIDER_TYPE_PREFIX)
    return bool(resource.get("provider")) and not is_provider


def _replace_error(old: dict[str, Any], new: dict[str, Any], urn: str) -> str | None:
    # continueStepsFromDiff: `new.Protect && old.Protect` refuses the replace, and the
    # update stops (a preview shows it as an error). Unprotecting in the same change works.
    if option(old, "protect") and option(new, "protect"):
        return (
            f"the update FAILS: {urn} is protected and this change replaces it; "
            "remove `protect` first in a change of its own"
        )
    return None


def _judge(
    urn: str,
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    matches: dict[str, str],
) -> ResourceChange:
    ignored = [str(p) for p in list_option(new, "ignoreChanges")]
    old_inputs: dict[str, Any] = old.get("inputs") or {}
    new_inputs = ignoring_changes(new.get("inputs") or {}, old_inputs, ignored)
    properties = _property_changes(
        new["type"], old_inputs, new_inputs, lambda key: replace_on_changes(new, key)
    )
    provider, swap = _provider_change(old, new, before, after, matches)
    if provider is not None:
        properties.append(provider)
    change = ResourceChange(
        "same",
        urn,
        new["type"],
        new["name"],
        properties,
        renamed_from=old["urn"] if old["urn"] != urn else None,
        option_changes=option_changes(old, new),
        provider_swap=swap[:2] if swap else None,
        provider_config_changes=swap[2] if swap else [],
        retained=bool(option(old, "retainOnDelete")),
        in_aws=_in_aws(new),
    )
    if any(p.replaces for p in properties):
        change.action = "replace"
        # continueStepsFromDiff: the goal's deleteBeforeReplace overrides the provider's.
        change.order = (
            "delete-then-create" if option(new, "deleteBeforeReplace") else "create-then-delete"
        )
        change.error = _replace_error(old, new, urn)
    elif properties:
        change.action = "update"
        change.retention_cuts = retention_cuts(new["type"], old_inputs, new_inputs)
    return change


def _removal(old: dict[str, Any]) -> ResourceChange:
    retained = bool(option(old, "retainOnDelete"))
    change = ResourceChange(
        "retain" if retained else "remove",
        old["urn"],
        old["type"],
        old["name"],
        retained=retained,
        in_aws=_in_aws(old),
    )
    # step.go DeleteStep.Apply: a protected resource is never deleted (deleteProtectedError).
    if option(old, "protect"):
        change.error = (
            f"the update FAILS: {old['urn']} is protected and this change deletes it; "
            "remove `protect` first in a change of its own"
        )
    return change


def diff_plans(base: Any, head: Any, *, organization_warnings: Sequence[str] = ()) -> PlanDiff:
    """The engine's steps from `base` to `head`, both `plan --json` objects;
    `organization_warnings`: a sharded organization's other stacks' (shard_moves.py)."""
    base_plan, head_plan = _plan_object(base, "base"), _plan_object(head, "head")
    before, after = _resources(base_plan, "base"), _resources(head_plan, "head")
    check_same_stack(base_plan, head_plan)
    matches = match_resources(before, after)
    changes: list[ResourceChange] = []
    for urn in sorted(after):
        new = after[urn]
        if urn not in matches:
            changes.append(
                ResourceChange("add", urn, new["type"], new["name"], in_aws=_in_aws(new))
            )
            continue
        old = before[matches[urn]]
        changes.append(_judge(urn, old, new, before=before, after=after, matches=matches))
    matched = set(matches.values())
    changes += [_removal(before[urn]) for urn in sorted(before) if urn not in matched]
    _cascade_deleted_with(changes, after)
    _skip_deletes_deleted_with(changes, before, matches)
    warned = [*cast(list[str], head_plan.get("warnings") or []), *organization_warnings]
    unreachable_providers(changes, before, warned, str(head_plan.get("stack") or ""))
    shown = [c for c in changes if not _unchanged(c)]
    shown.sort(key=lambda c: c.urn)
    secrets = secret_changes(base_plan, head_plan)
    added = [c.urn for c in changes if c.action == "add"]
    moves, moved = awaiting_state_move(set(added), after)
    imports = returning_account_imports(added, before, after)
    return PlanDiff(
        shown,
        len(changes) - len(shown),
        # The head plan's warnings (a skipped account, an offboarding): what the change is about.
        warnings=[str(w) for w in cast(list[Any], head_plan.get("warnings") or [])]
        + manual_policy_rename_warnings(
            added, [c.urn for c in changes if c.action == "remove"], before, after
        ),
        secret_changes=secrets,
        awaiting_state_move=moves,
        moved_adds=moved,
        returning_imports=imports,
        account_moves=account_moves(shown, before, after),
        import_file=import_file(imports, before, after) if imports else {},
    )


def secret_changes(base: Mapping[str, Any], head: Mapping[str, Any]) -> list[str]:
    """Secret config keys set, set again or removed since the base, by their ciphertext.

    Both plans mask secrets alike, so a rotation shows no input change; the engine
    decrypts and diffs the values. `plan --json` records a digest of each secret's
    ciphertext (`plan.secret_fingerprints`), which differs whenever the value does. A
    base plan made before that field existed tells nothing: no claim either way.
    """
    if "secretConfig" not in base:
        return []
    before = cast(Mapping[str, Any], base.get("secretConfig") or {})
    after = cast(Mapping[str, Any], head.get("secretConfig") or {})
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _unchanged(change: ResourceChange) -> bool:
    """A same step that changes nothing, not even state: left out of the diff."""
    return change.action == "same" and not (
        change.renamed_from or change.option_changes or change.provider_swap
    )


def _cascade_deleted_with(changes: list[ResourceChange], after: dict[str, dict[str, Any]]) -> None:
    """step_generator.go `diff`, lines 2909-2916: a resource whose new `deletedWith` target
    is replaced is replaced too (ReplaceKeys ["deletedWith"]), in chains."""
    replaced = {c.urn for c in changes if c.action == "replace"}
    grew = True
    while grew:
        grew = False
        for change in changes:
            if change.action not in ("same", "update") or change.urn not in after:
                continue
            target = option(after[change.urn], "deletedWith")
            if target and target in replaced:
                change.changes.append(PropertyChange("deletedWith", target, target, True))
                change.action = "replace"
                new = after[change.urn]
                change.order = (
                    "delete-then-create"
                    if option(new, "deleteBeforeReplace")
                    else "create-then-delete"
                )
                replaced.add(change.urn)
                grew = True


def _skip_deletes_deleted_with(
    changes: list[ResourceChange], before: dict[str, dict[str, Any]], matches: dict[str, str]
) -> None:
    """step.go `DeleteStep.Apply`, line 663: no provider Delete for a resource whose OLD
    `deletedWith` target is deleted in the same update (`sg.deletes`, which holds every
    removed URN and every replaced one's old URN, retained or not)."""
    base_urn = {c.urn: matches.get(c.urn, c.urn) for c in changes}
    deletes = {base_urn[c.urn] for c in changes if c.action in ("remove", "retain", "replace")}
    for change in changes:
        if change.action not in ("remove", "replace") or change.retained:
            continue
        old = before.get(base_urn[change.urn])
        target = option(old, "deletedWith") if old else None
        if not target or target not in deletes:
            continue
        change.deleted_with = target
        # The target's own fate decides whether the AWS object goes: a retained target
        # stays, and so does what is deleted with it.
        target_retained = (
            bool(option(before[target], "retainOnDelete")) if target in before else False
        )
        if target_retained:
            change.retained = True
            change.action = "retain" if change.action == "remove" else change.action
