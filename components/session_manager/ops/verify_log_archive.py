"""Read-only checks that the central log bucket still keeps every log version.

Object Lock's default retention, the lifecycle's expiry of current and overwritten
versions, and server access logging are compared with the plan. Used by `verify`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from session_manager.offline.plan import PlannedResource

OBJECT_LOCK_CONFIGURATION = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
LIFECYCLE_CONFIGURATION = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOG_ARCHIVE_TYPES = (OBJECT_LOCK_CONFIGURATION, BUCKET_LOGGING, LIFECYCLE_CONFIGURATION)

# (resource label, field, wanted, actual)
Finding = tuple[str, str, Any, Any]


def _missing(exc: ClientError, *codes: str) -> bool:
    return exc.response.get("Error", {}).get("Code") in codes


def _object_lock(s3: Any, inputs: dict[str, Any]) -> list[Finding]:
    label = f"bucket {inputs['bucket']}"
    wanted = inputs["rule"]["defaultRetention"]
    try:
        config = s3.get_object_lock_configuration(Bucket=inputs["bucket"])
    except ClientError as exc:
        if _missing(exc, "ObjectLockConfigurationNotFoundError", "NoSuchBucket"):
            return [(label, "objectLock", "Enabled", "none")]
        raise
    lock = config.get("ObjectLockConfiguration", {})
    actual = lock.get("Rule", {}).get("DefaultRetention", {})
    findings: list[Finding] = []
    if lock.get("ObjectLockEnabled") != "Enabled":
        findings.append((label, "objectLock", "Enabled", lock.get("ObjectLockEnabled")))
    for key, field in (("mode", "Mode"), ("days", "Days")):
        if actual.get(field) != wanted.get(key):
            findings.append(
                (label, f"objectLock.defaultRetention.{key}", wanted.get(key), actual.get(field))
            )
    return findings


def _logging(s3: Any, inputs: dict[str, Any]) -> list[Finding]:
    label = f"bucket {inputs['bucket']}"
    status: dict[str, Any] = s3.get_bucket_logging(Bucket=inputs["bucket"])
    enabled: dict[str, Any] = status.get("LoggingEnabled") or {}
    wanted = {"targetBucket": inputs["targetBucket"], "targetPrefix": inputs["targetPrefix"]}
    actual: dict[str, Any] = {
        "targetBucket": enabled.get("TargetBucket"),
        "targetPrefix": enabled.get("TargetPrefix"),
    }
    return [
        (label, f"serverAccessLogging.{key}", wanted[key], actual[key])
        for key in wanted
        if wanted[key] != actual[key]
    ]


def _lifecycle(s3: Any, inputs: dict[str, Any]) -> list[Finding]:
    label = f"bucket {inputs['bucket']}"
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=inputs["bucket"])["Rules"]
    except ClientError as exc:
        if _missing(exc, "NoSuchLifecycleConfiguration", "NoSuchBucket"):
            return [(label, "lifecycle", "configured", "none")]
        raise
    by_id = {rule.get("ID"): rule for rule in rules}
    findings: list[Finding] = []
    for wanted in inputs["rules"]:
        actual = by_id.get(wanted["id"])
        if actual is None:
            findings.append((label, f"lifecycle.{wanted['id']}", "present", "missing"))
            continue
        pairs = (
            (
                "expiration.days",
                wanted.get("expiration", {}).get("days"),
                actual.get("Expiration", {}).get("Days"),
            ),
            (
                "noncurrentVersionExpiration.noncurrentDays",
                wanted.get("noncurrentVersionExpiration", {}).get("noncurrentDays"),
                actual.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays"),
            ),
        )
        findings += [
            (label, f"lifecycle.{wanted['id']}.{field}", want, have)
            for field, want, have in pairs
            if want is not None and want != have
        ]
    return findings


CHECKS = {
    OBJECT_LOCK_CONFIGURATION: _object_lock,
    BUCKET_LOGGING: _logging,
    LIFECYCLE_CONFIGURATION: _lifecycle,
}


def log_archive_findings(
    s3: Any, resources: Iterable[PlannedResource]
) -> tuple[list[str], list[Finding]]:
    """(labels checked, findings) for the planned bucket settings among `resources`."""
    checked: list[str] = []
    findings: list[Finding] = []
    for resource in resources:
        check = CHECKS.get(resource.type)
        if check is None:
            continue
        checked.append(f"{resource.type.rsplit(':', 1)[-1]} {resource.inputs['bucket']}")
        findings += check(s3, resource.inputs)
    return checked, findings
