"""IAM for the people who start sessions: users, inventory readers, and the preferences guard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from session_manager.aws.key_policies import session_key_statements
from session_manager.aws.policy_document import (
    Policy,
    Statement,
    document_arns,
    managed_node_arns,
    one_or_many,
    policy_document,
)

# --- Policies for people ------------------------------------------------------

# What session clients call to list and follow sessions. The Service Authorization Reference
# lists no resource type for these, so "*" is the only form.
SESSION_CLIENT_ACTIONS = (
    "ec2:DescribeInstances",
    "ssm:DescribeInstanceProperties",
    "ssm:DescribeSessions",
)
# What a person does with a session they started: reconnect (the plugin calls ResumeSession),
# end it (TerminateSession, also called when a session times out or a port forward closes), and
# open its data channel (AWS's quickstart end-user policy grants ssmmessages:OpenDataChannel on
# the user's own sessions; AWS's AmazonEKSLocalOutpostServiceRolePolicy grants it on session ARNs).
OWN_SESSION_ACTIONS = (
    "ssm:ResumeSession",
    "ssm:TerminateSession",
    "ssmmessages:OpenDataChannel",
)
# The actions whose Service Authorization Reference entry lists the session tag condition keys
# (`ssm:resourceTag/aws:ssmmessages:session-id`): only these can be scoped by the session tag.
SESSION_TAG_ACTIONS = ("ssm:ResumeSession", "ssm:TerminateSession")
# How a statement recognizes "own" sessions (AWS Systems Manager user guide, "Additional sample
# IAM policies for Session Manager"):
# - userName: an IAM user's session id is `<user name>-<suffix>`, so
#   `session/${aws:username}-<SESSION_ID_SUFFIX>`.
#   `${aws:username}` has no value for role sessions, so this matches no role or Identity Center
#   session.
# - sessionTag: every session carries the tag `aws:ssmmessages:session-id` whose value is the
#   starter's `${aws:userid}`; AWS's method for federated ids conditions on it. It covers role
#   sessions, IAM Identity Center users and federated users, whose session ids begin with the role
#   session name rather than anything a policy variable holds.
# A session id is `<caller name>-<suffix>`, the suffix 17 characters in every id AWS documents
# ("John-07a16060613c408b5" in the AWS CLI's ssm examples; "JohnDoe-1a2b3c4d5eEXAMPLE" in the
# user guide, "About session ID ARN formats"). A pattern `<name>-*` would also match another
# caller whose name merely starts with `<name>-` (user alice, alice-admin's sessions); one `?`
# per suffix character matches the caller's own ids only (IAM user guide, "IAM JSON policy
# elements: Resource": `?` matches any single character).
SESSION_ID_SUFFIX = "?" * 17
OWN_SESSIONS_BY_USER_NAME = "userName"
OWN_SESSIONS_BY_SESSION_TAG = "sessionTag"
OWN_SESSION_METHODS = (OWN_SESSIONS_BY_USER_NAME, OWN_SESSIONS_BY_SESSION_TAG)
# What the former single-variable option stood for: `${aws:userid}` never begins a session id,
# so its intent (role and Identity Center sessions) is the session-tag method.
OWNER_VARIABLE_METHODS = {
    "${aws:username}": OWN_SESSIONS_BY_USER_NAME,
    "${aws:userid}": OWN_SESSIONS_BY_SESSION_TAG,
}
DOCUMENT_CHANGE_ACTIONS = (
    "ssm:CreateDocument",
    "ssm:DeleteDocument",
    "ssm:UpdateDocument",
    "ssm:UpdateDocumentDefaultVersion",
    "ssm:UpdateDocumentMetadata",
)


@dataclass(frozen=True)
class SessionUserPolicyInputs:
    partition: str
    account_id: str
    # Documents this project manages in the account (preferences and custom ones).
    document_names: Sequence[str]
    aws_document_names: Sequence[str] = ()
    # Tag key -> allowed values; empty allows every instance.
    instance_tags: Mapping[str, Sequence[str]] = field(default_factory=dict[str, Sequence[str]])
    session_data_key_arns: Sequence[str] = ()
    session_data_key_aliases: Sequence[str] = ()
    # Which of OWN_SESSION_METHODS recognize a person's own sessions; both by default.
    own_session_methods: Sequence[str] = OWN_SESSION_METHODS
    # Opt-in: open the data channel of any session in the account (see own_session_statements).
    any_session_data_channel: bool = False


def session_user_policy(inputs: SessionUserPolicyInputs) -> Policy:
    """Lets people start sessions on the allowed nodes with the allowed documents, and no more.

    `ssm:SessionDocumentAccessCheck` makes StartSession check the user's access to
    the default preferences document, so nobody can pick a document that skips
    its logging. Users may end or resume only their own sessions.
    """
    p, account = inputs.partition, inputs.account_id
    node_condition: dict[str, Any] = {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    if inputs.instance_tags:
        node_condition["StringLike"] = {
            f"ssm:resourceTag/{key}": one_or_many(values)
            for key, values in sorted(inputs.instance_tags.items())
        }
    documents = document_arns(p, account, inputs.document_names) + sorted(
        f"arn:{p}:ssm:*::document/{name}" for name in set(inputs.aws_document_names)
    )
    statements: list[Statement] = [
        {
            "Sid": "StartSessionsOnAllowedNodes",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": managed_node_arns(p, account),
            "Condition": node_condition,
        },
        {
            "Sid": "StartSessionsWithAllowedDocuments",
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": one_or_many(documents),
            "Condition": {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}},
        },
        {
            "Sid": "FollowSessions",
            "Effect": "Allow",
            "Action": list(SESSION_CLIENT_ACTIONS),
            "Resource": "*",
        },
        {
            # The SAR lists the instance and managed-instance resource types for
            # ssm:GetConnectionStatus (and task, for ECS, which this project does not manage).
            "Sid": "CheckNodeConnections",
            "Effect": "Allow",
            "Action": "ssm:GetConnectionStatus",
            "Resource": managed_node_arns(p, account),
        },
    ]
    statements += own_session_statements(
        p, account, inputs.own_session_methods, any_data_channel=inputs.any_session_data_channel
    )
    statements += session_key_statements(
        "EncryptSessionData",
        "kms:GenerateDataKey",
        partition=p,
        account_id=account,
        key_arns=inputs.session_data_key_arns,
        key_aliases=inputs.session_data_key_aliases,
    )
    return policy_document(statements)


def own_session_statements(
    partition: str,
    account_id: str,
    methods: Sequence[str],
    *,
    any_data_channel: bool = False,
    data_channel: bool = True,
) -> list[Statement]:
    """Resume, end and open the data channel of one's own sessions, by each chosen method.

    `data_channel=False` leaves ssmmessages:OpenDataChannel out (resume and end only).

    `any_data_channel` adds ssmmessages:OpenDataChannel on every session of the account, for
    clients whose data-channel request the session tag condition does not match. The trade-off:
    anyone holding another person's session token (StartSession/ResumeSession hand it out) can
    then attach to that person's session.
    """
    unknown = sorted(set(methods) - set(OWN_SESSION_METHODS))
    if unknown or not methods:
        raise ValueError(f"own-session methods must be among {OWN_SESSION_METHODS}, got {methods}")
    sessions = f"arn:{partition}:ssm:*:{account_id}:session"
    statements: list[Statement] = []
    if OWN_SESSIONS_BY_USER_NAME in methods:
        statements.append(
            {
                "Sid": "OwnSessionsOfIamUsers",
                "Effect": "Allow",
                "Action": list(OWN_SESSION_ACTIONS if data_channel else SESSION_TAG_ACTIONS),
                "Resource": f"{sessions}/${{aws:username}}-{SESSION_ID_SUFFIX}",
            }
        )
    if OWN_SESSIONS_BY_SESSION_TAG in methods:
        statements.append(
            {
                "Sid": "OwnSessionsOfRoleSessions",
                "Effect": "Allow",
                "Action": list(SESSION_TAG_ACTIONS),
                "Resource": f"{sessions}/*",
                "Condition": {
                    "StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}
                },
            }
        )
    if OWN_SESSIONS_BY_SESSION_TAG in methods and data_channel:
        statements.append(
            {
                # The SAR lists no condition key for ssmmessages:OpenDataChannel, so the tag
                # condition above would never match it. AWS's quickstart end-user policy scopes
                # it by the session ARN instead, to `session/${aws:userid}-*` (here with the
                # fixed-length suffix, as for IAM users): the caller's own
                # sessions only (https://docs.aws.amazon.com/systems-manager/latest/userguide/
                # getting-started-restrict-access-quickstart.html).
                "Sid": "DataChannelsOfOwnRoleSessions",
                "Effect": "Allow",
                "Action": "ssmmessages:OpenDataChannel",
                "Resource": f"{sessions}/${{aws:userid}}-{SESSION_ID_SUFFIX}",
            }
        )
    if any_data_channel:
        statements.append(
            {
                "Sid": "DataChannelsOfAnySession",
                "Effect": "Allow",
                "Action": "ssmmessages:OpenDataChannel",
                "Resource": f"{sessions}/*",
            }
        )
    return statements


def instance_inventory_policy() -> Policy:
    """Read-only listing for clients that sync instances (no resource-level permissions)."""
    return policy_document(
        [
            {
                "Sid": "ListInstances",
                "Effect": "Allow",
                "Action": ["ec2:DescribeInstanceStatus", "ec2:DescribeInstances"],
                "Resource": "*",
            }
        ]
    )


def preferences_guard_policy(
    partition: str,
    account_id: str,
    document_names: Sequence[str],
    deployer_role_arns: Sequence[str],
) -> Policy:
    """Denies changing the managed documents to everyone but the deployer roles."""
    return policy_document(
        [
            {
                "Sid": "ManagedDocumentsChangeOnlyThroughCode",
                "Effect": "Deny",
                "Action": list(DOCUMENT_CHANGE_ACTIONS),
                "Resource": one_or_many(document_arns(partition, account_id, document_names)),
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": one_or_many(deployer_role_arns)}},
            }
        ]
    )
