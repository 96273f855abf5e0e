"""KMS: each created key, found by identity, and each alias.

A key is found through its alias, or, when the alias is gone, moved or names a
key described otherwise, as the key the stack's log group and document really
use (`KeyResolver.metadata`). Each key found is checked whatever its alias does:
state Enabled, rotation, the key policy (statement diff), description, usage,
spec and tags. An alias that no longer points at that key is its own finding.
"""

from __future__ import annotations

from session_manager.aws.central_log_policies import guards_logs
from session_manager.aws.policy_compare import parse_policy
from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift import tags
from session_manager.ops.drift.compare import ALIAS, KEY, Check, CheckContext, not_planned_key
from session_manager.ops.drift.severity import (
    BREAKS_SESSIONS,
    COSMETIC,
    LOSES_LOGS,
    REFRESH_UP,
    WEAKENS_SECURITY,
    classify,
)

TOPIC = "aws:sns/topic:Topic"
# The users of a key that hold logs only (compare.KEY_USERS).
LOG_USERS = frozenset(
    {
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    }
)


def _alias_label(name: str) -> str:
    return f"kms key {name}"


def check_key(ctx: CheckContext, key: PlannedResource) -> None:
    alias = ctx.resolver.alias_of(key)
    if alias is None:
        return  # A key without an alias cannot be told apart from others; never planned.
    label = _alias_label(str(alias.inputs["name"]))
    ctx.checked(label)
    metadata = ctx.resolver.metadata(str(key.state["keyId"]))
    if metadata is None:
        # Neither the alias nor a resource of the stack leads to the key.
        ctx.drift(label, "key", "exists", "not found by its alias nor by its users")
        return
    refused = _refused_severity(ctx, key)
    if metadata.get("KeyState") != "Enabled":
        ctx.drift(
            label,
            "keyState",
            "Enabled",
            metadata.get("KeyState"),
            severity=refused,
            # The key, by ARN: behind a moved alias the label's alias names another key.
            subject=str(metadata.get("Arn") or metadata["KeyId"]),
        )
    kms = ctx.client("kms")
    key_id = metadata["KeyId"]
    if metadata.get("KeyState") != "PendingDeletion":
        rotation = bool(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"])
        wanted_rotation = bool(key.inputs.get("enableKeyRotation"))
        if rotation != wanted_rotation:
            ctx.drift(label, "enableKeyRotation", wanted_rotation, rotation)
    if key.inputs.get("policy"):
        actual = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        ctx.compare_policy(label, "policy", key.inputs["policy"], actual)
        last = ctx.result.drifts[-1] if ctx.result.drifts else None
        # A grant gone from the policy refuses the key's users as a disabled key does.
        if refused and last and (last.resource, last.field) == (label, "policy"):
            last.severity = refused if last.severity == BREAKS_SESSIONS else last.severity
    shaped = {
        "description": metadata.get("Description"),
        "keyUsage": metadata.get("KeyUsage"),
        "customerMasterKeySpec": metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec"),
    }
    ctx.compare_inputs(
        label,
        key,
        shaped,
        skip=("policy", "enableKeyRotation", "deletionWindowInDays", "tags"),
    )
    tags.check_tags(ctx, key, label)


def _refused_severity(ctx: CheckContext, key: PlannedResource) -> str:
    """What a key that refuses its users (not Enabled, or a grant gone from its policy)
    stops, by what uses it ("": classify's default, breaks sessions).

    A key only logs use (the central archive's, the log group's, the bucket's default
    encryption) loses logs, never sessions: before a session the agent checks only that
    the log group names a key and that the bucket's default encryption is AES256 or
    aws:kms; a failed S3 upload is only logged (amazon-ssm-agent
    agent/session/shell/shell.go: validate, IsLogGroupEncryptedWithKMS,
    IsBucketEncrypted; uploadShellSessionLogsToS3 "Failed to upload shell session logs
    to S3"). A key a document names encrypts the session itself: it breaks sessions.
    """
    archive = bool(key.inputs.get("policy")) and guards_logs(
        parse_policy(ctx.wanted(key.inputs["policy"]))
    )
    users = ctx.resolver.user_types(key)
    if archive or (users and users <= LOG_USERS):
        return LOSES_LOGS
    return _disabled_severity(ctx, key)


def _disabled_severity(ctx: CheckContext, key: PlannedResource) -> str:
    """What a key that is not Enabled stops, by what uses it ("": classify's default).

    A key only SNS topics use (accountEvents' alarm topic) stops only the alarms: SNS
    refuses Publish to a topic whose key is disabled (SNS API reference, Publish, errors
    KMSDisabled "the specified Amazon Web Services KMS key isn't enabled"; SSE: "Amazon
    SNS ... uses the KMS key to encrypt each message"), so an alarm's notification is
    lost as when its actions are disabled, and is rated as that is. Sessions and their
    logs never use it.
    """
    users = ctx.resolver.user_types(key)
    if users and users <= {TOPIC}:
        return classify(f"cloudwatch alarm of {key.name}", "actionsEnabled")
    return ""


def check_alias(ctx: CheckContext, alias: PlannedResource) -> None:
    name = str(alias.inputs["name"])
    label = f"kms alias {name}"
    ctx.checked(label)
    kms = ctx.client("kms")
    try:
        metadata = ctx.access.read(kms, "describe_key", KeyId=name)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        ctx.drift(label, "alias", "exists", "missing", severity=deleted_alias_severity(ctx, name))
        return
    key = ctx.resolver.key_of(alias)
    identified = ctx.resolver.metadata(str(key.state["keyId"])) if key else None
    if identified is not None:
        if identified["KeyId"] != metadata["KeyId"]:
            # Moved (UpdateAlias): whoever encrypts "with the alias" now uses another key,
            # and a policy granting the key in use by this alias no longer applies to it.
            moved_to = metadata.get("Arn")
            ctx.drift(
                label,
                "targetKeyId",
                identified["Arn"],
                moved_to,
                severity=alias_severity(ctx, name),
                fix=(
                    f"alias {name} moved from the key in use ({identified['Arn']}) to "
                    f"{moved_to}: point it back (aws kms update-alias --alias-name {name} "
                    f"--target-key-id {identified['KeyId']}) or run `{REFRESH_UP}`"
                ),
            )
        return
    wanted = not_planned_key(key, metadata)
    if wanted:
        ctx.drift(label, "targetKeyId", wanted, metadata.get("Arn"), severity=BREAKS_SESSIONS)


def alias_severity(ctx: CheckContext, name: str) -> str:
    """An alias a planned policy grants its key by (kms:ResourceAliases: the instance and
    people policies grant the session-data key so) leaves that key ungranted: kms:Decrypt
    is refused and sessions fail (AWS KMS developer guide, "Use aliases to control access
    to KMS keys"). Any other alias moved or gone: who encrypts by alias uses another key."""
    return BREAKS_SESSIONS if name in ctx.resolver.granting_aliases else WEAKENS_SECURITY


def deleted_alias_severity(ctx: CheckContext, name: str) -> str:
    """An alias gone: only who names the key by it is affected. A planned policy granting
    the key through it refuses the key (alias_severity); a planned resource naming the
    alias cannot use the key. When every planned user names the key by id or ARN (the
    log group's kmsKeyId is the key's ARN: CloudWatch Logs AssociateKmsKey "kmsKeyId ...
    the ARN of the KMS key"), nothing changes: a refresh puts the name back."""
    if name in ctx.resolver.granting_aliases:
        return BREAKS_SESSIONS
    return WEAKENS_SECURITY if ctx.resolver.named_by_users(name) else COSMETIC


CHECKS: dict[str, Check] = {
    KEY: check_key,
    ALIAS: check_alias,
}
