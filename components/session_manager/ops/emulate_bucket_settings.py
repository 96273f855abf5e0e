"""A bucket's settings on the emulator, each through the S3 call the provider makes for
its resource type (PutBucketOwnershipControls, PutPublicAccessBlock, PutBucketVersioning,
PutBucketEncryption, PutBucketLifecycleConfiguration, PutObjectLockConfiguration,
PutBucketLogging, PutBucketPolicy). Each replaces the setting, so a second run updates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from session_manager.aws.lifecycle import lifecycle_rule_request
from session_manager.offline.plan import PlannedResource

SSE_CONFIGURATION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
LIFECYCLE_CONFIGURATION = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK_CONFIGURATION = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"

Handler = Callable[[PlannedResource, dict[str, Any], Any], None]


class BucketSettingsEmulation:
    """The handlers for a bucket's settings; `client` and `region` are the emulator's."""

    def __init__(
        self, client: Callable[..., Any], region: Callable[[Mapping[str, Any]], str]
    ) -> None:
        self.client = client
        self.region = region

    def handlers(self) -> dict[str, Handler]:
        return {
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": self.ownership,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": self.public_access,
            "aws:s3/bucketVersioning:BucketVersioning": self.versioning,
            SSE_CONFIGURATION: self.encryption,
            LIFECYCLE_CONFIGURATION: self.lifecycle,
            "aws:s3/bucketPolicy:BucketPolicy": self.policy,
            OBJECT_LOCK_CONFIGURATION: self.object_lock,
            BUCKET_LOGGING: self.logging,
        }

    def ownership(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        self.client("s3", self.region(inputs)).put_bucket_ownership_controls(
            Bucket=inputs["bucket"],
            OwnershipControls={"Rules": [{"ObjectOwnership": inputs["rule"]["objectOwnership"]}]},
        )

    def public_access(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        self.client("s3", self.region(inputs)).put_public_access_block(
            Bucket=inputs["bucket"],
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": bool(inputs.get("blockPublicAcls")),
                "IgnorePublicAcls": bool(inputs.get("ignorePublicAcls")),
                "BlockPublicPolicy": bool(inputs.get("blockPublicPolicy")),
                "RestrictPublicBuckets": bool(inputs.get("restrictPublicBuckets")),
            },
        )

    def versioning(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        self.client("s3", self.region(inputs)).put_bucket_versioning(
            Bucket=inputs["bucket"],
            VersioningConfiguration={"Status": inputs["versioningConfiguration"]["status"]},
        )

    def encryption(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        rules: list[dict[str, Any]] = []
        for rule in inputs["rules"]:
            default = rule["applyServerSideEncryptionByDefault"]
            rules.append(
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": default["sseAlgorithm"],
                        "KMSMasterKeyID": default.get("kmsMasterKeyId", ""),
                    },
                    "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled")),
                }
            )
        self.client("s3", self.region(inputs)).put_bucket_encryption(
            Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
        )

    def lifecycle(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        rules = [lifecycle_rule_request(rule) for rule in inputs["rules"]]
        self.client("s3", self.region(inputs)).put_bucket_lifecycle_configuration(
            Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
        )

    def object_lock(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        retention = inputs["rule"]["defaultRetention"]
        self.client("s3", self.region(inputs)).put_object_lock_configuration(
            Bucket=inputs["bucket"],
            ObjectLockConfiguration={
                "ObjectLockEnabled": inputs.get("objectLockEnabled") or "Enabled",
                "Rule": {
                    "DefaultRetention": {"Mode": retention["mode"], "Days": retention["days"]}
                },
            },
        )

    def logging(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        self.client("s3", self.region(inputs)).put_bucket_logging(
            Bucket=inputs["bucket"],
            BucketLoggingStatus={
                "LoggingEnabled": {
                    "TargetBucket": inputs["targetBucket"],
                    "TargetPrefix": inputs["targetPrefix"],
                }
            },
        )

    def policy(self, resource: PlannedResource, inputs: dict[str, Any], report: Any) -> None:
        self.client("s3", self.region(inputs)).put_bucket_policy(
            Bucket=inputs["bucket"], Policy=inputs["policy"]
        )
