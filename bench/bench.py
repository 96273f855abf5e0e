"""`make bench`: plan 100, 1,000 and 3,000 account-Regions against two SDK floors.

Each measurement is a whole process: wall time and peak memory (max RSS). The
project runs `python -m session_manager plan --summary` on a generated
organization stack. The fair floor (bench/floor.py) registers the same graph
with the Pulumi SDK alone: same resources, links between them, component
outputs, providers, options and exports; the replay floor registers the recorded
values only. All three run under the same interpreter settings (collection paused,
SDK stack capture skipped). A floor's time leaves out reading, parsing and preparing
the recorded graph, which the project does not do: the floor times it and prints it
last (`graph_load_seconds`, `graph_load_cpu_seconds`), and that run's wall and
CPU seconds are taken off by as much (their MB still include the parsed graph).
Each stack is measured in three rounds of project, fair floor, replay floor, so
drifting load falls on all three alike; a time cell is the fastest of its three
runs, a memory cell the highest. The cost per 1,000 account-Regions leaves out the
fixed cost (the same three for one account-Region), and `ratio per 1,000` compares
those. Not a timed test: it prints a table, the absolute time at 1,000
account-Regions and, last, `ratio_vs_floor` against the fair floor.

    python bench/bench.py [--sizes N ...]      # default: 100 1000 3000
    python bench/bench.py --write-stacks DIR   # only write the bench stacks (to profile them)

Every measured process may write and reuse compiled bytecode (PYTHONDONTWRITEBYTECODE
is dropped from its environment), as an installed package does.

More lines (other commands, other measurements) go in a function of their own
that takes the work folder, the Python and the sizes, and returns lines to
print; add it to EXTRA_ROWS. `plan_formats` is one: the text and JSON plans at
1,000 account-Regions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# account-Regions -> (accounts, Regions per account)
SIZES = {100: (10, 10), 1000: (100, 10), 3000: (300, 10)}
# The size the absolute time and the ratio are read at.
REFERENCE_SIZE = 1000
REPEATS = 3
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
    "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
]  # fmt: skip


def stack_config(accounts: int, regions: int) -> dict[str, object]:
    return {
        "config": {
            "aws:region": "us-east-1",
            "session-manager:regions": REGIONS[:regions],
            "session-manager:preferences": {"idleSessionTimeout": 20, "maxSessionDuration": 60},
            "session-manager:targets": [
                {"account": f"{100000000000 + index:012d}"} for index in range(accounts)
            ],
            "session-manager:instanceAccess": {"createRole": True},
        }
    }


# Every measured process may cache compiled bytecode, as an installed package does
# (pip compiles it): a machine that sets PYTHONDONTWRITEBYTECODE would otherwise
# recompile the project's modules on every run, which no user's plan pays.
MEASURED_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Measure:
    seconds: float
    megabytes: float
    # User plus system CPU: what load from other processes changes least.
    cpu_seconds: float = 0.0
    # Wall seconds the process spent loading its input, left out of `seconds` (floors).
    load_seconds: float = 0.0


def fastest(runs: list[Measure]) -> Measure:
    """The fastest of several runs of one process (seconds), and the highest peak RSS.

    Other processes on the machine only ever add time, so the fastest run is the
    best estimate of the command's own cost (as `timeit` does); memory is the worst seen.
    """
    return Measure(
        min(r.seconds for r in runs),
        max(r.megabytes for r in runs),
        min(r.cpu_seconds for r in runs),
        min(r.load_seconds for r in runs),
    )


def measure(command: list[str], cwd: Path, *, reports_load: bool = False) -> Measure:
    """`fastest` of REPEATS runs of one process."""
    return fastest([measure_once(command, cwd, reports_load=reports_load) for _ in range(REPEATS)])


def measure_once(command: list[str], cwd: Path, *, reports_load: bool = False) -> Measure:
    """Wall seconds and peak RSS in MB of one process.

    With `reports_load` (the floors), the graph load the process reports on stdout
    is taken off its seconds (`without_graph_load`).
    """
    # Files, not pipes: nothing reads a pipe while the process runs, and a full one
    # would stall it.
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=MEASURED_ENV,
            stdout=stdout if reports_load else subprocess.DEVNULL,
            stderr=stderr,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            stderr.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{stderr.read().decode()}")
        measured = Measure(elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)
        if not reports_load:
            return measured
        stdout.seek(0)
        return without_graph_load(measured, stdout.read().decode())


def without_graph_load(measured: Measure, stdout: str) -> Measure:
    """`measured` less the graph load a floor printed (`graph_load_seconds: X.XXX`)."""
    reported = dict(
        line.split(": ", 1) for line in stdout.splitlines() if line.startswith("graph_load_")
    )
    if "graph_load_seconds" not in reported:
        raise SystemExit(f"no graph_load_seconds line in the floor's output:\n{stdout}")
    load = float(reported["graph_load_seconds"])
    load_cpu = float(reported.get("graph_load_cpu_seconds", 0.0))
    return Measure(
        measured.seconds - load, measured.megabytes, measured.cpu_seconds - load_cpu, load
    )


@dataclass(frozen=True)
class Sides:
    """One stack measured three ways: the project's plan and the two floors."""

    project: Measure
    fair: Measure
    replay: Measure


