"""EC2: each VPC endpoint the stack creates exists with its service, type and private DNS."""

from __future__ import annotations

import re
from typing import Any, cast

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift.compare import Check, CheckContext

VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
# States of an endpoint that no longer serves (EC2 API reference, VpcEndpoint.State).
GONE = frozenset({"deleting", "deleted", "rejected", "failed", "expired"})


def check_vpc_endpoint(ctx: CheckContext, resource: PlannedResource) -> None:
    vpc, service = str(resource.inputs["vpcId"]), str(resource.inputs["serviceName"])
    label = f"vpc endpoint {service} in {vpc}"
    ctx.checked(label)
    pages = (
        ctx.client("ec2")
        .get_paginator("describe_vpc_endpoints")
        .paginate(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc]},
                {"Name": "service-name", "Values": [service]},
            ]
        )
    )
    live = [
        e
        for page in pages
        for e in page["VpcEndpoints"]
        if str(e.get("State", "")).lower() not in GONE
    ]
    if not live:
        ctx.missing(label, "vpcEndpoint")
        return
    endpoint = live[0]
    actual = {
        "vpcId": endpoint["VpcId"],
        "serviceName": endpoint["ServiceName"],
        "vpcEndpointType": endpoint.get("VpcEndpointType"),
        "privateDnsEnabled": endpoint.get("PrivateDnsEnabled", False),
        "subnetIds": endpoint.get("SubnetIds", []),
        "securityGroupIds": [g["GroupId"] for g in endpoint.get("Groups", [])],
        "routeTableIds": endpoint.get("RouteTableIds", []),
        "tags": {t["Key"]: t["Value"] for t in endpoint.get("Tags", [])},
    }
    # A security group the stack creates has only a placeholder id in the plan.
    groups = cast(list[Any], resource.inputs.get("securityGroupIds") or [])
    known = all(re.fullmatch(r"sg-[0-9a-f]{8,17}", str(g)) for g in groups)
    ctx.compare_inputs(label, resource, actual, skip=() if known else ("securityGroupIds",))


CHECKS: dict[str, Check] = {
    VPC_ENDPOINT: check_vpc_endpoint,
}
