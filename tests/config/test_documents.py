"""Custom Session documents: AWS's examples plan exactly, and every rule names its field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import aws_example
from session_manager.aws.document import check_session_document
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.offline.plan import Plan, run_plan
from session_manager.ops.emulate import Emulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    "session_schema_standard_stream.json",
    "session_schema_interactive_commands.json",
    "session_schema_port.json",
    "session_schema_special_characters.json",
]


def plan_documents(tmp_path: Path, documents: list[dict[str, Any]]) -> Plan:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {"config": {"aws:region": "us-east-1", "session-manager:documents": documents}}
    (tmp_path / "Pulumi.docs.yaml").write_text(yaml.safe_dump(config))
    return run_plan(tmp_path, "docs")


@pytest.mark.parametrize("document_format", ["JSON", "YAML"])
def test_aws_examples_plan_exactly(tmp_path: Path, document_format: str) -> None:
    documents = [
        {
            "name": f"Team-{index}",
            "documentFormat": document_format,
            "content": aws_example(example),
            "tags": {"example": example},
        }
        for index, example in enumerate(EXAMPLES)
    ]
    plan = plan_documents(tmp_path, documents)
    for index, example in enumerate(EXAMPLES):
        document = plan.named(f"session-manager-us-east-1-document-Team-{index}")
        assert document.inputs["documentType"] == "Session"
        assert document.inputs["documentFormat"] == document_format
        assert document.retain_on_delete
        parse = json.loads if document_format == "JSON" else yaml.safe_load
        assert parse(document.inputs["content"]) == aws_example(example), example


def test_schema_version_defaults_to_1_0_and_rendering_is_stable(tmp_path: Path) -> None:
    content = aws_example("session_schema_port.json")
    del content["schemaVersion"]
    first = plan_documents(tmp_path, [{"name": "Team-Port", "content": content}])
    second = plan_documents(
        tmp_path, [{"name": "Team-Port", "content": dict(reversed(content.items()))}]
    )
    text = first.named("session-manager-us-east-1-document-Team-Port").inputs["content"]
    assert json.loads(text)["schemaVersion"] == "1.0"
    assert text == second.named("session-manager-us-east-1-document-Team-Port").inputs["content"]


def test_every_session_type_is_accepted_by_the_emulator(tmp_path: Path, emulator_url: str) -> None:
    documents = [{"name": f"Team-{i}", "content": aws_example(e)} for i, e in enumerate(EXAMPLES)]
    documents.append(
        {
            "name": "Team-RemoteHost",
            "documentFormat": "YAML",
            "content": {
                "description": "Forward a local port to a host the node can reach",
                "sessionType": "Port",
                "parameters": {
                    "host": {"type": "String", "default": "db.internal"},
                    "portNumber": {
                        "type": "String",
                        "default": "5432",
                        "allowedPattern": "^[0-9]{1,5}$",
                    },
                    "localPortNumber": {"type": "String", "default": "15432"},
                },
                "properties": {
                    "type": "LocalPortForwarding",
                    "host": "{{ host }}",
                    "portNumber": "{{ portNumber }}",
                    "localPortNumber": "{{ localPortNumber }}",
                },
            },
        }
    )
    documents.append(
        {
            "name": "Team-Uptime",
            "content": {
                "sessionType": "NonInteractiveCommands",
                "parameters": {"ps": {"type": "String", "default": "{{ssm:/team/ps-flags}}"}},
                "properties": {
                    "linux": {"commands": ["uptime", "ps {{ ps }}"], "runAsElevated": False}
                },
            },
        }
    )
    plan = plan_documents(tmp_path, documents)
    report = Emulator(emulator_url).apply(plan)
    created = {r.inputs["name"] for r in report.created if r.type == "aws:ssm/document:Document"}
    assert {d["name"] for d in documents} <= created


def problems(documents: list[dict[str, Any]]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config({"documents": documents}, aws_region="us-east-1")
    return dict(caught.value.problems)


def interactive(**changes: Any) -> dict[str, Any]:
    content = aws_example("session_schema_interactive_commands.json")
    content.update(changes)
    return content


@pytest.mark.parametrize(
    ("document", "path", "fragment"),
    [
        ({"name": "ab", "content": interactive()}, "name", "3-128 characters"),
        ({"name": "AWS-Mine", "content": interactive()}, "name", "reserved prefix 'aws'"),
        ({"name": "amazon-x", "content": interactive()}, "name", "reserved prefix 'amazon'"),
        ({"name": "AWSSupport-x", "content": interactive()}, "name", "reserved prefix"),
        (
            {"name": "Team-A", "documentFormat": "XML", "content": interactive()},
            "documentFormat",
            "JSON or YAML",
        ),
        (
            {"name": "Team-A", "content": interactive(schemaVersion="2.0")},
            "content.schemaVersion",
            "1.0 only",
        ),
        (
            {"name": "Team-A", "content": interactive(sessionType="Shell")},
            "content.sessionType",
            "not a session type",
        ),
        (
            {"name": "Team-A", "content": interactive(sessionType="Port")},
            "content.properties.linux",
            "does not fit sessionType Port",
        ),
        (
            {"name": "Team-A", "content": interactive(sessionType="Standard_Stream")},
            "content.properties",
            "does not fit sessionType Standard_Stream",
        ),
        (
            {
                "name": "Team-A",
                "content": interactive(properties={"linux": {"commands": "tail {{ path }}"}}),
            },
            "content.parameters",
            "has no parameter 'path'",
        ),
        (
            {"name": "Team-A", "content": interactive(properties={"linux": {"commands": 5}})},
            "content.properties.linux.commands",
            "string or a list",
        ),
        (
            {"name": "Team-A", "content": interactive(properties={})},
            "content.properties",
            "is required for sessionType InteractiveCommands",
        ),
        (
            {"name": "Team-A", "content": interactive(parameters={"logpath": {"type": "Text"}})},
            "content.parameters.logpath.type",
            "not a parameter type AWS knows",
        ),
        (
            {
                "name": "Team-A",
                "content": interactive(
                    parameters={
                        "logpath": {
                            "type": "String",
                            "default": "/etc/passwd",
                            "allowedPattern": "^.*\\.log$",
                        }
                    }
                ),
            },
            "content.parameters.logpath.default",
            "does not match its own allowedPattern",
        ),
        (
            {
                "name": "Team-A",
                "content": interactive(
                    parameters={
                        "logpath": {"type": "String", "default": "a", "allowedValues": ["b"]}
                    }
                ),
            },
            "content.parameters.logpath.default",
            "not one of its allowedValues",
        ),
        (
            {"name": "Team-A", "content": interactive(inputs={"idleTimeout": "5"})},
            "content.inputs.idleTimeout",
            "not a session preference",
        ),
        (
            {"name": "Team-A", "content": interactive(runCommand={})},
            "content.runCommand",
            "not a Session document field",
        ),
        (
            {
                "name": "Team-A",
                "content": interactive(description="x" * (65 * 1024)),
            },
            "content",
            "64 KB at most",
        ),
    ],
)
def test_each_document_rule_names_the_document_and_field(
    document: dict[str, Any], path: str, fragment: str
) -> None:
    found = problems([document])
    key = f"session-manager:documents[0].{path}"
    assert key in found, found
    assert fragment in found[key]


def test_two_documents_with_one_name_are_refused() -> None:
    content = aws_example("session_schema_port.json")
    found = problems(
        [
            {"name": "Team-Port", "content": content},
            {"name": "Team-Port", "content": content},
            {"name": "SSM-SessionManagerRunShell", "content": aws_example(EXAMPLES[0])},
        ]
    )
    assert "names another managed document" in found["session-manager:documents[1].name"]
    assert "names another managed document" in found["session-manager:documents[2].name"]


def test_parameter_store_references_need_no_parameter() -> None:
    content = interactive(properties={"linux": {"commands": "echo {{ssm:/team/motd}}"}})
    assert check_session_document(content) == []


def test_a_parameter_arn_of_another_partition_is_a_config_error() -> None:
    """A node reads parameters of its own partition only; the policy could not grant it."""
    reference = "{{ssm:arn:aws-cn:ssm:cn-north-1:111122223333:parameter/shared/host}}"
    content = aws_example("session_schema_port.json")
    content["parameters"]["paramExample"]["default"] = reference
    found = problems([{"name": "Team-Port", "content": content}])
    assert found == {
        "session-manager:documents[0].content": "references "
        "arn:aws-cn:ssm:cn-north-1:111122223333:parameter/shared/host is in partition aws-cn, "
        "but the stack's Regions are in aws: a node can only read parameters of its own partition"
    }
