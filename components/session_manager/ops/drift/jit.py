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
- its content, as data: the YAML (or JSON) AWS returns parsed and compared with the
  planned object (AWS's sample shape, aws/jit.py), so key order and YAML layout are no
  finding; the Cedar text in an auto-approval policy's `AutoApprovalPolicyDocuments`
  with whitespace runs folded to one space, so line endings or indentation are none
  either. Any other difference (a manual policy's approvers, targets or duration too)
  may grant more than the stack declares: "weakens security" (1).
- one auto-approval policy per account and Region ("Create an auto-approval policy":
  "You can only have one auto-approval policy per AWS account and AWS Region"): an
  AutoApprovalPolicy of another name there (made in the console) is reported, weakens
  security (1): it is not what `jit check` tested.
"""

from __future__ import annotations

import re
from typing import Any, cast

import yaml

from session_manager.aws.jit_iam import AUTO_APPROVAL_POLICY
from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift.compare import Check, CheckContext, document_version, planned_format
from session_manager.ops.drift.severity import REFRESH_UP, WEAKENS_SECURITY
from session_manager.ops.drift.ssm import parse_document

NATIVE_DOCUMENT = "aws-native:ssm:Document"
# The types AWS allows only one document of per account and Region.
ONE_PER_ACCOUNT_REGION = frozenset({AUTO_APPROVAL_POLICY})
_SPACE = re.compile(r"\s+")


def normalized(text: str) -> str:
    """Policy text with every run of whitespace as one space, ends trimmed."""
    return _SPACE.sub(" ", text).strip()


def policy_content(content: Any, document_format: str) -> Any:
    """A policy document's content to compare: parsed (unless the plan's object already),
    with each Cedar text of `AutoApprovalPolicyDocuments` normalized. Text that does not
    parse stays text, whitespace folded: it differs from any planned object."""
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
    """One of `AutoApprovalPolicyDocuments`, its Cedar text's whitespace folded."""
    if not isinstance(document, dict):
        return document
    entry = cast(dict[str, Any], document)
    text = entry.get("content")
    return {**entry, "content": normalized(text)} if isinstance(text, str) else entry


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
        wanted = resource.inputs.get("content") or ""
        document_format = planned_format(resource)
        if policy_content(content, document_format) != policy_content(wanted, document_format):
            ctx.drift(
                label,
                "content",
                wanted,
                content,
                severity=WEAKENS_SECURITY,
                fix=(
                    f"run `{REFRESH_UP}`: it puts the declared policy back as a new default "
                    f"version; check what the held policy let in (`session-manager jit check`)"
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
                    f"--region {ctx.region}) and run `{REFRESH_UP}`; or adopt it: "
                    "`session-manager adopt` imports a document of the planned name"
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
