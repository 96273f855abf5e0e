"""Run-time checks of the components' args, which are TypedDicts.

Python does not check a TypedDict at run time, and Pulumi's engine accepts any input,
so a misspelt key (`log_group_arns` for `log_group_names`) would be silently ignored
and the component would build something else than asked. Each component calls
`check_args` before it registers anything: an unknown key is refused with the closest
valid one, and so is a missing required key. Each value is checked against its
annotation as far as it is known now: a plain `str` where a list belongs (which Python
would iterate letter by letter), a number where text belongs. Outputs and awaitables
resolve later and are not checked.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import types
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin, get_type_hints

import pulumi
from pydantic_core import PydanticCustomError
from typing_extensions import is_typeddict

from session_manager.aws.limits import (
    RESERVED_LOG_GROUP_PREFIX,
    ec2_tag_problems,
    key_arn_problem,
    tag_problems,
)
from session_manager.aws.regions import region_problem
from session_manager.aws.rules import (
    IDLE_SESSION_TIMEOUT_MINUTES,
    KMS_DELETION_WINDOW_DAYS,
    LOG_RETENTION_DAYS,
    MAX_SESSION_DURATION_MINUTES,
    bucket_name_problem,
    document_name_problem,
    endpoint_services_problem,
    partition_of_region,
)
from session_manager.config.fields import (
    check_bucket,
    check_ec2_id,
    check_group_names,
    check_iam_name,
    check_kms_key_arn,
    check_kms_reference,
    check_log_group_name,
    check_new_alias,
    check_role_name,
    check_role_names,
)
from session_manager.config.secrets import UNDECRYPTED

LOG_RETENTION_DAYS_TEXT = ", ".join(str(days) for days in LOG_RETENTION_DAYS)

# pulumi.Input[T] names "Output[T]" by a forward reference; these resolve it.
_INPUT_NAMES: dict[str, Any] = {"Output": pulumi.Output, "T": TypeVar("T")}

T = TypeVar("T")


class ArgsError(pulumi.RunError, TypeError, ValueError):
    """A component's args name a key it does not have, leave out a required one, or hold a
    value the component cannot build from.

    A `pulumi.RunError`, so `pulumi up` prints it without a traceback (a TypeError and a
    ValueError too, for callers that caught those before).
    """


def check_args(component: str, args: T | None, spec: type) -> T:
    """`args` (a `spec` TypedDict) once checked; raises ArgsError naming every problem.

    `None` stands for no args at all: the components treat it as `{}`.
    """
    given = cast(T, {}) if args is None else args
    problems = list(_problems(given, spec, "args"))
    problems += _tag_problems(
        given,
        case_insensitive=spec.__name__ in IAM_TAGGED_ARGS,
        ec2=spec.__name__ == "SessionManagerVpcEndpointsArgs",
    )
    if not problems and spec.__name__ == "SessionManagerPreferencesArgs":
        problems += _preferences_problems(cast(Mapping[str, Any], given))
    if problems:
        raise ArgsError(f"{component}: " + "; ".join(problems))
    return given


def _problems(value: object, spec: type, path: str) -> Iterator[str]:
    if not isinstance(value, Mapping):
        yield f"{path} must be a dict of {spec.__name__}, got {_described(value)}"
        return
    fields = _fields(spec)
    given = cast(Mapping[object, Any], value)
    required = cast(frozenset[str], getattr(spec, "__required_keys__", frozenset[str]()))
    for key in sorted(required):
        # None is how Python callers leave a value out; an empty text names nothing.
        if given.get(key) is None:
            yield f"{path}.{key} is required" + (", got None" if key in given else "")
        elif given[key] == "":
            yield f"{path}.{key} must not be empty"
    for key, item in given.items():
        if key not in fields:
            guess = difflib.get_close_matches(str(key), sorted(fields), n=1, cutoff=0.6)
            hint = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(fields)}"
            yield f"{path}.{key} is not an argument of {spec.__name__}; {hint}"
            continue
        if key in required and item in (None, ""):
            continue  # said above
        problems = list(_value_problems(item, fields[str(key)], f"{path}.{key}"))
        yield from problems
        rule = VALUE_RULES.get((spec.__name__, str(key)))
        if rule and not problems and _is_known(item):
            problem = rule(item)
            if problem:
                yield f"{path}.{key} {problem}"


@functools.cache
def _fields(spec: type) -> dict[str, Any]:
    """A TypedDict's annotations, resolved once: every component checks its args."""
    return get_type_hints(spec, localns=_INPUT_NAMES)


