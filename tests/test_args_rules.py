"""Every component arg is checked as the stack config checks the same setting, and no
bad arg ends in anything but a `pulumi.RunError` (which `pulumi up` prints in one line).

The README promises the components used from Python give "no traceback": an arg the
type check lets through must not reach a builder that fails with a bare ValueError,
TypeError, KeyError or AttributeError, nor be accepted silently when AWS refuses it.
"""

from __future__ import annotations

import types
from typing import Any, Union, cast, get_args, get_origin

import pulumi
import pytest
import session_manager
import session_manager.args as args_module
from session_manager.args_check import ArgsError, _fields  # pyright: ignore[reportPrivateUsage]
from session_manager.args_rules import (
    ARGS_WITHOUT_RULES,
    CHECKED_WITH_SIBLINGS,
    CONFIG_FIELDS,
    VALUE_RULES,
)
from session_manager.offline.plan import record_program
from typing_extensions import is_typeddict

ARGS_SPECS = sorted(
    (value for value in vars(args_module).values() if is_typeddict(value)),
    key=lambda spec: spec.__name__,
)


def _options(annotation: object) -> tuple[object, ...]:
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _needs_no_rule(annotation: object) -> bool:
    """A flag, a nested args dict or a list of them: the type (or its own fields) is all."""
    for option in _options(annotation):
        origin = get_origin(option)
        if option is bool or is_typeddict(option):
            return True
        if origin is not None and is_typeddict((get_args(option) or (None,))[0]):
            return True
    return False


def _all_fields() -> list[tuple[str, str, object]]:
    return [
        (spec.__name__, key, annotation)
        for spec in ARGS_SPECS
        for key, annotation in _fields(spec).items()
    ]


def _covered(spec: str, key: str) -> bool:
    return (
        (spec, key) in VALUE_RULES
        or key in CONFIG_FIELDS.get(spec, {})
        or key in CHECKED_WITH_SIBLINGS.get(spec, frozenset())
        # args_check `_tag_problems`: the tag limits of aws/limits.py (botocore's models).
        or key == "tags"
    )


def test_every_arg_has_a_rule_or_a_reason_why_none_applies() -> None:
    fields = _all_fields()
    assert len(fields) > 100, len(fields)
    missing = [
        f"{spec}.{key}"
        for spec, key, annotation in fields
        if not _covered(spec, key)
        and not _needs_no_rule(annotation)
        and (spec, key) not in ARGS_WITHOUT_RULES
    ]
    assert not missing, f"args with no rule and no reason in ARGS_WITHOUT_RULES: {missing}"


def test_no_reason_is_listed_for_an_arg_that_is_checked_or_gone() -> None:
    known = {(spec, key) for spec, key, _ in _all_fields()}
    stale = [place for place in ARGS_WITHOUT_RULES if place not in known or _covered(*place)]
    assert not stale, stale


def test_every_rule_names_an_arg_that_exists() -> None:
    known = {(spec, key) for spec, key, _ in _all_fields()}
    places = set(VALUE_RULES) | {
        (spec, key) for spec, keys in CONFIG_FIELDS.items() for key in keys
    }
    places |= {(spec, key) for spec, keys in CHECKED_WITH_SIBLINGS.items() for key in keys}
    assert places <= known, sorted(places - known)


# --- No traceback from any bad value of any arg --------------------------------------------

# The smallest args each component builds from.
GOOD_ARGS: dict[str, dict[str, Any]] = {
    "SessionManagerPreferences": {"region": "us-east-1"},
    "SessionManagerInstanceAccess": {},
    "SessionManagerCentralLogBucket": {
        "region": "us-east-1",
        "bucket_name": "my-central-logs",
        "organization_id": "o-abcdefghij",
    },
    "SessionManagerAccessPolicies": {},
    "SessionManagerVpcEndpoints": {
        "region": "us-east-1",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0123456789abcdef0"],
        "security_group_id": "sg-0123456789abcdef0",
    },
    "SessionManagerAccountEvents": {
        "region": "us-east-1",
        "stack": "dev",
        "invocation_endpoint": "https://example.com/hook",
        "token": "t",
        "watch_every_organizational_unit": True,
    },
}
SPEC_OF = {
    "SessionManagerPreferences": "SessionManagerPreferencesArgs",
    "SessionManagerInstanceAccess": "SessionManagerInstanceAccessArgs",
    "SessionManagerCentralLogBucket": "CentralLogBucketArgs",
    "SessionManagerAccessPolicies": "SessionManagerAccessPoliciesArgs",
    "SessionManagerVpcEndpoints": "SessionManagerVpcEndpointsArgs",
    "SessionManagerAccountEvents": "SessionManagerAccountEventsArgs",
}
# What a user copying from Terraform, the console or a half-filled template might pass.
ODD_VALUES: tuple[Any, ...] = (
    None,
    "",
    "x" * 2000,
    -1,
    10**9,
    [],
    [None],
    [""],
    ["x" * 300],
    {"": ""},
    {"k": None},
    {None: "v"},
    {"k": []},
    {"k": [None]},
)


def _cases() -> list[Any]:
    cases: list[Any] = []
    for component, spec_name in SPEC_OF.items():
        spec = getattr(args_module, spec_name)
        for key in _fields(spec):
            for index, value in enumerate(ODD_VALUES):
                cases.append(pytest.param(component, key, value, id=f"{component}.{key}-{index}"))
    return cases


@pytest.mark.parametrize(("component", "key", "value"), _cases())
def test_no_odd_value_of_any_arg_ends_in_a_traceback(component: str, key: str, value: Any) -> None:
    cls = getattr(session_manager, component)
    given = {**GOOD_ARGS[component], key: value}
    refused: pulumi.RunError | None = None
    try:
        record_program(lambda: cls("odd", cast(Any, given)))
    except pulumi.RunError as error:  # anything else fails the test with its traceback
        refused = error
    if refused is not None:
        assert isinstance(refused, ArgsError), refused
        assert component in str(refused)
