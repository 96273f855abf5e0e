"""Marking what the offline plan made up, so no reader takes a mock id for a real one.

The offline stand-in for AWS (`mocks.AwsMocks`) answers with ids and ARNs it
invents: KMS key ids, every ARN of a created resource, the caller's account
when no provider pins one (123456789012). It records each of them. The text plan
marks every line that shows one; `plan --preview` shows them as unknown instead,
as a first `pulumi preview` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INVENTED_MARK = "  <- invented offline"
# What an invented value looks like inside a line: an ARN, a key id, an account id
# (also inside an ARN that names the made-up account).
_TOKENS = (
    re.compile(r"arn:[^\s\"',\]]+"),
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])"),
)


def shows_invented(line: str, invented: set[str]) -> bool:
    return any(token in invented for pattern in _TOKENS for token in pattern.findall(line))


def mark_invented(lines: Iterable[str], invented: set[str]) -> list[str]:
    """`lines`, each one that shows an invented value ending in INVENTED_MARK."""
    if not invented:
        return list(lines)
    return [f"{line}{INVENTED_MARK}" if shows_invented(line, invented) else line for line in lines]
