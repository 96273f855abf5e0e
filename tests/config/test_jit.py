"""`justInTimeAccess`: policies checked by Cedar's own engine against AWS's schema.

References (AWS Systems Manager User Guide):
- auto-approval-deny-access-policy-statement-structure.html: the Cedar schema (entity
  types, the four optional Identity Center user attributes, tags on nodes, the
  `iam.principalTags` context) and the action `getTokenForInstanceAccess`;
- systems-manager-just-in-time-node-access-create-manual-policies.html: up to 50 manual
  policies per account and Region, 1-336 hours, 5 approvers per level, 5 levels;
- systems-manager-just-in-time-node-access-approval-policies.html: a node two manual
  policies apply to makes access requests to it fail.
"""

from __future__ import annotations

from typing import Any

from session_manager.aws.jit import overlapping_targets, split_statements
from session_manager.config.errors import ConfigError
from session_manager.config.limits import limit_warnings
from session_manager.config.loading import parse_stack_config

ACTION = 'action == AWS::SSM::Action::"getTokenForInstanceAccess"'
# AWS's own example auto-approval policy (create-auto-approval-policies.html), verbatim.
AWS_EXAMPLE = f"""permit (
    principal in AWS::IdentityStore::Group::"e8c17310-e011-7089-d989-10da1EXAMPLE",
    {ACTION},
    resource
)
when {{
    principal has costCenter && resource.hasTag("CostCenter") && principal.costCenter == resource.getTag("CostCenter")
}};

permit (
    principal,
    {ACTION},
    resource
)
when {{
    principal has employeeNumber && principal.employeeNumber like "E-1*" && resource.hasTag("Purpose") && resource.getTag("Purpose") == "Testing"
}};
"""  # noqa: E501
LEVEL = {"approvers": [{"type": "IdentityStoreGroup", "id": "g-approvers"}]}


def jit(value: dict[str, Any]) -> str:
    """The config error for a `justInTimeAccess` value, or "" when it is valid."""
    try:
        parse_stack_config({"regions": ["us-east-1"], "justInTimeAccess": value})
    except ConfigError as exc:
        return str(exc)
    return ""


def test_aws_own_example_policy_is_valid() -> None:
    assert jit({"autoApproval": {"policy": AWS_EXAMPLE}}) == ""


def test_a_typod_attribute_is_refused_with_its_line_and_reason() -> None:
    policy = AWS_EXAMPLE + (
        f"\n// typo below\npermit (principal, {ACTION}, resource)\n"
        'when { principal has divison && principal.divison == "Platform" };\n'
    )
    error = jit({"autoApproval": {"policy": policy}})
    assert "session-manager:justInTimeAccess.autoApproval.policy" in error
    # The statement starts on line 20 (AWS's 17 lines, a blank one, the comment). Cedar
    # types `has` of an undeclared attribute as false, so this check is ours, from the schema.
    assert "line 20 of autoApproval.policy: `principal has divison` is never true" in error


def test_an_unknown_entity_type_is_refused() -> None:
    policy = f'forbid (principal in AWS::IAM::Group::"interns", {ACTION}, resource);'
    error = jit(
        {"denyAccess": {"account": "999999999999", "region": "us-east-1", "policy": policy}}
    )
    assert "denyAccess.policy" in error
    assert "line 1 of denyAccess.policy: unrecognized entity type `AWS::IAM::Group`" in error


def test_a_syntax_error_names_its_statement_line() -> None:
    policy = (
        f"permit (principal, {ACTION}, resource);\n\n"
        f"permit (principal, {ACTION}, resource) when {{ principal. }};"
    )
    error = jit({"autoApproval": {"policy": policy}})
    assert "line 3 of autoApproval.policy:" in error


def test_an_auto_approval_that_admits_everyone_to_production_is_refused() -> None:
    policy = f'permit (principal, {ACTION}, resource) when {{ resource.hasTag("Environment") }};'
    error = jit({"autoApproval": {"policy": policy}})
    assert "auto-approves every principal" in error
    assert "Environment=production" in error
    # Scoped to a group, the same statement passes.
    scoped = policy.replace(
        "permit (principal,", 'permit (principal in AWS::IdentityStore::Group::"oncall",'
    )
    assert jit({"autoApproval": {"policy": scoped}}) == ""


