"""Day 2 applied: each lifecycle step put on moto (loopback) and checked with `verify`.

tests/test_lifecycle.py diffs the steps; here one organization lives through them on
one moto server, and after each step `verify` must find AWS in sync with the plan and
what leaves the stack must still be in AWS, or be gone, as the engine would leave it.

What is emulated, and how it differs from `pulumi up`:
- creates and updates: `emulate` (ops/emulate.py) replays the plan's registrations as
  boto3 create or update calls, in each target account through the role its provider
  assumes. It is not the engine: no state, no provider, no refresh.
- deletes: the engine's delete steps are taken from `plan --diff` (offline/diff.py,
  which follows pulumi/pulumi pkg/resource/deploy/step.go DeleteStep.Apply): only what
  AWS loses (`aws_losses`: removed and not retained in the OLD state, not skipped by
  `deletedWith`) is deleted, dependents first, each with the AWS calls
  terraform-provider-aws makes for it (named in `delete`). A retained resource gets
  no call at all, which is what the engine does (step.go: "Deleting a 'drop on
  delete' is a no-op"); so these tests check that the diff calls nothing retained
  lost, and that AWS (moto) agrees nothing the plan still uses went with it.
- `pulumi state delete --target-dependents` (the suspended account): applied to the
  recorded state by test_lifecycle.state_delete_target_dependents.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from session_manager.offline.diff import PlanDiff, diff_plans
from session_manager.offline.plan import Plan, PlannedResource
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.emulate import CREATE_ORDER, Emulator
from session_manager.ops.verify import IN_SYNC, verify
from test_lifecycle import OU, org_config, plan, state_delete_target_dependents
from whole_stack import CREDENTIALS, HOME, Aws

REGIONS = ["us-east-1"]
TWO_REGIONS = ["us-east-1", "eu-west-1"]
LISTED, ADDED, LEAVES, SUSPENDED = "111111111111", "222222222222", "555555555555", "666666666666"
ROLE = PROFILE = "SessionManagerInstanceRole"  # the instance profile takes the role's name
INSTANCE_POLICY = "SessionManagerInstanceAccess"
ALIASES = {"alias/session-manager/data", "alias/session-manager/logs"}


def targets(*accounts: str) -> list[dict[str, Any]]:
    return [*({"account": a} for a in accounts), {"organizationalUnit": OU}]


# One organization's life, a small stack: its stack file and what Organizations says.
STEPS: list[tuple[str, dict[str, Any], dict[str, list[str]], dict[str, str]]] = [
    ("create", org_config(regions=REGIONS, targets=targets(LISTED)), {OU: [LEAVES, SUSPENDED]}, {}),
    (
        "add-region",
        org_config(regions=TWO_REGIONS, targets=targets(LISTED)),
        {OU: [LEAVES, SUSPENDED]},
        {},
    ),
    (
        "add-account",
        org_config(regions=TWO_REGIONS, targets=targets(LISTED, ADDED)),
        {OU: [LEAVES, SUSPENDED]},
        {},
    ),
    # An OU move: 555555555555 is no longer in the target OU.
    (
        "leave-ou",
        org_config(regions=TWO_REGIONS, targets=targets(LISTED, ADDED)),
        {OU: [SUSPENDED]},
        {},
    ),
    # 666666666666 is closed: Organizations keeps it SUSPENDED.
    (
        "suspended",
        org_config(regions=TWO_REGIONS, targets=targets(LISTED, ADDED)),
        {OU: [SUSPENDED]},
        {SUSPENDED: "SUSPENDED"},
    ),
    (
        "offboard-run-1",
        org_config(regions=TWO_REGIONS, targets=targets(LISTED, ADDED), offboardAccounts=[ADDED]),
        {OU: []},
        {},
    ),
    (
        "offboard-run-2",
        org_config(regions=TWO_REGIONS, targets=targets(LISTED), offboardAccounts=[ADDED]),
        {OU: []},
        {},
    ),
]


@dataclass
class Inventory:
    """What one account holds in moto, by name: enough to tell kept from gone."""

    roles: set[str] = field(default_factory=set[str])
    instance_profiles: set[str] = field(default_factory=set[str])
    policies: set[str] = field(default_factory=set[str])
    # Region -> alias names (AWS's own `alias/aws/...` left out).
    aliases: dict[str, set[str]] = field(default_factory=dict[str, set[str]])
    # Region -> how many customer keys, and log group names.
    keys: dict[str, int] = field(default_factory=dict[str, int])
    log_groups: dict[str, set[str]] = field(default_factory=dict[str, set[str]])
    documents: dict[str, set[str]] = field(default_factory=dict[str, set[str]])


class CachedAws(Aws):
    """Clients made once per account, service and Region (moto's credentials don't expire)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.made: dict[tuple[str, str, str], Any] = {}

    def __call__(self, service: str, account: str = HOME, region: str = "us-east-1") -> Any:
        key = (service, account, region)
        if key not in self.made:
            self.made[key] = super().__call__(service, account, region)
        return self.made[key]


