"""Tags: each planned tag of each resource the stack tags, read back from its service.

A tag removed or changed by hand is drift (cosmetic, unless a policy keys on it);
tags AWS or someone else added are not, as with every other field. Each reader
returns the resource's tags as a dict, or None when the resource is not there (its
own check already reported it missing). The label is the resource's own check's,
so its tag drift groups with its other findings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from botocore.exceptions import ClientError

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift.compare import KEY, CheckContext, key_tags, topic_arn

Reader = Callable[[CheckContext, PlannedResource], dict[str, str] | None]
# "Not found" error codes of the services read here (each API reference).
_GONE = frozenset(
    {
        "NoSuchEntity",
        "NoSuchBucket",
        "InvalidResourceId",
        "ResourceNotFoundException",
        "NotFoundException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "InvalidDocument",
    }
)


def _pairs(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    items = cast(list[dict[str, Any]], tags or [])
    return {str(t[key]): str(t[value]) for t in items}


def _key(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    found = ctx.resolver.metadata(str(resource.state.get("keyId", "")))
    if found is None:
        return None
    return key_tags(ctx.access, ctx.client("kms"), found["KeyId"])


def _document(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    answer = ctx.client("ssm").list_tags_for_resource(
        ResourceType="Document", ResourceId=str(resource.inputs["name"])
    )
    return _pairs(answer.get("TagList"))


def _log_group(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    answer = ctx.client("logs").list_tags_log_group(logGroupName=str(resource.inputs["name"]))
    return {str(k): str(v) for k, v in answer.get("tags", {}).items()}


def _iam(operation: str, argument: str) -> Reader:
    def read(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
        return _pairs(
            getattr(ctx.client("iam"), operation)(**{argument: resource.inputs["name"]}).get("Tags")
        )

    return read


def policy_arn(ctx: CheckContext, resource: PlannedResource) -> str:
    """A managed policy's real ARN (iam's check reads it with this too)."""
    planned = str(resource.state.get("arn") or "")
    if not planned:
        path = str(resource.inputs.get("path") or "/")
        planned = f"arn:aws:iam::{ctx.account}:policy{path}{resource.inputs['name']}"
    return str(ctx.wanted(planned))


def _instance_profile(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    # GetInstanceProfile returns the tags too (IAM API reference, InstanceProfile.Tags).
    name = str(resource.inputs["name"])
    return _pairs(
        ctx.client("iam")
        .get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        .get("Tags")
    )


def _policy(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    answer = ctx.client("iam").list_policy_tags(PolicyArn=policy_arn(ctx, resource))
    return _pairs(answer.get("Tags"))


def _bucket(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    s3 = ctx.client("s3", str(resource.inputs.get("region") or ctx.region))
    try:
        return _pairs(s3.get_bucket_tagging(Bucket=str(resource.inputs["bucket"]))["TagSet"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchTagSet":
            return {}
        raise


def _queue(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    sqs = ctx.client("sqs")
    url = sqs.get_queue_url(QueueName=str(resource.inputs["name"]))["QueueUrl"]
    return {str(k): str(v) for k, v in sqs.list_queue_tags(QueueUrl=url).get("Tags", {}).items()}


def _rule(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    events = ctx.client("events")
    arn = events.describe_rule(Name=str(resource.inputs["name"]))["Arn"]
    return _pairs(events.list_tags_for_resource(ResourceARN=arn).get("Tags"))


def _alarm(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    cloudwatch = ctx.client("cloudwatch")
    alarms = cloudwatch.describe_alarms(AlarmNames=[str(resource.inputs["name"])])["MetricAlarms"]
    if not alarms:
        return None
    return _pairs(cloudwatch.list_tags_for_resource(ResourceARN=alarms[0]["AlarmArn"]).get("Tags"))


def _topic(ctx: CheckContext, resource: PlannedResource) -> dict[str, str] | None:
    sns = ctx.client("sns")
    arn = topic_arn(ctx.access, sns, str(resource.inputs["name"]))
    return _pairs(sns.list_tags_for_resource(ResourceArn=arn).get("Tags")) if arn else None


READERS: dict[str, Reader] = {
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:sns/topic:Topic": _topic,
    KEY: _key,
    "aws:ssm/document:Document": _document,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _iam("list_role_tags", "RoleName"),
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
    "aws:iam/policy:Policy": _policy,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:sqs/queue:Queue": _queue,
    "aws:cloudwatch/eventRule:EventRule": _rule,
}


def check_tags(ctx: CheckContext, resource: PlannedResource, label: str) -> None:
    """Every planned tag of `resource` against AWS, as `tags.<key>` under `label`."""
    wanted = cast(dict[str, Any], ctx.wanted(resource.inputs.get("tags") or {}))
    reader = READERS.get(resource.type)
    if not wanted or reader is None:
        return
    try:
        held = reader(ctx, resource)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _GONE:
            return
        raise
    if held is None:
        return
    for key, value in sorted(wanted.items()):
        if held.get(key) != str(value):
            ctx.drift(label, f"tags.{key}", value, held.get(key))
