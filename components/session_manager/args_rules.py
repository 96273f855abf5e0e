"""What AWS (and the stack config) allow of each component arg, by args TypedDict and key.

`args_check` checks each arg's type against its annotation; these rules then check
a known value (not an Output) the way the stack config checks the same setting: the
same field checks (config/fields.py), the config model's own field for an arg that is
a config key under another name (`CONFIG_FIELDS`), and the limits of aws/ for the rest.
`tests/test_args_rules.py` fails for an arg with no rule and no reason why none applies.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from session_manager.args_rules_jit import JIT_ARGS_WITHOUT_RULES, JIT_VALUE_RULES
from session_manager.aws.account_events import ORGANIZATIONS_HOME_REGIONS
from session_manager.aws.defaults import DEFAULT_INSTANCE_ROLE_NAME
from session_manager.aws.jit import ACCESS_DURATION_HOURS
from session_manager.aws.parameter_references import reference_problem
from session_manager.aws.regions import region_problem
from session_manager.aws.rules import (
    DOCUMENT_CONTENT_MAX_BYTES,
    IDLE_SESSION_TIMEOUT_MINUTES,
    KMS_ALIAS_PATTERN,
    KMS_DELETION_WINDOW_DAYS,
    LOG_RETENTION_DAYS,
    MAX_SESSION_DURATION_MINUTES,
    PARTITION_NAMES,
    bucket_name_problem,
    document_name_problem,
    endpoint_services_problem,
    partition_of_region,
)
from session_manager.config.account_events import HEADER_NAME_PATTERN, AccountEvents
from session_manager.config.documents import CustomDocument
from session_manager.config.fields import (
    ORGANIZATIONAL_UNIT_PATTERN,
    check_account,
    check_bucket,
    check_ec2_id,
    check_group_names,
    check_iam_name,
    check_key_prefix,
    check_kms_key_arn,
    check_kms_reference,
    check_log_group_name,
    check_new_alias,
    check_role_name,
    check_role_names,
)
from session_manager.config.log_archive import ObjectLock
from session_manager.config.organization import CentralLogging
from session_manager.config.people import PreferencesGuardPolicy, SessionUsersPolicy
from session_manager.config.preferences import Preferences
from session_manager.config.resources import VpcEndpoints
from session_manager.config.secrets import UNDECRYPTED

LOG_RETENTION_DAYS_TEXT = ", ".join(str(days) for days in LOG_RETENTION_DAYS)


def _is_plain(value: object) -> bool:
    """A value known now (not an Output or awaitable, not left out)."""
    return isinstance(value, (str, int, float, bool))


def is_known(value: object) -> bool:
    """A plain value, or a list or dict of them: known now, so a rule can check it."""
    if isinstance(value, (list, tuple)):
        return all(is_known(element) for element in cast(Sequence[object], value))
    if isinstance(value, Mapping):
        items = cast(Mapping[object, object], value).items()
        return all(_is_plain(key) and is_known(element) for key, element in items)
    return _is_plain(value)


def _field_rule(check: Callable[[Any], object]) -> Callable[[Any], str | None]:
    """A stack config field's check (config/fields.py), as a rule: one rule for both paths."""

    def rule(value: Any) -> str | None:
        # Left empty means not set (a required one is refused as such); the offline plan's
        # placeholder for a secret has no value to check.
        if value in ("", UNDECRYPTED):
            return None
        try:
            check(value)
        except PydanticCustomError as error:
            message = error.message()
            return message if message.startswith(repr(value)) else f"{value!r}: {message}"
        return None

    return rule


def _each(check: Callable[[Any], object]) -> Callable[[Any], object]:
    def each(values: Any) -> object:
        return [check(value) for value in values]

    return each


def _range_rule(low: int, high: int, unit: str) -> Callable[[Any], str | None]:
    def rule(value: Any) -> str | None:
        return None if low <= value <= high else f"must be {low}-{high} {unit}, got {value!r}"

    return rule


def _text_rule(check: Callable[[str], str | None]) -> Callable[[Any], str | None]:
    def rule(value: Any) -> str | None:
        problem = check(value)
        return (
            f"{value!r}: {problem}" if problem and not problem.startswith(repr(value)) else problem
        )

    return rule


def _retention(value: Any) -> str | None:
    if value in LOG_RETENTION_DAYS:
        return None
    return f"must be a retention CloudWatch Logs accepts ({LOG_RETENTION_DAYS_TEXT}), got {value!r}"


