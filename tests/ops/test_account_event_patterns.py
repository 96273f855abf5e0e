"""The accountEvents rules match AWS's sample Organizations events, and only those.

moto does not implement TestEventPattern, so each rule is put on the emulator
(moto on loopback) with an SQS queue as its target and the same input
transformer the program gives the API destination; the sample events go through
PutEvents. What reaches a queue is what EventBridge would send to GitHub.
The samples and their sources: tests/fixtures/organizations_events/README.md.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from session_manager.aws.account_events import account_event_rules, dispatch_input

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "organizations_events"
# The OUs of the samples: move_account's destination and delete_organizational_unit's OU.
WATCHED = ["ou-examplerootid111-exampleouid111", "ou-yjkv-lmdswesj"]
ALL_SAMPLES = sorted(p.stem for p in EVENTS.glob("*.json"))


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]


class Bus:
    """The rules on the emulator's default bus, each delivering to its own queue."""

    def __init__(
        self,
        endpoint: str,
        watched: Sequence[str] | None,
        excluded: Sequence[str] = (),
    ) -> None:
        self.events = _client("events", endpoint)
        self.sqs = _client("sqs", endpoint)
        self.queues: dict[str, str] = {}
        rules, _ = account_event_rules(watched, excluded)
        for rule in rules:
            url = self.sqs.create_queue(QueueName=f"rule-{rule.role}")["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            self.events.put_rule(Name=rule.role, EventPattern=rule.pattern_json)
            paths, template = dispatch_input(rule, "org")
            self.events.put_targets(
                Rule=rule.role,
                Targets=[
                    {
                        "Id": "queue",
                        "Arn": arn,
                        "InputTransformer": {"InputPathsMap": paths, "InputTemplate": template},
                    }
                ],
            )
            self.queues[rule.role] = url

    def send(self, event: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Put one event; what each rule delivered."""
        result = self.events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
        assert result["FailedEntryCount"] == 0, result
        return {role: list(self._drain(url)) for role, url in self.queues.items()}

    def _drain(self, url: str) -> Iterator[dict[str, Any]]:
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return
            for message in messages:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                yield json.loads(message["Body"])


def matched(deliveries: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """Rule -> the accounts of what it delivered (client_payload.account)."""
    return {
        role: [body["inputs"]["account"] for body in bodies]
        for role, bodies in deliveries.items()
        if bodies
    }


@pytest.fixture
def bus(emulator_url: str) -> Bus:
    return Bus(emulator_url, WATCHED)


# sample -> {rule: [account in the dispatch inputs]} when the target OUs are WATCHED.
EXPECTED = {
    "create_account_result_succeeded": {"created": ["444455556666"]},
    "move_account": {"membership": ["549271133721"]},
    "remove_account_from_organization": {"membership": ["588801414845"]},
    "delete_organizational_unit": {"organization": [""]},
    "accept_handshake": {"organization": [""]},
    "account_joined_organization": {"organization": [""]},
    # Under a root that is not a target: not this stack's business.
    "create_organizational_unit": {},
    # Other Organizations events never start a deployment.
    "create_account_result_failed": {},
    "invite_account_to_organization": {},
    "attach_policy_failed": {},
    "close_account_result": {},
}


def test_every_sample_has_an_expectation() -> None:
    assert set(EXPECTED) == set(ALL_SAMPLES)


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_sample_events_match_the_right_rule_only(bus: Bus, name: str) -> None:
    assert matched(bus.send(sample(name))) == EXPECTED[name]


def test_the_dispatch_body_is_what_github_expects(bus: Bus) -> None:
    (body,) = bus.send(sample("move_account"))["membership"]
    # GitHub REST API, "Create a workflow dispatch event": `ref` and `inputs`, only
    # the inputs deploy.yml declares (tests/test_account_events_config.py checks them).
    assert body["ref"] == "main"
    assert body["inputs"] == {"stack": "org", "event": "MoveAccount", "account": "549271133721"}


def test_moves_between_other_ous_do_not_match(emulator_url: str) -> None:
    bus = Bus(emulator_url, ["ou-abcd-unrelated1"])
    assert matched(bus.send(sample("move_account"))) == {}
    # A move into or out of a watched OU matches, whichever side it is on.
    moved_out = sample("move_account")
    parameters = moved_out["detail"]["requestParameters"]
    parameters["sourceParentId"], parameters["destinationParentId"] = (
        "ou-abcd-unrelated1",
        "ou-yjkv-hhd1qqua",
    )
    assert matched(bus.send(moved_out)) == {"membership": ["549271133721"]}


def test_failed_calls_do_not_match(bus: Bus) -> None:
    failed = copy.deepcopy(sample("move_account"))
    failed["detail"]["errorCode"] = "ConcurrentModificationException"
    failed["detail"]["errorMessage"] = "The request failed because it conflicted with another."
    assert matched(bus.send(failed)) == {}


def test_excluded_accounts_do_not_match(emulator_url: str) -> None:
    bus = Bus(emulator_url, WATCHED, excluded=["549271133721", "444455556666"])
    assert matched(bus.send(sample("move_account"))) == {}
    assert matched(bus.send(sample("create_account_result_succeeded"))) == {}
    assert matched(bus.send(sample("remove_account_from_organization"))) == {
        "membership": ["588801414845"]
    }


def test_watching_every_ou_matches_ous_anywhere(emulator_url: str) -> None:
    """A root as a target (or too many OUs for one pattern) drops the OU filter."""
    bus = Bus(emulator_url, None)
    assert matched(bus.send(sample("create_organizational_unit"))) == {"organization": [""]}
    elsewhere = sample("move_account")
    elsewhere["detail"]["requestParameters"]["destinationParentId"] = "ou-abcd-unrelated1"
    assert matched(bus.send(elsewhere)) == {"membership": ["549271133721"]}
    assert matched(bus.send(sample("invite_account_to_organization"))) == {}
