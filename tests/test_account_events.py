"""accountEvents planned with the real program, emulated on moto and verified.

The organization example turns it on. The token must stay a secret everywhere
the plan shows inputs; the resources must be created by the emulator's real
create calls and found by verify, which reports drift in them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, record_program, run_plan
from session_manager.offline.render import format_plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import Emulator
from session_manager.ops.prerequisites import create_expected_trails
from session_manager.ops.verify import DRIFT, IN_SYNC, verify
from session_manager.program import deploy

ROOT = Path(__file__).resolve().parents[1]
CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "region_name": "us-east-1",
}
TOKEN = "github_pat_11ABCDEFG0123456789_realLookingTokenValue"
SECURE = {"secure": "v1:placeholder-ciphertext"}
COMPONENT = "session-manager:index:SessionManagerAccountEvents"
CONNECTION = "aws:cloudwatch/eventConnection:EventConnection"
RULE = "aws:cloudwatch/eventRule:EventRule"


def org_config(**events: Any) -> dict[str, Any]:
    return {
        "aws:region": "us-east-1",
        "session-manager:regions": ["eu-west-1"],
        "session-manager:targets": [
            {"account": "111111111111"},
            {"organizationalUnit": "ou-ab12-cdef3456"},
        ],
        "session-manager:accountEvents": {"repository": "octo-org/preferences", **events},
        "session-manager:accountEventsToken": SECURE,
    }


def plan_stack(
    tmp_path: Path,
    config: dict[str, Any],
    *,
    token: str | None = TOKEN,
    ous: dict[str, list[str]] | None = None,
) -> Plan:
    tmp_path.mkdir(exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "Pulumi.org.yaml").write_text(json.dumps({"config": config}, indent=2))
    mocks = AwsMocks(
        organization_accounts={"ou-ab12-cdef3456": ["555555555555"]},
        organizational_units=ous or {},
    )
    # What `pulumi preview` hands the program: the secret, decrypted.
    overrides = {"session-manager:accountEventsToken": token} if token else {}
    return run_plan(tmp_path, "org", mocks=mocks, config_overrides=overrides)


def test_organization_example_turns_it_on(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "examples/organization/Pulumi.organization.yaml", tmp_path)
    plan = run_plan(tmp_path, "organization")
    (component,) = plan.of_type(COMPONENT)
    children = {r.type for r in plan.resources if r.parent == component.urn}
    assert children == {
        "aws:sqs/queue:Queue",
        "aws:sqs/queuePolicy:QueuePolicy",
        CONNECTION,
        "aws:cloudwatch/eventApiDestination:EventApiDestination",
        RULE,
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        # On by default: the alarms, and the encrypted topic they notify.
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:sns/topic:Topic",
        "aws:kms/key:Key",
        "aws:kms/alias:Alias",
    }
    destination = plan.named("session-manager-account-events-api-destination")
    assert destination.inputs["invocationEndpoint"] == (
        "https://api.github.com/repos/example-org/session-manager-preferences/actions/workflows/"
        "deploy.yml/dispatches"
    )
    # Organizations delivers its events in us-east-1 only.
    assert {r.inputs["region"] for r in plan.of_type(RULE)} == {"us-east-1"}
    assert plan.outputs["accountEvents"]["ruleNames"] == [
        "session-manager-account-events-created",
        "session-manager-account-events-membership",
        "session-manager-account-events-organization",
    ]


def test_the_token_never_shows_in_the_plan(tmp_path: Path) -> None:
    plan = plan_stack(tmp_path, org_config())
    assert TOKEN not in json.dumps(plan.to_json())
    assert TOKEN not in format_plan(plan)
    assert TOKEN not in json.dumps([r.state for r in plan.resources])
    (connection,) = plan.of_type(CONNECTION)
    assert connection.inputs["authorizationType"] == "API_KEY"
    assert connection.inputs["authParameters"]["apiKey"]["value"] == "[secret]"


def test_the_plan_mask_can_fail(tmp_path: Path) -> None:
    """The same plan without the mask would show the token: the test above can fail."""
    import session_manager.config.secrets as config_secrets
    import session_manager.offline.plan as plan_module

    monkey = pytest.MonkeyPatch()
    # Two mechanisms hide it: the secret inputs' mask and the secret config values' masking.
    monkey.setattr(plan_module, "mask_secret_inputs", lambda inputs, secret: inputs)
    monkey.setattr(config_secrets, "masking", lambda secrets: {})
    try:
        plan = plan_stack(tmp_path, org_config())
    finally:
        monkey.undo()
    assert TOKEN in json.dumps(plan.to_json())


def test_basic_auth_for_another_endpoint(tmp_path: Path) -> None:
    config = org_config(basicAuthUsername="deployer")
    del config["session-manager:accountEvents"]["repository"]
    config["session-manager:accountEvents"]["endpoint"] = "https://ci.example.com/hooks/deploy"
    plan = plan_stack(tmp_path, config)
    (connection,) = plan.of_type(CONNECTION)
    assert connection.inputs["authorizationType"] == "BASIC"
    assert connection.inputs["authParameters"]["basic"]["password"] == "[secret]"
    assert "invocationHttpParameters" not in connection.inputs["authParameters"]
    assert TOKEN not in json.dumps(plan.to_json())


def test_a_plain_text_token_is_refused(tmp_path: Path) -> None:
    config = org_config()
    config["session-manager:accountEventsToken"] = TOKEN
    with pytest.raises(ConfigError, match=r"accountEventsToken: is stored in plain text.*--secret"):
        plan_stack(tmp_path, config, token=None)


def test_a_plain_text_token_stops_the_run_before_any_resource() -> None:
    config = parse_stack_config(
        {
            key.removeprefix("session-manager:"): value
            for key, value in {**org_config(), "session-manager:accountEventsToken": TOKEN}.items()
            if key.startswith("session-manager:")
        }
    )
    raised: list[ConfigError] = []

    def program() -> None:
        try:
            deploy(config)
        except ConfigError as exc:
            raised.append(exc)

    plan = record_program(program, config={"session-manager:accountEventsToken": TOKEN})
    assert raised
    assert plan.resources == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"session-manager:accountEventsToken": None}, r"accountEventsToken: is required"),
        ({"session-manager:targets": None}, r"accountEvents: needs an organizationalUnit target"),
        (
            {"session-manager:targets": [{"account": "111111111111"}]},
            r"accountEvents: needs an organizationalUnit target",
        ),
        (
            {"session-manager:accountEvents": {"endpoint": "http://ci.example.com"}},
            r"accountEvents.endpoint: 'http://ci.example.com' is not an HTTPS URL",
        ),
        (
            {"session-manager:accountEvents": {"repository": "not a repo"}},
            r"accountEvents.repository: 'not a repo' is not a GitHub repository",
        ),
        (
            {"session-manager:accountEvents": {"repository": "o/r", "maximumRetryAttempts": 200}},
            r"accountEvents.maximumRetryAttempts: must be from 0 to 185",
        ),
        (
            {
                "session-manager:accountEvents": {
                    "repository": "o/r",
                    "createAlarmTopic": True,
                    "alarmTopicArn": "arn:aws:sns:us-east-1:111111111111:t",
                }
            },
            r"accountEvents.createAlarmTopic: set only one of it or alarmTopicArn",
        ),
        (
            {
                "session-manager:accountEvents": {
                    "repository": "o/r",
                    "alarmTopicArn": "arn:aws:sns:us-east-1:111111111111:t",
                    "alarmEmails": ["a@b.io"],
                }
            },
            r"accountEvents.alarmEmails: needs a created topic",
        ),
        (
            {
                "session-manager:accountEvents": {
                    "repository": "o/r",
                    "alarms": False,
                    "alarmTopicArn": "arn:aws:sns:us-east-1:111111111111:t",
                }
            },
            r"accountEvents.alarmTopicArn: needs alarms: true",
        ),
        (
            {
                "session-manager:accountEvents": {
                    "repository": "o/r",
                    "createAlarmTopic": True,
                    "alarmEmails": ["not-an-address"],
                }
            },
            r"accountEvents.alarmEmails: 'not-an-address' is not an email address",
        ),
        ({"session-manager:accountEvents": {}}, r"accountEvents.repository: set it"),
    ],
)
def test_bad_config_is_reported_before_anything_is_registered(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    config = org_config()
    for key, value in change.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    with pytest.raises(ConfigError, match=message):
        plan_stack(tmp_path, config, token=None)


def test_ous_below_the_targets_are_watched(tmp_path: Path) -> None:
    plan = plan_stack(tmp_path, org_config(), ous={"ou-ab12-cdef3456": ["ou-ab12-child0001"]})
    membership = json.loads(
        plan.named("session-manager-account-events-membership-rule").inputs["eventPattern"]
    )
    move = membership["detail"]["$or"][0]["requestParameters"]["$or"]
    assert move[0] == {"sourceParentId": ["ou-ab12-cdef3456", "ou-ab12-child0001"]}


def test_a_root_target_watches_every_ou(tmp_path: Path) -> None:
    config = org_config()
    config["session-manager:targets"] = [{"organizationalUnit": "r-ab12"}]
    plan = plan_stack(tmp_path, config)
    pattern = plan.named("session-manager-account-events-organization-rule").inputs["eventPattern"]
    assert "parentId" not in pattern
    assert "CreateOrganizationalUnit" in pattern


def test_events_account_gets_its_own_provider_and_an_alarm(tmp_path: Path) -> None:
    topic = "arn:aws:sns:us-east-1:999999999999:platform-alerts"
    plan = plan_stack(tmp_path, org_config(account="999999999999", alarmTopicArn=topic))
    rule = plan.named("session-manager-account-events-created-rule")
    provider = plan.provider_of(rule)
    assert provider is not None
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["999999999999"]
    alarm = plan.named("session-manager-account-events-failed-deliveries-alarm")
    assert alarm.inputs["alarmActions"] == [topic]
    assert alarm.inputs["dimensions"] == {
        "QueueName": "session-manager-account-events-dead-letters"
    }


def test_emulated_and_verified_then_drift_is_found(tmp_path: Path, emulator_url: str) -> None:
    plan = plan_stack(
        tmp_path, org_config(createAlarmTopic=True, alarmEmails=["platform@example.com"])
    )
    emulator = Emulator(emulator_url)
    # The trail the rules need (EventBridge gets CloudTrail's events only from one), as the demo.
    assert [t.region for t in create_expected_trails(plan, emulator.access)] == ["us-east-1"]
    emulator.apply(plan)
    # emulate is idempotent: a second run updates what the first made, and verify agrees.
    Emulator(emulator_url).apply(plan)
    keys = {k: v for k, v in CREDENTIALS.items() if k != "region_name"}
    access = AwsAccess(emulator_url, credentials=keys)
    report = verify(plan, access)
    assert report.exit_code == IN_SYNC, [str(d) for r in report.results for d in r.drifts]
    checked = {label for result in report.results for label in result.checked}
    assert {
        "events rule session-manager-account-events-membership",
        "events target session-manager-account-events-membership/deploy-trigger",
        "events api destination session-manager-account-events-deploy",
        "events connection session-manager-account-events-connection",
        "sqs queue session-manager-account-events-dead-letters",
        "iam role policy session-manager-account-events-invoke/invoke-deploy-trigger",
        "cloudwatch alarm session-manager-account-events-failed-deliveries",
        "sns topic session-manager-account-events-failed-deliveries",
        "kms key alias/session-manager-account-events-alarms",
        "cloudtrail us-east-1 (accountEvents needs a trail)",
    } <= checked

    events = boto3.client("events", endpoint_url=emulator_url, **CREDENTIALS)  # type: ignore[call-overload]
    events.disable_rule(Name="session-manager-account-events-created")
    events.put_rule(
        Name="session-manager-account-events-organization",
        EventPattern=json.dumps({"source": ["aws.organizations"]}),
    )
    events.remove_targets(Rule="session-manager-account-events-membership", Ids=["deploy-trigger"])
    events.delete_api_destination(Name="session-manager-account-events-deploy")
    trails = boto3.client("cloudtrail", endpoint_url=emulator_url, **CREDENTIALS)  # type: ignore[call-overload]
    trails.stop_logging(Name="organization-trail-0")
    report = verify(plan, access)
    drifts = {(d.resource, d.field) for r in report.results for d in r.drifts}
    assert drifts == {
        ("events rule session-manager-account-events-created", "state"),
        ("events rule session-manager-account-events-organization", "eventPattern"),
        # PutRule keeps no value it is not given (EventBridge API reference, PutRule):
        # the description is gone too.
        ("events rule session-manager-account-events-organization", "description"),
        ("events target session-manager-account-events-membership/deploy-trigger", "exists"),
        ("events api destination session-manager-account-events-deploy", "exists"),
        ("cloudtrail us-east-1 (accountEvents needs a trail)", "trailLoggingManagementEvents"),
    }
    trail = next(d for r in report.results for d in r.drifts if d.resource.startswith("cloudtrail"))
    assert "organization-trail-0 is not logging" in str(trail)
    assert verify(plan, access).status == DRIFT


def test_planning_twice_gives_the_same_resources(tmp_path: Path) -> None:
    """`pulumi up` twice changes nothing: every input is rendered deterministically."""
    ous = {"ou-ab12-cdef3456": ["ou-ab12-zchild001", "ou-ab12-achild002"]}
    first = plan_stack(tmp_path / "a", org_config(), ous=ous)
    second = plan_stack(tmp_path / "b", org_config(), ous=ous)
    assert [r.to_json() for r in first.resources] == [r.to_json() for r in second.resources]


def test_a_created_alarm_topic_is_encrypted_with_a_key_alarms_may_use(tmp_path: Path) -> None:
    plan = plan_stack(
        tmp_path, org_config(createAlarmTopic=True, alarmEmails=["a@example.com", "b@example.com"])
    )
    key = plan.named("session-manager-account-events-alarm-topic-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.retain_on_delete
    policy = json.loads(key.inputs["policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {
        "EnableIamPoliciesForThisAccount",
        "CloudWatchAlarmsOfThisAccount",
    }
    topic = plan.named("session-manager-account-events-alarm-topic")
    assert topic.inputs["kmsMasterKeyId"] == key.state["arn"]
    alarm = plan.named("session-manager-account-events-failed-deliveries-alarm")
    assert alarm.inputs["alarmActions"] == [topic.state["arn"]]
    emails = sorted(
        r.inputs["endpoint"] for r in plan.of_type("aws:sns/topicSubscription:TopicSubscription")
    )
    assert emails == ["a@example.com", "b@example.com"]


# EventBridge User Guide, "Monitoring Amazon EventBridge"
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html): namespace
# AWS/Events, metrics FailedInvocations and InvocationsFailedToBeSentToDlq, dimension RuleName
# for rules on the default bus. SQS Developer Guide, "Available CloudWatch metrics for Amazon
# SQS" (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/
# sqs-available-cloudwatch-metrics.html): AWS/SQS, ApproximateNumberOfMessagesVisible, QueueName.
EVENTS_METRICS = {"FailedInvocations", "InvocationsFailedToBeSentToDlq"}
PREFIX = "session-manager-account-events"


def test_alarms_and_their_topic_are_on_by_default(tmp_path: Path) -> None:
    plan = plan_stack(tmp_path, org_config())
    topic = plan.named(f"{PREFIX}-alarm-topic")
    key = plan.named(f"{PREFIX}-alarm-topic-key")
    assert topic.inputs["kmsMasterKeyId"] == key.state["arn"]
    depth = plan.named(f"{PREFIX}-failed-deliveries-alarm")
    assert (depth.inputs["namespace"], depth.inputs["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert depth.inputs["dimensions"] == {"QueueName": f"{PREFIX}-dead-letters"}
    failed = plan.named(f"{PREFIX}-failed-invocations-alarm")
    for alarm in (depth, failed):
        assert alarm.inputs["alarmActions"] == [topic.state["arn"]]
        assert alarm.inputs["treatMissingData"] == "notBreaching"
    rules = {r.inputs["name"] for r in plan.of_type(RULE)}
    queries = failed.inputs["metricQueries"]
    watched = {
        (q["metric"]["metricName"], q["metric"]["dimensions"]["RuleName"])
        for q in queries
        if "metric" in q
    }
    assert {q["metric"]["namespace"] for q in queries if "metric" in q} == {"AWS/Events"}
    assert watched == {(m, r) for m in EVENTS_METRICS for r in rules}
    (returned,) = [q for q in queries if q.get("returnData")]
    assert returned["expression"] == "SUM(METRICS())"


def test_alarms_can_be_turned_off_or_left_without_a_topic(tmp_path: Path) -> None:
    off = plan_stack(tmp_path / "off", org_config(alarms=False))
    assert not off.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert not off.of_type("aws:sns/topic:Topic")
    quiet = plan_stack(tmp_path / "quiet", org_config(createAlarmTopic=False))
    alarms = quiet.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 2
    assert all(not a.inputs.get("alarmActions") for a in alarms)
    assert not quiet.of_type("aws:sns/topic:Topic")


def test_a_named_topic_is_used_and_none_is_created(tmp_path: Path) -> None:
    topic = "arn:aws:sns:us-east-1:111111111111:platform-alerts"
    plan = plan_stack(tmp_path, org_config(alarmTopicArn=topic))
    assert not plan.of_type("aws:sns/topic:Topic")
    alarms = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert [a.inputs["alarmActions"] for a in alarms] == [[topic], [topic]]
