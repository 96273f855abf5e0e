"""EC2: each VPC endpoint the stack creates exists with its service, type and private DNS."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, cast

from session_manager.offline.plan import PlannedResource
from session_manager.ops.drift.compare import Check, CheckContext
from session_manager.ops.drift.severity import BREAKS_SESSIONS, WEAKENS_SECURITY

VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
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


def check_prefix_list(ctx: CheckContext, resource: PlannedResource) -> None:
    """The endpoints' security group admits HTTPS from these CIDRs (one list per address
    family): EC2 DescribeManagedPrefixLists by name, GetManagedPrefixListEntries."""
    name = str(resource.inputs["name"])
    label = f"prefix list {name}"
    ctx.checked(label)
    ec2 = ctx.client("ec2")
    held = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [name]}]
    )["PrefixLists"]
    if not held:
        ctx.missing(label, "prefixList")
        return
    found = held[0]
    pages = ec2.get_paginator("get_managed_prefix_list_entries").paginate(
        PrefixListId=found["PrefixListId"]
    )
    entries = [e for page in pages for e in page.get("Entries", [])]
    wanted = cast(list[dict[str, Any]], resource.inputs.get("entries") or [])
    planned, actual = {str(e["cidr"]) for e in wanted}, {str(e["Cidr"]) for e in entries}
    if planned != actual:
        # A block no entry covers any more: nodes in it can no longer reach the endpoints
        # over HTTPS. Every block still covered (entries added, or replaced by a wider
        # one such as 0.0.0.0/0): more sources reach them than the VPC's.
        severity = WEAKENS_SECURITY if covered(planned, actual) else BREAKS_SESSIONS
        ctx.drift(label, "entries", sorted(planned), sorted(actual), severity=severity)
    shaped = {
        "name": found.get("PrefixListName"),
        "addressFamily": found.get("AddressFamily"),
        "maxEntries": found.get("MaxEntries"),
        "tags": {t["Key"]: t["Value"] for t in found.get("Tags", [])},
    }
    ctx.compare_inputs(label, resource, shaped, skip=("entries",))


def covered(planned: set[str], held: set[str]) -> bool:
    """Whether every planned CIDR lies within one held CIDR of its address family."""
    networks = [ipaddress.ip_network(c, strict=False) for c in held]
    return all(
        any(
            n.version == wanted.version and wanted.subnet_of(n)  # type: ignore[arg-type]
            for n in networks
        )
        for wanted in (ipaddress.ip_network(c, strict=False) for c in planned)
    )


CHECKS: dict[str, Check] = {
    VPC_ENDPOINT: check_vpc_endpoint,
    PREFIX_LIST: check_prefix_list,
}
