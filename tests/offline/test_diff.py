"""`plan --diff BASE.json`: added, removed, updated and replaced resources, documents as diffs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pulumi_aws
import pytest
import yaml
from conftest import cli
from session_manager.aws.replacements import REPLACING_INPUTS, replaces
from session_manager.offline.diff import DiffError, diff_plans
from session_manager.offline.diff_text import format_diff
from session_manager.offline.ignore_changes import ignoring_changes
from session_manager.offline.load import load_plan
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


def with_options(item: dict[str, Any], **options: Any) -> dict[str, Any]:
    return item | {"options": item["options"] | options}


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
        assert text.startswith("!! AWS LOSES 1 resource(s):")
        assert f"d: DELETED AND RECREATED ({key} changes; create-then-delete)" in text
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
    assert data["summary"] == {
        "add": 0,
        "update": 0,
        "replace": 1,
        "remove": 0,
        "retain": 0,
        "unchanged": 0,
    }
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
    # The document is retained on delete: step.go DeleteStep.Apply skips the provider's
    # Delete for the replaced one, which stays in AWS under its old name.
    assert (
        "!!   aws:ssm/document:Document session-manager-us-east-1-document: replaced; "
        "the old one stays in AWS under its old name, no longer managed" in result.stdout
    )
    assert "DELETED" not in result.stdout
    assert "+ aws:kms/key:Key  session-manager-eu-west-1-logs-key  (add)" in result.stdout
    assert "session-manager-eu-west-1-document" not in result.stdout

    as_json = json.loads(cli("plan", "--stack", "dev", "--diff", str(base_file), "--json").stdout)
    assert as_json["summary"]["replace"] == 1
    assert as_json["summary"]["add"] == 1


def test_cli_exits_1_when_the_engine_refuses_a_step(tmp_path: Path) -> None:
    """A base whose protected document this change deletes: step.go `DeleteStep.Apply`
    refuses it (deleteProtectedError, pulumi/pulumi pkg/resource/deploy/step.go) and
    `pulumi up` fails, so the diff, printed in full, must not pass a pipeline."""
    base = run_plan(ROOT, "dev").to_json()
    document = next(r for r in base["resources"] if r["type"] == DOCUMENT)
    gone = {**document, "urn": document["urn"] + "-old", "name": document["name"] + "-old"}
    gone["options"] = {**document["options"], "protect": True}
    base["resources"].append(gone)
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base))
    text = cli("plan", "--stack", "dev", "--diff", str(base_file))
    assert text.returncode == 1, text.stderr
    assert "!! 1 step(s) the engine REFUSES: `pulumi up` will fail:" in text.stdout
    as_json = cli("plan", "--stack", "dev", "--diff", str(base_file), "--json")
    assert as_json.returncode == 1, as_json.stderr
    assert "is protected and this change deletes it" in json.loads(as_json.stdout)["errors"][0]
    # The exit codes are in --help.
    assert "1 with --diff when the diff lists steps the engine refuses" in " ".join(
        cli("plan", "--help").stdout.split()
    )


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


# --- The engine's step rules (pulumi/pulumi pkg/resource/deploy/step_generator.go, step.go) ---

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
COMPONENT = "session-manager:index:SessionManagerInstanceAccess"


def test_ignored_changes_take_the_base_value_and_never_show() -> None:
    """step_generator.go `processIgnoreChanges`: each ignoreChanges path is reset to the old
    inputs' value before Diff, so a ForceNew input under ignore_changes replaces nothing."""
    ignored = ["objectLockEnabled", "tags.a"]
    before = with_options(
        resource(BUCKET, "logs", bucket="b", objectLockEnabled=False, tags={"a": "1"}),
        ignoreChanges=ignored,
    )
    after = with_options(
        resource(BUCKET, "logs", bucket="b", objectLockEnabled=True, tags={"a": "2"}),
        ignoreChanges=ignored,
    )
    diff = diff_plans(plan(before), plan(after))
    assert diff.changes == []
    assert diff.unchanged == 1
    # Without the option, objectLockEnabled is ForceNew (terraform-provider-aws s3/bucket.go).
    unignored = [with_options(r, ignoreChanges=[]) for r in (before, after)]
    (change,) = diff_plans(plan(unignored[0]), plan(unignored[1])).changes
    assert change.action == "replace"


