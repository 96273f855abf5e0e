"""verify's accountEvents prerequisite: a trail that logs write management events there.

"To record events with one of the CloudTrail detail-type values, you must enable a
CloudTrail trail with logging" (EventBridge User Guide, "AWS service events delivered
via AWS CloudTrail"). The accountEvents rules match "AWS API Call via CloudTrail" and
"AWS Service Event via CloudTrail" events: without such a trail they never fire.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from session_manager.ops.drift.cloudtrail import trail_problem


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def clients(region: str) -> Any:
    return lambda service, where=None: boto3.client(service, region_name=where or region)


def trail(name: str, region: str, *, multi_region: bool = False, logging: bool = True) -> None:
    bucket = f"{name}-logs"
    s3 = boto3.client("s3", region_name=region)
    config = {} if region == "us-east-1" else {"LocationConstraint": region}
    s3.create_bucket(Bucket=bucket, **({"CreateBucketConfiguration": config} if config else {}))
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region)
    if logging:
        cloudtrail.start_logging(Name=name)


def test_no_trail_is_a_problem_that_says_why(aws: None) -> None:
    problem = trail_problem(clients("us-east-1"), "us-east-1")
    assert problem is not None
    assert problem.startswith("no trail logs management events in us-east-1")
    assert "EventBridge gets no Organizations events" in problem


def test_a_logging_trail_in_the_region_is_enough(aws: None) -> None:
    trail("org-trail", "us-east-1")
    assert trail_problem(clients("us-east-1"), "us-east-1") is None


def test_a_stopped_trail_is_named(aws: None) -> None:
    trail("org-trail", "us-east-1", logging=False)
    problem = trail_problem(clients("us-east-1"), "us-east-1")
    assert problem is not None
    assert "org-trail is not logging" in problem


def test_a_multi_region_trail_homed_elsewhere_counts(aws: None) -> None:
    trail("eu-trail", "eu-west-1", multi_region=True)
    assert trail_problem(clients("us-east-1"), "us-east-1") is None


def test_a_single_region_trail_elsewhere_does_not(aws: None) -> None:
    trail("eu-trail", "eu-west-1")
    assert trail_problem(clients("us-east-1"), "us-east-1") is not None


def basic(read_write: str, *, management: bool) -> dict[str, Any]:
    return {"ReadWriteType": read_write, "IncludeManagementEvents": management}


@pytest.mark.parametrize(
    ("selectors", "ok"),
    [
        ({"EventSelectors": [basic("WriteOnly", management=True)]}, True),
        ({"EventSelectors": [basic("ReadOnly", management=True)]}, False),
        ({"EventSelectors": [basic("All", management=False)]}, False),
        (
            {"AdvancedEventSelectors": [{"Name": "m", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]}]}]},
            True,
        ),
        (
            {"AdvancedEventSelectors": [{"Name": "m", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["true"]}]}]},
            False,
        ),
    ],
)  # fmt: skip
def test_the_trail_must_log_write_management_events(
    aws: None, selectors: dict[str, Any], ok: bool
) -> None:
    # MoveAccount, CreateAccountResult and the others are write events.
    trail("org-trail", "us-east-1")
    boto3.client("cloudtrail", region_name="us-east-1").put_event_selectors(
        TrailName="org-trail", **selectors
    )
    problem = trail_problem(clients("us-east-1"), "us-east-1")
    if ok:
        assert problem is None
    else:
        assert problem is not None
        assert "org-trail logs no write management events" in problem
