"""The SessionManagerAccountEvents component: organization changes start a deployment.

The StackSet way covers an account the moment it joins a target OU; a Pulumi stack
covers it at the next `pulumi up`. These rules close that gap: Organizations
events that change which accounts the stack's OUs hold call a deploy trigger (by
default GitHub's workflow_dispatch of deploy.yml) through an EventBridge API destination.
"""

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws.cloudwatch import (
    EventConnectionAuthParametersArgsDict,
    EventConnectionAuthParametersInvocationHttpParametersArgsDict,
    EventConnectionAuthParametersInvocationHttpParametersHeaderArgsDict,
)

from session_manager.args import SessionManagerAccountEventsArgs
from session_manager.args_check import check_args, one_line_call_errors
from session_manager.aws.account_events import (
    ALARM_PERIOD_SECONDS,
    QUEUE_DEPTH_METRIC,
    QUEUE_NAMESPACE,
    account_event_rules,
    alarm_topic_key_policy,
    dead_letter_queue_policy,
    dispatch_input,
    events_trust_policy,
    failed_invocation_queries,
    invoke_api_destination_policy,
)
from session_manager.aws.defaults import DEFAULT_KEY_DELETION_WINDOW_DAYS
from session_manager.aws.policy_document import Policy, policy_json
from session_manager.aws.rules import partition_of_region
from session_manager.outputs import account_id_output, render_when_known, secret_where_shown

TYPE_TOKEN = "session-manager:index:SessionManagerAccountEvents"
DEFAULT_NAME = "session-manager-account-events"
SECONDS_PER_DAY = 86400


def _policy(
    account_id: pulumi.Input[str], build: Callable[..., Policy], **scope: Any
) -> pulumi.Input[str]:
    """A policy of the events account, rendered once its id is known."""
    return render_when_known(
        account_id,
        lambda account: policy_json(build(account_id=account, **scope)),
    )