def _options(annotation: object) -> tuple[object, ...]:
    """The types a Union allows (pulumi.Input[T] is T | Awaitable[T] | Output[T]), or itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


# How one option of an annotation checks a value: ("dict", TypedDict), ("list", item
# annotation), ("mapping", value annotation), ("literal", allowed values), ("type", cls),
# ("any", None) for a form left to the type checker, ("later", None) for Output/Awaitable.
_Check = tuple[str, Any]


@functools.cache
def _checks(annotation: object) -> tuple[_Check, ...]:
    """The checks of an annotation's options, worked out once: components check every arg."""
    checks: list[_Check] = []
    for option in _options(annotation):
        origin = get_origin(option)
        if is_typeddict(option):
            checks.append(("dict", option))
        elif origin in _SEQUENCES:
            checks.append(("list", (get_args(option) or (Any,))[0]))
        elif origin in _MAPPINGS:
            checks.append(("mapping", get_args(option) or (Any, Any)))
        elif origin is Literal:
            checks.append(("literal", get_args(option)))
        elif origin in (Awaitable, pulumi.Output):
            checks.append(("later", None))
        elif origin is not None or option is Any:
            checks.append(("any", None))
        elif isinstance(option, type):
            checks.append(("type", option))
    return tuple(checks)


def _value_problems(value: object, annotation: object, path: str) -> Iterator[str]:
    """Problems of one value against its annotation, checked as deep as its shape is known.

    An Output or awaitable resolves later, and None means left out: nothing to check now.
    """
    if value is None or isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return
    for kind, detail in _checks(annotation):
        if kind == "dict" and isinstance(value, Mapping):
            yield from _problems(cast(Mapping[object, object], value), cast(type, detail), path)
            return
        if kind == "list" and isinstance(value, (list, tuple)):
            for index, element in enumerate(cast(Sequence[object], value)):
                yield from _value_problems(element, detail, f"{path}[{index}]")
            return
        if kind == "mapping" and isinstance(value, Mapping):
            key_annotation, element_annotation = detail
            for key, element in cast(Mapping[object, object], value).items():
                # A key of another type than the annotation's (tags {1: "x"}) would fail
                # deep in the engine's serializer, with a traceback.
                yield from _value_problems(key, key_annotation, f"{path} key {key!r}")
                yield from _value_problems(element, element_annotation, f"{path}[{key!r}]")
            return
        if (
            kind == "any"
            or (kind == "literal" and value in detail)
            or (kind == "type" and _is_instance(value, detail))
        ):
            return
    options = _options(annotation)
    yield f"{path} must be {_expected(options)}, got {_described(value)}{_fix(value, options)}"


def _is_plain(value: object) -> bool:
    """A value known now (not an Output or awaitable, not left out)."""
    return isinstance(value, (str, int, float, bool))


def _is_known(value: object) -> bool:
    """A plain value, or a list of them: known now, so a rule can check it."""
    if isinstance(value, (list, tuple)):
        return all(_is_plain(element) for element in cast(Sequence[object], value))
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
    ),
    check_new_alias: (
        ("SessionDataKeyArgs", "alias"),
        ("LogGroupArgs", "kms_key_alias"),
        ("CentralLogBucketArgs", "kms_key_alias"),
    ),
    check_log_group_name: (("PreferenceInputsArgs", "cloud_watch_log_group_name"),),
    check_kms_reference: (("PreferenceInputsArgs", "kms_key_id"),),
    check_kms_key_arn: (("LogGroupArgs", "kms_key_id"),),
    check_bucket: (
        ("PreferenceInputsArgs", "s3_bucket_name"),
        ("S3LogDestinationArgs", "bucket_name"),
    ),
    functools.partial(check_ec2_id, kind="vpc"): (("SessionManagerVpcEndpointsArgs", "vpc_id"),),
    functools.partial(check_ec2_id, kind="sg"): (
        ("SessionManagerVpcEndpointsArgs", "security_group_id"),
    ),
    _ec2_ids("subnet"): (("SessionManagerVpcEndpointsArgs", "subnet_ids"),),
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
    # The stack config's field checks (config/fields.py), the same function each.
    **{
        place: _field_rule(check)
        for check, places in SHARED_FIELD_CHECKS.items()
        for place in places
    },
}

