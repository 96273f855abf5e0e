"""The open-production check (`productionTags`) sees through other tag conditions.

A production node may carry any other tag: a policy whose only other condition is on a
tag key (`resource.hasTag("Owner")`, `resource.getTag("Owner") != "security"`) still lets
anyone onto the production nodes that carry it. AWS's pages mark production with a tag
KEY as well as a value: the auto-approval example's `resource.hasTag("Production")`
(systems-manager-just-in-time-node-access-create-auto-approval-policies.html) and
"nodes tagged with the Production key"
(systems-manager-just-in-time-node-access-approval-policies.html), so an empty value
list means "any value" instead of turning the check off.
"""

from __future__ import annotations

from config.test_jit import ACTION, AWS_EXAMPLE, jit

OPEN_PRODUCTION = 'resource.hasTag("Environment") && resource.getTag("Environment") == "production"'


def _anyone_when(condition: str) -> str:
    return f"permit (principal, {ACTION}, resource) when {{ {condition} }};"


def test_another_tag_key_does_not_hide_an_open_production_policy() -> None:
    for extra in (
        'resource.hasTag("Owner")',
        'resource.hasTag("Owner") && resource.getTag("Owner") != "security"',
        # Production nodes without the tag: the check tries a node with only its
        # production tag too.
        '!resource.hasTag("Owner")',
    ):
        error = jit({"autoApproval": {"policy": _anyone_when(f"{OPEN_PRODUCTION} && {extra}")}})
        assert "auto-approves every principal" in error, extra
        assert "Environment=production" in error


def test_a_tag_value_the_policy_picks_still_scopes_it() -> None:
    scoped = _anyone_when(
        f'{OPEN_PRODUCTION} && resource.hasTag("Owner") && resource.getTag("Owner") == "dev-team"'
    )
    assert jit({"autoApproval": {"policy": scoped}}) == ""
    assert jit({"autoApproval": {"policy": AWS_EXAMPLE}}) == ""


def test_an_empty_value_list_marks_production_by_the_key() -> None:
    policy = _anyone_when('resource.hasTag("Production")')
    error = jit({"autoApproval": {"policy": policy}, "productionTags": {"Production": []}})
    assert "nodes tagged Production (any value)" in error
    # A value the policy names counts too: the key alone marks production.
    valued = _anyone_when('resource.hasTag("Production") && resource.getTag("Production") == "yes"')
    assert "Production (any value)" in jit(
        {"autoApproval": {"policy": valued}, "productionTags": {"Production": []}}
    )
    # AWS's example opens Production nodes only to one group with an attribute value.
    assert (
        jit({"autoApproval": {"policy": AWS_EXAMPLE}, "productionTags": {"Production": []}}) == ""
    )


def test_no_production_tags_is_refused() -> None:
    error = jit({"productionTags": {}})
    assert "justInTimeAccess.productionTags: is empty" in error
