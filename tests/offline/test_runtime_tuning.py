"""The plan's runtime levers: collection paused, SDK stack capture skipped under mocks."""

from __future__ import annotations

import gc
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi.runtime.resource as sdk_resource
import pulumi_aws as aws
import pytest
from conftest import ROOT
from pulumi.runtime.proto import source_pb2
from session_manager.offline import runtime_tuning
from session_manager.offline.plan import Plan, record_program
from session_manager.offline.runtime_tuning import collection_paused, stack_capture_skipped


@pytest.fixture
def collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector_restored")
def test_collection_is_off_inside_and_what_was_built_is_frozen_after() -> None:
    gc.enable()
    with collection_paused():
        assert not gc.isenabled()
        built = [[index] for index in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)


@pytest.mark.usefixtures("collector_restored")
def test_a_plan_that_raises_freezes_nothing() -> None:
    """The caller's garbage stays collectable when the plan fails (e.g. bad config)."""
    gc.enable()
    gc.unfreeze()
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("the plan failed")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.usefixtures("collector_restored")
def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


def test_the_cli_plans_with_collection_paused() -> None:
    # In a child process: freezing is for a whole command, not for the test run.
    script = (
        "import contextlib, gc, io\n"
        "from session_manager.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['plan', '--stack', 'dev', '--summary']) == 0\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 10000)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_the_sdk_capture_is_replaced_inside_and_restored_after() -> None:
    original = sdk_resource._get_stack_trace  # pyright: ignore[reportPrivateUsage]
    with stack_capture_skipped() as skipped:
        assert skipped
        trace = sdk_resource._get_stack_trace()  # pyright: ignore[reportPrivateUsage]
        assert isinstance(trace, source_pb2.StackTrace)
        assert list(trace.frames) == []
    assert sdk_resource._get_stack_trace is original  # pyright: ignore[reportPrivateUsage]


def _sdk_like_module(**overrides: Any) -> types.ModuleType:
    """A module shaped like pulumi.runtime.resource, with `overrides` changed."""
    module = types.ModuleType("fake_sdk_resource")

    def capture() -> source_pb2.StackTrace:
        return source_pb2.StackTrace()

    def register_resource() -> None:
        module._get_stack_trace()

    module.__dict__.update(
        _get_stack_trace=capture,
        source_pb2=source_pb2,
        register_resource=register_resource,
        read_resource=register_resource,
    )
    module.__dict__.update(overrides)
    return module


def _needs_an_argument(frame: object) -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _calls_nothing() -> None:
    pass


@pytest.mark.parametrize(
    "overrides",
    [
        {"_get_stack_trace": None},  # the SDK renamed or removed it
        {"_get_stack_trace": _needs_an_argument},  # its signature changed
        {"source_pb2": None},  # the message type moved
        {"register_resource": _calls_nothing, "read_resource": _calls_nothing},  # not called here
    ],
    ids=["missing", "signature", "message-type", "not-called"],
)
def test_an_sdk_of_another_shape_is_left_alone(overrides: dict[str, Any]) -> None:
    module = _sdk_like_module(**overrides)
    before = dict(module.__dict__)
    with stack_capture_skipped(module) as skipped:
        assert not skipped
        assert module.__dict__ == before
    assert module.__dict__ == before


def test_an_sdk_of_the_known_shape_is_patched_and_restored() -> None:
    module = _sdk_like_module()
    original = module._get_stack_trace
    with stack_capture_skipped(module) as skipped:
        assert skipped
        assert module._get_stack_trace is not original
    assert module._get_stack_trace is original


def test_the_sdk_capture_is_restored_when_the_block_raises() -> None:
    module = _sdk_like_module()
    original = module._get_stack_trace
    with pytest.raises(RuntimeError), stack_capture_skipped(module):
        raise RuntimeError("the program failed")
    assert module._get_stack_trace is original


def test_overlapping_blocks_leave_the_sdk_restored() -> None:
    """Two plans in two threads may overlap without nesting: the SDK ends as it was."""
    module = _sdk_like_module()
    original = module._get_stack_trace
    first = stack_capture_skipped(module)
    second = stack_capture_skipped(module)
    assert first.__enter__()
    assert second.__enter__()  # sees the first block's stub and leaves it alone
    first.__exit__(None, None, None)
    second.__exit__(None, None, None)
    assert module._get_stack_trace is original


def _program() -> None:
    key = aws.kms.Key("key", description="k")
    aws.kms.Alias("alias", name="alias/k", target_key_id=key.key_id)
    pulumi.export("arn", key.arn)


def _recorded_with_counted_captures(monkeypatch: pytest.MonkeyPatch) -> tuple[Plan, list[int]]:
    real = sdk_resource._get_stack_trace  # pyright: ignore[reportPrivateUsage]
    calls: list[int] = []

    def counting() -> source_pb2.StackTrace:
        calls.append(1)
        return real()

    monkeypatch.setattr(sdk_resource, "_get_stack_trace", counting)
    return record_program(_program), calls


def test_a_plan_registers_without_capturing_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    plan, calls = _recorded_with_counted_captures(monkeypatch)
    # Only the root stack, which set_mocks registers before the program runs.
    assert len(calls) == 1
    assert {r.name for r in plan.resources} >= {"key", "alias"}
    assert plan.outputs["arn"].startswith("arn:aws:kms:")


def test_the_fallback_plans_the_same_with_the_sdk_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    skipped, _ = _recorded_with_counted_captures(monkeypatch)
    monkeypatch.setattr(runtime_tuning, "CAPTURE_CALLERS", ("no_such_function",))
    captured, calls = _recorded_with_counted_captures(monkeypatch)
    assert len(calls) == 3  # the root stack, the key and the alias
    assert [r.to_json() for r in captured.resources] == [r.to_json() for r in skipped.resources]
    assert captured.outputs == skipped.outputs
