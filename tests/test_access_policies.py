"""Policies for people: sessions only with the checked documents, only one's own sessions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_lint import lint, sar_condition_keys
from session_manager import SessionManagerAccessPolicies
from session_manager.aws.central_log_policies import (
    access_log_bucket_policy,
    central_log_bucket_policy,
    central_log_key_policy,
)
from session_manager.aws.people_policies import (
    SessionUserPolicyInputs,
    instance_inventory_policy,
    own_session_statements,
    preferences_guard_policy,
    session_user_policy,
)
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, record_program, run_plan

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Statement"]}


def users_policy(**changes: Any) -> dict[str, Any]:
    inputs = {
        "partition": "aws",
        "account_id": ACCOUNT,
        "document_names": ["SSM-SessionManagerRunShell", "Team-Port"],
        **changes,
    }
    return session_user_policy(SessionUserPolicyInputs(**inputs))


def test_session_users_enforce_the_document_access_check() -> None:
    by_sid = statements(users_policy())
    nodes = by_sid["StartSessionsOnAllowedNodes"]
    assert nodes["Action"] == "ssm:StartSession"
    assert nodes["Resource"] == [
        f"arn:aws:ec2:*:{ACCOUNT}:instance/*",
        f"arn:aws:ssm:*:{ACCOUNT}:managed-instance/*",
    ]
    assert nodes["Condition"] == {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    documents = by_sid["StartSessionsWithAllowedDocuments"]
    assert documents["Resource"] == [
        f"arn:aws:ssm:*:{ACCOUNT}:document/SSM-SessionManagerRunShell",
        f"arn:aws:ssm:*:{ACCOUNT}:document/Team-Port",
    ]
    assert "kms:GenerateDataKey" not in json.dumps(by_sid)


# AWS Systems Manager user guide, "Additional sample IAM policies for Session Manager": an IAM
# user's session id is `<user name>-<random>` (session/${aws:username}-*); for federated ids the
# method is a condition on the session's tag aws:ssmmessages:session-id = ${aws:userid}. The
# quickstart end-user policy adds ssmmessages:OpenDataChannel on the user's own sessions.
OWN_ACTIONS = ["ssm:ResumeSession", "ssm:TerminateSession", "ssmmessages:OpenDataChannel"]
TAG_ACTIONS = ["ssm:ResumeSession", "ssm:TerminateSession"]
OWN_SIDS = ("OwnSessionsOfIamUsers", "OwnSessionsOfRoleSessions", "DataChannelsOfOwnRoleSessions")
# AWS's quickstart end-user policy grants ssmmessages:OpenDataChannel on
# `arn:aws:ssm:*:*:session/${aws:userid}-*` only: the caller's own sessions
# (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-restrict-access-quickstart.html).
QUICKSTART_DATA_CHANNEL = "session/${aws:userid}-*"
# A session id's suffix as AWS documents it: 17 characters ("John-07a16060613c408b5", AWS CLI
# ssm examples; "JohnDoe-1a2b3c4d5eEXAMPLE", user guide "About session ID ARN formats").
SUFFIX = "07a16060613c408b5"


def test_own_sessions_of_iam_users_and_role_sessions_by_default() -> None:
    by_sid = statements(users_policy())
    users = by_sid["OwnSessionsOfIamUsers"]
    assert users["Action"] == OWN_ACTIONS
    assert users["Resource"] == (
        f"arn:aws:ssm:*:{ACCOUNT}:session/${{aws:username}}-?????????????????"
    )
    assert "Condition" not in users
    roles = by_sid["OwnSessionsOfRoleSessions"]
    assert roles["Action"] == TAG_ACTIONS
    assert roles["Resource"] == f"arn:aws:ssm:*:{ACCOUNT}:session/*"
    assert roles["Condition"] == {
        "StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}
    }
    # The SAR lists no condition key for ssmmessages:OpenDataChannel, so the tag condition
    # would never match it: role sessions get it on their own session ARNs, as AWS's quickstart.
    channels = by_sid["DataChannelsOfOwnRoleSessions"]
    assert channels["Action"] == "ssmmessages:OpenDataChannel"
    # The quickstart's pattern, its `*` as the fixed-length suffix.
    assert channels["Resource"] == f"arn:aws:ssm:*:{ACCOUNT}:" + QUICKSTART_DATA_CHANNEL.replace(
        "*", "?" * len(SUFFIX)
    )
    assert "Condition" not in channels
    # No statement opens the data channel of every session unless asked (issue 21, point 10).
    for statement in by_sid.values():
        if "ssmmessages:OpenDataChannel" in json.dumps(statement["Action"]):
            assert not statement["Resource"].endswith(":session/*"), statement

    # Nothing else grants the session actions: no statement reaches others' sessions.
    for sid, statement in by_sid.items():
        if sid not in OWN_SIDS:
            assert not set(OWN_ACTIONS) & set(json.dumps(statement["Action"]).split('"'))


def test_data_channels_of_any_session_only_when_opted_in() -> None:
    broad = statements(users_policy(any_session_data_channel=True))["DataChannelsOfAnySession"]
    assert broad["Action"] == "ssmmessages:OpenDataChannel"
    assert broad["Resource"] == f"arn:aws:ssm:*:{ACCOUNT}:session/*"
    assert "DataChannelsOfAnySession" not in statements(users_policy())
    config = parse_stack_config(
        {
            "regions": ["us-east-1"],
            "accessPolicies": {"sessionUsers": {"anySessionDataChannel": True}},
        }
    )
    assert config.access_policies.session_users.any_session_data_channel is True
    with pytest.raises(ConfigError, match="anySessionDataChannel"):
        parse_stack_config(
            {
                "regions": ["us-east-1"],
                "accessPolicies": {"sessionUsers": {"anySessionDataChannel": "x"}},
            }
        )


def test_no_statement_conditions_an_action_on_a_key_it_does_not_carry() -> None:
    """A service-specific condition key the SAR doesn't list for an action is absent from the
    request, so a StringLike on it never matches and the statement grants that action nothing.
    """
    for methods in [("userName",), ("sessionTag",), ("userName", "sessionTag")]:
        for statement in own_session_statements("aws", ACCOUNT, methods):
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                for operator in statement.get("Condition", {}).values():
                    for key in operator:
                        if key.startswith("aws:"):
                            continue  # global keys are in every request
                        assert key in sar_condition_keys(action), (statement["Sid"], action, key)


def _matches(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


def _allowed(
    methods: tuple[str, ...], action: str, context: dict[str, str], arn: str, tag: str
) -> bool:
    """A small IAM evaluator for the own-session statements and one request."""
    for statement in own_session_statements("aws", ACCOUNT, methods):
        actions = statement["Action"]
        if action not in ([actions] if isinstance(actions, str) else actions):
            continue
        resource = statement["Resource"]
        if "${aws:username}" in resource:
            if "aws:username" not in context:
                continue  # IAM leaves the statement out when the variable has no value
            resource = resource.replace("${aws:username}", context["aws:username"])
        resource = resource.replace("${aws:userid}", context["aws:userid"])
        condition = statement.get("Condition", {}).get("StringLike", {})
        key = "ssm:resourceTag/aws:ssmmessages:session-id"
        if key in condition:
            if key not in sar_condition_keys(action):
                continue  # the request carries no such key: the condition is false
            if not _matches(condition[key].replace("${aws:userid}", context["aws:userid"]), tag):
                continue
        if _matches(resource, arn):
            return True
    return False


@pytest.mark.parametrize(
    ("context", "session_id", "tag", "expected"),
    [
        # An IAM user: aws:username is set, the id starts with it.
        (
            {"aws:username": "alice", "aws:userid": "AIDAEXAMPLE"},
            f"alice-{SUFFIX}",
            "AIDAEXAMPLE",
            True,
        ),
        # Someone else's session.
        ({"aws:username": "alice", "aws:userid": "AIDAEXAMPLE"}, f"bob-{SUFFIX}", "AIDABOB", False),
        # The attacker review: user alice must not reach user alice-admin's sessions, which
        # `session/${aws:username}-*` matched (alice lists their ids with DescribeSessions).
        (
            {"aws:username": "alice", "aws:userid": "AIDAEXAMPLE"},
            f"alice-admin-{SUFFIX}",
            "AIDAADMIN",
            False,
        ),
        # An IAM Identity Center user: no aws:username, the id starts with the role session name
        # (session-manager-plugin#39 shows `<email>-<hex>`), the tag holds the userid.
        (
            {"aws:userid": "AROAEXAMPLE:alice@example.com"},
            f"alice@example.com-{SUFFIX}",
            "AROAEXAMPLE:alice@example.com",
            True,
        ),
        (
            {"aws:userid": "AROAEXAMPLE:alice@example.com"},
            f"bob@example.com-{SUFFIX}",
            "AROAEXAMPLE:bob@example.com",
            False,
        ),
    ],
    ids=["iam-user", "iam-user-other", "iam-user-prefix", "role-session", "role-session-other"],
)
@pytest.mark.parametrize("methods", [("userName",), ("sessionTag",), ("userName", "sessionTag")])
def test_own_session_statements_match_whom_they_should(
    context: dict[str, str], session_id: str, tag: str, expected: bool, methods: tuple[str, ...]
) -> None:
    arn = f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/{session_id}"
    is_role = "aws:username" not in context
    covered = ("sessionTag" in methods) if is_role else True
    for action in TAG_ACTIONS:
        assert _allowed(methods, action, context, arn, tag) == (expected and covered), action
    # OpenDataChannel: an IAM user's own sessions by name; a role session's own sessions by the
    # quickstart's `${aws:userid}-*`, never anyone else's.
    data_channel = expected and not is_role and "userName" in methods
    assert _allowed(methods, "ssmmessages:OpenDataChannel", context, arn, tag) == data_channel
    own_by_userid = f"arn:aws:ssm:us-east-1:{ACCOUNT}:session/{context['aws:userid']}-{SUFFIX}"
    assert _allowed(methods, "ssmmessages:OpenDataChannel", context, own_by_userid, tag) == (
        "sessionTag" in methods
    )


def test_own_session_methods_are_checked() -> None:
    with pytest.raises(ValueError, match="own-session methods"):
        own_session_statements("aws", ACCOUNT, ())
    with pytest.raises(ValueError, match="own-session methods"):
        own_session_statements("aws", ACCOUNT, ("userId",))
    only_tag = statements(users_policy(own_session_methods=("sessionTag",)))
    assert "OwnSessionsOfIamUsers" not in only_tag
    assert "OwnSessionsOfRoleSessions" in only_tag
    china = statements(users_policy(partition="aws-cn"))["OwnSessionsOfRoleSessions"]
    assert china["Resource"] == f"arn:aws-cn:ssm:*:{ACCOUNT}:session/*"


def test_old_session_owner_variable_still_validates_and_says_what_it_became() -> None:
    def users(values: dict[str, Any]) -> Any:
        return parse_stack_config(
            {"regions": ["us-east-1"], "accessPolicies": {"sessionUsers": values}}
        ).access_policies.session_users

    assert users({}).own_sessions == ["userName", "sessionTag"]
    assert users({}).deprecation == ""
    by_name = users({"sessionOwnerVariable": "${aws:username}"})
    assert by_name.own_sessions == ["userName"]
    assert "ownSessions: [userName]" in by_name.deprecation
    by_id = users({"sessionOwnerVariable": "${aws:userid}"})
    assert by_id.own_sessions == ["sessionTag"]
    assert "ownSessions: [sessionTag]" in by_id.deprecation
    assert "sessionOwnerVariable is deprecated" in by_id.deprecation
    with pytest.raises(ConfigError, match="remove sessionOwnerVariable"):
        users({"sessionOwnerVariable": "${aws:userid}", "ownSessions": ["userName"]})
    with pytest.raises(ConfigError, match=r"\$\{aws:username\} or \$\{aws:userid\}"):
        users({"sessionOwnerVariable": "${aws:PrincipalTag/x}"})
    with pytest.raises(ConfigError, match="ownSessions"):
        users({"ownSessions": ["userid"]})


def test_instance_tags_aws_documents_and_session_keys() -> None:
    by_sid = statements(
        users_policy(
            instance_tags={"Environment": ["dev", "test"], "Team": ["platform"]},
            aws_document_names=["AWS-StartPortForwardingSession"],
            session_data_key_arns=[
                f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            ],
            session_data_key_aliases=["alias/session-manager/data"],
        )
    )
    assert by_sid["StartSessionsOnAllowedNodes"]["Condition"]["StringLike"] == {
        "ssm:resourceTag/Environment": ["dev", "test"],
        "ssm:resourceTag/Team": "platform",
    }
    assert (
        "arn:aws:ssm:*::document/AWS-StartPortForwardingSession"
        in (by_sid["StartSessionsWithAllowedDocuments"]["Resource"])
    )
    assert by_sid["EncryptSessionData"]["Action"] == "kms:GenerateDataKey"
    assert by_sid["EncryptSessionDataByAlias"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/session-manager/data"}
    }


def test_guard_denies_document_changes_to_all_but_the_deployers() -> None:
    (deny,) = preferences_guard_policy(
        "aws", ACCOUNT, ["SSM-SessionManagerRunShell"], ["arn:aws:iam::111122223333:role/Deployer"]
    )["Statement"]
    assert deny["Effect"] == "Deny"
    assert set(deny["Action"]) >= {"ssm:CreateDocument", "ssm:UpdateDocument", "ssm:DeleteDocument"}
    assert deny["Resource"] == f"arn:aws:ssm:*:{ACCOUNT}:document/SSM-SessionManagerRunShell"
    assert deny["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Deployer"}
    }


@pytest.mark.parametrize(
    ("policy", "kind"),
    [
        (users_policy(), "identity"),
        (
            users_policy(
                instance_tags={"Environment": ["dev"]},
                aws_document_names=["AWS-StartSSHSession"],
                session_data_key_arns=[
                    f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                ],
                session_data_key_aliases=["alias/session-manager/data"],
            ),
            "identity",
        ),
        (instance_inventory_policy(), "identity"),
        (
            preferences_guard_policy("aws", ACCOUNT, ["A-doc"], ["arn:aws:iam::*:role/Deploy*"]),
            "identity",
        ),
        (
            central_log_bucket_policy(
                partition="aws",
                bucket_name="org-logs",
                key_prefix="ssm",
                organization_id="o-exampleorg1",
                writer_role_names=["SessionManagerInstanceRole"],
            ),
            "resource",
        ),
        (
            central_log_key_policy(
                partition="aws",
                account_id="999999999999",
                region="us-east-1",
                bucket_name="org-logs",
                organization_id="o-exampleorg1",
            ),
            "key",
        ),
        (
            access_log_bucket_policy(
                partition="aws",
                bucket_name="org-logs-access-logs",
                source_bucket_name="org-logs",
                source_account_id="999999999999",
                prefix="access-logs/",
            ),
            "resource",
        ),
    ],
    ids=[
        "users",
        "users-full",
        "inventory",
        "guard",
        "central-bucket",
        "central-key",
        "access-log-bucket",
    ],
)
def test_parliament_finds_nothing_unaccepted(policy: dict[str, Any], kind: str) -> None:
    assert lint(policy, kind) == []


def run(args: dict[str, Any]) -> Plan:
    return record_program(
        lambda: SessionManagerAccessPolicies("people", {"account_id": ACCOUNT, **args}),  # type: ignore[typeddict-item]
        mocks=AwsMocks(account_id=ACCOUNT),
    )


def test_component_creates_named_policies_and_attachments() -> None:
    plan = run(
        {
            "document_names": ["SSM-SessionManagerRunShell"],
            "session_users_policy_name": "Users",
            "session_users_attachments": {"role_names": ["Ops"], "group_names": ["oncall"]},
            "instance_inventory_policy_name": "Inventory",
            "preferences_guard_policy_name": "Guard",
            "deployer_role_arns": ["arn:aws:iam::111122223333:role/Deployer"],
        }
    )
    names = {r.inputs["name"] for r in plan.of_type("aws:iam/policy:Policy")}
    assert names == {"Users", "Inventory", "Guard"}
    assert plan.named("people-session-users-role-Ops").inputs["role"] == "Ops"
    assert plan.named("people-session-users-group-oncall").inputs["group"] == "oncall"
    for resource in plan.of_type("aws:iam/policy:Policy"):
        assert resource.parent == plan.named("people").urn


def test_guard_without_deployers_is_refused() -> None:
    with pytest.raises(ConfigError, match="lock out every deployer"):
        parse_stack_config({"accessPolicies": {"preferencesGuard": {"create": True}}}, "us-east-1")


def test_guard_in_an_organization_keeps_each_accounts_deploy_role(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": "us-east-1",
        "session-manager:targets": [{"account": "111111111111"}],
        "session-manager:documents": [
            {
                "name": "Team-Port",
                "content": {"sessionType": "Port", "properties": {"portNumber": "22"}},
            }
        ],
        "session-manager:accessPolicies": {"preferencesGuard": {"create": True}},
    }
    (tmp_path / "Pulumi.org.yaml").write_text(yaml.safe_dump({"config": config}))
    plan = run_plan(tmp_path, "org")
    guard = json.loads(
        plan.named("session-manager-111111111111-access-policies-preferences-guard").inputs[
            "policy"
        ]
    )
    (deny,) = guard["Statement"]
    assert deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == (
        "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
    )
    assert deny["Resource"] == [
        "arn:aws:ssm:*:111111111111:document/SSM-SessionManagerRunShell",
        "arn:aws:ssm:*:111111111111:document/Team-Port",
    ]
    users = json.loads(
        plan.named("session-manager-111111111111-access-policies-session-users").inputs["policy"]
    )
    assert "document/Team-Port" in json.dumps(users)


def test_component_still_reads_the_old_session_owner_variable() -> None:
    def own(args: dict[str, Any]) -> list[str]:
        plan = run(
            {
                "document_names": ["SSM-SessionManagerRunShell"],
                "session_users_policy_name": "Users",
                **args,
            }
        )
        policy = json.loads(plan.named("people-session-users").inputs["policy"])
        return [s["Sid"] for s in policy["Statement"] if s["Sid"].startswith("OwnSessions")]

    assert own({}) == ["OwnSessionsOfIamUsers", "OwnSessionsOfRoleSessions"]
    assert own({"session_owner_variable": "${aws:userid}"}) == ["OwnSessionsOfRoleSessions"]
    assert own({"session_owner_variable": "${aws:username}"}) == ["OwnSessionsOfIamUsers"]
    assert own(
        {"own_session_methods": ["userName"], "session_owner_variable": "${aws:userid}"}
    ) == ["OwnSessionsOfIamUsers"]
    with pytest.raises(Exception, match="session_owner_variable must be one of"):
        own({"session_owner_variable": "${aws:PrincipalTag/x}"})
