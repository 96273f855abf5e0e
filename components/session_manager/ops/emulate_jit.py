"""Just-in-time node access's approval-policy documents, on moto and through emulate.

The documents are YAML in the shape of AWS's CloudFormation sample (aws/jit.py), which
moto (5.x, moto/ssm/models.py) takes as YAML; but its `_validate_document_info` lists
no AutoApprovalPolicy or ManualApprovalPolicy type ("Invalid document type ..."), which
AWS takes: AWS::SSM::Document's DocumentType and CreateDocument's DocumentType list both.

`teach_moto` widens exactly that, in the moto running in this process (the one
`make demo` and the tests start): the two just-in-time types, checked otherwise as
moto checks a Command document (names, reserved prefixes, formats, content with a
`schemaVersion`). Other types are still moto's own check. A moto started elsewhere
(`emulate --endpoint-url`) is not taught: emulate then reports the refusal. When moto
learns these types, tests/ops/test_emulate_jit.py's first test fails and this can go.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any, cast
from urllib.parse import urlsplit

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from session_manager.aws.jit_iam import AUTO_APPROVAL_POLICY, JIT_DOCUMENT_TYPES
from session_manager.ops.drift.jit import NATIVE_DOCUMENT
from session_manager.ops.drift.ssm import parse_document

__all__ = [
    "NATIVE_DOCUMENT",
    "delete_if_changed",
    "document_text",
    "emulator_refusal",
    "moto_refuses_jit_types",
    "tag_list",
    "teach_moto",
]

_taught = threading.Lock()
# moto's own document check, kept to show it still refuses the types (moto_refuses_jit_types).
_original_info: list[Callable[..., None]] = []


def moto_refuses_jit_types() -> bool:
    """Whether moto as shipped refuses every just-in-time document type (then teach_moto
    is needed)."""
    from moto.ssm import models  # noqa: PLC0415
    from moto.ssm.exceptions import ValidationException  # noqa: PLC0415

    check = _original_info[0] if _original_info else models._validate_document_info  # pyright: ignore[reportPrivateUsage]
    refused = 0
    for document_type in sorted(JIT_DOCUMENT_TYPES):
        try:
            check('{"schemaVersion": "0.3"}', "a-policy", document_type, "YAML")
        except ValidationException:
            refused += 1
    return refused == len(JIT_DOCUMENT_TYPES)


def teach_moto() -> None:
    """Let the in-process moto hold documents of the just-in-time types (once)."""
    from moto.ssm import models  # noqa: PLC0415 (only where moto runs in-process)

    with _taught:
        if _original_info:
            return
        original_info: Callable[..., None] = models._validate_document_info  # pyright: ignore[reportPrivateUsage]

        def validate_info(
            content: str,
            name: str,
            document_type: str | None,
            document_format: str,
            strict: bool = True,
        ) -> None:
            if document_type in JIT_DOCUMENT_TYPES:
                document_type = "Command"  # every other check stays moto's
            original_info(content, name, document_type, document_format, strict)

        _original_info.append(original_info)
        models._validate_document_info = validate_info  # pyright: ignore[reportPrivateUsage]


def document_text(content: Any, document_format: str) -> str:
    """aws-native's content (an object: the resource's Content is JSON-typed) as the text
    CreateDocument takes in `document_format`; text stays as given."""
    if isinstance(content, str):
        return content
    if document_format.upper() == "YAML":
        return yaml.safe_dump(content, sort_keys=True)
    return json.dumps(content, sort_keys=True)


def delete_if_changed(
    ssm: Any, inputs: Mapping[str, Any], emulated: Callable[[list[dict[str, str]]], bool]
) -> None:
    """A document whose content change replaces it (replaceOnChanges [content], delete
    first as the engine orders it with deleteBeforeReplace): an earlier run's document
    (`emulated` says so by its tags) holding other content at $LATEST is deleted, so the
    create that follows makes it anew; a revert to an earlier version's content is then
    no UpdateDocument, which AWS refuses (DuplicateDocumentContent)."""
    name, document_format = str(inputs["name"]), str(inputs.get("documentFormat", "JSON"))
    try:
        held = ssm.get_document(
            Name=name, DocumentVersion="$LATEST", DocumentFormat=document_format
        )["Content"]
    except ssm.exceptions.InvalidDocument:
        return
    tags = ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"]
    if not emulated(tags):
        return  # not ours: the create collides, as it would in AWS
    wanted = parse_document(str(inputs["content"]), document_format)
    if parse_document(held, document_format) != wanted:
        ssm.delete_document(Name=name)


def tag_list(inputs: Mapping[str, Any]) -> dict[str, str]:
    """aws-native's tags (a list of {key, value}) as a dict."""
    raw: Any = inputs.get("tags") or []
    if not isinstance(raw, list):
        return {}
    tags = cast(list[dict[str, Any]], raw)
    return {str(t["key"]): str(t["value"]) for t in tags}


def _is_loopback(endpoint_url: str) -> bool:
    host = urlsplit(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def emulator_refusal(ssm: Any) -> str | None:
    """Why the emulator behind `ssm` (a client of an `--endpoint-url`) refuses the
    just-in-time document types, or None when it holds them (or can't be asked).

    A moto started elsewhere is not taught (`teach_moto`): `emulate` skips the documents,
    and verify must leave them out as it leaves out what emulate can't create. Asked by
    creating a throwaway AutoApprovalPolicy, deleted at once: only on a loopback endpoint
    (an emulator on this machine); any other endpoint is never written to, and its
    documents are compared as AWS's would be."""
    if not _is_loopback(str(getattr(ssm.meta, "endpoint_url", "") or "")):
        return None
    name = f"session-manager-probe-{uuid.uuid4().hex[:12]}"
    try:
        ssm.create_document(
            Name=name,
            Content='schemaVersion: "0.3"\n',
            DocumentType=AUTO_APPROVAL_POLICY,
            DocumentFormat="YAML",
        )
    except ClientError as exc:
        message = str(exc.response.get("Error", {}).get("Message") or "")
        return message if "document type" in message.lower() else None
    except BotoCoreError:
        return None
    with suppress(ClientError, BotoCoreError):
        ssm.delete_document(Name=name)
    return None
