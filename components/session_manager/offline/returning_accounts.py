"""Creates AWS refuses when an account comes back: retained resources with fixed names.

An account that leaves the targets keeps its retained resources in AWS (step.go
`DeleteStep.Apply`: no provider Delete for retainOnDelete) but loses them from the
state. When it comes back the engine creates them again under the same physical name,
and AWS refuses: IAM `EntityAlreadyExists`, KMS `AlreadyExistsException`, SSM
`DocumentAlreadyExists`, CloudWatch Logs `ResourceAlreadyExistsException`. Importing
them first turns those creates into imports.

Import ids are each resource's own, as terraform-provider-aws reads it (pulumi-aws's
"Import" sections): a role, instance profile, KMS alias, document or log group by its
name, an IAM policy by its ARN. A regional resource outside its provider's Region takes
`@<region>` after the id (terraform-provider-aws
website/docs/guides/enhanced-region-support.html.markdown, "How region works").
Attachments need no import: AttachRolePolicy of an attached policy succeeds. Keys have
no fixed name: a new one is created.

The bulk file is `pulumi import --file`'s format (pulumi/pulumi
pkg/cmd/pulumi/operations/import.go `importFile`, `importSpec`): `resources` with type,
name, id, parent and provider by name; components (`component: true`) and explicit
providers (type `pulumi:providers:aws` with their config as `inputs`) that the state
lacks are declared there too, so the imported resources get the URNs the program
registers; what the state holds already is referred to through `nameTable`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from session_manager.aws.regions import partition_named_by

PROVIDER_TYPE = "pulumi:providers:aws"
STACK_TYPE = "pulumi:pulumi:Stack"

# Type -> how its import id is made from its inputs (and the account's partition).
_NAME_ID_TYPES = frozenset(
    {
        "aws:iam/role:Role",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:kms/alias:Alias",
        "aws:ssm/document:Document",
        "aws:cloudwatch/logGroup:LogGroup",
    }
)
IAM_POLICY = "aws:iam/policy:Policy"
IMPORTABLE_TYPES = _NAME_ID_TYPES | {IAM_POLICY}
# What AWS answers when the create meets the name that exists.
REFUSALS = (
    "EntityAlreadyExists, AlreadyExistsException, DocumentAlreadyExists, "
    "ResourceAlreadyExistsException"
)


@dataclass(frozen=True)
class ImportCandidate:
    urn: str
    type: str
    name: str
    id: str
    account: str
    parent: str | None
    provider: str | None


def _options(resource: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], resource.get("options") or {})


def _inputs(resource: dict[str, Any] | None) -> dict[str, Any]:
    return cast(dict[str, Any], (resource or {}).get("inputs") or {})


def provider_account(provider: dict[str, Any] | None) -> str | None:
    """The one account a provider may act in (its allowedAccountIds), or None."""
    allowed: Any = _inputs(provider).get("allowedAccountIds")
    if isinstance(allowed, str):
        try:
            allowed = json.loads(allowed)
        except json.JSONDecodeError:
            return None
    ids = cast(list[Any], allowed) if isinstance(allowed, list) else []
    return str(ids[0]) if len(ids) == 1 else None


def _partition(provider: dict[str, Any] | None) -> str:
    region = _inputs(provider).get("region")
    data = partition_named_by(region) if isinstance(region, str) else None
    return data.partition if data else "aws"


def _import_id(
    resource: dict[str, Any], account: str, provider: dict[str, Any] | None
) -> str | None:
    inputs = _inputs(resource)
    own_id = _own_id(resource, inputs, account, _partition(provider))
    region = inputs.get("region")
    provider_region = _inputs(provider).get("region")
    if own_id and isinstance(region, str) and region and region != provider_region:
        return f"{own_id}@{region}"
    return own_id


def _own_id(
    resource: dict[str, Any], inputs: dict[str, Any], account: str, partition: str
) -> str | None:
    name = inputs.get("name")
    if not isinstance(name, str) or not name or name.startswith("[unknown"):
        return None  # no fixed name: a create makes a new one, nothing to refuse
    if resource["type"] == IAM_POLICY:
        path = inputs.get("path") if isinstance(inputs.get("path"), str) else "/"
        return f"arn:{partition}:iam::{account}:policy{path}{name}"
    return name


def _under_alias(urn: str, after: dict[str, dict[str, Any]]) -> bool:
    """Inside a component aliased to another name (movedFromAccountStack): a state move,
    not a return, brings its state (diff_text's state-move block says how)."""
    parent = after[urn].get("parent")
    while parent in after:
        if _options(after[parent]).get("aliases"):
            return True
        parent = after[parent].get("parent")
    return False


def returning_account_imports(
    added: list[str],
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
) -> list[ImportCandidate]:
    """Added resources, retained on delete, with a fixed name, of a provider new to the
    stack: an account that enters (or comes back), whose names may exist in AWS."""
    found: list[ImportCandidate] = []
    for urn in sorted(added):
        resource = after[urn]
        provider_urn = resource.get("provider")
        if resource["type"] not in IMPORTABLE_TYPES or not provider_urn:
            continue
        if provider_urn in before or not _options(resource).get("retainOnDelete"):
            continue
        if _under_alias(urn, after):
            continue
        provider = after.get(provider_urn)
        account = provider_account(provider) or "ACCOUNT_ID"
        import_id = _import_id(resource, account, provider)
        if import_id is None:
            continue
        found.append(
            ImportCandidate(
                urn,
                resource["type"],
                resource["name"],
                import_id,
                account,
                resource.get("parent"),
                provider_urn,
            )
        )
    return found


def _is_stack(urn: str) -> bool:
    return f"::{STACK_TYPE}::" in urn


def _is_default_provider(urn: str) -> bool:
    return urn.rsplit("::", 1)[-1].startswith("default")


def import_file(
    candidates: list[ImportCandidate],
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """`pulumi import --file` JSON for the candidates, with the components and explicit
    providers they need that the state lacks."""
    resources: list[dict[str, Any]] = []
    name_table: dict[str, str] = {}
    declared: set[str] = set()

    def refer(urn: str) -> str:
        """The name the file knows `urn` by: declared here, or from the state."""
        name = after[urn]["name"] if urn in after else urn.rsplit("::", 1)[-1]
        if urn in before:
            name_table[name] = urn
        elif urn not in declared:
            declared.add(urn)
            resource = after[urn]
            spec: dict[str, Any] = {"type": resource["type"], "name": name}
            if resource["type"] == PROVIDER_TYPE:
                inputs = _inputs(resource)
                spec["inputs"] = {k: v for k, v in inputs.items() if not k.startswith("__")}
            else:
                spec["component"] = True
                if resource.get("parent") and not _is_stack(resource["parent"]):
                    spec["parent"] = refer(resource["parent"])
            resources.append(spec)
        return name

    for candidate in candidates:
        spec: dict[str, Any] = {"type": candidate.type, "name": candidate.name, "id": candidate.id}
        if candidate.parent and not _is_stack(candidate.parent):
            spec["parent"] = refer(candidate.parent)
        if candidate.provider and not _is_default_provider(candidate.provider):
            spec["provider"] = refer(candidate.provider)
        resources.append(spec)
    result: dict[str, Any] = {"resources": resources}
    if name_table:
        result["nameTable"] = dict(sorted(name_table.items()))
    return result
