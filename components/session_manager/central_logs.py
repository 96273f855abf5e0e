"""The SessionManagerCentralLogBucket component: one bucket for an organization's session logs."""

from typing import cast

import pulumi
import pulumi_aws as aws
from pulumi_aws.s3 import BucketLifecycleConfigurationRuleArgsDict

from session_manager.args import CentralLogBucketArgs
from session_manager.args_check import ArgsError, check_args, one_line_call_errors
from session_manager.aws import defaults
from session_manager.aws.central_log_policies import (
    central_log_bucket_policy,
    central_log_key_policy,
    locks_out_deployer,
)
from session_manager.aws.log_archive import (
    DEFAULT_OBJECT_LOCK_MODE,
    OBJECT_LOCK_MODES,
    default_access_log_bucket_name,
    default_noncurrent_days,
    noncurrent_days_problem,
    session_log_lifecycle_rules,
)
from session_manager.aws.policy_document import policy_json
from session_manager.aws.rules import bucket_name_problem, partition_of_region
from session_manager.central_access_logs import create_access_log_bucket
from session_manager.outputs import account_id_output, render_when_known, secret_where_shown

TYPE_TOKEN = "session-manager:index:SessionManagerCentralLogBucket"


class SessionManagerCentralLogBucket(pulumi.ComponentResource):
    """A hardened S3 bucket in a log-archive account for every account's session logs.

    SSE-KMS with its own key, public access blocked, ownership enforced to the
    bucket owner, versioning with S3 Object Lock on every version (governance mode,
    for the logs' lifetime, by default), lifecycle to colder storage and expiry of
    every version and of the delete markers left behind, server access logs in a
    second bucket, and a TLS-only policy that lets the organization's instance roles
    write only their own account's folder. Nothing here is deleted by a destroy.
    """

    bucket_name: pulumi.Output[str]
    """Name of the bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the bucket."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the key that encrypts the bucket."""
    key_prefix: pulumi.Output[str]
    """Prefix under which each account writes `<account>/<region>/`."""

    @one_line_call_errors
    def __init__(
        self, name: str, args: CentralLogBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = check_args(type(self).__name__, args, CentralLogBucketArgs)
        super().__init__(TYPE_TOKEN, name, {}, opts)
        region = args.get("region")
        bucket_name = args.get("bucket_name")
        organization_id = args.get("organization_id")
        if not region or not bucket_name or not organization_id:
            raise ArgsError(
                f"{type(self).__name__} {name}: args.region, args.bucket_name and "
                "args.organization_id are required"
            )
        partition = partition_of_region(region).name
        account_id = account_id_output(args.get("account_id"), self)
        prefix = args.get("key_prefix", "session-manager").strip("/")
        writers = list(args.get("writer_role_names") or [])
        tags = dict(args.get("tags") or {})
        # Audit logs and what protects them outlive the stack.
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        break_glass = args.get("break_glass_role_arn", "")

        self.key = aws.kms.Key(
            f"{name}-key",
            region=region,
            description="Encrypts the organization's Session Manager logs",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=defaults.DEFAULT_KEY_DELETION_WINDOW_DAYS,
            # The policy denies the deploy role kms:PutKeyPolicy (break-glass only).
            # Left out otherwise: the provider's default (false), and no change to older stacks.
            bypass_policy_lockout_safety_check=locks_out_deployer(break_glass) or None,
            policy=render_when_known(
                account_id,
                lambda account: policy_json(
                    central_log_key_policy(
                        partition=partition,
                        account_id=account,
                        region=region,
                        bucket_name=bucket_name,
                        organization_id=organization_id,
                        writer_role_names=writers,
                        break_glass_role_arn=break_glass,
                    )
                ),
            ),
            tags=tags,
            opts=keep,
        )
        self.key_alias = aws.kms.Alias(
            f"{name}-key-alias",
            region=region,
            name=args.get("kms_key_alias", defaults.DEFAULT_CENTRAL_LOG_KEY_ALIAS),
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        expire_days = args.get("expire_after_days", 2557)
        lock = args.get("object_lock", True)
        lock_mode = args.get("object_lock_mode", DEFAULT_OBJECT_LOCK_MODE)
        if lock and lock_mode not in OBJECT_LOCK_MODES:
            raise ArgsError(
                f"{type(self).__name__} {name}: args.object_lock_mode must be one of "
                f"{OBJECT_LOCK_MODES}, got {lock_mode!r}"
            )
        if lock and lock_mode != "COMPLIANCE" and not break_glass:
            raise ArgsError(
                f"{type(self).__name__} {name}: args.object_lock_mode {lock_mode} lets any "
                "principal with s3:BypassGovernanceRetention delete logs; set "
                "args.break_glass_role_arn (the bucket "
                "policy then denies it to everyone else) or use COMPLIANCE"
            )
        lock_days = args.get("object_lock_retention_days", expire_days) if lock else None
        noncurrent_days = args.get(
            "noncurrent_version_expire_after_days", default_noncurrent_days(expire_days, lock_days)
        )
        problem = noncurrent_days_problem(expire_days, noncurrent_days, lock_days)
        if problem:
            raise ArgsError(
                f"{type(self).__name__} {name}: args.noncurrent_version_expire_after_days {problem}"
            )
        # Object Lock is best turned on at creation. A bucket created before this option
        # gets it from the lock configuration below (S3 allows that on a versioned bucket
        # since 2023), so the flag is never a reason to replace the bucket.
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            region=region,
            bucket=bucket_name,
            force_destroy=False,
            object_lock_enabled=lock,
            tags=tags,
            opts=pulumi.ResourceOptions.merge(
                keep, pulumi.ResourceOptions(ignore_changes=["objectLockEnabled"])
            ),
        )
        after_bucket = pulumi.ResourceOptions(
            parent=self, retain_on_delete=True, depends_on=[self.bucket]
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            region=region,
            bucket=self.bucket.bucket,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=after_bucket,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            region=region,
            bucket=self.bucket.bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=after_bucket,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            region=region,
            bucket=self.bucket.bucket,
            versioning_configuration={"status": "Enabled"},
            opts=after_bucket,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            region=region,
            bucket=self.bucket.bucket,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": self.key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=after_bucket,
        )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            region=region,
            bucket=self.bucket.bucket,
            # A log lives expire_days, then noncurrent_days as a noncurrent version; then its
            # delete marker goes too (aws/log_archive.py says why each rule is there).
            rules=cast(
                list[BucketLifecycleConfigurationRuleArgsDict],
                session_log_lifecycle_rules(
                    f"{prefix}/" if prefix else "",
                    transition_days=args.get("transition_to_glacier_after_days", 90),
                    expire_days=expire_days,
                    noncurrent_days=noncurrent_days,
                ),
            ),
            opts=after_bucket,
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            region=region,
            bucket=self.bucket.bucket,
            policy=policy_json(
                central_log_bucket_policy(
                    partition=partition,
                    bucket_name=bucket_name,
                    key_prefix=prefix,
                    organization_id=organization_id,
                    writer_role_names=writers,
                    break_glass_role_arn=break_glass,
                )
            ),
            # The public access block must exist first, or the policy briefly stands alone.
            opts=pulumi.ResourceOptions(
                parent=self, retain_on_delete=True, depends_on=[self.public_access_block]
            ),
        )
        self.object_lock: aws.s3.BucketObjectLockConfiguration | None = None
        if lock:
            # Every version stays locked for the retention (by default the logs' lifetime):
            # whoever holds a writer's credentials can add versions, never rewrite one.
            self.object_lock = aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                region=region,
                bucket=self.bucket.bucket,
                object_lock_enabled="Enabled",
                rule={
                    "default_retention": {
                        "mode": lock_mode,
                        "days": args.get("object_lock_retention_days", expire_days),
                    }
                },
                opts=pulumi.ResourceOptions(
                    parent=self, retain_on_delete=True, depends_on=[self.versioning]
                ),
            )
        access_log_bucket = args.get(
            "access_log_bucket_name", default_access_log_bucket_name(bucket_name)
        )
        self.access_logging: aws.s3.BucketLogging | None = None
        problem = bucket_name_problem(access_log_bucket) if access_log_bucket else None
        if problem:
            raise ArgsError(
                f"{type(self).__name__} {name}: args.access_log_bucket_name "
                f"{access_log_bucket!r} {problem}"
            )
        if access_log_bucket:
            self.access_logging = create_access_log_bucket(
                self,
                name,
                region=region,
                partition=partition,
                account_id=account_id,
                bucket_name=access_log_bucket,
                source=self.bucket,
                source_bucket_name=bucket_name,
                expire_after_days=expire_days,
                tags=tags,
            )
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self.bucket.arn
        self.kms_key_arn = self.key.arn
        self.key_prefix = pulumi.Output.from_input(prefix)
        self.register_outputs(
            secret_where_shown(
                {
                    "bucket_name": self.bucket_name,
                    "bucket_arn": self.bucket_arn,
                    "kms_key_arn": self.kms_key_arn,
                    "key_prefix": self.key_prefix,
                }
            )
        )
