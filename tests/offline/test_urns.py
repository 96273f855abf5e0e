"""URNs follow the Pulumi engine's rule, not the mock runtime's.

Reference: pulumi/pulumi sdk/go/common/resource/urn/urn.go (`New`) and its
urn_test.go, and pkg/resource/deploy/deployment.go (`generateURN` passes the
parent's qualified type and drops the root stack's type).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
import yaml
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, PlannedResource, record_program, run_plan
from session_manager.offline.render import format_plan
from session_manager.offline.urns import engine_urn, qualified_type, resource_name, resource_type
from session_manager.ops.adopt import ExistingDocument, import_file, provider_targets

ROOT = Path(__file__).resolve().parents[2]
STACK_URN = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"


def test_stack_level_resource_has_no_stack_type() -> None:
    # generateURN: "Skip empty parents and don't use the root stack type".
    urn = engine_urn("dev", "proj", STACK_URN, "aws:kms/key:Key", "k")
    assert urn == "urn:pulumi:dev::proj::aws:kms/key:Key::k"
    assert engine_urn("dev", "proj", None, "aws:kms/key:Key", "k") == urn


def test_child_takes_parents_whole_qualified_type() -> None:
    # urn_test.go TestURNRoundTripping2: parent type "parent$type" is kept whole.
    parent = "urn:pulumi:stck::foo/bar/baz::parent$type::p"
    urn = engine_urn("stck", "foo/bar/baz", parent, "bang:boom/fizzle:MajorResource", "a")
    assert qualified_type(urn) == "parent$type$bang:boom/fizzle:MajorResource"
    assert resource_type(urn) == "bang:boom/fizzle:MajorResource"


def test_names_may_contain_the_delimiter() -> None:
    # urn_test.go TestURNRoundTripping3.
    urn = engine_urn("s", "p", None, "t:t:T", "a-swell-resource::with_awkward$names")
    assert resource_name(urn) == "a-swell-resource::with_awkward$names"
    with pytest.raises(ValueError, match="not a Pulumi URN"):
        qualified_type("urn:pulumi:stack::too-few-elements")


def expected_urn(resource: PlannedResource, by_urn: dict[str, PlannedResource], plan: Plan) -> str:
    """The engine's URN, recomputed by walking the parent chain up to the stack."""
    types = [resource.type]
    parent = by_urn.get(resource.parent or "")
    while parent is not None:
        types.append(parent.type)
        parent = by_urn.get(parent.parent or "")
    qualified = "$".join(reversed(types))
    return f"urn:pulumi:{plan.stack}::{plan.project}::{qualified}::{resource.name}"


def assert_engine_urns(plan: Plan) -> set[str]:
    """Every URN matches the rule; returns the kinds of resource that were checked."""
    by_urn = {r.urn: r for r in plan.resources}
    kinds: set[str] = set()
    for resource in plan.resources:
        assert "pulumi:pulumi:Stack" not in resource.urn
        assert resource.urn == expected_urn(resource, by_urn, plan)
        parent = by_urn.get(resource.parent or "")
        if resource.type.startswith("pulumi:providers:"):
            kinds.add("explicit provider" if resource.parent else "default provider")
        elif not resource.custom:
            kinds.add("component" if parent is None else "nested component")
        elif parent is None:
            kinds.add("stack-level resource")
        else:
            kinds.add("component child" if parent.parent in by_urn else "child")
        if resource.provider:
            assert resource.provider in by_urn, f"{resource.name} names an unknown provider"
    return kinds


def test_organization_plan_uses_engine_urns(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "examples/organization/Pulumi.organization.yaml", tmp_path)
    config = yaml.safe_load((tmp_path / "Pulumi.organization.yaml").read_text())["config"]
    mocks = AwsMocks(
        region=config["aws:region"], organization_accounts={"ou-ab12-cdef3456": ["555555555555"]}
    )
    plan = run_plan(tmp_path, "organization", mocks=mocks)
    kinds = assert_engine_urns(plan)
    assert {"explicit provider", "component", "child"} <= kinds
    provider = plan.named("aws-111111111111")
    want = "urn:pulumi:organization::session-manager::pulumi:providers:aws::aws-111111111111"
    assert provider.urn == want


