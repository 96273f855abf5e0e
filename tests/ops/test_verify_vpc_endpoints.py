"""VPC endpoints: verify finds each one, with its service, type and private DNS.

The emulator cannot create them from the plan (they need a real network), so the
test builds a VPC in moto, creates the endpoints the plan asks for by hand, and
then breaks one.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import boto3
import yaml
from conftest import cli as shared_cli
from session_manager.offline.plan import run_plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.severity import BREAKS_SESSIONS, WEAKENS_SECURITY
from session_manager.ops.emulate import Emulator
from session_manager.ops.verify import DRIFT, IN_SYNC, emulated_part, verify

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str]) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return shared_cli(*args, env={**base, **env}, timeout=180)


CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "eu-west-1"


def net_stack(tmp_path: Path, vpc: str, subnet: str, group: str) -> None:
    """A stack "net" with VPC endpoints in one VPC."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    endpoint = {"region": REGION, "vpcId": vpc, "subnetIds": [subnet], "securityGroupId": group}
    config = {
        "aws:region": REGION,
        "session-manager:regions": [REGION],
        "session-manager:vpcEndpoints": [endpoint],
    }
    (tmp_path / "Pulumi.net.yaml").write_text(yaml.safe_dump({"config": config}))


def test_vpc_endpoints_exist_with_service_and_private_dns(
    emulator_url: str, tmp_path: Path
) -> None:
    ec2: Any = boto3.client("ec2", endpoint_url=emulator_url, region_name=REGION, **CREDENTIALS)  # type: ignore[call-overload]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="endpoints", Description="x", VpcId=vpc)["GroupId"]
    net_stack(tmp_path, vpc, subnet, group)
    plan = run_plan(tmp_path, "net")
    Emulator(emulator_url, default_region=REGION).apply(plan)
    access = AwsAccess(emulator_url, credentials=CREDENTIALS)
    endpoints = plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    services = sorted(str(e.inputs["serviceName"]) for e in endpoints)
    assert "com.amazonaws.eu-west-1.ssmmessages" in services

    missing = verify(plan, access)
    assert missing.status == DRIFT
    found = {(d.resource, d.field) for r in missing.results for d in r.drifts}
    assert found == {(f"vpc endpoint {s} in {vpc}", "vpcEndpoint") for s in services}

    planned_tags = {str(e.inputs["serviceName"]): e.inputs.get("tags") or {} for e in endpoints}

    def create(service: str, *, private_dns: bool) -> str:
        # With the planned tags: tags are compared like every other input (issue 22).
        tags = [{"Key": k, "Value": str(v)} for k, v in planned_tags[service].items()]
        return ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=service,
            VpcEndpointType="Interface",
            SubnetIds=[subnet],
            SecurityGroupIds=[group],
            PrivateDnsEnabled=private_dns,
            TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": tags}],
        )["VpcEndpoint"]["VpcEndpointId"]

    created = {service: create(service, private_dns=True) for service in services}
    in_sync = verify(plan, access)
    assert in_sync.exit_code == IN_SYNC, [str(d) for r in in_sync.results for d in r.drifts]

    ssmmessages = "com.amazonaws.eu-west-1.ssmmessages"
    # Replaced by hand without private DNS (moto's ModifyVpcEndpoint ignores the flag).
    ec2.delete_vpc_endpoints(VpcEndpointIds=[created[ssmmessages]])
    create(ssmmessages, private_dns=False)
    drifted = verify(plan, access)
    lines = [str(d) for r in drifted.results for d in r.drifts]
    assert lines == [
        f"vpc endpoint {ssmmessages} in {vpc} privateDnsEnabled: wanted true, actual false"
    ]


def test_verify_after_emulate_leaves_out_what_emulate_skipped(
    emulator_url: str, tmp_path: Path
) -> None:
    """Issue 22: `emulate` skips the endpoints (they name a VPC only a real account has);
    `verify --endpoint-url` must not then report them missing, as only `demo` used to
    filter them. Both say what was left out."""
    net_stack(tmp_path, "vpc-0123456789abcdef0", "subnet-0123456789abcdef0", "sg-0123456789abcdef0")
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    args = ("--stack", "net", "--project-dir", str(tmp_path), "--endpoint-url", emulator_url)
    emulated = cli("emulate", *args, env=env)
    assert emulated.returncode == 0, emulated.stdout + emulated.stderr
    skipped = emulated.stdout.count("skipped aws:")
    assert skipped >= 3
    checked = cli("verify", *args, "--format", "json", env=env)
    report = json.loads(checked.stdout)
    assert checked.returncode == 0, checked.stdout
    assert report["findings"] == []
    assert any(f"not emulated, so not verified: {skipped}" in w for w in report["warnings"])


