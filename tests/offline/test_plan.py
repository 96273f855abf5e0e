"""The offline plan's CLI: readable text, engine-shaped JSON, clear errors, masked secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, cli, write_stack
from session_manager.config.errors import ConfigError
from session_manager.offline.plan import run_plan


def test_plan_cli_prints_documents_and_policies_readably() -> None:
    result = cli("plan", "--stack", "dev")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "+ aws:ssm/document:Document  session-manager-us-east-1-document" in out
    assert '"idleSessionTimeout": "20"' in out
    assert '"Sid": "SessionManagerChannels"' in out
    assert "retained on delete" in out


def test_plan_cli_json_lists_every_resource_with_engine_inputs() -> None:
    result = cli("plan", "--stack", "dev", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["stack"] == "dev"
    for resource in plan["resources"]:
        assert {"type", "name", "inputs", "provider", "parent"} <= set(resource)
    document = next(r for r in plan["resources"] if r["type"] == "aws:ssm/document:Document")
    assert {"documentType", "documentFormat", "content", "region"} <= set(document["inputs"])
    providers = [r for r in plan["resources"] if r["type"] == "pulumi:providers:aws"]
    assert len(providers) == 1
    assert document["provider"] == providers[0]["urn"]
    assert cli("plan", "--stack", "dev", "--json").stdout == result.stdout


def test_bad_config_exits_2_with_every_problem_and_no_traceback(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n"
        "  session-manager:preferences:\n    idleSessionTimeout: 90\n    runAsEnabled: true\n"
        "  session-manager:logGroup:\n    retentionInDays: 10\n",
    )
    result = cli("plan", "--stack", "t", "--project-dir", str(project))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "session-manager:preferences.idleSessionTimeout" in result.stderr
    assert "session-manager:preferences.runAsDefaultUser" in result.stderr
    assert "session-manager:logGroup.retentionInDays" in result.stderr
    with pytest.raises(ConfigError):
        run_plan(project, "t")


def test_secrets_are_masked(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n  aws:secretKey:\n    secure: AAABAKSECRET\n"
        "  session-manager:tags:\n    owner:\n      secure: AAABAKOWNER\n",
    )
    result = cli("plan", "--stack", "t", "--json", "--project-dir", str(project))
    assert result.returncode == 0, result.stderr
    assert "AAABAK" not in result.stdout
    assert '"secretKey": "[secret]"' in result.stdout
    assert '"owner": "[secret]"' in result.stdout


def test_unknown_stack_is_a_clear_error() -> None:
    result = cli("plan", "--stack", "nope")
    assert result.returncode == 2
    assert "no stack file Pulumi.nope.yaml" in result.stderr
    assert "dev" in result.stderr


def test_a_directory_named_like_a_stack_file_is_said_to_be_one(tmp_path: Path) -> None:
    project = write_stack(tmp_path, "config:\n  aws:region: us-east-1\n")
    (project / "Pulumi.dir.yaml").mkdir()
    result = cli("plan", "--stack", "dir", "--project-dir", str(project))
    assert result.returncode == 2
    assert "Pulumi.dir.yaml is a directory, not a stack file" in result.stderr
    # Nor is it listed as a stack elsewhere.
    other = cli("plan", "--stack", "nope", "--project-dir", str(project))
    assert "stacks here: t" in other.stderr
    assert "dir" not in other.stderr.split("stacks here:")[1]


def test_consecutive_plans_do_not_share_exports(tmp_path: Path) -> None:
    first = run_plan(ROOT, "dev")
    assert set(first.outputs["preferences"]) == {"us-east-1", "eu-west-1"}
    project = write_stack(tmp_path, "config:\n  aws:region: ap-south-1\n")
    second = run_plan(project, "t")
    assert set(second.outputs["preferences"]) == {"ap-south-1"}


def test_plan_cli_takes_organizational_unit_members(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n  session-manager:targets:\n"
        "    - organizationalUnit: ou-ab12-cdef3456\n",
    )
    result = cli(
        "plan", "--stack", "t", "--json", "--project-dir", str(project),
        "--ou-accounts", "ou-ab12-cdef3456=555555555555,666666666666",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = {r["name"] for r in json.loads(result.stdout)["resources"]}
    assert {"aws-555555555555", "aws-666666666666"} <= names


@pytest.mark.parametrize(("region", "partition"), [("us-east-1", "aws"), ("cn-north-1", "aws-cn")])
def test_the_central_bucket_arn_comes_from_its_bucket_name(
    tmp_path: Path, region: str, partition: str
) -> None:
    """S3 bucket ARNs are `arn:<partition>:s3:::<bucket name>` (no Region, no account): the
    plan gave the Pulumi resource name (session-manager-central-logs-bucket) instead."""
    body = f"""config:
  aws:region: {region}
  session-manager:targets:
    - account: "111111111111"
  session-manager:centralLogging:
    account: "999999999999"
    bucketName: org-session-logs
    organizationId: o-exampleorg1
"""
    plan = run_plan(write_stack(tmp_path, body), "t")
    assert plan.outputs["centralLogs"]["bucketArn"] == f"arn:{partition}:s3:::org-session-logs"
