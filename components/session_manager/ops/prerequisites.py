"""What a stack expects to exist already, created in the emulator for `make demo`.

A stack may name resources it does not create: `preferences.s3BucketName` is an
existing bucket (see examples/complete). In a real account it must exist before
`pulumi up`; in the demo's empty emulator it cannot, so verify would report it
missing. The demo creates each such bucket first, encrypted as the preferences
require, and says so. Likewise `accountEvents` needs a CloudTrail trail that
logs management events where its rules are (EventBridge receives CloudTrail's
events only then), in the organization's management account; the demo creates
the trail and the organization, and verify checks both.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, cast

from session_manager.offline.plan import Plan, PlannedResource
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate_events import API_DESTINATION
from session_manager.ops.verify import DOCUMENT, parse_document


@dataclass(frozen=True)
class ExistingBucket:
    """A bucket the stack's documents name but no planned resource creates."""

    bucket: str
    region: str
    provider: PlannedResource | None


def expected_buckets(plan: Plan) -> list[ExistingBucket]:
    created = {str(r.inputs.get("bucket")) for r in plan.of_type("aws:s3/bucket:Bucket")}
    found: dict[str, ExistingBucket] = {}
    for resource in plan.of_type(DOCUMENT):
        document_format = str(resource.inputs.get("documentFormat") or "JSON")
        content: Any = parse_document(str(resource.inputs.get("content", "{}")), document_format)
        if not isinstance(content, dict):
            continue
        inputs: Any = cast(dict[str, Any], content).get("inputs")
        if not isinstance(inputs, dict):
            continue
        bucket = cast(dict[str, Any], inputs).get("s3BucketName")
        if isinstance(bucket, str) and bucket and bucket not in created and bucket not in found:
            region = str(resource.inputs.get("region") or "us-east-1")
            found[bucket] = ExistingBucket(bucket, region, plan.provider_of(resource))
    return sorted(found.values(), key=lambda b: b.bucket)


def _create_encrypted_bucket(
    access: AwsAccess, provider: PlannedResource | None, bucket: str, region: str
) -> None:
    """A bucket encrypted with SSE-S3, in `region` (us-east-1 takes no location)."""
    s3 = access.client(provider, "s3", region)
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def create_expected_buckets(plan: Plan, access: AwsAccess) -> list[ExistingBucket]:
    """Create, encrypted (SSE-S3), each bucket the stack expects to exist; return them."""
    buckets = expected_buckets(plan)
    for expected in buckets:
        _create_encrypted_bucket(access, expected.provider, expected.bucket, expected.region)
    return buckets


@dataclass(frozen=True)
class ExistingTrail:
    """A trail the stack's accountEvents rules need but no planned resource creates."""

    name: str
    bucket: str
    region: str
    provider: PlannedResource | None


def expected_trails(plan: Plan) -> list[ExistingTrail]:
    """One multi-Region trail per accountEvents component (one API destination each)."""
    trails: list[ExistingTrail] = []
    for index, resource in enumerate(plan.of_type(API_DESTINATION)):
        region = str(resource.inputs.get("region") or "us-east-1")
        trails.append(
            ExistingTrail(
                name=f"organization-trail-{index}",
                bucket=f"session-manager-demo-cloudtrail-{index}",
                region=region,
                provider=plan.provider_of(resource),
            )
        )
    return trails


def create_expected_trails(plan: Plan, access: AwsAccess) -> list[ExistingTrail]:
    """Create and start, with an encrypted bucket, each trail accountEvents needs; and the
    organization whose management account the rules must be in (verify checks it)."""
    trails = expected_trails(plan)
    for trail in trails:
        organizations = access.client(trail.provider, "organizations", "us-east-1")
        with contextlib.suppress(organizations.exceptions.AlreadyInOrganizationException):
            organizations.create_organization(FeatureSet="ALL")
        _create_encrypted_bucket(access, trail.provider, trail.bucket, trail.region)
        cloudtrail = access.client(trail.provider, "cloudtrail", trail.region)
        cloudtrail.create_trail(Name=trail.name, S3BucketName=trail.bucket, IsMultiRegionTrail=True)
        cloudtrail.start_logging(Name=trail.name)
    return trails
