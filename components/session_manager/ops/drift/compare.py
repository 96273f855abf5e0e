"""The generic comparison every family's check uses, driven by the plan's inputs.

A check reads a resource back from AWS and reshapes it like the Pulumi inputs
(camelCase keys, the same nesting); `differences` then walks the *planned*
inputs and names every field whose value AWS does not hold. Whatever a planned
resource sets is compared, so a setting added to the plan is compared without a
new check, as long as the reader returns it.

The plan's KMS key ids and ARNs are placeholders: `KeyResolver` finds the real
key through its alias (once per key, shared by every target), and
`CheckContext.wanted` swaps them, and the default provider's placeholder account,
before comparing.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from botocore.exceptions import ClientError

from session_manager.aws.policy_compare import parse_policy, statement_diff
from session_manager.config.secrets import UNDECRYPTED
from session_manager.offline.mocks import PLACEHOLDER_ACCOUNT_ID
from session_manager.offline.plan import Plan, PlannedResource
from session_manager.offline.values import replace_placeholders
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.grants import RoleGrants
from session_manager.ops.drift.result import Drift, TargetResult

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
_KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Inputs that never say anything about security, or cannot be read back.
NEVER_COMPARED = frozenset({"region", "tags", "tagsAll", "forceDestroy"})


def camel(name: str) -> str:
    """An AWS API member name as the Pulumi input name: `KMSMasterKeyID` -> `kmsMasterKeyId`."""
    if name.endswith("ID"):
        name = name[:-2] + "Id"
    upper = len(name) - len(name.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if upper > 1 and upper < len(name) and name[upper].islower():
        upper -= 1
    return name[:upper].lower() + name[upper:]


def camelize(value: Any) -> Any:
    """An API response (PascalCase keys) shaped like Pulumi inputs (camelCase keys)."""
    if isinstance(value, dict):
        return {camel(str(k)): camelize(v) for k, v in cast(dict[Any, Any], value).items()}
    if isinstance(value, list):
        return [camelize(item) for item in cast(list[Any], value)]
    return value


def _same(wanted: Any, actual: Any) -> bool:
    if wanted == actual:
        return True
    # AWS returns numbers as numbers where Pulumi may hold text, and the reverse.
    return (
        not isinstance(wanted, bool)
        and not isinstance(actual, bool)
        and actual is not None
        and str(wanted) == str(actual)
    )


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def differences(wanted: Any, actual: Any, path: str = "") -> list[tuple[str, Any, Any]]:  # noqa: PLR0911 (one return per shape)
    """(path, wanted, actual) for every planned value AWS does not hold.

    Only what the plan sets is compared: settings AWS adds on its own are not
    drift. Lists of plain values compare as sets; lists of objects item by item.
    """
    if wanted is None or wanted == UNDECRYPTED:
        return []  # a secret the plan cannot decrypt is neither compared nor printed
    if isinstance(wanted, dict):
        if actual is not None and not isinstance(actual, dict):
            return [(path, wanted, actual)]
        held = cast(dict[str, Any], actual or {})
        found: list[tuple[str, Any, Any]] = []
        for key, value in cast(dict[str, Any], wanted).items():
            found += differences(value, held.get(key), _join(path, key))
        return found
    if isinstance(wanted, list):
        items = cast(list[Any], wanted)
        held_items = cast(list[Any], actual) if isinstance(actual, list) else None
        if held_items is None or len(held_items) != len(items):
            return [(path, wanted, actual)]
        if not any(isinstance(item, (dict, list)) for item in items):
            same = sorted(map(str, items)) == sorted(map(str, held_items))
            return [] if same else [(path, wanted, actual)]
        found = []
        for index, (item, held) in enumerate(zip(items, held_items, strict=True)):
            found += differences(item, held, _join(path, index))
        return found
    return [] if _same(wanted, actual) else [(path, wanted, actual)]


def log_group_named(access: AwsAccess, logs: Any, name: str) -> dict[str, Any] | None:
    """The log group called `name` (DescribeLogGroups by prefix, page by page), or None."""
    arguments: dict[str, Any] = {"logGroupNamePrefix": name}
    while True:
        page = access.read(logs, "describe_log_groups", **arguments)
        found = next((g for g in page["logGroups"] if g["logGroupName"] == name), None)
        if found is not None or not page.get("nextToken"):
            return found
        arguments["nextToken"] = page["nextToken"]


def _log_group_key(access: AwsAccess, logs: Any, group: PlannedResource) -> str:
    found = log_group_named(access, logs, str(group.inputs["name"]))
    return str((found or {}).get("kmsKeyId") or "")


def document_version(access: AwsAccess, ssm: Any, document: PlannedResource) -> tuple[Any, str]:
    """DescribeDocument's answer and the default version's content in the planned format.

    Raises InvalidDocument when there is no such document.
    """
    name = str(document.inputs["name"])
    described = access.read(ssm, "describe_document", Name=name)["Document"]
    content = access.read(
        ssm,
        "get_document",
        Name=name,
        DocumentVersion=described["DefaultVersion"],
        DocumentFormat=planned_format(document),
    )["Content"]
    return described, str(content)


def planned_format(document: PlannedResource) -> str:
    return str(document.inputs.get("documentFormat") or "JSON")


def _document_key(access: AwsAccess, ssm: Any, document: PlannedResource) -> str:
    """The default version's `inputs.kmsKeyId` (a preferences document's session key)."""
    try:
        _, content = document_version(access, ssm, document)
    except ssm.exceptions.InvalidDocument:
        return ""
    try:
        parsed: Any = (
            yaml.safe_load(content)
            if planned_format(document).upper() == "YAML"
            else json.loads(content)
        )
    except (ValueError, yaml.YAMLError):
        return ""
    inputs: Any = cast(dict[str, Any], parsed).get("inputs") if isinstance(parsed, dict) else None
    if not isinstance(inputs, dict):
        return ""
    return str(cast(dict[str, Any], inputs).get("kmsKeyId") or "")


def _bucket_key(access: AwsAccess, s3: Any, encryption: PlannedResource) -> str:
    """The bucket's default encryption key (S3 GetBucketEncryption, KMSMasterKeyID)."""
    try:
        answer = access.read(s3, "get_bucket_encryption", Bucket=str(encryption.inputs["bucket"]))
    except ClientError:
        return ""  # no encryption, or no bucket: the bucket's own check says so
    return str(default_encryption(answer).get("KMSMasterKeyID") or "")


