"""`plan --diff BASE.json`: added, removed, updated and replaced resources, documents as diffs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import cli
from session_manager.aws.replacements import replaces
from session_manager.offline.diff import diff_plans, format_diff
from session_manager.offline.plan import run_plan

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = "aws:ssm/document:Document"
POLICY = "aws:iam/policy:Policy"


def resource(typ: str, logical: str, **inputs: Any) -> dict[str, Any]:
    return {
        "type": typ,
        "name": logical,
        "urn": f"urn:pulumi:dev::p::{typ}::{logical}",
        "inputs": inputs,
        "provider": "urn:pulumi:dev::p::pulumi:providers:aws::default",
        "parent": None,
        "options": {"retainOnDelete": False, "protect": False},
    }


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"stack": "dev", "project": "p", "resources": list(resources), "outputs": {}}


def policy(*actions: str) -> str:
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_added_removed_and_unchanged_resources() -> None:
    kept = resource(POLICY, "kept", name="Kept", policy=policy("ssm:StartSession"))
    gone = resource(POLICY, "gone", name="Gone", policy=policy("ec2:DescribeInstances"))
    new = resource(POLICY, "new", name="New", policy=policy("kms:Decrypt"))
    diff = diff_plans(plan(kept, gone), plan(kept, new))
    assert [(c.action, c.name) for c in diff.changes] == [("remove", "gone"), ("add", "new")]
    assert diff.unchanged == 1
    text = format_diff(diff)
    assert "kept" not in text  # nothing for unchanged resources
    assert f"+ {POLICY}  new  (add)" in text
    assert f"- {POLICY}  gone  (remove)" in text


def test_a_policy_change_is_a_unified_diff_of_its_json() -> None:
    before = resource(POLICY, "p", name="P", policy=policy("ssm:StartSession"))
    after = resource(POLICY, "p", name="P", policy=policy("ssm:StartSession", "ssm:ResumeSession"))
    diff = diff_plans(plan(before), plan(after))
    (change,) = diff.changes
    assert change.action == "update"
    (prop,) = change.changes
    assert prop.key == "policy"
    assert not prop.replaces
    assert prop.unified is not None
    assert '+        "ssm:ResumeSession"' in prop.unified
    # Only the changed lines and their context, not the whole policy.
    assert not any('"Version"' in line for line in prop.unified)


def test_reformatted_json_is_no_change() -> None:
    before = resource(POLICY, "p", name="P", policy=policy("ssm:StartSession"))
    after = resource(
        POLICY, "p", name="P", policy=json.dumps(json.loads(policy("ssm:StartSession")), indent=4)
    )
    assert diff_plans(plan(before), plan(after)).changes == []


def test_name_and_region_changes_are_flagged_as_replacements() -> None:
    before = resource(DOCUMENT, "d", name="SSM-SessionManagerRunShell", region="us-east-1")
    renamed = resource(DOCUMENT, "d", name="Team-Preferences", region="us-east-1")
    moved = resource(DOCUMENT, "d", name="SSM-SessionManagerRunShell", region="eu-west-1")
    for after, key in ((renamed, "name"), (moved, "region")):
        (change,) = diff_plans(plan(before), plan(after)).changes
        assert change.action == "replace"
        assert [p.key for p in change.changes if p.replaces] == [key]
        text = format_diff(diff_plans(plan(before), plan(after)))
        assert text.startswith("!! 1 resource(s) will be DELETED AND RECREATED:")
        assert f"{key}: " in text
        assert "[forces replacement]" in text


def test_replacement_rules_follow_the_provider() -> None:
    # terraform-provider-aws: document name ForceNew, content updated in place;
    # IAM policy description ForceNew, policy document updated in place.
    assert replaces(DOCUMENT, "name")
    assert not replaces(DOCUMENT, "content")
    assert replaces(POLICY, "description")
    assert not replaces(POLICY, "policy")
    assert replaces("aws:kms/key:Key", "region")
    assert not replaces("pulumi:providers:aws", "region")


def test_json_gives_the_same_as_data() -> None:
    before = resource(DOCUMENT, "d", name="A", region="us-east-1")
    after = resource(DOCUMENT, "d", name="B", region="us-east-1")
    data = diff_plans(plan(before), plan(after)).to_json()
    assert data["summary"] == {"add": 0, "update": 0, "replace": 1, "remove": 0, "unchanged": 0}
    (change,) = data["changes"]
    assert change["changes"] == [
        {"property": "name", "before": "A", "after": "B", "replaces": True, "diff": None}
    ]


def test_cli_diffs_the_real_stack_against_a_base_plan(tmp_path: Path) -> None:
    base = run_plan(ROOT, "dev").to_json()
    # The base branch named its preferences document differently and had no logs key.
    for item in base["resources"]:
        if item["name"] == "session-manager-us-east-1-document":
            item["inputs"]["name"] = "Old-Preferences"
    base["resources"] = [
        r for r in base["resources"] if r["name"] != "session-manager-eu-west-1-logs-key"
    ]
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base))

    result = cli("plan", "--stack", "dev", "--diff", str(base_file))
    assert result.returncode == 0, result.stderr
    assert (
        "!!   aws:ssm/document:Document session-manager-us-east-1-document: name changes"
        in result.stdout
    )
    assert "+ aws:kms/key:Key  session-manager-eu-west-1-logs-key  (add)" in result.stdout
    assert "session-manager-eu-west-1-document" not in result.stdout

    as_json = json.loads(cli("plan", "--stack", "dev", "--diff", str(base_file), "--json").stdout)
    assert as_json["summary"]["replace"] == 1
    assert as_json["summary"]["add"] == 1


def test_cli_refuses_a_base_that_is_not_a_plan(tmp_path: Path) -> None:
    bad = tmp_path / "base.json"
    bad.write_text('{"stack": "dev"}')
    result = cli("plan", "--stack", "dev", "--diff", str(bad))
    assert result.returncode == 2
    assert "no resources list" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["[]", '"plan"', "null", "3"])
def test_cli_refuses_a_base_whose_top_level_is_not_an_object(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "base.json"
    bad.write_text(text)
    result = cli("plan", "--stack", "dev", "--diff", str(bad))
    assert result.returncode == 2, result.stderr
    assert "is not a JSON object" in result.stderr
    assert "Traceback" not in result.stderr
