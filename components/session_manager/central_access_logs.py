"""The central log bucket's second bucket: S3 server access logs of every request to it."""

from __future__ import annotations

from typing import cast

import pulumi
import pulumi_aws as aws
from pulumi_aws.s3 import BucketLifecycleConfigurationRuleArgsDict

from session_manager.aws.central_log_policies import access_log_bucket_policy
from session_manager.aws.log_archive import ACCESS_LOG_PREFIX, access_log_lifecycle_rules
from session_manager.aws.policy_document import policy_json
from session_manager.outputs import render_when_known


def create_access_log_bucket(
    parent: pulumi.Resource,
    name: str,
    *,
    region: str,
    partition: str,
    account_id: pulumi.Input[str],
    bucket_name: str,
    source: aws.s3.Bucket,
    source_bucket_name: str,
    expire_after_days: int,
    tags: dict[str, str],
) -> aws.s3.BucketLogging:
    """Creates the access-log bucket and turns on server access logging of `source` into it.

    The destination must be in the source's account and Region, encrypted with SSE-S3
    (S3 does not deliver access logs to a default SSE-KMS bucket) and without Object Lock
    (S3 user guide, "Logging requests with server access logging"). Its objects are
    kept as long as the session logs, and like them it survives a destroy.
    """
    keep = pulumi.ResourceOptions(parent=parent, retain_on_delete=True)
    target = aws.s3.Bucket(
        f"{name}-access-log-bucket",
        region=region,
        bucket=bucket_name,
        force_destroy=False,
        tags=tags,
        opts=keep,
    )
    after = pulumi.ResourceOptions(parent=parent, retain_on_delete=True, depends_on=[target])
    aws.s3.BucketOwnershipControls(
        f"{name}-access-log-ownership",
        region=region,
        bucket=target.bucket,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=after,
    )
    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-access-log-public-access-block",
        region=region,
        bucket=target.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=after,
    )
    aws.s3.BucketVersioning(
        f"{name}-access-log-versioning",
        region=region,
        bucket=target.bucket,
        versioning_configuration={"status": "Enabled"},
        opts=after,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-access-log-encryption",
        region=region,
        bucket=target.bucket,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=after,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-access-log-lifecycle",
        region=region,
        bucket=target.bucket,
        # Kept the promised days, delete markers included (aws/log_archive.py says why).
        rules=cast(
            list[BucketLifecycleConfigurationRuleArgsDict],
            access_log_lifecycle_rules(ACCESS_LOG_PREFIX, expire_days=expire_after_days),
        ),
        opts=after,
    )
    policy = aws.s3.BucketPolicy(
        f"{name}-access-log-policy",
        region=region,
        bucket=target.bucket,
        policy=render_when_known(
            account_id,
            lambda account: policy_json(
                access_log_bucket_policy(
                    partition=partition,
                    bucket_name=bucket_name,
                    source_bucket_name=source_bucket_name,
                    source_account_id=account,
                    prefix=ACCESS_LOG_PREFIX,
                )
            ),
        ),
        opts=pulumi.ResourceOptions(
            parent=parent, retain_on_delete=True, depends_on=[public_access_block]
        ),
    )
    return aws.s3.BucketLogging(
        f"{name}-access-logging",
        region=region,
        bucket=source.bucket,
        target_bucket=target.bucket,
        target_prefix=ACCESS_LOG_PREFIX,
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True, depends_on=[policy]),
    )
