"""SessionManagerJustInTimeAccess: the auto-approval policy registered through aws-native.

Why aws-native: pulumi-aws is bridged from the Terraform AWS provider, whose
aws_ssm_document calls DescribeDocumentPermission after every create and on every read
(internal/service/ssm/document.go, resourceDocumentRead), and AutoApprovalPolicy and
ManualApprovalPolicy documents refuse that call: create reports an error, read and
destroy fail (hashicorp/terraform-provider-aws#45569, open, seen on provider 6.26.0,
the 6.x line that pulumi-aws 7 bridges). The CloudFormation type AWS::SSM::Document
(aws-native's source) lists both types in DocumentType and has no sharing property.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pulumi_aws_native as aws_native
import pytest
import yaml
from policy_lint import lint, sar_resource_types, scoping_problems
from session_manager.aws.jit import ACCESS_TOKEN_ROLE
from session_manager.aws.replacements import replaces
from session_manager.offline.diff import diff_plans
from session_manager.offline.plan import Plan, run_plan

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "just-in-time"
JIT_TYPES = {"AutoApprovalPolicy", "ManualApprovalPolicy"}


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    where = tmp_path_factory.mktemp("jit")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, where / name)
    for path in EXAMPLE.iterdir():
        shutil.copy(path, where / path.name)
    return run_plan(where, "just-in-time")


# AWS's own sample of these documents, deployed with CloudFormation's AWS::SSM::Document
# (the type aws-native creates through Cloud Control): aws-samples/cloud-operations-best-
# practices, static/cfn-templates/just-in-time-node-access/just-in-time-cfn-approval-
# policies.yaml, from the recipe "Enable JITNA using Infrastructure-as-Code"
# (docs/recipes/centralized-operations-management/just-in-time-node-access/). Its values:
SAMPLE_FORMAT = "YAML"
SAMPLE_SCHEMA_VERSION = "0.3"
SAMPLE_TOKEN_ROLE = "SSM-JustInTimeAccessTokenRole"
SAMPLE_AUTO_KEYS = {
    "schemaVersion",
    "description",
    "accessTokenRole",
    "accessDuration",
    "AutoApprovalPolicyDocuments",
}
SAMPLE_MANUAL_KEYS = {
    "schemaVersion",
    "accessDuration",
    "description",
    "accessTokenRole",
    "targets",
    "mainSteps",
}


def test_the_policies_are_aws_native_documents_per_account_region(plan: Plan) -> None:
    documents = plan.of_type("aws-native:ssm:Document")
    assert sorted(d.name for d in documents) == [
        "session-manager-111111111111-us-east-1-just-in-time-access-auto-approval",
        "session-manager-111111111111-us-east-1-just-in-time-access-manual-production",
        "session-manager-222222222222-us-east-1-just-in-time-access-auto-approval",
        "session-manager-222222222222-us-east-1-just-in-time-access-manual-production",
    ]
    for document in documents:
        assert document.inputs["documentType"] in JIT_TYPES
        assert document.inputs["documentFormat"] == SAMPLE_FORMAT
        assert document.inputs["updateMethod"] == "NewVersion"


def test_each_account_region_registers_its_own_policies(plan: Plan) -> None:
    """The example's sandbox account sets its own auto-approval policy (its target's
    `justInTimeAccess`), and keeps the stack's manual policy."""
    by_account = {
        (d.name.split("-")[2], d.inputs["documentType"]): d.inputs["content"]
        for d in plan.of_type("aws-native:ssm:Document")
    }
    first = by_account[("111111111111", "AutoApprovalPolicy")]["AutoApprovalPolicyDocuments"]
    sandbox = by_account[("222222222222", "AutoApprovalPolicy")]["AutoApprovalPolicyDocuments"]
    assert first[0]["content"].startswith("// On-call engineers")
    assert sandbox[0]["content"].startswith("// Developers: every sandbox node")
    assert (
        by_account[("111111111111", "ManualApprovalPolicy")]
        == by_account[("222222222222", "ManualApprovalPolicy")]
    )


