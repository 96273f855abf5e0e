"""Check, read-only, that AWS holds `SessionManagerAccountEvents`' resources as planned.

Each rule with its event pattern and state, its target (the API destination,
the dead-letter queue, the retry policy and the dispatch body), the API
destination and its connection, the encrypted dead-letter queue, the target
role's inline policy and the optional alarm. The token itself is never read
back: EventBridge keeps it in Secrets Manager and never returns it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, cast

from botocore.exceptions import ClientError

from session_manager.offline.plan import Plan, PlannedResource
from session_manager.ops.drift import cloudtrail, tags
from session_manager.ops.drift.compare import Check, CheckContext
from session_manager.ops.drift.severity import WEAKENS_SECURITY, matched
from session_manager.ops.emulate_events import (
    API_DESTINATION,
    CONNECTION,
    METRIC_ALARM,
    QUEUE,
    QUEUE_POLICY,
    ROLE_POLICY,
    RULE,
    SUBSCRIPTION,
    TARGET,
    TOPIC,
    metric_query,
)

CHECKED = (
    QUEUE,
    CONNECTION,
    API_DESTINATION,
    RULE,
    TARGET,
    ROLE_POLICY,
    METRIC_ALARM,
    TOPIC,
    SUBSCRIPTION,
)
# (what, field, wanted, actual)
Finding = tuple[str, str, Any, Any]
Client = Callable[[str], Any]
Reader = Callable[[Client], dict[str, Any]]
# A check: what it is called, what the plan wants, and how to read what AWS holds.
EventCheck = tuple[str, dict[str, Any], Reader]
NOT_FOUND = ("ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue", "NoSuchEntity")


def home_region(plan: Plan, resource: PlannedResource) -> str:
    """A global resource of the component (its role policy) is checked in the component's Region."""
    for sibling in plan.resources:
        if sibling.parent == resource.parent and sibling.inputs.get("region"):
            return str(sibling.inputs["region"])
    return ""


def _name_in_arn(arn: str, kind: str) -> str:
    """`name` of an ARN like arn:...:<kind>/<name>/<id>, or of an SQS queue ARN."""
    if kind == "sqs":
        return arn.rsplit(":", 1)[-1]
    match = re.search(rf":{kind}/([^/]+)", arn)
    return match.group(1) if match else arn


