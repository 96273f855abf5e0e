"""Session Manager guardrails as pure functions: resource inputs in, violations out.

Each rule takes a resource's type, its inputs (as the engine sees them: camelCase)
and the policy's config, and returns the reasons it violates the organization's
rules. The policy pack (`__main__.py`) wires them into CrossGuard, so they apply to
any stack, not only this project's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

SESSION_DOCUMENT = "aws:ssm/document:Document"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
IAM_POLICIES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
# Resources that carry identity policies elsewhere than a `policy` input.
IAM_ROLE = "aws:iam/role:Role"  # inlinePolicies: [{name, policy}]
PERMISSION_SET_INLINE_POLICY = "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy"
AWS_DEFAULT_IDLE_MINUTES = 20
# Resources that attach a policy by ARN: the input holding the ARN(s).
POLICY_ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": "managedPolicyArn",
    IAM_ROLE: "managedPolicyArns",
}
# AWS managed policies that allow ssm:StartSession with no document access check, by their
# documents in the AWS Managed Policy Reference Guide: AdministratorAccess ("Action": "*"),
# PowerUserAccess (NotAction of iam, organizations and account only), AmazonSSMFullAccess
# ("ssm:*" on "*"). Their text is AWS's, so the pack matches them by ARN.
UNCHECKED_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "AmazonSSMFullAccess")
_AWS_MANAGED_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/(?:[^/]+/)*([^/]+)")

# Config, with the organization's defaults; every key can be set per pack.
DEFAULTS: dict[str, Any] = {
    "maxIdleSessionTimeout": 20,
    # Unset: no limit required, as AWS and this project default to none. Set it to
    # require a maximum session duration of at most that many minutes.
    "maxSessionDuration": None,
    "requireRunAs": False,
    "requireSessionEncryption": True,
    "minLogRetentionDays": 90,
}
DOCUMENT_CONFIG: dict[str, Any] = {
    "maxIdleSessionTimeout": {"type": "integer", "minimum": 1, "maximum": 60, "default": 20},
    "maxSessionDuration": {"type": "integer", "minimum": 1, "maximum": 1440},
    "requireRunAs": {"type": "boolean", "default": False},
    "requireSessionEncryption": {"type": "boolean", "default": True},
}
LOG_GROUP_CONFIG: dict[str, Any] = {
    "minLogRetentionDays": {"type": "integer", "minimum": 1, "default": 90},
}


class Unknown:
    """A value the engine does not know yet (a first preview's computed outputs).

    The pack (`__main__.py`) puts it where CrossGuard's proxy would raise, so each rule
    skips only the checks that need that value and still reports the others.
    """

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def _config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**DEFAULTS, **dict(config or {})}


def _minutes(value: Any) -> int | None:
    try:
        return int(str(value)) if str(value).strip() else None
    except ValueError:
        return None


def _parse(content: Any, document_format: str) -> Any:
    if isinstance(content, Mapping):
        return content
    text = str(content or "")
    try:
        return yaml.safe_load(text) if document_format.upper() == "YAML" else json.loads(text)
    except (ValueError, yaml.YAMLError):
        return None


def session_document_violations(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Preferences documents: encryption on, logging set, timeouts bounded, Run As if required."""
    if resource_type != SESSION_DOCUMENT or props.get("documentType") != "Session":
        return []
    document = _parse(props.get("content"), str(props.get("documentFormat") or "JSON"))
    if not isinstance(document, Mapping) or document.get("sessionType") != "Standard_Stream":
        return []
    rules = _config(config)
    inputs: Mapping[str, Any] = document.get("inputs") or {}
    found: list[str] = []
    bucket, group = inputs.get("s3BucketName"), inputs.get("cloudWatchLogGroupName")
    if not bucket and not group:
        found.append("session logging is off: set s3BucketName or cloudWatchLogGroupName")
    if bucket and inputs.get("s3EncryptionEnabled") is not True:
        found.append("s3EncryptionEnabled must be true when session logs go to S3")
    if group and inputs.get("cloudWatchEncryptionEnabled") is not True:
        found.append("cloudWatchEncryptionEnabled must be true when session logs go to CloudWatch")
    if rules["requireSessionEncryption"] and not inputs.get("kmsKeyId"):
        found.append("session data must be encrypted: set kmsKeyId")
    idle = _minutes(inputs.get("idleSessionTimeout")) or AWS_DEFAULT_IDLE_MINUTES
    if idle > rules["maxIdleSessionTimeout"]:
        found.append(
            f"idleSessionTimeout is {idle} minutes; at most {rules['maxIdleSessionTimeout']}"
        )
    longest, limit = _minutes(inputs.get("maxSessionDuration")), rules["maxSessionDuration"]
    if limit is not None and (longest is None or longest > limit):
        shown = "unlimited" if longest is None else f"{longest} minutes"
        found.append(f"maxSessionDuration is {shown}; at most {limit}")
    if rules["requireRunAs"] and not (
        inputs.get("runAsEnabled") is True and inputs.get("runAsDefaultUser")
    ):
        found.append("Run As is required: set runAsEnabled true and a runAsDefaultUser")
    return found


def kms_key_violations(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Symmetric KMS keys rotate."""
    if resource_type != KMS_KEY:
        return []
    spec = str(props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT")
    rotation = props.get("enableKeyRotation")
    if spec == "SYMMETRIC_DEFAULT" and rotation is not True and not is_unknown(rotation):
        return ["key rotation must be on: set enableKeyRotation true"]
    return []


def log_group_violations(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Log groups keep logs long enough and are encrypted with a customer key."""
    if resource_type != LOG_GROUP:
        return []
    rules = _config(config)
    found: list[str] = []
    retention = props.get("retentionInDays")
    # Unset or 0 keeps logs forever, which satisfies any minimum.
    if retention and not is_unknown(retention) and int(retention) < rules["minLogRetentionDays"]:
        found.append(f"retentionInDays is {retention}; at least {rules['minLogRetentionDays']}")
    if not props.get("kmsKeyId"):
        found.append("log group must be encrypted: set kmsKeyId")
    return found


def _statements(policy: Any) -> list[Mapping[str, Any]]:
    if is_unknown(policy):
        return []
    document = json.loads(policy) if isinstance(policy, str) else policy
    if not isinstance(document, Mapping):
        return []
    statements = document.get("Statement") or []
    if isinstance(statements, Mapping):
        return [statements]
    return list(statements) if isinstance(statements, list | tuple) else []


def _as_list(value: Any) -> list[Any]:
    if is_unknown(value):
        return [value]
    return [value] if isinstance(value, str) else list(value or [])


def _has_unknown(value: Any) -> bool:
    """Whether any part of a (policy) value is not known yet."""
    if isinstance(value, Mapping):
        return any(_has_unknown(v) for v in value.values())  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list | tuple):
        return any(_has_unknown(v) for v in value)  # pyright: ignore[reportUnknownVariableType]
    return is_unknown(value)


def _action_pattern(action: str) -> re.Pattern[str]:
    """IAM action wildcards: `*` any run of characters, `?` one; case-insensitive."""
    pattern = re.escape(action).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(pattern, re.IGNORECASE)


def _matches_start_session(actions: Any) -> bool:
    return any(
        isinstance(a, str) and _action_pattern(a).fullmatch("ssm:StartSession")
        for a in _as_list(actions)
    )


def _grants_start_session(statement: Mapping[str, Any]) -> bool:
    """An Allow whose Action matches ssm:StartSession, or whose NotAction does not.

    IAM User Guide, "IAM JSON policy elements: Action" (wildcards `*` and `?`, action
    names case-insensitive) and "NotAction" (Allow with NotAction allows every action
    not listed).
    """
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        # An unknown entry may be ssm:StartSession itself: nothing is known to be allowed.
        not_action = statement.get("NotAction")
        return not _has_unknown(not_action) and not _matches_start_session(not_action)
    # A known entry that matches is a grant whatever the unknown ones turn out to be.
    return _matches_start_session(statement.get("Action"))


def _checks_document_access(condition: Any) -> bool:
    """`Bool` or `BoolIfExists` on ssm:SessionDocumentAccessCheck = true (keys case-insensitive)."""
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if str(operator) not in ("Bool", "BoolIfExists") or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            values = value if isinstance(value, list) else [value]
            if (
                str(key).lower() == "ssm:sessiondocumentaccesscheck"
                and values
                and all(str(v).lower() == "true" for v in values)
            ):
                return True
    return False


def _identity_policies(resource_type: str, props: Mapping[str, Any]) -> Iterator[Any]:
    """Every identity policy document the resource carries."""
    if resource_type in IAM_POLICIES:
        yield props.get("policy")
    elif resource_type == IAM_ROLE:
        inline = props.get("inlinePolicies")
        for block in [] if is_unknown(inline) else list(inline or []):
            if isinstance(block, Mapping):
                yield block.get("policy")
    elif resource_type == PERMISSION_SET_INLINE_POLICY:
        yield props.get("inlinePolicy")


def iam_violations(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """No ssm:StartSession without the document access check, wherever the policy sits."""
    found: list[str] = []
    for policy in _identity_policies(resource_type, props):
        try:
            statements = _statements(policy)
        except ValueError:
            continue
        for index, statement in enumerate(statements):
            if not isinstance(statement, Mapping) or not _grants_start_session(statement):
                continue
            condition = statement.get("Condition")
            # An unknown condition may be the check itself: report only what is known.
            if not _checks_document_access(condition) and not _has_unknown(condition):
                sid = statement.get("Sid") or f"statement {index}"
                found.append(
                    f"{sid} allows ssm:StartSession without "
                    '"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}'
                )
    return found + managed_policy_violations(resource_type, props)


def managed_policy_violations(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """An attached AWS managed policy that allows ssm:StartSession unchecked."""
    key = POLICY_ATTACHMENTS.get(resource_type)
    if key is None:
        return []
    found: list[str] = []
    for arn in _as_list(props.get(key)):
        match = _AWS_MANAGED_ARN.fullmatch(arn) if isinstance(arn, str) else None
        if match and match[1] in UNCHECKED_MANAGED_POLICIES:
            found.append(
                f"{key} attaches the AWS managed policy {match[1]}, which allows "
                'ssm:StartSession without "BoolIfExists": {"ssm:SessionDocumentAccessCheck": '
                '"true"}; attach a policy that carries the check'
            )
    return found


# Policy name -> (rule, description, config schema).
RULES: dict[str, tuple[Any, str, dict[str, Any] | None]] = {
    "session-manager-document": (
        session_document_violations,
        "Session preferences enforce logging, encryption and limits",
        DOCUMENT_CONFIG,
    ),
    "kms-key-rotation": (kms_key_violations, "KMS keys rotate", None),
    "log-group-retention-encryption": (
        log_group_violations,
        "Log groups keep and encrypt logs",
        LOG_GROUP_CONFIG,
    ),
    "start-session-document-check": (
        iam_violations,
        "StartSession always checks document access",
        None,
    ),
}