def test_ignoring_a_path_the_base_lacks_removes_it() -> None:
    """`PropertyPath.Reset` deletes the new value where the old inputs have none."""
    assert ignoring_changes({"a": 1, "b": {"c": 2}}, {"b": {}}, ["a", "b.c"]) == {"b": {}}
    assert ignoring_changes({"l": [1, 2]}, {"l": [1, 3]}, ["l[1]"]) == {"l": [1, 3]}


def test_a_retain_or_protect_only_change_is_no_update() -> None:
    """continueStepsFromDiff returns no step when Diff finds no change: a same step that
    only rewrites state (engine/journal_snapshot.go `mustWrite` on RetainOnDelete)."""
    before = resource(ROLE, "role", name="r")
    after = with_options(resource(ROLE, "role", name="r"), retainOnDelete=True, protect=True)
    diff = diff_plans(plan(before), plan(after))
    (change,) = diff.changes
    assert change.action == "same"
    assert diff.summary()["update"] == 0
    assert diff.summary()["unchanged"] == 1
    assert ("retainOnDelete", False, True) in change.option_changes
    assert "(no AWS change)" in format_diff(diff)


def test_a_removed_retained_resource_leaves_the_stack_and_stays_in_aws() -> None:
    """step.go `DeleteStep.Apply`: for a resource whose OLD state is RetainOnDelete the
    provider's Delete is never called."""
    kept = with_options(resource(ROLE, "role", name="r"), retainOnDelete=True)
    gone = resource(POLICY, "gone", name="Gone")
    diff = diff_plans(plan(kept, gone), plan())
    assert [(c.action, c.name) for c in diff.changes] == [("remove", "gone"), ("retain", "role")]
    assert [c.name for c in diff.aws_losses()] == ["gone"]
    text = format_diff(diff)
    assert "role: removed from the stack, kept in AWS" in text
    assert "!!   aws:iam/policy:Policy gone: deleted" in text
    assert "role: deleted" not in text
    assert "role: DELETED" not in text
    assert "1 to delete, 1 to remove from the stack but keep in AWS" in text


def test_replacing_a_retained_resource_keeps_the_old_one_in_aws() -> None:
    """The delete half of a replace is a DeleteStep too: retained in the base, the old one
    stays. With an unchanged physical name AWS refuses the new one (EntityAlreadyExists)."""
    before = with_options(resource(KEY, "key", region="us-east-1"), retainOnDelete=True)
    after = resource(KEY, "key", region="eu-west-1")
    diff = diff_plans(plan(before), plan(after))
    (change,) = diff.changes
    assert change.action == "replace"
    assert change.retained
    assert diff.aws_losses() == []
    text = format_diff(diff)
    assert "AWS will refuse to create the new one" in text
    assert "DELETED" not in text


def test_retaining_in_the_same_change_does_not_save_the_replaced_one() -> None:
    """DeleteStep.Apply reads the OLD state's RetainOnDelete (step.go line 661): adding
    retain_on_delete together with a ForceNew change still deletes the old resource."""
    before = resource(KEY, "key", region="us-east-1")
    after = with_options(resource(KEY, "key", region="eu-west-1"), retainOnDelete=True)
    diff = diff_plans(plan(before), plan(after))
    assert [c.name for c in diff.aws_losses()] == ["key"]
    assert "key: DELETED AND RECREATED (region changes; create-then-delete)" in format_diff(diff)


def test_deleting_or_replacing_a_protected_resource_fails_the_update() -> None:
    """step.go `DeleteStep.Apply` refuses a protected delete (deleteProtectedError);
    continueStepsFromDiff refuses a replace when old AND new are protected, so
    unprotecting and replacing in one change is allowed."""
    protected = with_options(resource(DOCUMENT, "d", name="A"), protect=True)
    diff = diff_plans(plan(protected), plan())
    assert diff.errors
    assert "is protected and this change deletes it" in diff.errors[0]
    assert format_diff(diff).startswith("!! 1 step(s) the engine REFUSES: `pulumi up` will fail:")
    renamed = with_options(resource(DOCUMENT, "d", name="B"), protect=True)
    assert "replaces it" in diff_plans(plan(protected), plan(renamed)).errors[0]
    unprotected = with_options(renamed, protect=False)
    assert diff_plans(plan(protected), plan(unprotected)).errors == []


