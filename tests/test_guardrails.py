"""The CrossGuard policy pack: each rule with passing and failing resource arguments."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "policy"))

import guardrails  # noqa: E402
from pulumi_policy import ResourceValidationArgs  # noqa: E402
from session_manager.aws.document import render_preferences_document, serialize_document  # noqa: E402
from session_manager.offline.plan import run_plan  # noqa: E402

GOOD_INPUTS = {
    "cloudWatchLogGroupName": "ssm-sessionmanager-logs",
    "cloudWatchEncryptionEnabled": True,
    "kmsKeyId": "alias/session-manager/data",
    "idleSessionTimeout": 20,
    "maxSessionDuration": 60,
}


def session_document(**inputs: Any) -> dict[str, Any]:
    values = {**GOOD_INPUTS, **inputs}
    return {
        "documentType": "Session",
        "documentFormat": "JSON",
        "content": serialize_document(render_preferences_document(values)),
    }


def document_violations(config: dict[str, Any] | None = None, **inputs: Any) -> list[str]:
    return guardrails.session_document_violations(
        "aws:ssm/document:Document", session_document(**inputs), config
    )


def test_good_preferences_pass() -> None:
    assert document_violations() == []


@pytest.mark.parametrize(
    ("inputs", "config", "fragment"),
    [
        ({"cloudWatchLogGroupName": ""}, None, "session logging is off"),
        ({"cloudWatchEncryptionEnabled": False}, None, "cloudWatchEncryptionEnabled must be true"),
        (
            {"s3BucketName": "logs", "s3EncryptionEnabled": False},
            None,
            "s3EncryptionEnabled must be true",
        ),
        ({"kmsKeyId": ""}, None, "session data must be encrypted"),
        ({"idleSessionTimeout": 45}, None, "idleSessionTimeout is 45 minutes; at most 20"),
        ({"idleSessionTimeout": 15}, {"maxIdleSessionTimeout": 10}, "at most 10"),
        (
            {"maxSessionDuration": None},
            {"maxSessionDuration": 480},
            "maxSessionDuration is unlimited",
        ),
        ({"maxSessionDuration": 600}, {"maxSessionDuration": 480}, "600 minutes; at most 480"),
        ({}, {"requireRunAs": True}, "Run As is required"),
    ],
)
def test_preference_violations(
    inputs: dict[str, Any], config: dict[str, Any] | None, fragment: str
) -> None:
    found = document_violations(config, **inputs)
    assert any(fragment in violation for violation in found), found


def test_run_as_and_other_session_types() -> None:
    assert (
        document_violations({"requireRunAs": True}, runAsEnabled=True, runAsDefaultUser="ops") == []
    )
    port = {
        "documentType": "Session",
        "content": json.dumps({"sessionType": "Port", "properties": {"portNumber": "22"}}),
    }
    assert guardrails.session_document_violations("aws:ssm/document:Document", port) == []
    command = {"documentType": "Command", "content": "{}"}
    assert guardrails.session_document_violations("aws:ssm/document:Document", command) == []


def test_kms_keys_rotate() -> None:
    assert guardrails.kms_key_violations("aws:kms/key:Key", {"enableKeyRotation": True}) == []
    assert guardrails.kms_key_violations("aws:kms/key:Key", {"enableKeyRotation": False}) == [
        "key rotation must be on: set enableKeyRotation true"
    ]
    asymmetric = {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}
    assert guardrails.kms_key_violations("aws:kms/key:Key", asymmetric) == []


def test_log_groups_keep_and_encrypt_logs() -> None:
    rule = guardrails.log_group_violations
    good = {"retentionInDays": 365, "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/k"}
    assert rule("aws:cloudwatch/logGroup:LogGroup", good) == []
    assert rule("aws:cloudwatch/logGroup:LogGroup", {**good, "retentionInDays": 0}) == []
    assert rule("aws:cloudwatch/logGroup:LogGroup", {**good, "retentionInDays": 30}) == [
        "retentionInDays is 30; at least 90"
    ]
    assert rule(
        "aws:cloudwatch/logGroup:LogGroup",
        {**good, "retentionInDays": 180},
        {"minLogRetentionDays": 365},
    )
    assert rule("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 90}) == [
        "log group must be encrypted: set kmsKeyId"
    ]


def start_session(
    condition: dict[str, Any] | None, action: Any = "ssm:StartSession"
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "Start",
        "Effect": "Allow",
        "Action": action,
        "Resource": "*",
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


@pytest.mark.parametrize("resource_type", guardrails.IAM_POLICIES)
def test_start_session_needs_the_document_access_check(resource_type: str) -> None:
    checked = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    assert guardrails.iam_violations(resource_type, start_session(checked)) == []
    assert guardrails.iam_violations(resource_type, start_session(None))
    assert guardrails.iam_violations(resource_type, start_session({}, action=["ssm:*"]))
    assert (
        guardrails.iam_violations(resource_type, start_session(None, action="s3:GetObject")) == []
    )


def test_the_projects_own_stacks_pass_every_rule() -> None:
    plan = run_plan(ROOT, "dev")
    for resource in plan.resources:
        for rule, _, _ in guardrails.RULES.values():
            assert rule(resource.type, resource.inputs, None) == [], resource.name


def test_policy_pack_reports_through_crossguard() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("policy_pack", ROOT / "policy" / "__main__.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    policies = {p.name: p for p in module.policies()}
    assert set(policies) == set(guardrails.RULES)
    reported: list[str] = []
    args = ResourceValidationArgs(
        resource_type="aws:kms/key:Key",
        props={"enableKeyRotation": False},
        urn="urn:pulumi:dev::p::aws:kms/key:Key::k",
        name="k",
        opts=None,  # type: ignore[arg-type]
        provider=None,
        config={},
    )
    policies["kms-key-rotation"].validate(args, lambda message, urn: reported.append(message))  # type: ignore[misc, operator]
    assert reported == ["key rotation must be on: set enableKeyRotation true"]


CHECK = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}


def policy_json(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(**fields: Any) -> dict[str, Any]:
    return {"Sid": "Hostile", "Effect": "Allow", "Resource": "*", **fields}


# IAM User Guide, "IAM JSON policy elements: Action": `*` and `?` wildcards, action
# names case-insensitive; "NotAction": Allow with NotAction allows all but the listed.
HOSTILE_STATEMENTS = [
    allow(Action="ssm:S*"),
    allow(Action="ssm:*Session"),
    allow(Action="SSM:STARTSESSION"),
    allow(Action="ssm:Start?ession"),
    allow(Action="*:*"),
    allow(Action="*"),
    allow(Action=["s3:GetObject", "ssm:St*"]),
    allow(NotAction="s3:*"),
    allow(NotAction=["ssm:SendCommand"]),
    allow(
        Action="ssm:StartSession", Condition={"Bool": {"ssm:SessionDocumentAccessCheck": "false"}}
    ),
    allow(Action="ssm:StartSession", Condition={"StringEquals": {"aws:username": "x"}}),
]


@pytest.mark.parametrize("statement", HOSTILE_STATEMENTS, ids=lambda s: json.dumps(s)[:60])
def test_start_session_hidden_behind_wildcards_or_not_action_is_caught(
    statement: dict[str, Any],
) -> None:
    found = guardrails.iam_violations("aws:iam/policy:Policy", {"policy": policy_json(statement)})
    assert found == [
        'Hostile allows ssm:StartSession without "BoolIfExists": '
        '{"ssm:SessionDocumentAccessCheck": "true"}'
    ]


@pytest.mark.parametrize(
    "statement",
    [
        allow(Action="ssm:Send*"),
        allow(Action="ssm:Start?"),
        allow(Action="ssm:StartSessionX"),
        allow(NotAction="ssm:*"),
        allow(NotAction=["ssm:Start*"]),
        {"Effect": "Deny", "Action": "ssm:*", "Resource": "*"},
        allow(Action="ssm:*", Condition={"Bool": {"SSM:sessionDocumentAccessCheck": ["true"]}}),
        allow(Action="*", Condition=CHECK),
    ],
    ids=lambda s: json.dumps(s)[:60],
)
def test_statements_that_do_not_grant_start_session_unchecked_pass(
    statement: dict[str, Any],
) -> None:
    assert (
        guardrails.iam_violations("aws:iam/policy:Policy", {"policy": policy_json(statement)}) == []
    )


def test_inline_policies_of_roles_and_permission_sets_are_checked() -> None:
    hostile = policy_json(allow(Action="ssm:*"))
    role = {
        "assumeRolePolicy": policy_json(allow(Action="sts:AssumeRole")),
        "inlinePolicies": [
            {"name": "ok", "policy": policy_json(allow(Action="s3:*"))},
            {"name": "bad", "policy": hostile},
        ],
    }
    assert len(guardrails.iam_violations("aws:iam/role:Role", role)) == 1
    assert guardrails.iam_violations("aws:iam/role:Role", {"inlinePolicies": []}) == []
    permission_set = {"inlinePolicy": hostile, "instanceArn": "arn", "permissionSetArn": "arn"}
    assert (
        len(guardrails.iam_violations(guardrails.PERMISSION_SET_INLINE_POLICY, permission_set)) == 1
    )
    for resource_type in ("aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"):
        assert len(guardrails.iam_violations(resource_type, {"policy": hostile})) == 1


UNKNOWN = guardrails.UNKNOWN


def test_unknown_values_inside_a_policy_neither_crash_nor_invent_violations() -> None:
    """A first preview: a policy given as an object can hold values the engine does not
    know yet (the pack puts guardrails.UNKNOWN where CrossGuard's proxy raises
    UnknownValueError). Known grants are reported; unknown ones are not guessed."""

    def violations(*statements: Any) -> list[str]:
        policy = {"Version": "2012-10-17", "Statement": list(statements)}
        return guardrails.iam_violations("aws:iam/policy:Policy", {"policy": policy})

    # Unknown Action, NotAction or Statement: nothing known is granted (was a TypeError).
    assert violations(allow(Action=UNKNOWN)) == []
    assert violations(allow(NotAction=UNKNOWN)) == []
    assert violations(allow(NotAction=["s3:*", UNKNOWN])) == []
    assert (
        guardrails.iam_violations("aws:iam/policy:Policy", {"policy": {"Statement": UNKNOWN}}) == []
    )
    # A known matching action is a grant whatever the unknown entries are.
    assert len(violations(allow(Action=[UNKNOWN, "ssm:*"]))) == 1
    # Unknown Condition (or part of it) may be the check: not reported (was a violation).
    assert violations(allow(Action="ssm:StartSession", Condition=UNKNOWN)) == []
    unknown_value = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": UNKNOWN}}
    assert violations(allow(Action="ssm:StartSession", Condition=unknown_value)) == []
    # Known statements beside unknown ones are still reported.
    found = violations(allow(Action=UNKNOWN), allow(Sid="Known", Action="ssm:StartSession"))
    assert found == [
        'Known allows ssm:StartSession without "BoolIfExists": '
        '{"ssm:SessionDocumentAccessCheck": "true"}'
    ]


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            {"role": "ops", "policyArn": "arn:aws:iam::aws:policy/AmazonSSMFullAccess"},
        ),
        (
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
            {"group": "ops", "policyArn": "arn:aws-us-gov:iam::aws:policy/PowerUserAccess"},
        ),
        (
            "aws:iam/role:Role",
            {"managedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
        ),
        (
            "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
            {"managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
    ],
    ids=["role-attachment", "group-attachment-govcloud", "role-managed-arns", "permission-set"],
)
def test_aws_managed_policies_that_allow_start_session_unchecked_are_caught(
    resource_type: str, props: dict[str, Any]
) -> None:
    """The attacker review: these returned []. AWS Managed Policy Reference Guide:
    AmazonSSMFullAccess allows "ssm:*" on "*", AdministratorAccess "*", PowerUserAccess
    everything but iam, organizations and account: ssm:StartSession with no condition."""
    (violation,) = guardrails.iam_violations(resource_type, props)
    assert "ssm:SessionDocumentAccessCheck" in violation
    # A customer managed policy of the same name is judged by its own document, not here.
    own = {
        k: json.loads(json.dumps(v).replace("iam::aws:", "iam::123456789012:"))
        for k, v in props.items()
    }
    assert guardrails.iam_violations(resource_type, own) == []
    safe = {
        k: json.loads(json.dumps(v).replace("policy/", "policy/ReadOnly")) for k, v in props.items()
    }
    assert guardrails.iam_violations(resource_type, safe) == []
