"""The IAM policy grammar every builder shares: documents, and the ARNs they name.

Every ARN is built from the partition it lives in, so the same code is right in aws,
aws-cn and aws-us-gov. Values come out sorted, so the same inputs serialize the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"

Statement = dict[str, Any]
Policy = dict[str, Any]


def one_or_many(values: Iterable[str]) -> str | list[str]:
    unique = sorted(set(values))
    return unique[0] if len(unique) == 1 else unique


def policy_document(statements: Sequence[Statement]) -> Policy:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def account_root_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def log_group_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def document_arns(partition: str, account_id: str, names: Iterable[str]) -> list[str]:
    """This account's documents, in every Region (documents are regional, names are not)."""
    return sorted({f"arn:{partition}:ssm:*:{account_id}:document/{name}" for name in names})


def managed_node_arns(partition: str, account_id: str) -> list[str]:
    """This account's EC2 instances and hybrid managed nodes, in every Region."""
    return [
        f"arn:{partition}:ec2:*:{account_id}:instance/*",
        f"arn:{partition}:ssm:*:{account_id}:managed-instance/*",
    ]


def policy_json(policy: Policy) -> str:
    """A policy as the components write it: sorted keys and a two-space indent, so every
    run serializes it byte for byte the same (no diff on a second `pulumi up`)."""
    return json.dumps(policy, indent=2, sort_keys=True)