def test_the_endpoints_cidr_lists_are_emulated_and_their_entries_compared(
    emulator_url: str, tmp_path: Path
) -> None:
    """The managed prefix lists the endpoints' security group admits HTTPS from hold only
    CIDR blocks: emulate creates them (EC2 CreateManagedPrefixList) and verify compares
    their entries (GetManagedPrefixListEntries). A block added by hand lets more sources
    reach the endpoints, as does a wider block replacing the VPC's; the VPC's block
    removed with nothing covering it shuts its nodes out of them."""
    net_stack(tmp_path, "vpc-0123456789abcdef0", "subnet-0123456789abcdef0", "sg-0123456789abcdef0")
    plan = run_plan(tmp_path, "net")
    lists = plan.of_type("aws:ec2/managedPrefixList:ManagedPrefixList")
    assert len(lists) == 2  # one per address family
    created = Emulator(emulator_url, default_region=REGION).apply(plan).created
    assert {r.urn for r in lists} <= {r.urn for r in created}
    part, _ = emulated_part(plan)
    access = AwsAccess(emulator_url, credentials=CREDENTIALS)
    in_sync = verify(part, access)
    assert in_sync.exit_code == IN_SYNC, [str(d) for r in in_sync.results for d in r.drifts]
    assert any(c.startswith("prefix list ") for r in in_sync.results for c in r.checked)

    ec2: Any = boto3.client("ec2", endpoint_url=emulator_url, region_name=REGION, **CREDENTIALS)  # type: ignore[call-overload]
    ipv4 = next(r for r in lists if r.inputs["addressFamily"] == "IPv4")
    name = str(ipv4.inputs["name"])
    planned = sorted(str(e["cidr"]) for e in ipv4.inputs["entries"])

    def held() -> dict[str, Any]:
        filters = [{"Name": "prefix-list-name", "Values": [name]}]
        return ec2.describe_managed_prefix_lists(Filters=filters)["PrefixLists"][0]

    found = held()
    ec2.modify_managed_prefix_list(
        PrefixListId=found["PrefixListId"],
        CurrentVersion=found["Version"],
        AddEntries=[{"Cidr": "0.0.0.0/0"}],
        PrefixListName=name,  # moto's ModifyManagedPrefixList drops a name left out
    )
    opened = [d for r in verify(part, access).results for d in r.drifts]
    assert [(d.resource, d.field, d.severity) for d in opened] == [
        (f"prefix list {name}", "entries", WEAKENS_SECURITY),
    ]
    assert opened[0].actual == sorted([*planned, "0.0.0.0/0"])

    found = held()
    ec2.modify_managed_prefix_list(
        PrefixListId=found["PrefixListId"],
        CurrentVersion=found["Version"],
        RemoveEntries=[{"Cidr": c} for c in planned],
        PrefixListName=name,
    )
    # The VPC's blocks replaced by 0.0.0.0/0 (the review's C15): the nodes still reach
    # the endpoints, and so does everyone else: weaker, not broken.
    wider = [d for r in verify(part, access).results for d in r.drifts if d.field == "entries"]
    assert [(d.actual, d.severity) for d in wider] == [(["0.0.0.0/0"], WEAKENS_SECURITY)]

    found = held()
    ec2.modify_managed_prefix_list(
        PrefixListId=found["PrefixListId"],
        CurrentVersion=found["Version"],
        AddEntries=[{"Cidr": "192.0.2.0/24"}],
        RemoveEntries=[{"Cidr": "0.0.0.0/0"}],
        PrefixListName=name,
    )
    # Only a block outside the VPC's: its nodes are shut out of the endpoints.
    shut = [d for r in verify(part, access).results for d in r.drifts if d.field == "entries"]
    assert [(d.actual, d.severity) for d in shut] == [(["192.0.2.0/24"], BREAKS_SESSIONS)]
