"""AWS's limits on tags, read from the installed botocore's service models.

Every taggable resource this project creates belongs to one of `TAGGED_SERVICES`; the
stack's `tags` go on all of them, so the tightest limit of those services applies.
botocore's models state each service's tag-key and tag-value lengths, the characters
they allow (as `\\p{L}`-style patterns) and how many tags one call takes. The reserved
`aws:` prefix is stated in no model; it comes from AWS's tagging guide.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from session_manager.aws.botocore_data import service_shapes

# service -> (tag-key shape, tag-value shape, tag-collection shape) in its botocore model.
TAGGED_SERVICES: dict[str, tuple[str, str, str]] = {
    "ssm": ("TagKey", "TagValue", "TagList"),  # Session documents
    "kms": ("TagKeyType", "TagValueType", "TagList"),  # keys
    "logs": ("TagKey", "TagValue", "Tags"),  # log groups
    "iam": ("tagKeyType", "tagValueType", "tagListType"),  # policies and roles
}

# "Tag keys and values ... The aws: prefix is reserved for AWS use" (AWS Tagging Best
# Practices, https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
RESERVED_TAG_PREFIX = "aws:"

# IAM compares tag keys without case: "Tag keys are case insensitive" and two keys that
# differ only in case are refused ("Duplicate tag keys found", IAM User Guide, Tagging IAM
# resources, https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html; moto/iam's
# DuplicateTags). EC2, SSM, KMS and CloudWatch Logs keys are case-sensitive.
CASE_INSENSITIVE_TAG_SERVICES = ("iam",)


@dataclass(frozen=True)
class CharacterClass:
    """A botocore pattern's character class: Unicode categories plus literal characters."""

    categories: frozenset[str]
    literals: frozenset[str]

    def admits(self, char: str) -> bool:
        return unicodedata.category(char)[0] in self.categories or char in self.literals


def character_class(pattern: str) -> CharacterClass:
    """The one bracketed class of a pattern like `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`."""
    body = pattern[pattern.index("[") + 1 : pattern.rindex("]")]
    categories = frozenset(re.findall(r"\\p\{(\w)\}", body))
    rest = re.sub(r"\\p\{\w\}", "", body)
    return CharacterClass(categories, frozenset(re.sub(r"\\(.)", r"\1", rest)))


@dataclass(frozen=True)
class TagLimits:
    """The tightest tag limits of every tagged service, with the service that sets each."""

    key_max: tuple[int, str]
    value_max: tuple[int, str]
    count_max: tuple[int, str]
    classes: tuple[tuple[CharacterClass, str], ...]


@cache
def tag_limits() -> TagLimits:
    key_max: list[tuple[int, str]] = []
    value_max: list[tuple[int, str]] = []
    count_max: list[tuple[int, str]] = []
    classes: list[tuple[CharacterClass, str]] = []
    for service, names in TAGGED_SERVICES.items():
        shapes = service_shapes(service)
        key, value, collection = (shapes[name] for name in names)
        key_max.append((int(key["max"]), service))
        value_max.append((int(value["max"]), service))
        if "max" in collection:
            count_max.append((int(collection["max"]), service))
        for shape in (key, value):
            if "pattern" in shape:
                classes.append((character_class(str(shape["pattern"])), service))
    return TagLimits(min(key_max), min(value_max), min(count_max), tuple(classes))


def _text_problem(text: str, what: str, limit: tuple[int, str], limits: TagLimits) -> str | None:
    if what == "key" and not text:
        return "a tag key must not be empty"
    if len(text) > limit[0]:
        return (
            f"tag {what} {text[:40]!r}... is {len(text)} characters; {limit[1]} allows {limit[0]}"
        )
    for char in text:
        refusing = [service for cls, service in limits.classes if not cls.admits(char)]
        if refusing:
            return (
                f"tag {what} {text!r} has {char!r}, which {', '.join(sorted(set(refusing)))} "
                "refuses: use letters, digits, spaces and _ . : / = + - @"
            )
    if text.lower().startswith(RESERVED_TAG_PREFIX):
        return f"tag {what} {text!r} starts with the prefix 'aws:', which AWS reserves for itself"
    return None


