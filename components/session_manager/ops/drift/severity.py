"""What a drifted field does to sessions, and the exit code each consequence gets.

Four severities, worst first. A finding's severity comes from the kind of
resource (the first words of its label) and the field; the table below says why
for each. Exit codes: 0 in sync, 2 something could not be checked (the result is
incomplete), else the code of the worst severity found; cosmetic drift alone
exits 5, so a workflow can page for 1, 2, 3 and 4 only.
"""

from __future__ import annotations

import re

BREAKS_SESSIONS = "breaks sessions"
LOSES_LOGS = "loses logs"
WEAKENS_SECURITY = "weakens security"
COSMETIC = "cosmetic"
SEVERITIES = (BREAKS_SESSIONS, LOSES_LOGS, WEAKENS_SECURITY, COSMETIC)
# The fix for drift the stack puts back: Pulumi diffs the program against its state, not
# against AWS, so a plain `pulumi up` sees no change; `--refresh` reads AWS first
# (Pulumi CLI docs, "pulumi up": "--refresh  Refresh the state of the stack's resources
# before this update").
REFRESH_UP = "pulumi up --refresh"
EXIT_CODES = {BREAKS_SESSIONS: 4, LOSES_LOGS: 3, WEAKENS_SECURITY: 1, COSMETIC: 5}

# Label prefixes (each family's check names resources so), longest first.
_KINDS = (
    "iam instance profile",
    "events api destination",
    "events connection",
    "events target",
    "events rule",
    "iam role policy",
    "cloudwatch alarm",
    "vpc endpoint",
    "log group",
    "sqs queue",
    "sns topic",
    "kms alias",
    "kms key",
    "iam policy",
    "iam group",
    "iam role",
    "cloudtrail",
    "parameter",
    "document",
    "bucket",
)
# Document inputs the agent needs to start a session: a wrong key or Run As user, or a
# requirement to encrypt what isn't, and the session does not start (facts: "The
# preferences document").
_DOCUMENT_BREAKS = re.compile(
    r"^(document|documentType|defaultVersion|schemaVersion|sessionType|"
    r"inputs\.(kmsKeyId|runAsEnabled|runAsDefaultUser)|properties\..*|parameters\..*)$"
)
_DOCUMENT_LOGS = re.compile(
    r"^inputs\.(s3BucketName|s3KeyPrefix|cloudWatchLogGroupName|cloudWatchStreamingEnabled)$"
)
# Bucket settings that keep the audit logs: without them logs can be deleted or lost.
_BUCKET_LOGS = re.compile(
    r"^(bucket|encryption|bucketKey|versioning|lifecycle|objectLock|logging|objectLockEnabled|"
    r"versioningConfiguration.*|rules.*|rule\.defaultRetention.*|targetBucket|targetPrefix)$"
)


def kind_of(resource: str) -> str:
    return next(
        (k for k in _KINDS if resource.startswith(f"{k} ")), resource.split(" ", maxsplit=1)[0]
    )


def classify(resource: str, field: str, *, removed: bool = False, added: bool = False) -> str:  # noqa: PLR0911 (one rule per kind)
    """The severity of one drifted field of `resource` (its label).

    For a policy, `removed`: the plan's statements are missing (what it grants is
    gone), `added`: AWS holds statements the plan does not (more is allowed).
    """
    kind = kind_of(resource)
    if field == "tags" or field.startswith("tags.") or field == "description":
        return COSMETIC
    if field in ("policy", "assumeRolePolicy"):
        # A policy lost its statements: whoever relied on them is refused (the instance
        # role can't open channels, the log service can't use the key). Added: more is
        # allowed than the plan says.
        if kind in ("bucket", "sqs queue") and not added:
            return LOSES_LOGS
        if removed and kind in ("kms key", "iam policy", "iam role", "iam role policy"):
            return BREAKS_SESSIONS
        return WEAKENS_SECURITY
    if kind == "document":
        if _DOCUMENT_BREAKS.match(field):
            return BREAKS_SESSIONS
        if _DOCUMENT_LOGS.match(field):
            return LOSES_LOGS
        return WEAKENS_SECURITY
    if kind == "kms key":
        if field in ("keyState", "alias", "key"):
            return BREAKS_SESSIONS
        return WEAKENS_SECURITY
    if kind in ("iam role", "iam instance profile", "iam group", "iam policy", "vpc endpoint"):
        if field in ("attachedPolicies", "inlinePolicies"):
            return WEAKENS_SECURITY
        return BREAKS_SESSIONS
    if kind == "log group":
        return WEAKENS_SECURITY if field == "kmsKeyId" else LOSES_LOGS
    if kind == "bucket":
        return LOSES_LOGS if _BUCKET_LOGS.match(field) else WEAKENS_SECURITY
    if kind in ("kms alias", "parameter"):
        return WEAKENS_SECURITY
    # accountEvents and its trail: a new account left without preferences logs nothing.
    return LOSES_LOGS


def worst(severities: list[str]) -> str | None:
    return min(severities, key=SEVERITIES.index, default=None)


def finding_id(resource: str, field: str) -> str:
    """Stable across runs and accounts: the resource's label and the field, as a slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", resource.lower()).strip("-")
    return f"{slug}/{field}"