def per_1000(measured: Measure, fixed: Measure, size: int) -> tuple[float, float]:
    """Seconds and MB per 1,000 account-Regions beyond the plan of one."""
    scale = 1000 / (size - 1)
    return (
        (measured.seconds - fixed.seconds) * scale,
        (measured.megabytes - fixed.megabytes) * scale,
    )


@dataclass(frozen=True)
class Row:
    size: int
    resources: int
    sides: Sides
    # Fixed cost: the same three for one account-Region (start-up, imports, config).
    baseline: Sides

    def cells(self) -> list[str]:
        project, fair, replay = self.sides.project, self.sides.fair, self.sides.replay
        project_s, project_mb = per_1000(project, self.baseline.project, self.size)
        fair_s, fair_mb = per_1000(fair, self.baseline.fair, self.size)
        return [
            f"{self.size:,}",
            f"{self.resources:,}",
            f"{project.seconds:.2f}",
            f"{project.megabytes:.0f}",
            f"{fair.seconds:.2f}",
            f"{fair.megabytes:.0f}",
            f"{replay.seconds:.2f}",
            f"{replay.megabytes:.0f}",
            f"{project_s:.2f}",
            f"{fair_s:.2f}",
            f"{project_mb:.0f}",
            f"{fair_mb:.0f}",
            f"{project.seconds / fair.seconds:.2f}",
            f"{project_s / fair_s:.2f}",
        ]


HEADER = (
    "| account-Regions | resources | project s | project MB | fair floor s | fair floor MB "
    "| replay floor s | replay floor MB | project s per 1,000 | fair floor s per 1,000 "
    "| project MB per 1,000 | fair floor MB per 1,000 | ratio to fair | ratio per 1,000 |"
)


def write_stacks(work: Path) -> None:
    """The project files and one stack file per size: `python bench/bench.py --write-stacks DIR`."""
    work.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        # Into this repository itself, they are already there.
        if not (work / name).exists() or not (work / name).samefile(ROOT / name):
            shutil.copy(ROOT / name, work / name)
    for size, (accounts, regions) in {1: (1, 1), **SIZES}.items():
        stack_file = work / f"Pulumi.bench{size}.yaml"
        stack_file.write_text(yaml.safe_dump(stack_config(accounts, regions)))


def measure_sides(work: Path, python: str, stack: str) -> tuple[Sides, int]:
    """The project's plan of `stack` and both floors, in REPEATS rounds; and its resources.

    Each round runs the three one after another, so load that drifts during the
    bench falls on all of them alike.
    """
    graph = work / f"{stack}.graph.json"
    # Untimed: record what the project registers, for the floors to replay.
    measure_once([python, str(ROOT / "bench" / "record.py"), str(work), stack, str(graph)], work)
    plan = [python, "-m", "session_manager", "plan", "--stack", stack, "--summary"]
    floor = [python, str(ROOT / "bench" / "floor.py")]
    runs: tuple[list[Measure], list[Measure], list[Measure]] = ([], [], [])
    for _ in range(REPEATS):
        runs[0].append(measure_once(plan, work))
        runs[1].append(measure_once([*floor, str(graph)], work, reports_load=True))
        runs[2].append(measure_once([*floor, "--replay", str(graph)], work, reports_load=True))
    resources = graph.read_text().count('"urn":')
    return Sides(*(fastest(side) for side in runs)), resources


