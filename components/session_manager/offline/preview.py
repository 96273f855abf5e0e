"""`plan --preview`: what a first `pulumi preview` shows, before anything exists.

In a preview the engine does not create resources. A new resource's id and its
computed outputs (a KMS key's `keyId` and `arn`, a log group's `arn`) are
unknown, and so is everything the program derives from them, such as the
preferences document's content, which names the session-data key. The Python
SDK resolves an empty id and every output missing from the response as unknown
in a dry run (pulumi/runtime/resource.py: "TFBridge in particular is known to
send the empty string as an ID when doing a preview"; rpc.resolve_outputs).

`PreviewMocks` answers like that: a new resource's state is its known inputs, its
id empty. Provider functions (the caller's account, the partition, an OU's
accounts) still answer, as they run in a real preview too, and so do explicit
providers, which the engine configures during a preview.
`mark_unknowns` then names, for each unknown input, the resources it waits for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
from pulumi.output import Unknown

from session_manager.offline.urns import resource_name

PROVIDER_PREFIX = "pulumi:providers:"


class PreviewMocks(pulumi.runtime.Mocks):
    """Wraps the offline mocks: new resources get no id and no computed outputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        self.mocks = mocks

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        answer = cast(
            tuple[str | None, dict[str, Any]],
            self.mocks.new_resource(args),  # pyright: ignore[reportUnknownMemberType]
        )
        if args.typ.startswith(PROVIDER_PREFIX):
            return answer
        inputs = cast(dict[str, Any], args.inputs)  # pyright: ignore[reportUnknownMemberType]
        return "", {k: v for k, v in inputs.items() if not _has_unknown(v)}

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        return self.mocks.call(args)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def _has_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in cast(dict[str, Any], value).values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in cast(list[Any], value))
    return False


def unknown_text(waits_for: Sequence[str]) -> str:
    """How the plan shows a value the engine only learns when resources exist."""
    if not waits_for:
        return "[unknown until the update]"
    verb = "exists" if len(waits_for) == 1 else "exist"
    return f"[unknown until {', '.join(waits_for)} {verb}]"


def mark_unknowns(
    inputs: Mapping[str, Any],
    dependencies: Mapping[str, Sequence[str]],
    custom_urns: set[str],
) -> dict[str, Any]:
    """`inputs` with every unknown value replaced by what it waits for.

    `dependencies` is the registration's property dependencies (input name -> URNs);
    of those, only custom resources (not components or providers) have outputs to wait for.
    """

    def mark(value: Any, text: str) -> Any:
        if isinstance(value, Unknown):
            return text
        if isinstance(value, dict):
            return {k: mark(v, text) for k, v in cast(dict[str, Any], value).items()}
        if isinstance(value, list):
            return [mark(v, text) for v in cast(list[Any], value)]
        return value

    marked: dict[str, Any] = {}
    for key, value in inputs.items():
        waits_for = sorted(
            resource_name(urn)
            for urn in dependencies.get(key, ())
            if urn in custom_urns and PROVIDER_PREFIX not in urn
        )
        marked[key] = mark(value, unknown_text(waits_for))
    return marked