def _missing(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") in NOT_FOUND


def _differences(label: str, wanted: dict[str, Any], actual: dict[str, Any]) -> list[Finding]:
    if actual.get("exists") is False:
        return [(label, "exists", True, False)]
    return [
        (label, key, value, actual.get(key))
        for key, value in wanted.items()
        if actual.get(key) != value
    ]


def check(client: Client, resources: Sequence[PlannedResource]) -> tuple[list[str], list[Finding]]:
    """What was checked, and every difference from the plan."""
    checked: list[str] = []
    findings: list[Finding] = []
    for resource in resources:
        if resource.type not in CHECKED:
            continue
        label, wanted, read = _CHECKS[resource.type](resource.inputs)
        checked.append(label)
        try:
            actual = read(client)
        except ClientError as exc:
            if not _missing(exc):
                raise
            findings.append((label, "exists", True, False))
            continue
        findings += _differences(label, wanted, actual)
    return checked, findings


def _queue(
    inputs: dict[str, Any],
) -> EventCheck:
    name = str(inputs["name"])

    def read(client: Client) -> dict[str, Any]:
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        # GetQueueAttributes leaves "Attributes" out when none asked for is set (moto
        # follows AWS here: getmoto/moto#1520).
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get(
            "Attributes", {}
        )
        return {
            "messageRetentionSeconds": int(attributes.get("MessageRetentionPeriod", 0)),
            "encrypted": attributes.get("SqsManagedSseEnabled") == "true"
            or bool(attributes.get("KmsMasterKeyId")),
            # Each message is an event no deployment was started for (SQS
            # GetQueueAttributes, ApproximateNumberOfMessages).
            "approximateNumberOfMessages": int(attributes.get("ApproximateNumberOfMessages", 0)),
        }

    wanted = {
        "messageRetentionSeconds": int(inputs.get("messageRetentionSeconds", 345600)),
        "encrypted": True,
        "approximateNumberOfMessages": 0,
    }
    return f"sqs queue {name}", wanted, read


def _connection(
    inputs: dict[str, Any],
) -> EventCheck:
    name = str(inputs["name"])

    def read(client: Client) -> dict[str, Any]:
        described = client("events").describe_connection(Name=name)
        return {
            "authorizationType": described.get("AuthorizationType"),
            "authorized": described.get("ConnectionState") != "DEAUTHORIZED",
            "description": described.get("Description", ""),
        }

    wanted = {
        "authorizationType": inputs["authorizationType"],
        "authorized": True,
        "description": inputs.get("description", ""),
    }
    return f"events connection {name}", wanted, read


def _api_destination(
    inputs: dict[str, Any],
) -> EventCheck:
    name = str(inputs["name"])

    def read(client: Client) -> dict[str, Any]:
        described = client("events").describe_api_destination(Name=name)
        return {
            "invocationEndpoint": described.get("InvocationEndpoint"),
            "httpMethod": described.get("HttpMethod"),
            "invocationRateLimitPerSecond": int(described.get("InvocationRateLimitPerSecond", 0)),
            "connection": _name_in_arn(str(described.get("ConnectionArn", "")), "connection"),
            "state": described.get("ApiDestinationState"),
            "description": described.get("Description", ""),
        }

    wanted = {
        "invocationEndpoint": inputs["invocationEndpoint"],
        "httpMethod": inputs["httpMethod"],
        "invocationRateLimitPerSecond": int(inputs["invocationRateLimitPerSecond"]),
        "connection": _name_in_arn(str(inputs["connectionArn"]), "connection"),
        "state": "ACTIVE",
        "description": inputs.get("description", ""),
    }
    return f"events api destination {name}", wanted, read


def _rule(inputs: dict[str, Any]) -> EventCheck:
    name = str(inputs["name"])

    def read(client: Client) -> dict[str, Any]:
        described = client("events").describe_rule(Name=name)
        return {
            "state": described.get("State"),
            "eventPattern": json.loads(described.get("EventPattern") or "null"),
            "description": described.get("Description", ""),
        }

    wanted = {
        "state": inputs.get("state", "ENABLED"),
        "eventPattern": json.loads(str(inputs["eventPattern"])),
        "description": inputs.get("description", ""),
    }
    return f"events rule {name}", wanted, read


def _target(
    inputs: dict[str, Any],
) -> EventCheck:
    rule, target_id = str(inputs["rule"]), str(inputs["targetId"])
    retry = cast(dict[str, Any], inputs["retryPolicy"])
    transformer = cast(dict[str, Any], inputs["inputTransformer"])

    def read(client: Client) -> dict[str, Any]:
        targets = client("events").list_targets_by_rule(Rule=rule)["Targets"]
        found = next((cast(dict[str, Any], t) for t in targets if t.get("Id") == target_id), None)
        if found is None:
            return {"exists": False}
        found_retry = cast(dict[str, Any], found.get("RetryPolicy") or {})
        found_transformer = cast(dict[str, Any], found.get("InputTransformer") or {})
        dead_letters = cast(dict[str, Any], found.get("DeadLetterConfig") or {})
        return {
            "exists": True,
            "apiDestination": _name_in_arn(str(found.get("Arn", "")), "api-destination"),
            "deadLetterQueue": _name_in_arn(str(dead_letters.get("Arn", "")), "sqs"),
            "maximumRetryAttempts": found_retry.get("MaximumRetryAttempts"),
            "maximumEventAgeInSeconds": found_retry.get("MaximumEventAgeInSeconds"),
            "inputPaths": found_transformer.get("InputPathsMap"),
            "inputTemplate": found_transformer.get("InputTemplate"),
            "role": _name_in_arn(str(found.get("RoleArn", "")), "role"),
        }

    wanted = {
        "exists": True,
        "apiDestination": _name_in_arn(str(inputs["arn"]), "api-destination"),
        "deadLetterQueue": _name_in_arn(str(inputs["deadLetterConfig"]["arn"]), "sqs"),
        "maximumRetryAttempts": int(retry["maximumRetryAttempts"]),
        "maximumEventAgeInSeconds": int(retry["maximumEventAgeInSeconds"]),
        "inputPaths": transformer["inputPaths"],
        "inputTemplate": transformer["inputTemplate"],
        "role": _name_in_arn(str(inputs.get("roleArn", "")), "role"),
    }
    return f"events target {rule}/{target_id}", wanted, read


def _role_policy(
    inputs: dict[str, Any],
) -> EventCheck:
    role, name = str(inputs["role"]), str(inputs["name"])

    def read(client: Client) -> dict[str, Any]:
        document = client("iam").get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        return {"actions": _actions(cast(dict[str, Any], document))}

    wanted = {"actions": _actions(json.loads(str(inputs["policy"])))}
    return f"iam role policy {role}/{name}", wanted, read


def _actions(document: dict[str, Any]) -> list[str]:
    actions: set[str] = set()
    for statement in cast(list[dict[str, Any]], document.get("Statement") or []):
        action = statement.get("Action")
        actions.update([action] if isinstance(action, str) else cast(list[str], action or []))
    return sorted(actions)


def _alarm(
    inputs: dict[str, Any],
) -> EventCheck:
    name = str(inputs["name"])

    def read(client: Client) -> dict[str, Any]:
        alarms = client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if not alarms:
            return {"exists": False}
        alarm = cast(dict[str, Any], alarms[0])
        return {"exists": True, **_alarm_settings(alarm)}

    wanted = {"exists": True, **_planned_alarm(inputs)}
    return f"cloudwatch alarm {name}", wanted, read


def _alarm_settings(alarm: dict[str, Any]) -> dict[str, Any]:
    """DescribeAlarms' answer shaped like the planned inputs (CloudWatch API reference)."""
    dimensions = cast(list[dict[str, Any]], alarm.get("Dimensions") or [])
    return {
        "actionsEnabled": alarm.get("ActionsEnabled", True),
        "alarmActions": sorted(alarm.get("AlarmActions") or []),
        "okActions": sorted(alarm.get("OKActions") or []),
        "alarmDescription": alarm.get("AlarmDescription", ""),
        "comparisonOperator": alarm.get("ComparisonOperator"),
        "dimensions": {str(d["Name"]): str(d["Value"]) for d in dimensions},
        "evaluationPeriods": alarm.get("EvaluationPeriods"),
        "metricName": alarm.get("MetricName"),
        "metricQueries": [
            _read_metric(m) for m in cast(list[dict[str, Any]], alarm.get("Metrics") or [])
        ],
        "namespace": alarm.get("Namespace"),
        "period": alarm.get("Period"),
        "statistic": alarm.get("Statistic"),
        "threshold": float(alarm.get("Threshold", 0)),
        "treatMissingData": alarm.get("TreatMissingData", "missing"),
    }


def _read_metric(metric: dict[str, Any]) -> dict[str, Any]:
    """One DescribeAlarms `Metrics` entry with only the fields PutMetricAlarm was given."""
    read = {k: metric[k] for k in ("Id", "Expression", "Label") if k in metric}
    read["ReturnData"] = metric.get("ReturnData", True)
    if "MetricStat" in metric:
        stat = cast(dict[str, Any], metric["MetricStat"])
        named = cast(dict[str, Any], stat["Metric"])
        dimensions = cast(list[dict[str, str]], named.get("Dimensions") or [])
        read["MetricStat"] = {
            "Metric": {
                "Namespace": named.get("Namespace"),
                "MetricName": named.get("MetricName"),
                "Dimensions": sorted(dimensions, key=lambda d: d["Name"]),
            },
            "Period": stat.get("Period"),
            "Stat": stat.get("Stat"),
        }
    if "Expression" not in metric:
        read.pop("Label", None)
    return read


def _planned_alarm(inputs: dict[str, Any]) -> dict[str, Any]:
    dimensions = cast(dict[str, Any], inputs.get("dimensions") or {})
    return {
        # DisableAlarmActions leaves the actions listed but never runs them.
        "actionsEnabled": bool(inputs.get("actionsEnabled", True)),
        "alarmActions": sorted(inputs.get("alarmActions") or []),
        "okActions": sorted(inputs.get("okActions") or []),
        "alarmDescription": inputs.get("alarmDescription", ""),
        "comparisonOperator": inputs.get("comparisonOperator"),
        "dimensions": {str(k): str(v) for k, v in dimensions.items()},
        "evaluationPeriods": int(inputs["evaluationPeriods"]),
        "metricName": inputs.get("metricName"),
        "metricQueries": [
            metric_query(q) for q in cast(list[dict[str, Any]], inputs.get("metricQueries") or [])
        ],
        "namespace": inputs.get("namespace"),
        # An alarm on metric math has its period in each query.
        "period": int(inputs["period"]) if "period" in inputs else None,
        "statistic": inputs.get("statistic"),
        "threshold": float(inputs["threshold"]),
        "treatMissingData": inputs.get("treatMissingData", "missing"),
    }


def _topic_arn(sns: Any, name: str) -> str | None:
    """The ARN of the account-Region's SNS topic called `name` (ListTopics has no filter)."""
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return str(topic["TopicArn"])
    return None


def _subscription(inputs: dict[str, Any]) -> EventCheck:
    """An alarm topic's subscription: the planned protocol and endpoint are subscribed
    (SNS ListSubscriptionsByTopic; an email one may still be pending confirmation)."""
    topic = str(inputs["topic"]).rsplit(":", 1)[-1]
    endpoint, protocol = str(inputs["endpoint"]), str(inputs["protocol"])

    def read(client: Client) -> dict[str, Any]:
        sns = client("sns")
        arn = _topic_arn(sns, topic)
        if arn is None:
            return {"exists": False}
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
        held = {(s["Protocol"], s["Endpoint"]) for page in pages for s in page["Subscriptions"]}
        return {"exists": (protocol, endpoint) in held}

    return f"sns subscription {topic} {protocol}:{endpoint}", {"exists": True}, read


def _topic(inputs: dict[str, Any]) -> EventCheck:
    name = str(inputs["name"])

    def read(client: Client) -> dict[str, Any]:
        sns = client("sns")
        arn = _topic_arn(sns, name)
        if arn is None:
            return {"exists": False}
        attributes = sns.get_topic_attributes(TopicArn=arn).get("Attributes", {})
        return {"exists": True, "encrypted": bool(attributes.get("KmsMasterKeyId"))}

    return f"sns topic {name}", {"exists": True, "encrypted": True}, read


_CHECKS: dict[str, Callable[[dict[str, Any]], EventCheck]] = {
    QUEUE: _queue,
    CONNECTION: _connection,
    API_DESTINATION: _api_destination,
    RULE: _rule,
    TARGET: _target,
    ROLE_POLICY: _role_policy,
    METRIC_ALARM: _alarm,
    TOPIC: _topic,
    SUBSCRIPTION: _subscription,
}


# What to do about a dead-letter queue that holds events.
DEAD_LETTERS_FIX = (
    "each message is an Organizations event no deployment was started for: read them "
    "(aws sqs receive-message), run the deploy workflow for the stack, then purge the queue"
)


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def check_queue_policy(ctx: CheckContext, resource: PlannedResource) -> None:
    """The dead-letter queue's policy, statement by statement (SQS GetQueueAttributes, Policy):
    only the rules may send to it, over TLS; one opened to `Principal "*"` is drift."""
    name = _queue_name(str(resource.inputs["queueUrl"]))
    label = f"sqs queue {name}"
    ctx.checked(f"{label} policy")
    sqs = ctx.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if _missing(exc):
            return  # the queue's own check reports it missing
        raise
    # No policy set: no "Attributes" at all (getmoto/moto#1520), reported as a missing policy.
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get(
        "Attributes", {}
    )
    ctx.compare_policy(label, "policy", resource.inputs["policy"], attributes.get("Policy") or None)


# The rules' account is one cause for all of them: reported once, under this label.
RULES_ACCOUNT = "events rules of accountEvents"


def check_management_account(ctx: CheckContext) -> None:
    """Organizations sends its events only to the management account's default bus in
    us-east-1 (EventBridge User Guide, "Organizations events": "AWS Organizations ...
    events are only available in the management account"): a rule elsewhere never fires.
    Checked once per account-Region, however many rules it holds."""
    if RULES_ACCOUNT in ctx.result.checked:
        return
    ctx.checked(RULES_ACCOUNT)
    label = RULES_ACCOUNT
    organizations = ctx.client("organizations")
    try:
        found = organizations.describe_organization()["Organization"]
    except organizations.exceptions.AWSOrganizationsNotInUseException:
        ctx.drift(
            label,
            "account",
            "the organization's management account",
            "no organization",
            fix=(
                "deploy accountEvents in the management account of an organization "
                "(us-east-1), or leave it out of this stack"
            ),
        )
        return
    management = str(found.get("MasterAccountId") or "")
    if management and management != ctx.account:
        ctx.drift(
            label,
            "account",
            f"the management account {management}",
            ctx.account,
            fix=f"deploy accountEvents with a provider for account {management} (us-east-1)",
        )


def _strings(value: Any) -> list[str]:
    return [str(v) for v in cast(list[Any], value)] if isinstance(value, list) else []


def _check_api_key_name(ctx: CheckContext, resource: PlannedResource, label: str) -> None:
    """The header the token is sent in (DescribeConnection AuthParameters.ApiKeyAuthParameters
    .ApiKeyName; the value is never returned). The engine hides the whole authParameters
    input as a secret, so the plan's name is the component's `api_key_name` output."""
    outputs = ctx.component_outputs.get(resource.parent or "", {})
    wanted = str(outputs.get("api_key_name") or "")
    if not wanted:
        return  # basic auth, or a plan without the output
    described = ctx.client("events").describe_connection(Name=str(resource.inputs["name"]))
    auth = cast(dict[str, Any], described.get("AuthParameters") or {})
    actual = cast(dict[str, Any], auth.get("ApiKeyAuthParameters") or {}).get("ApiKeyName")
    if actual != wanted:
        ctx.drift(label, "authParameters.apiKey.key", wanted, actual)


def _check_in(ctx: CheckContext, resource: PlannedResource) -> None:
    """verify's per-resource entry point: reads with the account-Region's clients.

    With the API destination (one per component), the trail the rules depend on.
    """
    checked, findings = check(ctx.client, [resource])
    for label in checked:
        ctx.checked(label)
    for label, name, wanted, actual in findings:
        fix = DEAD_LETTERS_FIX if name == "approximateNumberOfMessages" else ""
        severity = ""
        if name == "actions" and matched(_strings(wanted), _strings(actual)):
            # Every planned action still allowed, and more: the role can do more than
            # invoke the destination, while deliveries go on.
            severity = WEAKENS_SECURITY
        ctx.drift(label, name, wanted, actual, fix=fix, severity=severity)
    if checked and not any(f[1] == "exists" for f in findings):
        if resource.type == RULE:
            check_management_account(ctx)
        tags.check_tags(ctx, resource, checked[0])
    if resource.type == CONNECTION and checked and not any(f[1] == "exists" for f in findings):
        _check_api_key_name(ctx, resource, checked[0])
    if resource.type == API_DESTINATION:
        where = cloudtrail.label(ctx.region)
        ctx.checked(where)
        problem = cloudtrail.trail_problem(ctx.client, ctx.region)
        if problem:
            ctx.drift(where, cloudtrail.FIELD, "a trail logging management events", problem)


CHECKS: dict[str, Check] = {**dict.fromkeys(CHECKED, _check_in), QUEUE_POLICY: check_queue_policy}
