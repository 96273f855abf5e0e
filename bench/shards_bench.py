"""`make bench`, the shards' part: plan with 1, 2 and 4 jobs, and verify with 1 and 2.

Plan: a sharded organization of 1,000, 3,000 and 10,000 account-Regions (bench.py's
shape: 10 Regions per account) with `shards.count` the smallest that keeps every
shard within 2,000 account-Regions, and at least 4 (so 4 jobs have work). Each
`plan --summary --jobs J` is one command: wall seconds, and the peak memory of its
largest process (the parent or a worker: getrusage(RUSAGE_CHILDREN).ru_maxrss of a
runner process is the largest RSS among all its descendants, man 2 getrusage). The
output of every J must be byte-identical to --jobs 1's, or the figure is refused.
The largest shard's resource count comes from the summary.

Verify: 1,000 account-Regions sharded 4 ways, emulated once on moto (unsharded: the
resources are the same), then `verify --format json --jobs J` for J in 1, 2: in sync,
identical reports.

The load average is printed with every figure: other processes on the machine add
time. Run alone: `.venv/bin/python bench/shards_bench.py [--sizes N ...] [--verify-only]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "components"))
sys.path.insert(0, str(ROOT / "bench"))
from session_manager.config.shards import smallest_count  # noqa: E402
from verify_bench import emulator_env  # noqa: E402

# account-Regions -> accounts (10 Regions each)
SIZES = {1000: 100, 3000: 300, 10000: 1000}
JOBS = (1, 2, 4)
VERIFY_JOBS = (1, 2)
VERIFY_SIZE = 1000
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
    "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
]  # fmt: skip
MODULE = [sys.executable, "-m", "session_manager"]
# Cached bytecode, as an installed package runs (bench.py measures the plan so too).
PLAN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# Runs a command with its stdout in a file; prints its exit code and the largest RSS (KB)
# of any process of its tree, once all of them ended.
RUNNER = """
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    code = subprocess.call(sys.argv[3:], stdout=out, stderr=err)
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def accounts_of(count: int) -> list[str]:
    return [f"{100000000000 + index:012d}" for index in range(count)]


def shard_count(accounts: int) -> int:
    return max(4, smallest_count(dict.fromkeys(accounts_of(accounts), len(REGIONS)), 2000))


def stack_file(accounts: int, shards: int | None) -> dict[str, object]:
    config: dict[str, object] = {
        "aws:region": "us-east-1",
        "session-manager:regions": REGIONS,
        "session-manager:preferences": {"idleSessionTimeout": 20, "maxSessionDuration": 60},
        "session-manager:targets": [{"account": a} for a in accounts_of(accounts)],
        "session-manager:instanceAccess": {"createRole": True},
    }
    if shards:
        config["session-manager:shards"] = {"count": shards}
    return {"config": config}


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    stdout: str
    load: float  # the 1-minute load average when it started


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        out, err = Path(folder) / "out", Path(folder) / "err"
        start = time.perf_counter()
        answer = subprocess.run(
            [sys.executable, "-c", RUNNER, str(out), str(err), *command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - start
        code, peak_kb = answer.stdout.split()
        if int(code) not in (0, 1):
            raise SystemExit(f"{' '.join(command[2:6])} failed:\n{err.read_text()[-3000:]}")
        return Run(seconds, int(peak_kb) / 1024, out.read_text(), load)


def project(work: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, work / name)


def largest_shard(summary: str) -> tuple[str, int]:
    """(stack, resources) of the shard with most resources, from `plan --summary`."""
    counts = [
        (line.split()[-1], int(line.split()[0]))
        for line in summary.splitlines()
        if "resources in stack" in line and "-shard-" in line
    ]
    return max(counts, key=lambda item: item[1])


def plan_lines(sizes: list[int]) -> list[str]:
    lines = [
        "| account-Regions | shards | jobs | seconds | vs 1 job | largest process MB "
        "| largest shard (resources) | same output | load |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        project(work)
        for size in sizes:
            shards = shard_count(SIZES[size])
            stack = f"shards{size}"
            (work / f"Pulumi.{stack}.yaml").write_text(
                yaml.safe_dump(stack_file(SIZES[size], shards))
            )
            plan = [*MODULE, "plan", "--stack", stack, "--summary"]
            first: Run | None = None
            for jobs in JOBS:
                measured = run([*plan, "--jobs", str(jobs)], work, PLAN_ENV)
                first = first or measured
                if measured.stdout != first.stdout:
                    raise SystemExit(f"plan of {size} with --jobs {jobs} differs from --jobs 1")
                name, resources = largest_shard(measured.stdout)
                lines.append(
                    f"| {size:,} | {shards} | {jobs} | {measured.seconds:.1f} "
                    f"| {measured.seconds / first.seconds:.2f} | {measured.peak_mb:.0f} "
                    f"| {name} ({resources:,}) | yes | {measured.load:.2f} |"
                )
                print(f"planned {size} with {jobs} job(s)", file=sys.stderr, flush=True)
    return lines


def verify_lines() -> list[str]:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    accounts = VERIFY_SIZE // len(REGIONS)
    lines = [
        "| account-Regions | shards | jobs | seconds | vs 1 job | largest process MB "
        "| in sync | same report | load |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    env = emulator_env()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        project(work)
        (work / "Pulumi.whole.yaml").write_text(yaml.safe_dump(stack_file(accounts, None)))
        (work / "Pulumi.sharded.yaml").write_text(yaml.safe_dump(stack_file(accounts, 4)))
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            emulate = [*MODULE, "emulate", "--stack", "whole", "--endpoint-url", endpoint]
            emulated = run(emulate, work, env)
            print(f"emulated in {emulated.seconds:.0f} s", file=sys.stderr, flush=True)
            verify = [*MODULE, "verify", "--stack", "sharded", "--endpoint-url", endpoint]
            first: Run | None = None
            for jobs in VERIFY_JOBS:
                measured = run([*verify, "--format", "json", "--jobs", str(jobs)], work, env)
                first = first or measured
                report = json.loads(measured.stdout)
                in_sync = report["status"] == "in_sync" and len(report["targets"]) == VERIFY_SIZE
                if not in_sync:
                    raise SystemExit(f"verify with --jobs {jobs}: {report['summary']}")
                same = measured.stdout == first.stdout
                lines.append(
                    f"| {VERIFY_SIZE:,} | 4 | {jobs} | {measured.seconds:.1f} "
                    f"| {measured.seconds / first.seconds:.2f} | {measured.peak_mb:.0f} "
                    f"| yes | {'yes' if same else 'NO'} | {measured.load:.2f} |"
                )
                print(f"verified with {jobs} job(s)", file=sys.stderr, flush=True)
        finally:
            server.stop()
    return lines


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", choices=sorted(SIZES), default=sorted(SIZES), metavar="N"
    )
    parser.add_argument("--verify-only", action="store_true")
    parser.add_argument("--plan-only", action="store_true")
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}")
    if not args.verify_only:
        print("\n".join(plan_lines(sorted(set(args.sizes)))))
    if not args.plan_only:
        print("\n".join(verify_lines()))


if __name__ == "__main__":
    main(sys.argv[1:])
