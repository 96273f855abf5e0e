"""bench/bench.py measures what it says: whole processes, with the floors' graph load taken
off, cached bytecode for every side, and per-1,000 costs beyond the fixed cost."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_script", ROOT / "bench/bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up while the class is built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_measured_processes_may_cache_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    bench = _bench()
    # The child fails if it inherits the variable: measure_once must pass MEASURED_ENV.
    check = "import os, sys; sys.exit('PYTHONDONTWRITEBYTECODE' in os.environ)"
    measured = bench.measure_once([sys.executable, "-c", check], Path.cwd())
    assert measured.seconds > 0
    assert measured.megabytes > 0
    assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"


def test_a_failing_process_stops_the_bench_with_its_stderr() -> None:
    bench = _bench()
    # More than a pipe holds: stderr goes to a file, so the child never stalls.
    noisy = "import sys; sys.stderr.write('x' * 200_000 + 'the end'); sys.exit(3)"
    with pytest.raises(SystemExit, match="the end"):
        bench.measure_once([sys.executable, "-c", noisy], Path.cwd())


def test_fastest_takes_the_least_time_and_the_most_memory() -> None:
    bench = _bench()
    runs = [bench.Measure(3.0, 100.0, 2.5, 0.2), bench.Measure(2.0, 120.0, 2.0, 0.1)]
    assert bench.fastest(runs) == bench.Measure(2.0, 120.0, 2.0, 0.1)


def test_cost_per_1000_leaves_out_the_plan_of_one() -> None:
    bench = _bench()
    fixed = bench.Measure(0.5, 80.0)
    # 101 account-Regions are 100 beyond the plan of one: x10 to a thousand.
    assert bench.per_1000(bench.Measure(1.5, 130.0), fixed, 101) == pytest.approx((10.0, 500.0))


def test_sizes_and_stack_files(tmp_path: Path) -> None:
    bench = _bench()
    assert bench.parse_args([]).sizes == [100, 1000, 3000]
    with pytest.raises(SystemExit):
        bench.parse_args(["--sizes", "5"])
    folder = tmp_path / "not" / "yet"
    bench.write_stacks(folder)
    names = {p.name for p in folder.iterdir()}
    assert {"Pulumi.yaml", "__main__.py", "Pulumi.bench1.yaml", "Pulumi.bench3000.yaml"} <= names
