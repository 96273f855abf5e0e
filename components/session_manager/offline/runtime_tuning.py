"""Interpreter settings that make large offline plans fast, found by profiling `make bench`.

At 1,000 account-Regions (7,900 resources) two costs of the process, not of
the program, took two thirds of a plan's time (bench/README.md has the profile):

- Garbage collection: each full pass walks every object the Pulumi SDK keeps
  for the run (about 900,000 at that size), and the passes come more often as
  the heap grows. `collection_paused` turns the collector off for a plan run
  and freezes what the run built, so neither a later pass nor the one at
  interpreter exit walks it again. The CLI uses it; the library leaves the
  caller's collector alone.
- The SDK's stack capture: for every resource the SDK walks the whole call
  stack (`traceback.extract_stack`, a stat of each frame's file, a file URI and
  a protobuf message per frame) and sends it with the registration. The mock
  monitor never reads it (pulumi/runtime/mocks.py `MockMonitor.RegisterResource`),
  so `stack_capture_skipped` sends an empty trace instead while a plan runs
  under mocks. The SDK has no switch for this: the patch is guarded and does
  nothing when the SDK no longer has the function in the shape it knows.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import inspect
from collections.abc import Generator
from types import CodeType, ModuleType
from typing import Any

# Where the SDK captures the stack (pulumi/runtime/resource.py, SDK 3.x), and the
# functions that call it once per registered or read resource.
SDK_MODULE = "pulumi.runtime.resource"
CAPTURE_FUNCTION = "_get_stack_trace"
CAPTURE_CALLERS = ("register_resource", "read_resource")


@contextlib.contextmanager
def collection_paused() -> Generator[None]:
    """No garbage collection inside; after a plan that succeeded, what is alive is frozen.

    Frozen objects move to the collector's permanent generation: they are never
    walked again, and never freed by the collector, which suits a process that
    keeps the plan until it exits. A block that raises freezes nothing: its garbage
    is the caller's to collect. The collector is re-enabled if it was on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def _takes_no_arguments(function: Any) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return all(p.default is not p.empty or p.kind in variadic for p in parameters)


def _looked_up_by_callers(module: ModuleType) -> bool:
    """Whether the SDK's registering functions still call the capture by its module name."""
    for name in CAPTURE_CALLERS:
        code = getattr(getattr(module, name, None), "__code__", None)
        if isinstance(code, CodeType) and CAPTURE_FUNCTION in code.co_names:
            return True
    return False


def _sdk_capture(module: ModuleType) -> tuple[Any, type[Any]] | None:
    """The SDK's capture function and the message type it returns, if they look as known."""
    capture = getattr(module, CAPTURE_FUNCTION, None)
    trace_type = getattr(getattr(module, "source_pb2", None), "StackTrace", None)
    if not (callable(capture) and isinstance(trace_type, type)):
        return None
    if not (_takes_no_arguments(capture) and _looked_up_by_callers(module)):
        return None
    return capture, trace_type


@contextlib.contextmanager
def stack_capture_skipped(module: ModuleType | None = None) -> Generator[bool]:
    """Register resources with an empty stack trace inside; yields whether it could.

    Use only while the mock runtime is the monitor. When `module` (default: the
    SDK's `pulumi.runtime.resource`) is not shaped as expected, nothing is
    changed and the block runs with the SDK's own capture (yields False).
    """
    if module is None:
        module = importlib.import_module(SDK_MODULE)
    found = _sdk_capture(module)
    if found is None:
        yield False
        return
    capture, trace_type = found
    if getattr(capture, "_session_manager_empty_trace", False):
        # Already skipped by a block still running (another thread): leave its patch to it.
        yield True
        return

    def empty_trace() -> Any:
        return trace_type()

    empty_trace._session_manager_empty_trace = True  # type: ignore[attr-defined]  # pyright: ignore[reportFunctionMemberAccess]
    setattr(module, CAPTURE_FUNCTION, empty_trace)
    try:
        yield True
    finally:
        setattr(module, CAPTURE_FUNCTION, capture)
