"""A closed (SUSPENDED) account with just-in-time policies: every provider must leave the state.

For every resource an update deletes, the engine loads and configures its provider from
the old state (pulumi/pulumi pkg/resource/deploy/step_generator.go GenerateDeletes,
`EnsureProvider`). The account's approval-policy documents use its aws-native provider
of their Region, whose Configure assumes the account's role and, with credentials
validation on (jit_wiring.py sets skipCredentialsValidation false), calls STS
GetCallerIdentity (pulumi-aws-native provider/pkg/provider/provider.go Configure): that
fails in a SUSPENDED account as pulumi-aws's does. So the printed commands must name the
aws-native providers too, and each names its stack (`pulumi state delete --stack`,
pkg/cmd/pulumi/state/state_delete.go), as a sharded organization's shard stack is not
the selected one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from session_manager.offline.diff import diff_plans
from session_manager.offline.diff_text import format_diff
from test_lifecycle import plan, state_delete_target_dependents

OU = "ou-ab12-cdef3456"
CLOSED = "666666666666"
STACK = "just-in-time"
PREFIX = f"urn:pulumi:{STACK}::session-manager::pulumi:providers:"
AWS_PROVIDER = f"{PREFIX}aws::aws-{CLOSED}"
NATIVE_PROVIDERS = [
    f"{PREFIX}aws-native::aws-native-{CLOSED}-{r}" for r in ("eu-west-1", "us-east-1")
]


def stack() -> dict[str, Any]:
    manual = {
        "name": "production",
        "accessDurationHours": 4,
        "targets": [{"key": "Environment", "value": "production"}],
        "levels": [{"approvers": [{"type": "IdentityStoreGroup", "id": "leads"}]}],
    }
    return {
        "aws:region": "us-east-1",
        "session-manager:regions": ["us-east-1", "eu-west-1"],
        "session-manager:targets": [{"account": "111111111111"}, {"organizationalUnit": OU}],
        "session-manager:justInTimeAccess": {"manualApprovals": [manual]},
    }


def command(urn: str) -> str:
    return f"pulumi state delete --stack {STACK} --target-dependents '{urn}'"


def test_the_warning_and_the_refusal_name_every_provider_of_the_account(
    tmp_path: Path,
) -> None:
    base = plan(tmp_path, stack(), stack=STACK, ou_accounts={OU: [CLOSED]}).to_json()
    assert {r["urn"] for r in base["resources"]} >= {AWS_PROVIDER, *NATIVE_PROVIDERS}
    head = plan(
        tmp_path, stack(), stack=STACK, ou_accounts={OU: [CLOSED]}, states={CLOSED: "SUSPENDED"}
    )
    (warning,) = [w for w in head.warnings if f"account {CLOSED} is SUSPENDED" in w]
    for urn in (AWS_PROVIDER, *NATIVE_PROVIDERS):
        assert command(urn) in warning

    (error,) = diff_plans(base, head.to_json()).errors
    for urn in (AWS_PROVIDER, *NATIVE_PROVIDERS):
        assert command(urn) in error
    providers = {AWS_PROVIDER, *NATIVE_PROVIDERS}
    using = [r for r in base["resources"] if r.get("provider") in providers]
    assert f"delete these {len(using)} resource(s)" in error


def test_only_when_every_provider_has_left_the_state_does_the_update_go_through(
    tmp_path: Path,
) -> None:
    """The pulumi-aws provider alone leaves the documents' aws-native providers behind:
    still refused. With all of them gone, nothing remains to configure."""
    base = plan(tmp_path, stack(), stack=STACK, ou_accounts={OU: [CLOSED]}).to_json()
    head = plan(
        tmp_path, stack(), stack=STACK, ou_accounts={OU: [CLOSED]}, states={CLOSED: "SUSPENDED"}
    ).to_json()
    partly = state_delete_target_dependents(base, AWS_PROVIDER)
    (error,) = diff_plans(partly, head).errors
    assert "aws-native-666666666666-us-east-1" in error
    assert command(AWS_PROVIDER) not in error  # it has left the state: no command for it
    cleaned = partly
    for urn in NATIVE_PROVIDERS:
        cleaned = state_delete_target_dependents(cleaned, urn)
    assert diff_plans(cleaned, head).errors == []


def test_the_closed_accounts_resources_are_kept_in_aws_not_lost(tmp_path: Path) -> None:
    """`pulumi state delete` removes them from the state without calling AWS
    (pkg/cmd/pulumi/state/state_delete.go), so `AWS LOSES` listing them as deleted
    contradicted the refusal just above it (fresh review): they leave the stack and stay."""
    base = plan(tmp_path, stack(), stack=STACK, ou_accounts={OU: [CLOSED]}).to_json()
    head = plan(
        tmp_path, stack(), stack=STACK, ou_accounts={OU: [CLOSED]}, states={CLOSED: "SUSPENDED"}
    ).to_json()
    found = diff_plans(base, head)
    assert not [c.urn for c in found.aws_losses() if CLOSED in c.urn]
    text = format_diff(found)
    assert "AWS LOSES" not in text
    documents = [c for c in found.changes if c.type == "aws-native:ssm:Document"]
    assert documents
    for document in documents:
        assert document.action == "retain"
        assert document.to_json()["keptBecause"] == "SUSPENDED account: `pulumi state delete`"
        assert (
            f"{document.name}: removed from the stack, kept in AWS (SUSPENDED account: "
            "`pulumi state delete`)" in text
        )
