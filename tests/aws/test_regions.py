"""Which Regions exist, from the partitions data botocore ships (read as data)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore
import pytest
from session_manager.aws import regions
from session_manager.aws.regions import (
    known_regions,
    partition_named_by,
    region_problem,
    unlisted_region_warning,
)

# The file botocore's own endpoint-ruleset resolver reads (botocore/data/partitions.json).
BOTOCORE_PARTITIONS = Path(botocore.__file__).parent / "data" / "partitions.json"


def test_known_regions_are_botocores_own_list() -> None:
    shipped = json.loads(BOTOCORE_PARTITIONS.read_text())
    listed = {
        region
        for partition in shipped["partitions"]
        for region in partition["regions"]
        if not region.endswith("-global")
    }
    assert known_regions() == listed
    # Regions AWS documents in each supported partition (AWS General Reference, "Regions").
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= known_regions()
    assert "aws-global" not in known_regions()


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("cn-northwest-1", "aws-cn"), ("us-gov-east-1", "aws-us-gov")],
)
def test_each_region_belongs_to_its_partition(region: str, partition: str) -> None:
    found = partition_named_by(region)
    assert found is not None
    assert found.partition == partition
    assert region_problem(region) is None
    assert unlisted_region_warning(region) is None


@pytest.mark.parametrize(
    ("region", "guess"),
    [("us-east1", "'us-east-1'"), ("euwest-1", "'eu-west-1'"), ("mars-1", "like us-east-1")],
)
def test_a_name_no_partition_admits_is_refused_with_the_closest(region: str, guess: str) -> None:
    problem = region_problem(region)
    assert problem is not None
    assert f"{region!r} is not an AWS Region" in problem
    assert guess in problem


def test_a_region_newer_than_botocore_is_a_warning_not_an_error() -> None:
    # eu-west-9 fits the aws partition's regionRegex but no botocore lists it.
    assert region_problem("eu-west-9") is None
    warning = unlisted_region_warning("eu-west-9")
    assert warning is not None
    assert "not among the aws Regions" in warning
    assert "upgrade boto3" in warning
    assert "'eu-west-" in warning  # the closest known ones


def test_a_partition_the_project_cannot_build_arns_for_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    newer = regions.RegionData("aws-new", re.compile(r"^zz\-\w+\-\d+$"), frozenset({"zz-test-1"}))
    shipped = regions.partitions()
    monkeypatch.setattr(regions, "partitions", lambda: (*shipped, newer))
    problem = region_problem("zz-test-1")
    assert problem is not None
    assert "partition aws-new, which this project does not support" in problem
