"""SSM: preferences and custom documents (the default version's content), parameters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import yaml

from session_manager.config.secrets import UNDECRYPTED
from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift import s3, tags
from session_manager.ops.drift.compare import (
    Check,
    CheckContext,
    document_version,
    planned_format,
)
from session_manager.ops.drift.severity import REFRESH_UP, WEAKENS_SECURITY

DOCUMENT = "aws:ssm/document:Document"
PARAMETER = "aws:ssm/parameter:Parameter"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested document as `a.b.c` -> value, to name the fields that differ."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in cast(dict[str, Any], value).items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def parse_document(text: str, document_format: str) -> Any:
    return yaml.safe_load(text) if document_format.upper() == "YAML" else json.loads(text)


def version_with_content(ssm: Any, name: str, content: Any, document_format: str) -> str | None:
    """The newest version of document `name` whose content is `content` (parsed), or None.

    UpdateDocument refuses content an existing version holds (DuplicateDocumentContent),
    so a revert to an earlier content can only make that version the default again.
    Versions are numbered 1 to LatestVersion (SSM API reference, DocumentDescription);
    one deleted on its own is skipped.
    """
    wanted = parse_document(content, document_format) if isinstance(content, str) else content
    latest = int(ssm.describe_document(Name=name)["Document"]["LatestVersion"])
    for version in map(str, range(latest, 0, -1)):
        try:
            text = ssm.get_document(
                Name=name, DocumentVersion=version, DocumentFormat=document_format
            )["Content"]
        except (ssm.exceptions.InvalidDocumentVersion, ssm.exceptions.InvalidDocument):
            continue
        if parse_document(text, document_format) == wanted:
            return version
    return None


def reverted_document_note(ssm: Any, inputs: Mapping[str, Any], latest: str) -> str:
    """What a revert to an earlier version's content really leaves as the default; ""
    when the content is the latest's (no change: the provider calls no UpdateDocument)."""
    name = str(inputs["name"])
    match = version_with_content(
        ssm, name, str(inputs["content"]), str(inputs.get("documentFormat", "JSON"))
    )
    if match == str(latest):
        return ""
    fix = (
        f"aws ssm update-document-default-version --name {name} --document-version {match}"
        if match
        else "no version holds it"
    )
    return (
        f"document {name}: its content is an earlier version's, which AWS refuses to store "
        f"again (DuplicateDocumentContent); as the provider does, version {latest} (the "
        f"latest, with the newer content) stays the default, so the reverted content is "
        f"NOT in effect: {fix}"
    )


def check_document(ctx: CheckContext, resource: PlannedResource) -> None:
    ssm = ctx.client("ssm")
    name = str(resource.inputs["name"])
    label = f"document {name}"
    # The same reads as the key lookup's (compare.document_version): asked once.
    read = ctx.read(
        label,
        "document",
        lambda: document_version(ctx.access, ssm, resource),
        ssm.exceptions.InvalidDocument,
    )
    if read is None:
        return
    described, actual_text = read
    default, latest = described["DefaultVersion"], described["LatestVersion"]
    document_format = planned_format(resource)
    wanted = ctx.wanted(parse_document(str(resource.inputs["content"]), document_format))
    actual = parse_document(actual_text, document_format)
    revert = default == latest and wanted != actual
    fix = _reverted_fix(ssm, name, wanted, document_format) if revert else ""
    _compare_content(ctx, label, wanted, actual, fix)
    if default != latest:
        _check_latest(ctx, resource, wanted, default, latest)
    _check_sharing(ctx, resource, label)
    tags.check_tags(ctx, resource, label)
    if described.get("DocumentType") != resource.inputs.get("documentType", "Command"):
        ctx.drift(
            label,
            "documentType",
            resource.inputs.get("documentType"),
            described.get("DocumentType"),
        )
    # Whatever the document says, a bucket it requires encrypted must be encrypted.
    inputs: dict[str, Any] = {}
    if isinstance(wanted, dict):
        found = cast(dict[str, Any], wanted).get("inputs")
        inputs = cast(dict[str, Any], found) if isinstance(found, dict) else {}
    if inputs.get("s3BucketName") and inputs.get("s3EncryptionEnabled"):
        # The keys the instance policy of the same provider (account) grants for the bucket.
        granted = ctx.grants.bucket_keys.get(resource.provider or "")
        s3.require_encrypted(ctx, str(inputs["s3BucketName"]), granted)


