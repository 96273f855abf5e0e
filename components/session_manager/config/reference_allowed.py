"""What each config key allows, for the reference: the text it prints, and values that
tests load through the config loader (`valid` must load, `invalid` must be refused).

The formats are the validators' (config/fields.py and the models), in their words, with
lengths from the same botocore name shapes (aws/limits.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from session_manager.aws.jit import ACCESS_DURATION_HOURS, APPROVER_TYPES
from session_manager.aws.limits import (
    iam_group_names,
    iam_policy_names,
    iam_role_names,
    kms_alias_names,
    log_group_names,
)
from session_manager.aws.log_archive import MIN_AUDIT_RETENTION_DAYS, OBJECT_LOCK_MODES
from session_manager.aws.rules import (
    IDLE_SESSION_TIMEOUT_MINUTES,
    KMS_DELETION_WINDOW_DAYS,
    LOG_RETENTION_DAYS,
    MAX_SESSION_DURATION_MINUTES,
)
from session_manager.config.errors import NAMESPACE
from session_manager.config.shards import MAX_SHARDS


@dataclass(frozen=True)
class Allowed:
    """What a key accepts: the text the reference prints, and values tests load through
    the config loader (`valid` must load, `invalid` must be refused)."""

    text: str
    valid: tuple[Any, ...] = ()
    invalid: tuple[Any, ...] = ()


def _range(low: int, high: int) -> Allowed:
    return Allowed(f"{low} to {high}", (low, high), (low - 1, high + 1))


def _one_of(values: tuple[Any, ...], invalid: Any = "NOT-A-VALUE") -> Allowed:
    return Allowed(", ".join(f"`{v}`" for v in values), values, (invalid,))


def _listed(one: Allowed, text: str) -> Allowed:
    """A list of what `one` allows."""
    return Allowed(text, tuple([v] for v in one.valid), tuple([v] for v in one.invalid))


# Formats the validators in config/fields.py (and the models) check, in their words.
ACCOUNT_ID = Allowed("a 12-digit account id", ("222222222222",), ("2222",))
ACCOUNT_IDS = _listed(ACCOUNT_ID, "12-digit account ids")
ROLE_ARN = Allowed(
    "a role ARN, `arn:<partition>:iam::<account>:role/<name>`",
    ("arn:aws:iam::111111111111:role/PlatformDeployer",),
    ("PlatformDeployer",),
)
ROLE_NAME = Allowed(
    f"an IAM role name, {iam_role_names().lengths} of letters, digits, `+=,.@_-`",
    ("PlatformDeployer",),
    ("no spaces",),
)
ROLE_NAMES = _listed(
    ROLE_NAME, f"IAM role names, {iam_role_names().lengths} of letters, digits, `+=,.@_-`"
)
GROUP_NAMES = Allowed(
    f"IAM group names, {iam_group_names().lengths} of letters, digits, `+=,.@_-`",
    (["ops"],),
    (["no spaces"],),
)
POLICY_NAME = Allowed(
    f"an IAM policy name, {iam_policy_names().lengths} of letters, digits, `+=,.@_-`",
    ("MyPolicy",),
    ("no spaces",),
)
REGION = Allowed("a Region name botocore's partitions data lists", ("eu-west-1",), ("x",))
REGIONS = _listed(REGION, "Region names botocore's partitions data lists")
BUCKET_NAME = Allowed(
    "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and "
    "ending with a letter or digit, no reserved prefix or suffix",
    ("my-session-logs",),
    ("My_Bucket",),
)
KEY_PREFIX = Allowed("an S3 key prefix, not starting with `/`", ("logs",), ("/logs",))


def _new_alias(valid: str) -> Allowed:
    return Allowed(
        f"`alias/<name>` of letters, digits, `/_-`, at most {kms_alias_names().max_length} "
        "characters, not starting with `alias/aws/`, no other key's alias",
        (valid,),
        ("alias/aws/ssm", "session-key"),
    )


KMS_KEY_ARN = Allowed(
    "a KMS key ARN, `arn:<partition>:kms:<region>:<account>:key/<key id>`",
    ("arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",),
    ("alias/my-key",),
)


def _ec2_id(kind: str) -> Allowed:
    return Allowed(f"`{kind}-` and 8 or 17 hex digits", (f"{kind}-0123456789abcdef0",), (kind,))


P = f"{NAMESPACE}:"
# The example with policy files (docs load them from the repository root).
JIT_EXAMPLE_DIR = "examples/just-in-time"
# A just-in-time access statement AWS's Cedar schema accepts (config/jit.py checks it).
JIT_PERMIT = (
    'permit (principal in AWS::IdentityStore::Group::"on-call", '
    'action == AWS::SSM::Action::"getTokenForInstanceAccess", resource);'
)
# Keys whose values are limited beyond their type, with the limits the models enforce.
ALLOWED: dict[str, Allowed] = {
    f"{P}regions": Allowed(
        "Region names botocore's partitions data lists", (["us-east-1", "eu-west-1"],), (["x"],)
    ),
    f"{P}documentName": Allowed(
        "3-128 characters of `A-Za-z0-9_.-`; not starting with aws, amazon, amzn, AWSEC2, "
        "AWSConfigRemediation, AWSSupport",
        ("Team-Preferences",),
        ("ab", "aws-Preferences"),
    ),
    f"{P}preferences.idleSessionTimeout": _range(*IDLE_SESSION_TIMEOUT_MINUTES),
    f"{P}preferences.maxSessionDuration": _range(*MAX_SESSION_DURATION_MINUTES),
    f"{P}sessionDataKey.deletionWindowInDays": _range(*KMS_DELETION_WINDOW_DAYS),
    f"{P}logGroup.retentionInDays": Allowed(
        ", ".join(str(days) for days in LOG_RETENTION_DAYS) + " (0: never expire)",
        LOG_RETENTION_DAYS,
        (2, 366),
    ),
    f"{P}excludeAccounts": ACCOUNT_IDS,
    f"{P}offboardAccounts": ACCOUNT_IDS,
    f"{P}targets[].account": ACCOUNT_ID,
    f"{P}targets[].organizationalUnit": Allowed(
        "an OU id (`ou-` 4-32 and 8-32 lowercase letters or digits) or a root id (`r-...`)",
        ("ou-ab12-cdef3456", "r-ab12"),
        ("Engineering",),
    ),
    f"{P}targets[].regions": REGIONS,
    f"{P}targets[].roleArn": ROLE_ARN,
    f"{P}targets[].roleName": ROLE_NAME,
    f"{P}targets[].preferences": Allowed(
        "the keys of `preferences`, with their allowed values",
        ({"idleSessionTimeout": 10},),
        ({"idleSession": 10}, {"idleSessionTimeout": 0}),
    ),
    f"{P}excludeRegions": REGIONS,
    f"{P}defaultRoleName": ROLE_NAME,
    f"{P}tags": Allowed(
        "tag keys and values every tagged service accepts: letters, digits, spaces and "
        "`_ . : / = + - @`; no `aws:` prefix",
        ({"team": "platform"},),
        ({"aws:team": "x"}, {"team!": "x"}),
    ),
    f"{P}preferences.s3BucketName": BUCKET_NAME,
    f"{P}preferences.s3KeyPrefix": KEY_PREFIX,
    f"{P}preferences.cloudWatchLogGroupName": Allowed(
        f"a log group name, {log_group_names().lengths} characters of letters, digits, `.-_/#`",
        ("ssm-sessionmanager-logs",),
        ("no spaces",),
    ),
    f"{P}preferences.kmsKeyId": Allowed(
        "a key id, key ARN, alias name (`alias/...`) or alias ARN",
        ("alias/my-session-key", "1234abcd-12ab-34cd-56ef-1234567890ab"),
        ("my-session-key",),
    ),
    f"{P}preferences.runAsDefaultUser": Allowed(
        "a Linux user name: a letter or `_`, then up to 31 letters, digits, `_.-`",
        ("ops", "_svc.user"),
        ("1ops", "ops user"),
    ),
    f"{P}sessionDataKey.alias": _new_alias("alias/session-manager/data"),
    f"{P}logGroup.kmsKeyAlias": _new_alias("alias/session-manager/logs"),
    f"{P}logGroup.kmsKeyId": KMS_KEY_ARN,
    f"{P}s3Logging.bucketKmsKeyArn": KMS_KEY_ARN,
    f"{P}s3Logging.bucketAccountId": ACCOUNT_ID,
    f"{P}instanceAccess.policyName": POLICY_NAME,
    f"{P}instanceAccess.roleName": ROLE_NAME,
    f"{P}instanceAccess.attachToRoles": ROLE_NAMES,
    f"{P}centralLogging.account": ACCOUNT_ID,
    f"{P}centralLogging.roleArn": Allowed(
        ROLE_ARN.text + " in `centralLogging.account`",
        ("arn:aws:iam::999999999999:role/LogArchiveDeployer",),
        ("arn:aws:iam::111111111111:role/LogArchiveDeployer", "LogArchiveDeployer"),
    ),
    f"{P}centralLogging.region": REGION,
    f"{P}centralLogging.bucketName": BUCKET_NAME,
    f"{P}centralLogging.keyPrefix": KEY_PREFIX,
    f"{P}centralLogging.organizationId": Allowed(
        "`o-` and 10-32 lowercase letters or digits", ("o-exampleorg1",), ("exampleorg1",)
    ),
    f"{P}centralLogging.writerRoleNames": ROLE_NAMES,
    f"{P}centralLogging.transitionToGlacierAfterDays": Allowed(
        "0 or more, less than `expireAfterDays`", (0, 90), (-1, 2557)
    ),
    f"{P}centralLogging.noncurrentVersionExpireAfterDays": Allowed(
        "at least 1; at least `expireAfterDays` unless Object Lock keeps every version that long",
        (2557,),
        (0,),
    ),
    f"{P}centralLogging.kmsKeyAlias": _new_alias("alias/session-manager/central"),
    f"{P}centralLogging.objectLock.breakGlassRoleArn": ROLE_ARN,
    f"{P}centralLogging.objectLock.retentionDays": _range(1, 36500),
    f"{P}centralLogging.accessLogging.bucketName": BUCKET_NAME,
    f"{P}documents[].name": Allowed(
        "3-128 characters of `A-Za-z0-9_.-`; not starting with aws, amazon, amzn",
        ("Team-TailAgentLog",),
        ("ab", "AWS-TailAgentLog"),
    ),
    f"{P}documents[].tags": Allowed(
        "tag keys and values SSM accepts: letters, digits, spaces and `_ . : / = + - @`; "
        "no `aws:` prefix",
        ({"team": "platform"},),
        ({"aws:team": "x"},),
    ),
    f"{P}documents[].content": Allowed(
        "a Session document: `schemaVersion`, `description`, `sessionType`, `inputs`, "
        "`parameters`, `properties`",
        ({"sessionType": "Port", "properties": {"portNumber": "22"}},),
        ({"sessionType": "Shell"}, {"kind": "Port"}),
    ),
    f"{P}accessPolicies.sessionUsers.name": POLICY_NAME,
    f"{P}accessPolicies.sessionUsers.attachToRoles": ROLE_NAMES,
    f"{P}accessPolicies.sessionUsers.attachToGroups": GROUP_NAMES,
    f"{P}accessPolicies.sessionUsers.allowedAwsDocuments": Allowed(
        "names of AWS-owned documents, `AWS-` and 1-124 of `A-Za-z0-9_.-`",
        (["AWS-StartPortForwardingSession"],),
        (["Team-Shell"],),
    ),
    f"{P}accessPolicies.sessionUsers.sessionOwnerVariable": _one_of(
        ("${aws:username}", "${aws:userid}")
    ),
    f"{P}accessPolicies.instanceInventory.name": POLICY_NAME,
    f"{P}accessPolicies.instanceInventory.attachToRoles": ROLE_NAMES,
    f"{P}accessPolicies.instanceInventory.attachToGroups": GROUP_NAMES,
    f"{P}accessPolicies.preferencesGuard.name": POLICY_NAME,
    f"{P}accessPolicies.preferencesGuard.attachToRoles": ROLE_NAMES,
    f"{P}accessPolicies.preferencesGuard.attachToGroups": GROUP_NAMES,
    f"{P}accessPolicies.preferencesGuard.deployerRoleArns": _listed(ROLE_ARN, "role ARNs"),
    f"{P}accessPolicies.justInTimeRequesters.name": POLICY_NAME,
    f"{P}accessPolicies.justInTimeRequesters.attachToRoles": ROLE_NAMES,
    f"{P}accessPolicies.justInTimeRequesters.attachToGroups": GROUP_NAMES,
    f"{P}accessPolicies.justInTimeApprovers.name": POLICY_NAME,
    f"{P}accessPolicies.justInTimeApprovers.attachToRoles": ROLE_NAMES,
    f"{P}accessPolicies.justInTimeApprovers.attachToGroups": GROUP_NAMES,
    f"{P}vpcEndpoints[].account": ACCOUNT_ID,
    f"{P}vpcEndpoints[].region": Allowed(
        "a Region the stack manages: in `regions`, or a target's `regions`",
        ("us-east-1",),
        ("x", "eu-west-3"),
    ),
    f"{P}vpcEndpoints[].vpcId": _ec2_id("vpc"),
    f"{P}vpcEndpoints[].subnetIds": _listed(_ec2_id("subnet"), "`subnet-` ids"),
    f"{P}vpcEndpoints[].securityGroupId": _ec2_id("sg"),
    f"{P}vpcEndpoints[].routeTableIds": _listed(_ec2_id("rtb"), "`rtb-` ids"),
    f"{P}accountEvents.account": ACCOUNT_ID,
    f"{P}accountEvents.roleArn": ROLE_ARN,
    f"{P}accountEvents.repository": Allowed(
        "a GitHub repository, `owner/name`",
        ("example-org/session-manager-preferences",),
        ("session-manager-preferences",),
    ),
    f"{P}accountEvents.endpoint": Allowed(
        "an HTTPS URL", ("https://api.example.com/deploy",), ("http://api.example.com/deploy",)
    ),
    f"{P}accountEvents.apiKeyName": Allowed(
        "an HTTP header name: 1-256 letters, digits or ``!#$%&'*+.^_`|~-``",
        ("X-Api-Key",),
        ("X-Api:Key",),
    ),
    f"{P}accountEvents.basicAuthUsername": Allowed("no `:`", ("deployer",), ("de:ployer",)),
    f"{P}accountEvents.alarmTopicArn": Allowed(
        "an SNS topic ARN, `arn:<partition>:sns:<region>:<account>:<name>`",
        ("arn:aws:sns:us-east-1:111111111111:ops-alarms",),
        ("ops-alarms",),
    ),
    f"{P}accountEvents.alarmEmails": Allowed("email addresses", (["ops@example.com"],), (["ops"],)),
    f"{P}accountEvents.name": Allowed(
        "1-48 letters, digits, `._-`", ("session-manager-account-events",), ("a b",)
    ),
    f"{P}centralLogging.expireAfterDays": Allowed(
        f"at least {MIN_AUDIT_RETENTION_DAYS}, and more than `transitionToGlacierAfterDays`",
        (MIN_AUDIT_RETENTION_DAYS, 3653),
        (MIN_AUDIT_RETENTION_DAYS - 1,),
    ),
    # GOVERNANCE also needs `breakGlassRoleArn`: only COMPLIANCE loads on its own.
    f"{P}centralLogging.objectLock.mode": Allowed(
        ", ".join(f"`{m}`" for m in OBJECT_LOCK_MODES) + " (GOVERNANCE needs `breakGlassRoleArn`)",
        ("COMPLIANCE",),
        ("LEGAL_HOLD",),
    ),
    f"{P}documents[].documentFormat": _one_of(("JSON", "YAML")),
    f"{P}accessPolicies.sessionUsers.ownSessions": Allowed(
        "a list of `userName`, `sessionTag`", (["userName"], ["sessionTag"]), (["email"],)
    ),
    f"{P}accountEvents.invocationRateLimitPerSecond": _range(1, 300),
    f"{P}accountEvents.maximumRetryAttempts": _range(0, 185),
    f"{P}accountEvents.maximumEventAgeInSeconds": _range(60, 86400),
    f"{P}accountEvents.deadLetterRetentionDays": _range(1, 14),
    f"{P}shards.count": _range(1, MAX_SHARDS),
    f"{P}shards.maxAccountRegions": Allowed("1 or more", (1, 2000), (0,)),
    f"{P}shards.sharedStackReference": Allowed(
        "a stack reference, `[<organization>/[<project>/]]<stack>`",
        ("organization", "acme/session-manager/organization"),
        ("a/b/c/d", "org stack"),
    ),
    f"{P}justInTimeAccess.autoApproval.name": Allowed(
        "3-128 characters of `A-Za-z0-9_.-`; not starting with aws, amazon, amzn",
        ("Team-AutoApproval",),
        ("ab",),
    ),
    f"{P}justInTimeAccess.autoApproval.policy": Allowed(
        "Cedar `permit` statements AWS's just-in-time schema validates",
        (JIT_PERMIT,),
        ("permit (principal, action, resource) when { principal has nickname };",),
    ),
    f"{P}justInTimeAccess.denyAccess.account": ACCOUNT_ID,
    f"{P}justInTimeAccess.denyAccess.region": REGION,
    f"{P}justInTimeAccess.denyAccess.policy": Allowed(
        "Cedar `forbid` statements AWS's just-in-time schema validates",
        (JIT_PERMIT.replace("permit", "forbid"),),
        ("forbid (principal, action, resource) when { principal has nickname };",),
    ),
    f"{P}justInTimeAccess.autoApproval.policyFile": Allowed(
        "a file of Cedar `permit` statements, relative to the stack file's directory",
        (f"{JIT_EXAMPLE_DIR}/sandbox-auto-approval.cedar",),
        ("no-such-policy.cedar", JIT_EXAMPLE_DIR, f"{JIT_EXAMPLE_DIR}/deny-access.cedar"),
    ),
    f"{P}justInTimeAccess.denyAccess.policyFile": Allowed(
        "a file of Cedar `forbid` statements, relative to the stack file's directory",
        (f"{JIT_EXAMPLE_DIR}/deny-access.cedar",),
        ("no-such-policy.cedar", f"{JIT_EXAMPLE_DIR}/sandbox-auto-approval.cedar"),
    ),
    f"{P}justInTimeAccess.manualApprovals[].name": Allowed(
        "3-128 characters of `A-Za-z0-9_.-`; not starting with aws, amazon, amzn "
        "(it names the policy's document)",
        ("production",),
        ("db",),
    ),
    f"{P}justInTimeAccess.manualApprovals[].accessDurationHours": _range(*ACCESS_DURATION_HOURS),
    f"{P}justInTimeAccess.manualApprovals[].levels[].approvers[].type": _one_of(
        tuple(APPROVER_TYPES)
    ),
}

# A target's own approval policies take the stack's keys (config/jit.py
# TargetJustInTimeAccess): `targets[].justInTimeAccess.autoApproval...`.
TARGET_JIT = f"{P}targets[].justInTimeAccess."


def for_target_jit(table: dict[str, Any]) -> dict[str, Any]:
    """The entries of `table` for the stack's auto-approval and manual policies, keyed
    for a target's own."""
    stack = f"{P}justInTimeAccess."
    return {
        TARGET_JIT + key.removeprefix(stack): value
        for key, value in table.items()
        if key.startswith((f"{stack}autoApproval", f"{stack}manualApprovals"))
    }


ALLOWED.update(for_target_jit(ALLOWED))
