"""Issue 22: hand-made drifts across every resource type, caught with 0 misreports.

One organization stack with every optional part (keys, log groups, preferences and a
custom document, instance role and policies, the central bucket with Object Lock,
lifecycle and access logging, accountEvents with its queue, rules, targets, alarm and
topic) is emulated on moto once. Each row of DRIFTS then changes one thing by hand, with
the API call an operator would use, each on a resource or field no other row touches.
One verify run must report exactly the rows' findings: each caught, with its severity,
and nothing else. The API each row calls is named in its comment (AWS API references).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from session_manager.offline.plan import Plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.drift.severity import (
    BREAKS_SESSIONS,
    COSMETIC,
    LOSES_LOGS,
    WEAKENS_SECURITY,
)
from session_manager.ops.verify import IN_SYNC, Report, verify
from whole_stack import (
    ALLOW_ALL,
    BUCKET,
    CENTRAL,
    CREDENTIALS,
    CUSTOM,
    EVENTS,
    HOME,
    MEMBER,
    OU_MEMBER,
    QUEUE,
    Aws,
    deployed_stack,
    widen_invoke_policy,
)

PREFS, ROLE = "SSM-SessionManagerRunShell", "SessionManagerInstanceRole"
ACCESS_LOGS = f"{BUCKET}-access-logs"


def _new_default_version(ssm: Any, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    content = json.loads(ssm.get_document(Name=name)["Content"])
    change(content)
    version = ssm.update_document(
        Name=name, Content=json.dumps(content), DocumentVersion="$LATEST"
    )["DocumentDescription"]["DocumentVersion"]
    ssm.update_document_default_version(Name=name, DocumentVersion=version)


# --- One function per hand-made drift.


def untag_document(aws: Aws) -> None:
    # SSM RemoveTagsFromResource
    aws("ssm", MEMBER).remove_tags_from_resource(
        ResourceType="Document", ResourceId=PREFS, TagKeys=["team"]
    )


def untag_key(aws: Aws) -> None:
    # KMS UntagResource
    key = aws.key("alias/session-manager/data", MEMBER, "us-east-1")["KeyId"]
    aws("kms", MEMBER).untag_resource(KeyId=key, TagKeys=["team"])


def shorten_retention(aws: Aws) -> None:
    # CloudWatch Logs PutRetentionPolicy
    aws("logs", MEMBER).put_retention_policy(
        logGroupName="ssm-sessionmanager-logs", retentionInDays=7
    )


def rotation_off(aws: Aws) -> None:
    # KMS DisableKeyRotation
    key = aws.key("alias/session-manager/logs", MEMBER, "us-east-1")["KeyId"]
    aws("kms", MEMBER).disable_key_rotation(KeyId=key)


def edit_custom_document(aws: Aws) -> None:
    # SSM UpdateDocument + UpdateDocumentDefaultVersion
    def change(content: dict[str, Any]) -> None:
        content["properties"]["linux"]["commands"] = "cat /etc/shadow"

    _new_default_version(aws("ssm", MEMBER), CUSTOM, change)


def edit_key_description(aws: Aws) -> None:
    # KMS UpdateKeyDescription: not a moved alias (issue 22's misreport)
    key = aws.key("alias/session-manager/data", MEMBER, "eu-west-1")["KeyId"]
    aws("kms", MEMBER, "eu-west-1").update_key_description(KeyId=key, Description="edited")


def move_alias_and_disable_key(aws: Aws) -> None:
    # KMS UpdateAlias, then DisableKey on the key the log group still uses by ARN
    kms = aws("kms", MEMBER, "eu-west-1")
    logs_key = aws.key("alias/session-manager/logs", MEMBER, "eu-west-1")["KeyId"]
    other = kms.create_key(Description="someone else's")["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName="alias/session-manager/logs", TargetKeyId=other)
    kms.disable_key(KeyId=logs_key)


def untag_log_group(aws: Aws) -> None:
    # CloudWatch Logs UntagLogGroup
    aws("logs", MEMBER, "eu-west-1").untag_log_group(
        logGroupName="ssm-sessionmanager-logs", tags=["team"]
    )


def share_publicly(aws: Aws) -> None:
    # SSM ModifyDocumentPermission
    aws("ssm", MEMBER, "eu-west-1").modify_document_permission(
        Name=PREFS, PermissionType="Share", AccountIdsToAdd=["All"]
    )


def untag_policy(aws: Aws) -> None:
    # IAM UntagPolicy
    arn = f"arn:aws:iam::{MEMBER}:policy/SessionManagerInstanceAccess"
    aws("iam", MEMBER).untag_policy(PolicyArn=arn, TagKeys=["team"])


def inline_backdoor(aws: Aws) -> None:
    # IAM PutRolePolicy
    aws("iam", MEMBER).put_role_policy(
        RoleName=ROLE, PolicyName="backdoor", PolicyDocument=json.dumps(ALLOW_ALL)
    )


def empty_instance_profile(aws: Aws) -> None:
    # IAM RemoveRoleFromInstanceProfile
    aws("iam", MEMBER).remove_role_from_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)


def widen_users_policy(aws: Aws) -> None:
    # IAM CreatePolicyVersion with SetAsDefault
    arn = f"arn:aws:iam::{MEMBER}:policy/SessionManagerSessionUsers"
    aws("iam", MEMBER).create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL), SetAsDefault=True
    )


def trust_anyone(aws: Aws) -> None:
    # IAM UpdateAssumeRolePolicy
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        ],
    }
    aws("iam", MEMBER).update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(trust))


def longer_idle_timeout(aws: Aws) -> None:
    # SSM UpdateDocument + UpdateDocumentDefaultVersion on the preferences
    def change(content: dict[str, Any]) -> None:
        content["inputs"]["idleSessionTimeout"] = "60"

    _new_default_version(aws("ssm", OU_MEMBER), PREFS, change)


def open_key_policy(aws: Aws) -> None:
    # KMS PutKeyPolicy
    key = aws.key("alias/session-manager/data", OU_MEMBER, "us-east-1")["KeyId"]
    opened = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
    }
    aws("kms", OU_MEMBER).put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(opened))


def version_not_default(aws: Aws) -> None:
    # SSM UpdateDocument without UpdateDocumentDefaultVersion
    ssm = aws("ssm", OU_MEMBER)
    content = json.loads(ssm.get_document(Name=CUSTOM)["Content"])
    content["description"] = "next"
    ssm.update_document(Name=CUSTOM, Content=json.dumps(content), DocumentVersion="$LATEST")


def delete_log_group(aws: Aws) -> None:
    # CloudWatch Logs DeleteLogGroup
    aws("logs", OU_MEMBER).delete_log_group(logGroupName="ssm-sessionmanager-logs")


def delete_alias(aws: Aws) -> None:
    # KMS DeleteAlias: the key is still found through the log group that uses it
    aws("kms", OU_MEMBER, "eu-west-1").delete_alias(AliasName="alias/session-manager/logs")


def attach_admin(aws: Aws) -> None:
    # IAM AttachRolePolicy
    iam = aws("iam", OU_MEMBER)
    arn = iam.create_policy(PolicyName="Everything", PolicyDocument=json.dumps(ALLOW_ALL))
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn["Policy"]["Arn"])


def detach_instance_policy(aws: Aws) -> None:
    # IAM DetachRolePolicy
    aws("iam", OU_MEMBER).detach_role_policy(
        RoleName=ROLE, PolicyArn=f"arn:aws:iam::{OU_MEMBER}:policy/SessionManagerInstanceAccess"
    )


def delete_preferences(aws: Aws) -> None:
    # SSM DeleteDocument
    aws("ssm", OU_MEMBER, "eu-west-1").delete_document(Name=PREFS)


def schedule_key_deletion(aws: Aws) -> None:
    # KMS ScheduleKeyDeletion
    key = aws.key("alias/session-manager/data", OU_MEMBER, "eu-west-1")["KeyId"]
    aws("kms", OU_MEMBER, "eu-west-1").schedule_key_deletion(KeyId=key, PendingWindowInDays=7)


def delete_bucket_policy(aws: Aws) -> None:
    # S3 DeleteBucketPolicy
    aws("s3", CENTRAL).delete_bucket_policy(Bucket=BUCKET)


def suspend_versioning(aws: Aws) -> None:
    # S3 PutBucketVersioning
    aws("s3", CENTRAL).put_bucket_versioning(
        Bucket=ACCESS_LOGS, VersioningConfiguration={"Status": "Suspended"}
    )


def shorten_lifecycle(aws: Aws) -> None:
    # S3 PutBucketLifecycleConfiguration
    s3 = aws("s3", CENTRAL)
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    rules[0]["NoncurrentVersionExpiration"] = {"NoncurrentDays": 30}
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": rules})


def shorten_object_lock(aws: Aws) -> None:
    # S3 PutObjectLockConfiguration
    aws("s3", CENTRAL).put_object_lock_configuration(
        Bucket=BUCKET,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )


def stop_access_logging(aws: Aws) -> None:
    # S3 PutBucketLogging with an empty status
    aws("s3", CENTRAL).put_bucket_logging(Bucket=BUCKET, BucketLoggingStatus={})


def remove_bucket_encryption(aws: Aws) -> None:
    # S3 DeleteBucketEncryption: one cause, found in the central account and in every
    # account-Region whose preferences require an encrypted bucket.
    aws("s3", CENTRAL).delete_bucket_encryption(Bucket=BUCKET)


def allow_public_policy(aws: Aws) -> None:
    # S3 PutPublicAccessBlock
    aws("s3", CENTRAL).put_public_access_block(
        Bucket=ACCESS_LOGS,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True,
        },
    )


def object_writer(aws: Aws) -> None:
    # S3 PutBucketOwnershipControls
    aws("s3", CENTRAL).put_bucket_ownership_controls(
        Bucket=BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )


def untag_bucket(aws: Aws) -> None:
    # S3 DeleteBucketTagging
    aws("s3", CENTRAL).delete_bucket_tagging(Bucket=ACCESS_LOGS)


def central_rotation_off(aws: Aws) -> None:
    # KMS DisableKeyRotation
    key = aws.key("alias/session-manager/central-logs", CENTRAL, "us-east-1")["KeyId"]
    aws("kms", CENTRAL).disable_key_rotation(KeyId=key)


def disable_central_key(aws: Aws) -> None:
    # KMS DisableKey: every archived log becomes unreadable (issue 21 review)
    key = aws.key("alias/session-manager/central-logs", CENTRAL, "us-east-1")["KeyId"]
    aws("kms", CENTRAL).disable_key(KeyId=key)


def open_dead_letter_queue(aws: Aws) -> None:
    # SQS SetQueueAttributes (Policy): issue 22, read as in sync before
    sqs = aws("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": arn},
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})


def dead_letters_waiting(aws: Aws) -> None:
    # SQS SendMessage: an event EventBridge could not deliver (issue 19)
    sqs = aws("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"], MessageBody="{}")


def untag_queue(aws: Aws) -> None:
    # SQS UntagQueue
    sqs = aws("sqs")
    sqs.untag_queue(QueueUrl=sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"], TagKeys=["team"])


def disable_rule(aws: Aws) -> None:
    # EventBridge DisableRule
    aws("events").disable_rule(Name=f"{EVENTS}-created")


def remove_target(aws: Aws) -> None:
    # EventBridge RemoveTargets
    aws("events").remove_targets(Rule=f"{EVENTS}-membership", Ids=["deploy-trigger"])


def retarget_pattern(aws: Aws) -> None:
    # EventBridge PutRule with another pattern (PutRule keeps no omitted value: the
    # description is passed again so that the pattern is the only change)
    events = aws("events")
    name = f"{EVENTS}-organization"
    events.put_rule(
        Name=name,
        EventPattern=json.dumps({"source": ["aws.organizations"]}),
        Description=events.describe_rule(Name=name)["Description"],
    )


def disable_alarm_actions(aws: Aws) -> None:
    # CloudWatch DisableAlarmActions: the actions stay listed but never run
    aws("cloudwatch").disable_alarm_actions(AlarmNames=[f"{EVENTS}-failed-invocations"])


def rename_api_key_header(aws: Aws) -> None:
    # EventBridge UpdateConnection: the token is sent in another header (DescribeConnection
    # returns AuthParameters.ApiKeyAuthParameters.ApiKeyName, never the value)
    aws("events").update_connection(
        Name=f"{EVENTS}-connection",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "X-Other", "ApiKeyValue": "v"}},
    )


def silence_alarm(aws: Aws) -> None:
    # CloudWatch PutMetricAlarm, same alarm without actions
    cloudwatch = aws("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=[f"{EVENTS}-failed-deliveries"])["MetricAlarms"][
        0
    ]
    cloudwatch.put_metric_alarm(
        AlarmName=alarm["AlarmName"],
        Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"],
        Dimensions=alarm.get("Dimensions", []),
        Statistic=alarm["Statistic"],
        Period=alarm["Period"],
        EvaluationPeriods=alarm["EvaluationPeriods"],
        Threshold=alarm["Threshold"],
        ComparisonOperator=alarm["ComparisonOperator"],
        AlarmDescription=alarm.get("AlarmDescription", ""),
        OKActions=alarm.get("OKActions", []),
        TreatMissingData=alarm.get("TreatMissingData", "missing"),
        Tags=cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"],
        AlarmActions=[],
    )


def unencrypt_topic(aws: Aws) -> None:
    # SNS SetTopicAttributes (KmsMasterKeyId empty turns SSE off)
    sns = aws("sns")
    arn = next(
        t["TopicArn"]
        for t in sns.list_topics()["Topics"]
        if t["TopicArn"].endswith(f"{EVENTS}-failed-deliveries")
    )
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="")


def disable_alarms_key(aws: Aws) -> None:
    # KMS DisableKey on the alarm topic's key: SNS then refuses Publish (SNS API reference,
    # Publish, error KMSDisabled), so alarms go unheard, as with their actions disabled.
    key = aws.key(f"alias/{EVENTS}-alarms", HOME, "us-east-1")["KeyId"]
    aws("kms").disable_key(KeyId=key)


MEMBER_US, MEMBER_EU = f"{MEMBER} us-east-1", f"{MEMBER} eu-west-1"
OU_US, OU_EU = f"{OU_MEMBER} us-east-1", f"{OU_MEMBER} eu-west-1"
CENTRAL_US, HOME_US = f"{CENTRAL} us-east-1", f"{HOME} us-east-1"
DATA, LOGS = "kms key alias/session-manager/data", "kms key alias/session-manager/logs"
PREFS_DOC, CUSTOM_DOC = f"document {PREFS}", f"document {CUSTOM}"
LOG_GROUP = "log group ssm-sessionmanager-logs"
CENTRAL_BUCKET, ACCESS_BUCKET = f"bucket {BUCKET}", f"bucket {ACCESS_LOGS}"
Row = tuple[Callable[[Aws], None], list[tuple[str, str, str, str]]]
# (inject, [(target, resource, field, severity), ...]): every finding the drift causes.
DRIFTS: list[Row] = [
    (untag_document, [(MEMBER_US, PREFS_DOC, "tags.team", COSMETIC)]),
    (untag_key, [(MEMBER_US, DATA, "tags.team", COSMETIC)]),
    (shorten_retention, [(MEMBER_US, LOG_GROUP, "retentionInDays", LOSES_LOGS)]),
    (rotation_off, [(MEMBER_US, LOGS, "enableKeyRotation", WEAKENS_SECURITY)]),
    (
        edit_custom_document,
        [(MEMBER_US, CUSTOM_DOC, "properties.linux.commands", BREAKS_SESSIONS)],
    ),
    (edit_key_description, [(MEMBER_EU, DATA, "description", COSMETIC)]),
    (
        move_alias_and_disable_key,
        [
            (MEMBER_EU, "kms alias alias/session-manager/logs", "targetKeyId", WEAKENS_SECURITY),
            # Only the log group uses the key: sessions start, their logs are lost
            # (amazon-ssm-agent agent/session/shell/shell.go, validate).
            (MEMBER_EU, LOGS, "keyState", LOSES_LOGS),
        ],
    ),
    (untag_log_group, [(MEMBER_EU, LOG_GROUP, "tags.team", COSMETIC)]),
    (share_publicly, [(MEMBER_EU, PREFS_DOC, "permissions.accountIds", WEAKENS_SECURITY)]),
    (
        untag_policy,
        [(MEMBER_EU, "iam policy SessionManagerInstanceAccess", "tags.team", COSMETIC)],
    ),
    (inline_backdoor, [(MEMBER_EU, f"iam role {ROLE}", "inlinePolicies", WEAKENS_SECURITY)]),
    (
        empty_instance_profile,
        [(MEMBER_EU, f"iam instance profile {ROLE}", "role", BREAKS_SESSIONS)],
    ),
    (
        widen_users_policy,
        [(MEMBER_EU, "iam policy SessionManagerSessionUsers", "policy", WEAKENS_SECURITY)],
    ),
    (trust_anyone, [(MEMBER_EU, f"iam role {ROLE}", "assumeRolePolicy", WEAKENS_SECURITY)]),
    (longer_idle_timeout, [(OU_US, PREFS_DOC, "inputs.idleSessionTimeout", WEAKENS_SECURITY)]),
    (open_key_policy, [(OU_US, DATA, "policy", WEAKENS_SECURITY)]),
    (
        version_not_default,
        # Sessions started with --document-name run the latest version
        # (aws/session-manager-plugin#112): its content is compared too.
        [
            (OU_US, CUSTOM_DOC, "defaultVersion", WEAKENS_SECURITY),
            (OU_US, f"{CUSTOM_DOC} $LATEST", "description", COSMETIC),
        ],
    ),
    (delete_log_group, [(OU_US, LOG_GROUP, "logGroup", BREAKS_SESSIONS)]),
    # The log group names the key by ARN and no policy grants it by the alias.
    (delete_alias, [(OU_EU, "kms alias alias/session-manager/logs", "alias", COSMETIC)]),
    (attach_admin, [(OU_EU, f"iam role {ROLE}", "attachedPolicies", WEAKENS_SECURITY)]),
    (detach_instance_policy, [(OU_EU, f"iam role {ROLE}", "attachedPolicy", BREAKS_SESSIONS)]),
    (delete_preferences, [(OU_EU, PREFS_DOC, "document", LOSES_LOGS)]),
    (schedule_key_deletion, [(OU_EU, DATA, "keyState", BREAKS_SESSIONS)]),
    (delete_bucket_policy, [(CENTRAL_US, CENTRAL_BUCKET, "policy", LOSES_LOGS)]),
    (
        suspend_versioning,
        [(CENTRAL_US, ACCESS_BUCKET, "versioningConfiguration.status", LOSES_LOGS)],
    ),
    (
        shorten_lifecycle,
        [
            (
                CENTRAL_US,
                CENTRAL_BUCKET,
                "rules[0].noncurrentVersionExpiration.noncurrentDays",
                LOSES_LOGS,
            )
        ],
    ),
    (
        shorten_object_lock,
        # The stack locks in COMPLIANCE mode (issue 21): GOVERNANCE for 1 day is a shorter
        # lock, another mode, and a lock that s3:BypassGovernanceRetention lifts.
        [
            # One cause, one finding (the weaker protection is the same cause).
            (CENTRAL_US, CENTRAL_BUCKET, "rule.defaultRetention", LOSES_LOGS),
        ],
    ),
    (stop_access_logging, [(CENTRAL_US, CENTRAL_BUCKET, "logging", LOSES_LOGS)]),
    (
        remove_bucket_encryption,
        [
            # S3 falls back to SSE-S3, which the agent accepts: weaker, sessions go on.
            (CENTRAL_US, CENTRAL_BUCKET, "encryption", WEAKENS_SECURITY),
            # The preferences' own check, once per account-Region that requires it
            # (not the one whose preferences were deleted): one finding with the bucket's.
            (MEMBER_US, CENTRAL_BUCKET, "encryption", WEAKENS_SECURITY),
            (MEMBER_EU, CENTRAL_BUCKET, "encryption", WEAKENS_SECURITY),
            (OU_US, CENTRAL_BUCKET, "encryption", WEAKENS_SECURITY),
        ],
    ),
    (allow_public_policy, [(CENTRAL_US, ACCESS_BUCKET, "blockPublicPolicy", WEAKENS_SECURITY)]),
    (object_writer, [(CENTRAL_US, CENTRAL_BUCKET, "rule.objectOwnership", WEAKENS_SECURITY)]),
    (untag_bucket, [(CENTRAL_US, ACCESS_BUCKET, "tags.team", COSMETIC)]),
    (
        disable_central_key,
        [(CENTRAL_US, "kms key alias/session-manager/central-logs", "keyState", LOSES_LOGS)],
    ),
    (
        central_rotation_off,
        [
            (
                CENTRAL_US,
                "kms key alias/session-manager/central-logs",
                "enableKeyRotation",
                WEAKENS_SECURITY,
            )
        ],
    ),
    (open_dead_letter_queue, [(HOME_US, f"sqs queue {QUEUE}", "policy", WEAKENS_SECURITY)]),
    (
        dead_letters_waiting,
        [(HOME_US, f"sqs queue {QUEUE}", "approximateNumberOfMessages", LOSES_LOGS)],
    ),
    (untag_queue, [(HOME_US, f"sqs queue {QUEUE}", "tags.team", COSMETIC)]),
    (disable_rule, [(HOME_US, f"events rule {EVENTS}-created", "state", LOSES_LOGS)]),
    (
        remove_target,
        [(HOME_US, f"events target {EVENTS}-membership/deploy-trigger", "exists", LOSES_LOGS)],
    ),
    (
        retarget_pattern,
        [(HOME_US, f"events rule {EVENTS}-organization", "eventPattern", LOSES_LOGS)],
    ),
    (
        silence_alarm,
        [(HOME_US, f"cloudwatch alarm {EVENTS}-failed-deliveries", "alarmActions", LOSES_LOGS)],
    ),
    (
        disable_alarm_actions,
        [(HOME_US, f"cloudwatch alarm {EVENTS}-failed-invocations", "actionsEnabled", LOSES_LOGS)],
    ),
    (
        rename_api_key_header,
        [
            (
                HOME_US,
                f"events connection {EVENTS}-connection",
                "authParameters.apiKey.key",
                LOSES_LOGS,
            )
        ],
    ),
    (
        unencrypt_topic,
        [(HOME_US, f"sns topic {EVENTS}-failed-deliveries", "encrypted", WEAKENS_SECURITY)],
    ),
    (
        disable_alarms_key,
        [(HOME_US, f"kms key alias/{EVENTS}-alarms", "keyState", LOSES_LOGS)],
    ),
    (
        widen_invoke_policy,
        [
            (
                HOME_US,
                f"iam role policy {EVENTS}-invoke/invoke-deploy-trigger",
                "actions",
                WEAKENS_SECURITY,
            )
        ],
    ),
]


def found(report: Report) -> set[tuple[str, str, str, str]]:
    return {(r.target, d.resource, d.field, d.severity) for r in report.results for d in r.drifts}


@pytest.fixture(scope="module")
def deployed(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Aws]:
    return deployed_stack(moto_server, tmp_path_factory.mktemp("drift-table"))


def test_the_table_holds_at_least_40_drifts_across_every_family() -> None:
    assert len(DRIFTS) >= 40
    resources = {resource.split(" ")[0] for _, rows in DRIFTS for _, resource, _, _ in rows}
    assert {"document", "kms", "log", "iam", "bucket", "sqs", "events", "cloudwatch", "sns"} <= (
        resources
    )


def test_every_hand_made_drift_is_caught_and_nothing_else(deployed: tuple[Plan, Aws]) -> None:
    plan, aws = deployed
    access = AwsAccess(aws.url, credentials=CREDENTIALS)
    before = verify(plan, access)
    assert before.exit_code == IN_SYNC, sorted(found(before))
    for inject, _ in DRIFTS:
        inject(aws)
    report = verify(plan, access)
    assert not [r.error for r in report.results if r.error]
    expected = {row for _, rows in DRIFTS for row in rows}
    caught = found(report)
    assert sorted(expected - caught) == [], f"not caught: {sorted(expected - caught)}"
    assert sorted(caught - expected) == [], f"misreported: {sorted(caught - expected)}"
    # The removed encryption is one finding per cause: the bucket's and the member
    # accounts' lines are one, with one id and one severity.
    lines = [
        f
        for f in report.findings
        if (f.drift.resource, f.drift.field) == (CENTRAL_BUCKET, "encryption")
    ]
    assert len(lines) == 1
    assert sorted(lines[0].targets) == sorted([CENTRAL_US, MEMBER_US, MEMBER_EU, OU_US])
    # Every finding's id is its own (one id per cause).
    ids = [f.id for f in report.findings]
    assert len(ids) == len(set(ids))
    assert report.exit_code == 4
