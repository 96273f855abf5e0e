"""Just-in-time node access's approval-policy documents, on moto and through emulate.

moto (5.x, moto/ssm/models.py) refuses what AWS takes for these documents: its
`_validate_document_format` knows only JSON and YAML ("Invalid document format TEXT"),
its `_validate_document_info` lists no AutoApprovalPolicy or ManualApprovalPolicy type,
and its `Document` parses every content as JSON or YAML with a `schemaVersion`. AWS
takes them: AWS::SSM::Document's DocumentType lists both types, and the Cedar text of an
auto-approval policy is neither JSON nor YAML.

`teach_moto` widens exactly that, in the moto running in this process (the one
`make demo` and the tests start): the format TEXT for the just-in-time document types,
kept as text and returned as stored. Everything else moto checks (names, reserved
prefixes, other types, other formats) is still moto's own check. A moto started
elsewhere (`emulate --endpoint-url`) is not taught: emulate then reports the refusal.
When moto learns these types, tests/ops/test_emulate_jit.py's first test fails and this
can go.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, cast

from session_manager.aws.jit_iam import JIT_DOCUMENT_TYPES
from session_manager.ops.drift.jit import NATIVE_DOCUMENT

__all__ = ["NATIVE_DOCUMENT", "moto_refuses_text", "tag_list", "teach_moto"]

TEXT = "TEXT"
_taught = threading.Lock()
_done: list[bool] = []
# moto's own format check, kept to show it still refuses TEXT (moto_refuses_text).
_original_format: list[Callable[[str], None]] = []


def moto_refuses_text() -> bool:
    """Whether moto as shipped refuses DocumentFormat TEXT (then teach_moto is needed)."""
    from moto.ssm import models  # noqa: PLC0415
    from moto.ssm.exceptions import ValidationException  # noqa: PLC0415

    check = _original_format[0] if _original_format else models._validate_document_format  # pyright: ignore[reportPrivateUsage]
    try:
        check(TEXT)
    except ValidationException:
        return True
    return False


def teach_moto() -> None:
    """Let the in-process moto hold TEXT documents of the just-in-time types (once)."""
    from moto.ssm import models  # noqa: PLC0415 (only where moto runs in-process)

    with _taught:
        if _done:
            return
        original_format: Callable[[str], None] = models._validate_document_format  # pyright: ignore[reportPrivateUsage]
        _original_format.append(original_format)
        original_info: Callable[..., None] = models._validate_document_info  # pyright: ignore[reportPrivateUsage]
        original_init: Callable[..., None] = models.Document.__init__

        def validate_format(document_format: str) -> None:
            if document_format != TEXT:
                original_format(document_format)

        def validate_info(
            content: str,
            name: str,
            document_type: str | None,
            document_format: str,
            strict: bool = True,
        ) -> None:
            # TEXT only for the just-in-time types (an update names no type: strict False).
            if document_format == TEXT and (document_type in JIT_DOCUMENT_TYPES or not strict):
                original_info(content, name, "Command", "JSON", strict)
                return
            if document_format == TEXT:
                original_format(TEXT)  # moto's refusal, as for any type it doesn't take TEXT
            original_info(content, name, document_type, document_format, strict)

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            names = (
                "account_id",
                "name",
                "version_name",
                "content",
                "document_type",
                "document_format",
            )
            given = dict(zip(names, args, strict=False)) | kwargs
            if given.get("document_format") != TEXT:
                original_init(self, *args, **kwargs)
                return
            rest = {k: v for k, v in given.items() if k not in ("content", "document_format")}
            original_init(self, content='{"schemaVersion": "1.0"}', document_format="JSON", **rest)
            self.content = given["content"]
            self.document_format = TEXT
            self.content_json = {}

        models._validate_document_format = validate_format  # pyright: ignore[reportPrivateUsage]
        models._validate_document_info = validate_info  # pyright: ignore[reportPrivateUsage]
        models.Document.__init__ = init
        _done.append(True)


def tag_list(inputs: Mapping[str, Any]) -> dict[str, str]:
    """aws-native's tags (a list of {key, value}) as a dict."""
    raw: Any = inputs.get("tags") or []
    if not isinstance(raw, list):
        return {}
    tags = cast(list[dict[str, Any]], raw)
    return {str(t["key"]): str(t["value"]) for t in tags}
