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

from session_manager.offline.component_outputs import component_outputs
from session_manager.offline.plan import Plan, PlannedResource
from session_manager.offline.values import replace_placeholders
from session_manager.ops import emulate_events
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.ssm import reverted_document_note
from session_manager.ops.emulate_bucket_settings import (
    BUCKET_LOGGING,
    LIFECYCLE_CONFIGURATION,
    OBJECT_LOCK_CONFIGURATION,
    SSE_CONFIGURATION,
    BucketSettingsEmulation,
)
from session_manager.ops.emulate_jit import (
    NATIVE_DOCUMENT,
    delete_if_changed,
    document_text,
    tag_list,
)

# Emulator credentials: never real ones, and only ever sent to the given endpoint.
EMULATOR_ACCESS_KEY = "testing"
EMULATOR_SECRET_KEY = "testing"
# Running emulate again against the same emulator (after a refusal or a success) updates
# what an earlier run created instead of failing on it. What carries this tag was created
# by emulate; anything else that already exists (the console's SSM-SessionManagerRunShell)
# still collides, as it would in AWS. verify never compares tags.
EMULATED_TAG = "session-manager:emulated"

PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
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


class EmulatorCannotHoldError(Exception):
    """The emulator has no model of this resource (moto's SSM refuses the just-in-time
    document types unless taught: emulate_jit.teach_moto): skipped, with the reason."""


class EmulatorUnreachableError(Exception):
    """The emulator endpoint did not answer: nothing was checked (exit 2, not 1)."""


@dataclass
class EmulationReport:
    created: list[PlannedResource] = field(default_factory=list[PlannedResource])
    skipped: list[PlannedResource] = field(default_factory=list[PlannedResource])
    # Placeholder id or ARN from the plan -> the emulator's own.
    replacements: dict[str, str] = field(default_factory=dict[str, str])
    # What emulate did as the provider does, but the user must know (a reverted document).
    notes: list[str] = field(default_factory=list[str])
    # URN of a skipped resource -> why the emulator could not hold it.
    reasons: dict[str, str] = field(default_factory=dict[str, str])


