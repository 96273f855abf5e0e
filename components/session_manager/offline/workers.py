"""Run independent units of work (one stack each) in worker processes, results in order.

One unit, one process: each worker plans one stack and ends, so no process holds
more than one stack's plan (about 500 KB per account-Region), and its memory goes
back to the system when it exits. Workers are forked: they start with the modules
the parent already imported (the SDK and pulumi-aws take seconds to import), and
exit without tearing their heap down (`os._exit`), which at interpreter exit takes
seconds for a large plan (bench/README.md, profile). Results come back in the
order of the units, whichever finishes first, so merged output never depends on
scheduling.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

Unit = TypeVar("Unit")
Result = TypeVar("Result")


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class WorkerError(Exception):
    """A worker process died before it answered (killed, out of memory)."""


def _child(work: Callable[[Any], Any], unit: Any, send: Connection) -> None:
    try:
        send.send((True, work(unit)))
    except BaseException as exc:
        send.send((False, f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()
        # Skip the interpreter's teardown of a large heap: the result is sent.
        os._exit(0)


def run_units(work: Callable[[Unit], Result], units: Sequence[Unit], jobs: int) -> list[Result]:
    """`work(unit)` for every unit, at most `jobs` at a time; in this process when
    `jobs` is 1 or there is one unit. `work` should return its failures as values:
    an exception raised in a worker comes back as WorkerError."""
    if jobs <= 1 or len(units) <= 1:
        return [work(unit) for unit in units]
    context = multiprocessing.get_context("fork")
    results: dict[int, Result] = {}
    running: dict[Connection, tuple[int, Any]] = {}
    next_unit = 0
    while next_unit < len(units) or running:
        while next_unit < len(units) and len(running) < jobs:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(work, units[next_unit], send))
            process.start()
            send.close()
            running[receive] = (next_unit, process)
            next_unit += 1
        for ready in wait(list(running)):
            assert isinstance(ready, Connection)
            index, process = running.pop(ready)
            try:
                ok, value = ready.recv()
            except EOFError:
                process.join()
                raise WorkerError(
                    f"a worker process ended without an answer (exit code {process.exitcode})"
                ) from None
            finally:
                ready.close()
            process.join()
            if not ok:
                raise WorkerError(value)
            results[index] = value
    return [results[index] for index in range(len(units))]
