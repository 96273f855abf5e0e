"""One organization stack with every optional part, for verify's drift table and coverage.

Keys, log groups, preferences and a custom document, instance role and policies, the
central bucket with Object Lock, lifecycle and access logging, and accountEvents with
its queue, rules, targets, alarm, topic and subscription.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, run_plan
from session_manager.ops.emulate import Emulator
from session_manager.ops.prerequisites import create_expected_buckets, create_expected_trails

ROOT = Path(__file__).resolve().parents[1]
HOME, MEMBER, OU_MEMBER, CENTRAL = "123456789012", "111111111111", "555555555555", "999999999999"
BUCKET, CUSTOM = "org-session-logs", "Team-TailAgentLog"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
EVENTS = "session-manager-account-events"
QUEUE = f"{EVENTS}-dead-letters"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def stack(tmp_path: Path) -> Plan:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": "us-east-1",
        "session-manager:regions": ["us-east-1", "eu-west-1"],
        "session-manager:targets": [
            {"account": MEMBER},
            {"organizationalUnit": "ou-ab12-cdef3456"},
        ],
        "session-manager:instanceAccess": {"createRole": True},
        "session-manager:tags": {"team": "platform-security"},
        "session-manager:centralLogging": {
            "account": CENTRAL,
            "bucketName": BUCKET,
            "organizationId": "o-exampleorg1",
        },
        "session-manager:documents": [
            {
                "name": CUSTOM,
                "content": {
                    "description": "tail",
                    "sessionType": "InteractiveCommands",
                    "properties": {"linux": {"commands": "tail -f /var/log/x.log"}},
                },
            }
        ],
        "session-manager:accountEvents": {
            "repository": "octo-org/preferences",
            "createAlarmTopic": True,
            "alarmEmails": ["platform@example.com"],
        },
        "session-manager:accountEventsToken": {"secure": "v1:placeholder-ciphertext"},
    }
    (tmp_path / "Pulumi.all.yaml").write_text(yaml.safe_dump({"config": config}))
    mocks = AwsMocks(organization_accounts={"ou-ab12-cdef3456": [OU_MEMBER]})
    token = {"session-manager:accountEventsToken": "github_pat_11ABCDEFG0123456789_test"}
    return run_plan(tmp_path, "all", mocks=mocks, config_overrides=token)


@dataclass
class Aws:
    url: str

    def __call__(self, service: str, account: str = HOME, region: str = "us-east-1") -> Any:
        """A client in `account`, through its OrganizationAccountAccessRole as the stack does."""
        kwargs: dict[str, Any] = dict(CREDENTIALS)
        if account != HOME:
            sts: Any = boto3.client("sts", endpoint_url=self.url, region_name=region, **CREDENTIALS)  # type: ignore[call-overload]
            granted = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                RoleSessionName="drift-table",
            )["Credentials"]
            kwargs = {
                "aws_access_key_id": granted["AccessKeyId"],
                "aws_secret_access_key": granted["SecretAccessKey"],
                "aws_session_token": granted["SessionToken"],
            }
        return boto3.client(service, endpoint_url=self.url, region_name=region, **kwargs)  # type: ignore[call-overload]

    def key(self, alias: str, account: str, region: str) -> dict[str, Any]:
        return self("kms", account, region).describe_key(KeyId=alias)["KeyMetadata"]


def deployed_stack(url: str, where: Path) -> tuple[Plan, Aws]:
    """The stack emulated on a freshly reset moto, with the buckets and trail it expects."""
    import requests

    requests.post(f"{url}/moto-api/reset", timeout=10)
    return deploy(url, stack(where))


def deploy(url: str, plan: Plan) -> tuple[Plan, Aws]:
    """`plan` emulated, with the buckets and trail it expects."""
    emulator = Emulator(url)
    create_expected_buckets(plan, emulator.access)
    create_expected_trails(plan, emulator.access)
    emulator.apply(plan)
    return plan, Aws(url)


def widen_invoke_policy(aws: Aws) -> None:
    # IAM PutRolePolicy over the planned inline policy: the target role may do anything
    aws("iam").put_role_policy(
        RoleName=f"{EVENTS}-invoke",
        PolicyName="invoke-deploy-trigger",
        PolicyDocument=json.dumps(ALLOW_ALL),
    )