def test_an_alias_match_is_the_same_resource_not_an_add_and_a_remove() -> None:
    """step_generator.go `getOldResource`: the URN first, then each alias, in old state."""
    old = resource(ROLE, "old-role", name="r")
    new = with_options(resource(ROLE, "new-role", name="r"), aliases=[old["urn"]])
    diff = diff_plans(plan(old), plan(new))
    (change,) = diff.changes
    assert change.action == "same"
    assert change.renamed_from == old["urn"]
    assert diff.summary() | {"unchanged": 0} == dict.fromkeys(diff.summary(), 0)
    assert "same resource, through an alias, as" in format_diff(diff)


def test_children_inherit_their_renamed_parent_alias() -> None:
    """`generateAliases` adds `inheritedChildAlias`: the child under its parent's old URN,
    its name's parent prefix swapped for the parent's old name."""

    def under(parent_name: str, child: str) -> tuple[dict[str, Any], dict[str, Any]]:
        parent = {
            "type": COMPONENT,
            "name": parent_name,
            "urn": f"urn:pulumi:dev::p::{COMPONENT}::{parent_name}",
            "inputs": {},
            "provider": None,
            "parent": None,
            "options": {"retainOnDelete": False, "protect": False},
        }
        item = resource(ROLE, child, name="r")
        item["urn"] = f"urn:pulumi:dev::p::{COMPONENT}${ROLE}::{child}"
        item["parent"] = parent["urn"]
        return parent, item

    old_parent, old_child = under("acct-a", "acct-a-role")
    new_parent, new_child = under("acct-b", "acct-b-role")
    new_parent = with_options(new_parent, aliases=[old_parent["urn"]])
    diff = diff_plans(plan(old_parent, old_child), plan(new_parent, new_child))
    assert {c.action for c in diff.changes} == {"same"}
    assert {c.renamed_from for c in diff.changes} == {old_parent["urn"], old_child["urn"]}


def _provider(name: str, **inputs: Any) -> dict[str, Any]:
    typ = "pulumi:providers:aws"
    return {
        "type": typ,
        "name": name,
        "urn": f"urn:pulumi:dev::p::{typ}::{name}",
        "inputs": inputs,
        "provider": None,
        "parent": None,
        "options": {"retainOnDelete": False, "protect": False},
    }


def test_a_pulumi_aws_bump_is_a_provider_swap_not_an_update() -> None:
    """step_generator.go `providerChanged`: the new default provider's DiffConfig on the same
    config reports no replacement, and the resources' own Diff finds nothing."""
    old_provider, new_provider = (
        _provider("default_7_1_0", region="us-east-1"),
        _provider("default_7_10_0", region="us-east-1"),
    )
    roles = [resource(ROLE, f"role-{i}", name=f"r{i}") for i in range(18)]
    moved = [r | {"provider": new_provider["urn"]} for r in roles]
    roles = [r | {"provider": old_provider["urn"]} for r in roles]
    diff = diff_plans(plan(old_provider, *roles), plan(new_provider, *moved))
    counts = diff.summary()
    assert counts["update"] == 0
    assert counts["replace"] == 0
    assert counts["add"] == 1
    assert counts["remove"] == 1
    assert diff.aws_losses() == []
    text = format_diff(diff)
    assert (
        "= 18 resource(s) move from provider default_7_1_0 to default_7_10_0 "
        "(same config: not an update)" in text
    )
    assert "(update)" not in text