def inventory(aws: Aws, account: str) -> Inventory:
    iam = aws("iam", account)
    found = Inventory(
        roles={r["RoleName"] for r in iam.list_roles()["Roles"]},
        instance_profiles={
            p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
        },
        policies={p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]},
    )
    for region in TWO_REGIONS:
        kms = aws("kms", account, region)
        found.aliases[region] = {
            a["AliasName"]
            for a in kms.list_aliases()["Aliases"]
            if not a["AliasName"].startswith("alias/aws/")
        }
        found.keys[region] = len(kms.list_keys()["Keys"])
        logs = aws("logs", account, region)
        found.log_groups[region] = {
            g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]
        }
        ssm = aws("ssm", account, region)
        owned = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])
        found.documents[region] = {d["Name"] for d in owned["DocumentIdentifiers"]}
    return found


def delete(
    access: AwsAccess, provider: PlannedResource | None, resource: Mapping[str, Any]
) -> None:
    """The AWS calls pulumi-aws (terraform-provider-aws) makes to delete `resource`.

    - aws_iam_role_policy_attachment: DetachRolePolicy (iam/role_policy_attachment.go);
    - aws_iam_instance_profile: RemoveRoleFromInstanceProfile for its role, then
      DeleteInstanceProfile (iam/instance_profile.go, instanceProfileRemoveAllRoles);
    - aws_iam_role: DeleteRole; AWS refuses it while policies are attached or it sits in
      an instance profile, which the dependents' deletes before it have undone;
    - aws_iam_policy: DeletePolicy (after deleting non-default versions); AWS refuses it
      while the policy is attached, which moto doesn't check, so this does;
    - aws_kms_alias: DeleteAlias; aws_ssm_document: DeleteDocument.
    Any other type fails the test: a new kind of delete needs its calls here.
    """
    inputs = resource["inputs"]
    region = str(inputs.get("region") or "us-east-1")
    typ = resource["type"]
    if typ.startswith("aws:iam/"):
        iam = access.client(provider, "iam", region)
        if typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            name = str(inputs["policyArn"]).rsplit("/", 1)[-1]
            attached = iam.list_attached_role_policies(RoleName=inputs["role"])
            (arn,) = [
                p["PolicyArn"] for p in attached["AttachedPolicies"] if p["PolicyName"] == name
            ]
            iam.detach_role_policy(RoleName=inputs["role"], PolicyArn=arn)
        elif typ == "aws:iam/instanceProfile:InstanceProfile":
            iam.remove_role_from_instance_profile(
                InstanceProfileName=inputs["name"], RoleName=inputs["role"]
            )
            iam.delete_instance_profile(InstanceProfileName=inputs["name"])
        elif typ == "aws:iam/role:Role":
            iam.delete_role(RoleName=inputs["name"])
        elif typ == "aws:iam/policy:Policy":
            (policy,) = [
                p
                for p in iam.list_policies(Scope="Local")["Policies"]
                if p["PolicyName"] == inputs["name"]
            ]
            # AWS refuses to delete a policy still attached (DeleteConflict: "you must first
            # detach the policy from all users, groups, and roles", IAM API DeletePolicy,
            # https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html);
            # moto does not check, so the test does (moto's AttachmentCount counts every
            # attach call, repeated ones too: the entities are what counts).
            entities = iam.list_entities_for_policy(PolicyArn=policy["Arn"])
            attached = [
                *entities["PolicyRoles"],
                *entities["PolicyGroups"],
                *entities["PolicyUsers"],
            ]
            assert attached == [], f"DeleteConflict: {inputs['name']} is attached to {attached}"
            iam.delete_policy(PolicyArn=policy["Arn"])
        else:
            raise AssertionError(f"no delete calls for {typ}: add them to delete()")
    elif typ == "aws:kms/alias:Alias":
        access.client(provider, "kms", region).delete_alias(AliasName=inputs["name"])
    elif typ == "aws:ssm/document:Document":
        access.client(provider, "ssm", region).delete_document(Name=inputs["name"])
    else:
        raise AssertionError(f"no delete calls for {typ}: add them to delete()")