def default_encryption(answer: dict[str, Any]) -> dict[str, Any]:
    """GetBucketEncryption's first rule's ApplyServerSideEncryptionByDefault ({} if none)."""
    configuration = cast(dict[str, Any], answer["ServerSideEncryptionConfiguration"])
    rules = cast(list[dict[str, Any]], configuration.get("Rules") or [{}])
    return cast(dict[str, Any], rules[0].get("ApplyServerSideEncryptionByDefault") or {})


def topic_arn(access: AwsAccess, sns: Any, name: str) -> str | None:
    """The ARN of the topic called `name` (SNS ListTopics, page by page), or None."""
    arguments: dict[str, Any] = {}
    while True:
        page = access.read(sns, "list_topics", **arguments)
        for found in page["Topics"]:
            if str(found["TopicArn"]).rsplit(":", 1)[-1] == name:
                return str(found["TopicArn"])
        if not page.get("NextToken"):
            return None
        arguments["NextToken"] = page["NextToken"]


def _topic_key(access: AwsAccess, sns: Any, topic: PlannedResource) -> str:
    """The topic's KmsMasterKeyId (SNS GetTopicAttributes)."""
    arn = topic_arn(access, sns, str(topic.inputs["name"]))
    if arn is None:
        return ""
    attributes = access.read(sns, "get_topic_attributes", TopicArn=arn).get("Attributes", {})
    return str(attributes.get("KmsMasterKeyId") or "")


# The resources that name a key by id or ARN, and how to read which key they really use.
KEY_USERS: dict[str, tuple[str, Callable[[AwsAccess, Any, PlannedResource], str]]] = {
    "aws:cloudwatch/logGroup:LogGroup": ("logs", _log_group_key),
    "aws:ssm/document:Document": ("ssm", _document_key),
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"): (
        "s3",
        _bucket_key,
    ),
    "aws:sns/topic:Topic": ("sns", _topic_key),
}


