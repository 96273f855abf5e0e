"""The floor: register recorded resources with Pulumi's mock runtime, and nothing else.

Reads a plan's JSON (`plan --json`) and registers exactly those resources, with
the same types, names, inputs, parents, providers and options, through the
Pulumi SDK alone: no config models, no renderer, no policy builders. What the
project adds on top of this is its own cost.

    python bench/floor.py plan.json
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await  # pyright: ignore[reportPrivateUsage]


class EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


# The same SDK classes the project uses: their construction cost is part of the floor.
CLASSES: dict[str, Any] = {
    "aws:kms/key:Key": aws.kms.Key,
    "aws:kms/alias:Alias": aws.kms.Alias,
    "aws:cloudwatch/logGroup:LogGroup": aws.cloudwatch.LogGroup,
    "aws:ssm/document:Document": aws.ssm.Document,
    "aws:iam/policy:Policy": aws.iam.Policy,
    "aws:iam/role:Role": aws.iam.Role,
    "aws:iam/instanceProfile:InstanceProfile": aws.iam.InstanceProfile,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": aws.iam.RolePolicyAttachment,
    "aws:s3/bucket:Bucket": aws.s3.Bucket,
    "aws:s3/bucketPolicy:BucketPolicy": aws.s3.BucketPolicy,
    "aws:s3/bucketVersioning:BucketVersioning": aws.s3.BucketVersioning,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": aws.s3.BucketOwnershipControls,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": aws.s3.BucketPublicAccessBlock,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        aws.s3.BucketServerSideEncryptionConfiguration
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        aws.s3.BucketLifecycleConfiguration
    ),
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def register_all(resources: list[dict[str, Any]]) -> None:
    by_urn: dict[str, pulumi.Resource] = {}
    pending = list(resources)
    # Parents before children, providers before their users.
    while pending:
        waiting: list[dict[str, Any]] = []
        for resource in pending:
            parent = resource["parent"]
            provider = resource["provider"]
            if (parent and parent in urns and parent not in by_urn) or (
                provider and provider in urns and provider not in by_urn
            ):
                waiting.append(resource)
                continue
            opts = pulumi.ResourceOptions(
                parent=by_urn.get(parent) if parent else None,
                provider=by_urn.get(provider) if provider else None,  # type: ignore[arg-type]
                retain_on_delete=resource["options"]["retainOnDelete"],
            )
            typ, name, inputs = resource["type"], resource["name"], resource["inputs"]
            if typ.startswith("pulumi:providers:"):
                created: pulumi.Resource = pulumi.ProviderResource(typ.split(":")[-1], name, inputs)
            elif typ.startswith("session-manager:"):
                created = pulumi.ComponentResource(typ, name, None, opts)
            else:
                kwargs = {snake(key): value for key, value in inputs.items()}
                created = CLASSES[typ](name, opts=opts, **kwargs)
            by_urn[resource["urn"]] = created
        if len(waiting) == len(pending):
            raise RuntimeError("unresolvable parents or providers")
        pending = waiting


plan = json.loads(Path(sys.argv[1]).read_text())
# The engine's default provider is not registered by programs.
recorded = [r for r in plan["resources"] if not r["name"].startswith("default_")]
urns = {r["urn"] for r in recorded}
for r in recorded:
    if r["provider"] not in urns:
        r["provider"] = None
asyncio.set_event_loop(asyncio.new_event_loop())
pulumi.runtime.set_mocks(EchoMocks(), project=plan["project"], stack=plan["stack"], preview=False)
_sync_await(run_pulumi_func(lambda: register_all(recorded)))
print(f"{len(recorded)} resources registered")
