"""Stack-config validation: every rule, every error at once, named by config path."""

from __future__ import annotations

from typing import Any

import pytest
from session_manager.config.errors import ConfigError
from session_manager.config.loading import namespace_values, parse_stack_config
from session_manager.config.stack import StackConfig


def problems(values: dict[str, Any], region: str | None = "us-east-1") -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values, aws_region=region)
    return dict(caught.value.problems)


def test_defaults_are_secure_and_come_from_aws_region() -> None:
    config = parse_stack_config({}, aws_region="eu-west-1")
    assert config.regions == ["eu-west-1"]
    assert config.document_name == "SSM-SessionManagerRunShell"
    assert config.creates_session_data_key()
    assert config.creates_log_group()
    assert config.preferences.s3_encryption_enabled
    assert config.preferences.cloud_watch_encryption_enabled
    assert config.preferences.idle_session_timeout == 20
    assert config.retain_document_on_delete


def test_accepts_aws_input_names_verbatim_and_config_path_types() -> None:
    # `pulumi config set --path` stores numbers and booleans; plain `config set` stores strings.
    config = parse_stack_config(
        {
            "preferences": {
                "idleSessionTimeout": 15,
                "maxSessionDuration": "120",
                "runAsEnabled": "true",
                "runAsDefaultUser": "ec2-user",
                "shellProfile": {"linux": "exec bash"},
            },
            "retainDocumentOnDelete": "false",
        },
        aws_region="us-east-1",
    )
    assert config.preferences.idle_session_timeout == 15
    assert config.preferences.max_session_duration == 120
    assert config.preferences.run_as_enabled is True
    assert config.preferences.shell_profile.linux == "exec bash"
    assert config.retain_document_on_delete is False


@pytest.mark.parametrize(
    ("values", "path", "fragment"),
    [
        (
            {"preferences": {"idleSessionTimeout": 0}},
            "preferences.idleSessionTimeout",
            "from 1 to 60",
        ),
        (
            {"preferences": {"idleSessionTimeout": 61}},
            "preferences.idleSessionTimeout",
            "from 1 to 60",
        ),
        (
            {"preferences": {"idleSessionTimeout": 2.5}},
            "preferences.idleSessionTimeout",
            "whole number",
        ),
        (
            {"preferences": {"idleSessionTimeout": True}},
            "preferences.idleSessionTimeout",
            "whole number",
        ),
        (
            {"preferences": {"maxSessionDuration": 1441}},
            "preferences.maxSessionDuration",
            "1 to 1440",
        ),
        (
            {"preferences": {"maxSessionDuration": "ten"}},
            "preferences.maxSessionDuration",
            "whole number",
        ),
        ({"preferences": {"runAsEnabled": True}}, "preferences.runAsDefaultUser", "is required"),
        (
            {"preferences": {"runAsEnabled": True, "runAsDefaultUser": "bad user"}},
            "preferences.runAsDefaultUser",
            "not a valid Linux user name",
        ),
        ({"preferences": {"s3BucketName": "My_Bucket"}}, "preferences.s3BucketName", "bucket name"),
        ({"preferences": {"s3BucketName": "a..b"}}, "preferences.s3BucketName", "adjacent dots"),
        (
            {"preferences": {"s3BucketName": "192.168.1.1"}},
            "preferences.s3BucketName",
            "IP address",
        ),
        ({"preferences": {"s3KeyPrefix": "/logs"}}, "preferences.s3KeyPrefix", "leading slash"),
        (
            {"preferences": {"cloudWatchLogGroupName": "bad name!"}},
            "preferences.cloudWatchLogGroupName",
            "log group name",
        ),
        (
            {"preferences": {"kmsKeyId": "not-a-key"}},
            "preferences.kmsKeyId",
            "not a KMS key reference",
        ),
        ({"preferences": {"runAsEnabled": "yes"}}, "preferences.runAsEnabled", "true or false"),
        (
            {"preferences": {"s3BucketName": 42}},
            "preferences.s3BucketName",
            "must be text, got the number 42",
        ),
        ({"logGroup": {"retentionInDays": 10}}, "logGroup.retentionInDays", "one of 0, 1, 3"),
        ({"logGroup": {"kmsKeyId": "alias/logs"}}, "logGroup.kmsKeyId", "not a KMS key ARN"),
        ({"sessionDataKey": {"alias": "session"}}, "sessionDataKey.alias", "alias/<name>"),
        ({"sessionDataKey": {"alias": "alias/aws/ssm"}}, "sessionDataKey.alias", "alias/aws/"),
        (
            {"sessionDataKey": {"deletionWindowInDays": 5}},
            "sessionDataKey.deletionWindowInDays",
            "7 to 30",
        ),
        ({"regions": ["us-east-1", "mars-1"]}, "regions", "'mars-1' is not an AWS Region"),
        ({"regions": ["us-east-1", "us-east-1"]}, "regions", "more than once"),
        ({"regions": ["us-east-1", "cn-north-1"]}, "regions", "mixes partitions"),
        ({"documentName": "AWS-Mine"}, "documentName", "reserved prefix"),
        ({"documentName": "no spaces allowed"}, "documentName", "3-128 characters"),
        ({"instanceAccess": {"roleName": "x" * 65}}, "instanceAccess.roleName", "IAM role name"),
        (
            {"instanceAccess": {"createPolicy": False, "createRole": True}},
            "instanceAccess.createPolicy",
            "must be true",
        ),
        (
            {"preferences": {"kmsKeyId": "alias/mine"}, "sessionDataKey": {"create": True}},
            "sessionDataKey.create",
            "set only one",
        ),
        (
            {"logGroup": {"createKmsKey": False}},
            "logGroup.createKmsKey",
            "sessions fail to start on an unencrypted log group",
        ),
        (
            {"s3Logging": {"appendAccountAndRegion": True}},
            "s3Logging.appendAccountAndRegion",
            "s3BucketName",
        ),
        ({"s3Logging": {"bucketAccountId": "12345"}}, "s3Logging.bucketAccountId", "12 digits"),
        ({"tags": ["a"]}, "tags", "must be an object of keys"),
    ],
)
def test_each_rule_names_its_config_path(values: dict[str, Any], path: str, fragment: str) -> None:
    found = problems(values)
    key = f"session-manager:{path}"
    assert key in found, found
    assert fragment in found[key]


