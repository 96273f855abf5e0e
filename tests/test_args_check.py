"""The components check their args' keys at run time, since Python doesn't check TypedDicts."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Literal, TypedDict

import pulumi
import pytest
import session_manager
from session_manager import (
    SessionManagerInstanceAccess,
    SessionManagerPreferences,
    SessionManagerVpcEndpoints,
)
from session_manager.args_check import ArgsError, check_args
from session_manager.offline.plan import record_program


def refused(program: Callable[[], object]) -> str:
    with pytest.raises(ArgsError) as caught:
        record_program(program)
    return str(caught.value)


def test_an_unknown_key_names_the_closest_valid_one_and_registers_nothing() -> None:
    registered: list[str] = []

    def program() -> None:
        registered.append("before")
        SessionManagerInstanceAccess("access", {"log_group_arns": ["arn:aws:logs:..."]})  # type: ignore[typeddict-unknown-key]
        registered.append("after")

    message = refused(program)
    assert message == (
        "SessionManagerInstanceAccess: args.log_group_arns is not an argument of "
        "SessionManagerInstanceAccessArgs; did you mean 'log_group_names'?"
    )
    assert registered == ["before"]


def test_nested_and_listed_args_are_checked_too() -> None:
    def program() -> None:
        SessionManagerPreferences(
            "prefs",
            {
                "region": "us-east-1",
                "preferences": {"idle_timeout": 5},  # type: ignore[typeddict-unknown-key]
                "documents": [{"name": "Doc", "contents": "{}"}],  # type: ignore[typeddict-item]
            },
        )

    message = refused(program)
    assert "args.preferences.idle_timeout is not an argument of PreferenceInputsArgs; did you " \
        "mean 'idle_session_timeout'?" in message  # fmt: skip
    assert "args.documents[0].content is required" in message
    assert "args.documents[0].contents is not an argument of SessionDocumentArgs" in message


def test_a_missing_required_key_is_named() -> None:
    def program() -> None:
        SessionManagerVpcEndpoints("endpoints", {"region": "us-east-1"})  # type: ignore[typeddict-item]

    message = refused(program)
    for key in ("security_group_id", "subnet_ids", "vpc_id"):
        assert f"args.{key} is required" in message


def test_a_key_far_from_every_argument_lists_the_known_keys() -> None:
    def program() -> None:
        SessionManagerInstanceAccess("access", {"colour": "blue"})  # type: ignore[typeddict-unknown-key]

    assert "known keys: account_id, partition, policy_name" in refused(program)


def test_args_error_is_a_pulumi_run_error_so_pulumi_prints_no_traceback() -> None:
    # The Python language host prints a RunError's message alone (pulumi/pulumi sdk/python
    # lib/pulumi/runtime/stack.py); a TypeError too, for Python callers.
    assert issubclass(ArgsError, pulumi.RunError)
    assert issubclass(ArgsError, TypeError)


def test_outputs_and_correct_args_pass_and_give_cloudwatch_permissions() -> None:
    def program() -> SessionManagerInstanceAccess:
        prefs = SessionManagerPreferences("prefs", {"region": "us-east-1"})
        assert prefs.log_group_name is not None
        return SessionManagerInstanceAccess("access", {"log_group_names": [prefs.log_group_name]})

    plan = record_program(program)
    policy = json.loads(plan.of_type("aws:iam/policy:Policy")[0].inputs["policy"])
    actions = {
        a
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "logs:PutLogEvents" in actions


@pytest.mark.parametrize("component", session_manager.COMPONENTS, ids=lambda c: c.__name__)
def test_every_component_checks_its_args(component: type[pulumi.ComponentResource]) -> None:
    def program() -> None:
        component("c", {"region": "us-east-1", "no_such_arg": 1})  # type: ignore[call-arg]

    assert "args.no_such_arg is not an argument of" in refused(program)


CALLED_WITH_KEYWORDS = [
    c for c in session_manager.COMPONENTS if c.__name__ != "SessionManagerJustInTimeAccess"
]


@pytest.mark.parametrize("component", CALLED_WITH_KEYWORDS, ids=lambda c: c.__name__)
def test_a_call_of_the_wrong_shape_is_one_args_error_naming_the_call(
    component: type[pulumi.ComponentResource],
) -> None:
    """`Component("p", region="us-east-1")` (args as keywords) or args left out: Python's
    TypeError would end `pulumi up` with a traceback; one ArgsError names the call instead."""
    name = component.__name__

    def keywords() -> None:
        component("c", region="us-east-1")  # type: ignore[call-arg]

    def no_args() -> None:
        component("c", opts=pulumi.ResourceOptions())  # type: ignore[call-arg]

    for program in (keywords, no_args):
        message = refused(program)
        assert f"call {name}(name, args, opts=None), with args a dict of " in message
        assert "missing a required argument: 'args'" in message


# --- Values of the wrong shape (Python doesn't check them, and a str is iterable) ------


@pytest.mark.parametrize(
    ("arg", "given"),
    [("attach_to_role_names", "my-role"), ("log_group_names", "my-group")],
)
def test_a_str_where_a_list_belongs_is_refused_with_the_list_to_write(arg: str, given: str) -> None:
    # Iterating "my-role" gives m, y, -, ...: seven attachments to roles that don't exist.
    def program() -> None:
        SessionManagerInstanceAccess("access", {arg: given})  # type: ignore[misc]

    assert refused(program) == (
        f"SessionManagerInstanceAccess: args.{arg} must be a list of str, got the str "
        f'{given!r}; write ["{given}"]'
    )


def test_a_number_where_text_belongs_is_refused() -> None:
    def program() -> None:
        SessionManagerPreferences("prefs", {"region": 5})  # type: ignore[typeddict-item]

    assert refused(program) == "SessionManagerPreferences: args.region must be str, got the int 5"


def test_list_items_and_nested_values_are_checked_by_their_annotation() -> None:
    def program() -> None:
        SessionManagerPreferences(
            "prefs",
            {
                "region": "us-east-1",
                "preferences": {"idle_session_timeout": "20", "run_as_enabled": 1},  # type: ignore[typeddict-item]
                "tags": {"team": 7},  # type: ignore[dict-item]
            },
        )
        SessionManagerInstanceAccess("access", {"attach_to_role_names": ["ok", 3]})  # type: ignore[list-item]

    message = refused(program)
    assert "args.preferences.idle_session_timeout must be int, got the str '20'" in message
    assert "args.preferences.run_as_enabled must be bool, got the int 1" in message
    assert "args.tags['team'] must be str, got the int 7" in message


def test_a_bool_is_not_taken_for_a_number() -> None:
    def program() -> None:
        SessionManagerPreferences(
            "prefs",
            {"region": "us-east-1", "log_group": {"retention_in_days": True}},
        )

    assert "args.log_group.retention_in_days must be int, got the bool True" in refused(program)


def test_none_args_are_no_args() -> None:
    def program() -> tuple[str, str]:
        # InstanceAccess needs no arg: None plans it with its defaults.
        SessionManagerInstanceAccess("access", None)  # type: ignore[arg-type]
        # Preferences needs a Region: None names it instead of an AttributeError.
        with pytest.raises(ArgsError) as caught:
            SessionManagerPreferences("prefs", None)  # type: ignore[arg-type]
        return ("ok", str(caught.value))

    plan = record_program(program)
    assert plan.of_type("aws:iam/policy:Policy")
    assert tuple(plan.result) == ("ok", "SessionManagerPreferences: args.region is required")


def test_a_list_of_items_one_of_them_an_output_passes() -> None:
    def program() -> None:
        SessionManagerInstanceAccess(
            "access", {"log_group_names": [pulumi.Output.from_input("g"), "h"]}
        )

    assert record_program(program).of_type("aws:iam/policy:Policy")


def test_a_value_where_a_dict_of_args_belongs_is_refused() -> None:
    def program() -> None:
        SessionManagerPreferences("prefs", {"region": "us-east-1", "preferences": 5})  # type: ignore[typeddict-item]

    assert refused(program) == (
        "SessionManagerPreferences: args.preferences must be a dict of PreferenceInputsArgs, "
        "got the int 5"
    )


class _LiteralArgs(TypedDict, total=False):
    mode: Literal["GOVERNANCE", "COMPLIANCE"]
    hook: Callable[[], None]


def test_literal_values_are_checked_and_unknown_forms_left_to_the_type_checker() -> None:
    with pytest.raises(ArgsError) as caught:
        check_args("C", {"mode": "governance"}, _LiteralArgs)
    assert str(caught.value) == (
        "C: args.mode must be 'GOVERNANCE' or 'COMPLIANCE', got the str 'governance'"
    )
    assert check_args("C", {"mode": "COMPLIANCE", "hook": print}, _LiteralArgs) == {
        "mode": "COMPLIANCE",
        "hook": print,
    }


def test_component_tags_aws_refuses_are_refused_before_registration() -> None:
    """Issue 20: tags from Python went to AWS unchecked. Limits: botocore's IAM model
    (tagValueType max 256) and AWS's tagging guide (`aws:` is reserved)."""
    message = refused(
        lambda: SessionManagerVpcEndpoints(
            "ep",
            {
                "region": "us-east-1",
                "vpc_id": "vpc-12345678",
                "subnet_ids": ["subnet-12345678"],
                "security_group_id": "sg-12345678",
                "tags": {"aws:team": "a", "ok": "v" * 257},
            },
        )
    )
    assert "args.tags.aws:team" in message
    assert "reserves" in message
    assert "args.tags.ok: tag value" in message