def _reverted_fix(ssm: Any, name: str, wanted: Any, document_format: str) -> str:
    """When an earlier version holds the wanted content (a revert the provider could not
    store: terraform-provider-aws document.go keeps the latest version as default on
    DuplicateDocumentContent), the one command that puts it in effect."""
    match = version_with_content(ssm, name, wanted, document_format)
    if match is None:
        return ""
    return (
        f"aws ssm update-document-default-version --name {name} --document-version {match}: "
        f"version {match} holds the wanted content, which AWS refuses to store again "
        "(DuplicateDocumentContent), so `pulumi up` keeps the latest as default"
    )


def _compare_content(
    ctx: CheckContext, label: str, wanted: Any, actual: Any, fix: str = ""
) -> None:
    """One drift per field of the content that differs from the plan."""
    if wanted == actual:
        return
    wanted_flat, actual_flat = flatten(wanted), flatten(actual)
    for path in sorted(set(wanted_flat) | set(actual_flat)):
        if wanted_flat.get(path) == UNDECRYPTED:
            continue  # a secret the plan cannot decrypt: neither compared nor printed
        if wanted_flat.get(path) != actual_flat.get(path):
            ctx.drift(label, path, wanted_flat.get(path), actual_flat.get(path), fix=fix)


def _check_latest(
    ctx: CheckContext, resource: PlannedResource, wanted: Any, default: str, latest: str
) -> None:
    """A default version that is not the latest: the latest's content is compared too.

    StartSession takes a document name and no version (SSM API reference, StartSession
    request: Target, DocumentName, Reason, Parameters), and sessions started with
    `--document-name` run the latest version, not the default
    (aws/session-manager-plugin#112): content the stack never declared may be what
    runs. Its fields are reported, rated as content drift, under `<label> $LATEST`.
    The fix never promotes that content: delete the undeclared version (SSM
    DeleteDocument, DocumentVersion), which leaves the declared default the latest.
    """
    name = str(resource.inputs["name"])
    label = f"document {name}"
    document_format = planned_format(resource)
    text = ctx.access.read(
        ctx.client("ssm"),
        "get_document",
        Name=name,
        DocumentVersion=latest,
        DocumentFormat=document_format,
    )["Content"]
    held = parse_document(str(text), document_format)
    fix = (
        f"version {latest} holds content the stack does not declare (the `$LATEST` "
        "findings) and sessions started with --document-name run it: delete it "
        f"(aws ssm delete-document --name {name} --document-version {latest}), never "
        f"make it the default; then `{REFRESH_UP}`"
    )
    before = len(ctx.result.drifts)
    _compare_content(ctx, f"{label} $LATEST", wanted, held, fix)
    if len(ctx.result.drifts) == before:
        # The latest is what the stack declares: only the default was moved back.
        ctx.drift(label, "defaultVersion", f"latest ({latest})", default)
        return
    ctx.drift(
        label, "defaultVersion", f"latest ({latest})", default, severity=WEAKENS_SECURITY, fix=fix
    )


def _planned_sharing(resource: PlannedResource) -> list[str]:
    """The accounts the plan shares the document with (Pulumi's `permissions.accountIds`,
    a comma-separated list or `All`); none when it sets no permissions."""
    permissions = resource.inputs.get("permissions")
    if not isinstance(permissions, dict):
        return []
    ids = str(cast(dict[str, Any], permissions).get("accountIds") or "")
    return sorted(i.strip().lower() for i in ids.split(",") if i.strip())


def _check_sharing(ctx: CheckContext, resource: PlannedResource, label: str) -> None:
    """Who else may run the document: a document shared by hand, with other accounts or
    publicly (`all`), hands its settings to them (SSM API, DescribeDocumentPermission:
    shared privately by account id or publicly as All)."""
    ssm = ctx.client("ssm")
    shared: list[str] = []
    request: dict[str, Any] = {"Name": str(resource.inputs["name"]), "PermissionType": "Share"}
    while True:
        page = ssm.describe_document_permission(**request)
        shared += [str(i).lower() for i in page.get("AccountIds", [])]
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    wanted = _planned_sharing(resource)
    if sorted(shared) != wanted:
        ctx.drift(label, "permissions.accountIds", wanted or "not shared", sorted(shared))


def check_parameter(ctx: CheckContext, resource: PlannedResource) -> None:
    ssm = ctx.client("ssm")
    name = str(resource.inputs["name"])
    label = f"parameter {name}"
    parameter = ctx.read(
        label,
        "parameter",
        lambda: ssm.get_parameter(Name=name)["Parameter"],
        ssm.exceptions.ParameterNotFound,
    )
    if parameter is None:
        return
    actual = {"name": parameter["Name"], "type": parameter["Type"], "value": parameter["Value"]}
    ctx.compare_inputs(label, resource, actual, skip=("description", "overwrite", "tier"))


CHECKS: dict[str, Check] = {
    DOCUMENT: check_document,
    PARAMETER: check_parameter,
}
