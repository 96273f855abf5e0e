"""Every resource type verify compares, and the types it deliberately leaves out."""

from __future__ import annotations

from session_manager.ops.drift import ec2, events, iam, kms, logs, s3, ssm
from session_manager.ops.drift.compare import Check

CHECKS: dict[str, Check] = {
    **kms.CHECKS,
    **logs.CHECKS,
    **ssm.CHECKS,
    **iam.CHECKS,
    **s3.CHECKS,
    **ec2.CHECKS,
    **events.CHECKS,
}
# Account-wide resources: checked once per account, with its first Region.
GLOBAL_TYPES = frozenset(iam.CHECKS)
# Keys first: the other checks compare values that name them.
ORDER = (*kms.CHECKS, *[t for t in CHECKS if t not in kms.CHECKS])

# Planned types verify does not read back, and why.
NOT_COMPARED = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "names a security group that only a real account has"
    ),
}