def _tags(
    inputs: Mapping[str, Any], key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    """The resource's tags, and the tag that says emulate created it."""
    tags = {**cast(dict[str, Any], inputs.get("tags") or {}), EMULATED_TAG: "true"}
    return [{key: k, value: str(v)} for k, v in sorted(tags.items())]


def _emulated(tags: list[dict[str, str]], key: str = "Key") -> bool:
    return any(tag.get(key) == EMULATED_TAG for tag in tags)


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
        self._component_outputs: dict[str, dict[str, Any]] = {}
        self.access = AwsAccess(
            endpoint_url,
            credentials={
                "aws_access_key_id": EMULATOR_ACCESS_KEY,
                "aws_secret_access_key": EMULATOR_SECRET_KEY,
            },
        )
        self._provider: PlannedResource | None = None
        self._aliases: dict[str, list[str]] = {}

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
            **BucketSettingsEmulation(self.client, self._region).handlers(),
            PREFIX_LIST: self._prefix_list,
            NATIVE_DOCUMENT: self._jit_document,
        }
        events = emulate_events.AccountEventsEmulation(
            self.client, self.default_region, self._component_outputs
        )
        for typ, handler in events.handlers().items():
            handlers[typ] = _recording(handler)
        return handlers

    def apply(self, plan: Plan) -> EmulationReport:
        report = EmulationReport()
        self._component_outputs.clear()
        self._component_outputs.update(component_outputs(plan))
        handlers = self.handlers()
        # Planned key id -> the aliases the plan gives it: how a later run finds its keys.
        self._aliases = {}
        for alias in plan.of_type("aws:kms/alias:Alias"):
            self._aliases.setdefault(str(alias.inputs.get("targetKeyId")), []).append(
                str(alias.inputs["name"])
            )
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
            if resource.type.startswith("aws-native:"):
                # Its account's pulumi-aws provider (the same role), or the default one.
                self._provider = plan.provider_of(resource)
                # aws-native has no per-resource Region: its provider's (emulate_jit).
                inputs["region"] = plan.region_of(resource) or self.default_region
            try:
                handler(resource, inputs, report)
            except EmulatorCannotHoldError as exc:
                report.skipped.append(resource)
                report.reasons[resource.urn] = str(exc)
                continue
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
        created = self._earlier_key(kms, resource)
        if created is not None:
            kms.put_key_policy(
                KeyId=created["KeyId"], PolicyName="default", Policy=inputs["policy"]
            )
        else:
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

    def _earlier_key(self, kms: Any, resource: PlannedResource) -> dict[str, Any] | None:
        """The key an earlier run created and aliased as this key's alias, if any."""
        for alias in self._aliases.get(str(resource.state.get("keyId")), []):
            try:
                key = kms.describe_key(KeyId=alias)["KeyMetadata"]
            except kms.exceptions.NotFoundException:
                continue
            if _emulated(kms.list_resource_tags(KeyId=key["KeyId"])["Tags"], "TagKey"):
                return key
        return None

    def _alias(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        kms = self.client("kms", self._region(inputs))
        try:
            kms.create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])
        except kms.exceptions.AlreadyExistsException:
            current = kms.describe_key(KeyId=inputs["name"])["KeyMetadata"]["KeyId"]
            if not _emulated(kms.list_resource_tags(KeyId=current)["Tags"], "TagKey"):
                raise
            kms.update_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])

    def _log_group(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        logs = self.client("logs", self._region(inputs))
        kwargs: dict[str, Any] = {"logGroupName": inputs["name"]}
        if inputs.get("kmsKeyId"):
            kwargs["kmsKeyId"] = inputs["kmsKeyId"]
        kwargs["tags"] = {tag["Key"]: tag["Value"] for tag in _tags(inputs)}
        try:
            logs.create_log_group(**kwargs)
        except logs.exceptions.ResourceAlreadyExistsException:
            tags = logs.list_tags_log_group(logGroupName=inputs["name"])["tags"]
            if EMULATED_TAG not in tags:
                raise
            (group,) = [
                g
                for g in logs.describe_log_groups(logGroupNamePrefix=inputs["name"])["logGroups"]
                if g["logGroupName"] == inputs["name"]
            ]
            # The earlier run's key is reused, so the key changes only if the plan's did.
            if inputs.get("kmsKeyId") and group.get("kmsKeyId") != inputs["kmsKeyId"]:
                logs.associate_kms_key(logGroupName=inputs["name"], kmsKeyId=inputs["kmsKeyId"])
        if inputs.get("retentionInDays"):
            logs.put_retention_policy(
                logGroupName=inputs["name"], retentionInDays=int(inputs["retentionInDays"])
            )

    def _document(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        ssm = self.client("ssm", self._region(inputs))
        document_format = inputs.get("documentFormat", "JSON")
        try:
            ssm.create_document(
                Name=inputs["name"],
                Content=inputs["content"],
                DocumentType=inputs.get("documentType", "Command"),
                DocumentFormat=document_format,
                Tags=_tags(inputs),
            )
        except ssm.exceptions.DocumentAlreadyExists:
            tags = ssm.list_tags_for_resource(ResourceType="Document", ResourceId=inputs["name"])
            if not _emulated(tags["TagList"]):
                raise
            # As the provider updates one: UpdateDocument, then make that version the default.
            try:
                version = ssm.update_document(
                    Name=inputs["name"],
                    Content=inputs["content"],
                    DocumentFormat=document_format,
                    DocumentVersion="$LATEST",
                )["DocumentDescription"]["DocumentVersion"]
            except ssm.exceptions.DuplicateDocumentContent:
                # terraform-provider-aws internal/service/ssm/document.go, resourceDocumentUpdate:
                # on DuplicateDocumentContent it makes `latest_version` the default, so the
                # newer content stays in effect and the update still succeeds.
                version = ssm.describe_document(Name=inputs["name"])["Document"]["LatestVersion"]
                note = reverted_document_note(ssm, inputs, version)
                if note:
                    report.notes.append(note)
            ssm.update_document_default_version(Name=inputs["name"], DocumentVersion=version)

    def _jit_document(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        """An approval-policy document (aws-native: content an object, tags a list): as any
        document. A moto not taught these types (emulate_jit.teach_moto) refuses it, and
        emulate says so."""
        content = document_text(inputs["content"], str(inputs.get("documentFormat") or "JSON"))
        if "content" in resource.replace_on_changes:
            region = self._region(inputs)
            delete_if_changed(self.client("ssm", region), {**inputs, "content": content}, _emulated)
        try:
            self._document(
                resource, {**inputs, "content": content, "tags": tag_list(inputs)}, report
            )
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if message.startswith(("Invalid document format", "Invalid document type")):
                raise EmulatorCannotHoldError(
                    f"the emulator refuses {inputs.get('documentType')} documents in "
                    f"DocumentFormat {inputs.get('documentFormat')}: {message}"
                ) from None
            raise

    def _parameter(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        ssm = self.client("ssm", self._region(inputs))
        parameter = {
            "Name": inputs["name"],
            "Value": str(inputs["value"]),
            "Type": inputs.get("type", "String"),
        }
        try:
            ssm.put_parameter(**parameter, Tags=_tags(inputs))
        except ssm.exceptions.ParameterAlreadyExists:
            tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=inputs["name"])
            if not _emulated(tags["TagList"]):
                raise
            ssm.put_parameter(**parameter, Overwrite=True)

    def _policy(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        iam = self.client("iam")
        path = inputs.get("path", "/")
        try:
            created = iam.create_policy(
                PolicyName=inputs["name"],
                Path=path,
                PolicyDocument=inputs["policy"],
                Description=inputs.get("description", ""),
                Tags=_tags(inputs),
            )["Policy"]
        except iam.exceptions.EntityAlreadyExistsException:
            created = self._update_policy(iam, inputs["name"], path, inputs["policy"])
        planned_arn = resource.state.get("arn")
        if planned_arn:
            report.replacements[str(planned_arn)] = created["Arn"]

    @staticmethod
    def _update_policy(iam: Any, name: str, path: str, document: str) -> dict[str, Any]:
        """An earlier run's policy, given `document` as its new default version."""
        (found,) = [
            p
            for p in iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]
            if p["PolicyName"] == name
        ]
        arn = found["Arn"]
        if not _emulated(iam.list_policy_tags(PolicyArn=arn)["Tags"]):
            raise ClientError(
                {"Error": {"Code": "EntityAlreadyExists", "Message": f"{arn} already exists"}},
                "CreatePolicy",
            )
        # IAM keeps five versions at most: drop the oldest non-default one first.
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        old = sorted(
            (v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"]
        )
        if len(versions) >= 5 and old:
            iam.delete_policy_version(PolicyArn=arn, VersionId=old[0]["VersionId"])
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True)
        return found

    def _role(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        iam = self.client("iam")
        try:
            iam.create_role(
                RoleName=inputs["name"],
                AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
                Description=inputs.get("description", ""),
                Tags=_tags(inputs),
            )
        except iam.exceptions.EntityAlreadyExistsException:
            if not _emulated(iam.list_role_tags(RoleName=inputs["name"])["Tags"]):
                raise
            iam.update_assume_role_policy(
                RoleName=inputs["name"], PolicyDocument=inputs["assumeRolePolicy"]
            )

    def _instance_profile(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        iam = self.client("iam")
        name = inputs["name"]
        try:
            iam.create_instance_profile(InstanceProfileName=name, Tags=_tags(inputs))
        except iam.exceptions.EntityAlreadyExistsException:
            profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            if not _emulated(profile.get("Tags", [])):
                raise
        profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        roles = {role["RoleName"] for role in profile["Roles"]}
        if inputs.get("role") and inputs["role"] not in roles:
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=inputs["role"])

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
        try:
            s3.create_bucket(**kwargs)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            tags: list[dict[str, str]] = []
            with contextlib.suppress(ClientError):
                tags = s3.get_bucket_tagging(Bucket=inputs["bucket"])["TagSet"]
            if not _emulated(tags):
                raise
        s3.put_bucket_tagging(Bucket=inputs["bucket"], Tagging={"TagSet": _tags(inputs)})

    def _prefix_list(
        self, resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport
    ) -> None:
        """The endpoints' security group's CIDR list (EC2 CreateManagedPrefixList): it holds
        only CIDR blocks, so unlike the endpoints and the rule it needs no real VPC."""
        ec2 = self.client("ec2", self._region(inputs))
        name = str(inputs["name"])
        held = ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [name]}]
        )["PrefixLists"]
        entries = _prefix_list_entries(inputs)
        if held:
            if not _emulated(held[0].get("Tags", [])):
                raise EmulationError(resource, f"a prefix list {name} exists, not emulate's")
            # Again: the earlier list takes the plan's entries (ModifyManagedPrefixList).
            found = held[0]
            old = ec2.get_managed_prefix_list_entries(PrefixListId=found["PrefixListId"])
            stale = [{"Cidr": e["Cidr"]} for e in old["Entries"]]
            ec2.modify_managed_prefix_list(
                PrefixListId=found["PrefixListId"],
                CurrentVersion=found["Version"],
                RemoveEntries=stale,
                AddEntries=entries,
                PrefixListName=name,  # moto drops a name left out
            )
        else:
            found = ec2.create_managed_prefix_list(
                PrefixListName=name,
                AddressFamily=str(inputs["addressFamily"]),
                MaxEntries=int(inputs["maxEntries"]),
                Entries=entries,
                TagSpecifications=[{"ResourceType": "prefix-list", "Tags": _tags(inputs)}],
            )["PrefixList"]
        planned_id = resource.state.get("id")
        if planned_id:
            report.replacements[str(planned_id)] = str(found["PrefixListId"])


def _prefix_list_entries(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    entries = cast(list[dict[str, Any]], inputs.get("entries") or [])
    return [
        {"Cidr": str(e["cidr"]), "Description": str(e.get("description") or "")} for e in entries
    ]


def _recording(
    handler: emulate_events.Handler,
) -> Callable[[PlannedResource, dict[str, Any], EmulationReport], None]:
    """A handler that records the ids it gets into the report's replacements."""

    def run(resource: PlannedResource, inputs: dict[str, Any], report: EmulationReport) -> None:
        handler(resource, inputs, report.replacements)

    return run


# Resources that refer to networks that exist only in a real account.
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