def test_a_provider_whose_config_changes_replaces_only_for_its_region() -> None:
    """step_generator.go `providerChanged` (lines 2800-2881) returns true only when the new
    provider's DiffConfig reports a replacement; otherwise `diff` calls `diffResource` on the
    resource's own inputs (line 2945), so other config changes are no update at all.
    pulumi-aws's DiffConfig replaces for `region` only (ForcesProviderReplace,
    pulumi/pulumi-aws#4000; pulumi-terraform-bridge configDiffer.forcesProviderReplace)."""
    old_provider = _provider("default_7_10_0", region="us-east-1")
    roles = [resource(ROLE, f"role-{i}", name=f"r{i}") for i in range(3)]
    on_old = [r | {"provider": old_provider["urn"]} for r in roles]

    def to(provider: dict[str, Any]) -> Any:
        moved = [r | {"provider": provider["urn"]} for r in roles]
        return diff_plans(plan(old_provider, *on_old), plan(provider, *moved))

    # Default provider to an explicit one in the same Region, another role to assume.
    role_arn = "arn:aws:iam::333333333333:role/Deployer"
    explicit = _provider(
        "aws-333333333333", region="us-east-1", assumeRoles=[{"roleArn": role_arn}]
    )
    diff = to(explicit)
    assert {c.name: c.action for c in diff.changes if not c.is_provider} == dict.fromkeys(
        (r["name"] for r in roles), "same"
    )
    assert diff.summary()["update"] == 0
    assert diff.aws_losses() == []
    assert [c.provider_config_changes for c in diff.changes if c.provider_swap] == [
        ["assumeRoles"]
    ] * 3
    assert (
        "= 3 resource(s) move from provider default_7_10_0 to aws-333333333333 "
        "(config differs in assumeRoles, no replacement: not an update)" in format_diff(diff)
    )
    # Another Region: the new provider's DiffConfig replaces, so every resource is replaced.
    moved_region = to(_provider("default_7_10_0_eu", region="eu-west-1"))
    assert moved_region.summary()["replace"] == 3
    assert {p.key for c in moved_region.of("replace") for p in c.changes} == {"provider"}


def test_cli_a_pulumi_aws_bump_of_the_real_stack_changes_nothing(tmp_path: Path) -> None:
    """The base planned with an older pulumi-aws: its default provider had another name."""
    base = run_plan(ROOT, "dev").to_json()
    (provider,) = [r for r in base["resources"] if r["type"] == "pulumi:providers:aws"]
    old_urn = provider["urn"].rsplit("::", 1)[0] + "::default_7_1_0"
    base_text = json.dumps(base).replace(provider["urn"], old_urn)
    base_text = base_text.replace(f'"name": "{provider["name"]}"', '"name": "default_7_1_0"')
    base_file = tmp_path / "base.json"
    base_file.write_text(base_text)
    result = cli("plan", "--stack", "dev", "--diff", str(base_file), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["summary"]["update"] == 0
    assert data["summary"]["replace"] == 0
    assert data["awsLoses"] == []
    # Every resource on the default provider (the "18 updates") is a same step.
    on_default = {r["urn"] for r in base["resources"] if r["provider"] == provider["urn"]}
    swapped = [c for c in data["changes"] if c["providerSwap"]]
    assert {c["urn"] for c in swapped} == on_default
    assert {c["action"] for c in swapped} == {"same"}
    # The providers themselves: the new default one is created, the old one deleted.
    assert data["summary"]["add"] == data["summary"]["remove"] == 1


def test_aws_loses_lists_no_component() -> None:
    """A component has no provider and no AWS object (step_generator.go providerChanged,
    line 2818: "a component resource ... there is no old provider"); deleting it is a
    state change. Only custom resources appear under "AWS LOSES"."""
    component = {
        "type": COMPONENT,
        "name": "acct",
        "urn": f"urn:pulumi:dev::p::{COMPONENT}::acct",
        "inputs": {},
        "provider": None,
        "parent": None,
        "options": {"retainOnDelete": False, "protect": False},
    }
    role = resource(ROLE, "acct-role", name="r")
    diff = diff_plans(plan(component, role), plan())
    assert [c.name for c in diff.aws_losses()] == ["acct-role"]
    assert diff.to_json()["awsLoses"] == [role["urn"]]
    text = format_diff(diff)
    assert "!! AWS LOSES 1 resource(s):" in text
    assert f"{COMPONENT} acct: deleted" not in text


def test_delete_before_replace_orders_the_replacement() -> None:
    """continueStepsFromDiff: the goal's deleteBeforeReplace overrides the provider's choice."""
    before = resource(DOCUMENT, "d", name="A")
    after = resource(DOCUMENT, "d", name="B")
    assert diff_plans(plan(before), plan(after)).changes[0].order == "create-then-delete"
    dbr = with_options(after, deleteBeforeReplace=True)
    (change,) = diff_plans(plan(before), plan(dbr)).changes
    assert change.order == "delete-then-create"
    assert "(replace, delete-then-create)" in format_diff(diff_plans(plan(before), plan(dbr)))


def test_a_base_of_another_stack_project_or_kind_is_refused() -> None:
    item = resource(ROLE, "role", name="r")
    for key, value in (("stack", "prod"), ("project", "other")):
        with pytest.raises(DiffError, match=f"base plan is of {key} '{value}'"):
            diff_plans(plan(item) | {key: value}, plan(item))
    # .github/workflows/preview.yml diffs a stack the target branch lacks against this.
    (added,) = diff_plans({"resources": []}, plan(item)).changes
    assert added.action == "add"
    with pytest.raises(DiffError, match="plan both with --preview or both without"):
        diff_plans(plan(item) | {"preview": True}, plan(item))
    assert diff_plans(plan(item) | {"preview": True}, plan(item) | {"preview": True}).changes == []


def test_cli_refuses_another_stacks_base_in_one_line(tmp_path: Path) -> None:
    base = run_plan(ROOT, "dev").to_json() | {"stack": "prod"}
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base))
    result = cli("plan", "--stack", "dev", "--diff", str(base_file))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "base plan is of stack 'prod', this one of 'dev'" in result.stderr
    # A full base against a --preview head: unknowns would show as changes.
    base_file.write_text(json.dumps(run_plan(ROOT, "dev").to_json()))
    preview = cli("plan", "--stack", "dev", "--preview", "--diff", str(base_file))
    assert preview.returncode == 2
    assert "the base is a full plan and this is a --preview plan" in preview.stderr
    assert "Traceback" not in preview.stderr