def test_the_auto_approval_document_has_the_content_of_aws_sample(plan: Plan) -> None:
    """The sample's AutoApprovalPolicy: schemaVersion 0.3, the access token role, 3600
    seconds (auto-approved access lasts 1 hour: "Create an auto-approval policy"), and the
    Cedar text as an `AutoApprovalPolicyDocuments` entry of type Cedar."""
    (document, *_) = [
        d
        for d in plan.of_type("aws-native:ssm:Document")
        if d.inputs["documentType"] == "AutoApprovalPolicy"
    ]
    content = document.inputs["content"]
    assert set(content) == SAMPLE_AUTO_KEYS
    assert content["schemaVersion"] == SAMPLE_SCHEMA_VERSION
    assert content["accessTokenRole"] == SAMPLE_TOKEN_ROLE
    assert content["accessDuration"] == 3600
    (entry,) = content["AutoApprovalPolicyDocuments"]
    assert entry["type"] == "Cedar"
    assert entry["content"].startswith("// On-call engineers")


def test_a_manual_approval_document_has_the_content_of_aws_sample(plan: Plan) -> None:
    """The sample's ManualApprovalPolicy: the access duration in seconds, `tag:<key>`
    targets with their values, and an `aws:approve` step asking one approval
    (MinRequiredApprovals 1) of its approvers (type SSOGroup for an Identity Center
    group). The example's two levels are two such steps, in order: AWS asks one approval
    from each level ("Create approval policies for your nodes")."""
    (document, *_) = [
        d
        for d in plan.of_type("aws-native:ssm:Document")
        if d.inputs["documentType"] == "ManualApprovalPolicy"
    ]
    assert document.inputs["name"] == "production"
    content = document.inputs["content"]
    assert set(content) == SAMPLE_MANUAL_KEYS
    assert content["schemaVersion"] == SAMPLE_SCHEMA_VERSION
    assert content["accessTokenRole"] == SAMPLE_TOKEN_ROLE
    assert content["accessDuration"] == 4 * 3600
    assert content["targets"] == [{"Key": "tag:Environment", "Values": ["production"]}]
    first, second = content["mainSteps"]
    assert first["name"] == "ManualApproval"
    for step, group in ((first, "platformleads"), (second, "000security")):
        assert step["action"] == "aws:approve"
        assert step["timeoutSeconds"] == 604800
        assert step["inputs"]["MinRequiredApprovals"] == 1
        (approver,) = step["inputs"]["EnhancedApprovals"]["Approvers"]
        assert approver["type"] == "SSOGroup"
        assert approver["approver"].endswith(group)


def test_manual_approval_content_groups_values_per_tag_key() -> None:
    """The sample's target is `Key: tag:<key>`, `Values: [...]`: two values of one key
    are one target."""
    from session_manager.aws.jit import ManualPolicy, manual_approval_content

    content = manual_approval_content(
        ManualPolicy(
            "p",
            1,
            (("Env", "prod"), ("Team", "web"), ("Env", "stage")),
            ((("IamUser", "alice"),),),
        )
    )
    assert content["targets"] == [
        {"Key": "tag:Env", "Values": ["prod", "stage"]},
        {"Key": "tag:Team", "Values": ["web"]},
    ]
    (step,) = cast(list[dict[str, Any]], content["mainSteps"])
    assert step["inputs"]["EnhancedApprovals"]["Approvers"] == [
        {"approver": "alice", "type": "IamUser"}
    ]


def test_undocumented_manual_policies_are_answered_but_not_deployed(
    plan: Plan, tmp_path: Path
) -> None:
    """No AWS page shows the content of a policy for every node, or one naming an
    Identity Center user: such a policy stays in `jit check`, out of the plan, with a
    warning that names it."""

    def change(jit: dict[str, Any]) -> None:
        jit["manualApprovals"] += [
            {
                "name": "everything-else",
                "accessDurationHours": 1,
                "levels": [{"approvers": [{"type": "IdentityStoreGroup", "id": "g"}]}],
            },
            {
                "name": "by-a-user",
                "accessDurationHours": 1,
                "targets": [{"key": "Team", "value": "web"}],
                "levels": [{"approvers": [{"type": "IdentityStoreUser", "id": "u"}]}],
            },
        ]

    variant = _variant(tmp_path, "undocumented", change)
    names = {d.inputs["name"] for d in variant.of_type("aws-native:ssm:Document")}
    assert names == {"production", "session-manager-auto-approval"}
    warnings = "\n".join(variant.warnings)
    assert "'everything-else' targets every node" in warnings
    assert "'by-a-user' has IdentityStoreUser approvers" in warnings


