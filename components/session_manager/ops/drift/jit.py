"""Just-in-time node access's approval-policy documents (aws-native:ssm:Document).

Generic over the document types of aws/jit_iam.JIT_DOCUMENT_TYPES: whatever type the
plan gives a document, verify reads its default version back (DescribeDocument, then
GetDocument of that version in the planned format, as compare.document_version does
for every document) and compares:

- missing: nobody's request is answered by it. For an auto-approval policy people who
  were let in at once must wait for manual approvers; for a manual policy the nodes it
  targets can't be requested at all ("Create approval policies for your nodes": with
  no policy that applies, users can't request access). Rated "breaks sessions" (4).
- its type: a document of another type is not an approval policy (breaks, 4).
- its content, as data (the fix, `pulumi up --refresh`, replaces the document: the
  refresh reads the held content into the state's inputs, pulumi-aws-native
  provider/pkg/provider/provider.go cfnProvider.Read, and a content change replaces these
  documents, just_in_time_access.py; an update, UpdateDocument, would be refused for
  content an earlier version holds): the YAML (or JSON) AWS returns parsed and compared with the
  planned object (AWS's sample shape, aws/jit.py), so key order and YAML layout are no
  finding. The Cedar text in an auto-approval policy's `AutoApprovalPolicyDocuments` is
  compared as Cedar: both texts parsed by Cedar's own engine (cedarpy's policy-set JSON,
  where comments and layout are gone), so re-indenting is no finding but a newline that
  ends a `//` comment early (un-commenting a `permit`) is. A text Cedar can't parse is
  compared as text, only its line endings (CRLF) and trailing whitespace normalized.
  Any other difference (a manual policy's approvers, targets or duration too) may grant
  more than the stack declares: "weakens security" (1); the finding names the fields
  that differ, each with both values.
- a ManualApprovalPolicy the stack doesn't declare whose tag targets one node can share
  with a declared one: requests to that node fail ("Create approval policies for your
  nodes"), breaks sessions (4). One no node can share, or one for every node, is none.
- one auto-approval policy per account and Region ("Create an auto-approval policy":
  "You can only have one auto-approval policy per AWS account and AWS Region"): an
  AutoApprovalPolicy of another name there (made in the console) is reported, weakens
  security (1): it is not what `jit check` tested.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any, cast

import cedarpy
import yaml

from session_manager.aws.jit import manual_policy_tags, overlapping_targets
from session_manager.aws.jit_iam import AUTO_APPROVAL_POLICY, MANUAL_APPROVAL_POLICY
from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift.compare import Check, CheckContext, document_version, planned_format
from session_manager.ops.drift.severity import BREAKS_SESSIONS, REFRESH_UP, WEAKENS_SECURITY
from session_manager.ops.drift.ssm import parse_document

NATIVE_DOCUMENT = "aws-native:ssm:Document"
# The types AWS allows only one document of per account and Region.
ONE_PER_ACCOUNT_REGION = frozenset({AUTO_APPROVAL_POLICY})


def normalized(text: str) -> str:
    """Text with CRLF line endings as LF and trailing whitespace dropped, nothing else:
    in Cedar a newline ends a `//` comment, so folding whitespace could hide a change."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


class CedarText(str):
    """Cedar policy text, shown as written, equal to another that means the same policies.

    Equality compares Cedar's own parse (cedarpy.policies_to_json_str, the policy set's
    JSON form: no comments, no layout; Cedar's grammar, docs.cedarpolicy.com/policies/
    syntax-grammar.html: a `//` comment runs to the end of its line). If either side
    fails to parse, the texts are compared after `normalized`."""

    @cached_property
    def meaning(self) -> str:
        try:
            parsed = cedarpy.policies_to_json_str(str(self))  # pyright: ignore[reportUnknownMemberType]
        except ValueError:
            return ""
        return json.dumps(json.loads(str(parsed)), sort_keys=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        theirs = other if isinstance(other, CedarText) else CedarText(other)
        if self.meaning and theirs.meaning:
            return self.meaning == theirs.meaning
        return normalized(self) == normalized(theirs)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self.meaning or normalized(self))


def policy_content(content: Any, document_format: str) -> Any:
    """A policy document's content to compare: parsed (unless the plan's object already),
    with each Cedar text of `AutoApprovalPolicyDocuments` a CedarText. Text that does not
    parse stays text (`normalized`): it differs from any planned object."""
    if isinstance(content, str):
        try:
            content = parse_document(content, document_format)
        except (ValueError, yaml.YAMLError):
            return normalized(content)
    if not isinstance(content, dict):
        return content
    parsed = cast(dict[str, Any], content)
    documents: Any = parsed.get("AutoApprovalPolicyDocuments")
    if not isinstance(documents, list):
        return parsed
    return {
        **parsed,
        "AutoApprovalPolicyDocuments": [_folded(d) for d in cast(list[Any], documents)],
    }