def _ec2_ids(kind: str) -> Callable[[Any], object]:
    return _each(functools.partial(check_ec2_id, kind=kind))


# The args TypedDicts with an `account_id`.
ACCOUNT_ARGS = (
    "SessionManagerPreferencesArgs",
    "SessionManagerInstanceAccessArgs",
    "CentralLogBucketArgs",
    "SessionManagerAccessPoliciesArgs",
    "SessionManagerAccountEventsArgs",
)


def _pattern_rule(pattern: re.Pattern[str], what: str) -> Callable[[Any], str | None]:
    """Each text of a list (or the text) matches `pattern`, else names the ones that don't."""

    def rule(value: Any) -> str | None:
        values = [value] if isinstance(value, str) else list(value)
        bad = [text for text in values if not pattern.fullmatch(text)]
        return f"{', '.join(map(repr, bad))}: not {what}" if bad else None

    return rule


def _each_text_rule(check: Callable[[str], str | None]) -> Callable[[Any], str | None]:
    def rule(values: Any) -> str | None:
        problems = [problem for problem in map(check, values) if problem]
        return "; ".join(problems) or None

    return rule


def _partition(value: Any) -> str | None:
    if value in PARTITION_NAMES:
        return None
    return f"must be one of {', '.join(PARTITION_NAMES)}, got {value!r}"


def _header_names(value: Any) -> str | None:
    bad = [name for name in value if not HEADER_NAME_PATTERN.match(name)]
    if not bad:
        return None
    return (
        f"{', '.join(map(repr, bad))}: not an HTTP header name (1-256 letters, digits or "
        "!#$%&'*+.^_`|~-, RFC 9110)"
    )


def _document_size(value: Any) -> str | None:
    size = len(str(value).encode())
    if size <= DOCUMENT_CONTENT_MAX_BYTES:
        return None
    return f"is {size} bytes; SSM documents are at most {DOCUMENT_CONTENT_MAX_BYTES} bytes"


# Which args take which of the stack config's field checks (config/fields.py).
SHARED_FIELD_CHECKS: dict[Callable[[Any], object], tuple[tuple[str, str], ...]] = {
    check_role_names: (
        ("SessionManagerInstanceAccessArgs", "attach_to_role_names"),
        ("CentralLogBucketArgs", "writer_role_names"),
        ("PolicyAttachmentArgs", "role_names"),
    ),
    check_group_names: (("PolicyAttachmentArgs", "group_names"),),
    check_role_name: (("SessionManagerInstanceAccessArgs", "role_name"),),
    check_iam_name: (
        ("SessionManagerInstanceAccessArgs", "policy_name"),
        ("SessionManagerAccessPoliciesArgs", "session_users_policy_name"),
        ("SessionManagerAccessPoliciesArgs", "instance_inventory_policy_name"),
        ("SessionManagerAccessPoliciesArgs", "preferences_guard_policy_name"),
        ("SessionManagerAccessPoliciesArgs", "just_in_time_requesters_policy_name"),
        ("SessionManagerAccessPoliciesArgs", "just_in_time_approvers_policy_name"),
    ),
    check_new_alias: (
        ("SessionDataKeyArgs", "alias"),
        ("LogGroupArgs", "kms_key_alias"),
        ("CentralLogBucketArgs", "kms_key_alias"),
    ),
    check_log_group_name: (("PreferenceInputsArgs", "cloud_watch_log_group_name"),),
    check_kms_reference: (("PreferenceInputsArgs", "kms_key_id"),),
    check_kms_key_arn: (
        ("LogGroupArgs", "kms_key_id"),
        ("S3LogDestinationArgs", "kms_key_arn"),
    ),
    _each(check_kms_key_arn): (
        ("SessionManagerInstanceAccessArgs", "session_data_key_arns"),
        ("SessionManagerAccessPoliciesArgs", "session_data_key_arns"),
    ),
    _each(check_log_group_name): (("SessionManagerInstanceAccessArgs", "log_group_names"),),
    check_bucket: (
        ("PreferenceInputsArgs", "s3_bucket_name"),
        ("S3LogDestinationArgs", "bucket_name"),
        ("CentralLogBucketArgs", "access_log_bucket_name"),
    ),
    check_key_prefix: (("PreferenceInputsArgs", "s3_key_prefix"),),
    _each(check_key_prefix): (("S3LogDestinationArgs", "key_prefixes"),),
    check_account: (
        *((spec, "account_id") for spec in ACCOUNT_ARGS),
        ("S3LogDestinationArgs", "bucket_account_id"),
    ),
    _each(check_account): (("SessionManagerAccountEventsArgs", "excluded_accounts"),),
    functools.partial(check_ec2_id, kind="vpc"): (("SessionManagerVpcEndpointsArgs", "vpc_id"),),
    functools.partial(check_ec2_id, kind="sg"): (
        ("SessionManagerVpcEndpointsArgs", "security_group_id"),
    ),
    _ec2_ids("rtb"): (("SessionManagerVpcEndpointsArgs", "route_table_ids"),),
}


