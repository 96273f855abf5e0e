"""Compare policy documents the way AWS treats them, and name the statements that differ.

IAM, KMS and S3 hand back a policy in other shapes than it was sent: IAM
URL-encodes it (RFC 3986; boto3 decodes IAM's), whitespace and key order change,
and AWS treats these as the same policy (hashicorp/awspolicyequivalence, which
terraform-provider-aws uses to suppress policy diffs):

- `Statement` as one object or as a list, in any order;
- a single string or a one-item list for Action, NotAction, Resource,
  NotResource, principals and condition values, list order not mattering;
- `Effect` in any case;
- a 12-digit account principal or its `arn:<partition>:iam::<account>:root`;
- `"Principal": "*"` or `{"AWS": "*"}` (IAM User Guide, "AWS JSON policy
  elements: Principal": the two are equivalent).

Pure: no AWS calls; `statement_diff` returns only what changed, so a report can
show a short diff instead of two whole policies.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, cast
from urllib.parse import unquote

_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
_ROOT_ARN = re.compile(r"^arn:[a-z-]+:iam::(\d{12}):root$")
# URL-encoded JSON: an encoded `{`, perhaps after encoded or plain whitespace.
_URL_ENCODED = re.compile(r"^(?:\s|%20|%09|%0A|%0D)*%7B", re.IGNORECASE)


def parse_policy(value: Any) -> Any:
    """A policy as a dict, from a dict, JSON text, or URL-encoded JSON text."""
    if value is None or isinstance(value, dict):
        return cast(dict[str, Any] | None, value)
    text = str(value).strip()
    if _URL_ENCODED.match(text):
        # IAM's RFC 3986 encoding, whitespace before the brace included (`%0A%7B`).
        text = unquote(text).strip()
    if not text:
        return None
    return json.loads(text)


def _text(item: Any) -> str:
    """A value as IAM returns it: condition values come back as strings, so the
    boolean `false` is the string "false" (not Python's "False")."""
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


def _strings(value: Any) -> list[str]:
    items = cast(list[Any], value) if isinstance(value, list) else [value]
    return sorted(_text(item) for item in items)


def _principal(value: Any) -> Any:
    if value == "*":
        return {"AWS": ["*"]}
    if not isinstance(value, dict):
        return value
    principals: dict[str, list[str]] = {}
    for kind, members in cast(dict[str, Any], value).items():
        names = [_ROOT_ARN.sub(r"\1", member) for member in _strings(members)]
        if names:
            principals[kind] = sorted(names)
    return principals


def normalize_statement(statement: Any) -> Any:
    """One statement in canonical form: sorted value lists, one case for Effect."""
    if not isinstance(statement, dict):
        return statement
    result: dict[str, Any] = {}
    for key, value in cast(dict[str, Any], statement).items():
        if key in _LIST_KEYS:
            result[key] = _strings(value)
        elif key in _PRINCIPAL_KEYS:
            result[key] = _principal(value)
        elif key == "Effect":
            result[key] = str(value).capitalize()
        elif key == "Condition" and isinstance(value, dict):
            result[key] = {
                operator: {name: _strings(v) for name, v in cast(dict[str, Any], keys).items()}
                if isinstance(keys, dict)
                else keys
                for operator, keys in cast(dict[str, Any], value).items()
            }
        else:
            result[key] = value
    return result


def _statements(policy: Any) -> list[Any]:
    if not isinstance(policy, dict):
        return []
    found = cast(dict[str, Any], policy).get("Statement")
    if found is None:
        return []
    items = cast(list[Any], found) if isinstance(found, list) else [found]
    return [normalize_statement(item) for item in items]


def _key(statement: Any) -> str:
    return json.dumps(statement, sort_keys=True)


def normalize_policy(value: Any) -> Any:
    """The policy in canonical form: equal for every shape AWS treats as the same."""
    policy = parse_policy(value)
    if not isinstance(policy, dict):
        return policy
    header = {k: v for k, v in cast(dict[str, Any], policy).items() if k != "Statement"}
    return {**header, "Statement": sorted(_statements(policy), key=_key)}


def _header(policy: Any) -> dict[str, Any]:
    held = cast(dict[str, Any], policy) if isinstance(policy, dict) else {}
    return {k: v for k, v in held.items() if k != "Statement"}


def statement_diff(wanted: Any, actual: Any) -> tuple[list[Any], list[Any]]:
    """(statements only the wanted policy has, statements only the actual one has).

    Both empty when the policies are equivalent. A difference outside the
    statements (Version, Id) shows as that header in both lists.
    """
    wanted_policy, actual_policy = normalize_policy(wanted), normalize_policy(actual)
    if wanted_policy == actual_policy:
        return [], []
    wanted_statements, actual_statements = _statements(wanted_policy), _statements(actual_policy)
    wanted_keys = Counter(_key(s) for s in wanted_statements)
    actual_keys = Counter(_key(s) for s in actual_statements)
    missing = [json.loads(k) for k in sorted((wanted_keys - actual_keys).elements())]
    extra = [json.loads(k) for k in sorted((actual_keys - wanted_keys).elements())]
    if not missing and not extra:
        # Same statements: the difference is in the header (Version, Id).
        return [_header(wanted_policy)], [_header(actual_policy)]
    return missing, extra