@dataclass
class Applied:
    """One step as applied: its plan, the diff from the step before, what verify said,
    and what the accounts hold in moto afterwards."""

    plan: Plan
    diff: PlanDiff
    deleted: list[str]
    status: int
    drifts: list[str]
    holds: dict[str, Inventory]


class Organization:
    """Applies the steps in order on one moto server, the way `pulumi up` would."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp = url, tmp
        self.aws = CachedAws(url)
        self.access = AwsAccess(url, credentials=CREDENTIALS)
        self.state: dict[str, Any] = {"resources": []}
        # The plan the state was recorded from: its providers reach the old accounts.
        self.providers: dict[str, PlannedResource] = {}
        self.steps: dict[str, Applied] = {}
        self.refused: dict[str, PlanDiff] = {}

    def apply(
        self,
        name: str,
        config: Mapping[str, Any],
        ou_accounts: Mapping[str, list[str]],
        states: Mapping[str, str],
    ) -> None:
        head = plan(self.tmp, config, ou_accounts=ou_accounts, states=states)
        diff = diff_plans(self.state, head.to_json())
        if diff.errors:
            # The engine refuses it (the suspended account's provider): the README's fix,
            # `pulumi state delete --target-dependents` on that provider, then again.
            self.refused[name] = diff
            for account in states:
                provider = next(
                    r["urn"] for r in self.state["resources"] if r["name"] == f"aws-{account}"
                )
                self.state = state_delete_target_dependents(self.state, provider)
            diff = diff_plans(self.state, head.to_json())
            assert diff.errors == []
        deleted = self._delete(diff)
        Emulator(self.url).apply(head)
        report = verify(head, self.access)
        self.steps[name] = Applied(
            plan=head,
            diff=diff,
            deleted=deleted,
            status=report.status,
            drifts=[str(d) for result in report.results for d in result.drifts],
            holds={a: inventory(self.aws, a) for a in (LISTED, ADDED, LEAVES, SUSPENDED)},
        )
        self.state = head.to_json()
        self.providers = {r.urn: r for r in head.resources if r.type.startswith("pulumi:")}

    def _delete(self, diff: PlanDiff) -> list[str]:
        """The engine's delete steps that call AWS: dependents first (reverse create order)."""
        old = {r["urn"]: r for r in self.state["resources"]}
        order = {typ: index for index, typ in enumerate(CREATE_ORDER)}
        losses = sorted(
            (c for c in diff.aws_losses() if c.action == "remove" and not c.deleted_with),
            key=lambda c: -order.get(c.type, len(order)),
        )
        assert not [c for c in diff.aws_losses() if c.action == "replace"], "no step replaces"
        for change in losses:
            resource = old[change.urn]
            delete(self.access, self.providers.get(resource.get("provider") or ""), resource)
        return [c.name for c in losses]


