"""The type checker reads pulumi-aws's own hints, so it catches what mocks accept."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pyright(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("pyright")
    if not executable.exists():
        pytest.fail("pyright is not installed in the test environment (pip install -e '.[dev]')")
    if shutil.which("node") is None:
        pytest.fail("pyright needs Node.js on PATH")
    sample = tmp_path / "sample.py"
    sample.write_text(source)
    return subprocess.run(
        [str(executable), "--pythonpath", sys.executable, str(sample)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_misspelled_provider_argument_is_an_error(tmp_path: Path) -> None:
    result = pyright(
        tmp_path,
        "import pulumi_aws as aws\n"
        'aws.ssm.Document("d", name="x", document_type="Session", regoin="us-east-1")\n',
    )
    assert result.returncode == 1, result.stdout
    assert "No overloads" in result.stdout or "regoin" in result.stdout


def test_a_wrongly_typed_component_arg_is_an_error(tmp_path: Path) -> None:
    result = pyright(
        tmp_path,
        "from session_manager import SessionManagerPreferences\n"
        'SessionManagerPreferences("p", {"region": "eu-west-1", "retain_document_on_delete": 1})\n',
    )
    assert result.returncode == 1, result.stdout
    assert "SessionManagerPreferencesArgs" in result.stdout
    assert 'is not assignable to "bool"' in result.stdout
