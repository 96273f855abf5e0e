"""An offline stand-in for AWS under Pulumi's mock runtime.

It answers resource registrations and provider functions the way AWS would
shape them (ids, ARNs, key ids), deterministically and without any network, so
the offline plan and the tests show realistic, stable values.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, cast

import pulumi

from session_manager.aws.rules import partition_of_region

PLACEHOLDER_ACCOUNT_ID = "123456789012"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
_NAMESPACE = uuid.UUID("6f1d7a52-54a7-4f57-9a0b-3c1e0f5b7d21")


def fake_key_id(seed: str) -> str:
    """A stable, well-formed KMS key id for a resource or alias name."""
    return str(uuid.uuid5(_NAMESPACE, seed))


# EventBridge resources and the kind their ARN names; connections and API
# destinations end in a generated id.
EVENTS_ARN_KINDS = {
    "aws:cloudwatch/eventRule:EventRule": "rule",
    "aws:cloudwatch/eventConnection:EventConnection": "connection",
    "aws:cloudwatch/eventApiDestination:EventApiDestination": "api-destination",
}

# What each provider function's answer makes up (the rest follows from its arguments).
_MADE_UP_BY_FUNCTIONS: dict[str, frozenset[str]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": frozenset({"accountId", "arn", "userId"}),
    "aws:kms/getKey:getKey": frozenset({"id", "keyId", "arn"}),
    "aws:ec2/getVpc:getVpc": frozenset(
        {"cidrBlock", "arn", "cidrBlockAssociations", "ipv6CidrBlockAssociations"}
    ),
}


class AwsMocks(pulumi.runtime.Mocks):
    """Answers for the AWS resources and functions this project uses."""

    def __init__(
        self,
        account_id: str = PLACEHOLDER_ACCOUNT_ID,
        region: str = "us-east-1",
        organization_accounts: Mapping[str, list[str]] | None = None,
        organizational_units: Mapping[str, list[str]] | None = None,
        account_states: Mapping[str, str] | None = None,
        *,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        # OU id -> member account ids, for organizations functions.
        self.organization_accounts = dict(organization_accounts or {})
        # OU id -> every OU id below it, for the descendant-OU function.
        self.organizational_units = dict(organizational_units or {})
        # Account id -> its Organizations state, for those that aren't ACTIVE.
        self.account_states = dict(account_states or {})
        # Fully qualified stack name -> its exports, for stack references.
        self.stack_outputs = {name: dict(v) for name, v in (stack_outputs or {}).items()}
        # Provider id -> the account it is pinned to, so ARNs name the right account.
        self._provider_accounts: dict[str, str] = {}
        # Every id, ARN and account this stand-in made up, for the plan to mark.
        self.invented: set[str] = set()

    def _where(
        self, inputs: Mapping[str, Any], provider: str | None = None
    ) -> tuple[str, str, str]:
        region = str(inputs.get("region") or self.region)
        account = self.account_id
        if provider:
            account = self._provider_accounts.get(provider.rsplit("::", 1)[-1], account)
        return partition_of_region(region).name, region, account

    def _record_invented(self, answer: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        """Keep the strings of `answer` that AWS would have chosen, not the caller."""
        known = {value for value in given.values() if isinstance(value, str)}
        for key, value in answer.items():
            if isinstance(value, str) and value not in known and key not in given:
                self.invented.add(value)

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = self._new_resource(args)
        inputs = cast(dict[str, Any], args.inputs)  # pyright: ignore[reportUnknownMemberType]
        if not args.typ.startswith("pulumi:providers:"):
            self._record_invented({"id": resource_id, **state}, inputs)
        return resource_id, state

    def _new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(cast(dict[str, Any], args.inputs))  # pyright: ignore[reportUnknownMemberType]
        state = dict(inputs)
        partition, region, account = self._where(inputs, args.provider)
        name = str(inputs.get("name") or args.name)
        typ = args.typ
        resource_id = name
        if typ == STACK_REFERENCE:
            # The engine answers with the stack's outputs (pulumi/pulumi
            # pkg/resource/deploy/builtins.go readStackReference): here, its offline plan's.
            reference = str(inputs.get("name", ""))
            outputs = self.stack_outputs.get(reference, {})
            return reference, {"name": reference, "outputs": outputs, "secretOutputNames": []}
        if typ.startswith("pulumi:providers:"):
            provider_id = f"{args.name}-provider-id"
            allowed = inputs.get("allowedAccountIds")
            accounts = json.loads(allowed) if isinstance(allowed, str) else allowed
            if accounts:
                self._provider_accounts[provider_id] = str(accounts[0])
            return provider_id, state
        if typ == "aws:kms/key:Key":
            # From what the key is for, not from its Pulumi name: a key renamed through an
            # alias (a stack move) is the same key in AWS, with the same id.
            purpose = str(inputs.get("description") or args.name)
            resource_id = fake_key_id(f"{account}/{region}/{purpose}")
            state["keyId"] = resource_id
            state["arn"] = f"arn:{partition}:kms:{region}:{account}:key/{resource_id}"
        elif typ == "aws:kms/alias:Alias":
            state["arn"] = f"arn:{partition}:kms:{region}:{account}:{name}"
            state["targetKeyArn"] = (
                f"arn:{partition}:kms:{region}:{account}:key/{inputs.get('targetKeyId', '')}"
            )
        elif typ == "aws:cloudwatch/logGroup:LogGroup":
            state["arn"] = f"arn:{partition}:logs:{region}:{account}:log-group:{name}"
        elif typ == "aws:ssm/document:Document":
            state["arn"] = f"arn:{partition}:ssm:{region}:{account}:document/{name}"
            state.update(defaultVersion="1", latestVersion="1", documentVersion="1")
        elif typ == "aws:iam/policy:Policy":
            path = str(inputs.get("path") or "/")
            state["arn"] = f"arn:{partition}:iam::{account}:policy{path}{name}"
            resource_id = state["arn"]
        elif typ == "aws:iam/role:Role":
            state["arn"] = f"arn:{partition}:iam::{account}:role/{name}"
        elif typ == "aws:iam/instanceProfile:InstanceProfile":
            state["arn"] = f"arn:{partition}:iam::{account}:instance-profile/{name}"
        elif typ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            # A bucket's ARN and id come from the bucket name (the `bucket` input), not from
            # the Pulumi resource name: `arn:<partition>:s3:::<bucket>`.
            state["bucket"] = str(inputs.get("bucket") or name)
            state["arn"] = f"arn:{partition}:s3:::{state['bucket']}"
            resource_id = state["bucket"]
        elif typ == "aws:sns/topic:Topic":
            state["arn"] = f"arn:{partition}:sns:{region}:{account}:{name}"
            resource_id = state["arn"]
        elif typ == "aws:sqs/queue:Queue":
            state["arn"] = f"arn:{partition}:sqs:{region}:{account}:{name}"
            state["url"] = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
            resource_id = state["url"]
        elif typ in EVENTS_ARN_KINDS:
            kind = EVENTS_ARN_KINDS[typ]
            suffix = "" if kind == "rule" else f"/{fake_key_id(f'{account}/{region}/{name}')}"
            state["arn"] = f"arn:{partition}:events:{region}:{account}:{kind}/{name}{suffix}"
        elif "arn" not in state:
            state["arn"] = f"arn:{partition}:mock:{region}:{account}:{args.name}"
        return resource_id, state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        answer, failures = self._call(args)
        call_args = cast(dict[str, Any], args.args)  # pyright: ignore[reportUnknownMemberType]
        if args.token in _MADE_UP_BY_FUNCTIONS:
            made_up = {k: v for k, v in answer.items() if k in _MADE_UP_BY_FUNCTIONS[args.token]}
            # An account pinned by the provider is the user's, not made up.
            if made_up.get("accountId") != self.account_id:
                made_up.pop("accountId", None)
            self._record_invented(made_up, call_args)
        return answer, failures

    def _call(  # noqa: PLR0911 (one answer per provider function)
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        token = args.token
        call_args = cast(dict[str, Any], args.args)  # pyright: ignore[reportUnknownMemberType]
        partition, region, account = self._where(call_args, args.provider)
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": account,
                "arn": f"arn:{partition}:iam::{account}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
                "id": account,
            }, []
        if token == "aws:index/getPartition:getPartition":
            info = partition_of_region(region)
            return {"partition": info.name, "dnsSuffix": info.dns_suffix, "id": info.name}, []
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, []
        if token == "aws:ec2/getVpc:getVpc":
            vpc_id = str(call_args.get("id", "vpc-0"))
            return {
                "id": vpc_id,
                "cidrBlock": "10.0.0.0/16",
                "cidrBlockAssociations": [
                    {"associationId": "vpc-cidr-assoc-0", "cidrBlock": "10.0.0.0/16"}
                ],
                "ipv6CidrBlockAssociations": [],
                "arn": f"arn:{partition}:ec2:{region}:{account}:vpc/{vpc_id}",
            }, []
        if token == "aws:kms/getKey:getKey":
            reference = str(call_args.get("keyId", ""))
            key_id = fake_key_id(f"{account}/{region}/{reference}")
            return {
                "id": key_id,
                "keyId": key_id,
                "arn": f"arn:{partition}:kms:{region}:{account}:key/{key_id}",
                "enabled": True,
                "keyState": "Enabled",
            }, []
        if token.startswith("aws:organizations/getOrganizationalUnitDescendantOrganizationalUnits"):
            parent = str(call_args.get("parentId", ""))
            children = [
                {
                    "id": ou,
                    "arn": f"arn:{partition}:organizations::{account}:ou/o-exampleorg1/{ou}",
                    "name": ou,
                }
                for ou in self.organizational_units.get(parent, [])
            ]
            return {"id": parent, "parentId": parent, "childrens": children}, []
        if token.startswith("aws:organizations/getOrganizationalUnitDescendantAccounts"):
            parent = str(call_args.get("parentId", ""))
            accounts = [
                self._member(partition, account, member)
                for member in self.organization_accounts.get(parent, [])
            ]
            return {"id": parent, "parentId": parent, "accounts": accounts}, []
        if token == "aws:organizations/getOrganization:getOrganization":
            # The management account's view: every account it knows, with its state.
            members = sorted(
                {m for ms in self.organization_accounts.values() for m in ms}
                | set(self.account_states)
            )
            accounts = [self._member(partition, account, member) for member in members]
            return {"id": "o-exampleorg1", "accounts": accounts}, []
        return {}, []

    def _member(self, partition: str, account: str, member: str) -> dict[str, Any]:
        """One account as Organizations lists it (Account: Id, Arn, State, ...)."""
        state = self.account_states.get(member, "ACTIVE")
        # The deprecated Status knows no PENDING_ACTIVATION or CLOSED.
        status = state if state in ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE") else "SUSPENDED"
        return {
            "id": member,
            "arn": f"arn:{partition}:organizations::{account}:account/{member}",
            "name": f"account-{member}",
            "email": f"{member}@example.com",
            "state": state,
            "status": status,
            "joinedMethod": "CREATED",
            "joinedTimestamp": "2024-01-01T00:00:00Z",
        }
