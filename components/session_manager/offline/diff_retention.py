"""Updates that delete stored logs without deleting any resource: a shorter retention.

- CloudWatch Logs: lowering a log group's retention deletes the log events older than
  the new value, typically within 72 hours (CloudWatch Logs API Reference, PutRetentionPolicy:
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html;
  user guide, "Change log data retention in CloudWatch Logs"). No retention (absent, or
  0 in this project's config) is "never expire": setting one is a cut too.
- S3 lifecycle: a lower `expiration.days` or `noncurrentVersionExpiration.noncurrentDays`
  of a rule expires the objects already older than it (Amazon S3 User Guide, "Expiring
  objects"); a rule that gains one where it had none starts expiring.
- S3 Object Lock: a shorter default retention locks new log versions for less time, so
  they can be deleted sooner (Amazon S3 User Guide, "Locking objects with Object Lock").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LIFECYCLE_TYPES = frozenset(
    {
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    }
)
OBJECT_LOCK_TYPES = frozenset(
    {
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
    }
)
DAYS_PER_YEAR = 365


def _get(value: Any, *keys: str) -> Any:
    """`value[k]` for the first of `keys` present (camelCase or snake_case inputs)."""
    if not isinstance(value, dict):
        return None
    for key in keys:
        if key in value:
            return value[key]  # pyright: ignore[reportUnknownVariableType]
    return None


def _days(value: Any) -> int | None:
    """A positive number of days, or None for none (never expires)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _shorter(before: int | None, after: int | None) -> bool:
    return after is not None and (before is None or after < before)


def _label(days: int | None) -> str:
    return "never" if days is None else f"{days} days"


def _log_group_cuts(before: dict[str, Any], after: dict[str, Any]) -> Iterator[str]:
    old, new = _days(before.get("retentionInDays")), _days(after.get("retentionInDays"))
    if _shorter(old, new):
        yield (
            f"retentionInDays {_label(old)} => {_label(new)}: log events older than "
            f"{new} days are deleted, typically within 72 hours"
        )


def _rules(inputs: dict[str, Any]) -> dict[str, Any]:
    rules: list[Any] = _get(inputs, "rules") or []
    return {str(_get(rule, "id")): rule for rule in rules}


def _lifecycle_cuts(before: dict[str, Any], after: dict[str, Any]) -> Iterator[str]:
    old_rules, new_rules = _rules(before), _rules(after)
    for rule_id, new_rule in sorted(new_rules.items()):
        old_rule = old_rules.get(rule_id)
        for path, keys in (
            ("expiration.days", (("expiration",), ("days",))),
            (
                "noncurrentVersionExpiration.noncurrentDays",
                (
                    ("noncurrentVersionExpiration", "noncurrent_version_expiration"),
                    ("noncurrentDays", "noncurrent_days"),
                ),
            ),
        ):
            outer, inner = keys
            old = _days(_get(_get(old_rule, *outer), *inner))
            new = _days(_get(_get(new_rule, *outer), *inner))
            if _shorter(old, new):
                yield (
                    f"rule {rule_id} {path} {_label(old)} => {_label(new)}: objects older "
                    f"than {new} days expire"
                )


def _lock_days(inputs: dict[str, Any]) -> int | None:
    retention = _get(_get(inputs, "rule"), "defaultRetention", "default_retention")
    days, years = _days(_get(retention, "days")), _days(_get(retention, "years"))
    return days if days is not None else (years * DAYS_PER_YEAR if years else None)


def _object_lock_cuts(before: dict[str, Any], after: dict[str, Any]) -> Iterator[str]:
    old, new = _lock_days(before), _lock_days(after)
    if old is not None and new is not None and new < old:
        yield (
            f"Object Lock default retention {old} => {new} days: new log versions can be "
            f"deleted after {new} days"
        )


def retention_cuts(resource_type: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """How an update of these inputs shortens how long stored logs are kept; [] if it doesn't."""
    if resource_type == LOG_GROUP:
        return list(_log_group_cuts(before, after))
    if resource_type in LIFECYCLE_TYPES:
        return list(_lifecycle_cuts(before, after))
    if resource_type in OBJECT_LOCK_TYPES:
        return list(_object_lock_cuts(before, after))
    return []