class KeyResolver:
    """The plan's placeholder key ids and ARNs -> the real ones, through each key's alias."""

    def __init__(self, plan: Plan, access: AwsAccess) -> None:
        self.access = access
        # A shard's keys include the shared stack's it names (its central key).
        known = [*plan.resources, *plan.referenced]
        aliases = {str(a.inputs.get("targetKeyId")): a for a in known if a.type == ALIAS}
        # Placeholder key id -> (the key, its alias, its provider)
        self._keys: dict[str, tuple[PlannedResource, PlannedResource, PlannedResource | None]] = {}
        providers = {r.urn: r for r in known if r.inputs.get("assumeRoles")}
        for key in (r for r in known if r.type == KEY):
            key_id = str(key.state.get("keyId", ""))
            if key_id in aliases:
                self._keys[key_id] = (key, aliases[key_id], providers.get(key.provider or ""))
        # Placeholder key id -> the planned resources that name the key (log groups,
        # documents), each with its provider.
        providers = {r.urn: r for r in plan.resources if r.inputs.get("assumeRoles")}
        self._users: dict[str, list[tuple[PlannedResource, PlannedResource | None]]] = {}
        for resource in plan.resources:
            if resource.type not in KEY_USERS:
                continue
            for named in set(_KEY_ID.findall(json.dumps(resource.inputs))) & set(self._keys):
                where = providers.get(resource.provider or "")
                self._users.setdefault(named, []).append((resource, where))
        # Alias names a planned policy grants a key through (kms:ResourceAliases): a key
        # the alias leaves is refused to the nodes and people that policy is for.
        self.granting_aliases = frozenset(
            name
            for resource in plan.resources
            if resource.type == "aws:iam/policy:Policy"
            for name in _resource_aliases(resource.inputs.get("policy"))
        )
        # Resources that may name a key by alias (a document's kmsKeyId, a log group's).
        self._aliasing = [r for r in plan.resources if r.type in KEY_USERS]
        self._found: dict[str, dict[str, Any] | None] = {}
        self._identified: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    def user_types(self, key: PlannedResource) -> frozenset[str]:
        """The types of the planned resources that name the key (KEY_USERS)."""
        users = self._users.get(str(key.state.get("keyId", "")), [])
        return frozenset(resource.type for resource, _ in users)

    def named_by_users(self, alias_name: str) -> bool:
        """Whether a planned resource other than the alias names the key by this alias."""
        # By name or ARN (arn:...:alias/<name>): the name ends a JSON string.
        return any(f'{alias_name}"' in json.dumps(r.inputs) for r in self._aliasing)

    def key_of(self, alias: PlannedResource) -> PlannedResource | None:
        known = self._keys.get(str(alias.inputs.get("targetKeyId", "")))
        return known[0] if known else None

    def alias_of(self, key: PlannedResource) -> PlannedResource | None:
        known = self._keys.get(str(key.state.get("keyId", "")))
        return known[1] if known else None

    def alias_target(self, key_id: str) -> dict[str, Any] | None:
        """The metadata of the key the planned key's alias points at (None: no alias), once."""
        with self._lock:
            if key_id in self._found:
                return self._found[key_id]
        key, alias, provider = self._keys[key_id]
        kms = self.access.client(provider, "kms", str(key.inputs.get("region") or ""))
        try:
            found: dict[str, Any] | None = self.access.read(
                kms, "describe_key", KeyId=str(alias.inputs["name"])
            )["KeyMetadata"]
        except kms.exceptions.NotFoundException:
            found = None
        with self._lock:
            self._found[key_id] = found
        return found

    def metadata(self, key_id: str) -> dict[str, Any] | None:
        """The planned key's real metadata: the key the stack's resources really use.

        What the log group, the document, the bucket's default encryption and the
        alarm topic hold (read from AWS) names the key, whatever its alias says: an
        alias moved to another key, even one described, shaped and granted alike,
        then hides nothing, and its own check reports the move. Only when that key
        and the alias's target differ and neither is clearly the stack's (the
        planned tags, else the earlier creation: a key swapped in by hand is made
        after the stack's) is the alias's target kept, so a resource switched to
        another key is reported on that resource. With no resource using a key yet,
        the alias's customer key. None when neither finds it.
        """
        with self._lock:
            if key_id in self._identified:
                return self._identified[key_id]
        target = self.alias_target(key_id)
        if target is not None and target.get("KeyManager") != "CUSTOMER":
            target = None  # moved to an AWS managed key: never the stack's
        found = self._in_use(key_id, target)
        with self._lock:
            self._identified[key_id] = found
        return found

    def _key_used_by(self, user: tuple[PlannedResource, PlannedResource | None]) -> str:
        """The key id or ARN a planned resource really uses in AWS ("" if none)."""
        resource, provider = user
        service, reader = KEY_USERS[resource.type]
        region = str(resource.inputs.get("region") or "")
        return reader(self.access, self.access.client(provider, service, region), resource)

    def _in_use(self, key_id: str, target: dict[str, Any] | None) -> dict[str, Any] | None:
        key, _, provider = self._keys[key_id]
        used = [u for u in map(self._key_used_by, self._users.get(key_id, [])) if u]
        if not used or (target is not None and {target["Arn"], target["KeyId"]} & set(used)):
            return target
        kms = self.access.client(provider, "kms", str(key.inputs.get("region") or ""))
        try:
            in_use: dict[str, Any] = self.access.read(kms, "describe_key", KeyId=used[0])[
                "KeyMetadata"
            ]
        except kms.exceptions.NotFoundException:
            return target
        if target is None or in_use["KeyId"] == target["KeyId"]:
            return in_use
        return self._the_stacks(kms, key, in_use, target)

    def _the_stacks(
        self, kms: Any, key: PlannedResource, in_use: dict[str, Any], target: dict[str, Any]
    ) -> dict[str, Any]:
        """Of the key in use and the alias's other target, the one the stack created."""
        planned = {
            str(k): str(v) for k, v in cast(dict[str, Any], key.inputs.get("tags") or {}).items()
        }
        if planned:
            holding = [
                candidate
                for candidate in (in_use, target)
                if planned.items() <= key_tags(self.access, kms, candidate["KeyId"]).items()
            ]
            if len(holding) == 1:
                return holding[0]
        created_in_use, created_target = in_use.get("CreationDate"), target.get("CreationDate")
        if created_in_use and created_target and created_target < created_in_use:
            return target
        return in_use

    def replacements(self, value: Any) -> dict[str, str]:
        """Placeholder -> real id and ARN, for the planned keys this value names.

        A key whose alias is gone or moved is named "the key behind alias/...": what
        is wanted is that key, whatever AWS holds now (the alias's own check says how
        it drifted).
        """
        text = value if isinstance(value, str) else json.dumps(value)
        swaps: dict[str, str] = {}
        for key_id in set(_KEY_ID.findall(text)):
            if key_id not in self._keys:
                continue
            key, alias, _ = self._keys[key_id]
            found = self.metadata(key_id)
            behind = f"the key behind {alias.inputs['name']}"
            swaps[str(key.state.get("arn"))] = str(found["Arn"]) if found else behind
            swaps[key_id] = str(found["KeyId"]) if found else behind
        return swaps


