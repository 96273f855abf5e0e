"""The SessionManagerVpcEndpoints component: Session Manager from private subnets."""

import pulumi
import pulumi_aws as aws

from session_manager.args import SessionManagerVpcEndpointsArgs
from session_manager.args_check import check_args
from session_manager.aws.rules import endpoint_service_name
from session_manager.outputs import secret_where_shown

TYPE_TOKEN = "session-manager:index:SessionManagerVpcEndpoints"
# What every session needs; logs and kms are added when those features are on.
CORE_SERVICES = ("ec2messages", "ssm", "ssmmessages")


class SessionManagerVpcEndpoints(pulumi.ComponentResource):
    """Interface endpoints (and an S3 gateway endpoint) for one VPC.

    Nodes without a route to the internet reach Systems Manager, and, as the
    preferences need them, CloudWatch Logs, KMS and S3, through these endpoints.
    The endpoints' security group accepts HTTPS from the VPC's CIDR block.
    """

    endpoint_ids: pulumi.Output[list[str]]
    """Ids of the endpoints."""

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
            raise ValueError(f"{name}: region, vpc_id and security_group_id are required")
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.get("tags") or {})
        vpc = aws.ec2.get_vpc_output(
            id=vpc_id, region=region, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.https_rule = aws.vpc.SecurityGroupIngressRule(
            f"{name}-https-from-vpc",
            region=region,
            security_group_id=group,
            cidr_ipv4=vpc.cidr_block,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from the VPC to the Session Manager endpoints",
            opts=child,
        )
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
                service_name=endpoint_service_name("s3", region),
                vpc_endpoint_type="Gateway",
                route_table_ids=route_tables,
                tags={**tags, "Name": f"{name}-s3"},
                opts=child,
            )
        self.endpoint_ids = pulumi.Output.all(*(e.id for e in self.vpc_endpoints.values())).apply(
            lambda ids: [str(i) for i in ids]
        )
        self.register_outputs(secret_where_shown({"endpoint_ids": self.endpoint_ids}))
