"""What AWS's emulator refuses, the plan refuses too: the limits pass against moto.

Each case sends the value the stack config would produce to moto's server on loopback,
the way the provider would at `pulumi up`, and checks moto refuses it; the same config
must be refused by the plan, naming its key. (moto accepts some things AWS refuses, such
as the `aws:` tag prefix on IAM; those cases are in test_limits.py, cited to AWS.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}],
    }
)


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]


def tagged_policy(tags: dict[str, str]) -> Callable[[str], None]:
    def create(url: str) -> None:
        client(url, "iam").create_policy(
            PolicyName="tagged",
            PolicyDocument=POLICY,
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )

    return create


def two_policies(name: str) -> Callable[[str], None]:
    def create(url: str) -> None:
        iam = client(url, "iam")
        iam.create_policy(PolicyName=name, PolicyDocument=POLICY)
        iam.create_policy(PolicyName=name, PolicyDocument=POLICY)

    return create


def two_aliases(alias: str) -> Callable[[str], None]:
    def create(url: str) -> None:
        kms = client(url, "kms")
        for _ in range(2):
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=alias, TargetKeyId=key)

    return create


MANY = {f"t{i}": "v" for i in range(51)}
CASES: list[tuple[str, dict[str, Any], str, Callable[[str], None], str]] = [
    ("long tag key", {"tags": {"k" * 129: "v"}}, f"tags.{'k' * 129}",
     tagged_policy({"k" * 129: "v"}), "ValidationError"),
    ("long tag value", {"tags": {"k": "v" * 257}}, "tags.k",
     tagged_policy({"k": "v" * 257}), "ValidationError"),
    ("tag character", {"tags": {"k!": "v"}}, "tags.k!", tagged_policy({"k!": "v"}),
     "ValidationError"),
    ("51 tags", {"tags": MANY}, "tags", tagged_policy(MANY), "ValidationError"),
    ("two policies with one name",
     {"instanceAccess": {"policyName": "SM"}, "accessPolicies": {"sessionUsers": {"name": "SM"}}},
     "accessPolicies.sessionUsers.name", two_policies("SM"), "EntityAlreadyExists"),
    ("two keys with one alias",
     {"sessionDataKey": {"alias": "alias/sm"}, "logGroup": {"kmsKeyAlias": "alias/sm"}},
     "logGroup.kmsKeyAlias", two_aliases("alias/sm"), "AlreadyExistsException"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("config", "path", "create", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_plan_refuses_what_the_emulator_refuses(
    emulator_url: str,
    config: dict[str, Any],
    path: str,
    create: Callable[[str], None],
    code: str,
) -> None:
    with pytest.raises(ClientError) as refused:
        create(emulator_url)
    assert refused.value.response.get("Error", {}).get("Code") == code
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config, "us-east-1")
    assert f"session-manager:{path}" in dict(caught.value.problems)