# What AWS allows of a known value, by (args TypedDict, key): the same rules the stack
# config applies (aws/rules.py, aws/regions.py), so a component used from Python refuses
# what AWS would refuse at `pulumi up`.
VALUE_RULES: dict[tuple[str, str], Callable[[Any], str | None]] = {
    **{
        (spec, "region"): _text_rule(region_problem)
        for spec in (
            "SessionManagerPreferencesArgs",
            "CentralLogBucketArgs",
            "SessionManagerVpcEndpointsArgs",
            "SessionManagerAccountEventsArgs",
        )
    },
    ("SessionManagerPreferencesArgs", "document_name"): _text_rule(document_name_problem),
    ("SessionDocumentArgs", "name"): _text_rule(document_name_problem),
    ("SessionManagerJustInTimeAccessArgs", "auto_approval_name"): _text_rule(document_name_problem),
    ("ManualApprovalPolicyArgs", "name"): _text_rule(document_name_problem),
    ("ManualApprovalPolicyArgs", "access_duration_hours"): _range_rule(
        *ACCESS_DURATION_HOURS, "hours"
    ),
    **JIT_VALUE_RULES,
    ("PreferenceInputsArgs", "idle_session_timeout"): _range_rule(
        *IDLE_SESSION_TIMEOUT_MINUTES, "minutes"
    ),
    ("PreferenceInputsArgs", "max_session_duration"): _range_rule(
        *MAX_SESSION_DURATION_MINUTES, "minutes"
    ),
    ("SessionDataKeyArgs", "deletion_window_in_days"): _range_rule(
        *KMS_DELETION_WINDOW_DAYS, "days"
    ),
    ("LogGroupArgs", "retention_in_days"): _retention,
    ("CentralLogBucketArgs", "bucket_name"): _text_rule(bucket_name_problem),
    ("SessionManagerVpcEndpointsArgs", "services"): endpoint_services_problem,
    ("SessionManagerInstanceAccessArgs", "partition"): _partition,
    ("SessionManagerAccessPoliciesArgs", "partition"): _partition,
    ("SessionManagerAccessPoliciesArgs", "document_names"): _each_text_rule(document_name_problem),
    ("SessionManagerAccessPoliciesArgs", "session_data_key_aliases"): _pattern_rule(
        KMS_ALIAS_PATTERN, "a KMS alias name (alias/<name>)"
    ),
    ("SessionManagerInstanceAccessArgs", "session_data_key_aliases"): _pattern_rule(
        KMS_ALIAS_PATTERN, "a KMS alias name (alias/<name>)"
    ),
    ("SessionManagerAccountEventsArgs", "watched_organizational_units"): _pattern_rule(
        ORGANIZATIONAL_UNIT_PATTERN,
        "an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)",
    ),
    ("SessionManagerAccountEventsArgs", "headers"): _header_names,
    ("SessionDocumentArgs", "content"): _document_size,
    # The stack config's field checks (config/fields.py), the same function each.
    **{
        place: _field_rule(check)
        for check, places in SHARED_FIELD_CHECKS.items()
        for place in places
    },
}