def _folded(document: Any) -> Any:
    """One of `AutoApprovalPolicyDocuments`, its Cedar text compared as Cedar."""
    if not isinstance(document, dict):
        return document
    entry = cast(dict[str, Any], document)
    text = entry.get("content")
    return {**entry, "content": CedarText(text)} if isinstance(text, str) else entry


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested document as `a.0.b` -> value, lists by index (a step, an approver)."""
    if isinstance(value, list) and value:
        value = {str(i): item for i, item in enumerate(cast(list[Any], value))}
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in cast(dict[str, Any], value).items():
            found |= _leaves(item, f"{prefix}.{key}" if prefix else str(key))
        return found
    return {prefix: value}


def differing(wanted: Any, actual: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields (`a.0.b` paths) whose values differ, each side's values of those only."""
    ours, theirs = _leaves(wanted), _leaves(actual)
    paths = sorted(p for p in set(ours) | set(theirs) if ours.get(p) != theirs.get(p))
    return (
        {p: ours.get(p) for p in paths if p in ours},
        {p: theirs.get(p) for p in paths if p in theirs},
    )


def check_jit_document(ctx: CheckContext, resource: PlannedResource) -> None:
    ssm = ctx.client("ssm")
    name = str(resource.inputs["name"])
    label = f"document {name}"
    document_type = str(resource.inputs.get("documentType") or "")
    read = ctx.read(
        label,
        "document",
        lambda: document_version(ctx.access, ssm, resource),
        ssm.exceptions.InvalidDocument,
    )
    if read is not None:
        described, content = read
        if described.get("DocumentType") != document_type:
            ctx.drift(label, "documentType", document_type, described.get("DocumentType"))
        document_format = planned_format(resource)
        wanted = policy_content(resource.inputs.get("content") or "", document_format)
        held = policy_content(content, document_format)
        if held != wanted:
            ours, theirs = differing(wanted, held)
            ctx.drift(
                label,
                "content",
                ours,
                theirs,
                severity=WEAKENS_SECURITY,
                fix=(
                    f"run `{REFRESH_UP}`: the refresh reads the held content into the state, "
                    "and a content change replaces these documents (replaceOnChanges), so it "
                    "deletes the document, then creates it with the declared policy (an "
                    "update would fail on content an earlier version holds: "
                    "DuplicateDocumentContent); check what the held policy let in "
                    "(`session-manager jit check`)"
                ),
            )
    if document_type in ONE_PER_ACCOUNT_REGION:
        for other in _documents_of_type(ctx, ssm, document_type):
            if other == name:
                continue
            ctx.drift(
                f"document {other}",
                "document",
                f"absent: AWS allows one {document_type} per account and Region, {name}",
                "present",
                severity=WEAKENS_SECURITY,
                fix=(
                    f"review it, then delete it (aws ssm delete-document --name {other} "
                    f"--region {ctx.region}) and run `{REFRESH_UP}`; or keep it instead of "
                    f"{name}: set `justInTimeAccess.autoApproval.name: {other}`, then "
                    f"`session-manager adopt` imports it (and `{name}` leaves the stack)"
                ),
            )
    if document_type == MANUAL_APPROVAL_POLICY:
        _overlapping_manual_policies(ctx, ssm, resource)


def _overlapping_manual_policies(ctx: CheckContext, ssm: Any, resource: PlannedResource) -> None:
    """An undeclared ManualApprovalPolicy here whose tag targets one node can share with
    this declared one: AWS fails every request to such a node ("Create approval policies
    for your nodes": a node two manual policies apply to can't be requested). Breaks
    sessions (4). One that targets every node is no finding: a tag-targeted policy is
    favoured over it. Declared: the names the component registered (manualApprovalNames)."""
    name = str(resource.inputs["name"])
    declared = set(
        ctx.component_outputs.get(resource.parent or "", {}).get("manualApprovalNames") or []
    )
    ours = manual_policy_tags(
        policy_content(resource.inputs.get("content") or "", planned_format(resource))
    )
    for other in _documents_of_type(ctx, ssm, MANUAL_APPROVAL_POLICY):
        if other == name or other in declared:
            continue
        try:
            text = ctx.access.read(
                ssm, "get_document", Name=other, DocumentFormat=planned_format(resource)
            )["Content"]
        except ssm.exceptions.InvalidDocument:
            continue
        pair = overlapping_targets(
            ours, manual_policy_tags(policy_content(text, planned_format(resource)))
        )
        if pair is None:
            continue
        (key, value), (other_key, other_value) = pair
        ctx.drift(
            f"document {other}",
            "targets",
            f"no node that {name} targets too",
            f"tag {other_key}={other_value}, and {name} targets tag {key}={value}: "
            "one node can carry both",
            severity=BREAKS_SESSIONS,
            fix=(
                f"requests to a node both apply to fail: review {other}, then delete it "
                f"(aws ssm delete-document --name {other} --region {ctx.region}); or declare "
                "it in `justInTimeAccess.manualApprovals` with targets that don't overlap "
                f"and run `session-manager adopt` to import it"
            ),
        )


def _documents_of_type(ctx: CheckContext, ssm: Any, document_type: str) -> list[str]:
    """The account's own documents of one type in this Region (ListDocuments, paged)."""
    request: dict[str, Any] = {
        "Filters": [
            {"Key": "DocumentType", "Values": [document_type]},
            {"Key": "Owner", "Values": ["Self"]},
        ]
    }
    names: list[str] = []
    while True:
        page = ctx.access.read(ssm, "list_documents", **request)
        names += [str(d["Name"]) for d in page.get("DocumentIdentifiers", [])]
        if not page.get("NextToken"):
            return sorted(names)
        request["NextToken"] = page["NextToken"]


CHECKS: dict[str, Check] = {NATIVE_DOCUMENT: check_jit_document}
