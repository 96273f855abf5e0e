"""verify's wall time, this checkout against another commit, on one emulated organization.

The largest stack of `verify_bench.py` is applied once by each checkout's own
`emulate` (what each deploys may differ) to its own moto server on loopback
(untimed; or pass `--endpoint-url` and `--base-endpoint-url` of servers that already
hold them). Then, per size, `verify --format json` runs as a whole process
alternately from the other checkout (`--base`, its package put first on the path)
and from this one, `--rounds` times each, so load from other processes on a shared
machine falls on both alike. Both must report the stack in sync.

    git worktree add /tmp/base b59aabc --detach
    .venv/bin/python bench/verify_compare.py --base /tmp/base [SIZE ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from moto.server import ThreadedMotoServer
from verify_bench import MODULE, ROOT, SIZES, emulator_env, run, write_stack


def verify_once(checkout: Path, size: int, work: Path, endpoint: str, env: dict[str, str]) -> float:
    stack = write_stack(size, work)
    where = ["--stack", stack, "--endpoint-url", endpoint]
    env = {**env, "PYTHONPATH": str(checkout / "components")}
    seconds, _, text = run([*MODULE, "verify", *where, "--format", "json"], work, env)
    report = json.loads(text)
    if report["status"] != "in_sync" or len(report["targets"]) != size:
        raise SystemExit(f"{checkout} at {size} account-Regions: {report['summary']}")
    return seconds


def compare(base: Path, sizes: list[int], rounds: int, endpoints: dict[str, str | None]) -> None:
    env = emulator_env()
    checkouts = {"base": base, "this": ROOT}
    with tempfile.TemporaryDirectory() as folder:
        works: dict[str, Path] = {}
        servers: list[ThreadedMotoServer] = []
        try:
            for name, checkout in checkouts.items():
                work = works[name] = Path(folder) / name
                work.mkdir()
                for file in ("Pulumi.yaml", "__main__.py"):
                    shutil.copy(checkout / file, work / file)
                if endpoints[name] is None:
                    # Each checkout's own plan (what it deploys may differ), on its own server.
                    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
                    server.start()
                    servers.append(server)
                    host, port = server.get_host_and_port()
                    endpoints[name] = f"http://{host}:{port}"
                    largest = write_stack(max(sizes), work)
                    command = [*MODULE, "emulate", "--stack", largest]
                    command += ["--endpoint-url", str(endpoints[name])]
                    run(command, work, {**env, "PYTHONPATH": str(checkout / "components")})
            for size in sorted(sizes):
                times: dict[str, list[float]] = {"base": [], "this": []}
                for _ in range(rounds):
                    for name, checkout in checkouts.items():
                        where = str(endpoints[name])
                        seconds = verify_once(checkout, size, works[name], where, env)
                        times[name].append(seconds)
                        print(f"{size} {name} {seconds:.2f}", file=sys.stderr, flush=True)
                for name, values in times.items():
                    cells = " / ".join(f"{v:.2f}" for v in values)
                    print(f"| {size} | {name} | {cells} | {min(values):.2f} |", flush=True)
        finally:
            for server in servers:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="verify's wall time against another commit")
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--endpoint-url", help="a moto server holding this checkout's stack")
    parser.add_argument("--base-endpoint-url", help="a moto server holding the base's stack")
    parser.add_argument("sizes", nargs="*", type=int, default=sorted(SIZES), choices=sorted(SIZES))
    args = parser.parse_args()
    print("| account-Regions | checkout | verify s, each round | fastest |")
    print("| ---: | --- | --- | ---: |", flush=True)
    endpoints = {"base": args.base_endpoint_url, "this": args.endpoint_url}
    compare(args.base.resolve(), args.sizes, args.rounds, endpoints)


if __name__ == "__main__":
    main()
