"""AWS's own rules: partitions, name patterns and allowed values.

Everything here is a fact about AWS, not a choice of this project, so the config
models, the document renderer and the policy builders share one copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from session_manager.aws.limits import document_names

# --- Partitions -------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    """An AWS partition: the `arn:<name>:` segment and the service DNS suffix."""

    name: str
    dns_suffix: str


# Region-name prefixes to partitions, longest prefix first.
_PARTITION_BY_REGION_PREFIX: tuple[tuple[str, Partition], ...] = (
    ("us-isob-", Partition("aws-iso-b", "sc2s.sgov.gov")),
    ("us-isof-", Partition("aws-iso-f", "csp.hci.ic.gov")),
    ("eu-isoe-", Partition("aws-iso-e", "cloud.adc-e.uk")),
    ("us-iso-", Partition("aws-iso", "c2s.ic.gov")),
    ("us-gov-", Partition("aws-us-gov", "amazonaws.com")),
    ("cn-", Partition("aws-cn", "amazonaws.com.cn")),
)
_COMMERCIAL = Partition("aws", "amazonaws.com")

PARTITION_NAMES = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")


def partition_of_region(region: str) -> Partition:
    """The partition a Region belongs to (`cn-north-1` -> aws-cn)."""
    for prefix, partition in _PARTITION_BY_REGION_PREFIX:
        if region.startswith(prefix):
            return partition
    return _COMMERCIAL


# Interface endpoint services that the China Regions name `cn.com.amazonaws.<region>.<service>`.
# Every other service there, and every gateway endpoint (S3, DynamoDB), keeps
# `com.amazonaws`: aws-cdk packages/aws-cdk-lib/aws-ec2/lib/vpc-endpoint.ts
# (getDefaultEndpointPrefix lists the exceptions for cn-north-1 and cn-northwest-1, and
# names neither ssm, ssmmessages, ec2messages, logs nor kms). Only the exceptions both
# China Regions share are kept, as far as this project could use them.
CHINA_PREFIXED_INTERFACE_SERVICES = frozenset(
    {"ec2", "ecr.api", "ecr.dkr", "lambda", "monitoring", "s3", "sqs", "sts"}
)


# The interface endpoints Session Manager uses from a private subnet: ssm, ssmmessages,
# ec2messages, and logs and kms when logging to CloudWatch or encrypting with KMS (Systems
# Manager User Guide, "Improve the security of EC2 instances by using VPC endpoints for
# Systems Manager", https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html).
# S3 is a gateway endpoint, asked for by its route tables.
SESSION_ENDPOINT_SERVICES = ("ec2messages", "kms", "logs", "ssm", "ssmmessages")


def endpoint_services_problem(services: list[str]) -> str | None:
    unknown = [service for service in services if service not in SESSION_ENDPOINT_SERVICES]
    if not unknown:
        return None
    return (
        f"names {', '.join(map(repr, unknown))}, not an interface endpoint Session Manager "
        f"uses; use {', '.join(SESSION_ENDPOINT_SERVICES)} (S3 comes with route_table_ids)"
    )


def endpoint_service_name(service: str, region: str, *, gateway: bool = False) -> str:
    """A VPC endpoint service name: com.amazonaws.<region>.<service>, or cn.com... where China
    names the service so (see CHINA_PREFIXED_INTERFACE_SERVICES)."""
    china = partition_of_region(region).name == "aws-cn"
    prefixed = china and not gateway and service in CHINA_PREFIXED_INTERFACE_SERVICES
    return f"{'cn.com.amazonaws' if prefixed else 'com.amazonaws'}.{region}.{service}"


def service_principal(service: str, region: str) -> str:
    """A Regional service principal, e.g. `logs.cn-north-1.amazonaws.com.cn`."""
    return f"{service}.{region}.{partition_of_region(region).dns_suffix}"


# --- Names and identifiers --------------------------------------------------

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")

# S3 general purpose bucket naming rules.
BUCKET_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def bucket_name_problem(name: str) -> str | None:
    """Why `name` is not a valid S3 bucket name, or None when it is."""
    if not BUCKET_NAME_PATTERN.match(name):
        return (
            "must be 3-63 characters of lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in name:
        return "must not contain two adjacent dots"
    if _IPV4.match(name):
        return "must not look like an IP address"
    for prefix in BUCKET_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with the reserved prefix {prefix!r}"
    for suffix in BUCKET_RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with the reserved suffix {suffix!r}"
    return None


# The values CloudWatch Logs accepts for retentionInDays (0 = never expire).
LOG_RETENTION_DAYS = (
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_MRK = r"mrk-[0-9a-f]{32}"
_ALIAS_NAME = r"alias/[A-Za-z0-9/_-]{1,250}"
_ARN_PREFIX = (
    r"arn:(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f):kms:[a-z0-9-]+:\d{12}:"
)
KMS_KEY_REFERENCE_PATTERN = re.compile(
    rf"^(?:{_UUID}|{_MRK}|{_ALIAS_NAME}|{_ARN_PREFIX}key/(?:{_UUID}|{_MRK})|{_ARN_PREFIX}{_ALIAS_NAME})$"
)
KMS_KEY_ARN_PATTERN = re.compile(rf"^{_ARN_PREFIX}key/(?:{_UUID}|{_MRK})$")
KMS_ALIAS_PATTERN = re.compile(rf"^{_ALIAS_NAME}$")
KMS_KEY_REFERENCE_FORMS = (
    "a key id (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-...), a key ARN, "
    "an alias name (alias/...) or an alias ARN"
)
KMS_DELETION_WINDOW_DAYS = (7, 30)

# --- Session documents ------------------------------------------------------

SESSION_TYPES = ("Standard_Stream", "InteractiveCommands", "NonInteractiveCommands", "Port")
DOCUMENT_RESERVED_PREFIXES = (
    "aws",
    "amazon",
    "amzn",
    "AWSEC2",
    "AWSConfigRemediation",
    "AWSSupport",
)
DOCUMENT_CONTENT_MAX_BYTES = 64 * 1024
PREFERENCES_DOCUMENT_NAME = "SSM-SessionManagerRunShell"

IDLE_SESSION_TIMEOUT_MINUTES = (1, 60)
MAX_SESSION_DURATION_MINUTES = (1, 1440)

# Linux user names as useradd accepts them by default, plus dots and upper case,
# which directory-joined hosts use; at most 32 characters.
LINUX_USER_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")


def document_name_problem(name: str) -> str | None:
    """Why `name` cannot name an SSM document, or None when it can."""
    rule = document_names()  # botocore's ssm model
    if not rule.admits(name):
        return f"must be {rule.lengths} characters of letters, digits, '_', '-' and '.'"
    lowered = name.lower()
    for prefix in DOCUMENT_RESERVED_PREFIXES:
        if lowered.startswith(prefix.lower()):
            return f"must not start with the reserved prefix {prefix!r}"
    return None