class SessionManagerAccountEvents(pulumi.ComponentResource):
    """Rules, an API destination with its connection, and a dead-letter queue.

    One rule per event shape, so each target's input transformer reads a field
    that every event it receives has. Failed calls are retried, then kept in an
    encrypted SQS queue. By default two alarms (failed invocations, a non-empty queue)
    tell an SNS topic, created encrypted unless one is named.
    """

    rule_names: pulumi.Output[list[str]]
    """Names of the EventBridge rules."""
    api_destination_arn: pulumi.Output[str]
    """ARN of the API destination."""
    connection_arn: pulumi.Output[str]
    """ARN of the connection that holds the token."""
    api_key_name: str
    """The header the connection sends the token in ("" with basic auth). Not secret: the
    engine hides the whole authParameters input, so verify compares AWS's ApiKeyName to this."""
    dead_letter_queue_url: pulumi.Output[str]
    """URL of the dead-letter queue."""
    alarm_topic_arn: pulumi.Output[str]
    """Topic the alarms notify; empty when they notify nobody (or are off)."""

    @one_line_call_errors
    def __init__(
        self,
        name: str,
        args: SessionManagerAccountEventsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(type(self).__name__, args, SessionManagerAccountEventsArgs)
        super().__init__(TYPE_TOKEN, name, {}, opts)
        region = args["region"]
        endpoint = args["invocation_endpoint"]
        stack = args["stack"]
        token = args["token"]
        partition = partition_of_region(region).name
        account_id = account_id_output(args.get("account_id"), self)
        prefix = args.get("name", DEFAULT_NAME)
        tags = dict(args.get("tags") or {})
        child = pulumi.ResourceOptions(parent=self)
        watch_all = bool(args.get("watch_every_organizational_unit"))
        rules, warnings = account_event_rules(
            None if watch_all else list(args.get("watched_organizational_units") or []),
            list(args.get("excluded_accounts") or []),
        )
        for warning in warnings:
            pulumi.log.warn(warning, resource=self)

        queue_name = f"{prefix}-dead-letters"
        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dead-letter-queue",
            region=region,
            name=queue_name,
            sqs_managed_sse_enabled=True,
            message_retention_seconds=args.get("dead_letter_retention_days", 14) * SECONDS_PER_DAY,
            tags=tags,
            opts=child,
        )
        # The token only ever travels as a secret: in state, in previews, in the plan.
        secret_token = pulumi.Output.secret(token)
        headers: list[EventConnectionAuthParametersInvocationHttpParametersHeaderArgsDict] = [
            {"key": key, "value": value, "is_value_secret": False}
            for key, value in sorted((args.get("headers") or {}).items())
        ]
        username = args.get("basic_auth_username", "")
        self.api_key_name = "" if username else args.get("api_key_name", "Authorization")
        if username:
            authorization_type = "BASIC"
            auth: EventConnectionAuthParametersArgsDict = {
                "basic": {"username": username, "password": secret_token}
            }
        else:
            authorization_type = "API_KEY"
            scheme = args.get("api_key_scheme", "Bearer")
            auth: EventConnectionAuthParametersArgsDict = {
                "api_key": {
                    "key": self.api_key_name,
                    "value": secret_token.apply(
                        lambda value: f"{scheme} {value}" if scheme else value
                    ),
                }
            }
        if headers:
            http: EventConnectionAuthParametersInvocationHttpParametersArgsDict = {
                "headers": headers
            }
            auth["invocation_http_parameters"] = http
        self.connection = aws.cloudwatch.EventConnection(
            f"{name}-connection",
            region=region,
            name=f"{prefix}-connection",
            description="Token of the deploy trigger for organization changes",
            authorization_type=authorization_type,
            auth_parameters=auth,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["authParameters"]),
        )
        destination_name = f"{prefix}-deploy"
        self.api_destination = aws.cloudwatch.EventApiDestination(
            f"{name}-api-destination",
            region=region,
            name=destination_name,
            description=f"Starts a deployment of stack {stack}",
            connection_arn=self.connection.arn,
            http_method="POST",
            invocation_endpoint=endpoint,
            invocation_rate_limit_per_second=args.get("invocation_rate_limit_per_second", 1),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=f"{prefix}-invoke",
            description="Lets the organization-change rules call the deploy trigger",
            assume_role_policy=_policy(account_id, events_trust_policy),
            tags=tags,
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            name="invoke-deploy-trigger",
            role=self.role.name,
            policy=_policy(
                account_id,
                invoke_api_destination_policy,
                partition=partition,
                region=region,
                destination_name=destination_name,
            ),
            opts=child,
        )
        self.rules: list[aws.cloudwatch.EventRule] = []
        self.targets: list[aws.cloudwatch.EventTarget] = []
        for rule in rules:
            event_rule = aws.cloudwatch.EventRule(
                f"{name}-{rule.role}-rule",
                region=region,
                name=f"{prefix}-{rule.role}",
                description=rule.description,
                event_pattern=rule.pattern_json,
                state="ENABLED",
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            paths, template = dispatch_input(rule, stack)
            target = aws.cloudwatch.EventTarget(
                f"{name}-{rule.role}-target",
                region=region,
                rule=event_rule.name,
                target_id="deploy-trigger",
                arn=self.api_destination.arn,
                role_arn=self.role.arn,
                input_transformer={"input_paths": paths, "input_template": template},
                retry_policy={
                    "maximum_retry_attempts": args.get("maximum_retry_attempts", 185),
                    "maximum_event_age_in_seconds": args.get("maximum_event_age_in_seconds", 86400),
                },
                dead_letter_config={"arn": self.dead_letter_queue.arn},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.rules.append(event_rule)
            self.targets.append(target)
        rule_names = [f"{prefix}-{rule.role}" for rule in rules]
        self.queue_policy = aws.sqs.QueuePolicy(
            f"{name}-dead-letter-queue-policy",
            region=region,
            queue_url=self.dead_letter_queue.url,
            policy=_policy(
                account_id,
                dead_letter_queue_policy,
                partition=partition,
                region=region,
                queue_name=queue_name,
                rule_names=rule_names,
            ),
            opts=child,
        )
        topic: pulumi.Input[str] = args.get("alarm_topic_arn", "")
        alarms = args.get("alarms", True)
        self.alarm: aws.cloudwatch.MetricAlarm | None = None
        self.failed_invocations_alarm: aws.cloudwatch.MetricAlarm | None = None
        self.alarm_topic: aws.sns.Topic | None = None
        if alarms and not topic and args.get("create_alarm_topic", True):
            self.alarm_topic = self._alarm_topic(
                name,
                prefix=prefix,
                region=region,
                partition=partition,
                account_id=account_id,
                args=args,
            )
            topic = self.alarm_topic.arn
        if alarms:
            actions: list[pulumi.Input[str]] = [topic] if topic else []

            def alarm(role: str, description: str, **metric: Any) -> aws.cloudwatch.MetricAlarm:
                """An alarm that fires on any failure in a 5-minute period, and says when over."""
                return aws.cloudwatch.MetricAlarm(
                    f"{name}-{role}-alarm",
                    region=region,
                    name=f"{prefix}-{role}",
                    alarm_description=(
                        f"An organization change could not start a deployment of {stack}: "
                        f"{description}"
                    ),
                    evaluation_periods=1,
                    threshold=0,
                    comparison_operator="GreaterThanThreshold",
                    # Both metrics are absent while nothing fails.
                    treat_missing_data="notBreaching",
                    alarm_actions=actions,
                    ok_actions=actions,
                    tags=tags,
                    **metric,
                )

            self.alarm = alarm(
                "failed-deliveries",
                f"see the messages in {queue_name}",
                namespace=QUEUE_NAMESPACE,
                metric_name=QUEUE_DEPTH_METRIC,
                dimensions={"QueueName": queue_name},
                statistic="Maximum",
                period=ALARM_PERIOD_SECONDS,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.dead_letter_queue]),
            )
            self.failed_invocations_alarm = alarm(
                "failed-invocations",
                f"the calls of rules {', '.join(rule_names)} failed for good",
                metric_queries=failed_invocation_queries(rule_names),
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.rules),
            )
        self.alarm_topic_arn = pulumi.Output.from_input(topic)
        self.rule_names = pulumi.Output.all(*[r.name for r in self.rules]).apply(list)
        self.api_destination_arn = self.api_destination.arn
        self.connection_arn = self.connection.arn
        self.dead_letter_queue_url = self.dead_letter_queue.url
        self.register_outputs(
            secret_where_shown(
                {
                    "rule_names": self.rule_names,
                    "api_destination_arn": self.api_destination_arn,
                    "connection_arn": self.connection_arn,
                    "api_key_name": self.api_key_name,
                    "dead_letter_queue_url": self.dead_letter_queue_url,
                    "alarm_topic_arn": self.alarm_topic_arn,
                }
            )
        )

    def _alarm_topic(
        self,
        name: str,
        *,
        prefix: str,
        region: str,
        partition: str,
        account_id: pulumi.Input[str],
        args: SessionManagerAccountEventsArgs,
    ) -> aws.sns.Topic:
        """An SNS topic alarms can publish to, encrypted with a key that lets them."""
        tags = dict(args.get("tags") or {})
        self.alarm_topic_key = aws.kms.Key(
            f"{name}-alarm-topic-key",
            region=region,
            description="Encrypts the failed-deliveries topic of the organization-change rules",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=DEFAULT_KEY_DELETION_WINDOW_DAYS,
            policy=_policy(account_id, alarm_topic_key_policy, partition=partition),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        aws.kms.Alias(
            f"{name}-alarm-topic-key-alias",
            region=region,
            name=f"alias/{prefix}-alarms",
            target_key_id=self.alarm_topic_key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic = aws.sns.Topic(
            f"{name}-alarm-topic",
            region=region,
            name=f"{prefix}-failed-deliveries",
            kms_master_key_id=self.alarm_topic_key.arn,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, email in enumerate(args.get("alarm_emails") or []):
            aws.sns.TopicSubscription(
                f"{name}-alarm-email-{index}",
                region=region,
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return topic