def test_production_tags_are_configurable() -> None:
    policy = (
        f"permit (principal, {ACTION}, resource) "
        'when { resource.hasTag("Stage") && resource.getTag("Stage") == "live" };'
    )
    assert jit({"autoApproval": {"policy": policy}}) == ""
    error = jit({"autoApproval": {"policy": policy}, "productionTags": {"Stage": ["live"]}})
    assert "Stage=live" in error


def test_manual_policy_limits() -> None:
    six_levels = [LEVEL] * 6
    assert "needs 1 to 5 levels" in jit(
        {"manualApprovals": [{"name": "pol-a", "levels": six_levels}]}
    )
    six = [{"type": "IamUser", "id": f"u{i}"} for i in range(6)]
    assert "levels[0].approvers: needs 1 to 5 approvers" in jit(
        {"manualApprovals": [{"name": "pol-a", "levels": [{"approvers": six}]}]}
    )
    error = jit(
        {"manualApprovals": [{"name": "pol-a", "levels": [LEVEL], "accessDurationHours": 337}]}
    )
    assert "must be from 1 to 336 hours" in error
    many = [
        {
            "name": f"policy-{i}",
            "accessDurationHours": 1,
            "targets": [{"key": "App", "value": f"v{i}"}],
            "levels": [LEVEL],
        }
        for i in range(51)
    ]
    assert "AWS allows 50 per account and Region" in jit({"manualApprovals": many})


def test_two_all_nodes_manual_policies_are_refused() -> None:
    error = jit(
        {
            "manualApprovals": [
                {"name": name, "accessDurationHours": 1, "levels": [LEVEL]}
                for name in ("pol-a", "pol-b")
            ]
        }
    )
    assert "manualApprovals[1].targets: is empty, like manualApprovals[0]'s" in error


def test_overlap_is_one_node_that_can_carry_a_tag_of_each() -> None:
    assert overlapping_targets([("Environment", "prod")], [("Environment", "dev")]) is None
    assert overlapping_targets([("Environment", "prod")], [("Environment", "prod")]) == (
        ("Environment", "prod"),
        ("Environment", "prod"),
    )
    assert overlapping_targets([("Environment", "prod")], [("Tier", "db")]) == (
        ("Environment", "prod"),
        ("Tier", "db"),
    )


def test_statement_lines_skip_semicolons_in_strings_and_comments() -> None:
    text = (
        "// a; comment\n\npermit (principal, action, resource)\n"
        'when { "a;b" == "a;b" };\nforbid (principal, action, resource);'
    )
    assert [s.line for s in split_statements(text)] == [3, 5]


def test_standing_session_permissions_are_pointed_out() -> None:
    """AWS: users with ssm:StartSession in their IAM policies keep using Session Manager, not
    just-in-time access ("Start a just-in-time node access session",
    systems-manager-just-in-time-node-access-start-session.html)."""
    value = {"autoApproval": {"policy": AWS_EXAMPLE}}
    config = parse_stack_config({"regions": ["us-east-1"], "justInTimeAccess": value})
    (warning,) = [w for w in limit_warnings(config) if "StartSession" in w]
    assert warning.startswith("session-manager:accessPolicies.sessionUsers.create:")
    quiet = parse_stack_config(
        {
            "regions": ["us-east-1"],
            "justInTimeAccess": value,
            "accessPolicies": {"sessionUsers": {"create": False}},
        }
    )
    assert not [w for w in limit_warnings(quiet) if "StartSession" in w]


def test_the_auto_approval_document_name_is_not_another_managed_documents() -> None:
    error = jit({"autoApproval": {"policy": AWS_EXAMPLE, "name": "SSM-SessionManagerRunShell"}})
    assert (
        "session-manager:justInTimeAccess.autoApproval.name: 'SSM-SessionManagerRunShell' "
        "is the name of the Session preferences document (documentName)"
    ) in error


DENY = {"account": "999999999999", "region": "us-east-1"}


