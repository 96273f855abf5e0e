"""`adopt`: bring documents that already exist under the stack, instead of deleting them.

The console creates `SSM-SessionManagerRunShell` the first time anyone opens
Session Manager preferences, so creating it fails with DocumentAlreadyExists.
This finds every document the stack declares that already exists, writes a
Pulumi bulk-import file (`pulumi import --file`), and shows the current
preferences next to the wanted ones for review. The first `pulumi up` after the
import then updates each document in place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from session_manager.aws.jit_iam import AUTO_APPROVAL_POLICY
from session_manager.config.secrets import UNDECRYPTED
from session_manager.offline.invented import mark_invented
from session_manager.offline.plan import Plan, PlannedResource
from session_manager.ops.aws_access import (
    AwsAccess,
    CannotCheckError,
    failure_reason,
    provider_role,
)
from session_manager.ops.drift.jit import NATIVE_DOCUMENT, policy_content
from session_manager.ops.verify import DOCUMENT, flatten, parse_document


def _parsed(content: Any, document_format: str, native: bool) -> Any:
    """A document's content to compare, parsed. A just-in-time approval policy's as
    verify compares it (drift/jit.py policy_content: its Cedar text compared as Cedar)."""
    if native:
        return policy_content(content, document_format)
    return parse_document(content, document_format)


@dataclass
class ExistingDocument:
    resource: PlannedResource
    region: str
    provider: PlannedResource | None
    # The content of the latest version (the one the fix promotes), parsed.
    current: Any
    wanted: Any
    default_version: str = ""
    latest_version: str = ""
    # The account the document lives in, and the role the program assumes to reach it
    # ("" for the default provider's ambient credentials).
    account: str = ""
    role_arn: str = ""
    # The provider the resource names in the program, when it is not `provider` (an
    # aws-native document's: `provider` is the pulumi-aws one of the same account and role).
    own_provider: PlannedResource | None = None

    @property
    def import_provider(self) -> PlannedResource | None:
        return self.own_provider or self.provider

    @property
    def name(self) -> str:
        return str(self.resource.inputs["name"])

    @property
    def default_is_latest(self) -> bool:
        """UpdateDocument changes only the latest version, and the provider sends the default.

        So the first `pulumi up` after the import fails unless they are the same
        (someone ran `aws ssm update-document` without moving the default).
        """
        return self.default_version == self.latest_version

    @property
    def where(self) -> str:
        """`account 111111111111, as role <arn>`: whose credentials the fix needs."""
        place = f"account {self.account}" if self.account else "the current account"
        return f"{place}, as role {self.role_arn}" if self.role_arn else place

    @property
    def fix_command(self) -> str:
        """The command that makes the latest version the default, to run before the import.

        It ends with a shell comment naming the account (and the role the program
        assumes there): run with other credentials, it would change another account's
        document or fail with InvalidDocument.
        """
        return (
            f"aws ssm update-document-default-version --name {self.name} "
            f"--document-version {self.latest_version} --region {self.region}"
            f"   # in {self.where}"
        )


def find_existing(plan: Plan, access: AwsAccess) -> list[ExistingDocument]:
    """Documents the stack declares that already exist in AWS."""
    found: list[ExistingDocument] = []
    access.pin_plan(plan)
    accounts: dict[str, str] = {}  # provider URN ("" for the default) -> account id
    by_urn = {r.urn: r for r in plan.resources}
    # Just-in-time approval policies too (aws-native, any type of aws/jit_iam.py): the
    # console creates them, and aws-native imports AWS::SSM::Document by its Name (the
    # CloudFormation schema's primaryIdentifier, /properties/Name).
    for resource in [*plan.of_type(DOCUMENT), *plan.of_type(NATIVE_DOCUMENT)]:
        provider = plan.provider_of(resource)
        region = plan.region_of(resource)
        native = resource.type == NATIVE_DOCUMENT
        name = str(resource.inputs["name"])
        document_format = str(resource.inputs.get("documentFormat") or "JSON")
        try:
            # STS first: the credentials must reach an account the stack allows.
            account = access.confirmed_account(provider, region)
            ssm = access.client(provider, "ssm", region)
            try:
                versions = ssm.describe_document(Name=name)["Document"]
            except ssm.exceptions.InvalidDocument:
                continue
            # The latest version: the one the fix makes the default and UpdateDocument
            # changes, so the review shows what `pulumi up` will actually replace.
            latest = str(versions.get("LatestVersion") or "")
            content = ssm.get_document(
                Name=name,
                DocumentFormat=document_format,
                **({"DocumentVersion": latest} if latest else {}),
            )["Content"]
            key = provider.urn if provider else ""
            accounts[key] = account
        except (ClientError, BotoCoreError) as exc:
            raise CannotCheckError(
                f"{name} in {region}: {failure_reason(exc, access.endpoint_url)}"
            ) from None
        found.append(
            ExistingDocument(
                resource=resource,
                region=region,
                provider=provider,
                current=_parsed(content, document_format, native),
                wanted=_parsed(resource.inputs["content"], document_format, native),
                default_version=str(versions.get("DefaultVersion") or ""),
                latest_version=str(versions.get("LatestVersion") or ""),
                account=accounts[key],
                role_arn=(provider_role(provider) or ("", ""))[0],
                own_provider=by_urn.get(resource.provider or "") if native else None,
            )
        )
    return found


def other_auto_approvals(plan: Plan, access: AwsAccess) -> list[str]:
    """Each AutoApprovalPolicy of another name in an account-Region where the stack plans
    one, as what to do about it.

    AWS allows one auto-approval policy per account and Region ("Create an auto-approval
    policy", Systems Manager User Guide), so the planned one can't be created beside it;
    `find_existing` looks only under the planned name, and AWS's own sample names its
    `SSM-JustInTimeAccessAutoApprovalPolicy`.
    """
    notes: list[str] = []
    access.pin_plan(plan)
    for resource in plan.of_type(NATIVE_DOCUMENT):
        if resource.inputs.get("documentType") != AUTO_APPROVAL_POLICY:
            continue
        provider = plan.provider_of(resource)
        region = plan.region_of(resource)
        name = str(resource.inputs["name"])
        try:
            account = access.confirmed_account(provider, region)
            ssm = access.client(provider, "ssm", region)
            pages = ssm.get_paginator("list_documents").paginate(
                Filters=[
                    {"Key": "DocumentType", "Values": [AUTO_APPROVAL_POLICY]},
                    {"Key": "Owner", "Values": ["Self"]},
                ]
            )
            others = sorted(
                str(d["Name"]) for page in pages for d in page.get("DocumentIdentifiers", [])
            )
        except (ClientError, BotoCoreError) as exc:
            raise CannotCheckError(
                f"{name} in {region}: {failure_reason(exc, access.endpoint_url)}"
            ) from None
        for other in others:
            if other == name:
                continue
            notes.append(
                f"{other} in {region} (account {account}) is an {AUTO_APPROVAL_POLICY}, and "
                f"the stack plans {name} there: AWS allows one auto-approval policy per "
                "account and Region, so the planned one can't be created beside it. To adopt "
                f"it, set `justInTimeAccess.autoApproval.name: {other}` (on the target that "
                "holds this account, if it sets its own autoApproval) and run adopt again: it "
                f"then imports {other}. Or review it and delete it "
                f"(aws ssm delete-document --name {other} --region {region})."
            )
    return notes


def look_up(plan: Plan, access: AwsAccess) -> tuple[list[ExistingDocument], list[str]]:
    """`find_existing`'s documents, and `other_auto_approvals`' notes."""
    return find_existing(plan, access), other_auto_approvals(plan, access)


def import_blockers(
    existing: list[ExistingDocument], renamed: list[str], *, force: bool, out: str
) -> str:
    """What stops the import, as text ("" when nothing does): documents whose default
    version is not their latest, and auto-approval policies of another name. Either
    way nothing is written without --force (one import, of every document, at once)."""
    blocked = held_back(existing)
    parts = [default_version_report(blocked, force=force, out=out)] if blocked else []
    if renamed:
        parts.append("\n".join(renamed))
        if not (blocked or force):
            parts.append(f"Nothing was written to {out}. Or pass --force to import the rest.")
    return "\n".join(parts)


def held_back(existing: list[ExistingDocument]) -> list[ExistingDocument]:
    """Documents whose default version is not their latest: importing them now would fail."""
    return [item for item in existing if not item.default_is_latest]


def default_version_report(
    blocked: list[ExistingDocument], *, force: bool, out: str = "the import file"
) -> str:
    """What to run before the import, per document whose default is not its latest.

    Without --force nothing is written at all, not even the other documents' entries:
    a second `adopt` after the fix lists every document again, and importing a part
    first would make the later import fail on the resources already in the stack.
    """
    lines: list[str] = []
    for item in blocked:
        lines.append(
            f"{item.name} in {item.region} ({item.where}): the default version is "
            f"{item.default_version}, the latest is {item.latest_version}. The provider "
            "updates a document by its default version and AWS updates only the latest, so "
            "the first `pulumi up` would fail."
        )
        lines.append(f"  Run first: {item.fix_command}")
    if blocked and not force:
        lines.append(
            f"Nothing was written to {out}. Run the commands above, then run adopt again: it "
            "writes one import file for every existing document, to import once. Or pass "
            "--force to import these documents as they are."
        )
    return "\n".join(lines)


def import_file(plan: Plan, existing: list[ExistingDocument]) -> dict[str, Any]:
    """A `pulumi import --file` document for the existing documents.

    Each entry has the type, the name the program uses, its parent component
    (created empty by the import, then filled by `pulumi up`), its provider, and
    the document name as id. For a Region other than its provider's, the id takes
    pulumi-aws v7's `@<region>` suffix.
    """
    by_urn = {r.urn: r for r in plan.resources}
    name_table: dict[str, str] = {}
    resources: list[dict[str, Any]] = []
    components: dict[str, dict[str, Any]] = {}
    for item in existing:
        parent = by_urn.get(item.resource.parent or "")
        entry: dict[str, Any] = {
            "type": item.resource.type,
            "name": item.resource.name,
            "id": item.name,
        }
        provider_region = ""
        provider = item.import_provider
        if provider is not None:
            name_table[provider.name] = provider.urn
            entry["provider"] = provider.name
            provider_region = str(provider.inputs.get("region") or "")
        else:
            default = by_urn.get(item.resource.provider or "")
            provider_region = str(default.inputs.get("region") or "") if default else ""
        if provider_region and provider_region != item.region:
            entry["id"] = f"{item.name}@{item.region}"
        if parent is not None and not parent.custom:
            entry["parent"] = parent.name
            components.setdefault(
                parent.urn, {"type": parent.type, "name": parent.name, "component": True}
            )
        resources.append(entry)
    result: dict[str, Any] = {"resources": [*components.values(), *resources]}
    if name_table:
        result["nameTable"] = dict(sorted(name_table.items()))
    return result


def review(existing: list[ExistingDocument], invented: set[str] | None = None) -> str:
    """Current against wanted preferences, field by field. A wanted value the offline
    plan made up (a created key's id: `invented`) is marked as the text plan marks it."""
    if not existing:
        return "No managed document exists yet: the first `pulumi up` creates them all."
    lines: list[str] = []
    for item in existing:
        version = f"version {item.latest_version}" if item.latest_version else "it"
        if not item.default_is_latest:
            version += (
                f" (the latest, which the fix makes the default; the default is "
                f"{item.default_version})"
            )
        lines.append(
            f"{item.name} in {item.region} ({item.resource.name}) already exists; "
            f"{version} against the wanted document:"
        )
        current, wanted = flatten(item.current), flatten(item.wanted)
        changed = [p for p in sorted(set(current) | set(wanted)) if current.get(p) != wanted.get(p)]
        if not changed:
            lines.append("    identical to the wanted document")
        for path in changed:
            if wanted.get(path) == UNDECRYPTED:
                # The stack stores it as a secret: neither value is printed.
                lines.append(f"    {path}: a secret, not compared")
                continue
            line = (
                f"    {path}: current {json.dumps(current.get(path))}, "
                f"wanted {json.dumps(wanted.get(path))}"
            )
            lines += mark_invented([line], invented or set())
        lines.append("")
    return "\n".join(lines).rstrip()


def provider_targets(existing: list[ExistingDocument]) -> list[str]:
    """Explicit providers that must exist in the stack before the import."""
    return sorted(
        {item.import_provider.urn for item in existing if item.import_provider is not None}
    )


def next_steps(out: str, existing: list[ExistingDocument], stack: str = "") -> str:
    """What to run after `adopt` wrote its import file (`stack`: a shard's flags)."""
    lines = [f"\nWrote {out} with {len(existing)} document(s) to adopt. Next:"]
    providers = provider_targets(existing)
    if providers:
        targets = " ".join(f"--target '{urn}'" for urn in providers)
        lines.append(f"  pulumi up{stack} {targets}   # create the account providers first")
    lines.append(f"  pulumi import{stack} --file {out} --protect=false --generate-code=false")
    lines.append(f"  pulumi preview{stack}   # each adopted document shows an in-place update")
    if any(item.resource.type == NATIVE_DOCUMENT for item in existing):
        # replaceOnChanges [content] (just_in_time_access.py): an update would be refused
        # for content an earlier version holds (DuplicateDocumentContent).
        lines.append(
            "  # ... but an approval policy whose content differs shows a replacement: "
            "`pulumi up` deletes it, then creates it with the declared content"
        )
    return "\n".join(lines)
