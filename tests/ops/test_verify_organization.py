"""An organization built with moto's Organizations API, emulated and verified from AWS.

No `--ou-accounts`: verify, adopt and emulate read each OU's active accounts from
Organizations (descendant OUs included, closed and excluded accounts left out),
as the program does at `pulumi up`. Then one drift of each kind the issue lists
is injected, each in a different place, and verify must name exactly those.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from session_manager.offline.load import load_plan
from session_manager.offline.plan import Plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import Emulator
from session_manager.ops.organization import resolve_for_plan
from session_manager.ops.verify import DRIFT, IN_SYNC, Report, format_report, verify
from session_manager.ops.verify_markdown import markdown_report

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
EXPLICIT = "333333333333"
CENTRAL = "999999999999"
ROLE = "SessionManagerInstanceRole"
POLICY = "SessionManagerInstanceAccess"
CUSTOM = "Team-TailAgentLog"
# Typed per service by boto3-stubs; services are chosen at run time here.
new_client: Any = boto3.client  # pyright: ignore[reportUnknownMemberType]


@dataclass
class Organization:
    url: str
    project: Path
    ou: str
    empty_ou: str
    member: str  # directly in the OU
    nested: str  # in an OU below it
    closed: str
    excluded: str


def client(url: str, service: str, region: str = "us-east-1", account: str = "") -> Any:
    """A client in the emulator's default account, or in `account` through its role."""
    if not account:
        return new_client(service, endpoint_url=url, region_name=region, **CREDENTIALS)
    granted = client(url, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="inject",
    )["Credentials"]
    return new_client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=granted["AccessKeyId"],
        aws_secret_access_key=granted["SecretAccessKey"],
        aws_session_token=granted["SessionToken"],
    )


def _new_account(org: Any, name: str, root: str, parent: str) -> str:
    status = org.create_account(Email=f"{name}@example.com", AccountName=name)
    account = str(status["CreateAccountStatus"]["AccountId"])
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
    return account


@pytest.fixture
def organization(emulator_url: str, tmp_path: Path) -> Organization:
    org = client(emulator_url, "organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")
    ou_id = ou["OrganizationalUnit"]["Id"]
    nested_ou = org.create_organizational_unit(ParentId=ou_id, Name="team")
    empty = org.create_organizational_unit(ParentId=root, Name="sandbox")
    found = Organization(
        url=emulator_url,
        project=tmp_path,
        ou=ou_id,
        empty_ou=empty["OrganizationalUnit"]["Id"],
        member=_new_account(org, "member", root, ou_id),
        nested=_new_account(org, "nested", root, nested_ou["OrganizationalUnit"]["Id"]),
        closed=_new_account(org, "closed", root, ou_id),
        excluded=_new_account(org, "excluded", root, ou_id),
    )
    org.close_account(AccountId=found.closed)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": "us-east-1",
        "session-manager:regions": ["us-east-1", "eu-west-1"],
        "session-manager:targets": [
            {"organizationalUnit": found.ou},
            {"organizationalUnit": found.empty_ou},
            {"account": EXPLICIT, "regions": ["eu-west-1"]},
        ],
        "session-manager:excludeAccounts": [found.excluded],
        "session-manager:instanceAccess": {"createRole": True},
        "session-manager:centralLogging": {
            "account": CENTRAL,
            "bucketName": "org-session-logs",
            "organizationId": org_id,
        },
        "session-manager:documents": [
            {
                "name": CUSTOM,
                "content": {
                    "description": "View the agent log",
                    "sessionType": "InteractiveCommands",
                    "properties": {"linux": {"commands": "tail -f /var/log/amazon/ssm/x.log"}},
                },
            }
        ],
    }
    # JSON quotes every string: moto's account ids may start with 0, which PyYAML writes
    # plain and go-yaml v3 (the Pulumi CLI) would read as a number.
    (tmp_path / "Pulumi.org.yaml").write_text(json.dumps({"config": config}, indent=2))
    return found


