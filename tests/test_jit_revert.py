"""A just-in-time policy reverted, or put back after drift: a replacement, never a failed update.

The approval-policy documents are aws-native `ssm:Document`s (CloudFormation's
AWS::SSM::Document) with updateMethod NewVersion. That update calls UpdateDocument
(aws-cloudformation/aws-cloudformation-resource-providers-ssm, aws-ssm-document
UpdateHandler.java, the NewVersion branch), which AWS refuses for content an earlier
version holds, DuplicateDocumentContent, and DocumentExceptionTranslator.java makes that a
failed update (CfnInvalidRequestException). So a revert PR, and `pulumi up --refresh` of a
drifted policy (the refresh reads $LATEST's content into the state: ReadHandler via
DocumentModelTranslator.generateGetDocumentRequest; pulumi-aws-native
provider/pkg/provider/provider.go cfnProvider.Read), would fail with the newer policy
still in effect. A content change is made a replacement (`replaceOnChanges: [content]`,
delete first): the engine turns a changed key its goal's replaceOnChanges lists into a
replace key (pulumi/pulumi pkg/resource/deploy/step_generator.go applyReplaceOnChanges).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import boto3
import pulumi_aws_native._utilities as native_utilities
import yaml
from session_manager.offline.diff import diff_plans
from session_manager.offline.diff_text import format_diff
from session_manager.offline.plan import Plan
from session_manager.ops.adopt import ExistingDocument, next_steps
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import Emulator
from session_manager.ops.verify import IN_SYNC, verify
from test_lifecycle import plan

NATIVE_DOCUMENT = "aws-native:ssm:Document"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
CONDITION = 'when { resource.hasTag("Environment") && resource.getTag("Environment") == "%s" };'


def stack(hours: int = 4, environment: str = "dev") -> dict[str, Any]:
    """A stack with an auto-approval policy (its condition on `environment`) and a manual
    policy (its access duration `hours`)."""
    auto = (
        "permit (\n    principal,\n"
        '    action == AWS::SSM::Action::"getTokenForInstanceAccess",\n    resource\n)\n'
        + CONDITION % environment
        + "\n"
    )
    manual = {
        "name": "production",
        "accessDurationHours": hours,
        "targets": [{"key": "Environment", "value": "production"}],
        "levels": [{"approvers": [{"type": "IdentityStoreGroup", "id": "leads"}]}],
    }
    return {
        "aws:region": "us-east-1",
        "session-manager:regions": ["us-east-1"],
        "session-manager:justInTimeAccess": {
            "autoApproval": {"policy": auto},
            "manualApprovals": [manual],
        },
    }


def documents(planned: Plan) -> dict[str, Any]:
    return {r.name: r for r in planned.of_type(NATIVE_DOCUMENT)}


def test_plan_records_that_a_content_change_replaces_the_documents(tmp_path: Path) -> None:
    """`plan --json` records each resource's replaceOnChanges: the SDK's own (aws-native's
    createOnlyProperties documentType and name) and the program's `content`, with
    deleteBeforeReplace (one auto-approval policy per account and Region)."""
    planned = plan(tmp_path, stack(), stack="dev")
    found = documents(planned)
    assert len(found) == 2
    for document in found.values():
        options = document.to_json()["options"]
        assert options["replaceOnChanges"] == ["content", "documentType", "name"]
        assert options["deleteBeforeReplace"] is True


def test_flipping_a_condition_and_flipping_it_back_are_replacements(tmp_path: Path) -> None:
    """Each content change, the revert too, is a delete-then-create of the document, as
    applyReplaceOnChanges makes it: never an UpdateDocument that AWS refuses for content
    an earlier version holds."""
    first = plan(tmp_path, stack(environment="dev"), stack="dev").to_json()
    flipped = plan(tmp_path, stack(environment="staging"), stack="dev").to_json()
    for base, head in ((first, flipped), (flipped, first)):
        diff = diff_plans(base, head)
        (change,) = diff.changes
        assert change.type == NATIVE_DOCUMENT
        assert change.name.endswith("auto-approval")
        assert (change.action, change.order) == ("replace", "delete-then-create")
        assert [(p.key, p.replaces) for p in change.changes] == [("content", True)]
    # A manual policy's duration too.
    longer = plan(tmp_path, stack(hours=8), stack="dev").to_json()
    (change,) = diff_plans(longer, first).changes
    assert change.name.endswith("manual-production")
    assert change.action == "replace"
    text = format_diff(diff_plans(longer, first))
    assert "(replace, delete-then-create)" in text
    assert "~ content:  [forces replacement]" in text


def test_replace_on_changes_follows_the_engines_path_rule() -> None:
    """properties_path.go Contains: `*` contains every key; a listed key its own; a nested
    path no top-level key. The head's list counts (the goal's), not the base's."""

    def resource(inputs: dict[str, Any], replace_on: list[str]) -> dict[str, Any]:
        return {
            "type": "aws:ssm/parameter:Parameter",
            "name": "p",
            "urn": "urn:pulumi:dev::session-manager::aws:ssm/parameter:Parameter::p",
            "inputs": inputs,
            "provider": "urn:pulumi:dev::session-manager::pulumi:providers:aws::default",
            "parent": None,
            "options": {"replaceOnChanges": replace_on},
        }

    def action(replace_on: list[str], base_replace_on: list[str] | None = None) -> str:
        base = {"resources": [resource({"value": "a"}, base_replace_on or [])]}
        head = {"resources": [resource({"value": "b"}, replace_on)]}
        (change,) = diff_plans(base, head).changes
        return change.action

    assert action(["value"]) == "replace"
    assert action(["*"]) == "replace"
    assert action(["value.nested"]) == "update"
    assert action(["description"]) == "update"
    assert action([], base_replace_on=["value"]) == "update"