def case_duplicate_problems(tags: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(tag key, problem) for each key that differs from an earlier one only in case."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for key in map(str, tags):
        first = seen.setdefault(key.lower(), key)
        if first != key:
            problems.append(
                (
                    key,
                    f"tag key {key!r} differs from {first!r} only in case; "
                    f"{', '.join(CASE_INSENSITIVE_TAG_SERVICES)} compares tag keys without "
                    "case and refuses both: keep one",
                )
            )
    return problems


def tag_problems(
    tags: Mapping[str, Any], *, case_insensitive: bool = True
) -> list[tuple[str, str]]:
    """(tag key or '', problem) for every tag AWS would refuse on a resource of this project.

    `case_insensitive`: the tags also go on IAM resources, which refuse keys that differ
    only in case.
    """
    limits = tag_limits()
    problems: list[tuple[str, str]] = []
    if case_insensitive:
        problems += case_duplicate_problems(tags)
    if len(tags) > limits.count_max[0]:
        problems.append(
            (
                "",
                f"has {len(tags)} tags; {limits.count_max[1]} allows {limits.count_max[0]} "
                "per resource",
            )
        )
    for key, value in tags.items():
        problem = _text_problem(str(key), "key", limits.key_max, limits)
        problem = problem or _text_problem(str(value), "value", limits.value_max, limits)
        if problem:
            problems.append((str(key), problem))
    return problems


# EC2 (VPC endpoints, managed prefix lists) --------------------------------------
# EC2's model states no tag limits as shape bounds: its `Tag` shape says them in words
# ("Tag keys are case-sensitive and accept a maximum of 127 Unicode characters", values
# 256), read from there. The count is in no model: "Maximum number of tags per resource:
# 50" (Amazon EC2 User Guide, Tag restrictions,
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions).
EC2_TAGS_PER_RESOURCE = 50
# The tags the program adds to every EC2 resource it creates (vpc_endpoints.py).
EC2_ADDED_TAG_KEYS = ("Name",)


@cache
def ec2_tag_lengths() -> tuple[int, int]:
    """(key, value) maximum lengths in characters, from the words of EC2's `Tag` shape."""
    members = service_shapes("ec2")["Tag"]["members"]

    def stated(member: str) -> int:
        words = str(members[member].get("documentation", ""))
        found = re.search(r"maximum of (\d+) Unicode characters", words)
        if found is None:
            raise RuntimeError(f"botocore's ec2 Tag.{member} no longer states its length")
        return int(found.group(1))

    return stated("Key"), stated("Value")


