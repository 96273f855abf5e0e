"""Names can't be secret (config/secret_names.py; the attacker review of issue 21).

Pulumi never encrypts a resource's id or URN (pulumi/pulumi#2717, #8946). The bridged
provider's id holds the physical name (terraform-provider-aws `d.SetId`):
internal/service/iam/role.go and instance_profile.go (name), iam/policy.go (the ARN,
which ends in the name), iam/role_policy_attachment.go and group_policy_attachment.go
(`id.PrefixedUniqueId("<role or group>-")`), iam/role_policy.go (role:name),
ssm/document.go, logs/group.go, kms/alias.go, events/rule.go, connection.go and
api_destination.go (name), s3/bucket.go and every bucket sub-resource (bucket).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from session_manager.config.errors import ConfigError
from session_manager.config.loading import load_stack_config
from session_manager.config.secret_names import NAME_KEYS, name_key
from session_manager.offline.plan import Plan, record_program, run_plan
from session_manager.program import deploy
from session_manager.stack_exports import export_outputs

ROOT = Path(__file__).resolve().parents[2]
# The inputs that are, or are part of, the provider's id (module docstring).
ID_INPUTS = ("name", "bucket", "role", "group", "rule")
PORT_DOCUMENT = {"sessionType": "Port", "properties": {"portNumber": "22"}}


def real_run(config: dict[str, Any], declared: dict[str, Any]) -> Plan:
    """The program as `pulumi up` runs it: values decrypted, the stack file saying which
    are `secure:` (as tests/test_secrets.py's real_run)."""
    engine = {"aws:region": "us-east-1"}
    engine.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})

    def program() -> None:
        export_outputs(deploy(load_stack_config(), home_region="us-east-1"))

    return record_program(
        program,
        stack="prod",
        config=engine,
        secret_keys=list(declared),
        stack_file={"aws:region": "us-east-1", **declared},
    )


def test_a_secret_document_name_is_refused_in_a_real_run() -> None:
    """The review's harness found 'Corp-SecretDoc' in the logical name
    'session-manager-us-east-1-document-Corp-SecretDoc' (the URN) and the document's id."""
    documents = [{"name": "Corp-SecretDoc", "content": PORT_DOCUMENT}]
    with pytest.raises(ConfigError) as raised:
        real_run(
            {"session-manager:documents": documents},
            {"session-manager:documents": [{"name": {"secure": "AAAB"}, "content": PORT_DOCUMENT}]},
        )
    assert raised.value.problems == [
        (
            "session-manager:documents[0].name",
            "holds a name, which can't be secret: names become resource ids and URNs, "
            "which Pulumi stores in plain text; set it without --secret",
        )
    ]


def test_a_whole_secret_object_is_refused_only_for_the_names_it_holds() -> None:
    access = {"createRole": True, "roleName": "CorpRole", "policyName": "CorpPolicy"}
    with pytest.raises(ConfigError) as raised:
        real_run(
            {"session-manager:instanceAccess": access},
            {"session-manager:instanceAccess": {"secure": "AAAB"}},
        )
    assert [path for path, _ in raised.value.problems] == [
        "session-manager:instanceAccess.roleName",
        "session-manager:instanceAccess.policyName",
    ]
    # A secret object that holds no name is kept secret, not refused.
    preferences = {"runAsEnabled": True, "runAsDefaultUser": "ops"}
    plan = real_run(
        {"session-manager:preferences": preferences},
        {"session-manager:preferences": {"secure": "AAAB"}},
    )
    assert plan.named("session-manager-us-east-1-document").secret_inputs == ["content"]


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _example(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "examples" / name / f"Pulumi.{name}.yaml").read_text())["config"]


def _complete() -> dict[str, Any]:
    config = _example("complete")
    config["session-manager:documentName"] = "CorpPrefsDocQ"
    config["session-manager:preferences"].update(
        cloudWatchLogGroupName="corp-lg-q", s3KeyPrefix="corpprefixq", s3BucketName="corp-s3-q"
    )
    config["session-manager:sessionDataKey"]["alias"] = "alias/corp-data-q"
    config["session-manager:logGroup"]["kmsKeyAlias"] = "alias/corp-logs-q"
    config["session-manager:instanceAccess"].update(
        policyName="CorpPolicyQ", roleName="CorpRoleQ", attachToRoles=["CorpAppRoleQ"]
    )
    config["session-manager:documents"][0]["name"] = "Corp-SecretDocQ"
    for kind, policy in config["session-manager:accessPolicies"].items():
        policy.update(name=f"Corp{kind}Q", attachToRoles=[f"CorpRole{kind}Q"])
        policy["attachToGroups"] = [f"CorpGroup{kind}Q"]
    return config


def _organization() -> dict[str, Any]:
    config = _example("organization")
    config["session-manager:defaultRoleName"] = "CorpDeployQ"
    config["session-manager:centralLogging"].update(
        bucketName="corp-central-bucket-q",
        keyPrefix="corpcentralq",
        writerRoleNames=["CorpWriterQ"],
        kmsKeyAlias="alias/corp-central-q",
        accessLogging={"enabled": True, "bucketName": "corp-access-bucket-q"},
    )
    config["session-manager:accountEvents"]["name"] = "corp-events-q"
    return config


@pytest.mark.parametrize("config", [_complete(), _organization()], ids=["complete", "organization"])
def test_every_config_value_that_reaches_an_id_or_a_logical_name_is_a_name_key(
    tmp_path: Path, config: dict[str, Any]
) -> None:
    """Run the program on the examples, with distinct values, and find each config text in
    the logical names (URNs) and the id inputs: each key found there must be a NAME_KEY."""
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / file, tmp_path)
    (tmp_path / "Pulumi.s.yaml").write_text(yaml.safe_dump({"config": config}))
    plan = run_plan(tmp_path, "s")
    names = [resource.name for resource in plan.resources]
    names += [
        json.dumps(resource.inputs[key])
        for resource in plan.resources
        for key in ID_INPUTS
        if key in resource.inputs and not resource.type.startswith("pulumi:providers:")
    ]
    shown = {
        name_key(path)
        for key, value in config.items()
        for path, leaf in _leaves(value, key)
        # Distinct texts only: short ones (`Port`, `22`) match by chance.
        if isinstance(leaf, str) and len(leaf) >= 6 and any(leaf in name for name in names)
    }
    assert shown, "the scan found nothing: the examples changed"
    assert shown - NAME_KEYS == set()
    assert all(re.search(r"\[\d", key) is None for key in shown)