def test_cli_summary_works_with_diff(tmp_path: Path) -> None:
    base = run_plan(ROOT, "dev").to_json()
    base["resources"] = [
        r for r in base["resources"] if r["name"] != "session-manager-eu-west-1-logs-key"
    ]
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base))
    result = cli("plan", "--stack", "dev", "--diff", str(base_file), "--summary")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines() == [
        "Resources: 1 to add, 0 to update, 0 to replace, 0 to delete, "
        "0 to remove from the stack but keep in AWS, 22 unchanged."
    ]


# --- The replace table covers every type the program creates ---

EXAMPLES = sorted((ROOT / "examples").glob("*/Pulumi.*.yaml"))


def _example_types(stack_file: Path, tmp_path: Path) -> set[str]:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(stack_file, tmp_path / stack_file.name)
    # An example's policy files sit beside its stack file.
    for policy in stack_file.parent.glob("*.cedar"):
        shutil.copy(policy, tmp_path / policy.name)
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    ous = ["ou-ab12-cdef3456=555555555555,444444444444"] if stack == "organization" else []
    return {r.type for r in load_plan(tmp_path, stack, ous).resources if r.custom}


@pytest.mark.parametrize(
    "stack_file",
    [ROOT / "Pulumi.dev.yaml", *(f for f in EXAMPLES if f.parent.name != "consumer")],
    ids=lambda f: f.name,
)
def test_every_planned_type_has_a_replace_entry(stack_file: Path, tmp_path: Path) -> None:
    missing = _example_types(stack_file, tmp_path) - set(REPLACING_INPUTS)
    assert not missing, f"look up these types' ForceNew inputs in aws/replacements.py: {missing}"


def test_every_type_the_source_creates_has_a_replace_entry() -> None:
    """Types behind an option no example turns on (alarms, SNS) count too."""
    package = ROOT / "components" / "session_manager"
    created: set[str] = set()
    for path in package.rglob("*.py"):
        for module, name in re.findall(r"\baws\.([a-z0-9_]+)\.([A-Z]\w+)\(", path.read_text()):
            cls = getattr(getattr(pulumi_aws, module), name, None)
            token = getattr(cls, "pulumi_type", None)
            if isinstance(token, str):
                created.add(token)
    assert "aws:sns/topicSubscription:TopicSubscription" in created
    assert not created - set(REPLACING_INPUTS)


