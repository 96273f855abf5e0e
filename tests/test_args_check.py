"""The components check their args' keys at run time, since Python doesn't check TypedDicts."""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi
import pytest
import session_manager
from session_manager import (
    SessionManagerInstanceAccess,
    SessionManagerPreferences,
    SessionManagerVpcEndpoints,
)
from session_manager.args_check import ArgsError
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
