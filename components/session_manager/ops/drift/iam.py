"""IAM: managed policies' default versions, roles' trust, attachments, instance profiles.

IAM is global to an account: these are checked once per account, with the
account's first Region. boto3 URL-decodes IAM's policy documents (botocore's
`json_decode_policies` handler); the comparison takes either shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift.compare import CheckContext

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"


def _policy_arn(ctx: CheckContext, resource: PlannedResource) -> str:
    planned = str(resource.state.get("arn") or "")
    if not planned:
        path = str(resource.inputs.get("path") or "/")
        planned = f"arn:aws:iam::{ctx.account}:policy{path}{resource.inputs['name']}"
    return str(ctx.wanted(planned))


def check_policy(ctx: CheckContext, resource: PlannedResource) -> None:
    iam = ctx.client("iam")
    label = f"iam policy {resource.inputs['name']}"
    ctx.checked(label)
    arn = _policy_arn(ctx, resource)
    try:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    except iam.exceptions.NoSuchEntityException:
        ctx.missing(label, "policy")
        return
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    ctx.compare_policy(label, "policy", resource.inputs["policy"], document["Document"])


def _role(ctx: CheckContext, name: str) -> dict[str, Any] | None:
    iam = ctx.client("iam")
    try:
        return iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None


def check_role(ctx: CheckContext, resource: PlannedResource) -> None:
    name = str(resource.inputs["name"])
    label = f"iam role {name}"
    ctx.checked(label)
    role = _role(ctx, name)
    if role is None:
        ctx.missing(label, "role")
        return
    ctx.compare_policy(
        label,
        "assumeRolePolicy",
        resource.inputs["assumeRolePolicy"],
        role["AssumeRolePolicyDocument"],
    )
    if "maxSessionDuration" in resource.inputs:
        wanted = resource.inputs["maxSessionDuration"]
        if role.get("MaxSessionDuration") != wanted:
            ctx.drift(label, "maxSessionDuration", wanted, role.get("MaxSessionDuration"))


def _attached(ctx: CheckContext, operation: str, **names: str) -> list[str]:
    pages = ctx.client("iam").get_paginator(operation).paginate(**names)
    return sorted(p["PolicyArn"] for page in pages for p in page["AttachedPolicies"])


def check_role_attachment(ctx: CheckContext, resource: PlannedResource) -> None:
    iam = ctx.client("iam")
    role = str(resource.inputs["role"])
    label = f"iam role {role}"
    ctx.checked(f"{label} attachments")
    wanted = str(ctx.wanted(resource.inputs["policyArn"]))
    try:
        attached = _attached(ctx, "list_attached_role_policies", RoleName=role)
    except iam.exceptions.NoSuchEntityException:
        ctx.drift(label, "attachedPolicy", wanted, "the role is missing")
        return
    if wanted not in attached:
        ctx.drift(label, "attachedPolicy", wanted, attached)


def check_group_attachment(ctx: CheckContext, resource: PlannedResource) -> None:
    iam = ctx.client("iam")
    group = str(resource.inputs["group"])
    label = f"iam group {group}"
    ctx.checked(f"{label} attachments")
    wanted = str(ctx.wanted(resource.inputs["policyArn"]))
    try:
        attached = _attached(ctx, "list_attached_group_policies", GroupName=group)
    except iam.exceptions.NoSuchEntityException:
        ctx.drift(label, "attachedPolicy", wanted, "the group is missing")
        return
    if wanted not in attached:
        ctx.drift(label, "attachedPolicy", wanted, attached)


def check_instance_profile(ctx: CheckContext, resource: PlannedResource) -> None:
    iam = ctx.client("iam")
    name = str(resource.inputs["name"])
    label = f"iam instance profile {name}"
    ctx.checked(label)
    try:
        profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    except iam.exceptions.NoSuchEntityException:
        ctx.missing(label, "instanceProfile")
        return
    roles = sorted(role["RoleName"] for role in profile.get("Roles", []))
    wanted = resource.inputs.get("role")
    if wanted and roles != [wanted]:
        ctx.drift(label, "role", wanted, roles[0] if len(roles) == 1 else roles or None)


CHECKS: dict[str, Callable[[CheckContext, PlannedResource], None]] = {
    POLICY: check_policy,
    ROLE: check_role,
    ROLE_POLICY_ATTACHMENT: check_role_attachment,
    GROUP_POLICY_ATTACHMENT: check_group_attachment,
    INSTANCE_PROFILE: check_instance_profile,
}