def plan_rows(work: Path, python: str, sizes: list[int]) -> list[Row]:
    baseline, _ = measure_sides(work, python, "bench1")
    rows: list[Row] = []
    for size in sizes:
        sides, resources = measure_sides(work, python, f"bench{size}")
        rows.append(Row(size, resources, sides, baseline))
        print(f"measured {size} account-Regions", file=sys.stderr, flush=True)
    return rows


def plan_formats(work: Path, python: str, sizes: list[int]) -> list[str]:
    """The plan at REFERENCE_SIZE in the formats users read: text, and JSON for tools.

    The table measures `plan --summary`; rendering every resource's inputs costs more.
    """
    if REFERENCE_SIZE not in sizes:
        return []
    plan = [python, "-m", "session_manager", "plan", "--stack", f"bench{REFERENCE_SIZE}"]
    lines: list[str] = []
    for label, extra in (("plan (text)", []), ("plan --json", ["--json"])):
        measured = measure([*plan, *extra], work)
        lines.append(
            f"{label} at {REFERENCE_SIZE:,} account-Regions: "
            f"{measured.seconds:.2f} s, {measured.megabytes:.0f} MB"
        )
    return lines


# Further lines: each takes the work folder (with Pulumi.yaml, __main__.py and
# the bench stacks), the Python to run and the sizes measured, and returns the
# lines to print after the table.
EXTRA_ROWS: list[Callable[[Path, str, list[int]], list[str]]] = [plan_formats]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        choices=sorted(SIZES),
        default=sorted(SIZES),
        metavar="N",
        help=f"account-Regions to measure, of {', '.join(map(str, SIZES))} (default: all); "
        f"the ratio is read at {REFERENCE_SIZE:,} when measured, else at the largest",
    )
    parser.add_argument(
        "--write-stacks",
        type=folder,
        metavar="DIR",
        help="only write the project files and bench stacks to DIR (to profile them)",
    )
    args = parser.parse_args(argv)
    if args.write_stacks is not None and args.write_stacks.is_file():
        parser.error(f"--write-stacks {args.write_stacks}: is a file; name a folder")
    return args


def folder(value: str) -> Path:
    """A folder argument: an empty one would quietly mean the current folder."""
    if not value:
        raise argparse.ArgumentTypeError("name a folder")
    return Path(value)


def main() -> None:
    python = sys.executable
    args = parse_args(sys.argv[1:])
    if args.write_stacks is not None:
        try:
            write_stacks(args.write_stacks)
        except OSError as error:
            print(
                f"bench.py: error: --write-stacks {args.write_stacks}: {error.strerror}",
                file=sys.stderr,
            )
            raise SystemExit(2) from None
        return
    sizes = sorted(set(args.sizes))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        write_stacks(work)
        rows = plan_rows(work, python, sizes)
        extra = [line for add in EXTRA_ROWS for line in add(work, python, sizes)]

    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    fixed = rows[0].baseline
    print(
        "fixed cost (the plan of 1 account-Region; the per-1,000 columns leave it out): "
        f"project {fixed.project.seconds:.2f} s, {fixed.project.megabytes:.0f} MB; "
        f"fair floor {fixed.fair.seconds:.2f} s, {fixed.fair.megabytes:.0f} MB"
    )
    reference = next((row for row in rows if row.size == REFERENCE_SIZE), rows[-1])
    print(
        "floor seconds (wall and CPU) leave out reading, parsing and preparing the recorded graph, "
        f"which the floors time and report: {reference.sides.fair.load_seconds:.2f} s "
        f"at {reference.size:,} account-Regions; their MB include the parsed graph"
    )
    print(HEADER)
    print("|" + " ---: |" * len(rows[0].cells()))
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    for line in extra:
        print(line)
    project, fair = reference.sides.project, reference.sides.fair
    project_cpu, fair_cpu = project.cpu_seconds, fair.cpu_seconds
    print(
        f"cpu at {reference.size}: project {project_cpu:.2f} s, fair floor {fair_cpu:.2f} s, "
        f"ratio {project_cpu / fair_cpu:.2f}"
    )
    print(
        f"plan_{reference.size}_account_regions: {project.seconds:.2f} s, "
        f"{project.megabytes:.0f} MB"
    )
    print(f"ratio_vs_floor: {project.seconds / fair.seconds:.2f}")


if __name__ == "__main__":
    main()
