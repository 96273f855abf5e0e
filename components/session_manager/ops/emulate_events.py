"""Create `SessionManagerAccountEvents`' resources on the emulator, as the provider would.

The queue, the connection, the API destination, the rules and their targets go
through the same create calls the provider makes (SQS CreateQueue and
SetQueueAttributes; EventBridge CreateConnection, CreateApiDestination, PutRule,
PutTargets; IAM PutRolePolicy; CloudWatch PutMetricAlarm), so the emulator
judges the event patterns, the targets' shape and the policies' grammar. Each
create also works when an earlier emulate run made the resource (PutRule, PutTargets,
PutRolePolicy and PutMetricAlarm replace; the others update).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from botocore.exceptions import ClientError

from session_manager.offline.plan import PlannedResource

QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
CONNECTION = "aws:cloudwatch/eventConnection:EventConnection"
API_DESTINATION = "aws:cloudwatch/eventApiDestination:EventApiDestination"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
# After the IAM role they name: what a resource refers to is created before it.
CREATE_ORDER = (
    QUEUE,
    CONNECTION,
    API_DESTINATION,
    ROLE_POLICY,
    RULE,
    TARGET,
    QUEUE_POLICY,
    TOPIC,
    SUBSCRIPTION,
    METRIC_ALARM,
)

Client = Callable[[str, str | None], Any]
Handler = Callable[[PlannedResource, dict[str, Any], dict[str, str]], None]


def _tags(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    tags = cast(dict[str, Any], inputs.get("tags") or {})
    return [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]


def _dimensions(dimensions: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": str(v)} for k, v in sorted(dimensions.items())]


def metric_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """One MetricAlarm `metricQueries` entry as PutMetricAlarm's `Metrics` takes it, and as
    DescribeAlarms gives it back (CloudWatch API reference, MetricDataQuery)."""
    result: dict[str, Any] = {"Id": query["id"], "ReturnData": query.get("returnData") is True}
    if query.get("expression"):
        result["Expression"] = query["expression"]
        if query.get("label"):
            result["Label"] = query["label"]
        return result
    metric = cast(dict[str, Any], query["metric"])
    result["MetricStat"] = {
        "Metric": {
            "Namespace": metric["namespace"],
            "MetricName": metric["metricName"],
            "Dimensions": _dimensions(cast(dict[str, Any], metric.get("dimensions") or {})),
        },
        "Period": int(metric["period"]),
        "Stat": metric["stat"],
    }
    return result


def _text(value: Any) -> str:
    """A plan value as AWS takes it (a masked secret stays the mask)."""
    return value if isinstance(value, str) else str(value)


class AccountEventsEmulation:
    """Handlers for the account-events resources; each records the ids AWS returned."""

    def __init__(
        self,
        client: Client,
        default_region: str,
        component_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.client = client
        self.default_region = default_region
        # What each component registered, by URN: the connection's header name, which the
        # plan shows masked with the rest of authParameters.
        none: Mapping[str, Mapping[str, Any]] = {}
        self.component_outputs = none if component_outputs is None else component_outputs

    def handlers(self) -> dict[str, Handler]:
        return {
            QUEUE: self._queue,
            QUEUE_POLICY: self._queue_policy,
            CONNECTION: self._connection,
            API_DESTINATION: self._api_destination,
            RULE: self._rule,
            TARGET: self._target,
            ROLE_POLICY: self._role_policy,
            METRIC_ALARM: self._metric_alarm,
            TOPIC: self._topic,
            SUBSCRIPTION: self._subscription,
        }

    def _region(self, inputs: Mapping[str, Any]) -> str:
        return str(inputs.get("region") or self.default_region)

    def _queue(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        sqs = self.client("sqs", self._region(inputs))
        attributes = {
            "MessageRetentionPeriod": str(inputs.get("messageRetentionSeconds", 345600)),
            "SqsManagedSseEnabled": "true" if inputs.get("sqsManagedSseEnabled") else "false",
        }
        tags = {tag["Key"]: tag["Value"] for tag in _tags(inputs)}
        try:
            url = sqs.create_queue(QueueName=inputs["name"], Attributes=attributes, tags=tags)[
                "QueueUrl"
            ]
        except sqs.exceptions.QueueNameExists:
            # An earlier emulate run made it with other attributes: as the provider, update.
            url = sqs.get_queue_url(QueueName=inputs["name"])["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        replacements[str(resource.state["url"])] = url
        replacements[str(resource.state["arn"])] = arn

    def _queue_policy(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        self.client("sqs", self._region(inputs)).set_queue_attributes(
            QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]}
        )

    def _connection(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        auth = cast(dict[str, Any], inputs["authParameters"])
        parameters: dict[str, Any] = {}
        if "apiKey" in auth:
            parameters["ApiKeyAuthParameters"] = {
                "ApiKeyName": str(
                    self.component_outputs.get(resource.parent or "", {}).get("api_key_name")
                    or _text(auth["apiKey"]["key"])
                ),
                "ApiKeyValue": _text(auth["apiKey"]["value"]),
            }
        if "basic" in auth:
            parameters["BasicAuthParameters"] = {
                "Username": _text(auth["basic"]["username"]),
                "Password": _text(auth["basic"]["password"]),
            }
        http = cast(dict[str, Any], auth.get("invocationHttpParameters") or {})
        headers = cast(list[dict[str, Any]], http.get("headers") or [])
        if headers:
            parameters["InvocationHttpParameters"] = {
                "HeaderParameters": [
                    {
                        "Key": _text(header["key"]),
                        "Value": _text(header["value"]),
                        "IsValueSecret": header.get("isValueSecret") is True,
                    }
                    for header in headers
                ]
            }
        events = self.client("events", self._region(inputs))
        connection = {
            "Name": inputs["name"],
            "Description": inputs.get("description", ""),
            "AuthorizationType": inputs["authorizationType"],
            "AuthParameters": parameters,
        }
        try:
            created = events.create_connection(**connection)
        except events.exceptions.ResourceAlreadyExistsException:
            # An earlier emulate run made it (connections carry no tags to tell).
            created = events.update_connection(**connection)
        replacements[str(resource.state["arn"])] = created["ConnectionArn"]

    def _api_destination(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        events = self.client("events", self._region(inputs))
        destination = {
            "Name": inputs["name"],
            "Description": inputs.get("description", ""),
            "ConnectionArn": inputs["connectionArn"],
            "InvocationEndpoint": inputs["invocationEndpoint"],
            "HttpMethod": inputs["httpMethod"],
            "InvocationRateLimitPerSecond": int(inputs["invocationRateLimitPerSecond"]),
        }
        try:
            created = events.create_api_destination(**destination)
        except events.exceptions.ResourceAlreadyExistsException:
            created = events.update_api_destination(**destination)
        replacements[str(resource.state["arn"])] = created["ApiDestinationArn"]

    def _rule(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        created = self.client("events", self._region(inputs)).put_rule(
            Name=inputs["name"],
            EventPattern=inputs["eventPattern"],
            State=inputs.get("state", "ENABLED"),
            Description=inputs.get("description", ""),
            Tags=_tags(inputs),
        )
        replacements[str(resource.state["arn"])] = created["RuleArn"]

    def _target(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        transformer = inputs["inputTransformer"]
        retry = inputs["retryPolicy"]
        result = self.client("events", self._region(inputs)).put_targets(
            Rule=inputs["rule"],
            Targets=[
                {
                    "Id": inputs["targetId"],
                    "Arn": inputs["arn"],
                    "RoleArn": inputs["roleArn"],
                    "InputTransformer": {
                        "InputPathsMap": transformer["inputPaths"],
                        "InputTemplate": transformer["inputTemplate"],
                    },
                    "RetryPolicy": {
                        "MaximumRetryAttempts": int(retry["maximumRetryAttempts"]),
                        "MaximumEventAgeInSeconds": int(retry["maximumEventAgeInSeconds"]),
                    },
                    "DeadLetterConfig": {"Arn": inputs["deadLetterConfig"]["arn"]},
                }
            ],
        )
        if result.get("FailedEntryCount"):
            failed = result["FailedEntries"][0]
            code, message = str(failed.get("ErrorCode", "")), str(failed.get("ErrorMessage", ""))
            raise ClientError({"Error": {"Code": code, "Message": message}}, "PutTargets")

    def _role_policy(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        self.client("iam", None).put_role_policy(
            RoleName=inputs["role"], PolicyName=inputs["name"], PolicyDocument=inputs["policy"]
        )

    def _metric_alarm(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        alarm: dict[str, Any] = {
            "AlarmName": inputs["name"],
            "AlarmDescription": inputs.get("alarmDescription", ""),
            "EvaluationPeriods": int(inputs["evaluationPeriods"]),
            "Threshold": float(inputs["threshold"]),
            "ComparisonOperator": inputs["comparisonOperator"],
            "TreatMissingData": inputs.get("treatMissingData", "missing"),
            "AlarmActions": list(inputs.get("alarmActions") or []),
            "OKActions": list(inputs.get("okActions") or []),
            "Tags": _tags(inputs),
        }
        queries = cast(list[dict[str, Any]], inputs.get("metricQueries") or [])
        if queries:
            alarm["Metrics"] = [metric_query(query) for query in queries]
        else:
            dimensions = cast(dict[str, Any], inputs.get("dimensions") or {})
            alarm |= {
                "Namespace": inputs["namespace"],
                "MetricName": inputs["metricName"],
                "Dimensions": _dimensions(dimensions),
                "Statistic": inputs["statistic"],
                "Period": int(inputs["period"]),
            }
        # PutMetricAlarm creates or replaces: running the emulation again is the same call.
        self.client("cloudwatch", self._region(inputs)).put_metric_alarm(**alarm)

    def _topic(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        attributes = {"KmsMasterKeyId": str(inputs["kmsMasterKeyId"])}
        created = self.client("sns", self._region(inputs)).create_topic(
            Name=inputs["name"], Attributes=attributes, Tags=_tags(inputs)
        )
        replacements[str(resource.state["arn"])] = created["TopicArn"]

    def _subscription(
        self, resource: PlannedResource, inputs: dict[str, Any], replacements: dict[str, str]
    ) -> None:
        self.client("sns", self._region(inputs)).subscribe(
            TopicArn=inputs["topic"], Protocol=inputs["protocol"], Endpoint=inputs["endpoint"]
        )
