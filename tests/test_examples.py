"""Every example stack file plans cleanly with the real program."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from policy_lint import scoping_problems
from session_manager.offline.plan import run_plan
from session_manager.offline.shard_plan import PlanRequest, plan_units, sharding

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/Pulumi.*.yaml"))


@pytest.mark.parametrize("stack_file", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_plans(stack_file: Path, tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    # The stack file with what sits beside it (request tables, policy files).
    for path in stack_file.parent.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    sharded = sharding(tmp_path, stack)
    if sharded is None:
        documents = run_plan(tmp_path, stack).of_type("aws:ssm/document:Document")
    else:  # a sharded organization: the shared stack and every shard
        request = PlanRequest(str(tmp_path), stack, render="data")
        documents = [
            r
            for result in plan_units(request, sharded, sharded.parts(), jobs=1)
            for r in result.data["resources"]
            if r["type"] == "aws:ssm/document:Document"
        ]
    assert documents
    for document in documents:
        inputs = document["inputs"] if isinstance(document, dict) else document.inputs
        parse = yaml.safe_load if inputs["documentFormat"] == "YAML" else json.loads
        assert parse(inputs["content"])["sessionType"] in {
            "Standard_Stream",
            "InteractiveCommands",
            "NonInteractiveCommands",
            "Port",
        }


def test_complete_example_uses_every_feature(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "examples/complete/Pulumi.complete.yaml", tmp_path)
    plan = run_plan(tmp_path, "complete")
    policy = json.loads(plan.named("session-manager-instance-access-policy").inputs["policy"])
    sids = {s["Sid"] for s in policy["Statement"]}
    assert sids == {
        "SessionManagerChannels",
        "RegisterManagedNode",
        "WriteSessionLogStreams",
        "DescribeSessionLogStreams",
        "CheckSessionLogGroupEncryption",
        "WriteSessionLogObjects",
        "HandSessionLogObjectsToBucketOwner",
        "CheckSessionLogBucketEncryption",
        "EncryptSessionLogObjects",
        "DecryptSessionDataByAlias",
        "ResolveDocumentParameters",
    }
    # The tunnel document's host defaults to {{ssm:/team/database-host}}: nodes resolve it.
    resolve = next(s for s in policy["Statement"] if s["Sid"] == "ResolveDocumentParameters")
    assert resolve["Resource"] == "arn:aws:ssm:*:123456789012:parameter/team/database-host"
    # Every IAM policy of the stack scopes each action the SAR lets it scope.
    for resource in plan.of_type("aws:iam/policy:Policy"):
        assert scoping_problems(json.loads(resource.inputs["policy"])) == [], resource.name
    # The policy is attached to a role: own sessions are recognized by the session tag.
    users = json.loads(plan.named("session-manager-access-policies-session-users").inputs["policy"])
    own = [s["Sid"] for s in users["Statement"] if s["Sid"].startswith("OwnSessions")]
    assert own == ["OwnSessionsOfRoleSessions"]
    content = json.loads(plan.named("session-manager-eu-central-1-document").inputs["content"])
    assert content["inputs"]["s3KeyPrefix"] == "session-manager/123456789012/eu-central-1"
    assert content["inputs"]["runAsDefaultUser"] == "ssm-operator"


def test_every_run_as_user_in_the_examples_says_which_image_has_it() -> None:
    """A Run As user must exist on the nodes (Session Manager creates none), so an example
    that names one says, in the comment just above it, which image has that user."""
    found = 0
    for stack in EXAMPLES:
        lines = stack.read_text().splitlines()
        for index, line in enumerate(lines):
            if line.strip().startswith("runAsDefaultUser:"):
                found += 1
                above: list[str] = []
                for previous in reversed(lines[:index]):
                    if not previous.strip().startswith("#"):
                        break
                    above.append(previous)
                comment = " ".join(above)
                assert "image" in comment or "AMI" in comment, f"{stack.name}:{index + 1}"
                assert line.split(":", 1)[1].strip() in comment, f"{stack.name}:{index + 1}"
    assert found >= 2


def test_examples_readme_lists_every_example() -> None:
    readme = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    for folder in sorted({stack_file.parent.name for stack_file in EXAMPLES}):
        assert f"`{folder}/`" in readme, folder