def test_the_policies_are_deleted_with_the_stack_and_renamed_delete_first(
    plan: Plan,
) -> None:
    """It grants access: retained, a removed policy would keep auto-approving, unmanaged,
    while `jit check` says access is gone. AWS allows one AutoApprovalPolicy per account
    and Region ("Create an auto-approval policy for just-in-time node access"), so a
    rename must delete the old document before creating the new one."""
    for document in plan.of_type("aws-native:ssm:Document"):
        assert not document.retain_on_delete
        assert document.delete_before_replace is True


def _variant(tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None]) -> Plan:
    where = tmp_path / name
    where.mkdir()
    for file in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / file, where / file)
    for path in EXAMPLE.iterdir():
        shutil.copy(path, where / path.name)
    stack_file = where / "Pulumi.just-in-time.yaml"
    stack = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    change(stack["config"]["session-manager:justInTimeAccess"])
    stack_file.write_text(yaml.safe_dump(stack), encoding="utf-8")
    return run_plan(where, "just-in-time")


def test_removing_or_renaming_the_auto_approval_policy_deletes_it_in_aws(
    plan: Plan, tmp_path: Path
) -> None:
    """The diff, judged by the engine's rules (offline/diff.py): a removed document is a
    delete in AWS (action "remove", not "retain"), a renamed one a delete-then-create
    replacement (name is createOnly in AWS::SSM::Document's schema)."""
    base = plan.to_json()
    removed = _variant(tmp_path, "removed", lambda jit: jit.pop("autoApproval"))
    changes = {
        c.name: c
        for c in diff_plans(base, removed.to_json()).changes
        if c.type == "aws-native:ssm:Document"
    }
    # The sandbox account 222222222222 keeps its own (its target's) auto-approval policy.
    assert [name.split("-")[2] for name in changes] == ["111111111111"]
    assert {(c.action, c.retained) for c in changes.values()} == {("remove", False)}
    renamed = _variant(
        tmp_path, "renamed", lambda jit: jit["autoApproval"].update(name="renamed-auto-approval")
    )
    changes = {
        c.name: c
        for c in diff_plans(base, renamed.to_json()).changes
        if c.type == "aws-native:ssm:Document"
    }
    assert {(c.action, c.order) for c in changes.values()} == {("replace", "delete-then-create")}


def test_no_pulumi_aws_document_carries_a_just_in_time_type(plan: Plan) -> None:
    for document in plan.of_type("aws:ssm/document:Document"):
        assert document.inputs["documentType"] not in JIT_TYPES


def test_each_account_region_has_its_own_pinned_aws_native_provider(plan: Plan) -> None:
    providers = {p.name: p for p in plan.of_type("pulumi:providers:aws-native")}
    assert sorted(providers) == [
        "aws-native-111111111111-us-east-1",
        "aws-native-222222222222-us-east-1",
    ]
    provider = providers["aws-native-222222222222-us-east-1"]
    assert provider.inputs["region"] == "us-east-1"
    # The Python SDK defaults skipCredentialsValidation to true, and the provider checks
    # allowedAccountIds only when it validates credentials (pulumi-aws-native
    # provider/pkg/provider/provider.go, Configure: `if !skipCredentialsValidation {
    # ... p.validateAccountId() }`): without false here the pin is never checked.
    assert provider.inputs["skipCredentialsValidation"] in (False, "false")
    assert '"222222222222"' in provider.inputs["allowedAccountIds"]
    assert (
        "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
        in (provider.inputs["assumeRole"])
    )


def test_the_sdk_offers_the_types_and_replaces_only_on_name_or_type() -> None:
    """aws-native's enum has both types; its replaceOnChanges is what replacements.py says."""
    assert {t.value for t in aws_native.ssm.DocumentType} >= JIT_TYPES
    source = inspect.getsource(aws_native.ssm.Document._internal_init)
    assert 'replace_on_changes=["documentType", "name"]' in source
    assert replaces("aws-native:ssm:Document", "name")
    assert not replaces("aws-native:ssm:Document", "content")


def test_a_bad_policy_is_refused_before_registration() -> None:
    from session_manager.args_check import ArgsError
    from session_manager.just_in_time_access import SessionManagerJustInTimeAccess

    with pytest.raises(
        ArgsError, match="line 1 of the policy: unrecognized entity type `AWS::Nope::Group`"
    ):
        SessionManagerJustInTimeAccess(
            "x",
            {
                "auto_approval_policy": 'permit (principal in AWS::Nope::Group::"g", '
                'action == AWS::SSM::Action::"getTokenForInstanceAccess", resource);'
            },
        )


