"""KMS: each created key (found through its alias) and each alias.

Key: state Enabled, rotation as planned, the key policy (statement diff).
Alias: it exists and points at a customer key with the planned key's
description, so an alias moved to another key shows as drift.
"""

from __future__ import annotations

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift.compare import ALIAS, KEY, Check, CheckContext, not_planned_key


def _alias_label(name: str) -> str:
    return f"kms key {name}"


def check_key(ctx: CheckContext, key: PlannedResource) -> None:
    alias = ctx.resolver.alias_of(key)
    if alias is None:
        return  # A key without an alias cannot be told apart from others; never planned.
    label = _alias_label(str(alias.inputs["name"]))
    ctx.checked(label)
    target = ctx.resolver.alias_target(str(key.state["keyId"]))
    if target is None:
        ctx.drift(label, "alias", "exists", "missing")
        return
    wanted_key = not_planned_key(key, target)
    if wanted_key:
        # The alias was moved: the key it names now is not this one, so nothing of it
        # is compared with the planned key (the alias's check reports the move).
        ctx.drift(label, "alias", f"points at {wanted_key}", target.get("Arn"))
        return
    metadata = target
    if metadata.get("KeyState") != "Enabled":
        ctx.drift(label, "keyState", "Enabled", metadata.get("KeyState"))
    kms = ctx.client("kms")
    key_id = metadata["KeyId"]
    rotation = bool(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"])
    wanted_rotation = bool(key.inputs.get("enableKeyRotation"))
    if rotation != wanted_rotation:
        ctx.drift(label, "enableKeyRotation", wanted_rotation, rotation)
    if key.inputs.get("policy"):
        actual = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        ctx.compare_policy(label, "policy", key.inputs["policy"], actual)


def check_alias(ctx: CheckContext, alias: PlannedResource) -> None:
    name = str(alias.inputs["name"])
    label = f"kms alias {name}"
    ctx.checked(label)
    kms = ctx.client("kms")
    try:
        metadata = kms.describe_key(KeyId=name)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        ctx.missing(label, "alias")
        return
    wanted = not_planned_key(ctx.resolver.key_of(alias), metadata)
    if wanted:
        ctx.drift(label, "targetKeyId", wanted, metadata.get("Arn"))


CHECKS: dict[str, Check] = {
    KEY: check_key,
    ALIAS: check_alias,
}
