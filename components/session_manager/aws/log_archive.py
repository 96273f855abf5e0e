"""Rules for keeping session logs tamper-evident in S3: Object Lock, versions, access logs.

Facts (Amazon S3 user guide, "Configuring S3 Object Lock" and "Logging requests with
server access logging"):
- Object Lock needs versioning, and once on it cannot be turned off nor versioning
  suspended. It can be enabled when the bucket is created or, since 2023, on an
  existing versioned bucket with PutObjectLockConfiguration.
- A default retention has a mode (GOVERNANCE: only principals with
  s3:BypassGovernanceRetention may shorten it; COMPLIANCE: nobody, not even root)
  and a period in days or years.
- A bucket with Object Lock cannot be the destination of server access logs, and a
  destination's default encryption must be SSE-S3 (AES256); it must be in the source
  bucket's Region and account.
- Uploads under a default retention need Content-MD5 or an x-amz-checksum header; the
  SSM Agent's SDK (aws-sdk-go v1, service/s3/body_hash.go) sets Content-MD5 on PutObject
  and UploadPart, so session logs still upload.
"""

from __future__ import annotations

from typing import Any

OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
# COMPLIANCE by default: "a protected object version can't be overwritten or deleted by any
# user, including the root user", while GOVERNANCE yields to any principal granted
# s3:BypassGovernanceRetention (S3 user guide, "Object Lock retention modes",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
DEFAULT_OBJECT_LOCK_MODE = "COMPLIANCE"
# What the bucket policy denies to everyone but the break-glass role: what could erase a log
# version or unlock it, and the settings that decide that (lock, lifecycle, the policy itself).
LOG_ERASURE_ACTIONS = (
    "s3:BypassGovernanceRetention",
    "s3:DeleteBucketPolicy",
    "s3:DeleteObjectVersion",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutObjectRetention",
)
# What makes the central key, and so every log it encrypts, unreadable: a disabled key
# refuses Decrypt, a deleted one is gone for good (KMS developer guide, "Deleting AWS KMS
# keys": "deleting a KMS key ... makes all data encrypted under that KMS key
# unrecoverable").
KEY_LOSS_ACTIONS = ("kms:DisableKey", "kms:ScheduleKeyDeletion")
# What lifts that deny: a new key policy. Denied too when a break-glass role can still
# change the policy (see central_log_key_policy).
KEY_POLICY_CHANGE = "kms:PutKeyPolicy"
# The longest default retention S3 accepts (100 years).
MAX_RETENTION_DAYS = 36500
# Audit baselines (PCI DSS 10.5.1, the common IaC scanners' log-retention rules) ask for
# at least twelve months of audit trail.
MIN_AUDIT_RETENTION_DAYS = 365
ACCESS_LOG_BUCKET_SUFFIX = "-access-logs"
ACCESS_LOG_PREFIX = "access-logs/"
# The service principal that delivers server access logs (S3 user guide, "Permissions for
# log delivery"); the same name in every partition.
LOG_DELIVERY_PRINCIPAL = "logging.s3.amazonaws.com"


def default_access_log_bucket_name(bucket_name: str) -> str:
    return f"{bucket_name}{ACCESS_LOG_BUCKET_SUFFIX}"


# --- Lifecycle of a versioned log bucket ----------------------------------------
# Amazon S3 User Guide, "Expiring objects"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html):
# on a versioning-enabled bucket Expiration only adds a delete marker; the log becomes a
# noncurrent version, and NoncurrentVersionExpiration counts its days from then. A delete
# marker left with no versions (an expired object delete marker) stays until a rule with
# ExpiredObjectDeleteMarker removes it, and that flag cannot share an Expiration with Days
# (S3 API Reference, LifecycleExpiration). Lifecycle never removes a version under an
# Object Lock retention (S3 User Guide, "Locking objects with Object Lock").
# Noncurrent days when Object Lock keeps every version for the logs' whole lifetime: the
# lock, not the lifecycle, keeps an overwritten log, so an expired one goes a day later.
LOCKED_NONCURRENT_DAYS = 1
ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 7
LOG_RULE_ID = "session-logs"
DELETE_MARKER_RULE_ID = "expired-delete-markers"


def locks_whole_lifetime(expire_days: int, lock_days: int | None) -> bool:
    """Object Lock holds every version at least as long as the logs live."""
    return lock_days is not None and lock_days >= expire_days


def default_noncurrent_days(expire_days: int, lock_days: int | None) -> int:
    """Days a version is kept once it stops being current, unless configured.

    Locked for the logs' lifetime: one day, so a log lives `expire_days` (plus a day),
    not twice that. Not locked: `expire_days`, so an overwritten or deleted log is kept
    as long as a current one; an expired log then lives twice `expire_days`.
    """
    return LOCKED_NONCURRENT_DAYS if locks_whole_lifetime(expire_days, lock_days) else expire_days


def noncurrent_days_problem(
    expire_days: int, noncurrent_days: int, lock_days: int | None
) -> str | None:
    """Why `noncurrent_days` would let an overwritten log go before a current one; None: fine."""
    if noncurrent_days < 1:
        return f"must be at least 1 day, got {noncurrent_days}"
    if noncurrent_days < expire_days and not locks_whole_lifetime(expire_days, lock_days):
        return (
            f"must be at least expireAfterDays ({expire_days}) unless Object Lock keeps every "
            f"version that long, so an overwritten log is kept as long as a current one; "
            f"got {noncurrent_days}"
        )
    return None


def session_log_lifecycle_rules(
    prefix: str, *, transition_days: int, expire_days: int, noncurrent_days: int
) -> list[dict[str, Any]]:
    """The log bucket's lifecycle rules (pulumi-aws BucketLifecycleConfiguration `rules`)."""
    log_filter = {"prefix": prefix}
    return [
        {
            "id": LOG_RULE_ID,
            "status": "Enabled",
            "filter": log_filter,
            "transitions": [{"days": transition_days, "storage_class": "GLACIER"}],
            "expiration": {"days": expire_days},
            "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days},
            "abort_incomplete_multipart_upload": {
                "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS
            },
        },
        _delete_marker_rule(log_filter),
    ]


def _delete_marker_rule(log_filter: dict[str, str]) -> dict[str, Any]:
    return {
        "id": DELETE_MARKER_RULE_ID,
        "status": "Enabled",
        "filter": dict(log_filter),
        "expiration": {"expired_object_delete_marker": True},
    }


# S3 writes each server access log under a new key and never overwrites one, so on the
# versioned, unlocked access-log bucket a log becomes noncurrent only when its Expiration
# adds the delete marker: it goes a day later, not `expire_days` later.
ACCESS_LOG_RULE_ID = "access-logs"
ACCESS_LOG_NONCURRENT_DAYS = 1


def access_log_lifecycle_rules(prefix: str, *, expire_days: int) -> list[dict[str, Any]]:
    """The access-log bucket's rules: a log lives `expire_days` (plus a day as a
    noncurrent version), then its expired delete marker is removed too."""
    log_filter = {"prefix": prefix}
    return [
        {
            "id": ACCESS_LOG_RULE_ID,
            "status": "Enabled",
            "filter": log_filter,
            "expiration": {"days": expire_days},
            "noncurrent_version_expiration": {"noncurrent_days": ACCESS_LOG_NONCURRENT_DAYS},
            "abort_incomplete_multipart_upload": {
                "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS
            },
        },
        _delete_marker_rule(log_filter),
    ]
