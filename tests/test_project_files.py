"""Pulumi.yaml is a valid Pulumi project file for a Python virtualenv program."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(__file__).parent / "fixtures" / "pulumi-project.schema.json"


def test_project_file_matches_pulumis_schema() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    jsonschema.validate(project, json.loads(SCHEMA.read_text()))
    assert project["name"] == "session-manager"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"


def test_every_stack_file_only_uses_known_namespaces() -> None:
    for stack_file in [*ROOT.glob("Pulumi.*.yaml"), *ROOT.glob("examples/*/Pulumi.*.yaml")]:
        config = yaml.safe_load(stack_file.read_text())["config"]
        namespaces = {key.split(":")[0] for key in config}
        assert namespaces <= {"aws", "session-manager"}, stack_file
