"""S3: the central log bucket and each of its settings, one resource type each.

Every reader returns the API's answer reshaped like the Pulumi inputs
(`camelize`), so each planned field, including rules added later, is compared
by `CheckContext.compare_inputs`. A setting that is not there at all (no
policy, no encryption, no public access block) is one drift line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, cast

from botocore.exceptions import ClientError

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift import tags
from session_manager.ops.drift.compare import (
    NEVER_COMPARED,
    Check,
    CheckContext,
    camelize,
    default_encryption,
    differences,
)
from session_manager.ops.drift.severity import LOSES_LOGS, REFRESH_UP

BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"

# Error codes S3 answers with when a setting is absent (S3 API reference, each Get call).
ABSENT = frozenset(
    {
        "NoSuchBucketPolicy",
        "ServerSideEncryptionConfigurationNotFoundError",
        "NoSuchPublicAccessBlockConfiguration",
        "OwnershipControlsNotFoundError",
        "NoSuchLifecycleConfiguration",
        "ObjectLockConfigurationNotFoundError",
    }
)


def _read(ctx: CheckContext, resource: PlannedResource, operation: str) -> dict[str, Any] | None:
    """One Get call on the resource's bucket; None when the setting (or bucket) is absent."""
    s3 = ctx.client("s3", str(resource.inputs.get("region") or ctx.region))
    try:
        return ctx.access.read(s3, operation, Bucket=str(resource.inputs["bucket"]))
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ABSENT or code in ("NoSuchBucket", "404"):
            return None
        raise


def _planned(ctx: CheckContext, resource: PlannedResource) -> dict[str, Any]:
    """The setting's planned inputs as compared (not the bucket's name, Region or tags)."""
    skipped = {"bucket", "expectedBucketOwner", *NEVER_COMPARED}
    return ctx.wanted({k: v for k, v in resource.inputs.items() if k not in skipped})


