"""The accountEvents builders: event patterns, the dispatch body, and the policies."""

from __future__ import annotations

import json

import pytest
from policy_lint import lint
from session_manager.aws.account_events import (
    MAX_PATTERN_CHARACTERS,
    account_event_rules,
    alarm_topic_key_policy,
    api_destination_arns,
    dead_letter_queue_policy,
    dispatch_input,
    events_trust_policy,
    github_dispatch_endpoint,
    invoke_api_destination_policy,
)

WATCHED = ["ou-ab12-cdef3456", "ou-ab12-zzzz0001"]


def test_one_rule_per_event_shape() -> None:
    rules, warnings = account_event_rules(WATCHED)
    assert [rule.role for rule in rules] == ["created", "membership", "organization"]
    assert not warnings
    created = rules[0].pattern
    # CreateAccountResult is a service event, not an API call (Organizations User Guide,
    # CloudTrail log entries: eventType AwsServiceEvent).
    assert created["detail-type"] == ["AWS Service Event via CloudTrail"]
    assert created["detail"]["serviceEventDetails"]["createAccountStatus"]["state"] == ["SUCCEEDED"]
    membership = rules[1].pattern
    assert membership["detail-type"] == ["AWS API Call via CloudTrail"]
    assert membership["detail"]["errorCode"] == [{"exists": False}]
    move = membership["detail"]["$or"][0]["requestParameters"]["$or"]
    assert move == [{"sourceParentId": WATCHED}, {"destinationParentId": WATCHED}]
    for rule in rules:
        assert rule.pattern["source"] == ["aws.organizations"]
        assert len(rule.pattern_json) <= MAX_PATTERN_CHARACTERS


def test_patterns_are_deterministic() -> None:
    first, _ = account_event_rules(["ou-ab12-zzzz0001", "ou-ab12-cdef3456", "ou-ab12-cdef3456"])
    second, _ = account_event_rules(WATCHED)
    assert [r.pattern_json for r in first] == [r.pattern_json for r in second]
    assert json.loads(first[1].pattern_json) == first[1].pattern


def test_too_many_ous_drop_the_ou_filter_with_a_warning() -> None:
    many = [f"ou-ab12-{index:08d}" for index in range(200)]
    rules, warnings = account_event_rules(many)
    assert len(warnings) == 2
    assert "over EventBridge's 2048-character pattern quota" in warnings[0]
    for rule in rules:
        assert len(rule.pattern_json) <= MAX_PATTERN_CHARACTERS
        assert "ou-ab12-00000000" not in rule.pattern_json
    unfiltered, _ = account_event_rules(None)
    assert [r.pattern_json for r in rules] == [r.pattern_json for r in unfiltered]


def test_dispatch_reads_only_paths_every_matched_event_has() -> None:
    rules, _ = account_event_rules(WATCHED)
    for rule in rules:
        paths, template = dispatch_input(rule, "organization")
        body = json.loads(template.replace('"<', '"').replace('>"', '"'))
        assert body["ref"] == "main"
        assert body["inputs"]["stack"] == "organization"
        placeholders = {value[1:-1] for value in body["inputs"].values() if value.startswith("<")}
        assert placeholders <= set(paths), rule.role
    assert dispatch_input(rules[0], "s")[0]["account"] == (
        "$.detail.serviceEventDetails.createAccountStatus.accountId"
    )


def test_github_endpoint() -> None:
    assert github_dispatch_endpoint("octo-org/infra") == (
        "https://api.github.com/repos/octo-org/infra/actions/workflows/deploy.yml/dispatches"
    )


@pytest.mark.parametrize(
    ("region", "partition"), [("us-east-1", "aws"), ("us-gov-west-1", "aws-us-gov")]
)
def test_policies_are_scoped_and_partition_aware(region: str, partition: str) -> None:
    invoke = invoke_api_destination_policy(
        partition=partition, region=region, account_id="111111111111", destination_name="d"
    )
    (statement,) = invoke["Statement"]
    assert statement["Action"] == "events:InvokeApiDestination"
    assert statement["Resource"] == api_destination_arns(partition, region, "111111111111", "d")
    assert statement["Resource"].startswith(f"arn:{partition}:events:{region}:111111111111:")
    queue = dead_letter_queue_policy(
        partition=partition,
        region=region,
        account_id="111111111111",
        queue_name="q",
        rule_names=["b", "a"],
    )
    allow, deny = queue["Statement"]
    assert allow["Resource"] == f"arn:{partition}:sqs:{region}:111111111111:q"
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == [
        f"arn:{partition}:events:{region}:111111111111:rule/a",
        f"arn:{partition}:events:{region}:111111111111:rule/b",
    ]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    trust = events_trust_policy(account_id="111111111111")
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "111111111111"}
    }


def test_parliament_finds_nothing_unaccepted() -> None:
    assert (
        lint(
            invoke_api_destination_policy(
                partition="aws", region="us-east-1", account_id="111111111111", destination_name="d"
            )
        )
        == []
    )
    assert lint(events_trust_policy(account_id="111111111111"), "trust") == []
    queue = dead_letter_queue_policy(
        partition="aws",
        region="us-east-1",
        account_id="111111111111",
        queue_name="q",
        rule_names=["a"],
    )
    assert lint(queue, "resource") == []
    assert lint(alarm_topic_key_policy(partition="aws", account_id="111111111111"), "key") == []


def test_an_empty_ou_list_is_refused() -> None:
    """EventBridge rejects `[]` as a pattern's values; None means every OU."""
    with pytest.raises(ValueError, match="at least one organizational unit"):
        account_event_rules([])
