"""`verify`: prove, read-only, that AWS holds what the stack declares.

The stack is planned offline to know what it wants; each account-Region is then
read with boto3 through the same roles the program's providers assume. The
plan's placeholder ids are replaced by the real ones (keys through their
aliases, the account through STS) before comparing.

Exit status: 0 in sync; 1 drift, each drifted field named with wanted and
actual values; 2 a target could not be checked (the reason is given). A
target that could not be checked outranks drift elsewhere: the result is
incomplete.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from session_manager.config.secrets import UNDECRYPTED
from session_manager.offline.mocks import PLACEHOLDER_ACCOUNT_ID
from session_manager.offline.plan import Plan, PlannedResource, replace_placeholders
from session_manager.ops.aws_access import AwsAccess, failure_reason

IN_SYNC, DRIFT, CANNOT_CHECK = 0, 1, 2
DOCUMENT = "aws:ssm/document:Document"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
POLICY = "aws:iam/policy:Policy"


@dataclass
class Drift:
    resource: str
    field: str
    wanted: Any
    actual: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "field": self.field,
            "wanted": self.wanted,
            "actual": self.actual,
        }

    def __str__(self) -> str:
        wanted, actual = json.dumps(self.wanted), json.dumps(self.actual)
        return f"{self.resource} {self.field}: wanted {wanted}, actual {actual}"


@dataclass
class Target:
    """One account-Region of the plan and what the stack wants there."""

    provider: PlannedResource | None
    region: str
    account: str = ""
    resources: list[PlannedResource] = field(default_factory=list[PlannedResource])
    # Account-wide resources (IAM) are checked with the account's first Region.
    global_resources: list[PlannedResource] = field(default_factory=list[PlannedResource])

    @property
    def label(self) -> str:
        return f"{self.account or 'current account'} {self.region}"


@dataclass
class TargetResult:
    target: str
    checked: list[str] = field(default_factory=list[str])
    drifts: list[Drift] = field(default_factory=list[Drift])
    error: str | None = None

    @property
    def status(self) -> int:
        if self.error:
            return CANNOT_CHECK
        return DRIFT if self.drifts else IN_SYNC

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "status": ["in_sync", "drift", "cannot_check"][self.status],
            "checked": self.checked,
            "drifts": [d.to_json() for d in self.drifts],
            "error": self.error,
        }


@dataclass
class Report:
    stack: str
    results: list[TargetResult]

    @property
    def exit_code(self) -> int:
        return max((r.status for r in self.results), default=IN_SYNC)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "status": ["in_sync", "drift", "cannot_check"][self.exit_code],
            "targets": [r.to_json() for r in self.results],
        }


def targets_of(plan: Plan) -> list[Target]:
    """The plan's account-Regions, each with the resources verify checks there."""
    by_key: dict[tuple[str, str], Target] = {}
    for resource in plan.resources:
        if resource.type not in (DOCUMENT, KEY, ALIAS, LOG_GROUP, POLICY):
            continue
        provider = plan.provider_of(resource)
        region = str(resource.inputs.get("region") or "")
        account = ""
        if provider is not None:
            allowed = json.loads(str(provider.inputs.get("allowedAccountIds") or "[]"))
            account = str(allowed[0]) if allowed else ""
        if resource.type == POLICY:
            region = ""
        key = (provider.urn if provider else "", region)
        target = by_key.setdefault(key, Target(provider=provider, region=region, account=account))
        target.resources.append(resource)
    # Fold account-wide resources into the first Region of their account.
    regional = sorted((k, t) for k, t in by_key.items() if k[1])
    for (provider_urn, region), target in list(by_key.items()):
        if region:
            continue
        home = next((t for (p, _), t in regional if p == provider_urn), None)
        if home is None:
            target.region = "us-east-1"
            target.global_resources, target.resources = target.resources, []
            regional.append(((provider_urn, "global"), target))
        else:
            home.global_resources.extend(target.resources)
    return [t for _, t in sorted(regional, key=lambda item: (item[1].account, item[1].region))]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))  # pyright: ignore[reportUnknownArgumentType]
        return flat
    return {prefix: value}


def parse_document(text: str, document_format: str) -> Any:
    return yaml.safe_load(text) if document_format.upper() == "YAML" else json.loads(text)


