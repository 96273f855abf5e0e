"""emulate and the just-in-time example: moto can't hold a Cedar policy document.

moto refuses DocumentFormat TEXT, the format of the auto-approval policy's Cedar text,
so emulate skips the aws-native document, says why, and creates the rest of the stack.
When moto learns TEXT, the first test fails and the skip can go.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from session_manager.cli import main
from session_manager.ops.emulate import Emulator

ROOT = Path(__file__).resolve().parents[2]


def test_moto_refuses_a_text_document(emulator_url: str) -> None:
    ssm = Emulator(emulator_url).client("ssm", "us-east-1")
    with pytest.raises(ClientError, match="Invalid document format TEXT"):
        ssm.create_document(
            Name="session-manager-auto-approval",
            Content="permit (principal, action, resource);",
            DocumentType="AutoApprovalPolicy",
            DocumentFormat="TEXT",
        )


def test_emulate_skips_the_policy_document_and_says_why(
    emulator_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    for path in (ROOT / "examples" / "just-in-time").iterdir():
        shutil.copy(path, tmp_path / path.name)
    argv = ["emulate", "--stack", "just-in-time", "--project-dir", str(tmp_path)]
    assert main([*argv, "--endpoint-url", emulator_url]) == 0
    out = capsys.readouterr().out
    assert "aws:ssm/document:Document" in out
    for account in ("111111111111", "222222222222"):
        assert (
            f"skipped aws-native:ssm:Document session-manager-{account}-us-east-1-just-in-time-"
            "access-auto-approval (moto refuses the Cedar policy's DocumentFormat TEXT)"
        ) in out