def _held_and_planned(
    ctx: CheckContext, resource: PlannedResource, operation: str, name: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The setting's answer and its planned inputs; None (a "missing" drift) when absent."""
    label = _label(resource)
    ctx.checked(f"{label} {name}")
    answer = _read(ctx, resource, operation)
    if answer is None:
        ctx.drift(label, name, "present", "missing")
        return None
    return answer, _planned(ctx, resource)


def _label(resource: PlannedResource) -> str:
    return f"bucket {resource.inputs['bucket']}"


def _setting(
    operation: str, name: str, shape: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> Callable[[CheckContext, PlannedResource], None]:
    """A check for one bucket setting: read it, reshape it like the inputs, compare."""

    def check(ctx: CheckContext, resource: PlannedResource) -> None:
        label = _label(resource)
        ctx.checked(f"{label} {name}")
        answer = _read(ctx, resource, operation)
        shaped = shape(answer) if answer is not None else None
        if shaped is None:
            ctx.drift(label, name, "present", "missing")
            return
        ctx.compare_inputs(label, resource, shaped, skip=("bucket", "expectedBucketOwner"))

    return check


def check_bucket(ctx: CheckContext, resource: PlannedResource) -> None:
    label = _label(resource)
    ctx.checked(label)
    if _read(ctx, resource, "head_bucket") is None:
        ctx.missing(label, "bucket")
        return
    tags.check_tags(ctx, resource, label)
    if "objectLockEnabled" in resource.inputs:
        lock = _read(ctx, resource, "get_object_lock_configuration") or {}
        enabled = lock.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
        if enabled != bool(resource.inputs["objectLockEnabled"]):
            ctx.drift(label, "objectLockEnabled", resource.inputs["objectLockEnabled"], enabled)


def check_policy(ctx: CheckContext, resource: PlannedResource) -> None:
    label = _label(resource)
    ctx.checked(f"{label} policy")
    answer = _read(ctx, resource, "get_bucket_policy")
    ctx.compare_policy(label, "policy", resource.inputs["policy"], (answer or {}).get("Policy"))


def _versioning(answer: dict[str, Any]) -> dict[str, Any]:
    # A bucket never versioned has no Status; the provider calls that "Disabled".
    shaped = {"status": answer.get("Status", "Disabled")}
    if "MFADelete" in answer:
        shaped["mfaDelete"] = answer["MFADelete"]
    return {"versioningConfiguration": shaped}


def _ownership(answer: dict[str, Any]) -> dict[str, Any]:
    rules = answer["OwnershipControls"]["Rules"]
    return {"rule": camelize(rules[0]) if rules else None}


def _object_lock(answer: dict[str, Any]) -> dict[str, Any]:
    return camelize(answer["ObjectLockConfiguration"])


def logs_unerasable(lock: dict[str, Any] | None, policy_text: str | None) -> str:
    """Why a log bucket's versions can be erased, or "" when nobody can (issue 21, point 9).

    COMPLIANCE retention can't be lifted by anyone; GOVERNANCE yields to
    s3:BypassGovernanceRetention unless the bucket policy denies it to every principal
    (S3 user guide, "Object Lock retention modes").
    """
    rule: dict[str, Any] = (lock or {}).get("Rule") or {}
    retention: dict[str, Any] = rule.get("DefaultRetention") or {}
    mode = str(retention.get("Mode") or "")
    if mode == "COMPLIANCE":
        return ""
    if not mode:
        return "no default Object Lock retention"
    document: dict[str, Any] = json.loads(policy_text or "{}")
    raw: Any = document.get("Statement") or []
    statements = cast(list[dict[str, Any]], raw if isinstance(raw, list) else [raw])
    if any(_denies_bypass_to_everyone(statement) for statement in statements):
        return ""
    return f"{mode} retention and no bucket-policy deny of s3:BypassGovernanceRetention"


def _denies_bypass_to_everyone(statement: dict[str, Any]) -> bool:
    """A Deny of the bypass to every principal, but at most an exempted (break-glass) role.

    A Deny under any other condition (the TLS-only statement's aws:SecureTransport) leaves
    the bypass open to requests that don't meet it.
    """
    raw: Any = statement.get("Action") or []
    actions = [str(a) for a in cast(list[Any], [raw] if isinstance(raw, str) else raw)]
    condition: dict[str, Any] = statement.get("Condition") or {}
    exemption_only = all(
        operator in ("ArnNotLike", "ArnNotEquals")
        and set(cast(dict[str, Any], keys)) == {"aws:PrincipalArn"}
        for operator, keys in condition.items()
    )
    return (
        statement.get("Effect") == "Deny"
        and statement.get("Principal") in ("*", {"AWS": "*"})
        and any(a in ("s3:*", "s3:BypassGovernanceRetention") for a in actions)
        and exemption_only
    )


def check_object_lock(ctx: CheckContext, resource: PlannedResource) -> None:
    """The planned lock configuration, and that no principal can erase a log version.

    One cause, one finding: a default retention changed (mode, days or years) is one
    `rule.defaultRetention` drift with the planned and held retention; its weaker
    protection is that same cause, so `logProtection` is reported only when the lock
    is as planned (the bucket policy's deny of the bypass gone).
    """
    label = _label(resource)
    read = _held_and_planned(ctx, resource, "get_object_lock_configuration", "objectLock")
    if read is None:
        return
    lock, planned = read
    held = _object_lock(lock)
    retention = "rule.defaultRetention"
    changed = False
    for path, want, actual in differences(planned, held):
        if path.startswith(f"{retention}."):
            changed = True
            continue
        ctx.drift(label, path, want, actual)
    if changed:
        wanted_rule = cast(dict[str, Any], planned.get("rule") or {})
        held_rule = cast(dict[str, Any], held.get("rule") or {})
        ctx.drift(
            label,
            retention,
            wanted_rule.get("defaultRetention"),
            held_rule.get("defaultRetention"),
        )
        return
    policy = _read(ctx, resource, "get_bucket_policy")
    why = logs_unerasable(lock.get("ObjectLockConfiguration"), (policy or {}).get("Policy"))
    if why:
        ctx.drift(label, "logProtection", "no principal can erase a log version", why)


def _logging(answer: dict[str, Any]) -> dict[str, Any] | None:
    # Logging turned off is one finding ("missing"), not one per field it had.
    logging = answer.get("LoggingEnabled")
    return camelize(logging) if logging else None


def require_encrypted(ctx: CheckContext, bucket: str, granted: set[str] | None = None) -> None:
    """A bucket the stack does not manage but whose encryption a document requires.

    With `granted` (the keys the planned instance policy grants for the bucket), an
    SSE-KMS bucket must use one of them: the agent encrypts each log object with the
    bucket's default key (it sends no key of its own), and KMS refuses a node the key
    is not granted to, so the upload fails and the session's log is lost (S3 user
    guide, "Using server-side encryption with AWS KMS keys"; permissions: facts,
    "Permissions").
    """
    label = f"bucket {bucket}"
    ctx.checked(label)
    s3 = ctx.client("s3")
    try:
        answer = ctx.access.read(s3, "get_bucket_encryption", Bucket=bucket)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "ServerSideEncryptionConfigurationNotFoundError":
            # Real S3 falls back to SSE-S3, which the agent accepts (severity.py): the same
            # finding as the bucket's own check, so the two group as one cause.
            ctx.drift(label, "encryption", "present", "missing")
        elif code == "NoSuchBucket":
            ctx.missing(label, "bucket")
        else:
            raise
        return
    if granted is None:
        return
    default = default_encryption(answer)
    key = str(default.get("KMSMasterKeyID") or "")
    if not key or not str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
        return  # SSE-S3, or the account's AWS managed key: nothing to grant
    wanted = sorted(str(ctx.wanted(k)) for k in granted)
    if not any(_same_key(key, k) for k in wanted):
        bucket_key_drift(ctx, label, wanted, key, _bucket_key_fix(ctx, granted, key, wanted))


def bucket_key_drift(ctx: CheckContext, label: str, wanted: list[str], key: str, fix: str) -> None:
    """The bucket's default key is not the granted one: one finding, whether the bucket's
    own encryption check or a document requiring the bucket found it (text, as held)."""
    ctx.drift(
        label,
        "bucketKey",
        " or ".join(wanted) or "a key the instance policy grants",
        key,
        severity=LOSES_LOGS,
        fix=fix,
    )


KMS_KEY_PATH = re.compile(r"^rules\[\d+\]\.applyServerSideEncryptionByDefault\.kmsMasterKeyId$")


def check_encryption(ctx: CheckContext, resource: PlannedResource) -> None:
    """The bucket's default encryption. Another key in place of the planned one is the
    `bucketKey` finding the documents requiring this bucket report: one cause."""
    label = _label(resource)
    read = _held_and_planned(ctx, resource, "get_bucket_encryption", "encryption")
    if read is None:
        return
    held, planned = camelize(read[0]["ServerSideEncryptionConfiguration"]), read[1]
    for path, want, actual in differences(planned, held):
        if KMS_KEY_PATH.match(path) and actual:
            fix = (
                "logs will be lost: the bucket's default encryption no longer uses the key "
                f"the instance policies grant; run `{REFRESH_UP}` to set it back to {want}"
            )
            bucket_key_drift(ctx, label, [str(want)], str(actual), fix)
        else:
            ctx.drift(label, path, want, actual)


def _bucket_key_fix(ctx: CheckContext, granted: set[str], key: str, wanted: list[str]) -> str:
    """A central bucket (centralLogging: the stack made the key it grants) is put back by
    the stack; a bucket the stack only names is fixed in s3Logging.bucketKmsKeyArn."""
    back_to = wanted[0] if wanted else "the granted key"
    if any(ctx.resolver.replacements(k) for k in granted):
        # The key is this stack's (centralLogging in this stack): this stack puts it back.
        return (
            "logs will be lost: the bucket's default encryption no longer uses the key "
            f"the instance policies grant; run `{REFRESH_UP}` to set it back to {back_to}"
        )
    return (
        "logs will be lost: set s3Logging.bucketKmsKeyArn to the bucket's key "
        f"({key}) and run `pulumi up`, or set the bucket's default encryption back "
        f"to {back_to}"
    )


def _same_key(held: str, granted: str) -> bool:
    """A key ARN or id against a granted key ARN (same key id, or the same ARN)."""
    return held == granted or granted.endswith(f":key/{held}") or held.endswith(f":key/{granted}")


CHECKS: dict[str, Check] = {
    BUCKET: check_bucket,
    POLICY: check_policy,
    ENCRYPTION: check_encryption,
    PUBLIC_ACCESS_BLOCK: _setting(
        "get_public_access_block",
        "publicAccessBlock",
        lambda a: camelize(a["PublicAccessBlockConfiguration"]),
    ),
    OWNERSHIP: _setting("get_bucket_ownership_controls", "ownershipControls", _ownership),
    VERSIONING: _setting("get_bucket_versioning", "versioning", _versioning),
    LIFECYCLE: _setting(
        "get_bucket_lifecycle_configuration", "lifecycle", lambda a: {"rules": camelize(a["Rules"])}
    ),
    OBJECT_LOCK: check_object_lock,
    LOGGING: _setting("get_bucket_logging", "logging", _logging),
}
