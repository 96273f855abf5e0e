"""An S3 lifecycle rule, as the plan holds it, in the shape S3's API takes and returns.

PutBucketLifecycleConfiguration's LifecycleRule (Amazon S3 API Reference): an
ExpiredObjectDeleteMarker expiration can't share a rule with Days or Date.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast


def lifecycle_rule_request(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One BucketLifecycleConfiguration rule as PutBucketLifecycleConfiguration takes it."""
    shaped: dict[str, Any] = {
        "ID": rule["id"],
        "Status": rule["status"],
        "Filter": {"Prefix": rule.get("filter", {}).get("prefix", "")},
    }
    if rule.get("transitions"):
        shaped["Transitions"] = [
            {"Days": t["days"], "StorageClass": t["storageClass"]} for t in rule["transitions"]
        ]
    expiration = cast(dict[str, Any], rule.get("expiration") or {})
    if "days" in expiration:
        shaped["Expiration"] = {"Days": expiration["days"]}
    elif expiration.get("expiredObjectDeleteMarker") is not None:
        shaped["Expiration"] = {
            "ExpiredObjectDeleteMarker": bool(expiration["expiredObjectDeleteMarker"])
        }
    if rule.get("noncurrentVersionExpiration"):
        days = rule["noncurrentVersionExpiration"]["noncurrentDays"]
        shaped["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
    if rule.get("abortIncompleteMultipartUpload"):
        days = rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
        shaped["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return shaped
