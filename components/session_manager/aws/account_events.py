"""EventBridge rules for the Organizations events that change which accounts a stack covers.

Pure builders: event patterns, the dispatch body template, and the IAM and queue
policies of `SessionManagerAccountEvents`. No Pulumi here.

What EventBridge delivers (AWS Organizations User Guide, "Logging API calls with
AWS CloudTrail"; EventBridge User Guide, "Events from AWS services"):

- Organizations is global: its events arrive in the partition's home Region
  (us-east-1 in the commercial partition), in the management account.
- API calls (MoveAccount, RemoveAccountFromOrganization, AcceptHandshake,
  CreateOrganizationalUnit, DeleteOrganizationalUnit) come as detail-type
  "AWS API Call via CloudTrail", failed calls included (they carry `errorCode`).
- CreateAccountResult is not an API call but a service event ("AWS Service Event
  via CloudTrail"); the new account is in
  `serviceEventDetails.createAccountStatus`, with state SUCCEEDED or FAILED.
- An invited account accepts in its own account: that AcceptHandshake is logged
  there, not in the management account, which gets AccountJoinedOrganization
  instead (Organizations API reference, AcceptHandshake). Both are matched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from session_manager.aws.key_policies import key_admin_statement
from session_manager.aws.policy_document import Policy, one_or_many, policy_document

SOURCE = "aws.organizations"
EVENT_SOURCE = "organizations.amazonaws.com"
API_CALL = "AWS API Call via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"
# EventBridge's default quota for one event pattern (raisable to 4096 on request).
MAX_PATTERN_CHARACTERS = 2048
# The workflow accountEvents starts, and the branch it runs from (GitHub REST API,
# "Create a workflow dispatch event": `ref` and `inputs`, which the workflow declares).
DEPLOY_WORKFLOW = "deploy.yml"
DEPLOY_REF = "main"
ORGANIZATIONS_HOME_REGIONS = {
    "aws": "us-east-1",
    "aws-us-gov": "us-gov-west-1",
    "aws-cn": "cn-northwest-1",
}
NOT_FAILED = {"errorCode": [{"exists": False}]}


@dataclass(frozen=True)
class EventRule:
    """One rule: its pattern and where, in the events it admits, the account id is."""

    role: str
    description: str
    pattern: dict[str, Any]
    # JSON path of the account the event is about; "" when the event names none.
    account_path: str

    @property
    def pattern_json(self) -> str:
        return render_pattern(self.pattern)


def render_pattern(pattern: Mapping[str, Any]) -> str:
    """Deterministic, compact JSON: the provider compares patterns as normalized JSON."""
    return json.dumps(pattern, sort_keys=True, separators=(",", ":"))


def _account_filter(excluded: Sequence[str]) -> list[Any]:
    return [{"anything-but": sorted(excluded)}] if excluded else [{"exists": True}]


def _parents(ou_ids: Sequence[str] | None) -> list[str] | None:
    if ou_ids is not None and not ou_ids:
        # EventBridge rejects an empty list of values in a pattern.
        raise ValueError("watch at least one organizational unit, or None for every one")
    return sorted(set(ou_ids)) if ou_ids is not None else None


def created_rule(excluded_accounts: Sequence[str] = ()) -> EventRule:
    return EventRule(
        role="created",
        description="A new account finished joining the organization (CreateAccountResult)",
        pattern={
            "source": [SOURCE],
            "detail-type": [SERVICE_EVENT],
            "detail": {
                "eventSource": [EVENT_SOURCE],
                "eventName": ["CreateAccountResult"],
                "serviceEventDetails": {
                    "createAccountStatus": {
                        "state": ["SUCCEEDED"],
                        "accountId": _account_filter(excluded_accounts),
                    }
                },
            },
        },
        account_path="$.detail.serviceEventDetails.createAccountStatus.accountId",
    )


def membership_rule(
    watched_ous: Sequence[str] | None, excluded_accounts: Sequence[str] = ()
) -> EventRule:
    """An account moved into or out of a watched OU, or was removed from the organization.

    `watched_ous` None: every move counts (a root is a target, or the list is too long).
    """
    account = {"accountId": _account_filter(excluded_accounts)}
    ous = _parents(watched_ous)
    move: dict[str, Any] = {"eventName": ["MoveAccount"], "requestParameters": dict(account)}
    if ous is not None:
        move["requestParameters"]["$or"] = [
            {"sourceParentId": ous},
            {"destinationParentId": ous},
        ]
    return EventRule(
        role="membership",
        description="An account moved between organizational units or left the organization",
        pattern={
            "source": [SOURCE],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": [EVENT_SOURCE],
                **NOT_FAILED,
                "$or": [
                    move,
                    {
                        "eventName": ["RemoveAccountFromOrganization"],
                        "requestParameters": dict(account),
                    },
                ],
            },
        },
        account_path="$.detail.requestParameters.accountId",
    )


def organization_rule(watched_ous: Sequence[str] | None) -> EventRule:
    """OUs created or deleted under a watched OU, and accepted invitations."""
    ous = _parents(watched_ous)
    create: dict[str, Any] = {"eventName": ["CreateOrganizationalUnit"]}
    delete: dict[str, Any] = {"eventName": ["DeleteOrganizationalUnit"]}
    if ous is not None:
        create["requestParameters"] = {"parentId": ous}
        delete["requestParameters"] = {"organizationalUnitId": ous}
    return EventRule(
        role="organization",
        description="Organizational units or invitations changed the organization's shape",
        pattern={
            "source": [SOURCE],
            "$or": [
                {
                    "detail-type": [API_CALL],
                    "detail": {
                        "eventSource": [EVENT_SOURCE],
                        **NOT_FAILED,
                        "$or": [create, delete, {"eventName": ["AcceptHandshake"]}],
                    },
                },
                {
                    "detail-type": [SERVICE_EVENT],
                    "detail": {
                        "eventSource": [EVENT_SOURCE],
                        "eventName": ["AccountJoinedOrganization", "AccountDepartedOrganization"],
                    },
                },
            ],
        },
        account_path="",
    )


def account_event_rules(
    watched_ous: Sequence[str] | None, excluded_accounts: Sequence[str] = ()
) -> tuple[list[EventRule], list[str]]:
    """The rules, and a warning for each rule whose OU filter had to be dropped."""
    warnings: list[str] = []
    rules = [created_rule(excluded_accounts)]
    builders: list[Callable[[Sequence[str] | None], EventRule]] = [
        lambda ous: membership_rule(ous, excluded_accounts),
        organization_rule,
    ]
    for build in builders:
        rule = build(watched_ous)
        if watched_ous is not None and len(rule.pattern_json) > MAX_PATTERN_CHARACTERS:
            warnings.append(
                f"accountEvents: the {rule.role} rule would list {len(set(watched_ous))} "
                f"organizational units, over EventBridge's {MAX_PATTERN_CHARACTERS}-character "
                "pattern quota; it matches those events in every organizational unit instead"
            )
            rule = build(None)
        rules.append(rule)
    return rules, warnings


def dispatch_input(rule: EventRule, stack: str) -> tuple[dict[str, str], str]:
    """InputPathsMap and InputTemplate for GitHub's workflow_dispatch body.

    `{"ref": "main", "inputs": {...}}` with exactly the inputs deploy.yml declares
    (`stack`, `event`, `account`): GitHub answers 422 to an input the workflow does not
    declare. Every path exists in every event the rule admits, so no variable is left
    unresolved. String variables are quoted; EventBridge escapes their values
    (EventBridge User Guide, "Amazon EventBridge input transformation").
    """
    paths = {"eventName": "$.detail.eventName"}
    if rule.account_path:
        paths["account"] = rule.account_path
    inputs = {
        "stack": stack,
        "event": "<eventName>",
        "account": "<account>" if rule.account_path else "",
    }
    body = {"ref": DEPLOY_REF, "inputs": inputs}
    return paths, json.dumps(body, sort_keys=True)


def github_dispatch_endpoint(repository: str) -> str:
    """GitHub REST API, "Create a workflow dispatch event" for deploy.yml of `owner/name`.

    A fine-grained token needs only the repository permission "Actions: write" for it,
    where "Create a repository dispatch event" needs "Contents: write", which can push.
    """
    return (
        f"https://api.github.com/repos/{repository}/actions/workflows/{DEPLOY_WORKFLOW}/dispatches"
    )


# Headers GitHub's REST API asks every caller to send.
GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


# --- Names and ARNs -----------------------------------------------------------


def rule_arn(partition: str, region: str, account_id: str, name: str) -> str:
    """A rule on the default event bus."""
    return f"arn:{partition}:events:{region}:{account_id}:rule/{name}"


def queue_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:sqs:{region}:{account_id}:{name}"


def api_destination_arns(partition: str, region: str, account_id: str, name: str) -> str:
    """Every version of one API destination (its ARN ends in a generated id)."""
    return f"arn:{partition}:events:{region}:{account_id}:api-destination/{name}/*"


# --- Policies -----------------------------------------------------------------


def events_trust_policy(*, account_id: str) -> Policy:
    """EventBridge may assume the role, for rules of this account only (confused deputy)."""
    return policy_document(
        [
            {
                "Sid": "EventBridgeRulesOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def invoke_api_destination_policy(
    *, partition: str, region: str, account_id: str, destination_name: str
) -> Policy:
    """The target's role may call this one API destination and nothing else."""
    return policy_document(
        [
            {
                "Sid": "InvokeTheDeployTrigger",
                "Effect": "Allow",
                "Action": "events:InvokeApiDestination",
                "Resource": api_destination_arns(partition, region, account_id, destination_name),
            }
        ]
    )


