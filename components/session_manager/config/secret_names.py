"""Config keys that become names, which no secret may hold.

Pulumi encrypts a secret input or output in state, but never a resource's id or URN
(pulumi/pulumi#2717, #8946): both are stored and printed in plain text. The bridged
provider's id is the physical name for IAM roles, instance profiles and policies (the
ARN), SSM documents, log groups, S3 buckets and KMS aliases, and a policy
attachment's id starts with its role or group (terraform-provider-aws `d.SetId` in
internal/service/{iam,ssm,logs,s3,kms}); the program also builds logical names (part
of the URN) from accounts, Regions, VPC ids and document names. A `secure:` value
under one of these keys would be written in plain text anyway, so it is refused.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from session_manager.config.errors import NAMESPACE

_PEOPLE_POLICIES = (
    "sessionUsers",
    "instanceInventory",
    "preferencesGuard",
    "justInTimeRequesters",
    "justInTimeApprovers",
)

# `[]` stands for any list index.
NAME_KEYS: frozenset[str] = frozenset(
    {
        "aws:region",
        f"{NAMESPACE}:regions[]",
        f"{NAMESPACE}:targets[].account",
        f"{NAMESPACE}:targets[].regions[]",
        f"{NAMESPACE}:targets[].preferences.cloudWatchLogGroupName",
        f"{NAMESPACE}:vpcEndpoints[].region",
        f"{NAMESPACE}:vpcEndpoints[].vpcId",
        f"{NAMESPACE}:documentName",
        f"{NAMESPACE}:documents[].name",
        f"{NAMESPACE}:preferences.cloudWatchLogGroupName",
        f"{NAMESPACE}:sessionDataKey.alias",
        f"{NAMESPACE}:logGroup.kmsKeyAlias",
        f"{NAMESPACE}:instanceAccess.policyName",
        f"{NAMESPACE}:instanceAccess.roleName",
        f"{NAMESPACE}:instanceAccess.attachToRoles[]",
        f"{NAMESPACE}:centralLogging.account",
        f"{NAMESPACE}:centralLogging.bucketName",
        f"{NAMESPACE}:centralLogging.kmsKeyAlias",
        f"{NAMESPACE}:centralLogging.accessLogging.bucketName",
        f"{NAMESPACE}:accountEvents.account",
        f"{NAMESPACE}:accountEvents.name",
        *(
            f"{NAMESPACE}:accessPolicies.{policy}.{key}"
            for policy in _PEOPLE_POLICIES
            for key in ("name", "attachToRoles[]", "attachToGroups[]")
        ),
    }
)

SECRET_NAME = (
    "holds a name, which can't be secret: names become resource ids and URNs, which "
    "Pulumi stores in plain text; set it without --secret"
)


def name_key(path: str) -> str:
    """`session-manager:documents[2].name` as NAME_KEYS writes it: `...documents[].name`."""
    return re.sub(r"\[\d+\]", "[]", path)


def secure_paths(stack_file: Mapping[str, Any]) -> Iterator[str]:
    """The config path of every `secure:` value the stack file's `config:` mapping declares."""
    for key, value in stack_file.items():
        yield from _secure_under(str(key), value)


def _secure_under(path: str, value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        mapping = cast(dict[str, Any], value)
        if set(mapping) == {"secure"}:
            yield path
            return
        for key, item in mapping.items():
            yield from _secure_under(f"{path}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[Any], value)):
            yield from _secure_under(f"{path}[{index}]", item)


def secret_name_problems(secure: Iterable[str], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One problem per secret value that is a name.

    `secure`: the secret config paths (a whole key or object set with `--secret` too);
    `config`: the engine's `ns:key` -> value (JSON text for objects), read to find the
    values inside a secret object or list.
    """
    problems: list[tuple[str, str]] = []
    for path in dict.fromkeys(secure):
        for leaf in _leaf_paths(path, _value_at(config, path)):
            if name_key(leaf) in NAME_KEYS:
                problems.append((leaf, SECRET_NAME))
    return problems


def _value_at(config: Mapping[str, Any], path: str) -> Any:
    """The value at `ns:key.a[0].b`, or None when there is none."""
    key, rest = re.match(r"([^.\[]+)(.*)", path).groups()  # pyright: ignore[reportOptionalMemberAccess]
    value = _decoded(config.get(key))
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", rest):
        if name and isinstance(value, dict):
            value = _decoded(cast(dict[str, Any], value).get(name))
        elif index and isinstance(value, list) and int(index) < len(cast(list[Any], value)):
            value = _decoded(cast(list[Any], value)[int(index)])
        else:
            return None
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        with contextlib.suppress(json.JSONDecodeError):
            return json.loads(value)
    return value


def _leaf_paths(path: str, value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in cast(dict[str, Any], value).items():
            yield from _leaf_paths(f"{path}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[Any], value)):
            yield from _leaf_paths(f"{path}[{index}]", item)
    else:
        yield path
