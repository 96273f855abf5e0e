"""What the plan grants each IAM role it creates: the baseline for extra privileges.

A role the stack creates should hold exactly the managed policies the plan
attaches and the inline policies it puts; verify reports anything more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from session_manager.offline.plan import PlannedResource

ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
# The instance policy's statement granting the log bucket's key (aws/instance_policy.py).
BUCKET_KEY_SID = "EncryptSessionLogObjects"
# An action only the instance policy grants: the agent's control channel.
INSTANCE_ACTION = "ssmmessages:CreateControlChannel"
Where = tuple[str, str]  # (provider URN, role name)


@dataclass(frozen=True)
class RoleGrants:
    """What the plan grants each role it creates, by (provider URN, role name).

    Managed policy ARNs as planned (placeholders and all: swap them before
    comparing) and the names of inline policies.
    """

    attached: dict[Where, set[str]] = field(default_factory=dict[Where, set[str]])
    inline: dict[Where, set[str]] = field(default_factory=dict[Where, set[str]])
    # Provider URN -> the log bucket keys its instance policy grants (placeholders and all);
    # a provider is listed only when the plan creates an instance policy there.
    bucket_keys: dict[str, set[str]] = field(default_factory=dict[str, set[str]])

    @classmethod
    def of(cls, resources: Iterable[PlannedResource]) -> RoleGrants:
        grants = cls()
        for resource in resources:
            where = (resource.provider or "", str(resource.inputs.get("role") or ""))
            if resource.type == ROLE_POLICY_ATTACHMENT:
                grants.attached.setdefault(where, set()).add(str(resource.inputs["policyArn"]))
            elif resource.type == ROLE_POLICY:
                grants.inline.setdefault(where, set()).add(str(resource.inputs.get("name")))
            elif resource.type == POLICY:
                _instance_policy(grants, resource)
        return grants


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in cast(list[Any], value or [])]


def _instance_policy(grants: RoleGrants, resource: PlannedResource) -> None:
    try:
        statements = cast(
            list[dict[str, Any]], json.loads(str(resource.inputs["policy"]))["Statement"]
        )
    except (KeyError, ValueError, TypeError):
        return
    if not any(INSTANCE_ACTION in _listed(s.get("Action")) for s in statements):
        return
    keys = grants.bucket_keys.setdefault(resource.provider or "", set())
    for statement in statements:
        if statement.get("Sid") == BUCKET_KEY_SID:
            keys.update(_listed(statement.get("Resource")))