class _Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Inner", name, None, opts)
        aws.kms.Key(f"{name}-key", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class _Outer(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Outer", name)
        provider = aws.Provider(f"{name}-provider", opts=pulumi.ResourceOptions(parent=self))
        _Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self, provider=provider))
        self.register_outputs({})


def test_grandchildren_carry_every_ancestor_type() -> None:
    def program() -> None:
        aws.kms.Key("top-key")
        _Outer("outer")

    plan = record_program(program, project="proj", stack="dev")
    kinds = assert_engine_urns(plan)
    assert {"stack-level resource", "component", "nested component"} <= kinds
    assert {"component child", "explicit provider"} <= kinds
    key = plan.named("outer-inner-key")
    # The mock runtime would give "test:index:Inner$aws:kms/key:Key", losing the outer type.
    assert qualified_type(key.urn) == "test:index:Outer$test:index:Inner$aws:kms/key:Key"
    assert plan.named("top-key").urn == "urn:pulumi:dev::proj::aws:kms/key:Key::top-key"
    assert key.provider == plan.named("outer-provider").urn


def test_adopt_hands_the_user_engine_urns(tmp_path: Path) -> None:
    """The import file's nameTable and the printed `--target` name real engine URNs."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": "us-east-1",
        "session-manager:regions": ["eu-west-1"],
        "session-manager:targets": [{"account": "111111111111"}],
    }
    (tmp_path / "Pulumi.org.yaml").write_text(yaml.safe_dump({"config": config}))
    plan = run_plan(tmp_path, "org")
    document = plan.named("session-manager-111111111111-eu-west-1-document")
    provider = plan.provider_of(document)
    assert provider is not None
    existing = [ExistingDocument(document, "eu-west-1", provider, current={}, wanted={})]
    want = "urn:pulumi:org::session-manager::pulumi:providers:aws::aws-111111111111"
    assert provider_targets(existing) == [want]
    assert import_file(plan, existing)["nameTable"] == {"aws-111111111111": want}


def test_plan_records_aliases_as_engine_urns_and_the_diff_options() -> None:
    """Aliases resolve as the engine's `collapseAliasToUrn` does: an empty field takes the
    resource's own name, type and parent; `parent=None` (noParent) drops the parent
    (pulumi/pulumi pkg/resource/deploy/step_generator.go). ignoreChanges,
    deleteBeforeReplace and deletedWith are recorded as the engine receives them."""

    def program() -> None:
        outer = _Outer("outer")
        aws.kms.Key(
            "moved-key",
            opts=pulumi.ResourceOptions(
                parent=outer,
                aliases=[
                    pulumi.Alias(name="old-key"),
                    pulumi.Alias(name="top-key", parent=None),
                    "urn:pulumi:other::proj::aws:kms/key:Key::k",
                ],
                ignore_changes=["description", "tags"],
                delete_before_replace=True,
            ),
        )
        plain = aws.kms.Key("plain-key")
        aws.kms.Alias(
            "plain-alias",
            target_key_id=plain.key_id,
            opts=pulumi.ResourceOptions(deleted_with=plain),
        )

    plan = record_program(program, project="proj", stack="dev")
    moved = plan.named("moved-key").to_json()["options"]
    assert moved["aliases"] == [
        "urn:pulumi:dev::proj::test:index:Outer$aws:kms/key:Key::old-key",
        "urn:pulumi:dev::proj::aws:kms/key:Key::top-key",
        "urn:pulumi:other::proj::aws:kms/key:Key::k",
    ]
    assert moved["ignoreChanges"] == ["description", "tags"]
    assert moved["deleteBeforeReplace"] is True
    text = format_plan(plan)
    assert (
        "moved-key  (ignores changes to description, tags, deleted before replaced, "
        "was aws:kms/key:Key old-key, aws:kms/key:Key top-key, aws:kms/key:Key k" in text
    )
    plain = plan.named("plain-key").to_json()["options"]
    assert plain == {
        "retainOnDelete": False,
        "protect": False,
        "ignoreChanges": [],
        "aliases": [],
        "deleteBeforeReplace": None,
        "replaceOnChanges": [],
        "deletedWith": None,
    }
    # deletedWith as the engine receives it: the target's URN (step.go DeleteStep.Apply
    # reads it from state to skip the Delete when that URN is deleted too).
    alias_options = plan.named("plain-alias").to_json()["options"]
    assert alias_options["deletedWith"] == "urn:pulumi:dev::proj::aws:kms/key:Key::plain-key"