class Verifier:
    def __init__(self, access: AwsAccess) -> None:
        self.access = access

    def check(self, target: Target) -> TargetResult:
        result = TargetResult(target=target.label)
        try:
            self._check(target, result)
        except (ClientError, BotoCoreError) as exc:
            result.error = failure_reason(exc, self.access.endpoint_url)
        result.target = target.label
        return result

    def _client(self, target: Target, service: str) -> Any:
        return self.access.client(target.provider, service, target.region)

    def _check(self, target: Target, result: TargetResult) -> None:
        actual_account = self.access.account_id(target.provider, target.region)
        if target.account and target.account != actual_account:
            result.error = f"the credentials reach account {actual_account}, not {target.account}"
            return
        target.account = actual_account
        replacements: dict[str, str] = {}
        if actual_account != PLACEHOLDER_ACCOUNT_ID and not target.provider:
            replacements[f":{PLACEHOLDER_ACCOUNT_ID}:"] = f":{actual_account}:"
            replacements[f"/{PLACEHOLDER_ACCOUNT_ID}/"] = f"/{actual_account}/"
        self._check_keys(target, result, replacements)
        for resource in target.resources:
            if resource.type == DOCUMENT:
                self._check_document(target, result, resource, replacements)
            elif resource.type == LOG_GROUP:
                self._check_log_group(target, result, resource, replacements)
        for resource in target.global_resources:
            self._check_policy(target, result, resource, replacements)

    def _check_keys(
        self, target: Target, result: TargetResult, replacements: dict[str, str]
    ) -> None:
        """Resolve each created key through its alias; check it is enabled and rotates."""
        kms = self._client(target, "kms")
        aliases = {r.inputs.get("targetKeyId"): r for r in target.resources if r.type == ALIAS}
        for key in (r for r in target.resources if r.type == KEY):
            alias = aliases.get(key.state.get("keyId"))
            if alias is None:
                continue
            alias_name = str(alias.inputs["name"])
            result.checked.append(f"kms key {alias_name}")
            try:
                metadata = kms.describe_key(KeyId=alias_name)["KeyMetadata"]
            except kms.exceptions.NotFoundException:
                result.drifts.append(Drift(f"kms key {alias_name}", "alias", "exists", "missing"))
                continue
            replacements[str(key.state["keyId"])] = metadata["KeyId"]
            replacements[str(key.state["arn"])] = metadata["Arn"]
            if metadata.get("KeyState") != "Enabled":
                result.drifts.append(
                    Drift(f"kms key {alias_name}", "keyState", "Enabled", metadata.get("KeyState"))
                )
            rotation = kms.get_key_rotation_status(KeyId=metadata["KeyId"])["KeyRotationEnabled"]
            if key.inputs.get("enableKeyRotation") and not rotation:
                result.drifts.append(
                    Drift(f"kms key {alias_name}", "keyRotationEnabled", True, rotation)
                )

    def _check_document(
        self,
        target: Target,
        result: TargetResult,
        resource: PlannedResource,
        replacements: dict[str, str],
    ) -> None:
        ssm = self._client(target, "ssm")
        name = str(resource.inputs["name"])
        label = f"document {name}"
        result.checked.append(label)
        try:
            described = ssm.describe_document(Name=name)["Document"]
        except ssm.exceptions.InvalidDocument:
            result.drifts.append(Drift(label, "document", "exists", "missing"))
            return
        default, latest = described["DefaultVersion"], described["LatestVersion"]
        if default != latest:
            result.drifts.append(Drift(label, "defaultVersion", f"latest ({latest})", default))
        document_format = str(resource.inputs.get("documentFormat") or "JSON")
        actual_text = ssm.get_document(
            Name=name, DocumentVersion=default, DocumentFormat=document_format
        )["Content"]
        wanted = replace_placeholders(
            parse_document(str(resource.inputs["content"]), document_format), replacements
        )
        actual = parse_document(actual_text, document_format)
        if wanted != actual:
            wanted_flat, actual_flat = flatten(wanted), flatten(actual)
            for path in sorted(set(wanted_flat) | set(actual_flat)):
                if wanted_flat.get(path) == UNDECRYPTED:
                    continue  # a secret the plan cannot decrypt: neither compared nor printed
                if wanted_flat.get(path) != actual_flat.get(path):
                    result.drifts.append(
                        Drift(label, path, wanted_flat.get(path), actual_flat.get(path))
                    )
        # Whatever the document says, a bucket it requires encrypted must be encrypted.
        inputs: dict[str, Any] = {}
        if isinstance(wanted, dict):
            found = cast(dict[str, Any], wanted).get("inputs")
            inputs = cast(dict[str, Any], found) if isinstance(found, dict) else {}
        if inputs.get("s3BucketName") and inputs.get("s3EncryptionEnabled"):
            self._check_bucket(target, result, str(inputs["s3BucketName"]))

    def _check_bucket(self, target: Target, result: TargetResult, bucket: str) -> None:
        s3 = self._client(target, "s3")
        label = f"bucket {bucket}"
        result.checked.append(label)
        try:
            s3.get_bucket_encryption(Bucket=bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ServerSideEncryptionConfigurationNotFoundError":
                result.drifts.append(Drift(label, "encryption", "enabled", "none"))
            elif code == "NoSuchBucket":
                result.drifts.append(Drift(label, "bucket", "exists", "missing"))
            else:
                raise

    def _check_log_group(
        self,
        target: Target,
        result: TargetResult,
        resource: PlannedResource,
        replacements: dict[str, str],
    ) -> None:
        logs = self._client(target, "logs")
        name = str(resource.inputs["name"])
        label = f"log group {name}"
        result.checked.append(label)
        found = [
            group
            for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
            for group in page["logGroups"]
            if group["logGroupName"] == name
        ]
        if not found:
            result.drifts.append(Drift(label, "logGroup", "exists", "missing"))
            return
        group = found[0]
        wanted_retention = resource.inputs.get("retentionInDays")
        if wanted_retention and group.get("retentionInDays") != wanted_retention:
            result.drifts.append(
                Drift(label, "retentionInDays", wanted_retention, group.get("retentionInDays"))
            )
        wanted_key = replace_placeholders(resource.inputs.get("kmsKeyId") or None, replacements)
        if wanted_key != group.get("kmsKeyId"):
            result.drifts.append(Drift(label, "kmsKeyId", wanted_key, group.get("kmsKeyId")))

    def _check_policy(
        self,
        target: Target,
        result: TargetResult,
        resource: PlannedResource,
        replacements: dict[str, str],
    ) -> None:
        iam = self._client(target, "iam")
        name = str(resource.inputs["name"])
        label = f"iam policy {name}"
        result.checked.append(label)
        arn = replace_placeholders(str(resource.state.get("arn", "")), replacements)
        if target.provider is not None and target.account:
            arn = arn.replace(f":{PLACEHOLDER_ACCOUNT_ID}:", f":{target.account}:")
        try:
            iam.get_policy(PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException:
            result.drifts.append(Drift(label, "policy", "exists", "missing"))


def verify(
    plan: Plan,
    access: AwsAccess,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 8,
) -> Report:
    targets = targets_of(plan)
    verifier = Verifier(access)
    results: list[TargetResult] = []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets)))) as pool:
        for done, result in enumerate(pool.map(verifier.check, targets), start=1):
            results.append(result)
            if progress:
                progress(done, len(targets))
    return Report(stack=plan.stack, results=results)


