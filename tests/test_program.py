"""The real program (`__main__.py`) planned offline: the dev stack and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from session_manager.config import ConfigError
from session_manager.plan import run_plan

ROOT = Path(__file__).resolve().parents[1]


def write_stack(tmp_path: Path, body: str, stack: str = "t") -> Path:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(body)
    return tmp_path


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "session_manager", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_dev_stack_plans_two_regions_and_one_set_of_iam() -> None:
    plan = run_plan(ROOT, "dev")
    counts = Counter(r.type for r in plan.resources)
    assert counts["aws:ssm/document:Document"] == 2
    assert counts["aws:kms/key:Key"] == 4
    assert counts["aws:cloudwatch/logGroup:LogGroup"] == 2
    # Instance access, session users and instance inventory: once for the account.
    assert counts["aws:iam/policy:Policy"] == 3
    assert counts["aws:iam/role:Role"] == 1
    assert counts["pulumi:providers:aws"] == 1
    regions = {r.inputs["region"] for r in plan.of_type("aws:ssm/document:Document")}
    assert regions == {"us-east-1", "eu-west-1"}
    assert set(plan.outputs["preferences"]) == {"us-east-1", "eu-west-1"}
    assert plan.outputs["instancePolicyArn"].endswith(":policy/SessionManagerInstanceAccess")


def test_adding_a_region_changes_no_existing_resource(tmp_path: Path) -> None:
    one = write_stack(tmp_path, "config:\n  aws:region: us-east-1\n")
    before = {r.urn: r.inputs for r in run_plan(one, "t").resources}
    two = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n  session-manager:regions: [us-east-1, us-west-2]\n",
    )
    after = {r.urn: r.inputs for r in run_plan(two, "t").resources}
    changed = {urn for urn in before if before[urn] != after.get(urn)}
    # The account's IAM names no Region, so it covers the new one unchanged.
    assert changed == set()
    added = set(after) - set(before)
    assert added
    assert all("us-west-2" in urn for urn in added)


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
