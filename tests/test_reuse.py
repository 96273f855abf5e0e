"""Reuse: the schema other languages see, a consumer project, the wheel, the version."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import session_manager
from pulumi.provider.experimental.component import ComponentProvider
from session_manager.offline.plan import run_plan

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    provider = ComponentProvider(list(session_manager.COMPONENTS), "session-manager", "0.1.0")
    assert provider.schema is not None
    return json.loads(provider.schema)


def resource(schema: dict[str, object], name: str) -> dict[str, object]:
    return schema["resources"][f"session-manager:index:{name}"]  # type: ignore[index]


def test_schema_has_every_component_with_documented_inputs_and_outputs(
    schema: dict[str, object],
) -> None:
    resources = schema["resources"]
    assert set(resources) == {  # type: ignore[arg-type]
        f"session-manager:index:{c.__name__}" for c in session_manager.COMPONENTS
    }
    for definition in resources.values():  # type: ignore[union-attr]
        assert definition["isComponent"] is True
        assert definition["description"]
        for prop in [*definition["inputProperties"].values(), *definition["properties"].values()]:
            assert prop.get("description") or prop.get("$ref") or prop.get("items"), prop


def test_preferences_schema(schema: dict[str, object]) -> None:
    prefs = resource(schema, "SessionManagerPreferences")
    assert prefs["requiredInputs"] == ["region"]
    assert set(prefs["inputProperties"]) == {  # type: ignore[arg-type]
        "region", "accountId", "documentName", "documentDescription", "preferences",
        "sessionDataKey", "logGroup", "appendAccountAndRegionToS3Prefix",
        "retainDocumentOnDelete", "retainKeyAliasesOnDelete", "documents", "tags",
    }  # fmt: skip
    assert set(prefs["properties"]) >= {  # type: ignore[arg-type]
        "documentName", "documentArn", "documentContent", "sessionDataKeyArn", "logGroupArn",
    }  # fmt: skip
    types = schema["types"]
    inputs = types["session-manager:index:PreferenceInputsArgs"]["properties"]  # type: ignore[index]
    assert inputs["idleSessionTimeout"]["type"] == "integer"
    assert "1-60" in inputs["idleSessionTimeout"]["description"]
    assert inputs["runAsEnabled"]["type"] == "boolean"


def test_required_inputs_of_the_other_components(schema: dict[str, object]) -> None:
    assert sorted(resource(schema, "SessionManagerCentralLogBucket")["requiredInputs"]) == [  # type: ignore[arg-type]
        "bucketName", "organizationId", "region",
    ]  # fmt: skip
    assert sorted(resource(schema, "SessionManagerVpcEndpoints")["requiredInputs"]) == [  # type: ignore[arg-type]
        "region", "securityGroupId", "subnetIds", "vpcId",
    ]  # fmt: skip


def test_the_provider_entry_point_hosts_every_component() -> None:
    text = (ROOT / "provider" / "__main__.py").read_text()
    assert "component_provider_host(" in text
    assert "COMPONENTS" in text
    assert (ROOT / "provider" / "PulumiPlugin.yaml").is_file()


def test_consumer_example_runs(tmp_path: Path) -> None:
    plan = run_plan(ROOT / "examples" / "consumer", "dev")
    names = {r.name for r in plan.resources}
    assert {
        "team-ssm-eu-west-1-document",
        "team-ssm-instance-access-policy",
        "team-ssm-people-session-users",
        "team-ssm-instance-access-attach-team-app-instance-role",
    } <= names
    assert plan.outputs["documentName"] == "SSM-SessionManagerRunShell"
    policy = json.loads(plan.named("team-ssm-instance-access-policy").inputs["policy"])
    assert any(s["Sid"] == "DecryptSessionDataByAlias" for s in policy["Statement"])


def test_version_is_one_everywhere() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == session_manager.__version__
    assert f"## [{session_manager.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_wheel_contains_the_typed_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("session_manager_preferences-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "session_manager/py.typed" in names
    assert "session_manager/preferences.py" in names
    assert not [n for n in names if n.startswith("tests/")]
