"""`make bench`, verify's part: verify 100 and 1,000 account-Regions against moto.

An organization stack of the largest size (the same shape as bench.py's) is
applied once to moto's server on loopback with `emulate` (untimed); each smaller
stack is a subset of it (its first accounts and Regions). For each size two whole
processes are measured: `plan --summary` and `verify --format json`, wall time and
peak memory (max RSS). verify must report the stack in sync, or the figure is refused. The
last column pair says how each grows from 100 to 1,000 (10x the targets).

Run alone: `.venv/bin/python bench/verify_bench.py [SIZE ...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parents[1]
# account-Regions -> (accounts, Regions per account)
SIZES = {100: (50, 2), 1000: (100, 10)}
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
    "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
]  # fmt: skip


def organization_stack(accounts: int, regions: int) -> dict[str, object]:
    return {
        "config": {
            "aws:region": "us-east-1",
            "session-manager:regions": REGIONS[:regions],
            "session-manager:targets": [
                {"account": f"{100000000000 + index:012d}"} for index in range(accounts)
            ],
            "session-manager:instanceAccess": {"createRole": True},
        }
    }


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of one process; exit 0 or 1 accepted."""
    start = time.perf_counter()
    # Files, not pipes: verify reports progress on stderr, and a full pipe would stall it.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        err.seek(0)
        errors = err.read().decode()
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(command[2:5])} failed:\n{errors}{text[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, text


MODULE = [sys.executable, "-m", "session_manager"]


def write_stack(size: int, work: Path) -> str:
    stack = f"verify{size}"
    config = organization_stack(*SIZES[size])
    (work / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(config))
    return stack


def measure(size: int, work: Path, endpoint: str, env: dict[str, str]) -> dict[str, float]:
    stack = write_stack(size, work)
    where = ["--stack", stack, "--endpoint-url", endpoint]
    plan_s, plan_mb, _ = run([*MODULE, "plan", "--stack", stack, "--summary"], work, env)
    verify_s, verify_mb, text = run([*MODULE, "verify", *where, "--format", "json"], work, env)
    report = json.loads(text)
    if report["status"] != "in_sync" or len(report["targets"]) != size:
        raise SystemExit(f"verify of {size} account-Regions: {report['summary']}, not all in sync")
    checked = sum(len(t["checked"]) for t in report["targets"])
    print(f"verified {size} account-Regions", file=sys.stderr)
    return {
        "plan_s": plan_s,
        "plan_mb": plan_mb,
        "verify_s": verify_s,
        "verify_mb": verify_mb,
        "checked": checked,
    }


def emulator_env() -> dict[str, str]:
    """No AWS settings but moto's test credentials; cached bytecode, as an installed
    package runs (and as bench.py measures the plan)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def verify_rows(sizes: list[int]) -> dict[int, dict[str, float]]:
    """Figures per size, measured against a fresh moto server on loopback."""
    env = emulator_env()
    rows: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / name, work / name)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            largest = write_stack(max(sizes), work)
            emulate_s, _, _ = run(
                [*MODULE, "emulate", "--stack", largest, "--endpoint-url", endpoint], work, env
            )
            print(f"emulated {max(sizes)} account-Regions in {emulate_s:.0f} s", file=sys.stderr)
            for size in sorted(sizes):
                rows[size] = measure(size, work, endpoint, env)
        finally:
            server.stop()
    return rows


def verify_table(rows: dict[int, dict[str, float]]) -> list[str]:
    lines = [
        "| account-Regions | resources checked | plan s | plan MB | verify s | verify MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, row in sorted(rows.items()):
        cells = [
            f"{size}",
            f"{row['checked']:.0f}",
            f"{row['plan_s']:.2f}",
            f"{row['plan_mb']:.0f}",
            f"{row['verify_s']:.2f}",
            f"{row['verify_mb']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > 1:
        small, large = min(rows), max(rows)
        for what in ("plan", "verify"):
            time_growth = rows[large][f"{what}_s"] / rows[small][f"{what}_s"]
            memory_growth = rows[large][f"{what}_mb"] / rows[small][f"{what}_mb"]
            lines.append(
                f"{what} growth {small} -> {large} account-Regions ({large // small}x): "
                f"time x{time_growth:.1f}, memory x{memory_growth:.2f}"
            )
    return lines


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument(
        "sizes",
        metavar="SIZE",
        type=int,
        nargs="*",
        help=f"account-Regions to verify, of {', '.join(map(str, SIZES))} (default: all)",
    )
    sizes = sorted(set(parser.parse_args(argv).sizes)) or sorted(SIZES)
    # Not `choices`: with nargs="*" argparse checks the empty default against them too.
    if unknown := sorted(set(sizes) - set(SIZES)):
        parser.error(f"SIZE {unknown[0]}: choose from {', '.join(map(str, SIZES))}")
    print(f"verify against moto on loopback, cores: {os.cpu_count()}")
    print("\n".join(verify_table(verify_rows(sizes))))


if __name__ == "__main__":
    main(sys.argv[1:])