def test_an_aws_native_pin_raised_shows_as_its_providers_version(tmp_path: Path) -> None:
    """The engine stores the version of every explicit provider, whatever its package
    (pulumi/pulumi source_eval.go: SetProviderVersion from the registration's version
    option, which pulumi_aws_native sets to its `_utilities.get_version()`), so a raised
    aws-native pin is `~ version` on each aws-native provider in `plan --diff`."""
    head = plan(tmp_path, stack(), stack="dev").to_json()
    current = native_utilities.get_version()
    natives = [r for r in head["resources"] if r["type"] == "pulumi:providers:aws-native"]
    assert natives
    assert {r["inputs"]["version"] for r in natives} == {current}
    base = copy.deepcopy(head)
    for resource in base["resources"]:
        if resource["type"] == "pulumi:providers:aws-native":
            resource["inputs"]["version"] = "1.0.0"
    diff = diff_plans(base, head)
    assert {c.name for c in diff.of("update")} == {r["name"] for r in natives}
    assert f'~ version: "1.0.0" => "{current}"' in format_diff(diff)


# --- On the emulator: the revert lands, and verify's fix works ---------------------------


def held(url: str, name: str) -> Any:
    ssm = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]
    described = ssm.describe_document(Name=name)["Document"]
    assert described["DefaultVersion"] == described["LatestVersion"]
    return yaml.safe_load(ssm.get_document(Name=name, DocumentFormat="YAML")["Content"])


def auto_name(planned: Plan) -> str:
    (auto,) = [d for d in documents(planned).values() if d.name.endswith("auto-approval")]
    return str(auto.inputs["name"])


def test_emulate_replaces_a_reverted_policy_and_it_is_in_effect(
    emulator_url: str, tmp_path: Path
) -> None:
    """Flip, then revert: emulate deletes and creates the document (no
    DuplicateDocumentContent note, as no UpdateDocument), and the reverted policy is the
    one in effect."""
    first = plan(tmp_path, stack(environment="dev"), stack="dev")
    flipped = plan(tmp_path, stack(environment="staging"), stack="dev")
    name = auto_name(first)
    for step in (first, flipped, first):
        report = Emulator(emulator_url).apply(step)
        assert report.notes == []
    assert (
        CONDITION % "dev" in held(emulator_url, name)["AutoApprovalPolicyDocuments"][0]["content"]
    )
    access = AwsAccess(emulator_url, credentials=CREDENTIALS)
    assert verify(first, access).exit_code == IN_SYNC


def test_verifys_fix_for_a_drifted_policy_puts_it_back(emulator_url: str, tmp_path: Path) -> None:
    """A policy widened in the console: verify's fix is `pulumi up --refresh`, which
    replaces the document (the refresh reads the held content into the state, and the
    content change replaces). Carried out, the finding is gone."""
    planned = plan(tmp_path, stack(environment="dev"), stack="dev")
    name = auto_name(planned)
    Emulator(emulator_url).apply(planned)
    ssm = boto3.client("ssm", endpoint_url=emulator_url, region_name="us-east-1", **CREDENTIALS)  # type: ignore[call-overload]
    widened = held(emulator_url, name)
    widened["AutoApprovalPolicyDocuments"][0]["content"] = (
        'permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource);'
    )
    version = ssm.update_document(
        Name=name,
        Content=yaml.safe_dump(widened),
        DocumentFormat="YAML",
        DocumentVersion="$LATEST",
    )["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name=name, DocumentVersion=version)
    access = AwsAccess(emulator_url, credentials=CREDENTIALS)
    (drift,) = [d for r in verify(planned, access).results for d in r.drifts]
    assert drift.fix.startswith("run `pulumi up --refresh`")
    assert "replaces" in drift.fix
    assert "deletes the document, then creates it" in drift.fix

    # What `pulumi up --refresh` sees: the state's content is the held one (cfnProvider.Read).
    refreshed = copy.deepcopy(planned.to_json())
    for resource in refreshed["resources"]:
        if resource["type"] == NATIVE_DOCUMENT and resource["inputs"]["name"] == name:
            resource["inputs"]["content"] = widened
    (change,) = diff_plans(refreshed, planned.to_json()).changes
    assert (change.action, change.order) == ("replace", "delete-then-create")
    # ... and carried out as the engine does (delete, then create).
    assert Emulator(emulator_url).apply(planned).notes == []
    assert verify(planned, access).exit_code == IN_SYNC


def test_adopt_says_a_differing_policy_is_replaced_by_the_first_up(tmp_path: Path) -> None:
    """An adopted (imported) policy's state holds the console's content (pulumi import reads
    it: cfnProvider.Read); the first `pulumi up` replaces it, and adopt's next steps say so
    instead of promising an in-place update."""
    planned = plan(tmp_path, stack(), stack="dev")
    document = next(iter(documents(planned).values()))
    existing = ExistingDocument(
        resource=document, region="us-east-1", provider=None, current={}, wanted={}
    )
    steps = next_steps("import.json", [existing])
    assert "an approval policy whose content differs shows a replacement" in steps
    imported = copy.deepcopy(planned.to_json())
    for resource in imported["resources"]:
        if resource["urn"] == document.urn:
            resource["inputs"]["content"] = {"schemaVersion": "0.3", "console": True}
    (change,) = diff_plans(imported, planned.to_json()).changes
    assert (change.urn, change.action, change.order) == (
        document.urn,
        "replace",
        "delete-then-create",
    )