def test_unknown_keys_suggest_the_intended_key() -> None:
    found = problems({"preferences": {"idleSesionTimeout": 20}, "logGrop": {}})
    assert found["session-manager:preferences.idleSesionTimeout"] == (
        "unknown key; did you mean 'idleSessionTimeout'?"
    )
    assert "did you mean 'logGroup'?" in found["session-manager:logGrop"]


def test_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(
            {
                "preferences": {"idleSessionTimeout": 90, "maxSessionDuration": 0, "kmsKeyId": "x"},
                "logGroup": {"retentionInDays": 2},
                "regions": ["nowhere"],
            },
            aws_region="us-east-1",
        )
    assert len(caught.value.problems) == 5
    message = str(caught.value)
    assert message.startswith("Invalid stack config (5 problems):")
    assert "Traceback" not in message


def test_no_region_at_all_is_an_error() -> None:
    found = problems({}, region=None)
    assert "set aws:region" in found["session-manager:regions"]


def test_existing_resources_are_used_instead_of_created() -> None:
    config = parse_stack_config(
        {"preferences": {"kmsKeyId": "alias/mine", "cloudWatchLogGroupName": "existing-group"}},
        aws_region="us-east-1",
    )
    assert not config.creates_session_data_key()
    assert not config.creates_log_group()
    # Explicitly creating a group with a chosen name is still possible.
    named = parse_stack_config(
        {"preferences": {"cloudWatchLogGroupName": "mine"}, "logGroup": {"create": True}},
        aws_region="us-east-1",
    )
    assert named.creates_log_group()


def test_namespace_values_decode_pulumi_engine_text() -> None:
    raw = {
        "session-manager:preferences": '{"idleSessionTimeout": 20}',
        "session-manager:documentName": "Custom-Prefs",
        "aws:region": "us-east-1",
    }
    assert namespace_values(raw) == {
        "preferences": {"idleSessionTimeout": 20},
        "documentName": "Custom-Prefs",
    }


def test_models_are_frozen() -> None:
    config = StackConfig()
    with pytest.raises(Exception, match="frozen"):
        config.document_name = "x"  # type: ignore[misc]