def ec2_tag_problems(tags: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(tag key or '', problem) for tags EC2 refuses once the program adds its own."""
    key_max, value_max = ec2_tag_lengths()
    problems: list[tuple[str, str]] = []
    total = len({*map(str, tags), *EC2_ADDED_TAG_KEYS})
    if total > EC2_TAGS_PER_RESOURCE:
        problems.append(
            (
                "",
                f"has {len(tags)} tags, and each VPC endpoint and prefix list also gets "
                f"{', '.join(map(repr, EC2_ADDED_TAG_KEYS))}: {total} tags, where ec2 allows "
                f"{EC2_TAGS_PER_RESOURCE} per resource; drop {total - EC2_TAGS_PER_RESOURCE}",
            )
        )
    for key, value in tags.items():
        if len(str(key)) > key_max:
            problems.append(
                (str(key), f"tag key is {len(str(key))} characters; ec2 allows {key_max}")
            )
        elif len(str(value)) > value_max:
            problems.append(
                (str(key), f"tag value is {len(str(value))} characters; ec2 allows {value_max}")
            )
    return problems


# TCP ports are 16-bit (RFC 9293 section 3.1): 1-65535 to connect to. A local port of 0
# lets the plugin choose an open one (AWS-StartPortForwardingSession: "An open port is
# chosen at run-time if not specified").
PORT_RANGES = {"portNumber": (1, 65535), "localPortNumber": (0, 65535)}


def _mapping(value: Any) -> Mapping[str, Any]:
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}


def port_problems(content: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(path in the content, problem) for each literal port of a Port document out of range.

    Values that reference a parameter (`{{ portNumber }}`) are checked as that
    parameter's default.
    """
    if content.get("sessionType") != "Port":
        return []
    places: list[tuple[tuple[str, ...], str, Any]] = []
    properties = _mapping(content.get("properties"))
    parameters = _mapping(content.get("parameters"))
    for name in PORT_RANGES:
        if name in properties:
            places.append((("properties", name), name, properties[name]))
        spec = _mapping(parameters.get(name))
        if "default" in spec:
            places.append((("parameters", name, "default"), name, spec["default"]))
    problems: list[tuple[tuple[str, ...], str]] = []
    for where, name, value in places:
        if isinstance(value, str) and "{{" in value:
            continue
        low, high = PORT_RANGES[name]
        try:
            number = int(str(value).strip())
        except ValueError:
            continue  # a word, like AWS's schema example `anyPortNumber`: not a number to check
        if not low <= number <= high:
            problems.append((where, f"{value!r} is not a port; use a number from {low} to {high}"))
    return problems


# --- Where a key can serve ---------------------------------------------------


def key_arn_problem(arn: str, regions: list[str], partition: str, user: str) -> str | None:
    """Why a KMS key ARN cannot serve `user` in `regions`, or None (ids and aliases: per Region)."""
    if not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    key_partition, key_region = parts[1], parts[3]
    if key_partition != partition:
        return (
            f"{arn} is in partition {key_partition}, but the stack deploys in {partition}; "
            "a key serves only its own partition"
        )
    elsewhere = [region for region in regions if region != key_region]
    if elsewhere:
        return (
            f"is a key in {key_region}, but {user} in {', '.join(elsewhere)} can only use a key "
            "of its own Region; name the key by an alias (alias/...) that exists in every "
            "Region, or let the stack create one per Region"
        )
    return None


# --- Names ------------------------------------------------------------------

# "Log group names can't start with the string aws/" (CloudWatch Logs API reference,
# CreateLogGroup, which botocore's logs model carries as its documentation).
RESERVED_LOG_GROUP_PREFIX = "aws/"


@dataclass(frozen=True)
class NameRule:
    """A name shape of a botocore model: its pattern and its length bounds."""

    pattern: re.Pattern[str]
    min_length: int
    max_length: int

    def admits(self, name: str) -> bool:
        return (
            self.min_length <= len(name) <= self.max_length
            and self.pattern.fullmatch(name) is not None
        )

    @property
    def lengths(self) -> str:
        return f"{self.min_length}-{self.max_length}"


@cache
def name_rule(service: str, shape: str) -> NameRule:
    """The rule botocore's `service` model states for a name `shape`.

    Lengths come from the shape's min and max, or from a `{min,max}` in its pattern
    (ssm's DocumentName states them only there).
    """
    spec = service_shapes(service)[shape]
    pattern = str(spec["pattern"])
    bounds = re.search(r"\{(\d+),(\d+)\}", pattern)
    low = int(spec.get("min", bounds.group(1) if bounds else 0))
    high = int(spec.get("max", bounds.group(2) if bounds else 2**31))
    # ASCII: the models' patterns are Java's, where \w is [A-Za-z0-9_].
    return NameRule(re.compile(pattern, re.ASCII), low, high)


def iam_policy_names() -> NameRule:
    return name_rule("iam", "policyNameType")


def iam_group_names() -> NameRule:
    return name_rule("iam", "groupNameType")


def iam_role_names() -> NameRule:
    return name_rule("iam", "roleNameType")


def kms_alias_names() -> NameRule:
    return name_rule("kms", "AliasNameType")


def log_group_names() -> NameRule:
    return name_rule("logs", "LogGroupName")


def document_names() -> NameRule:
    return name_rule("ssm", "DocumentName")


@cache
def number_range(service: str, shape: str) -> tuple[int, int]:
    """The min and max botocore's `service` model states for an integer `shape`."""
    spec = service_shapes(service)[shape]
    return int(spec["min"]), int(spec["max"])


def retry_attempts() -> tuple[int, int]:
    """EventBridge's RetryPolicy.MaximumRetryAttempts (0-185)."""
    return number_range("events", "MaximumRetryAttempts")


def event_ages() -> tuple[int, int]:
    """EventBridge's RetryPolicy.MaximumEventAgeInSeconds (60-86400)."""
    return number_range("events", "MaximumEventAgeInSeconds")