def _resource_aliases(policy: Any) -> list[str]:
    """The alias names a policy's conditions on kms:ResourceAliases list."""
    try:
        document: Any = json.loads(policy) if isinstance(policy, str) else policy
        raw: Any = document["Statement"]
        statements = cast(list[dict[str, Any]], raw if isinstance(raw, list) else [raw])
    except (ValueError, TypeError, KeyError):
        return []
    names: list[str] = []
    for statement in statements:
        for keys in cast(dict[str, Any], statement.get("Condition") or {}).values():
            value: Any = cast(dict[str, Any], keys).get("kms:ResourceAliases") or []
            names += [value] if isinstance(value, str) else [str(v) for v in value]
    return names


def key_tags(access: AwsAccess, kms: Any, key_id: str) -> dict[str, str]:
    """A key's tags (KMS ListResourceTags)."""
    tags: list[dict[str, Any]] = (
        access.read(kms, "list_resource_tags", KeyId=key_id).get("Tags") or []
    )
    return {str(t["TagKey"]): str(t["TagValue"]) for t in tags}


def not_planned_key(key: PlannedResource | None, metadata: Mapping[str, Any]) -> str | None:
    """Why the key an alias points at is not the planned key, or None when it may be.

    The planned key is a customer managed key with the planned description; an
    alias moved (UpdateAlias) to an AWS managed key or to another key fails this.
    """
    if metadata.get("KeyManager") != "CUSTOMER":
        return "the stack's customer key"
    if key is not None and "description" in key.inputs:
        wanted = key.inputs["description"]
        if metadata.get("Description") != wanted:
            return f"a key described {wanted!r}"
    return None


