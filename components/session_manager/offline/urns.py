"""Resource URNs built by the Pulumi engine's rule, not the mock runtime's.

The engine names a resource `urn:pulumi:<stack>::<project>::<qualified type>::<name>`.
The qualified type is the parent's qualified type, `$`, and the resource's own
type, except that the root stack's type `pulumi:pulumi:Stack` is never part of
it (pulumi/pulumi sdk/go/common/resource/urn/urn.go `New`, and
pkg/resource/deploy/deployment.go `generateURN`, which passes the parent's
*qualified* type).

The SDK's mock monitor differs twice: it keeps `pulumi:pulumi:Stack$` in front of
every resource whose parent is the stack, and it keeps only the last element of
the parent's type. Its URNs fail in `pulumi up --target` and `pulumi import`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PREFIX = "urn:pulumi:"
NAME_DELIMITER = "::"
TYPE_DELIMITER = "$"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def _parts(urn: str) -> list[str]:
    """stack, project, qualified type, name (a name may itself contain '::')."""
    if not urn.startswith(PREFIX) or urn.count(NAME_DELIMITER) < 3:
        raise ValueError(f"not a Pulumi URN: {urn!r}")
    return urn[len(PREFIX) :].split(NAME_DELIMITER, 3)


def qualified_type(urn: str) -> str:
    """The URN's qualified type: the ancestors' types and its own, joined by '$'."""
    return _parts(urn)[2]


def resource_type(urn: str) -> str:
    """The resource's own type: the qualified type's last element."""
    return qualified_type(urn).rsplit(TYPE_DELIMITER, 1)[-1]


def resource_name(urn: str) -> str:
    return _parts(urn)[3]


def engine_urn(stack: str, project: str, parent: str | None, typ: str, name: str) -> str:
    """The URN the engine gives a resource of `typ` named `name` under `parent` (a URN)."""
    qualified = typ
    if parent:
        parent_type = qualified_type(parent)
        if parent_type != ROOT_STACK_TYPE:
            qualified = f"{parent_type}{TYPE_DELIMITER}{typ}"
    return PREFIX + NAME_DELIMITER.join((stack, project, qualified, name))


def alias_urns(
    aliases: Iterable[Any], *, stack: str, project: str, name: str, typ: str, parent: str | None
) -> list[str]:
    """The old URNs a resource's `aliases` option names, as the engine resolves them.

    Each alias is the SDK's `alias_pb2.Alias`: a whole URN, or a spec whose empty
    fields default to the resource's own name, type, parent, stack and project
    (pulumi/pulumi pkg/resource/deploy/step_generator.go `collapseAliasToUrn`;
    `noParent`, or a parent that is the root stack, means no parent). Aliases a
    child inherits from an aliased parent are added by the diff, which knows which
    of the parent's aliases matched (`generateAliases`, `inheritedChildAlias`).
    """
    urns: list[str] = []
    for alias in aliases:
        if alias.WhichOneof("alias") == "urn":
            urn = str(alias.urn)
        else:
            spec = alias.spec
            alias_parent = None if spec.noParent else (spec.parentUrn or parent)
            urn = engine_urn(
                spec.stack or stack,
                spec.project or project,
                alias_parent,
                spec.type or typ,
                spec.name or name,
            )
        if urn not in urns:
            urns.append(urn)
    return urns
