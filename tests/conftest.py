"""Shared fixtures: AWS's example documents and the project's paths."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from moto.server import ThreadedMotoServer
from session_manager.ops.emulate_jit import teach_moto

ROOT = Path(__file__).resolve().parents[1]
AWS_EXAMPLES = Path(__file__).parent / "fixtures" / "aws_examples"


def aws_example(name: str) -> dict[str, Any]:
    return json.loads((AWS_EXAMPLES / name).read_text())


@pytest.fixture
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's AWS emulator on loopback, on a free port, for the whole test session."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    teach_moto()  # the just-in-time document types (ops/emulate_jit.py says why)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def emulator_url(moto_server: str) -> str:
    """A clean emulator for one test: moto's state is reset before it."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    return moto_server


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may find real credentials or a real endpoint."""
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def write_stack(tmp_path: Path, body: str, stack: str = "t") -> Path:
    """A project folder with the real program and one stack file."""
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(body)
    return tmp_path


def cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m session_manager ...`, by default without any AWS_ variable of the environment."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "session_manager", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def bench_script(name: str) -> Any:
    """A script of bench/ (not a package) loaded as a module, for its functions."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up while the class is built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
