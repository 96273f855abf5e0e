"""`plan --diff`: a manual approval policy renamed in one update leaves a window where two
policies target the same nodes.

The renamed document is a new resource (its name is in its logical name): the engine
creates it during the update and deletes the old one at its end (pulumi/pulumi
step_generator.go: an old URN left over is deleted last), and AWS fails every request to
a node two manual policies apply to ("Create approval policies for your nodes").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from session_manager.aws.jit import manual_policy_tags, overlapping_targets
from session_manager.aws.jit_iam import MANUAL_APPROVAL_POLICY

NATIVE_DOCUMENT = "aws-native:ssm:Document"


def _manual_policy(resource: Mapping[str, Any]) -> tuple[str, list[tuple[str, str]]] | None:
    """(document name, tag targets) of a planned ManualApprovalPolicy document, else None."""
    raw: Any = resource.get("inputs")
    if resource.get("type") != NATIVE_DOCUMENT or not isinstance(raw, dict):
        return None
    inputs = cast(dict[str, Any], raw)
    if inputs.get("documentType") != MANUAL_APPROVAL_POLICY:
        return None
    content: Any = inputs.get("content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except json.JSONDecodeError:
            return None
    return str(inputs.get("name") or ""), manual_policy_tags(content)


def manual_policy_rename_warnings(
    added: list[str],
    removed: list[str],
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """One warning per rename (old name, new name): an added manual policy whose targets
    overlap those of one this update removes in the same account-Region (the same
    provider), naming every account-Region where it happens."""
    where_by_rename: dict[tuple[str, str], list[str]] = {}
    for new_urn in added:
        new = _manual_policy(after[new_urn])
        if new is None:
            continue
        provider = str(after[new_urn].get("provider") or "")
        for old_urn in removed:
            old = _manual_policy(before[old_urn])
            if old is None or before[old_urn].get("provider") != provider:
                continue
            if new[1] and old[1] and overlapping_targets(new[1], old[1]):
                # The provider's name is aws-native-<account>-<Region> (or -<Region>).
                where = provider.rsplit("::", 1)[-1].removeprefix("aws-native-")
                where_by_rename.setdefault((old[0], new[0]), []).append(where or "default")
    return [
        f"manual approval policy {old!r} is renamed to {new!r} in one update "
        f"(in {', '.join(sorted(set(where)))}): {new!r} is created first and {old!r} "
        "deleted at the end, and in between AWS fails every access request to the nodes "
        "both target; to avoid that window, remove the policy in one update and add it "
        "under its new name in the next (docs/just-in-time-access.md)"
        for (old, new), where in sorted(where_by_rename.items())
    ]
