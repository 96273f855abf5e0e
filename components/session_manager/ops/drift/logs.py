"""CloudWatch Logs: each session log group, its key and its retention."""

from __future__ import annotations

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift import tags
from session_manager.ops.drift.compare import Check, CheckContext

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def check_log_group(ctx: CheckContext, resource: PlannedResource) -> None:
    name = str(resource.inputs["name"])
    label = f"log group {name}"
    ctx.checked(label)
    pages = (
        ctx.client("logs").get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
    )
    found = [g for page in pages for g in page["logGroups"] if g["logGroupName"] == name]
    if not found:
        ctx.missing(label, "logGroup")
        return
    group = found[0]
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