# Args that are a stack config key under another name: the config model's own field checks
# them (its type's constraints and its validators), so both paths refuse the same values.
# Per args TypedDict: {arg: (config model, field)}.
CONFIG_FIELDS: dict[str, dict[str, tuple[type[BaseModel], str]]] = {
    "CentralLogBucketArgs": {
        "key_prefix": (CentralLogging, "key_prefix"),
        "organization_id": (CentralLogging, "organization_id"),
        "transition_to_glacier_after_days": (CentralLogging, "transition_to_glacier_after_days"),
        "expire_after_days": (CentralLogging, "expire_after_days"),
        "noncurrent_version_expire_after_days": (
            CentralLogging,
            "noncurrent_version_expire_after_days",
        ),
        "object_lock_mode": (ObjectLock, "mode"),
        "break_glass_role_arn": (ObjectLock, "break_glass_role_arn"),
        "object_lock_retention_days": (ObjectLock, "retention_days"),
    },
    "SessionManagerAccessPoliciesArgs": {
        "aws_document_names": (SessionUsersPolicy, "allowed_aws_documents"),
        "instance_tags": (SessionUsersPolicy, "instance_tags"),
        "own_session_methods": (SessionUsersPolicy, "own_sessions"),
        "deployer_role_arns": (PreferencesGuardPolicy, "deployer_role_arns"),
    },
    "SessionManagerVpcEndpointsArgs": {"subnet_ids": (VpcEndpoints, "subnet_ids")},
    "SessionDocumentArgs": {"document_format": (CustomDocument, "document_format")},
    "PreferenceInputsArgs": {
        "run_as_enabled": (Preferences, "run_as_enabled"),
        "run_as_default_user": (Preferences, "run_as_default_user"),
    },
    "SessionManagerAccountEventsArgs": {
        "name": (AccountEvents, "name"),
        "invocation_endpoint": (AccountEvents, "endpoint"),
        "api_key_name": (AccountEvents, "api_key_name"),
        "api_key_scheme": (AccountEvents, "api_key_scheme"),
        "basic_auth_username": (AccountEvents, "basic_auth_username"),
        "invocation_rate_limit_per_second": (AccountEvents, "invocation_rate_limit_per_second"),
        "maximum_retry_attempts": (AccountEvents, "maximum_retry_attempts"),
        "maximum_event_age_in_seconds": (AccountEvents, "maximum_event_age_in_seconds"),
        "dead_letter_retention_days": (AccountEvents, "dead_letter_retention_days"),
        "alarm_topic_arn": (AccountEvents, "alarm_topic_arn"),
        "alarm_emails": (AccountEvents, "alarm_emails"),
    },
}


def config_problems(spec: type, given: Mapping[str, Any], path: str) -> list[str]:
    """Each known arg of `CONFIG_FIELDS` run through its config model's field.

    The model is built from the args that map to it (a field's validator may read its
    siblings, as `expireAfterDays` reads `transitionToGlacierAfterDays`), without
    validation, and the arg is then assigned with validation: the config's own rules.
    Problems of the whole model (cross-field) are the component's to say.
    """
    fields = CONFIG_FIELDS.get(spec.__name__, {})
    problems: list[str] = []
    for key, (model, field) in fields.items():
        value = given.get(key)
        if value is None or value == UNDECRYPTED or not is_known(value):
            continue
        siblings = {
            other: given[arg]
            for arg, (other_model, other) in fields.items()
            if other_model is model and arg != key and is_known(given.get(arg))
        }
        # Only those args: a default (an empty deprecated key) could trip a model's
        # before-validator, which then hides the field's own check.
        instance = model.model_construct(**siblings)
        object.__setattr__(instance, "__dict__", dict(siblings))
        try:
            model.__pydantic_validator__.validate_assignment(instance, field, value)
        except ValidationError as error:
            names = (field, model.model_fields[field].alias)
            problems += [
                f"{path}.{key} {e['msg']}"
                for e in error.errors()
                if e["loc"] and e["loc"][0] in names
            ]
        except (AttributeError, KeyError, TypeError):
            # The field passed; the model's whole-object checks then ran on a model built
            # of these args alone, and those are the component's to make.
            continue
    return problems


