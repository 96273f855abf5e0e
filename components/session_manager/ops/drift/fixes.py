"""What to do about a finding whose check gives no fix of its own.

Most drift is put back by the stack: Pulumi diffs the program against its state, not
against AWS, so the fix is `pulumi up --refresh` (severity.REFRESH_UP). The exceptions
are what the stack does not manage, or where a refresh would do harm.
"""

from __future__ import annotations

from typing import Any

from session_manager.ops.drift.severity import REFRESH_UP, kind_of

PUT_BACK = f"run `{REFRESH_UP}`: the stack puts back what it declares"


def fix_for(resource: str, field: str, wanted: Any) -> str:
    """The fix line for one drifted field of `resource` (its label), or ""."""
    kind = kind_of(resource)
    name = resource.rsplit(" ", maxsplit=1)[-1]
    if field in ("attachedPolicies", "inlinePolicies"):
        # The role's extra policies are not resources of the stack: a refresh records them.
        return (
            f"detach or delete the extra policies by hand (aws iam detach-role-policy / "
            f"delete-role-policy --role-name {name}): `{REFRESH_UP}` keeps what it does not manage"
        )
    if kind == "kms key" and field == "keyState":
        # A refresh takes a key pending deletion for deleted and plans a new one.
        return (
            "cancel a scheduled deletion (aws kms cancel-key-deletion) and enable the key in "
            f"use (aws kms enable-key) before any `pulumi up`; then `{REFRESH_UP}`"
        )
    if kind == "document" and field == "defaultVersion":
        # UpdateDocument fails while the default version is not the latest.
        latest = str(wanted).removeprefix("latest (").removesuffix(")")
        return (
            f"aws ssm update-document-default-version --name {name} --document-version "
            f"{latest}: `pulumi up` fails until the default version is the latest"
        )
    if kind == "cloudtrail":
        return ""  # not the stack's: the check says what the rules need
    return PUT_BACK
