"""What a drifted field does to sessions, and the exit code each consequence gets.

Four severities, worst first. A finding's severity comes from the kind of
resource (the first words of its label) and the field; the table below says why
for each. Exit codes: 0 in sync, 2 something could not be checked (the result is
incomplete), else the code of the worst severity found; cosmetic drift alone
exits 5, so a workflow can page for 1, 2, 3 and 4 only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any, cast

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
    "prefix list",
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
# The bucket's default encryption (its own check, and a document's requirement).
_BUCKET_ENCRYPTION = re.compile(
    r"^(encryption|rules\[\d+\]\.(applyServerSideEncryptionByDefault|bucketKeyEnabled).*)$"
)
PREFERENCES_SUFFIX = "SessionManagerRunShell"
# Bucket settings that keep the audit logs: without them logs can be deleted or lost.
_BUCKET_LOGS = re.compile(
    r"^(bucket|encryption|bucketKey|versioning|lifecycle|objectLock|logging|objectLockEnabled|"
    r"versioningConfiguration.*|rules.*|rule\.defaultRetention.*|targetBucket|targetPrefix)$"
)


def kind_of(resource: str) -> str:
    return next(
        (k for k in _KINDS if resource.startswith(f"{k} ")), resource.split(" ", maxsplit=1)[0]
    )


def classify(  # noqa: PLR0911 (one rule per kind)
    resource: str, field: str, *, removed: bool = False, added: bool = False, cleared: bool = False
) -> str:
    """The severity of one drifted field of `resource` (its label).

    For a policy, `removed`: something the plan grants is no longer granted (a planned
    Allow is gone and no statement in AWS grants as much), `added`: AWS holds
    statements the plan does not. `cleared`: AWS holds no value where the plan sets one.
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
        if field == "document" and resource.endswith(PREFERENCES_SUFFIX):
            # Without the preferences document StartSession still opens a shell, with
            # AWS's defaults: no logging, no session encryption (facts, "The preferences
            # document"; the review's evidence): logs are lost, sessions are not.
            return LOSES_LOGS
        if field == "inputs.kmsKeyId" and cleared:
            # No session key: the agent opens the session unencrypted beyond TLS.
            return WEAKENS_SECURITY
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
        if field in ("kmsKeyId", "logGroup") and (cleared or field == "logGroup"):
            # The stack's preferences require an encrypted log group
            # (cloudWatchEncryptionEnabled): the agent checks IsLogGroupEncryptedWithKMS
            # before each session and refuses it with CloudWatchEncryptionErrorMsg when
            # the group is unencrypted or gone (amazon-ssm-agent
            # agent/session/plugins/shell/shell.go, validate).
            return BREAKS_SESSIONS
        return WEAKENS_SECURITY if field == "kmsKeyId" else LOSES_LOGS
    if kind == "bucket":
        if _BUCKET_ENCRYPTION.match(field):
            # S3 never stores an object unencrypted: without this configuration it uses
            # SSE-S3 (S3 API reference, DeleteBucketEncryption: "resets the default
            # encryption for the bucket as server-side encryption with Amazon S3 managed
            # keys (SSE-S3)"), which the agent's IsBucketEncrypted accepts. Logs are still
            # written, under a key the stack does not control.
            return WEAKENS_SECURITY
        return LOSES_LOGS if _BUCKET_LOGS.match(field) else WEAKENS_SECURITY
    if kind == "sns topic" and field == "encrypted":
        # Alarm notifications still go out, stored under SNS's own key.
        return WEAKENS_SECURITY
    if kind == "events api destination" and field == "invocationEndpoint":
        # The connection's token is sent to whatever endpoint now answers.
        return WEAKENS_SECURITY
    if kind == "prefix list":
        # The endpoints' security group admits HTTPS from its blocks: gone, nodes in the
        # VPC cannot reach the endpoints (ec2.check_prefix_list rates changed entries).
        return BREAKS_SESSIONS if field == "prefixList" else WEAKENS_SECURITY
    if kind in ("kms alias", "parameter"):
        return WEAKENS_SECURITY
    # accountEvents and its trail: a new account left without preferences logs nothing.
    return LOSES_LOGS


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in cast(list[Any], value or [])]


def matched(wanted: Iterable[str], held: Iterable[str]) -> bool:
    """Every wanted value matched by a held one (IAM wildcards * and ?, case-insensitive)."""
    patterns = [h.lower() for h in held]
    return all(any(fnmatchcase(w.lower(), p) for p in patterns) for w in wanted)


def _principals(value: Any) -> dict[str, list[str]]:
    if value == "*":
        return {"*": ["*"]}
    found = cast(dict[str, Any], value or {})
    return {str(k): _listed(v) for k, v in found.items()}


def grants_as_much(held: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the statement in AWS allows at least what the planned Allow statement does.

    Conservative: a Not* element or a different condition never covers.
    """
    if any(k.startswith("Not") for k in (*held, *wanted)):
        return False
    if held.get("Effect") != "Allow" or wanted.get("Effect") != "Allow":
        return False
    if held.get("Condition") and held.get("Condition") != wanted.get("Condition"):
        return False
    for element in ("Action", "Resource"):
        if element in wanted and not matched(_listed(wanted[element]), _listed(held.get(element))):
            return False
    if "Principal" in wanted:
        theirs, ours = _principals(held.get("Principal")), _principals(wanted["Principal"])
        everyone = theirs.get("*") == ["*"] or theirs.get("AWS") == ["*"]
        if not everyone and not all(
            matched(values, theirs.get(kind, [])) for kind, values in ours.items()
        ):
            return False
    return True


def still_granted(missing: list[Any], extra: list[Any]) -> bool:
    """Whether every planned Allow missing from AWS is granted by a statement AWS added.

    A Deny gone, or an Allow replaced by a wider one (a trust opened to another
    account, `Action "*"`), takes nothing away: the drift weakens security.
    """
    allows = [cast(dict[str, Any], s) for s in missing if isinstance(s, dict)]
    held = [cast(dict[str, Any], s) for s in extra if isinstance(s, dict)]
    return all(
        any(grants_as_much(h, s) for h in held) for s in allows if s.get("Effect") == "Allow"
    )


def worst(severities: list[str]) -> str | None:
    return min(severities, key=SEVERITIES.index, default=None)


def finding_id(resource: str, field: str) -> str:
    """Stable across runs and accounts: the resource's label and the field, as a slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", resource.lower()).strip("-")
    return f"{slug}/{field}"