def sibling_problems(spec: str, given: Mapping[str, Any]) -> list[str]:
    """What only shows when a component's args meet, as the stack config refuses it."""
    problems: list[str] = []
    if spec == "SessionManagerAccessPoliciesArgs":
        # One account has one policy of a name (config/limits.py refuses the same for the
        # stack): the second CreatePolicy fails with EntityAlreadyExists. IAM names "are not
        # distinguished by case" (botocore's iam model, CreatePolicyRequest.PolicyName).
        named = [
            (key, given[key])
            for key in POLICY_NAME_ARGS
            if isinstance(given.get(key), str) and given[key]
        ]
        seen: dict[str, str] = {}
        for key, policy in named:
            if policy.casefold() in seen:
                problems.append(
                    f"args.{key} {policy!r} is also args.{seen[policy.casefold()]}: one account "
                    "has one IAM policy of a name (case aside); give each policy its own"
                )
            seen.setdefault(policy.casefold(), key)
        problems += _access_policies_problems(given)
        tags: object = given.get("instance_tags")
        if isinstance(tags, Mapping):
            for key, values in cast(Mapping[str, object], tags).items():
                if isinstance(values, (list, tuple)) and not values:
                    problems.append(
                        f"args.instance_tags[{key!r}] is an empty list, which matches no "
                        "instance; list the tag's values or leave the key out"
                    )
    if spec == "SessionManagerInstanceAccessArgs":
        partition = given.get("partition", "aws")
        problems += _instance_access_problems(given, str(partition))
        for index, name in enumerate(given.get("parameter_names") or ()):
            problem = "is empty" if name == "" else reference_problem(str(name), str(partition))
            if problem:
                problems.append(f"args.parameter_names[{index}] {problem}")
    if spec == "SessionManagerAccountEventsArgs":
        problems += _account_events_problems(given)
        watched = given.get("watched_organizational_units")
        empty = watched is None or (isinstance(watched, (list, tuple)) and not watched)
        if not given.get("watch_every_organizational_unit") and empty:
            # EventBridge refuses an empty list of values in a pattern.
            problems.append(
                "args.watched_organizational_units must list at least one OU (ou-... or r-...), "
                "or set watch_every_organizational_unit: True"
            )
    if spec == "CentralLogBucketArgs":
        problems += _central_bucket_problems(given)
    return problems


def _arn_partition_problems(
    arns: Sequence[tuple[str, object]], partition: str, why: str
) -> list[str]:
    """ARNs (known texts) of another partition than `partition`, each with `why`."""
    return [
        f"{path} {arn!r} is in partition {arn.split(':')[1]}, but the component builds "
        f"ARNs in {partition}; {why}"
        for path, arn in arns
        if isinstance(arn, str) and arn.startswith("arn:") and arn.split(":")[1] != partition
    ]


def _listed(given: Mapping[str, Any], key: str) -> list[tuple[str, object]]:
    values = given.get(key)
    if not isinstance(values, (list, tuple)):
        return []
    return [(f"args.{key}[{index}]", v) for index, v in enumerate(cast(Sequence[object], values))]


