"""VPC endpoints: verify finds each one, with its service, type and private DNS.

The emulator cannot create them from the plan (they need a real network), so the
test builds a VPC in moto, creates the endpoints the plan asks for by hand, and
then breaks one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import boto3
import yaml
from session_manager.offline.plan import run_plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import Emulator
from session_manager.ops.verify import DRIFT, IN_SYNC, verify

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "eu-west-1"


def test_vpc_endpoints_exist_with_service_and_private_dns(
    emulator_url: str, tmp_path: Path
) -> None:
    ec2: Any = boto3.client("ec2", endpoint_url=emulator_url, region_name=REGION, **CREDENTIALS)  # type: ignore[call-overload]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="endpoints", Description="x", VpcId=vpc)["GroupId"]
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": REGION,
        "session-manager:regions": [REGION],
        "session-manager:vpcEndpoints": [
            {"region": REGION, "vpcId": vpc, "subnetIds": [subnet], "securityGroupId": group}
        ],
    }
    (tmp_path / "Pulumi.net.yaml").write_text(yaml.safe_dump({"config": config}))
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

    def create(service: str, *, private_dns: bool) -> str:
        return ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=service,
            VpcEndpointType="Interface",
            SubnetIds=[subnet],
            SecurityGroupIds=[group],
            PrivateDnsEnabled=private_dns,
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
