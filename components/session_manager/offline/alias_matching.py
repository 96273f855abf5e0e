"""Which base resource each head resource is, as the engine matches a registration to old
state: by URN, then by its aliases, then by the alias its parent matched.

pulumi/pulumi pkg/resource/deploy/step_generator.go `getOldResource`, `generateAliases`,
`inheritedChildAlias`.
"""

from __future__ import annotations

from typing import Any, cast

from session_manager.offline.urns import (
    NAME_DELIMITER,
    PREFIX,
    TYPE_DELIMITER,
    qualified_type,
    resource_name,
)


def _urn_with(urn: str, qualified: str, name: str) -> str:
    stack, project = urn[len(PREFIX) :].split(NAME_DELIMITER, 3)[:2]
    return PREFIX + NAME_DELIMITER.join((stack, project, qualified, name))


def _inherited_alias(child_type: str, child_name: str, parent_urn: str, parent_alias: str) -> str:
    """step_generator.go `inheritedChildAlias`: the child under its parent's old URN.

    A child named after its parent ("{parent}-role") takes the parent's old name as prefix.
    """
    parent_name = resource_name(parent_urn)
    name = child_name
    if child_name.startswith(parent_name):
        name = resource_name(parent_alias) + child_name[len(parent_name) :]
    qualified = f"{qualified_type(parent_alias)}{TYPE_DELIMITER}{child_type}"
    return _urn_with(parent_alias, qualified, name)


def _candidates(resource: dict[str, Any], matched_aliases: dict[str, str]) -> list[str]:
    """The URNs the engine looks up in old state for `resource`, in its order."""
    options = cast(dict[str, Any], resource.get("options") or {})
    aliases = options.get("aliases")
    own: list[str] = [str(a) for a in cast(list[Any], aliases)] if isinstance(aliases, list) else []
    candidates = [resource["urn"], *own]
    parent = resource.get("parent")
    if parent and parent in matched_aliases:
        parent_alias = matched_aliases[parent]
        own_type, own_name = resource["type"], resource["name"]
        candidates.append(_inherited_alias(own_type, own_name, parent, parent_alias))
        for alias in own:
            candidates.append(
                _inherited_alias(
                    qualified_type(alias).rsplit(TYPE_DELIMITER, 1)[-1],
                    resource_name(alias),
                    parent,
                    parent_alias,
                )
            )
    return list(dict.fromkeys(candidates))


def _depth(urn: str) -> int:
    return qualified_type(urn).count(TYPE_DELIMITER)


def match_resources(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """Head URN -> base URN, for every head resource that has old state.

    Parents come before children (a child's qualified type extends its parent's), so a
    child sees which alias its parent matched, as in the engine's registration order.
    """
    matches: dict[str, str] = {}
    claimed: set[str] = set()
    # Head URN -> the base URN it matched through an alias (the engine's `sg.aliases`).
    aliased: dict[str, str] = {}
    for urn in sorted(after, key=lambda u: (_depth(u), u)):
        for candidate in _candidates(after[urn], aliased):
            if candidate in before and candidate not in claimed:
                # The URN itself stays claimed by its own registration (sg.urns).
                if candidate != urn and candidate in after:
                    continue
                matches[urn] = candidate
                claimed.add(candidate)
                if candidate != urn:
                    aliased[urn] = candidate
                break
    return matches


def _aliases(resource: dict[str, Any]) -> list[str]:
    aliases = cast(dict[str, Any], resource.get("options") or {}).get("aliases")
    return [str(a) for a in cast(list[Any], aliases)] if isinstance(aliases, list) else []


def awaiting_state_move(added: set[str], after: dict[str, dict[str, Any]]) -> tuple[list[str], int]:
    """Added components whose aliases name nothing in the base, and how many adds they hold.

    `movedFromAccountStack` aliases each component to the name it had in a per-account
    stack; until `pulumi state move` brings that state here the aliases match nothing, so
    the component and its children are creates (and AWS refuses them: the names exist).
    After the move the engine matches them by alias, and the children by their parent's
    alias (`generateAliases`, `inheritedChildAlias`): "same". Returns the outermost
    components' aliases and the count of adds under them, themselves included.
    """
    moved: set[str] = set()
    outermost: list[str] = []
    for urn in sorted(added, key=lambda u: (_depth(u), u)):  # parents first
        if after[urn].get("parent") in moved:
            moved.add(urn)
        elif _aliases(after[urn]):
            moved.add(urn)
            outermost += _aliases(after[urn])
    return outermost, len(moved)
