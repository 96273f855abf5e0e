"""Which Regions exist: the partitions data that botocore ships.

botocore's `data/partitions.json` (what its endpoint-ruleset resolver reads) lists,
per partition, a `regionRegex` and the Regions known when that botocore was released.
The file is read as data, without importing botocore, so the pure layers stay free of
the SDK. A name that matches no partition's pattern is not a Region; one that matches
a pattern but is not listed is probably newer than the installed botocore.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from session_manager.aws.botocore_data import load_data_file

# Partitions whose ARNs and service principals this project builds (see rules.py).
SUPPORTED_PARTITIONS = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
)


@dataclass(frozen=True)
class RegionData:
    """One partition as botocore describes it."""

    partition: str
    region_regex: re.Pattern[str]
    regions: frozenset[str]


@cache
def partitions() -> tuple[RegionData, ...]:
    """Every partition in the installed botocore's partitions data, in its order."""
    document: dict[str, Any] = load_data_file("partitions.json")
    result: list[RegionData] = []
    for entry in document["partitions"]:
        # `aws-global`, `aws-cn-global`, ...: pseudo-Regions for global endpoints.
        names = frozenset(r for r in entry["regions"] if not r.endswith("-global"))
        result.append(RegionData(entry["id"], re.compile(entry["regionRegex"]), names))
    return tuple(result)


def known_regions() -> frozenset[str]:
    return frozenset(region for data in partitions() for region in data.regions)


def partition_named_by(region: str) -> RegionData | None:
    """The partition a Region belongs to: the one that lists it, else the one whose pattern fits."""
    for data in partitions():
        if region in data.regions:
            return data
    for data in partitions():
        if data.region_regex.match(region):
            return data
    return None


def region_problem(region: str) -> str | None:
    """Why `region` cannot be deployed to, or None.

    A name no partition's pattern admits gets the closest known Regions as a hint.
    """
    data = partition_named_by(region)
    if data is None:
        return f"{region!r} is not an AWS Region; {_closest(region) or 'use a name like us-east-1'}"
    if data.partition not in SUPPORTED_PARTITIONS:
        return (
            f"{region!r} is in partition {data.partition}, which this project does not "
            f"support (supported: {', '.join(SUPPORTED_PARTITIONS)})"
        )
    return None


def unlisted_region_warning(region: str) -> str | None:
    """A warning for a Region that fits its partition's pattern but that botocore doesn't list."""
    data = partition_named_by(region)
    if data is None or region in data.regions:
        return None
    hint = _closest(region)
    return (
        f"{region} is not among the {data.partition} Regions that botocore "
        f"{_botocore_version()} knows{f' ({hint})' if hint else ''}; if it is a new Region, "
        "upgrade boto3, else fix the name"
    )


def _closest(region: str) -> str:
    """'did you mean ...?' with the closest known Regions, or '' when none is close."""
    guesses = difflib.get_close_matches(region, sorted(known_regions()), n=2, cutoff=0.6)
    return f"did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else ""


@cache
def _botocore_version() -> str:
    try:
        return importlib.metadata.version("botocore")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover (boto3 depends on it)
        return "(unknown version)"