# AWS::SSM::Document's handler permissions, from its CloudFormation schema
# (aws-cloudformation-schema/aws-ssm-document.json in pulumi/pulumi-aws-native, `handlers`):
# what Cloud Control calls with the caller's credentials for create, read, update, delete.
DOCUMENT_HANDLER_PERMISSIONS = {
    "create": {
        "ssm:CreateDocument",
        "ssm:GetDocument",
        "ssm:AddTagsToResource",
        "ssm:ListTagsForResource",
        "s3:GetObject",
        "iam:PassRole",
    },
    "read": {"ssm:DescribeDocument", "ssm:GetDocument", "ssm:ListTagsForResource"},
    "update": {
        "ssm:UpdateDocument",
        "s3:GetObject",
        "ssm:AddTagsToResource",
        "ssm:RemoveTagsFromResource",
        "ssm:ListTagsForResource",
        "iam:PassRole",
        "ssm:UpdateDocumentDefaultVersion",
        "ssm:DescribeDocument",
    },
    "delete": {"ssm:DeleteDocument", "ssm:GetDocument"},
}


def _gitops_policy(sid: str) -> dict[str, Any]:
    text = (ROOT / "docs" / "gitops.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, re.DOTALL)
    (block,) = [b for b in blocks if f'"Sid": "{sid}"' in b]
    return json.loads(textwrap.dedent(block).replace("<account>", "111111111111"))


def test_the_deploy_role_policy_for_cloud_control_is_least_privilege() -> None:
    """docs/gitops.md's policy for aws-native: Cloud Control's calls (Service Authorization
    Reference, "AWS Cloud Control API": CreateResource, GetResource, UpdateResource,
    DeleteResource, GetResourceRequestStatus; no resource type, so `*`) and the document
    type's handler permissions, scoped to the documents' ARNs; parliament-linted."""
    policy = _gitops_policy("ApprovalPolicyDocuments")
    assert lint(policy) == []
    assert scoping_problems(policy) == []
    cloud_control, document, pass_role = policy["Statement"]
    assert set(cloud_control["Action"]) == {
        f"cloudformation:{a}"
        for a in ("CreateResource", "GetResource", "UpdateResource", "DeleteResource")
    } | {"cloudformation:GetResourceRequestStatus"}
    assert cloud_control["Resource"] == "*"
    for action in cloud_control["Action"]:
        assert sar_resource_types(action) == []
    needed = set().union(*DOCUMENT_HANDLER_PERMISSIONS.values()) - {"s3:GetObject", "iam:PassRole"}
    assert set(document["Action"]) == needed
    # The create and update handlers pass the documents' access token role: AWS's
    # "Setting up just-in-time access with Systems Manager" (administrator policy) grants
    # iam:PassRole on role/SSM-JustInTimeAccessTokenRole, passed to just-in-time access only.
    assert pass_role["Action"] == "iam:PassRole"
    assert pass_role["Resource"] == "arn:aws:iam::111111111111:role/SSM-JustInTimeAccessTokenRole"
    assert pass_role["Condition"] == {
        "StringEquals": {"iam:PassedToService": "justintimeaccess.ssm.amazonaws.com"}
    }
    assert ACCESS_TOKEN_ROLE in pass_role["Resource"]
    # The example's documents: its auto-approval policy and its manual policy `production`.
    assert [r.rsplit(":document/", 1)[1] for r in document["Resource"]] == [
        "session-manager-auto-approval",
        "production",
    ]


@pytest.mark.parametrize(
    ("manual", "message"),
    [
        (
            {"targets": []},
            "manual_approvals[0].targets needs a tag target",
        ),
        (
            {"levels": [{"approvers": [{"type": "IdentityStoreUser", "id": "u"}]}]},
            "'IdentityStoreUser': use one of IdentityStoreGroup, IamUser",
        ),
        ({"access_duration_hours": 337}, "must be 1-336 hours, got 337"),
        ({"name": "aws-policy"}, "'aws-policy'"),
    ],
)
def test_the_component_refuses_manual_policies_aws_documents_no_content_for(
    manual: dict[str, Any], message: str
) -> None:
    """The component takes only what AWS's sample shows a document holding: tag targets,
    approvers that are Identity Center groups (SSOGroup) or IAM users (IamUser)."""
    from session_manager.args_check import ArgsError
    from session_manager.just_in_time_access import SessionManagerJustInTimeAccess

    policy: Any = {
        "name": "production",
        "access_duration_hours": 4,
        "targets": [{"key": "Environment", "value": "production"}],
        "levels": [{"approvers": [{"type": "IdentityStoreGroup", "id": "g"}]}],
        **manual,
    }
    with pytest.raises(ArgsError, match=re.escape(message)):
        SessionManagerJustInTimeAccess("x", {"manual_approvals": [policy]})


def test_the_component_needs_a_policy_and_unique_manual_names() -> None:
    from session_manager.args_check import ArgsError
    from session_manager.just_in_time_access import SessionManagerJustInTimeAccess

    with pytest.raises(ArgsError, match="set auto_approval_policy or manual_approvals"):
        SessionManagerJustInTimeAccess("x", {})
    policy: Any = {
        "name": "production",
        "access_duration_hours": 4,
        "targets": [{"key": "Environment", "value": "production"}],
        "levels": [{"approvers": [{"type": "IamUser", "id": "alice"}]}],
    }
    with pytest.raises(ArgsError, match="'production' names two policies"):
        SessionManagerJustInTimeAccess("x", {"manual_approvals": [policy, policy]})


def test_renaming_a_manual_policy_creates_the_new_one_before_deleting_the_old(
    plan: Plan, tmp_path: Path
) -> None:
    """A manual policy's `name` is in its logical name, so a rename is a new URN: the
    engine creates it during the update and deletes the old URN at its end (pulumi/pulumi
    pkg/resource/deploy/step_generator.go; step.go DeleteStep), and deleteBeforeReplace
    doesn't apply across URNs. Until then both documents target the same tags, and AWS
    fails requests to a node two manual policies apply to ("Create approval policies for
    your nodes"). The logical name stays keyed by the name, so retargeting a policy (a
    content change) stays an update in place; docs/just-in-time-access.md says what a
    rename does and how to avoid the overlap."""
    base = plan.to_json()

    def rename(jit: dict[str, Any]) -> None:
        jit["manualApprovals"][0]["name"] = "production-access"

    changes = [
        (c.action, c.name.rsplit("-manual-", 1)[1])
        for c in diff_plans(base, _variant(tmp_path, "renamed", rename).to_json()).changes
        if c.type == "aws-native:ssm:Document"
    ]
    assert sorted(set(changes)) == [("add", "production-access"), ("remove", "production")]
    docs = (ROOT / "docs" / "just-in-time-access.md").read_text(encoding="utf-8")
    assert "Renaming a manual policy creates the new document first" in docs
    assert "(`justInTimeAccess.autoApproval.name`, a manual policy's `name`)" not in docs


def test_the_docs_say_to_enable_just_in_time_access_before_deploying() -> None:
    """The documents name the access token role (aws/jit.py ACCESS_TOKEN_ROLE, from AWS's
    CloudFormation sample), which enabling just-in-time node access creates; AWS's IaC
    recipe ("Enable JITNA using Infrastructure-as-Code") deploys the Quick Setup
    configuration `AWSQuickSetupType-JITNA` (AWS::SSMQuickSetup::ConfigurationManager)
    before the policies. The stack doesn't, so its page must say so."""
    docs = (ROOT / "docs" / "just-in-time-access.md").read_text(encoding="utf-8")
    section = docs.split("## Before you deploy: turn just-in-time node access on", 1)[1]
    section = section.split("\n## ", 1)[0]
    for needed in (
        ACCESS_TOKEN_ROLE,
        "AWSQuickSetupType-JITNA",
        "systems-manager-just-in-time-node-access-setting-up.html",
    ):
        assert needed in section, needed
    # Why it isn't built: the Quick Setup API model's list of each type's parameters
    # (botocore ssm-quicksetup ConfigurationDefinitionInput.Parameters) has no JITNA type.
    # Once AWS documents it, this fails: build it then.
    import botocore.loaders

    model = botocore.loaders.Loader().load_service_model("ssm-quicksetup", "service-2")
    shape = model["shapes"]["ConfigurationDefinitionInput"]
    assert "QuickSetupType-JITNA" not in shape["members"]["Parameters"]["documentation"]
    assert "QuickSetupType-PatchPolicy" in shape["members"]["Parameters"]["documentation"]
