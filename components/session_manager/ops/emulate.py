"""Apply a plan to an AWS API emulator (moto's server) with real create calls.

The offline plan says what the program would create; this replays those
registrations against an emulator endpoint, as the provider's create calls
would, so AWS's own validation (document content, policy grammar, key and log
group wiring) judges what the program produces. Placeholder ids from the plan
are swapped for the ids the emulator returns as resources are created.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from session_manager.offline.plan import Plan, PlannedResource, replace_placeholders
from session_manager.ops import emulate_events
from session_manager.ops.aws_access import AwsAccess

# Emulator credentials: never real ones, and only ever sent to the given endpoint.
EMULATOR_ACCESS_KEY = "testing"
EMULATOR_SECRET_KEY = "testing"

SSE_CONFIGURATION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
LIFECYCLE_CONFIGURATION = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK_CONFIGURATION = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
# Create order: what a resource refers to is created before it.
CREATE_ORDER = (
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketVersioning:BucketVersioning",
    SSE_CONFIGURATION,
    LIFECYCLE_CONFIGURATION,
    OBJECT_LOCK_CONFIGURATION,
    "aws:s3/bucketPolicy:BucketPolicy",
    BUCKET_LOGGING,
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ssm/document:Document",
    "aws:ssm/parameter:Parameter",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    *emulate_events.CREATE_ORDER,
)


class EmulationError(Exception):
    """The emulator refused a resource: names the resource and AWS's error."""

    def __init__(self, resource: PlannedResource, detail: str) -> None:
        self.resource = resource
        self.detail = detail
        super().__init__(f"{resource.type} '{resource.name}' was rejected: {detail}")


class EmulatorUnreachableError(Exception):
    """The emulator endpoint did not answer: nothing was checked (exit 2, not 1)."""


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


