"""What the plan grants each IAM role it creates: the baseline for extra privileges.

A role the stack creates should hold exactly the managed policies the plan
attaches and the inline policies it puts; verify reports anything more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from session_manager.offline.plan import PlannedResource

ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
Where = tuple[str, str]  # (provider URN, role name)


@dataclass(frozen=True)
class RoleGrants:
    """What the plan grants each role it creates, by (provider URN, role name).

    Managed policy ARNs as planned (placeholders and all: swap them before
    comparing) and the names of inline policies.
    """

    attached: dict[Where, set[str]] = field(default_factory=dict[Where, set[str]])
    inline: dict[Where, set[str]] = field(default_factory=dict[Where, set[str]])

    @classmethod
    def of(cls, resources: Iterable[PlannedResource]) -> RoleGrants:
        grants = cls()
        for resource in resources:
            where = (resource.provider or "", str(resource.inputs.get("role") or ""))
            if resource.type == ROLE_POLICY_ATTACHMENT:
                grants.attached.setdefault(where, set()).add(str(resource.inputs["policyArn"]))
            elif resource.type == ROLE_POLICY:
                grants.inline.setdefault(where, set()).add(str(resource.inputs.get("name")))
        return grants
