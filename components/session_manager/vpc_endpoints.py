"""The SessionManagerVpcEndpoints component: Session Manager from private subnets."""

import pulumi
import pulumi_aws as aws

from session_manager.args import SessionManagerVpcEndpointsArgs
from session_manager.args_check import ArgsError, check_args, one_line_call_errors
from session_manager.aws.rules import endpoint_service_name
from session_manager.outputs import secret_where_shown

TYPE_TOKEN = "session-manager:index:SessionManagerVpcEndpoints"
# What every session needs; logs and kms are added when those features are on
# (aws/rules.py SESSION_ENDPOINT_SERVICES lists all).
CORE_SERVICES = ("ec2messages", "ssm", "ssmmessages")


class SessionManagerVpcEndpoints(pulumi.ComponentResource):
    """Interface endpoints (and an S3 gateway endpoint) for one VPC.

    Nodes without a route to the internet reach Systems Manager, and, as the
    preferences need them, CloudWatch Logs, KMS and S3, through these endpoints.
    The endpoints' security group accepts HTTPS from every CIDR block of the VPC,
    IPv4 and IPv6, through one managed prefix list per address family.
    """

    endpoint_ids: pulumi.Output[list[str]]
    """Ids of the endpoints."""

    @one_line_call_errors
    def __init__(
        self,
        name: str,
        args: SessionManagerVpcEndpointsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(type(self).__name__, args, SessionManagerVpcEndpointsArgs)
        super().__init__(TYPE_TOKEN, name, {}, opts)
        region = args.get("region")
        vpc_id = args.get("vpc_id")
        group = args.get("security_group_id")
        if not region or not vpc_id or not group:
            raise ArgsError(
                f"{type(self).__name__} {name}: args.region, args.vpc_id and "
                "args.security_group_id are required"
            )
        # Nodes in private subnets reach Session Manager only through these.
        child = pulumi.ResourceOptions(
            parent=self, retain_on_delete=args.get("retain_on_delete", True)
        )
        tags = dict(args.get("tags") or {})
        vpc = aws.ec2.get_vpc_output(
            id=vpc_id, region=region, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # Nodes in every CIDR block of the VPC reach the endpoints: secondary IPv4 blocks
        # and IPv6 blocks too, not just the primary block. How many blocks there are is
        # known only when the lookup answers, and resources are never created inside
        # .apply(), so the blocks become the entries (an input) of one managed prefix list
        # per address family, and each list gets one rule.
        blocks = {
            "ipv4": vpc.cidr_block_associations.apply(
                lambda found: sorted({a.cidr_block for a in found if a.cidr_block})
            ),
            "ipv6": vpc.ipv6_cidr_block_associations.apply(
                lambda found: sorted({a.ipv6_cidr_block for a in found if a.ipv6_cidr_block})
            ),
        }
        self.vpc_cidr_lists: dict[str, aws.ec2.ManagedPrefixList] = {}
        self.https_rules: dict[str, aws.vpc.SecurityGroupIngressRule] = {}
        for family, cidrs in blocks.items():
            self.vpc_cidr_lists[family] = aws.ec2.ManagedPrefixList(
                f"{name}-vpc-{family}-cidrs",
                region=region,
                name=f"{name}-vpc-{family}-cidrs",
                address_family="IPv4" if family == "ipv4" else "IPv6",
                # At least one: AWS refuses 0, and a VPC without IPv6 has no IPv6 block.
                max_entries=cidrs.apply(lambda found: max(len(found), 1)),
                entries=cidrs.apply(
                    lambda found: [
                        aws.ec2.ManagedPrefixListEntryArgs(cidr=cidr, description="VPC CIDR block")
                        for cidr in found
                    ]
                ),
                tags={**tags, "Name": f"{name}-vpc-{family}-cidrs"},
                opts=child,
            )
            # The IPv4 rule keeps the name it had when it named the primary block only.
            self.https_rules[family] = aws.vpc.SecurityGroupIngressRule(
                f"{name}-https-from-vpc" + ("" if family == "ipv4" else "-ipv6"),
                region=region,
                security_group_id=group,
                prefix_list_id=self.vpc_cidr_lists[family].id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description=f"HTTPS from the VPC's {family} blocks to the endpoints",
                opts=child,
            )
        self.https_rule = self.https_rules["ipv4"]
        requested: set[str] = set(args.get("services") or [])
        services: list[str] = sorted(requested | set(CORE_SERVICES))
        self.vpc_endpoints: dict[str, aws.ec2.VpcEndpoint] = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                region=region,
                vpc_id=vpc_id,
                service_name=endpoint_service_name(service, region),
                vpc_endpoint_type="Interface",
                subnet_ids=list(args.get("subnet_ids") or []),
                security_group_ids=[group],
                private_dns_enabled=True,
                tags={**tags, "Name": f"{name}-{service}"},
                opts=child,
            )
            for service in services
        }
        route_tables = list(args.get("route_table_ids") or [])
        if route_tables:
            self.vpc_endpoints["s3"] = aws.ec2.VpcEndpoint(
                f"{name}-s3",
                region=region,
                vpc_id=vpc_id,
                service_name=endpoint_service_name("s3", region, gateway=True),
                vpc_endpoint_type="Gateway",
                route_table_ids=route_tables,
                tags={**tags, "Name": f"{name}-s3"},
                opts=child,
            )
        self.endpoint_ids = pulumi.Output.all(*(e.id for e in self.vpc_endpoints.values())).apply(
            lambda ids: [str(i) for i in ids]
        )
        self.register_outputs(secret_where_shown({"endpoint_ids": self.endpoint_ids}))
