"""SessionManagerPreferences: what it registers, how it is wired, what survives a destroy."""

from __future__ import annotations

import json
from typing import Any

from conftest import aws_example
from session_manager import SessionManagerPreferences, SessionManagerPreferencesArgs
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, record_program

ACCOUNT = "111122223333"
DOCUMENT = "aws:ssm/document:Document"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def run(
    args: SessionManagerPreferencesArgs, name: str = "prefs", mock_account: str = ACCOUNT
) -> Plan:
    def program() -> dict[str, Any]:
        prefs = SessionManagerPreferences(name, args)
        return {
            "content": prefs.document_content,
            "key": prefs.session_data_key_arn,
            "group": prefs.log_group_arn,
            "prefix": prefs.s3_key_prefix,
            "has_key": prefs.session_data_key is not None,
            "has_group": prefs.log_group is not None,
        }

    return record_program(program, mocks=AwsMocks(account_id=mock_account))


def content(plan: Plan) -> dict[str, Any]:
    (document,) = plan.of_type(DOCUMENT)
    return json.loads(document.inputs["content"])


def test_defaults_create_encrypted_logging_and_session_encryption() -> None:
    plan = run({"region": "eu-west-1", "account_id": ACCOUNT})
    types = sorted(r.type for r in plan.resources if r.custom)
    assert types == sorted([DOCUMENT, KEY, KEY, ALIAS, ALIAS, LOG_GROUP, "pulumi:providers:aws"])
    component = plan.named("prefs")
    assert component.type == "session-manager:index:SessionManagerPreferences"
    for resource in plan.resources:
        if resource.custom and not resource.type.startswith("pulumi:"):
            assert resource.parent == component.urn
            assert resource.name.startswith("prefs-")
            assert resource.inputs["region"] == "eu-west-1" or resource.type.startswith("aws:iam")

    document = plan.named("prefs-document")
    assert document.inputs["name"] == "SSM-SessionManagerRunShell"
    assert document.inputs["documentType"] == "Session"
    assert document.inputs["documentFormat"] == "JSON"
    inputs = content(plan)["inputs"]
    data_key = plan.named("prefs-session-data-key")
    assert data_key.inputs["enableKeyRotation"] is True
    assert data_key.inputs["deletionWindowInDays"] == 30
    assert data_key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert plan.named("prefs-session-data-key-alias").inputs["name"] == "alias/session-manager/data"
    assert plan.named("prefs-logs-key-alias").inputs["name"] == "alias/session-manager/logs"
    assert inputs["kmsKeyId"] == plan.named("prefs-session-data-key-alias").inputs["targetKeyId"]

    group = plan.named("prefs-log-group")
    assert group.inputs["name"] == "ssm-sessionmanager-logs"
    assert group.inputs["retentionInDays"] == 365  # a year of audit trail (PCI DSS 10.5.1)
    assert group.inputs["kmsKeyId"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    assert inputs["cloudWatchLogGroupName"] == "ssm-sessionmanager-logs"
    assert inputs["cloudWatchEncryptionEnabled"] is True

    logs_policy = json.loads(plan.named("prefs-logs-key").inputs["policy"])
    condition = logs_policy["Statement"][1]["Condition"]["ArnEquals"]
    assert condition["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:ssm-sessionmanager-logs"
    )
    assert plan.result["has_key"]
    assert plan.result["has_group"]


def test_data_survives_destroy_and_document_retention_can_be_opted_out() -> None:
    plan = run({"region": "us-east-1", "account_id": ACCOUNT})
    assert plan.named("prefs-document").retain_on_delete
    for name in ("prefs-session-data-key", "prefs-logs-key", "prefs-log-group"):
        assert plan.named(name).retain_on_delete, name
    opted_out = run(
        {"region": "us-east-1", "account_id": ACCOUNT, "retain_document_on_delete": False}
    )
    assert not opted_out.named("prefs-document").retain_on_delete
    assert opted_out.named("prefs-log-group").retain_on_delete


def test_matches_aws_example_with_existing_resources() -> None:
    expected = aws_example("preferences_every_option.json")
    given = expected["inputs"]
    # AWS's example holds placeholders that S3 and KMS refuse (DOC-EXAMPLE-BUCKET has
    # capitals, MyKMSKeyID is no key id), which the component refuses as the stack config
    # does: a valid bucket name and key id stand in for them.
    given["s3BucketName"] = "doc-example-bucket"
    given["kmsKeyId"] = "1234abcd-12ab-34cd-56ef-1234567890ab"
    plan = run(
        {
            "region": "us-east-1",
            "account_id": ACCOUNT,
            "preferences": {
                "s3_bucket_name": given["s3BucketName"],
                "s3_key_prefix": given["s3KeyPrefix"],
                "s3_encryption_enabled": True,
                "cloud_watch_log_group_name": given["cloudWatchLogGroupName"],
                "cloud_watch_encryption_enabled": True,
                "cloud_watch_streaming_enabled": False,
                "kms_key_id": given["kmsKeyId"],
                "run_as_enabled": True,
                "run_as_default_user": given["runAsDefaultUser"],
                "idle_session_timeout": 20,
                "max_session_duration": 60,
                "shell_profile": {"windows": "MyCommands", "linux": "MyCommands"},
            },
        }
    )
    assert content(plan) == expected
    # Existing key and log group: nothing created besides the document.
    assert [r.type for r in plan.resources if r.custom and r.type.startswith("aws:")] == [DOCUMENT]
    assert plan.result["key"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{given['kmsKeyId']}"
    assert plan.result["group"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:MyLogGroupName"


def test_existing_key_alias_is_resolved_to_its_key_arn() -> None:
    plan = run(
        {"region": "us-east-1", "account_id": ACCOUNT, "preferences": {"kms_key_id": "alias/team"}}
    )
    assert content(plan)["inputs"]["kmsKeyId"] == "alias/team"
    assert plan.result["key"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    assert not plan.of_type(KEY) or all("session-data" not in r.name for r in plan.of_type(KEY))


def test_account_and_region_can_be_appended_to_the_s3_prefix() -> None:
    plan = run(
        {
            "region": "ap-southeast-2",
            "account_id": ACCOUNT,
            "preferences": {"s3_bucket_name": "logs-bucket", "s3_key_prefix": "ssm/"},
            "append_account_and_region_to_s3_prefix": True,
        }
    )
    assert content(plan)["inputs"]["s3KeyPrefix"] == f"ssm/{ACCOUNT}/ap-southeast-2"
    assert plan.result["prefix"] == f"ssm/{ACCOUNT}/ap-southeast-2"


def test_account_id_is_looked_up_when_not_given() -> None:
    plan = run({"region": "us-east-1"}, mock_account="444455556666")
    assert (
        plan.result["group"]
        == "arn:aws:logs:us-east-1:444455556666:log-group:ssm-sessionmanager-logs"
    )


def test_partition_follows_the_region() -> None:
    plan = run({"region": "cn-north-1", "account_id": ACCOUNT})
    policy = json.loads(plan.named("prefs-logs-key").inputs["policy"])
    assert policy["Statement"][0]["Principal"]["AWS"] == f"arn:aws-cn:iam::{ACCOUNT}:root"
    assert policy["Statement"][1]["Principal"]["Service"] == "logs.cn-north-1.amazonaws.com.cn"


def test_custom_document_name_for_document_name_flag() -> None:
    plan = run({"region": "us-east-1", "account_id": ACCOUNT, "document_name": "Team-Prefs"})
    assert plan.named("prefs-document").inputs["name"] == "Team-Prefs"


def test_changing_preferences_keeps_every_resource_name() -> None:
    before = run({"region": "us-east-1", "account_id": ACCOUNT})
    after = run(
        {
            "region": "us-east-1",
            "account_id": ACCOUNT,
            "preferences": {
                "idle_session_timeout": 5,
                "run_as_enabled": True,
                "run_as_default_user": "u",
            },
            "log_group": {"retention_in_days": 365},
        }
    )
    assert [r.urn for r in before.resources] == [r.urn for r in after.resources]
    assert content(after)["inputs"]["idleSessionTimeout"] == "5"
    assert content(before) != content(after)


def test_same_args_render_byte_identical_content() -> None:
    args: SessionManagerPreferencesArgs = {
        "region": "us-east-1",
        "account_id": ACCOUNT,
        "preferences": {"idle_session_timeout": 15, "shell_profile": {"linux": "bash"}},
    }
    first, second = run(args), run(args)
    assert (
        first.named("prefs-document").inputs["content"]
        == (second.named("prefs-document").inputs["content"])
    )
    assert first.to_json() == second.to_json()
