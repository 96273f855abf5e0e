"""Session logs nobody can erase (issue 21, point 9).

S3 user guide, "Object Lock retention modes"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html): in COMPLIANCE
mode "a protected object version can't be overwritten or deleted by any user, including the
root user"; in GOVERNANCE mode a principal granted s3:BypassGovernanceRetention can. The
default is therefore COMPLIANCE. GOVERNANCE is allowed only with a named break-glass role:
the bucket policy denies the bypass, version deletion and lock, lifecycle and policy changes
to every other principal, the stack's own deploy role included (an explicit Deny overrides
any Allow: IAM user guide, "Policy evaluation logic").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from policy_lint import lint
from session_manager.aws.central_log_policies import (
    central_log_bucket_policy,
    central_log_key_policy,
    locks_out_deployer,
)
from session_manager.aws.log_archive import (
    KEY_LOSS_ACTIONS,
    KEY_POLICY_CHANGE,
    LOG_ERASURE_ACTIONS,
)
from session_manager.config.errors import ConfigError
from session_manager.config.loading import namespace_values, parse_stack_config
from session_manager.ops.drift.s3 import logs_unerasable
from test_organization import plan_stack, three_accounts

BREAK_GLASS = "arn:aws:iam::999999999999:role/LogArchiveBreakGlass"
CENTRAL = {
    "account": "999999999999",
    "bucketName": "org-session-logs",
    "organizationId": "o-exampleorg1",
}


def central(object_lock: dict[str, Any]) -> Any:
    config = three_accounts(["us-east-1"])
    config["session-manager:centralLogging"] = {**CENTRAL, "objectLock": object_lock}
    return parse_stack_config(namespace_values(config)).central_logging


def test_compliance_is_the_default_and_governance_needs_a_break_glass_role() -> None:
    assert central({}).object_lock.mode == "COMPLIANCE"
    with pytest.raises(ConfigError) as raised:
        central({"mode": "GOVERNANCE"})
    assert "centralLogging.objectLock" in str(raised.value)
    assert "set breakGlassRoleArn" in str(raised.value)
    with pytest.raises(ConfigError, match="breakGlassRoleArn"):
        central({"mode": "GOVERNANCE", "breakGlassRoleArn": "LogArchiveBreakGlass"})
    governed = central({"mode": "GOVERNANCE", "breakGlassRoleArn": BREAK_GLASS})
    assert governed.object_lock.break_glass_role_arn == BREAK_GLASS


def test_the_bucket_policy_denies_erasure_to_all_but_the_break_glass_role() -> None:
    policy = central_log_bucket_policy(
        partition="aws",
        bucket_name="org-session-logs",
        key_prefix="session-manager",
        organization_id="o-exampleorg1",
        break_glass_role_arn=BREAK_GLASS,
    )
    (deny,) = [s for s in policy["Statement"] if s["Sid"] == "DenyLogErasureExceptBreakGlass"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == {"AWS": "*"}
    for action in (
        "s3:BypassGovernanceRetention",
        "s3:DeleteObjectVersion",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutLifecycleConfiguration",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
    ):
        assert action in deny["Action"], action
    assert deny["Resource"] == ["arn:aws:s3:::org-session-logs", "arn:aws:s3:::org-session-logs/*"]
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": BREAK_GLASS}}
    assert lint(policy, "resource") == []
    assert (
        logs_unerasable(
            {"Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}, json.dumps(policy)
        )
        == ""
    )


def test_the_planned_stack_uses_the_break_glass_role(tmp_path: Path) -> None:
    config = three_accounts(["us-east-1"])
    config["session-manager:centralLogging"] = {
        **CENTRAL,
        "objectLock": {"mode": "GOVERNANCE", "breakGlassRoleArn": BREAK_GLASS},
    }
    plan = plan_stack(tmp_path, config)
    policy = json.loads(plan.named("session-manager-central-logs-policy").inputs["policy"])
    assert "DenyLogErasureExceptBreakGlass" in {s["Sid"] for s in policy["Statement"]}
    lock = plan.named("session-manager-central-logs-object-lock").inputs
    assert lock["rule"]["defaultRetention"]["mode"] == "GOVERNANCE"
    key = plan.named("session-manager-central-logs-key").inputs
    sids = {s["Sid"] for s in json.loads(key["policy"])["Statement"]}
    assert "DenyKeyPolicyChangeDisableAndDeletionExceptBreakGlass" in sids
    # The deploy role loses kms:PutKeyPolicy: KMS accepts that only with the lockout
    # safety check bypassed (KMS API reference, CreateKey, BypassPolicyLockoutSafetyCheck).
    assert key["bypassPolicyLockoutSafetyCheck"] is True
    (warning,) = [w for w in plan.warnings if "breakGlassRoleArn" in w]
    assert "fails with AccessDenied unless it runs as that role" in warning
    plain = plan_stack(tmp_path, {**config, "session-manager:centralLogging": CENTRAL})
    assert plain.named("session-manager-central-logs-key").inputs.get(
        "bypassPolicyLockoutSafetyCheck"
    ) in (None, False)
    assert not [w for w in plain.warnings if "breakGlassRoleArn" in w]


def test_verify_judges_whether_logs_can_be_erased() -> None:
    compliance = {"Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2557}}}
    governance = {"Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2557}}}
    allow_only = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject"}]}
    assert logs_unerasable(compliance, None) == ""
    assert "GOVERNANCE retention and no bucket-policy deny" in logs_unerasable(
        governance, json.dumps(allow_only)
    )
    assert logs_unerasable(None, None) == "no default Object Lock retention"
    # The TLS-only deny is conditional: it leaves the bypass open over TLS.
    tls_only = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    assert logs_unerasable(governance, json.dumps(tls_only)) != ""


# --- The central key: logs locked in the bucket are lost with their key ------------


def key_policy(break_glass: str = "") -> dict[str, Any]:
    return central_log_key_policy(
        partition="aws",
        account_id="999999999999",
        region="us-east-1",
        bucket_name="org-session-logs",
        organization_id="o-exampleorg1",
        break_glass_role_arn=break_glass,
    )


def test_no_one_but_break_glass_may_disable_or_delete_the_central_key() -> None:
    """KMS developer guide, "Deleting AWS KMS keys": deleting a key makes all data encrypted
    under it unrecoverable; a disabled key refuses Decrypt. A key policy's explicit Deny
    wins over its account-root Allow and every IAM Allow ("Policy evaluation logic")."""
    (deny,) = [s for s in key_policy()["Statement"] if s["Effect"] == "Deny"]
    assert deny == {
        "Sid": "DenyKeyDisableAndDeletion",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["kms:DisableKey", "kms:ScheduleKeyDeletion"],
        "Resource": "*",
    }
    (deny,) = [s for s in key_policy(BREAK_GLASS)["Statement"] if s["Effect"] == "Deny"]
    assert deny["Sid"] == "DenyKeyPolicyChangeDisableAndDeletionExceptBreakGlass"
    # Nobody else can first lift the deny with a new key policy (the attacker review).
    assert deny["Action"] == ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": BREAK_GLASS}}
    for policy in (key_policy(), key_policy(BREAK_GLASS)):
        assert lint(policy, "key") == []


def test_only_a_break_glass_role_takes_put_key_policy_from_the_deployer() -> None:
    """KMS API reference, PutKeyPolicy and CreateKey: unless BypassPolicyLockoutSafetyCheck,
    "the key policy must allow the principal that is making the PutKeyPolicy request to make
    a subsequent PutKeyPolicy request on the KMS key", else MalformedPolicyDocumentException
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html). Without a
    break-glass role the deploy role keeps it through the account root (denied to everyone,
    nobody could change the policy again); with one, only that role has it, and the key
    bypasses the check (`locks_out_deployer`)."""
    policy = key_policy()
    denied = [a for s in policy["Statement"] if s["Effect"] == "Deny" for a in s["Action"]]
    assert not [a for a in denied if a in ("kms:PutKeyPolicy", "kms:*")]
    root = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert root["Principal"] == {"AWS": "arn:aws:iam::999999999999:root"}
    assert root["Action"] == "kms:*"
    assert not locks_out_deployer("")
    guarded = key_policy(BREAK_GLASS)
    (deny,) = [s for s in guarded["Statement"] if s["Effect"] == "Deny"]
    assert "kms:PutKeyPolicy" in deny["Action"]
    assert locks_out_deployer(BREAK_GLASS)


def test_moto_accepts_the_key_policy(emulator_url: str) -> None:
    import boto3

    kms = boto3.client(
        "kms",
        region_name="us-east-1",
        endpoint_url=emulator_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    key_id = kms.create_key(Policy=json.dumps(key_policy()))["KeyMetadata"]["KeyId"]
    kms.put_key_policy(
        KeyId=key_id, PolicyName="default", Policy=json.dumps(key_policy(BREAK_GLASS))
    )
    stored = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    assert stored == key_policy(BREAK_GLASS)


def readme_scp() -> dict[str, Any]:
    """The SCP docs/central-logs.md shows for organizations without break-glass."""
    readme = (Path(__file__).resolve().parents[1] / "docs" / "central-logs.md").read_text()
    section = readme[readme.index("**Without a break-glass role**") :]
    block = section[section.index("```json\n") + len("```json\n") :]
    return json.loads(block[: block.index("```")])


def test_the_readme_scp_denies_erasing_logs_to_all_but_one_role() -> None:
    """The attacker review: without break-glass, the log-archive account's principals can
    shorten the default retention, expire new logs, or change the key policy and delete
    the key. SCPs deny for every principal of a member account, its root user included
    (AWS Organizations user guide, "SCP effects on permissions":
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
    The SCP must deny what the bucket and key policies deny with a break-glass role."""
    scp = readme_scp()
    denied = {
        action
        for statement in scp["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Condition"]
        == {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/LogArchiveBreakGlass"}}
        for action in statement["Action"]
    }
    assert set(LOG_ERASURE_ACTIONS) <= denied
    assert {*KEY_LOSS_ACTIONS, KEY_POLICY_CHANGE} <= denied
    bucket = next(s for s in scp["Statement"] if s["Sid"] == "ProtectSessionLogBucket")
    assert bucket["Resource"] == [
        "arn:aws:s3:::example-org-session-logs",
        "arn:aws:s3:::example-org-session-logs/*",
    ]
    assert lint(scp, "identity") == []


def test_the_break_glass_warning_names_every_input_of_the_locked_policies(
    tmp_path: Path,
) -> None:
    """With a break-glass role the key policy denies kms:PutKeyPolicy to everyone else
    (KMS developer guide, "Key policies": an explicit Deny wins), so any config input
    the key or bucket policy builder reads is a change the deploy role can't apply. A
    new bucketName updates the key policy (its encryption-context condition names the
    bucket) and must be named. The list comes from the builders' parameters."""
    from inspect import signature

    from session_manager.config.organization import (
        POLICY_INPUT_KEYS,
        POLICY_PLACEMENT,
        CentralLogging,
    )

    for builder in (central_log_key_policy, central_log_bucket_policy):
        for param in signature(builder).parameters:
            assert param in POLICY_PLACEMENT or param in POLICY_INPUT_KEYS, param
    config = three_accounts(["us-east-1"])
    locked = {"mode": "GOVERNANCE", "breakGlassRoleArn": BREAK_GLASS}
    config["session-manager:centralLogging"] = {**CENTRAL, "objectLock": locked}
    before = plan_stack(tmp_path, config)
    config["session-manager:centralLogging"] = {
        **CENTRAL,
        "bucketName": "org-session-logs-2",
        "objectLock": locked,
    }
    after = plan_stack(tmp_path, config)
    key = "session-manager-central-logs-key"
    assert before.named(key).inputs["policy"] != after.named(key).inputs["policy"]
    (warning,) = [w for w in after.warnings if "breakGlassRoleArn" in w]
    for config_key in ("bucketName", "writerRoleNames", "organizationId", "keyPrefix"):
        assert config_key in warning
    assert CentralLogging.locked_policy_inputs()[0] == "bucketName"
