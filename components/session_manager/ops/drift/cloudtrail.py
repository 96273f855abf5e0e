"""accountEvents' prerequisite: a CloudTrail trail that logs write management events.

EventBridge receives the events the accountEvents rules match ("AWS API Call via
CloudTrail", "AWS Service Event via CloudTrail") only while a trail with logging
is on: "To record events with one of the CloudTrail detail-type values, you must
enable a CloudTrail trail with logging" (EventBridge User Guide, "AWS service
events delivered via AWS CloudTrail"). The stack does not create the trail (an
organization usually has one); verify checks, in the rules' account and Region,
that at least one trail covers that Region, is logging, and logs write
management events (MoveAccount, CreateAccountResult... are writes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

# client(service, region=None): a client in the checked Region, or in another one.
Client = Callable[..., Any]
FIELD = "trailLoggingManagementEvents"


def label(region: str) -> str:
    return f"cloudtrail {region} (accountEvents needs a trail)"


def _logs_write_management_events(cloudtrail: Any, trail: dict[str, Any]) -> bool:
    """A trail's selectors admit write management events.

    A trail logs all management events by default (CloudTrail's default selector:
    ReadWriteType All, IncludeManagementEvents true); a trail that reports no
    selector at all is read as that default. Basic selectors: IncludeManagementEvents
    (default true) with ReadWriteType All or WriteOnly. Advanced selectors: one that
    selects eventCategory Management and does not restrict readOnly to true.
    HasCustomEventSelectors is not trusted: moto does not set it.
    """
    selectors = cloudtrail.get_event_selectors(TrailName=trail["TrailARN"])
    if not selectors.get("EventSelectors") and not selectors.get("AdvancedEventSelectors"):
        return True
    for basic in cast(list[dict[str, Any]], selectors.get("EventSelectors") or []):
        if basic.get("IncludeManagementEvents", True) and basic.get("ReadWriteType", "All") in (
            "All",
            "WriteOnly",
        ):
            return True
    for advanced in cast(list[dict[str, Any]], selectors.get("AdvancedEventSelectors") or []):
        fields = {
            str(f.get("Field")): cast(list[str], f.get("Equals") or [])
            for f in cast(list[dict[str, Any]], advanced.get("FieldSelectors") or [])
        }
        if "Management" in fields.get("eventCategory", []) and fields.get("readOnly") != ["true"]:
            return True
    return False


def trail_problem(client: Client, region: str) -> str | None:
    """None when a trail logs write management events in `region`; else why not.

    `client` is bound to `region`. Multi-Region trails homed elsewhere are listed
    there as shadow trails and count; their status and selectors are read in their
    home Region.
    """
    cloudtrail = client("cloudtrail")
    trails = cast(
        list[dict[str, Any]],
        cloudtrail.describe_trails(includeShadowTrails=True).get("trailList") or [],
    )
    reasons: list[str] = []
    for trail in sorted(trails, key=lambda t: str(t.get("TrailARN"))):
        name = str(trail.get("Name"))
        if not trail.get("IsMultiRegionTrail") and trail.get("HomeRegion") not in (None, region):
            continue
        home = str(trail.get("HomeRegion") or region)
        owner = cloudtrail if home == region else client("cloudtrail", home)
        if not owner.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"):
            reasons.append(f"{name} is not logging")
        elif not _logs_write_management_events(owner, trail):
            reasons.append(f"{name} logs no write management events")
        else:
            return None
    found = f" ({'; '.join(reasons)})" if reasons else ""
    return (
        f"no trail logs management events in {region}{found}: EventBridge gets no "
        "Organizations events, and no deployment starts"
    )