def plan_from_aws(org: Organization) -> tuple[Plan, list[str]]:
    """The plan as verify builds it: the OUs' accounts read from the emulator's Organizations."""
    members = resolve_for_plan(AwsAccess(org.url, credentials=CREDENTIALS), org.project, "org", [])
    plan = load_plan(org.project, "org", members.flags(), resolve_outputs=False)
    return plan, members.warnings


def run_cli(
    org: Organization, *args: str, credentials: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    if credentials:
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    common = ["--stack", "org", "--project-dir", str(org.project), "--endpoint-url", org.url]
    return subprocess.run(
        [sys.executable, "-m", "session_manager", *args, *common],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_ou_accounts_are_read_from_organizations_and_verified(organization: Organization) -> None:
    org = organization
    members = resolve_for_plan(AwsAccess(org.url, credentials=CREDENTIALS), org.project, "org", [])
    # Descendants included; the closed account is not ACTIVE (Organizations' Account.State).
    assert members.accounts[org.ou] == sorted([org.member, org.nested, org.excluded])
    assert members.accounts[org.empty_ou] == []
    # ... and is handed to the plan with its state, which skips it with a warning.
    (state,) = members.inactive[org.ou].values()
    assert f"{org.closed}:{state}" in members.flags()[0]
    plan, _ = plan_from_aws(org)
    assert any(f"account {org.closed} is {state}" in w for w in plan.warnings)

    emulated = run_cli(org, "emulate")
    assert emulated.returncode == 0, emulated.stderr
    verified = run_cli(org, "verify", "--format", "json")
    assert verified.returncode == IN_SYNC, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["status"] == "in_sync"
    targets = {(t["account"], t["region"]) for t in report["targets"]}
    assert targets == {
        (org.member, "us-east-1"),
        (org.member, "eu-west-1"),
        (org.nested, "us-east-1"),
        (org.nested, "eu-west-1"),
        (EXPLICIT, "eu-west-1"),
        (CENTRAL, "us-east-1"),
    }
    assert [w for w in report["warnings"] if org.empty_ou in w and "no active account" in w]

    # adopt sees the documents in the OU accounts too (they exist: all of them are listed).
    out = org.project / "adopt.json"
    adopted = run_cli(org, "adopt", "--out", str(out))
    assert adopted.returncode == 0, adopted.stderr
    providers = {e.get("provider") for e in json.loads(out.read_text())["resources"]}
    assert {f"aws-{org.member}", f"aws-{org.nested}", f"aws-{EXPLICIT}"} <= providers

    # A member's document whose default is not its latest: the report and the command name
    # the account and the role the program assumes there, whose credentials the fix needs.
    ssm = client(org.url, "ssm", account=org.member)
    changed = json.loads(ssm.get_document(Name="SSM-SessionManagerRunShell")["Content"])
    changed["inputs"]["idleSessionTimeout"] = "59"
    ssm.update_document(
        Name="SSM-SessionManagerRunShell", Content=json.dumps(changed), DocumentVersion="$LATEST"
    )
    out.unlink()
    held = run_cli(org, "adopt", "--out", str(out))
    assert held.returncode == 1, held.stderr
    role = f"arn:aws:iam::{org.member}:role/OrganizationAccountAccessRole"
    assert f"(account {org.member}, as role {role})" in held.stdout
    assert f"--region us-east-1   # in account {org.member}, as role {role}" in held.stdout
    assert not out.exists()


# --- Drift injection: each in its own account-Region, so none hides another.


def widen_instance_policy(org: Organization) -> None:
    iam = client(org.url, "iam", account=org.member)
    arn = f"arn:aws:iam::{org.member}:policy/{POLICY}"
    wide = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(wide), SetAsDefault=True)


def delete_instance_role(org: Organization) -> None:
    iam = client(org.url, "iam", account=org.nested)
    iam.remove_role_from_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
    for attached in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=ROLE, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=ROLE)


def remove_attachment(org: Organization) -> None:
    client(org.url, "iam", account=EXPLICIT).detach_role_policy(
        RoleName=ROLE, PolicyArn=f"arn:aws:iam::{EXPLICIT}:policy/{POLICY}"
    )