_SEQUENCES = (Sequence, list, tuple)
_MAPPINGS = (Mapping, dict)


def _is_instance(value: object, cls: type) -> bool:
    # A bool is an int to Python, but True where a number of days belongs is a mistake.
    if isinstance(value, bool) and cls is not bool:
        return False
    return isinstance(value, cls)


def _expected(options: tuple[object, ...]) -> str:
    """What the annotation allows, in words (an Output or awaitable is implied by Input)."""
    words: list[str] = []
    for option in options:
        origin = get_origin(option)
        if is_typeddict(option):
            words.append(f"a dict of {cast(type, option).__name__}")
        elif origin in _SEQUENCES:
            item = (get_args(option) or (Any,))[0]
            words.append(f"a list of {_expected(_options(item))}")
        elif origin in _MAPPINGS:
            words.append("a dict")
        elif origin is Literal:
            words.append(" or ".join(repr(v) for v in get_args(option)))
        elif isinstance(option, type) and origin is None:
            words.append(option.__name__)
    return " or ".join(dict.fromkeys(words)) or "another type"


def _described(value: object) -> str:
    return f"the {type(value).__name__} {value!r}"


def _fix(value: object, options: tuple[object, ...]) -> str:
    """For a str where a list belongs (Python would iterate it letter by letter): the list."""
    if isinstance(value, str) and any(get_origin(o) in _SEQUENCES for o in options):
        return f"; write {json.dumps([value])}"
    return ""


# The components whose `tags` go on IAM resources, which refuse keys differing only in case.
IAM_TAGGED_ARGS = frozenset(
    {
        "SessionManagerInstanceAccessArgs",
        "SessionManagerAccessPoliciesArgs",
        "SessionManagerAccountEventsArgs",
    }
)


def _tag_problems(args: object, *, case_insensitive: bool, ec2: bool) -> list[str]:
    """Known tags AWS would refuse (aws/limits.py), as the stack config's are refused."""
    if not isinstance(args, Mapping):
        return []
    tags: object = cast(Mapping[str, object], args).get("tags")
    if not isinstance(tags, Mapping):
        return []
    items = cast(Mapping[object, object], tags).items()
    # The offline plan's placeholder for a secret it cannot decrypt has no value to check.
    known = {str(k): v for k, v in items if isinstance(v, str) and v != UNDECRYPTED}
    found = tag_problems(known, case_insensitive=case_insensitive)
    if ec2:
        found += ec2_tag_problems(known)
    return [f"args.tags{f'.{key}' if key else ''}: {problem}" for key, problem in found]


def _preferences_problems(args: Mapping[str, Any]) -> list[str]:
    """What only shows when the preferences' args meet, with the stack config's rules
    (aws/limits.py): a key ARN of another Region or partition, a reserved log group name."""
    region = str(args["region"])
    partition = partition_of_region(region).name
    prefs: Mapping[str, Any] = args.get("preferences") or {}
    group: Mapping[str, Any] = args.get("log_group") or {}
    problems: list[str] = []
    keys = [
        ("args.preferences.kms_key_id", prefs.get("kms_key_id"), "session data"),
        ("args.log_group.kms_key_id", group.get("kms_key_id"), "the log group"),
    ]
    for path, key, user in keys:
        if not isinstance(key, str) or key == UNDECRYPTED:
            continue
        problem = key_arn_problem(key, [region], partition, user)
        if problem:
            problems.append(f"{path} {problem}")
    name = prefs.get("cloud_watch_log_group_name")
    creates_group = group.get("create", not name)
    if creates_group and isinstance(name, str) and name.startswith(RESERVED_LOG_GROUP_PREFIX):
        problems.append(
            f"args.preferences.cloud_watch_log_group_name {name!r} starts with "
            f"{RESERVED_LOG_GROUP_PREFIX!r}, which CloudWatch Logs reserves; choose another name"
        )
    return problems
