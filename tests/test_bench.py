"""bench/bench.py measures what it says: whole processes, with the floors' graph load taken
off, cached bytecode for every side, and per-1,000 costs beyond the fixed cost."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import bench_script


def _bench() -> Any:
    return bench_script("bench")


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


def test_a_row_reads_per_1000_costs_and_both_ratios() -> None:
    bench = _bench()
    measure = bench.Measure
    baseline = bench.Sides(measure(0.5, 80.0), measure(0.4, 70.0), measure(0.3, 60.0))
    sides = bench.Sides(measure(11.5, 580.0), measure(10.4, 570.0), measure(9.0, 600.0))
    cells = bench.Row(1001, 7900, sides, baseline).cells()
    header = [c.strip() for c in bench.HEADER.strip("|").split("|")]
    row = dict(zip(header, cells, strict=True))
    # 1,000 beyond the plan of one: (11.5 - 0.5) s and (10.4 - 0.4) s per 1,000.
    assert row["project s per 1,000"] == "11.00"
    assert row["fair floor s per 1,000"] == "10.00"
    assert row["project MB per 1,000"] == "500"
    assert row["fair floor MB per 1,000"] == "500"
    assert row["ratio to fair"] == f"{11.5 / 10.4:.2f}"
    assert row["ratio per 1,000"] == "1.10"
    assert row["replay floor s"] == "9.00"


def test_rounds_interleave_project_and_floors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench()
    calls: list[str] = []

    def fake_measure_once(command: list[str], cwd: Path, *, reports_load: bool = False) -> Any:
        text = " ".join(command)
        kind = (
            "record"
            if "record.py" in text
            else "replay"
            if "--replay" in text
            else ("fair" if "floor.py" in text else "project")
        )
        calls.append(kind)
        if kind == "record":
            (tmp_path / "bench1.graph.json").write_text('{"urn": 1}')
        return bench.Measure(float(len(calls)), 100.0 + len(calls))

    monkeypatch.setattr(bench, "measure_once", fake_measure_once)
    sides, resources = bench.measure_sides(tmp_path, sys.executable, "bench1")
    # Drifting load falls on all three alike: one of each per round.
    assert calls == ["record"] + ["project", "fair", "replay"] * bench.REPEATS
    assert resources == 1
    # The fastest time and the highest memory of each side's own runs.
    assert (sides.project.seconds, sides.project.megabytes) == (2.0, 108.0)
    assert (sides.fair.seconds, sides.replay.megabytes) == (3.0, 110.0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--write-stacks", ""], "name a folder"),
        (["--sizes", "5"], "invalid choice"),
    ],
)
def test_bad_arguments_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench()
    with pytest.raises(SystemExit) as exit_:
        bench.parse_args(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_write_stacks_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(SystemExit):
        bench.parse_args(["--write-stacks", str(afile)])
    assert "is a file" in capsys.readouterr().err


def test_verify_bench_refuses_a_size_it_has_no_stack_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_script("verify_bench").main(["7"])
    assert exit_.value.code == 2
    assert "SIZE 7: choose from 100, 1000" in capsys.readouterr().err


def test_write_stacks_reports_a_folder_it_cannot_make(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _bench()
    monkeypatch.setattr(sys, "argv", ["bench.py", "--write-stacks", "/proc/no-such-folder"])
    with pytest.raises(SystemExit) as exit_:
        bench.main()
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("bench.py: error: --write-stacks /proc/no-such-folder: ")
