"""`make bench`: plan 1, 100 and 1,000 account-Regions and compare with the floor.

Each measurement is a whole process: wall time and peak memory (max RSS). The
project runs `python -m session_manager plan --summary` on a generated
organization stack; the floor registers the same resources with the Pulumi SDK
alone (bench/floor.py). Not a timed test: it prints a table and the ratio.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# account-Regions -> (accounts, Regions per account)
SIZES = {1: (1, 1), 100: (50, 2), 1000: (100, 10)}
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


def measure(command: list[str], cwd: Path, stdout_path: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one process."""
    out = stdout_path.open("w") if stdout_path else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if stdout_path:
        out.close()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    python = sys.executable
    rows: list[tuple[int, int, float, float, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name in ("Pulumi.yaml", "__main__.py"):
            shutil.copy(ROOT / name, work / name)
        for size, (accounts, regions) in SIZES.items():
            stack = f"bench{size}"
            (work / f"Pulumi.{stack}.yaml").write_text(
                yaml.safe_dump(stack_config(accounts, regions))
            )
            plan_json = work / f"{stack}.json"
            # Untimed: record what the project registers, for the floor to replay.
            measure(
                [python, "-m", "session_manager", "plan", "--stack", stack, "--json"],
                work,
                plan_json,
            )
            project = measure(
                [python, "-m", "session_manager", "plan", "--stack", stack, "--summary"], work
            )
            floor = measure([python, str(ROOT / "bench" / "floor.py"), str(plan_json)], work)
            resources = plan_json.read_text().count('"urn":')
            rows.append((size, resources, *project, *floor))
            print(f"measured {size} account-Regions", file=sys.stderr, flush=True)

    print(f"cores: {os.cpu_count()}")
    print("| account-Regions | resources | project s | project MB | floor s | floor MB | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, resources, p_s, p_mb, f_s, f_mb in rows:
        cells = [size, resources, f"{p_s:.2f}", f"{p_mb:.0f}", f"{f_s:.2f}", f"{f_mb:.0f}"]
        print("| " + " | ".join(str(c) for c in [*cells, f"{p_s / f_s:.2f}"]) + " |")
    _, _, p_s, _, f_s, _ = rows[-1]
    print(f"ratio_vs_floor: {p_s / f_s:.2f}")


if __name__ == "__main__":
    main()
