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