def test_each_policy_holds_only_its_own_effect() -> None:
    """AWS, "Statement structure and built-in operators for auto-approval and deny-access
    policies" and the create-auto-approval / create-deny-access pages: an auto-approval
    policy is `permit` statements, a deny-access policy `forbid` statements. A `forbid` in
    the auto-approval policy would be the deny policy's job done in the wrong place, and
    a `permit` in the deny policy would grant nothing (it only stops auto-approval)."""
    forbid = f"forbid (principal, {ACTION}, resource);"
    error = jit({"autoApproval": {"policy": AWS_EXAMPLE + "\n" + forbid}})
    assert (
        "line 19 of autoApproval.policy: is a `forbid` statement; this policy may hold only "
        "`permit` statements"
    ) in error
    permit = f'@id("oops")\npermit (principal, {ACTION}, resource);'
    error = jit({"denyAccess": DENY | {"policy": permit}})
    assert "line 1 of denyAccess.policy: is a `permit` statement" in error
    assert jit({"denyAccess": DENY | {"policy": forbid}}) == ""


def test_the_everyone_to_production_check_tries_every_node_type() -> None:
    """AWS's schema (statement-structure page): the action applies to AWS::EC2::Instance
    and AWS::SSM::ManagedInstance (hybrid nodes); a policy open to everyone on the
    latter opens production hybrid nodes."""
    policy = (
        f"permit (principal, {ACTION}, resource is AWS::SSM::ManagedInstance) "
        'when { resource.hasTag("Environment") };'
    )
    error = jit({"autoApproval": {"policy": policy}})
    assert "auto-approves every principal (no group, no attribute) to " in error
    assert "AWS::SSM::ManagedInstance nodes tagged Environment=production" in error


def test_a_cedar_template_is_refused() -> None:
    """AWS takes Cedar policies: a template's `?principal` slot is never filled in.
    cedarpy validates templates, so the check is ours."""
    policy = f"permit (principal == ?principal, {ACTION}, resource);"
    error = jit({"autoApproval": {"policy": policy}})
    assert "line 1 of autoApproval.policy: ?principal makes it a Cedar template" in error


def test_has_inside_a_string_or_comment_is_not_an_attribute_check() -> None:
    policy = (
        "// principal has nickname: not an attribute check\n"
        f'permit (principal in AWS::IdentityStore::Group::"g", {ACTION}, resource) '
        'when { resource.hasTag("Note") && resource.getTag("Note") == "principal has x" };'
    )
    assert jit({"autoApproval": {"policy": policy}}) == ""


