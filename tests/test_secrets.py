"""Secrets end to end: kept secret in the program, never printed, planned offline without failing.

References: `pulumi config set --secret` values reach the program decrypted, with
their top-level keys in PULUMI_CONFIG_SECRET_KEYS (pulumi-language-python); only
a secret Output is encrypted in state and masked in previews.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pulumi
import pytest
from conftest import cli, write_stack
from google.protobuf import json_format
from pulumi.runtime import rpc
from session_manager.config.errors import ConfigError
from session_manager.config.loading import load_stack_config
from session_manager.config.secrets import UNDECRYPTED, SecretLeaf, secret_leaves, shows_secret
from session_manager.offline.plan import Plan, record_program, run_plan
from session_manager.offline.render import format_plan
from session_manager.ops.adopt import ExistingDocument, review
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import Emulator
from session_manager.ops.verify import CANNOT_CHECK, IN_SYNC, format_report, verify
from session_manager.program import deploy
from session_manager.secret_inputs import keep_config_secrets
from session_manager.stack_exports import export_outputs

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
SECURE_USER = """config:
  aws:region: us-east-1
  session-manager:preferences:
    runAsEnabled: true
    runAsDefaultUser:
      secure: AAABADQXFlU6k8Qx5u0bV1b7vOd+gQ==
