"""Apply a plan to an AWS API emulator (moto's server) with real create calls.

The offline plan says what the program would create; this replays those
registrations against an emulator endpoint, as the provider's create calls
would, so AWS's own validation (document content, policy grammar, key and log
group wiring) judges what the program produces. Placeholder ids from the plan
are swapped for the ids the emulator returns as resources are created.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from session_manager.plan import Plan, PlannedResource

# Emulator credentials: never real ones, and only ever sent to the given endpoint.
EMULATOR_ACCESS_KEY = "testing"
EMULATOR_SECRET_KEY = "testing"

# Create order: what a resource refers to is created before it.
CREATE_ORDER = (
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "aws:s3/bucket:Bucket",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ssm/document:Document",
    "aws:ssm/parameter:Parameter",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
)


class EmulationError(Exception):
    """The emulator refused a resource: names the resource and AWS's error."""

    def __init__(self, resource: PlannedResource, detail: str) -> None:
        self.resource = resource
        self.detail = detail
        super().__init__(f"{resource.type} '{resource.name}' was rejected: {detail}")


@dataclass
class EmulationReport:
    created: list[PlannedResource] = field(default_factory=list[PlannedResource])
    skipped: list[PlannedResource] = field(default_factory=list[PlannedResource])
    # Placeholder id or ARN from the plan -> the emulator's own.
    replacements: dict[str, str] = field(default_factory=dict[str, str])


def _tags(
    inputs: Mapping[str, Any], key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    tags = cast(dict[str, Any], inputs.get("tags") or {})
    return [{key: k, value: str(v)} for k, v in sorted(tags.items())]


# Typed per service by boto3-stubs; the emulator picks services at run time.
_new_client: Callable[..., Any] = boto3.client  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


class Emulator:
    """Creates planned resources through boto3 against one emulator endpoint."""

    def __init__(self, endpoint_url: str, default_region: str = "us-east-1") -> None:
        if not endpoint_url:
            raise ValueError("an emulator endpoint URL is required")
        self.endpoint_url = endpoint_url
        self.default_region = default_region
        self._config = Config(
            retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30
        )

    def client(self, service: str, region: str | None = None) -> Any:
        return _new_client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region or self.default_region,
            aws_access_key_id=EMULATOR_ACCESS_KEY,
            aws_secret_access_key=EMULATOR_SECRET_KEY,
            config=self._config,
        )

    def apply(self, plan: Plan) -> EmulationReport:
        report = EmulationReport()
        handlers: dict[str, Callable[[PlannedResource, dict[str, Any], EmulationReport], None]] = {
            "aws:kms/key:Key": self._key,
            "aws:kms/alias:Alias": self._alias,
            "aws:cloudwatch/logGroup:LogGroup": self._log_group,
            "aws:ssm/document:Document": self._document,
            "aws:ssm/parameter:Parameter": self._parameter,
            "aws:iam/policy:Policy": self._policy,
            "aws:iam/role:Role": self._role,
            "aws:iam/instanceProfile:InstanceProfile": self._instance_profile,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": self._attachment,
        }
        order = {typ: index for index, typ in enumerate(CREATE_ORDER)}
        resources = sorted(
            (r for r in plan.resources if r.custom and not r.type.startswith("pulumi:")),
            key=lambda r: (order.get(r.type, len(order)), r.urn),
        )
        for resource in resources:
            handler = handlers.get(resource.type)
            if handler is None:
                report.skipped.append(resource)
                continue
            inputs = self._substitute(resource.inputs, report.replacements)
            try:
                handler(resource, inputs, report)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                raise EmulationError(
                    resource, f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}"
                ) from None
            except BotoCoreError as exc:
                raise EmulationError(resource, str(exc)) from None
            report.created.append(resource)
        return report

    @staticmethod
    def _substitute(value: Any, replacements: Mapping[str, str]) -> Any:
        if isinstance(value, str):
            for old, new in replacements.items():
                value = value.replace(old, new)
            return value
        if isinstance(value, dict):
            return {k: Emulator._substitute(v, replacements) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, list):
            return [Emulator._substitute(v, replacements) for v in value]  # pyright: ignore[reportUnknownVariableType]
        return value

    def _region(self, inputs: Mapping[str, Any]) -> str:
        return str(inputs.get("region") or self.default_region)

    # --- One handler per resource type, shaped like the provider's create calls.

    def _key(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        kms = self.client("kms", self._region(inputs))
        created = kms.create_key(
            Policy=inputs["policy"],
            Description=inputs.get("description", ""),
            KeyUsage=inputs.get("keyUsage", "ENCRYPT_DECRYPT"),
            KeySpec=inputs.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT"),
            Tags=_tags(inputs, "TagKey", "TagValue"),
        )["KeyMetadata"]
        if inputs.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=created["KeyId"])
        planned_id = resource.state.get("keyId")
        planned_arn = resource.state.get("arn")
        if planned_id:
            report.replacements[str(planned_id)] = created["KeyId"]
        if planned_arn:
            report.replacements[str(planned_arn)] = created["Arn"]

    def _alias(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("kms", self._region(inputs)).create_alias(
            AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"]
        )

    def _log_group(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        logs = self.client("logs", self._region(inputs))
        kwargs: dict[str, Any] = {"logGroupName": inputs["name"]}
        if inputs.get("kmsKeyId"):
            kwargs["kmsKeyId"] = inputs["kmsKeyId"]
        if inputs.get("tags"):
            kwargs["tags"] = dict(inputs["tags"])
        logs.create_log_group(**kwargs)
        if inputs.get("retentionInDays"):
            logs.put_retention_policy(
                logGroupName=inputs["name"], retentionInDays=int(inputs["retentionInDays"])
            )

    def _document(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("ssm", self._region(inputs)).create_document(
            Name=inputs["name"],
            Content=inputs["content"],
            DocumentType=inputs.get("documentType", "Command"),
            DocumentFormat=inputs.get("documentFormat", "JSON"),
            Tags=_tags(inputs),
        )

    def _parameter(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("ssm", self._region(inputs)).put_parameter(
            Name=inputs["name"], Value=str(inputs["value"]), Type=inputs.get("type", "String")
        )

    def _policy(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        created = self.client("iam").create_policy(
            PolicyName=inputs["name"],
            Path=inputs.get("path", "/"),
            PolicyDocument=inputs["policy"],
            Description=inputs.get("description", ""),
        )["Policy"]
        planned_arn = resource.state.get("arn")
        if planned_arn:
            report.replacements[str(planned_arn)] = created["Arn"]

    def _role(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("iam").create_role(
            RoleName=inputs["name"],
            AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
            Description=inputs.get("description", ""),
            Tags=_tags(inputs),
        )

    def _instance_profile(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        iam = self.client("iam")
        iam.create_instance_profile(InstanceProfileName=inputs["name"])
        if inputs.get("role"):
            iam.add_role_to_instance_profile(
                InstanceProfileName=inputs["name"], RoleName=inputs["role"]
            )

    def _attachment(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("iam").attach_role_policy(
            RoleName=inputs["role"], PolicyArn=inputs["policyArn"]
        )


def describe_document(emulator: Emulator, name: str, region: str) -> dict[str, Any]:
    """The default version's content of a document, parsed."""
    ssm = emulator.client("ssm", region)
    return json.loads(ssm.get_document(Name=name)["Content"])
