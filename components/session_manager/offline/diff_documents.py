"""A document's or policy's change in `plan --diff`, shown as a unified diff of its
pretty-printed lines, so a one-statement change reads as one line, not a rewritten blob."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, cast

# Inputs that hold a document or policy as text (JSON, or YAML for YAML documents).
TEXT_DOCUMENT_INPUTS = ("content", "policy", "assumeRolePolicy")


# Stands in the pretty-printed JSON for a string of several lines, then gives way to them.
_TEXT = "\u0000text {}\u0000"


def _pretty(value: Any) -> list[str]:
    """JSON pretty-printed, each string of several lines (the Cedar text of an
    auto-approval policy document) written out as its own lines below its key (`|`), so a
    changed condition shows as the changed lines, not one rewritten escaped string."""
    texts: list[str] = []

    def hold(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: hold(v) for k, v in cast(dict[str, Any], node).items()}
        if isinstance(node, list):
            return [hold(v) for v in cast(list[Any], node)]
        if isinstance(node, str) and "\n" in node:
            texts.append(node)
            return _TEXT.format(len(texts) - 1)
        return node

    lines: list[str] = []
    for line in json.dumps(hold(value), indent=2, sort_keys=True).splitlines():
        held = re.search(r'"\\u0000text (\d+)\\u0000"', line)
        if held is None:
            lines.append(line)
            continue
        lines.append(line[: held.start()] + "|")
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        lines += [indent + text for text in texts[int(held.group(1))].splitlines()]
    return lines


def _document_lines(value: Any) -> list[str]:
    """A document's or policy's text as stable lines: JSON pretty-printed, else as written."""
    if not isinstance(value, str):
        return _pretty(value)
    try:
        return _pretty(json.loads(value))
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