@pytest.mark.parametrize(
    ("typ", "key"),
    [
        # terraform-provider-aws internal/service/events/rule.go: name, event_bus_name ForceNew.
        ("aws:cloudwatch/eventRule:EventRule", "name"),
        ("aws:cloudwatch/eventRule:EventRule", "eventBusName"),
        # events/target.go: rule, target_id ForceNew.
        ("aws:cloudwatch/eventTarget:EventTarget", "rule"),
        ("aws:cloudwatch/eventTarget:EventTarget", "targetId"),
        # events/connection.go, api_destination.go: name ForceNew.
        ("aws:cloudwatch/eventConnection:EventConnection", "name"),
        ("aws:cloudwatch/eventApiDestination:EventApiDestination", "name"),
        # iam/role_policy.go: name, role ForceNew.
        ("aws:iam/rolePolicy:RolePolicy", "role"),
        # cloudwatch/metric_alarm.go: alarm_name ForceNew (pulumi-aws calls it name).
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"),
        # sns/topic_subscription.go: topic_arn (pulumi-aws: topic), protocol, endpoint.
        ("aws:sns/topicSubscription:TopicSubscription", "topic"),
        ("aws:sns/topicSubscription:TopicSubscription", "endpoint"),
        ("aws:sqs/queue:Queue", "name"),
        ("aws:sqs/queuePolicy:QueuePolicy", "queueUrl"),
        ("aws:s3/bucket:Bucket", "objectLockEnabled"),
    ],
)
def test_force_new_inputs_of_the_programs_types(typ: str, key: str) -> None:
    assert replaces(typ, key)


@pytest.mark.parametrize(
    ("typ", "key"),
    [
        ("aws:cloudwatch/eventRule:EventRule", "eventPattern"),
        ("aws:cloudwatch/eventConnection:EventConnection", "authParameters"),
        ("aws:cloudwatch/eventApiDestination:EventApiDestination", "invocationEndpoint"),
        ("aws:iam/rolePolicy:RolePolicy", "policy"),
        ("aws:sns/topicSubscription:TopicSubscription", "filterPolicy"),
    ],
)
def test_updatable_inputs_of_the_programs_types(typ: str, key: str) -> None:
    """The same schemas update these in place (PutRule, UpdateConnection, PutRolePolicy...)."""
    assert typ in REPLACING_INPUTS
    assert not replaces(typ, key)


def test_a_base_resource_without_a_type_is_refused_not_a_traceback() -> None:
    item = resource(ROLE, "role", name="r")
    broken = {k: v for k, v in item.items() if k != "type"}
    with pytest.raises(DiffError, match="has no type"):
        diff_plans(plan(broken), plan())


ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def _grant(policy_: dict[str, Any], role: str) -> dict[str, Any]:
    """A role's attachment of `policy_`, deleted with it (the `deleted_with` option)."""
    item = resource(ATTACHMENT, f"attach-{role}", role=role, policyArn="arn:policy")
    return with_options(item, deletedWith=policy_["urn"])


def test_deleted_with_a_leaving_retained_policy_calls_no_delete() -> None:
    """step.go DeleteStep.Apply, line 663: `isDeletedWith(s.old.DeletedWith, s.otherDeletions)`
    skips the provider's Delete when the target is in `sg.deletes`, which GenerateDeletes
    (step_generator.go lines 2421-2429) fills for every removed resource before any step
    applies, retained or not. So the whole account leaving deletes nothing in AWS."""
    retained = with_options(resource(POLICY, "policy", name="P"), retainOnDelete=True)
    grants = [_grant(retained, "AppRole"), _grant(retained, "OpsRole")]
    diff = diff_plans(plan(retained, *grants), plan())
    assert {c.name: c.action for c in diff.changes} == {
        "policy": "retain",
        "attach-AppRole": "retain",
        "attach-OpsRole": "retain",
    }
    assert diff.aws_losses() == []
    assert {c.deleted_with for c in diff.changes if c.type == ATTACHMENT} == {retained["urn"]}
    text = format_diff(diff)
    assert "attach-AppRole: removed from the stack, kept in AWS with policy (deletedWith)" in text
    assert "AWS LOSES" not in text


def test_a_grant_removed_alone_is_deleted_in_aws() -> None:
    """The target stays, so `isDeletedWith` is false and the provider's Delete runs: a role
    dropped from attachToRoles really loses the access."""
    retained = with_options(resource(POLICY, "policy", name="P"), retainOnDelete=True)
    app, ops = _grant(retained, "AppRole"), _grant(retained, "OpsRole")
    diff = diff_plans(plan(retained, app, ops), plan(retained, app))
    (change,) = diff.changes
    assert (change.name, change.action, change.deleted_with) == ("attach-OpsRole", "remove", None)
    assert [c.name for c in diff.aws_losses()] == ["attach-OpsRole"]
    assert f"!!   {ATTACHMENT} attach-OpsRole: deleted" in format_diff(diff)


