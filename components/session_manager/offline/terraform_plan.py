"""The offline plan in Terraform's plan JSON format, for IaC scanners (checkov, trivy).

Security teams' scanners read `terraform show -json` output, not Pulumi. This writes the
plan in that format (Terraform docs, "JSON Output Format", internal/command/jsonplan):
`planned_values.root_module.resources`, `resource_changes` (every resource a create) and
`configuration.root_module.resources` with `expressions`, whose `references` name the
resource an input came from, so a scanner's graph checks connect a log group to its key.

pulumi-aws is built from terraform-provider-aws, so every AWS resource has a Terraform
type and attribute names:
- types: the bridge's table (pulumi/pulumi-aws provider/cmd/pulumi-resource-aws/
  bridge-metadata.json, `renames.resources`);
- attributes: the pulumi_aws input classes. A property's Python name is the Terraform
  attribute name, except that the bridge pluralizes a list of blocks (`rule` is `rules`);
  maps (`tags`) keep their keys, and a block is a list of one object, as Terraform shows
  blocks.
"""

from __future__ import annotations

import collections.abc
import importlib
import json
import re
import typing
from collections.abc import Mapping
from typing import Any, cast

from session_manager.offline.plan import Plan, PlannedResource
from session_manager.offline.preview import unknown_text

# How `plan --preview` shows a value known only once resources exist.
UNKNOWN_PREFIX = unknown_text([]).split(" the ")[0]

# The format these files follow (Terraform's plan JSON, format 1.2).
FORMAT_VERSION = "1.2"
# The Terraform release whose plan JSON this mirrors; no Terraform runs here.
TERRAFORM_VERSION = "1.9.0"
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"

# Terraform resource types, from pulumi-aws's bridge-metadata.json `renames.resources`.
TERRAFORM_TYPES: dict[str, str] = {
    "aws:cloudwatch/eventApiDestination:EventApiDestination": (
        "aws_cloudwatch_event_api_destination"
    ),
    "aws:cloudwatch/eventConnection:EventConnection": "aws_cloudwatch_event_connection",
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:ec2/managedPrefixList:ManagedPrefixList": "aws_ec2_managed_prefix_list",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "aws_iam_group_policy_attachment",
    "aws:iam/instanceProfile:InstanceProfile": "aws_iam_instance_profile",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "aws_s3_bucket_lifecycle_configuration"
    ),
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": (
        "aws_s3_bucket_object_lock_configuration"
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
    "aws:sqs/queuePolicy:QueuePolicy": "aws_sqs_queue_policy",
    "aws:ssm/document:Document": "aws_ssm_document",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "aws_vpc_security_group_ingress_rule"
    ),
}


class TerraformPlanError(Exception):
    """A resource type has no known Terraform type."""


def terraform_type(pulumi_type: str) -> str:
    try:
        return TERRAFORM_TYPES[pulumi_type]
    except KeyError:
        raise TerraformPlanError(
            f"no Terraform type known for {pulumi_type}: add it to TERRAFORM_TYPES from "
            "pulumi-aws's bridge-metadata.json"
        ) from None


# --- Attribute names and shapes from the pulumi_aws input classes ------------------

# A property's shape: ("scalar",), ("map",), ("block", Args class) or ("list", shape).
Shape = tuple[Any, ...]
SCALAR: Shape = ("scalar",)


def _args_class(pulumi_type: str) -> type | None:
    """pulumi_aws's input class for a type token such as aws:kms/key:Key.

    `<Resource>Args`, or `<Resource>InitArgs` where a nested type took that name
    (aws:s3/bucketServerSideEncryptionConfiguration has both).
    """
    package, module_path, class_name = pulumi_type.split(":")
    try:
        module = importlib.import_module(f"pulumi_{package}.{module_path.split('/')[0]}")
    except ImportError:
        return None
    resource_class = getattr(module, class_name, None)
    if resource_class is None:
        return None
    for suffix in ("InitArgs", "Args"):
        candidate = getattr(module, f"{class_name}{suffix}", None)
        if isinstance(candidate, type) and candidate.__module__ == resource_class.__module__:
            return candidate
    return None


def _properties(args_class: type) -> dict[str, tuple[str, Shape]]:
    """Pulumi name -> (Python name, shape) for every property of an input class."""
    found: dict[str, tuple[str, Shape]] = {}
    module = importlib.import_module(args_class.__module__)
    for python_name, member in vars(args_class).items():
        if not isinstance(member, property) or member.fget is None:
            continue
        pulumi_name = getattr(member.fget, "_pulumi_name", None)
        if pulumi_name is None:
            continue
        annotation = member.fget.__annotations__.get("return")
        found[pulumi_name] = (python_name, _shape(annotation, vars(module)))
    return found


