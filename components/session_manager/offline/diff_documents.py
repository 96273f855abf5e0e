"""A document's or policy's change in `plan --diff`, shown as a unified diff of its
pretty-printed lines, so a one-statement change reads as one line, not a rewritten blob."""

from __future__ import annotations

import difflib
import json
from typing import Any

# Inputs that hold a document or policy as text (JSON, or YAML for YAML documents).
TEXT_DOCUMENT_INPUTS = ("content", "policy", "assumeRolePolicy")


def _document_lines(value: Any) -> list[str]:
    """A document's or policy's text as stable lines: JSON pretty-printed, else as written."""
    if not isinstance(value, str):
        return json.dumps(value, indent=2, sort_keys=True).splitlines()
    try:
        return json.dumps(json.loads(value), indent=2, sort_keys=True).splitlines()
    except json.JSONDecodeError:
        return value.splitlines()


def unified_document_diff(key: str, before: Any, after: Any) -> list[str] | None:
    """A text input's change as a unified diff of its lines; None for other inputs."""
    if key not in TEXT_DOCUMENT_INPUTS:
        return None
    return list(
        difflib.unified_diff(
            _document_lines(before),
            _document_lines(after),
            fromfile=f"{key} (base)",
            tofile=f"{key} (this change)",
            lineterm="",
        )
    )
