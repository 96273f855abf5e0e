"""The limits pass over a stack's planned resources (config/limits.py), case by case.

Each case was accepted silently before this pass (issue 20). The expected words come
from the rule's source, cited per group below.
"""

from __future__ import annotations

from typing import Any

import pytest
from session_manager.config.errors import ConfigError
from session_manager.config.limits import limit_warnings
from session_manager.config.loading import parse_stack_config

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
EU_KEY = f"arn:aws:kms:eu-west-1:111111111111:key/{KEY}"
GOV_KEY = f"arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/{KEY}"
VPC = {
    "region": "us-east-1",
    "vpcId": "vpc-12345678",
    "subnetIds": ["subnet-12345678"],
    "securityGroupId": "sg-12345678",
}
CENTRAL = {
    "account": "222222222222",
    "bucketName": "org-session-logs",
    "organizationId": "o-abcdefghij",
}
ONE_ACCOUNT = [{"account": "111111111111"}]


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(data, "us-east-1")
    return dict(caught.value.problems)


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # Tags: limits from botocore's models; `aws:` reserved (AWS tagging guide).
    ("reserved tag prefix", {"tags": {"aws:team": "x"}}, "tags.aws:team", "reserves"),
    ("long tag key", {"tags": {"k" * 129: "x"}}, f"tags.{'k' * 129}", "allows 128"),
    ("long tag value", {"tags": {"k": "v" * 257}}, "tags.k", "allows 256"),
    ("tag character", {"tags": {"owner!": "x"}}, "tags.owner!", "has '!'"),
    ("too many tags", {"tags": {f"t{i}": "v" for i in range(51)}}, "tags", "allows 50"),
    (
        "document tags with stack tags",
        {"documents": [{"name": "Team-Shell", "content": {"sessionType": "Standard_Stream"},
                        "tags": {"aws:x": "1"}}]},
        "documents[0].tags.aws:x",
        "reserves",
    ),
    # Document size: SSM quotas, "Maximum size of a document: 64 KB"
    # (https://docs.aws.amazon.com/general/latest/gr/ssm.html#limits_ssm).
    (
        "preferences document over 64 KB",
        {"preferences": {"shellProfile": {"linux": "echo hi\n" * 9000}}},
        "preferences.shellProfile.linux",
        "64 KB",
    ),
    # Negative days: S3 PutBucketLifecycleConfiguration requires positive Days
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html).
    (
        "negative lifecycle days",
        {"targets": ONE_ACCOUNT,
         "centralLogging": {**CENTRAL, "transitionToGlacierAfterDays": -1}},
        "centralLogging.transitionToGlacierAfterDays",
        "0 or more",
    ),
    # Ports: TCP ports are 1-65535 (RFC 9293 section 3.1); a local port of 0 lets the
    # plugin pick one (AWS-StartPortForwardingSession's localPortNumber description).
    (
        "port above 65535",
        {"documents": [{"name": "Team-Port", "content": {
            "sessionType": "Port", "properties": {"portNumber": "70000"}}}]},
        "documents[0].content.properties.portNumber",
        "from 1 to 65535",
    ),
    (
        "port parameter default of 0",
        {"documents": [{"name": "Team-Port", "content": {
            "sessionType": "Port", "properties": {"portNumber": "{{ portNumber }}"},
            "parameters": {"portNumber": {"type": "String", "default": "0"}}}}]},
        "documents[0].content.parameters.portNumber.default",
        "from 1 to 65535",
    ),
    (
        "negative local port",
        {"documents": [{"name": "Team-Port", "content": {
            "sessionType": "Port",
            "properties": {"portNumber": "22", "localPortNumber": -1}}}]},
        "documents[0].content.properties.localPortNumber",
        "from 0 to 65535",
    ),
    # Names unique per account (IAM) and per account and Region (KMS aliases):
    # IAM CreatePolicy EntityAlreadyExists, KMS CreateAlias AlreadyExistsException.
    (
        "two keys with one alias",
        {"sessionDataKey": {"alias": "alias/sm"}, "logGroup": {"kmsKeyAlias": "alias/sm"}},
        "logGroup.kmsKeyAlias",
        "sessionDataKey.alias",
    ),
    (
        "two IAM policies with one name",
        {"instanceAccess": {"policyName": "SM"},
         "accessPolicies": {"sessionUsers": {"name": "SM"}}},
        "accessPolicies.sessionUsers.name",
        "IAM refuses a second policy",
    ),
    (
        "the same VPC twice",
        {"vpcEndpoints": [VPC, {**VPC, "subnetIds": ["subnet-87654321"]}]},
        "vpcEndpoints[1].vpcId",
        "merge the entries",
    ),
    # Keys: a log group's and a Session document's key must be in their Region
    # (CloudWatch Logs AssociateKmsKey; the facts file, "KMS and CloudWatch Logs").
    (
        "session key in another Region",
        {"preferences": {"kmsKeyId": EU_KEY}},
        "preferences.kmsKeyId",
        "key of its own Region",
    ),
    (
        "session key of two Regions",
        {"regions": ["us-east-1", "us-west-2"],
         "preferences": {"kmsKeyId": f"arn:aws:kms:us-east-1:111111111111:key/{KEY}"}},
        "preferences.kmsKeyId",
        "us-west-2",
    ),
    (
        "session key in another partition",
        {"preferences": {"kmsKeyId": f"arn:aws-cn:kms:us-east-1:111111111111:key/{KEY}"}},
        "preferences.kmsKeyId",
        "partition aws-cn",
    ),
    (
        "log group key in another Region",
        {"logGroup": {"kmsKeyId": EU_KEY}},
        "logGroup.kmsKeyId",
        "the log group in us-east-1",
    ),
    (
        "bucket key in another partition",
        {"preferences": {"s3BucketName": "session-logs"},
         "s3Logging": {"bucketKmsKeyArn": GOV_KEY}},
        "s3Logging.bucketKmsKeyArn",
        "partition aws-us-gov",
    ),
    (
        "target override key in another Region",
        {"targets": [{"account": "111111111111",
                      "preferences": {"kmsKeyId": EU_KEY}}]},
        "targets[0].preferences.kmsKeyId",
        "key of its own Region",
    ),
    # A tag condition with no values matches nothing (IAM condition operators).
    (
        "empty tag condition",
        {"accessPolicies": {"sessionUsers": {"instanceTags": {"Team": []}}}},
        "accessPolicies.sessionUsers.instanceTags.Team",
        "lists no values",
    ),
    # Endpoint settings for what the stack does not manage.
    (
        "endpoints for an unmanaged account",
        {"targets": ONE_ACCOUNT, "vpcEndpoints": [{**VPC, "account": "333333333333"}]},
        "vpcEndpoints[0].account",
        "not a managed account",
    ),
    (
        "endpoints for an excluded account",
        {"targets": [{"organizationalUnit": "ou-ab12-cdef3456"}],
         "excludeAccounts": ["333333333333"],
         "vpcEndpoints": [{**VPC, "account": "333333333333"}]},
        "vpcEndpoints[0].account",
        "excludeAccounts",
    ),
    (
        "endpoints in a Region the account does not manage",
        {"regions": ["us-east-1", "us-west-2"],
         "targets": [{"account": "111111111111", "regions": ["us-west-2"]},
                     {"account": "444444444444"}],
         "vpcEndpoints": [{**VPC, "account": "111111111111"}]},
        "vpcEndpoints[0].region",
        "not managed in account 111111111111",
    ),
    # s3Logging's settings serve the preferences' bucket (program.py's S3 destinations);
    # with no bucket they grant and configure nothing: the user forgot the bucket.
    (
        "bucket key with no bucket",
        {"s3Logging": {"bucketKmsKeyArn": f"arn:aws:kms:us-east-1:111111111111:key/{KEY}"}},
        "s3Logging.bucketKmsKeyArn",
        "no preferences name an s3BucketName",
    ),
    (
        "bucket owner with central logging",
        {"targets": ONE_ACCOUNT, "centralLogging": CENTRAL,
         "s3Logging": {"bucketAccountId": "222222222222"}},
        "s3Logging.bucketAccountId",
        "centralLogging creates the log bucket",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_limits_pass_refuses_with_the_config_key(
    data: dict[str, Any], path: str, fragment: str
) -> None:
    found = problems(data)
    assert fragment in found.get(f"session-manager:{path}", ""), found


WARNINGS: list[tuple[str, dict[str, Any], str]] = [
    # The service ends a session at maxSessionDuration whatever the idle timeout
    # (Session Manager preferences, "Specify a maximum session duration").
    ("max shorter than idle", {"preferences": {"maxSessionDuration": 10}},
     "preferences.maxSessionDuration: 10 minutes is shorter than idleSessionTimeout (20)"),
    ("Run As user without Run As", {"preferences": {"runAsDefaultUser": "ec2-user"}},
     "preferences.runAsDefaultUser: ec2-user is ignored while runAsEnabled is false"),
    ("streaming to nowhere", {"logGroup": {"create": False}},
     "cloudWatchStreamingEnabled: true, but no log group receives the stream"),
    # An empty s3BucketName turns S3 logging off (the Session document schema, seeds/002).
    ("key prefix with no bucket", {"preferences": {"s3KeyPrefix": "sessions"}},
     "preferences.s3KeyPrefix: sessions is ignored while s3BucketName is empty"),
    ("key prefix with central logging",
     {"targets": ONE_ACCOUNT, "centralLogging": CENTRAL, "preferences": {"s3KeyPrefix": "x"}},
     "centralLogging.keyPrefix sets the prefix"),
    # Endpoints are same-Region only; the agent checks the bucket's encryption before
    # every session (facts file, "VPC endpoints in China").
    ("central bucket in another Region than the endpoints",
     {"targets": ONE_ACCOUNT, "centralLogging": {**CENTRAL, "region": "eu-west-1"},
      "regions": ["us-east-1", "eu-west-1"],
      "vpcEndpoints": [{**VPC, "account": "111111111111"}]},
     "vpcEndpoints[0].region: the central log bucket is in eu-west-1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "fragment"), [w[1:] for w in WARNINGS], ids=[w[0] for w in WARNINGS]
)
def test_settings_that_cannot_do_what_they_say_warn_with_the_fix(
    data: dict[str, Any], fragment: str
) -> None:
    warnings = limit_warnings(parse_stack_config(data, "us-east-1"), "us-east-1")
    assert any(fragment in warning for warning in warnings), warnings


def test_the_default_stack_gets_no_limit_warning() -> None:
    assert limit_warnings(parse_stack_config({}, "us-east-1"), "us-east-1") == []


@pytest.mark.parametrize("encrypted", [True, False])
def test_s3_logging_off_as_the_console_writes_it_stays_silent(encrypted: bool) -> None:
    """AWS's own example of the preferences document (Session document schema,
    https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-schema.html)
    has `"s3BucketName": ""` next to `"s3EncryptionEnabled": true`: S3 logging off, the
    flag left at its default. Copied as is, it gets no warning and no error."""
    data = {
        "preferences": {"s3BucketName": "", "s3KeyPrefix": "", "s3EncryptionEnabled": encrypted}
    }
    assert limit_warnings(parse_stack_config(data, "us-east-1"), "us-east-1") == []