def test_deleted_with_a_policy_that_is_really_deleted_goes_with_it() -> None:
    """A target that is not retained is deleted, so AWS loses what goes with it too."""
    deleted = resource(POLICY, "policy", name="P")
    diff = diff_plans(plan(deleted, _grant(deleted, "AppRole")), plan())
    assert {c.name: c.action for c in diff.changes} == {
        "policy": "remove",
        "attach-AppRole": "remove",
    }
    assert {c.name for c in diff.aws_losses()} == {"policy", "attach-AppRole"}
    assert "attach-AppRole: deleted with policy (deletedWith)" in format_diff(diff)


def test_a_replaced_deleted_with_target_replaces_its_dependents() -> None:
    """step_generator.go `diff`, lines 2909-2916: `new.DeletedWith != "" &&
    sg.replaces[new.DeletedWith]` replaces the dependent (ReplaceKeys ["deletedWith"]); the
    old dependent's delete is then skipped (line 2145 marks the old target deleted), so it
    stays in AWS while its retained target does."""
    before = with_options(resource(POLICY, "policy", name="P"), retainOnDelete=True)
    after = with_options(resource(POLICY, "policy", name="Q"), retainOnDelete=True)
    grant = _grant(before, "AppRole")
    diff = diff_plans(plan(before, grant), plan(after, grant))
    actions = {c.name: c.action for c in diff.changes}
    assert actions == {"policy": "replace", "attach-AppRole": "replace"}
    (dependent,) = [c for c in diff.changes if c.name == "attach-AppRole"]
    assert [(p.key, p.replaces) for p in dependent.changes] == [("deletedWith", True)]
    assert dependent.deleted_with == before["urn"]
    assert dependent.retained
    assert diff.aws_losses() == []


def test_deleted_with_alone_is_a_state_only_option() -> None:
    """`deletedWith` is a resource option, not an input: the provider's Diff never sees it,
    and a same step writes it to state (step.go SameStep; step_generator.go line 1163)."""
    retained = with_options(resource(POLICY, "policy", name="P"), retainOnDelete=True)
    plain = resource(ATTACHMENT, "attach-AppRole", role="AppRole", policyArn="arn:policy")
    diff = diff_plans(plan(retained, plain), plan(retained, _grant(retained, "AppRole")))
    (change,) = diff.changes
    assert change.action == "same"
    assert change.option_changes == [("deletedWith", None, retained["urn"])]
    assert diff.summary()["update"] == 0


def test_secret_changes_compare_ciphertext_digests_and_need_both_sides() -> None:
    """`plan --json` records a digest of each secret's ciphertext (plan.secret_fingerprints):
    a key whose digest differs, appears or goes was set again. A base made before the field
    existed tells nothing, so no claim is made (neither "changed" nor "unchanged")."""
    item = resource(ROLE, "role", name="r")
    base = plan(item) | {"secretConfig": {"p:a": "sha256:1", "p:b": "sha256:2", "p:gone": "x"}}
    head = plan(item) | {"secretConfig": {"p:a": "sha256:1", "p:b": "sha256:3", "p:new": "y"}}
    diff = diff_plans(base, head)
    assert diff.secret_changes == ["p:b", "p:gone", "p:new"]
    assert diff.changes == []
    assert "No changes" not in format_diff(diff)
    assert diff_plans(plan(item), head).secret_changes == []
    assert "No changes" in format_diff(diff_plans(base, base))


LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"


