"""CloudWatch Logs: each session log group, its key and its retention."""

from __future__ import annotations

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift import tags
from session_manager.ops.drift.compare import Check, CheckContext, log_group_named
from session_manager.ops.drift.severity import LOSES_LOGS

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def check_log_group(ctx: CheckContext, resource: PlannedResource) -> None:
    name = str(resource.inputs["name"])
    label = f"log group {name}"
    ctx.checked(label)
    group = log_group_named(ctx.access, ctx.client("logs"), name)
    if group is None:
        # Encrypted as planned, the preferences require it so: the agent refuses sessions
        # without it (severity.py). A group planned unencrypted is only where logs go.
        severity = "" if resource.inputs.get("kmsKeyId") else LOSES_LOGS
        ctx.drift(label, "logGroup", "exists", "missing", severity=severity)
        return
    actual = {
        "name": group["logGroupName"],
        # No retention means "never expire", which the provider writes as 0.
        "retentionInDays": group.get("retentionInDays", 0),
        "kmsKeyId": group.get("kmsKeyId", ""),
        "logGroupClass": group.get("logGroupClass"),
    }
    ctx.compare_inputs(label, resource, actual, skip=("skipDestroy",))
    tags.check_tags(ctx, resource, label)


CHECKS: dict[str, Check] = {
    LOG_GROUP: check_log_group,
}
