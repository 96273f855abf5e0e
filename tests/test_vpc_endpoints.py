"""VPC endpoints: what nodes in private subnets need, for the features that are on."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from session_manager import SessionManagerVpcEndpoints, SessionManagerVpcEndpointsArgs
from session_manager.aws.rules import endpoint_service_name
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, record_program, run_plan

ROOT = Path(__file__).resolve().parents[1]
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
ENDPOINTS = {
    "region": "us-east-1",
    "vpcId": "vpc-0123456789abcdef0",
    "subnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "securityGroupId": "sg-0123456789abcdef0",
    "routeTableIds": ["rtb-0123456789abcdef0"],
}


def plan_with(tmp_path: Path, extra: dict[str, Any], region: str = "us-east-1") -> Plan:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": region,
        "session-manager:vpcEndpoints": [{**ENDPOINTS, "region": region}],
    }
    config.update(extra)
    (tmp_path / "Pulumi.vpc.yaml").write_text(yaml.safe_dump({"config": config}))
    return run_plan(tmp_path, "vpc")


def services(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        r.inputs["serviceName"].rsplit(".", 1)[1]: r.inputs
        for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }


def test_default_features_get_ssm_logs_and_kms_endpoints(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, {})
    found = services(plan)
    assert set(found) == {"ec2messages", "kms", "logs", "ssm", "ssmmessages"}
    for inputs in found.values():
        assert inputs["vpcEndpointType"] == "Interface"
        assert inputs["privateDnsEnabled"] is True
        assert inputs["securityGroupIds"] == ["sg-0123456789abcdef0"]
        assert inputs["serviceName"].startswith("com.amazonaws.us-east-1.")
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert len(rules) == 2  # one per address family, each from a prefix list
    for rule in rules:
        assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443, 443)
        assert rule.inputs["ipProtocol"] == "tcp"
    lists = {r.inputs["addressFamily"]: r.inputs for r in plan.of_type(PREFIX_LIST)}
    # The VPC's own blocks, looked up at plan time (the mock VPC has one IPv4 block).
    assert [e["cidr"] for e in lists["IPv4"]["entries"]] == ["10.0.0.0/16"]
    assert lists["IPv6"]["entries"] == []
    assert lists["IPv6"]["maxEntries"] == 1


def test_s3_logging_adds_the_gateway_endpoint(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, {"session-manager:preferences": {"s3BucketName": "session-logs"}})
    s3 = services(plan)["s3"]
    assert s3["vpcEndpointType"] == "Gateway"
    assert s3["routeTableIds"] == ["rtb-0123456789abcdef0"]


def test_only_core_endpoints_without_logging_or_keys(tmp_path: Path) -> None:
    plan = plan_with(
        tmp_path,
        {
            "session-manager:preferences": {"kmsKeyId": "", "cloudWatchEncryptionEnabled": False},
            "session-manager:sessionDataKey": {"create": False},
            "session-manager:logGroup": {"create": False},
        },
    )
    assert set(services(plan)) == {"ec2messages", "ssm", "ssmmessages"}


def test_china_names_the_session_manager_services_com_amazonaws(tmp_path: Path) -> None:
    """aws-cdk packages/aws-cdk-lib/aws-ec2/lib/vpc-endpoint.ts (getDefaultEndpointPrefix):
    in cn-north-1 only listed services (ec2, sts, the S3 interface endpoint...) take
    cn.com.amazonaws; ssm, ssmmessages, ec2messages, logs, kms and the S3 gateway don't."""
    plan = plan_with(
        tmp_path, {"session-manager:preferences": {"s3BucketName": "logs"}}, region="cn-north-1"
    )
    names = {service: inputs["serviceName"] for service, inputs in services(plan).items()}
    assert names == {
        service: f"com.amazonaws.cn-north-1.{service}"
        for service in ("ec2messages", "kms", "logs", "s3", "ssm", "ssmmessages")
    }
    assert endpoint_service_name("sts", "cn-north-1") == "cn.com.amazonaws.cn-north-1.sts"
    assert endpoint_service_name("s3", "cn-north-1") == "cn.com.amazonaws.cn-north-1.s3"
    assert endpoint_service_name("s3", "cn-north-1", gateway=True) == "com.amazonaws.cn-north-1.s3"


class VpcWithManyBlocks(AwsMocks):
    """A VPC with a secondary IPv4 block and an IPv6 block, as DescribeVpcs reports them."""

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        if args.token == "aws:ec2/getVpc:getVpc":
            return {
                "id": "vpc-0123456789abcdef0",
                "cidrBlock": "10.0.0.0/16",
                "cidrBlockAssociations": [
                    {"associationId": "a-1", "cidrBlock": "10.0.0.0/16"},
                    {"associationId": "a-2", "cidrBlock": "100.64.0.0/16"},
                ],
                "ipv6CidrBlockAssociations": [
                    {"associationId": "a-3", "ipv6CidrBlock": "2600:1f18:abcd:1200::/56"}
                ],
            }, []
        return super().call(args)


def test_every_cidr_block_of_the_vpc_reaches_the_endpoints() -> None:
    """Issue 20: the rule admitted only the primary IPv4 block; nodes in a secondary or an
    IPv6 block could not reach the endpoints."""

    def program() -> None:
        SessionManagerVpcEndpoints(
            "ep",
            SessionManagerVpcEndpointsArgs(
                region="us-east-1",
                vpc_id="vpc-0123456789abcdef0",
                subnet_ids=["subnet-0123456789abcdef0"],
                security_group_id="sg-0123456789abcdef0",
            ),
        )

    plan = record_program(program, mocks=VpcWithManyBlocks())
    lists = {r.inputs["addressFamily"]: r for r in plan.of_type(PREFIX_LIST)}
    assert [e["cidr"] for e in lists["IPv4"].inputs["entries"]] == ["10.0.0.0/16", "100.64.0.0/16"]
    assert lists["IPv4"].inputs["maxEntries"] == 2
    assert [e["cidr"] for e in lists["IPv6"].inputs["entries"]] == ["2600:1f18:abcd:1200::/56"]
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(u for r in rules for u in r.input_dependencies["prefixListId"]) == sorted(
        r.urn for r in lists.values()
    )


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        ({"vpcId": "vpc-xyz"}, "vpcEndpoints[0].vpcId", "not a vpc id"),
        ({"subnetIds": []}, "vpcEndpoints[0].subnetIds", "at least one subnet"),
        ({"securityGroupId": "group"}, "vpcEndpoints[0].securityGroupId", "not a sg id"),
        ({"region": "eu-west-3"}, "vpcEndpoints[0].region", "not a managed Region"),
    ],
)
def test_bad_endpoint_config(change: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config({"vpcEndpoints": [{**ENDPOINTS, **change}]}, "us-east-1")
    found = dict(caught.value.problems)
    assert fragment in found[f"session-manager:{path}"], found
