"""Secrets end to end: kept secret in the program, never printed, planned offline without failing.

References: `pulumi config set --secret` values reach the program decrypted, with
their top-level keys in PULUMI_CONFIG_SECRET_KEYS (pulumi-language-python); only
a secret Output is encrypted in state and masked in previews.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import write_stack
from session_manager.config.errors import ConfigError
from session_manager.config.loading import load_stack_config
from session_manager.config.secrets import UNDECRYPTED, contains_secret, secret_strings
from session_manager.offline.plan import Plan, record_program, run_plan
from session_manager.offline.render import format_plan
from session_manager.ops.adopt import ExistingDocument, review
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import Emulator
from session_manager.ops.verify import IN_SYNC, format_report, verify
from session_manager.program import deploy, export_outputs
from session_manager.secret_inputs import keep_config_secrets

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
SECURE_USER = """config:
  aws:region: us-east-1
  session-manager:preferences:
    runAsEnabled: true
    runAsDefaultUser:
      secure: AAABADQXFlU6k8Qx5u0bV1b7vOd+gQ==
"""


def real_run(preferences: dict[str, Any]) -> Plan:
    """The program as `pulumi up` runs it: values decrypted, the key listed as secret."""
    config = {
        "aws:region": "us-east-1",
        "session-manager:preferences": json.dumps(preferences),
    }

    def program() -> None:
        export_outputs(deploy(load_stack_config(), home_region="us-east-1"))

    return record_program(
        program, stack="prod", config=config, secret_keys=["session-manager:preferences"]
    )


def test_offline_plan_does_not_check_a_secret_it_cannot_decrypt(tmp_path: Path) -> None:
    plan = run_plan(write_stack(tmp_path, SECURE_USER), "t")
    document = plan.named("session-manager-us-east-1-document")
    assert json.loads(document.inputs["content"])["inputs"]["runAsDefaultUser"] == UNDECRYPTED
    assert document.secret_inputs == ["content"]
    (note,) = [w for w in plan.warnings if "cannot decrypt" in w]
    assert note.startswith(
        "session-manager:preferences.runAsDefaultUser: a secret the offline plan"
    )
    assert "content (secret):" in format_plan(plan)


def test_real_run_keeps_the_decrypted_value_secret_and_never_prints_it() -> None:
    plan = real_run({"runAsEnabled": True, "runAsDefaultUser": "alice-ops"})
    document = plan.named("session-manager-us-east-1-document")
    # The engine receives the content as a secret: state encrypts it, previews mask it.
    assert document.secret_inputs == ["content"]
    assert json.loads(document.inputs["content"])["inputs"]["runAsDefaultUser"] == UNDECRYPTED
    assert "alice-ops" not in json.dumps(plan.to_json())
    assert "alice-ops" not in format_plan(plan)
    # Inputs that do not show the secret stay readable.
    policy = plan.named("session-manager-instance-access-policy")
    assert policy.secret_inputs == []


def test_real_run_validates_the_decrypted_value_like_any_other() -> None:
    with pytest.raises(ConfigError, match="is not a valid Linux user name"):
        real_run({"runAsEnabled": True, "runAsDefaultUser": "not a user!"})


def test_secret_strings_are_the_strings_of_secret_keys_only() -> None:
    config = {
        "session-manager:preferences": '{"runAsDefaultUser": "alice", "idleSessionTimeout": 20}',
        "session-manager:tags": '{"team": "platform"}',
    }
    found = secret_strings(config, {"session-manager:preferences"}, "session-manager")
    assert found == {"alice"}
    # Inside JSON text a secret is found escaped, too.
    assert contains_secret(json.dumps({"u": 'al"ice'}), {'al"ice'})
    assert not contains_secret("2012-10-17", found)


def test_a_stack_without_secrets_registers_nothing() -> None:
    assert keep_config_secrets(set()) is False


def test_adopt_never_prints_a_secret_field() -> None:
    plan = real_run({"runAsEnabled": True, "runAsDefaultUser": "alice-ops"})
    document = plan.named("session-manager-us-east-1-document")
    wanted = json.loads(document.inputs["content"])
    current = json.loads(document.inputs["content"])
    current["inputs"]["runAsDefaultUser"] = "bob-admin"
    text = review([ExistingDocument(document, "us-east-1", None, current, wanted)])
    assert "inputs.runAsDefaultUser: a secret, not compared" in text
    assert "bob-admin" not in text


def test_verify_neither_compares_nor_prints_a_secret_field(
    emulator_url: str, tmp_path: Path
) -> None:
    plan = run_plan(write_stack(tmp_path, SECURE_USER), "t")
    Emulator(emulator_url).apply(plan)
    ssm = boto3.client("ssm", endpoint_url=emulator_url, region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]
    content = json.loads(ssm.get_document(Name="SSM-SessionManagerRunShell")["Content"])
    content["inputs"]["runAsDefaultUser"] = "carol-root"
    version = ssm.update_document(
        Name="SSM-SessionManagerRunShell", Content=json.dumps(content), DocumentVersion="$LATEST"
    )["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name="SSM-SessionManagerRunShell", DocumentVersion=version)
    report = verify(plan, AwsAccess(emulator_url, credentials=CREDENTIALS))
    assert report.exit_code == IN_SYNC, format_report(report)
    assert "carol-root" not in format_report(report) + json.dumps(report.to_json())