def _shape(annotation: Any, namespace: Mapping[str, Any]) -> Shape:
    """What an annotation such as Input[Optional[Sequence[Input['XArgs']]]] holds."""
    if isinstance(annotation, typing.ForwardRef):
        name = annotation.__forward_arg__
        target = namespace.get(name) if name.endswith("Args") else None
        return ("block", target) if isinstance(target, type) else SCALAR
    if isinstance(annotation, type) and annotation.__name__.endswith("Args"):
        return ("block", annotation)
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is collections.abc.Mapping:
        return ("map",)
    if origin is collections.abc.Sequence and arguments:
        return ("list", _shape(arguments[0], namespace))
    if origin is typing.Union:
        # Input[T] is Union[T, Awaitable[T], Output[T]]: T is the first that says more.
        for argument in arguments:
            if typing.get_origin(argument) is collections.abc.Awaitable:
                continue
            shape = _shape(argument, namespace)
            if shape != SCALAR:
                return shape
    return SCALAR


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _singular(name: str) -> str:
    """Undo the bridge's pluralization of a list of blocks (rules -> rule, policies -> policy)."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def terraform_attribute(name: str, shape: Shape, python_name: str | None) -> str:
    """The Terraform attribute a Pulumi input is, given its Python name and shape."""
    base = python_name or _snake(name)
    if shape[0] == "list" and shape[1][0] == "block":
        return _singular(base)
    return base


def terraform_values(pulumi_type: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's Pulumi inputs as Terraform attributes, blocks as lists of objects."""
    return _values(inputs, _args_class(pulumi_type))


def _values(inputs: Mapping[str, Any], args_class: type | None) -> dict[str, Any]:
    return {attribute: value for attribute, (value, _) in _attributes(inputs, args_class).items()}


def _attributes(inputs: Mapping[str, Any], args_class: type | None) -> dict[str, tuple[Any, str]]:
    """Terraform attribute -> (value, the Pulumi input it came from)."""
    properties = _properties(args_class) if args_class else {}
    values: dict[str, tuple[Any, str]] = {}
    for name, value in inputs.items():
        python_name, shape = properties.get(name, (None, SCALAR))
        values[terraform_attribute(name, shape, python_name)] = (_convert(value, shape), name)
    return values


def _convert(value: Any, shape: Shape) -> Any:
    if value is None:
        return None
    if shape[0] == "block" and isinstance(value, dict):
        return [_values(cast(dict[str, Any], value), shape[1])]
    if shape[0] == "list" and isinstance(value, list):
        items = [_convert(item, shape[1]) for item in cast(list[Any], value)]
        # A list of blocks: each converted block is a list of one object.
        if shape[1][0] == "block":
            return [block[0] for block in items if block]
        return items
    return value


# --- References ---------------------------------------------------------------


class _Addresses:
    """Terraform addresses of the plan's AWS resources, and what each one's state holds."""

    def __init__(self, resources: list[PlannedResource]) -> None:
        self.by_urn: dict[str, str] = {}
        self.state: dict[str, dict[str, Any]] = {}
        taken: set[str] = set()
        for resource in resources:
            address = f"{terraform_type(resource.type)}.{_identifier(resource.name)}"
            unique, count = address, 1
            while unique in taken:
                count += 1
                unique = f"{address}_{count}"
            taken.add(unique)
            self.by_urn[resource.urn] = unique
            self.state[unique] = resource.state

    def references(self, value: str, dependencies: list[str]) -> tuple[list[str], bool]:
        """`address.attribute` and `address` for each dependency whose output `value` uses.

        The flag says whether `value` IS one of those outputs (`attr = aws_x.y.arn`), not
        just text built from one (a policy naming a log group).
        """
        found: list[str] = []
        whole = False
        for urn in sorted(dependencies):
            address = self.by_urn.get(urn)
            if address is None:
                continue
            for key, output in sorted(self.state[address].items()):
                if key in _NOT_IDENTIFIERS or not isinstance(output, str) or len(output) < 4:
                    continue
                if output in value:
                    found += [f"{address}.{_snake(key)}", address]
                    whole = whole or output == value
                    break
        return found, whole


