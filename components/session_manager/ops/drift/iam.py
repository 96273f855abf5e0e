"""IAM: managed policies' default versions, roles' trust, attachments, instance profiles.

IAM is global to an account: these are checked once per account, with the
account's first Region. boto3 URL-decodes IAM's policy documents (botocore's
`json_decode_policies` handler); the comparison takes either shape.

A role the stack creates holds only what the plan grants it: a managed policy
attached or an inline policy put on it by hand widens what the role may do, so
each is drift (`RoleGrants`).
"""

from __future__ import annotations

from typing import Any

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift import tags
from session_manager.ops.drift.compare import Check, CheckContext
from session_manager.ops.drift.grants import ROLE_POLICY_ATTACHMENT

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"


def check_policy(ctx: CheckContext, resource: PlannedResource) -> None:
    iam = ctx.client("iam")
    label = f"iam policy {resource.inputs['name']}"
    arn = tags.policy_arn(ctx, resource)
    policy = ctx.read(
        label,
        "policy",
        lambda: iam.get_policy(PolicyArn=arn)["Policy"],
        iam.exceptions.NoSuchEntityException,
    )
    if policy is None:
        return
    version = policy["DefaultVersionId"]
    _description(ctx, label, resource, policy)
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    ctx.compare_policy(label, "policy", resource.inputs["policy"], document["Document"])
    tags.check_tags(ctx, resource, label)


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
    _description(ctx, label, resource, role)
    if "maxSessionDuration" in resource.inputs:
        wanted = resource.inputs["maxSessionDuration"]
        if role.get("MaxSessionDuration") != wanted:
            ctx.drift(label, "maxSessionDuration", wanted, role.get("MaxSessionDuration"))
    _check_grants(ctx, resource, name, label)
    tags.check_tags(ctx, resource, label)


def _description(
    ctx: CheckContext, label: str, resource: PlannedResource, held: dict[str, Any]
) -> None:
    """GetPolicy and GetRole return the description (absent when empty)."""
    if "description" in resource.inputs:
        wanted, actual = resource.inputs["description"], held.get("Description", "")
        if wanted != actual:
            ctx.drift(label, "description", wanted, actual)


def _check_grants(ctx: CheckContext, resource: PlannedResource, name: str, label: str) -> None:
    """Managed and inline policies on the role that the plan does not grant.

    A missing attachment is its attachment's drift; here only what was added. IAM
    API: ListAttachedRolePolicies (managed) and ListRolePolicies (inline names).
    """
    iam = ctx.client("iam")
    where = (resource.provider or "", name)
    planned = {str(ctx.wanted(arn)) for arn in ctx.grants.attached.get(where, set())}
    pages = iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
    attached = {str(p["PolicyArn"]) for page in pages for p in page["AttachedPolicies"]}
    if attached - planned:
        ctx.drift(label, "attachedPolicies", "only the plan's", sorted(attached - planned))
    planned_inline = ctx.grants.inline.get(where, set())
    pages = iam.get_paginator("list_role_policies").paginate(RoleName=name)
    inline = {str(n) for page in pages for n in page["PolicyNames"]}
    if inline - planned_inline:
        wanted = sorted(planned_inline) or "none"
        ctx.drift(label, "inlinePolicies", wanted, sorted(inline - planned_inline))


def _attachment(kind: str, operation: str, argument: str) -> Check:
    """A check that the planned policy is attached to a role or a group."""

    def check(ctx: CheckContext, resource: PlannedResource) -> None:
        iam = ctx.client("iam")
        holder = str(resource.inputs[kind])
        label = f"iam {kind} {holder}"
        ctx.checked(f"{label} attachments")
        wanted = str(ctx.wanted(resource.inputs["policyArn"]))
        try:
            pages = iam.get_paginator(operation).paginate(**{argument: holder})
            attached = sorted(p["PolicyArn"] for page in pages for p in page["AttachedPolicies"])
        except iam.exceptions.NoSuchEntityException:
            ctx.drift(label, "attachedPolicy", wanted, f"the {kind} is missing")
            return
        if wanted not in attached:
            ctx.drift(label, "attachedPolicy", wanted, attached)

    return check


def check_instance_profile(ctx: CheckContext, resource: PlannedResource) -> None:
    iam = ctx.client("iam")
    name = str(resource.inputs["name"])
    label = f"iam instance profile {name}"
    profile = ctx.read(
        label,
        "instanceProfile",
        lambda: iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"],
        iam.exceptions.NoSuchEntityException,
    )
    if profile is None:
        return
    tags.check_tags(ctx, resource, label)
    roles = sorted(role["RoleName"] for role in profile.get("Roles", []))
    wanted = resource.inputs.get("role")
    if wanted and roles != [wanted]:
        ctx.drift(label, "role", wanted, roles[0] if len(roles) == 1 else roles or None)


CHECKS: dict[str, Check] = {
    POLICY: check_policy,
    ROLE: check_role,
    ROLE_POLICY_ATTACHMENT: _attachment("role", "list_attached_role_policies", "RoleName"),
    GROUP_POLICY_ATTACHMENT: _attachment("group", "list_attached_group_policies", "GroupName"),
    INSTANCE_PROFILE: check_instance_profile,
}