def progress_printer(stream: Any = None) -> Callable[[int, int], None]:
    """Progress on stderr for long runs: a live counter on a terminal, tenths otherwise."""
    stream = stream or sys.stderr  # read at call time: sys.stderr may have been replaced
    interactive = bool(getattr(stream, "isatty", lambda: False)())

    def show(done: int, total: int) -> None:
        if total < 5:
            return
        if interactive:
            stream.write(f"\rchecked {done}/{total} account-Regions")
            if done == total:
                stream.write("\n")
        elif done == total or done % max(1, total // 10) == 0:
            stream.write(f"checked {done}/{total} account-Regions\n")
        stream.flush()

    return show


def format_report(report: Report) -> str:
    lines = [f"Verify stack '{report.stack}': {len(report.results)} account-Region(s)", ""]
    for result in report.results:
        if result.error:
            lines.append(f"ERROR  {result.target}: could not check: {result.error}")
        elif result.drifts:
            lines.append(f"DRIFT  {result.target}: {len(result.drifts)} drifted field(s)")
            lines += [f"         {drift}" for drift in result.drifts]
        else:
            lines.append(f"OK     {result.target}: in sync ({', '.join(result.checked)})")
    outcome = {
        IN_SYNC: "in sync",
        DRIFT: "drift found",
        CANNOT_CHECK: "some targets could not be checked",
    }
    lines += ["", f"Result: {outcome[report.exit_code]} (exit {report.exit_code})"]
    return "\n".join(lines)


def summarize(results: Iterable[TargetResult]) -> dict[str, int]:
    counts = {"in_sync": 0, "drift": 0, "cannot_check": 0}
    for result in results:
        counts[["in_sync", "drift", "cannot_check"][result.status]] += 1
    return counts