class Emulator:
    """Creates planned resources through boto3 against one emulator endpoint.

    Resources of an explicit provider are created in that provider's account, by
    assuming its role through the emulator's STS, as the provider would.
    """

    def __init__(self, endpoint_url: str, default_region: str = "us-east-1") -> None:
        if not endpoint_url:
            raise ValueError("an emulator endpoint URL is required")
        self.endpoint_url = endpoint_url
        self.default_region = default_region
        self.access = AwsAccess(
            endpoint_url,
            credentials={
                "aws_access_key_id": EMULATOR_ACCESS_KEY,
                "aws_secret_access_key": EMULATOR_SECRET_KEY,
            },
        )
        self._provider: PlannedResource | None = None

    def client(self, service: str, region: str | None = None) -> Any:
        """A client for the resource being created (or the default provider's account)."""
        return self.access.client(self._provider, service, region or self.default_region)

    def handlers(
        self,
    ) -> dict[str, Callable[[PlannedResource, dict[str, Any], EmulationReport], None]]:
        """Each resource type the emulator creates, with its create calls."""
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
            "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": self._group_attachment,
            "aws:s3/bucket:Bucket": self._bucket,
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": self._bucket_ownership,
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": self._bucket_public_access,
            "aws:s3/bucketVersioning:BucketVersioning": self._bucket_versioning,
            SSE_CONFIGURATION: self._bucket_encryption,
            LIFECYCLE_CONFIGURATION: self._bucket_lifecycle,
            "aws:s3/bucketPolicy:BucketPolicy": self._bucket_policy,
            OBJECT_LOCK_CONFIGURATION: self._bucket_object_lock,
            BUCKET_LOGGING: self._bucket_logging,
        }
        events = emulate_events.AccountEventsEmulation(self.client, self.default_region)
        for typ, handler in events.handlers().items():
            handlers[typ] = _recording(handler)
        return handlers

    def apply(self, plan: Plan) -> EmulationReport:
        report = EmulationReport()
        handlers = self.handlers()
        order = {typ: index for index, typ in enumerate(CREATE_ORDER)}
        resources = sorted(
            (r for r in plan.resources if r.custom and not r.type.startswith("pulumi:")),
            key=lambda r: (order.get(r.type, len(order)), r.urn),
        )
        providers = {r.urn: r for r in plan.resources if r.type.startswith("pulumi:providers:")}
        for resource in resources:
            handler = handlers.get(resource.type)
            if handler is None:
                report.skipped.append(resource)
                continue
            inputs = replace_placeholders(resource.inputs, report.replacements)
            provider = providers.get(resource.provider or "")
            # The engine's default provider uses the ambient (here: emulator) credentials.
            self._provider = provider if provider and provider.inputs.get("assumeRoles") else None
            try:
                handler(resource, inputs, report)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                raise EmulationError(
                    resource, f"{error.get('Code', 'Error')}: {error.get('Message', str(exc))}"
                ) from None
            except BotoConnectionError as exc:
                raise EmulatorUnreachableError(
                    f"could not reach the emulator at {self.endpoint_url}: {exc}; start it "
                    "(e.g. `moto_server -p 5000`) or use `make demo`, which starts its own"
                ) from None
            except BotoCoreError as exc:
                raise EmulationError(resource, str(exc)) from None
            finally:
                self._provider = None
            report.created.append(resource)
        return report

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
            Tags=_tags(inputs),
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
        iam.create_instance_profile(InstanceProfileName=inputs["name"], Tags=_tags(inputs))
        if inputs.get("role"):
            iam.add_role_to_instance_profile(
                InstanceProfileName=inputs["name"], RoleName=inputs["role"]
            )

    def _attachment(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        iam = self.client("iam")
        self._ensure_role(iam, inputs["role"])
        iam.attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])

    def _group_attachment(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        iam = self.client("iam")
        # Attachments name groups that exist in a real account; the emulator starts empty.
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_group(GroupName=inputs["group"])
        iam.attach_group_policy(GroupName=inputs["group"], PolicyArn=inputs["policyArn"])

    @staticmethod
    def _ensure_role(iam: Any, role_name: str) -> None:
        """Attachments may name roles that exist in a real account; the emulator starts empty."""
        try:
            iam.get_role(RoleName=role_name)
        except iam.exceptions.NoSuchEntityException:
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))

    def _bucket(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        region = self._region(inputs)
        kwargs: dict[str, Any] = {"Bucket": inputs["bucket"]}
        if inputs.get("objectLockEnabled"):
            kwargs["ObjectLockEnabledForBucket"] = True
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3 = self.client("s3", region)
        s3.create_bucket(**kwargs)
        if inputs.get("tags"):
            s3.put_bucket_tagging(Bucket=inputs["bucket"], Tagging={"TagSet": _tags(inputs)})

    def _bucket_ownership(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("s3", self._region(inputs)).put_bucket_ownership_controls(
            Bucket=inputs["bucket"],
            OwnershipControls={"Rules": [{"ObjectOwnership": inputs["rule"]["objectOwnership"]}]},
        )

    def _bucket_public_access(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("s3", self._region(inputs)).put_public_access_block(
            Bucket=inputs["bucket"],
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": bool(inputs.get("blockPublicAcls")),
                "IgnorePublicAcls": bool(inputs.get("ignorePublicAcls")),
                "BlockPublicPolicy": bool(inputs.get("blockPublicPolicy")),
                "RestrictPublicBuckets": bool(inputs.get("restrictPublicBuckets")),
            },
        )

    def _bucket_versioning(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("s3", self._region(inputs)).put_bucket_versioning(
            Bucket=inputs["bucket"],
            VersioningConfiguration={"Status": inputs["versioningConfiguration"]["status"]},
        )

    def _bucket_encryption(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        rules: list[dict[str, Any]] = []
        for rule in inputs["rules"]:
            default = rule["applyServerSideEncryptionByDefault"]
            rules.append(
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": default["sseAlgorithm"],
                        "KMSMasterKeyID": default.get("kmsMasterKeyId", ""),
                    },
                    "BucketKeyEnabled": bool(rule.get("bucketKeyEnabled")),
                }
            )
        self.client("s3", self._region(inputs)).put_bucket_encryption(
            Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
        )

    def _bucket_lifecycle(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        rules: list[dict[str, Any]] = []
        for rule in inputs["rules"]:
            multipart = rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"]
            rules.append(
                {
                    "ID": rule["id"],
                    "Status": rule["status"],
                    "Filter": {"Prefix": rule.get("filter", {}).get("prefix", "")},
                    "Transitions": [
                        {"Days": t["days"], "StorageClass": t["storageClass"]}
                        for t in rule.get("transitions", [])
                    ],
                    "Expiration": {"Days": rule["expiration"]["days"]},
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": rule["noncurrentVersionExpiration"]["noncurrentDays"]
                    },
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": multipart},
                }
            )
        self.client("s3", self._region(inputs)).put_bucket_lifecycle_configuration(
            Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
        )

    def _bucket_object_lock(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        retention = inputs["rule"]["defaultRetention"]
        self.client("s3", self._region(inputs)).put_object_lock_configuration(
            Bucket=inputs["bucket"],
            ObjectLockConfiguration={
                "ObjectLockEnabled": inputs.get("objectLockEnabled") or "Enabled",
                "Rule": {
                    "DefaultRetention": {"Mode": retention["mode"], "Days": retention["days"]}
                },
            },
        )

    def _bucket_logging(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("s3", self._region(inputs)).put_bucket_logging(
            Bucket=inputs["bucket"],
            BucketLoggingStatus={
                "LoggingEnabled": {
                    "TargetBucket": inputs["targetBucket"],
                    "TargetPrefix": inputs["targetPrefix"],
                }
            },
        )

    def _bucket_policy(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        self.client("s3", self._region(inputs)).put_bucket_policy(
            Bucket=inputs["bucket"], Policy=inputs["policy"]
        )


def _recording(
    handler: emulate_events.Handler,
) -> Callable[[PlannedResource, dict[str, Any], EmulationReport], None]:
    """A handler that records the ids it gets into the report's replacements."""

    def run(resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport) -> None:
        handler(resource, inputs, report.replacements)

    return run


def describe_document(emulator: Emulator, name: str, region: str) -> dict[str, Any]:
    """The default version's content of a document in the default account, parsed."""
    ssm = emulator.client("ssm", region)
    return json.loads(ssm.get_document(Name=name)["Content"])


# Resources an emulator cannot stand for: they refer to networks that exist only in
# a real account (VPCs, subnets, security groups).
NOT_EMULATED = (
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
)


def not_emulated(plan: Plan) -> list[PlannedResource]:
    """The plan's resources `apply` skips: verify leaves the same ones out (`make demo`,
    `verify --endpoint-url`), so what emulate skipped is never reported missing."""
    handled = Emulator("http://127.0.0.1").handlers()  # builds no client, calls nothing
    return [
        r
        for r in plan.resources
        if r.custom and not r.type.startswith("pulumi:") and r.type not in handled
    ]