@pytest.mark.parametrize(
    ("before", "after", "loses"),
    [
        (365, 90, True),
        (None, 365, True),  # never expire => a number
        (0, 365, True),
        (90, 365, False),
        (365, None, False),  # a number => never expire keeps more
    ],
)
def test_a_lower_log_group_retention_is_a_loss(
    before: int | None, after: int | None, loses: bool
) -> None:
    """CloudWatch Logs API Reference, PutRetentionPolicy: after retention is lowered, log
    events older than the new value are deleted within 72 hours
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
    No resource is deleted or replaced: only an update, which the LOSES block missed."""
    old = resource(LOG_GROUP, "logs", name="ssm", retentionInDays=before)
    new = resource(LOG_GROUP, "logs", name="ssm", retentionInDays=after)
    diff = diff_plans(plan(old), plan(new))
    (change,) = diff.changes
    assert change.action == "update"
    assert bool(diff.aws_losses()) is loses
    assert (diff.to_json()["awsLoses"] == [old["urn"]]) is loses
    text = format_diff(diff, summary=True)
    assert ("!! AWS LOSES 1" in text) is loses
    if loses:
        assert f"!!   {LOG_GROUP} logs: retentionInDays" in text
        assert f"older than {after} days are deleted" in text


def _lifecycle(expire: int, noncurrent: int) -> dict[str, Any]:
    rule = {
        "id": "session-logs",
        "status": "Enabled",
        "expiration": {"days": expire},
        "noncurrentVersionExpiration": {"noncurrentDays": noncurrent},
    }
    return resource(LIFECYCLE, "lifecycle", bucket="logs", rules=[rule])


def test_a_lower_s3_expiry_or_object_lock_retention_is_a_loss() -> None:
    """Amazon S3 User Guide, "Expiring objects": lifecycle expires the objects older than
    the rule's days, so lowering them deletes logs already stored; "Locking objects with
    Object Lock": a shorter default retention lets new versions be deleted sooner."""
    lowered = diff_plans(plan(_lifecycle(2557, 2557)), plan(_lifecycle(730, 2557)))
    assert [c.name for c in lowered.aws_losses()] == ["lifecycle"]
    assert "rule session-logs expiration.days 2557 days => 730 days" in format_diff(lowered)
    noncurrent = diff_plans(plan(_lifecycle(2557, 2557)), plan(_lifecycle(2557, 30)))
    assert [c.name for c in noncurrent.aws_losses()] == ["lifecycle"]
    raised = diff_plans(plan(_lifecycle(730, 730)), plan(_lifecycle(2557, 2557)))
    assert raised.aws_losses() == []

    def lock(days: int) -> dict[str, Any]:
        retention = {"mode": "COMPLIANCE", "days": days}
        return resource(OBJECT_LOCK, "lock", bucket="logs", rule={"defaultRetention": retention})

    assert [c.name for c in diff_plans(plan(lock(2557)), plan(lock(365))).aws_losses()] == ["lock"]
    assert diff_plans(plan(lock(365)), plan(lock(2557))).aws_losses() == []


def test_the_dev_stack_lowering_retention_shows_in_aws_loses() -> None:
    """End to end through the dev stack's plan: logGroup.retentionInDays 365 => 90."""
    base = run_plan(ROOT, "dev").to_json()
    lowered = {"session-manager:logGroup": json.dumps({"retentionInDays": 90})}
    head = run_plan(ROOT, "dev", config_overrides=lowered).to_json()
    diff = diff_plans(base, head)
    assert {c.type for c in diff.aws_losses()} == {LOG_GROUP}
    assert "retentionInDays 365 days => 90 days" in format_diff(diff, summary=True)


def test_the_organization_example_lowering_central_expiry_shows_in_aws_loses(
    tmp_path: Path,
) -> None:
    """End to end: the central bucket's lifecycle and Object Lock inputs as the plan holds them."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    stack = ROOT / "examples" / "organization" / "Pulumi.organization.yaml"
    shutil.copy(stack, tmp_path / stack.name)
    central = yaml.safe_load(stack.read_text())["config"]["session-manager:centralLogging"]
    base = run_plan(tmp_path, "organization").to_json()
    lowered = central | {"expireAfterDays": 400, "objectLock": {"retentionDays": 400}}
    overrides = {"session-manager:centralLogging": json.dumps(lowered)}
    head = run_plan(tmp_path, "organization", config_overrides=overrides).to_json()
    diff = diff_plans(base, head)
    assert {c.type for c in diff.aws_losses()} == {LIFECYCLE, OBJECT_LOCK}
    text = format_diff(diff, summary=True)
    assert "rule session-logs expiration.days 2557 days => 400 days" in text
    assert "Object Lock default retention 2557 => 400 days" in text