"""


def real_run(
    preferences: dict[str, Any],
    secure: tuple[str, ...] | None = None,
    log_group: dict[str, Any] | None = None,
) -> Plan:
    """The program as `pulumi up` runs it: values decrypted, the keys listed as secret.

    `secure` names the preferences that the stack file stores `secure:` (default: all);
    a `secure:` value decrypts to a string, whatever it holds (pulumi/pulumi
    sdk/go/common/resource/config/value.go: a secure value's plaintext is text).
    """
    secure = tuple(preferences) if secure is None else secure
    config = {"aws:region": "us-east-1", "session-manager:preferences": json.dumps(preferences)}
    declared: dict[str, Any] = {
        "session-manager:preferences": {
            key: {"secure": "AAAB"} if key in secure else value
            for key, value in preferences.items()
        }
    }
    if log_group is not None:
        config["session-manager:logGroup"] = json.dumps(log_group)
        declared["session-manager:logGroup"] = {key: {"secure": "AAAB"} for key in log_group}

    def program() -> None:
        export_outputs(deploy(load_stack_config(), home_region="us-east-1"))

    return record_program(
        program,
        stack="prod",
        config=config,
        secret_keys=[key for key in config if key.startswith("session-manager:")],
        stack_file=declared,
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


def test_secret_leaves_are_the_secure_values_of_secret_keys_only() -> None:
    config = {
        "session-manager:preferences": '{"runAsDefaultUser": "alice", "idleSessionTimeout": 20}',
        "session-manager:tags": '{"team": "platform"}',
    }
    declared = {
        "session-manager:preferences": {
            "runAsDefaultUser": {"secure": "x"},
            "idleSessionTimeout": 20,
        }
    }
    keys = {"session-manager:preferences"}
    found = secret_leaves(config, keys, "session-manager", declared)
    assert found == {SecretLeaf("runAsDefaultUser", "alice")}
    # Without a stack file that describes the value (another source added to it), every
    # value of the secret key counts; numbers only under their own key.
    everything = secret_leaves(config, keys, "session-manager", None)
    assert SecretLeaf("idleSessionTimeout", "20") in everything
    assert not shows_secret("2012-10-17T20:00", everything)
    assert shows_secret('{"idleSessionTimeout": "20"}', everything)
    assert not shows_secret('{"maxSessionDuration": "20"}', everything)
    assert shows_secret(20, everything, name="idle_session_timeout")
    # Inside JSON text a secret is found escaped, too.
    assert shows_secret(json.dumps({"u": 'al"ice'}), {SecretLeaf("u", 'al"ice')})


def test_a_stack_without_secrets_registers_nothing() -> None:
    assert keep_config_secrets(frozenset()) is False


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


# --- Issue 21: secret outputs, typed secrets, the placeholder, precise marking ----------------

# pulumi sdk/python/lib/pulumi/runtime/rpc.py: `_special_sig_key` and `_special_secret_sig`
# mark a secret value on the wire; the engine stores such a value encrypted.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SECRET_PREFERENCES = {
    "runAsEnabled": "true",
    "runAsDefaultUser": "alice-ops",
    "idleSessionTimeout": "17",
    "s3BucketName": "audit-bkt-7f3",
    "s3KeyPrefix": "logs",
}


def plain_parts(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """(key, value) of every scalar NOT inside a secret, as the engine would store it."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return
        for name, item in value.items():
            yield from plain_parts(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from plain_parts(item, key)
    elif isinstance(value, str) and value[:1] in ("{", "["):
        try:
            yield from plain_parts(json.loads(value), key)
        except json.JSONDecodeError:
            yield key, value
    else:
        yield key, value


def leaked(parts: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Plain parts that show a secret: its text anywhere, a number or flag under its key."""
    texts = ("alice-ops", "audit-bkt-7f3")
    scalars = {"idleSessionTimeout": "17", "runAsEnabled": "true", "retentionInDays": "731"}
    return [
        (key, value)
        for key, value in parts
        if any(text in str(value) for text in texts)
        or str(value).lower() == scalars.get(key, object())
    ]


def exported_and_registered(preferences: dict[str, Any], secure: tuple[str, ...]) -> Any:
    """Every RegisterResourceOutputs and the stack's exports, in the engine's wire format."""
    config = {
        "aws:region": "us-east-1",
        "session-manager:preferences": json.dumps(preferences),
        "session-manager:logGroup": json.dumps({"retentionInDays": "731"}),
    }
    declared = {
        "session-manager:preferences": {
            key: {"secure": "AAAB"} if key in secure else value
            for key, value in preferences.items()
        },
        "session-manager:logGroup": {"retentionInDays": {"secure": "AAAB"}},
    }

    async def exports() -> Any:
        root = pulumi.runtime.settings.get_root_resource()
        assert isinstance(root, pulumi.runtime.stack.Stack)
        struct = await rpc.serialize_properties(dict(root.outputs), {})
        return json_format.MessageToDict(struct)

    def program() -> Any:
        export_outputs(deploy(load_stack_config(), home_region="us-east-1"))
        return asyncio.ensure_future(exports())

    plan = record_program(
        program,
        stack="prod",
        config=config,
        secret_keys=list(config)[1:],
        stack_file=declared,
    )
    registered = {
        urn: json_format.MessageToDict(struct) for urn, struct in plan.registered_outputs.items()
    }
    return plan, registered, plan.result


def test_no_component_output_or_export_shows_a_secret_in_plain_text() -> None:
    """Issue 21, point 1: the engine stores what RegisterResourceOutputs and the stack's
    outputs carry as given; only values wrapped as secrets are encrypted
    (pulumi sdk/python/lib/pulumi/output.py, Output.secret)."""
    plan, registered, exports = exported_and_registered(
        SECRET_PREFERENCES,
        secure=("runAsEnabled", "runAsDefaultUser", "idleSessionTimeout", "s3BucketName"),
    )
    assert any("document_content" in outputs for outputs in registered.values())
    for urn, outputs in registered.items():
        assert leaked(list(plain_parts(outputs))) == [], urn
    assert exports["preferences"]["us-east-1"]["documentName"] == "SSM-SessionManagerRunShell"
    assert leaked(list(plain_parts(exports))) == []
    # Derived, so secret: the bucket's name in the export and in the instance policy.
    assert exports["preferences"]["us-east-1"]["s3BucketName"].get(SIG_KEY) == SECRET_SIG
    assert plan.named("session-manager-instance-access-policy").secret_inputs == ["policy"]


def test_only_values_derived_from_secrets_are_marked() -> None:
    """Issue 21, point 4: a plain `s3KeyPrefix: logs` next to a secret user name must not make
    the instance policy (`logs:CreateLogStream`) or the log group secret."""
    plan = real_run(
        {
            "runAsEnabled": True,
            "runAsDefaultUser": "alice-ops",
            "s3BucketName": "audit-bucket",
            "s3KeyPrefix": "logs",
        },
        secure=("runAsDefaultUser",),
    )
    assert plan.named("session-manager-us-east-1-document").secret_inputs == ["content"]
    for name in ("session-manager-instance-access-policy", "session-manager-us-east-1-log-group"):
        assert plan.named(name).secret_inputs == [], name
    _, _, exports = exported_and_registered(
        {"runAsEnabled": True, "runAsDefaultUser": "alice-ops", "s3KeyPrefix": "logs"},
        secure=("runAsDefaultUser",),
    )
    assert exports["preferences"]["us-east-1"]["logGroupName"] == "ssm-sessionmanager-logs"


def test_secret_numbers_and_flags_deploy_like_plain_ones() -> None:
    """Issue 21, point 2: a `secure:` value decrypts to text ("17", "true"); it validates,
    plans and is kept secret like the plain number or flag."""
    plan = real_run(
        {"runAsEnabled": "true", "runAsDefaultUser": "ops", "idleSessionTimeout": "17"},
        secure=("runAsEnabled", "idleSessionTimeout"),
        log_group={"retentionInDays": "731"},
    )
    document = plan.named("session-manager-us-east-1-document")
    assert document.secret_inputs == ["content"]
    content = json.loads(document.inputs["content"])["inputs"]
    # Never printed: masked under its key, the plain user name still readable.
    assert content["idleSessionTimeout"] == UNDECRYPTED
    assert content["runAsEnabled"] == UNDECRYPTED
    assert content["runAsDefaultUser"] == "ops"
    group = plan.named("session-manager-us-east-1-log-group")
    assert group.secret_inputs == ["retentionInDays"]
    assert group.inputs["retentionInDays"] == UNDECRYPTED
    # Validated like a plain value: 61 minutes is out of range.
    with pytest.raises(ConfigError, match="idleSessionTimeout"):
        real_run({"idleSessionTimeout": "61"})


CIPHERTEXT = "AAABADQXFlU6k8Qx5u0bV1b7vOd+gQ=="
SECURE_NUMBERS = """config:
  aws:region: us-east-1
  session-manager:preferences:
    idleSessionTimeout:
      secure: AAABADQXFlU6k8Qx5u0bV1b7vOd+gQ==
    runAsEnabled:
      secure: AAABADQXFlU6k8Qx5u0bV1b7vOd+gQ==
    runAsDefaultUser: ops
  session-manager:logGroup:
    retentionInDays:
      secure: AAABADQXFlU6k8Qx5u0bV1b7vOd+gQ==
"""


def test_offline_plan_and_verify_take_secret_numbers_and_flags(
    emulator_url: str, tmp_path: Path
) -> None:
    """Issue 21, point 2: offline, `secure:` numbers and flags end no command in a traceback."""
    plan = run_plan(write_stack(tmp_path, SECURE_NUMBERS), "t")
    content = json.loads(plan.named("session-manager-us-east-1-document").inputs["content"])
    assert content["inputs"]["idleSessionTimeout"] == UNDECRYPTED
    assert content["inputs"]["runAsEnabled"] == UNDECRYPTED
    assert (
        plan.named("session-manager-us-east-1-log-group").inputs["retentionInDays"] == UNDECRYPTED
    )
    assert len([w for w in plan.warnings if "cannot decrypt" in w]) == 3
    text = format_plan(plan)
    assert "retentionInDays (secret)" in text
    # What AWS holds: the same stack with the values in plain text.
    deployed = SECURE_NUMBERS
    for key, value in (
        ("idleSessionTimeout", "20"),
        ("runAsEnabled", "true"),
        ("retentionInDays", "731"),
    ):
        deployed = deployed.replace(f"{key}:\n      secure: {CIPHERTEXT}", f"{key}: {value}")
    assert "secure" not in deployed
    Emulator(emulator_url).apply(run_plan(write_stack(tmp_path, deployed, "u"), "u"))
    report = verify(plan, AwsAccess(emulator_url, credentials=CREDENTIALS))
    assert report.exit_code == IN_SYNC, format_report(report)


def test_verify_and_adopt_commands_run_on_a_stack_with_secret_numbers_flags_and_names(
    emulator_url: str, tmp_path: Path
) -> None:
    """The attacker review of issue 21: `verify` and `adopt` read the stack's config as
    the plan does (README "Secrets": offline, a `secure:` value stands as [secret] and is
    not checked). Before the fix both exited 2, "could not check": the OU look-up parsed
    the config with the placeholder as a value ("got '[secret]'")."""
    stack = SECURE_NUMBERS.replace(
        "runAsDefaultUser: ops", f"runAsDefaultUser:\n      secure: {CIPHERTEXT}"
    )
    assert stack.count("secure:") == 4
    project = write_stack(tmp_path, stack)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    common = ("--stack", "t", "--project-dir", str(project), "--endpoint-url", emulator_url)
    checked = cli("verify", *common, "--format", "json", env=env)
    assert checked.returncode != CANNOT_CHECK, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["errors"] == []
    adopted = cli("adopt", *common, "--out", str(tmp_path / "adopt.json"), env=env)
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert "could not" not in adopted.stdout + adopted.stderr


@pytest.mark.parametrize(
    ("preferences", "message"),
    [
        ({"runAsEnabled": True, "runAsDefaultUser": UNDECRYPTED}, "not a valid Linux user name"),
        ({"idleSessionTimeout": UNDECRYPTED}, "idleSessionTimeout"),
    ],
)
def test_a_literal_placeholder_is_validated_in_a_real_run(
    preferences: dict[str, Any], message: str
) -> None:
    """Issue 21, point 3: only the offline plan may stand UNDECRYPTED in for a value."""
    with pytest.raises(ConfigError, match=message):
        real_run(preferences)