@pytest.fixture(scope="module")
def life(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Organization:
    """The whole sequence, applied once on a freshly reset moto for this module."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)
    organization = Organization(moto_server, tmp_path_factory.mktemp("lifecycle-moto"))
    for name, config, ou_accounts, states in STEPS:
        organization.apply(name, config, ou_accounts, states)
    return organization


@pytest.mark.parametrize("step", [name for name, *_ in STEPS])
def test_verify_finds_aws_in_sync_after_each_step(life: Organization, step: str) -> None:
    applied = life.steps[step]
    assert applied.status == IN_SYNC, applied.drifts
    assert applied.drifts == []


@pytest.mark.parametrize(
    ("before", "after", "new"),
    [("create", "add-region", "eu-west-1"), ("add-region", "add-account", ADDED)],
)
def test_adding_a_region_or_an_account_deletes_nothing_in_aws(
    life: Organization, before: str, after: str, new: str
) -> None:
    applied = life.steps[after]
    assert applied.deleted == []
    assert {c.action for c in applied.diff.changes} == {"add"}
    # What was there before is all still there.
    for account in (LISTED, LEAVES, SUSPENDED):
        kept, now = life.steps[before].holds[account], applied.holds[account]
        assert kept.roles <= now.roles
        assert kept.aliases["us-east-1"] == now.aliases["us-east-1"]
    if new == ADDED:
        assert ROLE in applied.holds[ADDED].roles
    else:
        assert applied.holds[LISTED].aliases["eu-west-1"] == ALIASES


def assert_kept(before: Inventory, after: Inventory) -> None:
    """Everything running nodes and logs use in the account is still in AWS, unchanged."""
    assert ROLE in after.roles
    assert PROFILE in after.instance_profiles
    assert INSTANCE_POLICY in after.policies
    for region in TWO_REGIONS:
        assert after.aliases[region] == ALIASES
        assert after.documents[region] == {"SSM-SessionManagerRunShell"}
    assert after == before


def test_an_account_that_leaves_the_ou_keeps_its_role_profile_policy_and_aliases(
    life: Organization,
) -> None:
    """The OU move removes 555555555555 from the stack: every AWS resource of it is
    retained on delete (step.go DeleteStep.Apply calls no Delete), so applying the step
    deletes nothing, and the role, instance profile, policy and KMS aliases its running
    nodes use are still in moto afterwards."""
    applied = life.steps["leave-ou"]
    assert applied.deleted == []
    retained = {c.name for c in applied.diff.of("retain")}
    assert {
        f"session-manager-{LEAVES}-instance-access-role",
        f"session-manager-{LEAVES}-instance-access-instance-profile",
        f"session-manager-{LEAVES}-instance-access-policy",
        f"session-manager-{LEAVES}-us-east-1-session-data-key-alias",
        f"session-manager-{LEAVES}-eu-west-1-logs-key-alias",
    } <= retained
    assert_kept(life.steps["add-account"].holds[LEAVES], applied.holds[LEAVES])


def test_a_suspended_account_is_refused_until_its_provider_leaves_the_state_then_kept(
    life: Organization,
) -> None:
    """The engine loads the provider of every resource it deletes, retained or not
    (step_generator.go GenerateDeletes, EnsureProvider), and can't assume a role in a
    SUSPENDED account: the diff refuses the step. After `pulumi state delete
    --target-dependents` on its provider nothing is deleted, and its resources stay."""
    (refusal,) = life.refused["suspended"].errors
    assert "pulumi state delete --stack organization --target-dependents" in refusal
    assert f"aws-{SUSPENDED}" in refusal
    applied = life.steps["suspended"]
    assert applied.deleted == []
    assert_kept(life.steps["leave-ou"].holds[SUSPENDED], applied.holds[SUSPENDED])


def test_offboarding_run_1_changes_nothing_in_aws(life: Organization) -> None:
    applied = life.steps["offboard-run-1"]
    assert applied.deleted == []
    assert {c.action for c in applied.diff.changes} == {"same"}
    assert_kept(life.steps["suspended"].holds[ADDED], applied.holds[ADDED])


def test_offboarding_run_2_deletes_the_accounts_iam_aliases_and_preferences(
    life: Organization,
) -> None:
    """Run 1 turned retainOnDelete off in the state; run 2 removes the account and the
    engine deletes them (step.go DeleteStep.Apply reads the OLD state's flag). Applied on
    moto, AWS accepts each delete in the engine's order (it refuses to delete a role
    still attached or in a profile), and afterwards the role, instance profile, policies,
    KMS aliases and preferences are gone; the KMS keys and log groups, always retained
    because they hold or protect audit logs, stay."""
    before, applied = life.steps["offboard-run-1"].holds[ADDED], life.steps["offboard-run-2"]
    assert set(applied.deleted) >= {
        f"session-manager-{ADDED}-instance-access-role",
        f"session-manager-{ADDED}-instance-access-instance-profile",
        f"session-manager-{ADDED}-instance-access-policy",
        f"session-manager-{ADDED}-instance-access-role-policy",
        f"session-manager-{ADDED}-us-east-1-session-data-key-alias",
    }
    gone = applied.holds[ADDED]
    assert ROLE not in gone.roles
    assert PROFILE not in gone.instance_profiles
    assert gone.policies == set()
    for region in TWO_REGIONS:
        assert gone.aliases[region] == set()
        assert gone.documents[region] == set()
    assert gone.keys == before.keys
    assert gone.log_groups == before.log_groups
    # No other account lost anything.
    for account in (LISTED, LEAVES, SUSPENDED):
        assert applied.holds[account] == life.steps["offboard-run-1"].holds[account]