def _access_policies_problems(given: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    partition = str(given.get("partition", "aws"))
    problems += _arn_partition_problems(
        [*_listed(given, "session_data_key_arns"), *_listed(given, "deployer_role_arns")],
        partition,
        "a policy grants nothing across partitions; set args.partition to the ARNs' one",
    )
    if given.get("preferences_guard_policy_name") and not given.get("document_names"):
        # The guard denies changes to the listed documents: with none, its Resource is
        # empty, which IAM refuses (MalformedPolicyDocument).
        problems.append(
            "args.preferences_guard_policy_name needs args.document_names to list the "
            "documents it guards (the preferences document at least)"
        )
    for policy_key in POLICY_NAME_ARGS:
        attachments_key = policy_key.replace("_policy_name", "_attachments")
        attachments = given.get(attachments_key)
        if (
            isinstance(attachments, Mapping)
            and any(cast(Mapping[str, object], attachments).values())
            and not given.get(policy_key)
        ):
            problems.append(
                f"args.{attachments_key} is set, but args.{policy_key} is empty, so no "
                f"policy is created to attach; name the policy, or drop {attachments_key}"
            )
    return problems


def _instance_access_problems(given: Mapping[str, Any], partition: str) -> list[str]:
    destinations = given.get("s3_destinations")
    keys = _listed(given, "session_data_key_arns")
    if isinstance(destinations, (list, tuple)):
        keys += [
            (f"args.s3_destinations[{index}].kms_key_arn", destination.get("kms_key_arn"))
            for index, destination in enumerate(cast(Sequence[Mapping[str, object]], destinations))
        ]
    problems = _arn_partition_problems(
        keys, partition, "a key serves only its own partition; set args.partition to its one"
    )
    role = given.get("role_name", DEFAULT_INSTANCE_ROLE_NAME)
    attached = given.get("attach_to_role_names") or ()
    if given.get("create_role") and isinstance(role, str) and isinstance(attached, (list, tuple)):
        same = [
            name
            for name in cast(Sequence[object], attached)
            if isinstance(name, str) and name.casefold() == role.casefold()
        ]
        if same:
            problems.append(
                f"args.attach_to_role_names lists {same[0]!r}, the role create_role makes "
                f"({role!r}; IAM names are not distinguished by case), which gets the policy "
                "already; drop it"
            )
    return problems


def _central_bucket_problems(given: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    bucket, access = given.get("bucket_name"), given.get("access_log_bucket_name")
    if isinstance(bucket, str) and bucket and access == bucket:
        problems.append(
            f"args.access_log_bucket_name {access!r} is args.bucket_name too: a bucket must "
            "not log its own access (each log write would log again); name another bucket"
        )
    region = given.get("region")
    if isinstance(region, str) and not region_problem(region):
        problems += _arn_partition_problems(
            [("args.break_glass_role_arn", given.get("break_glass_role_arn"))],
            partition_of_region(region).name,
            "a bucket policy names principals of its own partition only",
        )
    return problems


def _account_events_problems(given: Mapping[str, Any]) -> list[str]:
    region = given.get("region")
    if not isinstance(region, str) or region_problem(region):
        return []
    problems: list[str] = []
    home = ORGANIZATIONS_HOME_REGIONS.get(partition_of_region(region).name)
    if home and region != home:
        # Organizations' events arrive through CloudTrail in its home Region only
        # (https://repost.aws/knowledge-center/use-eventbridge-rule-across-regions):
        # rules elsewhere never fire.
        problems.append(
            f"args.region is {region}, but AWS Organizations sends its events to EventBridge "
            f"in {home} only, so the rules would never fire; use region {home!r}"
        )
    topic = given.get("alarm_topic_arn")
    if isinstance(topic, str) and topic.startswith("arn:") and topic.split(":")[3] != region:
        # PutMetricAlarm refuses an action of another Region ("Invalid region eu-west-1
        # specified. Only us-east-1 is supported."): config/limits.py, the stack's check.
        problems.append(
            f"args.alarm_topic_arn {topic!r} is in {topic.split(':')[3]}, but the alarms are in "
            f"{region}; CloudWatch notifies only a topic of the alarm's own Region"
        )
    return problems


# The args that name an IAM policy of SessionManagerAccessPolicies.
POLICY_NAME_ARGS = (
    "session_users_policy_name",
    "instance_inventory_policy_name",
    "preferences_guard_policy_name",
    "just_in_time_requesters_policy_name",
    "just_in_time_approvers_policy_name",
)


# Args checked where they meet others (`sibling_problems`) or by the tag rules of
# aws/limits.py (args_check `_tag_problems`), per args TypedDict.
CHECKED_WITH_SIBLINGS: dict[str, frozenset[str]] = {
    "SessionManagerAccessPoliciesArgs": frozenset({*POLICY_NAME_ARGS, "instance_tags"}),
    "SessionManagerInstanceAccessArgs": frozenset({"parameter_names"}),
    "SessionManagerAccountEventsArgs": frozenset({"watched_organizational_units"}),
    "PreferenceInputsArgs": frozenset({"shell_profile"}),
}

# Args no rule checks beyond their type, and why none applies. A flag (bool) or a nested
# args TypedDict needs no entry: its type is all there is, or its own fields are checked.
ARGS_WITHOUT_RULES: dict[tuple[str, str], str] = {
    ("SessionManagerJustInTimeAccessArgs", "auto_approval_policy"): (
        "Cedar text: the component parses and validates it with Cedar's engine against "
        "AWS's schema, `permit` statements only, 64 KB at most (config/cedar.py "
        "policy_problems) before anything registers"
    ),
    **JIT_ARGS_WITHOUT_RULES,
    ("ShellProfileArgs", "linux"): (
        "commands the agent runs as written; their size counts in the preferences "
        "document's 64 KB (args_check `_document_size_problems`)"
    ),
    ("ShellProfileArgs", "windows"): "as linux",
    ("SessionManagerPreferencesArgs", "document_description"): (
        "free text inside the document; its size counts in the document's 64 KB"
    ),
    ("SessionManagerAccountEventsArgs", "stack"): (
        "any text: sent in the call's payload, the deploy workflow resolves it"
    ),
    ("SessionManagerAccountEventsArgs", "token"): (
        "a secret, usually an Output: no value to check before the engine resolves it"
    ),
    ("SessionManagerAccessPoliciesArgs", "session_owner_variable"): (
        "deprecated; the component refuses any value but the two it maps (ArgsError)"
    ),
}