@dataclass
class CheckContext:
    """One account-Region being checked: its clients, its result, its replacements."""

    access: AwsAccess
    provider: PlannedResource | None
    region: str
    account: str
    resolver: KeyResolver
    result: TargetResult
    # What the plan grants the roles it creates (iam.RoleGrants), shared by every target.
    grants: RoleGrants = field(default_factory=RoleGrants)
    # What each component registered as outputs, by URN (the plan's registered outputs).
    component_outputs: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict[str, Mapping[str, Any]]
    )
    _clients: dict[str, Any] = field(default_factory=dict[str, Any])

    def client(self, service: str, region: str | None = None) -> Any:
        where = region or self.region
        cache_key = f"{service}@{where}"
        if cache_key not in self._clients:
            self._clients[cache_key] = self.access.client(self.provider, service, where)
        return self._clients[cache_key]

    def wanted(self, value: Any) -> Any:
        """A planned value with the real account and key ids in place of placeholders."""
        swaps: dict[str, str] = {}
        if self.provider is None and self.account and self.account != PLACEHOLDER_ACCOUNT_ID:
            swaps[f":{PLACEHOLDER_ACCOUNT_ID}:"] = f":{self.account}:"
            swaps[f"/{PLACEHOLDER_ACCOUNT_ID}/"] = f"/{self.account}/"
        swaps.update(self.resolver.replacements(value))
        return replace_placeholders(value, swaps) if swaps else value

    def checked(self, label: str) -> None:
        self.result.checked.append(label)

    def drift(
        self,
        label: str,
        name: str,
        wanted: Any,
        actual: Any,
        *,
        severity: str = "",
        fix: str = "",
        subject: str = "",
    ) -> None:
        self.result.drifts.append(
            Drift(label, name, wanted, actual, severity=severity, fix=fix, subject=subject)
        )

    def missing(self, label: str, name: str) -> None:
        self.drift(label, name, "exists", "missing")

    def read(self, label: str, name: str, call: Callable[[], Any], absent: type[Exception]) -> Any:
        """`call()`'s answer, or None with a "missing" drift when AWS raises `absent`."""
        self.checked(label)
        try:
            return call()
        except absent:
            self.missing(label, name)
            return None

    def compare_policy(self, label: str, name: str, wanted: Any, actual: Any) -> None:
        """A policy field: only the statements that differ are reported."""
        if actual is None:
            self.drift(label, name, "present", "missing")
            return
        only_wanted, only_actual = statement_diff(parse_policy(self.wanted(wanted)), actual)
        if only_wanted or only_actual:
            self.result.drifts.append(Drift(label, name, only_wanted, only_actual, statements=True))

    def compare_inputs(
        self,
        label: str,
        resource: PlannedResource,
        actual: Mapping[str, Any],
        skip: Iterable[str] = (),
    ) -> None:
        """Every planned input of the resource, except identifiers and `skip`, against AWS."""
        # Tags are compared where the reader returns them (the others: `tags.check_tags`).
        ignored = (NEVER_COMPARED - set(actual)) | set(skip)
        wanted = {k: v for k, v in resource.inputs.items() if k not in ignored}
        for path, want, held in differences(self.wanted(wanted), dict(actual)):
            self.drift(label, path, want, held)


# What every family's module maps its resource types to.
Check = Callable[[CheckContext, PlannedResource], None]
