"""The real program (`__main__.py`) planned offline: the dev stack and the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from conftest import ROOT, write_stack
from session_manager.offline.plan import run_plan


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


def test_old_session_owner_option_still_plans_and_preferences_references_reach_the_nodes(
    tmp_path: Path,
) -> None:
    """A stack written for the old option plans; a reference in the preferences is resolvable."""
    stack = write_stack(
        tmp_path,
        "config:\n"
        "  aws:region: us-east-1\n"
        "  session-manager:preferences:\n"
        "    shellProfile:\n"
        "      linux: 'export TEAM={{ssm:/platform/team-name}}'\n"
        "  session-manager:accessPolicies:\n"
        "    sessionUsers:\n"
        "      sessionOwnerVariable: ${aws:username}\n",
    )
    plan = run_plan(stack, "t")
    users = json.loads(plan.named("session-manager-access-policies-session-users").inputs["policy"])
    assert [s["Sid"] for s in users["Statement"] if s["Sid"].startswith("OwnSessions")] == [
        "OwnSessionsOfIamUsers"
    ]
    nodes = json.loads(plan.named("session-manager-instance-access-policy").inputs["policy"])
    (resolve,) = [s for s in nodes["Statement"] if s["Sid"] == "ResolveDocumentParameters"]
    assert resolve["Resource"].endswith(":parameter/platform/team-name")