def dead_letter_queue_policy(
    *, partition: str, region: str, account_id: str, queue_name: str, rule_names: Sequence[str]
) -> Policy:
    """EventBridge may send the rules' failed deliveries; nobody may use plain HTTP.

    EventBridge User Guide, "Using dead-letter queues": the queue policy allows
    events.amazonaws.com sqs:SendMessage with aws:SourceArn set to the rule's ARN.
    """
    queue = queue_arn(partition, region, account_id, queue_name)
    return policy_document(
        [
            {
                "Sid": "FailedDeliveriesOfTheRules",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue,
                "Condition": {
                    "ArnEquals": {
                        "aws:SourceArn": one_or_many(
                            rule_arn(partition, region, account_id, name) for name in rule_names
                        )
                    }
                },
            },
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def alarm_topic_key_policy(*, partition: str, account_id: str) -> Policy:
    """Key of the alarm topic: CloudWatch alarms of this account may publish through it.

    CloudWatch cannot use the AWS managed key of SNS; an encrypted topic that alarms
    notify needs a customer managed key that lets cloudwatch.amazonaws.com use it
    (SNS Developer Guide, "Configure AWS KMS permissions for AWS services").
    """
    return policy_document(
        [
            key_admin_statement(partition, account_id),
            {
                "Sid": "CloudWatchAlarmsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ]
    )
