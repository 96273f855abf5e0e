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
import shutil
from pathlib import Path

import pulumi_aws_native as aws_native
import pytest
from session_manager.aws.replacements import replaces
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


def test_the_auto_approval_policy_is_an_aws_native_document_per_account_region(plan: Plan) -> None:
    documents = plan.of_type("aws-native:ssm:Document")
    assert sorted(d.name for d in documents) == [
        "session-manager-111111111111-us-east-1-just-in-time-access-auto-approval",
        "session-manager-222222222222-us-east-1-just-in-time-access-auto-approval",
    ]
    for document in documents:
        assert document.inputs["documentType"] == "AutoApprovalPolicy"
        assert document.inputs["documentFormat"] == "TEXT"
        assert document.inputs["updateMethod"] == "NewVersion"
        assert document.inputs["content"].startswith("// On-call engineers")
        assert document.retain_on_delete


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

    with pytest.raises(ArgsError, match="line 1: unrecognized entity type `AWS::Nope::Group`"):
        SessionManagerJustInTimeAccess(
            "x",
            {
                "auto_approval_policy": 'permit (principal in AWS::Nope::Group::"g", '
                'action == AWS::SSM::Action::"getTokenForInstanceAccess", resource);'
            },
        )