# Outputs that say where or how a resource is, not which one: no value comes from them.
_NOT_IDENTIFIERS = frozenset({"region", "description", "tags", "tagsAll"})


def _identifier(name: str) -> str:
    """A Terraform resource name: letters, digits, underscores and dashes, not a digit first."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"


def _expressions(
    values: Mapping[str, tuple[Any, str]],
    dependencies: Mapping[str, list[str]],
    addresses: _Addresses,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The configuration's expressions, and which values are known only after apply.

    A value that is another resource's output (`kms_key_id = aws_kms_key.k.arn`) is,
    in a plan that creates both, unknown until apply: Terraform leaves it out of
    `after` and marks it in `after_unknown`, and scanners follow the reference. Text
    built from outputs (a policy naming a log group) stays, so scanners judge it.
    """
    expressions: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    for attribute, (value, name) in values.items():
        expression, is_unknown = _expression(value, dependencies.get(name, []), addresses)
        expressions[attribute] = expression
        if is_unknown:
            unknown[attribute] = is_unknown
    return expressions, unknown


def _expression(value: Any, dependencies: list[str], addresses: _Addresses) -> tuple[Any, Any]:
    """An expression for `value`, and its `after_unknown` mark (True, nested, or None)."""
    items = cast(list[Any], value) if isinstance(value, list) else []
    if items and all(isinstance(item, dict) for item in items):
        # Nested blocks: a list of objects of expressions, one per block.
        blocks: list[dict[str, Any]] = []
        marks: list[dict[str, Any]] = []
        for item in cast(list[dict[str, Any]], items):
            nested = {key: _expression(v, dependencies, addresses) for key, v in item.items()}
            blocks.append({key: expression for key, (expression, _) in nested.items()})
            marks.append({key: mark for key, (_, mark) in nested.items() if mark})
        return blocks, marks if any(marks) else None
    if isinstance(value, str) and value.startswith(UNKNOWN_PREFIX):
        # `plan --preview`: unknown until the resources it waits for exist.
        waits_for = sorted({addresses.by_urn[u] for u in dependencies if u in addresses.by_urn})
        return {"references": waits_for}, True
    if isinstance(value, str) and dependencies:
        references, whole = addresses.references(value, dependencies)
        if references:
            return {"references": references}, whole or None
    constant: dict[str, Any] = {"constant_value": value}
    return constant, None


def _known_now(value: Any, unknown: Any) -> Any:
    """`value` without what `unknown` marks as known only after apply."""
    if unknown is True:
        return None
    if isinstance(unknown, dict) and isinstance(value, dict):
        marks = cast(dict[str, Any], unknown)
        return {
            key: _known_now(item, marks.get(key))
            for key, item in cast(dict[str, Any], value).items()
            if marks.get(key) is not True
        }
    if isinstance(unknown, list) and isinstance(value, list):
        return [
            _known_now(item, mark)
            for item, mark in zip(cast(list[Any], value), cast(list[Any], unknown), strict=True)
        ]
    return value


# --- The plan -----------------------------------------------------------------


def _scanned(plan: Plan) -> list[PlannedResource]:
    """The resources a scanner judges: AWS resources, not components or providers."""
    return [
        r
        for r in plan.resources
        if r.custom and r.type.startswith("aws:") and not r.type.startswith("pulumi:")
    ]


def terraform_plan(plan: Plan) -> dict[str, Any]:
    """The plan as `terraform show -json` prints a plan that creates every resource."""
    resources = _scanned(plan)
    addresses = _Addresses(resources)
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    for resource in resources:
        address = addresses.by_urn[resource.urn]
        tf_type, name = address.split(".", 1)
        values = _attributes(resource.inputs, _args_class(resource.type))
        expressions, unknown = _expressions(values, resource.input_dependencies, addresses)
        after = _known_now({key: value for key, (value, _) in values.items()}, unknown)
        common = {
            "address": address,
            "mode": "managed",
            "type": tf_type,
            "name": name,
            "provider_name": PROVIDER_NAME,
        }
        planned.append(common | {"schema_version": 0, "values": after, "sensitive_values": {}})
        changes.append(
            common
            | {
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": unknown,
                    "before_sensitive": False,
                    "after_sensitive": {},
                }
            }
        )
        configured.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
                "expressions": expressions,
                "schema_version": 0,
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER_NAME}},
            "root_module": {"resources": configured},
        },
    }


def format_terraform_plan(plan: Plan) -> str:
    return json.dumps(terraform_plan(plan), indent=2, sort_keys=True)