def test_a_policy_over_64_kb_is_refused_with_its_size() -> None:
    """CreateDocument's MaxDocumentSizeExceeded: "The size limit of a document is 64 KB"
    (SSM API reference); the auto-approval policy is the document's content."""
    statement = f'permit (principal in AWS::IdentityStore::Group::"g", {ACTION}, resource);\n'
    policy = (statement * (65536 // len(statement) + 1)).strip()
    error = jit({"autoApproval": {"policy": policy}})
    assert "-byte document (the policy in its YAML content); an SSM document's content" in error


def test_the_64_kb_limit_is_measured_on_the_rendered_document() -> None:
    """The limit is the document's (CreateDocument, MaxDocumentSizeExceeded), and the
    document is the policy in AWS's YAML wrapper (aws-samples cloud-operations-best-practices
    just-in-time-cfn-approval-policies.yaml): Cedar text just under 64 KB makes a document
    over it once quoted and wrapped."""
    import yaml
    from session_manager.aws.jit import auto_approval_content

    statement = f'permit (principal in AWS::IdentityStore::Group::"g", {ACTION}, resource);\n'
    policy = (statement * (65000 // len(statement))).strip()
    assert len(policy.encode()) < 65536
    rendered = yaml.safe_dump(auto_approval_content(policy), sort_keys=True).encode()
    assert len(rendered) > 65536
    assert f"makes a {len(rendered)}-byte document" in jit({"autoApproval": {"policy": policy}})


def test_manual_policy_nits_identical_targets_and_duplicate_approvers_are_refused() -> None:
    """AWS ("Create approval policies for your nodes"): a node two manual policies apply
    to fails every request; identical targets are that for every node they name, always.
    A level asks one approval of its approvers: one listed twice is a mistake."""
    targets = [{"key": "Environment", "value": "production"}]
    policy = {"accessDurationHours": 1, "targets": targets, "levels": [LEVEL]}
    error = jit({"manualApprovals": [policy | {"name": "pol-a"}, policy | {"name": "pol-b"}]})
    assert "manualApprovals[1].targets: are manualApprovals[0]'s targets too" in error
    twice = {"approvers": [LEVEL["approvers"][0], LEVEL["approvers"][0]]}
    error = jit({"manualApprovals": [policy | {"name": "pol-a", "levels": [twice]}]})
    assert "IdentityStoreGroup g-approvers is listed twice" in error


def test_approvers_are_identity_center_users_and_groups_or_iam_users() -> None:
    """AWS, "Create manual approval policies": "Access request approvers can be IAM
    Identity Center users and groups or IAM users" (no roles)."""
    level = {"approvers": [{"type": "IamRole", "id": "Approver"}]}
    error = jit(
        {"manualApprovals": [{"name": "pol-a", "accessDurationHours": 1, "levels": [level]}]}
    )
    assert (
        "'IamRole' is not an approver type; AWS lets these approve: IdentityStoreUser (an "
        "IAM Identity Center user), IdentityStoreGroup (an IAM Identity Center group), "
        "IamUser (an IAM user)"
    ) in error


def test_the_access_duration_is_required() -> None:
    """AWS, "Create manual approval policies": "Enter a value for the Access duration ...
    between 1 and 336 hours"; the page gives no default, so the stack must say it."""
    error = jit({"manualApprovals": [{"name": "pol-a", "levels": [LEVEL]}]})
    assert "manualApprovals[0].accessDurationHours" in error
    assert (
        jit({"manualApprovals": [{"name": "pol-a", "levels": [LEVEL], "accessDurationHours": 8}]})
        == ""
    )


def test_the_everyone_to_production_check_tries_attributes_tags_and_groups() -> None:
    """AWS's schema (auto-approval-deny-access-policy-statement-structure.html) gives a
    user four optional attributes (employeeNumber, costCenter, organization, division)
    and the request context `iam.principalTags`: a policy that only asks that one of them
    exists, or matches any value, admits everyone who has it. Each must be flagged."""
    production = 'resource.hasTag("Environment") && resource.getTag("Environment") == "production"'
    for condition in (
        "principal has costCenter",
        'principal has employeeNumber && principal.employeeNumber like "*"',
        'context.iam.principalTags.hasTag("Team")',
        'principal has division && principal.division != "Finance"',
    ):
        policy = f"permit (principal, {ACTION}, resource) when {{ {condition} && {production} }};"
        error = jit({"autoApproval": {"policy": policy}})
        assert "auto-approves every principal (any group, any attribute" in error, condition
    # A specific value is a choice, not everyone.
    chosen = f"permit (principal, {ACTION}, resource) when {{ principal has costCenter && "
    chosen += f'principal.costCenter == "4711" && {production} }};'
    assert jit({"autoApproval": {"policy": chosen}}) == ""


def test_production_tag_values_are_tried_in_every_case_and_aws_spelling() -> None:
    """AWS's deny-access example (create-deny-access-policies.html) tags production
    `Environment: Production`; Cedar's `==` is case-sensitive, so the default `production`
    alone would miss a policy written for `Production` or `PROD`."""
    for value in ("Production", "PROD", "PRODUCTION", "prod"):
        policy = (
            f"permit (principal, {ACTION}, resource) when "
            f'{{ resource.hasTag("Environment") && resource.getTag("Environment") == "{value}" }};'
        )
        assert f"Environment={value}" in jit({"autoApproval": {"policy": policy}}), value


def test_a_syntax_error_names_the_line_of_the_offending_token() -> None:
    """cedarpy's parse errors carry no place; the check names the line the parser stops
    at (the first prefix of the statement that fails with the same error), not the line
    the statement starts on."""
    policy = (
        f"permit (principal, {ACTION}, resource);\n"
        "\n"
        "// a statement over several lines\n"
        "permit (\n"
        "    principal,\n"
        f"    {ACTION},\n"
        "    resource\n"
        ") when {\n"
        '    resource.hasTag("Environment") &&& true\n'
        "};\n"
    )
    error = jit({"autoApproval": {"policy": policy}})
    assert "line 9 of autoApproval.policy: Policy parse error" in error