def replace_key_policy(org: Organization) -> None:
    kms = client(org.url, "kms", "us-east-1", account=org.member)
    key = kms.describe_key(KeyId="alias/session-manager/logs")["KeyMetadata"]["KeyId"]
    open_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
    }
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(open_policy))


def rotation_off(org: Organization) -> None:
    kms = client(org.url, "kms", "eu-west-1", account=org.nested)
    key = kms.describe_key(KeyId="alias/session-manager/data")["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key)


def remove_bucket_policy(org: Organization) -> None:
    client(org.url, "s3", account=CENTRAL).delete_bucket_policy(Bucket="org-session-logs")


def suspend_versioning(org: Organization) -> None:
    client(org.url, "s3", account=CENTRAL).put_bucket_versioning(
        Bucket="org-session-logs", VersioningConfiguration={"Status": "Suspended"}
    )


def lower_retention(org: Organization) -> None:
    client(org.url, "logs", "eu-west-1", account=EXPLICIT).put_retention_policy(
        logGroupName="ssm-sessionmanager-logs", retentionInDays=7
    )


def edit_custom_document(org: Organization) -> None:
    ssm = client(org.url, "ssm", "eu-west-1", account=org.member)
    content = json.loads(ssm.get_document(Name=CUSTOM)["Content"])
    content["properties"]["linux"]["commands"] = "cat /etc/shadow"
    version = ssm.update_document(
        Name=CUSTOM, Content=json.dumps(content), DocumentVersion="$LATEST"
    )["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name=CUSTOM, DocumentVersion=version)


def drift_keys(report: Report) -> set[tuple[str, str, str]]:
    return {(r.target, d.resource, d.field) for r in report.results for d in r.drifts}


def test_each_injected_drift_is_caught_and_named(organization: Organization) -> None:
    org = organization
    plan, warnings = plan_from_aws(org)
    Emulator(org.url).apply(plan)
    access = AwsAccess(org.url, credentials=CREDENTIALS)
    assert verify(plan, access).exit_code == IN_SYNC
    for inject in (
        widen_instance_policy,
        delete_instance_role,
        remove_attachment,
        replace_key_policy,
        rotation_off,
        remove_bucket_policy,
        suspend_versioning,
        lower_retention,
        edit_custom_document,
    ):
        inject(org)

    report = verify(plan, access, warnings=warnings)
    assert report.status == DRIFT
    member_us, member_eu = f"{org.member} us-east-1", f"{org.member} eu-west-1"
    nested_eu = f"{org.nested} eu-west-1"
    explicit, central = f"{EXPLICIT} eu-west-1", f"{CENTRAL} us-east-1"
    instance_policy = f"arn:aws:iam::{EXPLICIT}:policy/{POLICY}"
    # Exactly these, and nothing else: the untouched account-Regions stay in sync.
    # IAM is account-wide: it is checked with the account's first Region (eu-west-1).
    assert drift_keys(report) == {
        (member_eu, f"iam policy {POLICY}", "policy"),
        (nested_eu, f"iam role {ROLE}", "role"),
        (nested_eu, f"iam role {ROLE}", "attachedPolicy"),
        (nested_eu, f"iam instance profile {ROLE}", "role"),
        (explicit, f"iam role {ROLE}", "attachedPolicy"),
        (member_us, "kms key alias/session-manager/logs", "policy"),
        (nested_eu, "kms key alias/session-manager/data", "enableKeyRotation"),
        (central, "bucket org-session-logs", "policy"),
        (central, "bucket org-session-logs", "versioningConfiguration.status"),
        (explicit, "log group ssm-sessionmanager-logs", "retentionInDays"),
        (member_eu, f"document {CUSTOM}", "properties.linux.commands"),
    }
    by_key = {(r.target, d.resource, d.field): d for r in report.results for d in r.drifts}
    widened = by_key[(member_eu, f"iam policy {POLICY}", "policy")]
    # Only the changed statements, normalized: the wide one is in AWS, not in the plan.
    assert {"Action": ["*"], "Effect": "Allow", "Resource": ["*"]} in widened.actual
    assert widened.wanted
    assert all("Sid" in s for s in widened.wanted)
    opened = by_key[(member_us, "kms key alias/session-manager/logs", "policy")]
    assert {
        "Action": ["kms:*"],
        "Effect": "Allow",
        "Principal": {"AWS": ["*"]},
        "Resource": ["*"],
    } in opened.actual
    assert str(by_key[(explicit, f"iam role {ROLE}", "attachedPolicy")].wanted) == instance_policy
    retention = by_key[(explicit, "log group ssm-sessionmanager-logs", "retentionInDays")]
    assert (retention.wanted, retention.actual) == (365, 7)
    versioning = by_key[(central, "bucket org-session-logs", "versioningConfiguration.status")]
    assert (versioning.wanted, versioning.actual) == ("Enabled", "Suspended")
    edited = by_key[(member_eu, f"document {CUSTOM}", "properties.linux.commands")]
    assert edited.actual == "cat /etc/shadow"

    text = format_report(report)
    assert f"DRIFT  {member_eu}: 2 drifted field(s)" in text
    assert '+ {"Action": ["*"], "Effect": "Allow", "Resource": ["*"]}' in text

    markdown = markdown_report(report)
    assert "| account | eu-west-1 | us-east-1 |" in markdown
    assert f"| {org.member} | ❌ drift (2) | ❌ drift (1) |" in markdown
    assert f"| {CENTRAL} | n/a | ❌ drift (2) |" in markdown
    # One row per finding: its severity, id, resource and field, then the targets.
    # The attachment drifted two ways (removed here, its role deleted in another
    # account): two causes, so each id carries a digest of its values.
    # IAM is global: its findings name the account alone, not a Region.
    account = explicit.split(" ", maxsplit=1)[0]
    rows = [line for line in markdown.splitlines() if f"| {account} " in line]
    assert any(
        re.match(
            r"\| breaks sessions \| "
            r"`iam-role-sessionmanagerinstancerole/attachedPolicy~[0-9a-f]{8}` "
            rf"\| iam role {ROLE} \| attachedPolicy \|",
            row,
        )
        for row in rows
    ), rows
    assert "```diff" in markdown
    assert org.empty_ou in markdown


def test_organizations_unreadable_still_prints_the_report(organization: Organization) -> None:
    # The drift workflow publishes stdout as the job summary: it must say what failed.
    result = run_cli(organization, "verify", "--format", "markdown", credentials=False)
    assert result.returncode == 2
    assert "### Could not check" in result.stdout
    for ou in (organization.ou, organization.empty_ou):
        assert f"could not read the accounts of organizational unit {ou}" in result.stdout
    assert "no AWS credentials were found" in result.stdout
    assert f"organizational unit {organization.ou}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unreadable_ou_is_an_error_line_and_the_rest_is_checked(
    organization: Organization,
) -> None:
    org = organization
    assert run_cli(org, "emulate").returncode == 0
    stack = org.project / "Pulumi.org.yaml"
    config = yaml.safe_load(stack.read_text())
    gone = "ou-zzzz-00000000"  # well formed, but no such OU in the organization
    config["config"]["session-manager:targets"].append({"organizationalUnit": gone})
    stack.write_text(json.dumps(config, indent=2))
    result = run_cli(org, "verify", "--format", "json")
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "cannot_check"
    assert len(report["errors"]) == 1
    assert f"organizational unit {gone}" in report["errors"][0]
    # The readable OU's accounts were still checked, and are in sync.
    checked = {(t["account"], t["status"]) for t in report["targets"]}
    assert (org.member, "in_sync") in checked
    assert (org.nested, "in_sync") in checked


def test_adopt_stops_on_an_unreadable_ou_naming_it(organization: Organization) -> None:
    result = run_cli(organization, "adopt", "--out", "x.json", credentials=False)
    assert result.returncode == 2
    assert f"organizational unit {organization.ou}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
