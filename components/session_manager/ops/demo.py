"""`make demo`: the whole loop against moto's AWS emulator on 127.0.0.1.

Starts moto's server on a free loopback port, applies the stack's plan to it
(`emulate`), checks it back (`verify`), prints a summary, and stops the server.
Needs nothing but a fresh clone: no AWS account, no credentials, no Pulumi CLI.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter

from moto.server import ThreadedMotoServer

from session_manager.config.errors import ConfigError
from session_manager.offline.load import load_plan
from session_manager.offline.plan import PlanError
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import (
    EMULATOR_ACCESS_KEY,
    EMULATOR_SECRET_KEY,
    EmulationError,
    Emulator,
)
from session_manager.ops.emulate_jit import teach_moto
from session_manager.ops.prerequisites import create_expected_buckets, create_expected_trails
from session_manager.ops.verify import emulated_part, format_report, verify


def quiet_emulator_logs() -> None:
    """moto's server logs every request through werkzeug; the summary says what matters."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def run_demo(args: argparse.Namespace) -> int:
    try:
        plan = load_plan(args.project_dir, args.stack, args.ou_accounts, resolve_outputs=False)
    except (ConfigError, PlanError) as exc:
        print(str(exc))
        return 2
    for warning in plan.warnings:
        print(f"warning: {warning}")
    quiet_emulator_logs()
    teach_moto()  # the just-in-time approval-policy documents (ops/emulate_jit.py)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        print(f"1. moto's AWS emulator is listening on {endpoint} (loopback only)")
        emulator = Emulator(endpoint)
        for existing in create_expected_buckets(plan, emulator.access):
            print(
                f"   created bucket {existing.bucket} in {existing.region}, which the stack "
                "names but does not create (in AWS it must exist before `pulumi up`)"
            )
        for trail in create_expected_trails(plan, emulator.access):
            print(
                f"   created CloudTrail trail {trail.name} in {trail.region}, which accountEvents "
                "needs (EventBridge gets Organizations events only while a trail logs them)"
            )
        try:
            applied = emulator.apply(plan)
        except EmulationError as exc:
            print(f"2. the emulator refused the plan: {exc}")
            return 1
        counts = Counter(r.type.split(":")[1].split("/")[0] for r in applied.created)
        made = ", ".join(f"{n} {service}" for service, n in sorted(counts.items()))
        print(f"2. emulate: created {len(applied.created)} resources ({made})")
        # verify what the emulator holds, as `verify --endpoint-url` does: resources
        # emulate skipped would be "missing".
        emulated, skipped = emulated_part(plan)
        for line in skipped:
            print(f"   {line}")
        access = AwsAccess(
            endpoint,
            credentials={
                "aws_access_key_id": EMULATOR_ACCESS_KEY,
                "aws_secret_access_key": EMULATOR_SECRET_KEY,
            },
        )
        report = verify(emulated, access)
        print("3. verify:")
        print("\n".join(f"   {line}" for line in format_report(report).splitlines()))
        return report.exit_code
    finally:
        server.stop()
        print("4. the emulator is stopped")
