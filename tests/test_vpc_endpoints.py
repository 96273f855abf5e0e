"""VPC endpoints: what nodes in private subnets need, for the features that are on."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.offline.plan import Plan, run_plan

ROOT = Path(__file__).resolve().parents[1]
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
    rule = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")[0].inputs
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (443, 443, "tcp")
    assert rule["cidrIpv4"] == "10.0.0.0/16"  # the VPC's own block, looked up at plan time


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


def test_china_uses_its_service_names(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, {}, region="cn-north-1")
    assert services(plan)["ssm"]["serviceName"] == "cn.com.amazonaws.cn-north-1.ssm"


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
