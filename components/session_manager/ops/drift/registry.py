"""Every resource type verify compares, and the types it deliberately leaves out."""

from __future__ import annotations

from session_manager.ops.drift import ec2, events, iam, jit, kms, logs, s3, ssm
from session_manager.ops.drift.compare import Check

CHECKS: dict[str, Check] = {
    **kms.CHECKS,
    **logs.CHECKS,
    **ssm.CHECKS,
    **iam.CHECKS,
    **s3.CHECKS,
    **ec2.CHECKS,
    **events.CHECKS,
    **jit.CHECKS,
}
# Account-wide resources: checked once per account, with its first Region.
GLOBAL_TYPES = frozenset(iam.CHECKS)
# Keys first: the other checks compare values that name them.
ORDER = (*kms.CHECKS, *[t for t in CHECKS if t not in kms.CHECKS])

# Planned types verify does not read back, and why.
NOT_COMPARED = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "names a security group that only a real account has"
    ),
}

# Per type, the planned inputs verify compares (each check's docstring says how), and
# those it cannot read back, with why. `region` is where each resource is read.
_TAGS = frozenset({"tags"})
COMPARED: dict[str, frozenset[str]] = {
    "aws:kms/key:Key": frozenset(
        {"policy", "enableKeyRotation", "description", "keyUsage", "customerMasterKeySpec"}
    )
    | _TAGS,
    "aws:kms/alias:Alias": frozenset({"name", "targetKeyId"}),
    "aws:cloudwatch/logGroup:LogGroup": frozenset(
        {"name", "kmsKeyId", "retentionInDays", "logGroupClass"}
    )
    | _TAGS,
    "aws:ssm/document:Document": frozenset(
        {"name", "content", "documentFormat", "documentType", "permissions"}
    )
    | _TAGS,
    "aws:ssm/parameter:Parameter": frozenset({"name", "type", "value"}),
    # Just-in-time approval policies (drift/jit.py): content as data, Cedar whitespace folded.
    "aws-native:ssm:Document": frozenset({"name", "content", "documentFormat", "documentType"}),
    "aws:iam/policy:Policy": frozenset({"name", "policy", "description", "path"}) | _TAGS,
    "aws:iam/role:Role": frozenset(
        {"name", "assumeRolePolicy", "description", "maxSessionDuration"}
    )
    | _TAGS,
    "aws:iam/instanceProfile:InstanceProfile": frozenset({"name", "role"}) | _TAGS,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": frozenset({"role", "policyArn"}),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": frozenset({"group", "policyArn"}),
    "aws:iam/rolePolicy:RolePolicy": frozenset({"role", "name", "policy"}),
    "aws:s3/bucket:Bucket": frozenset({"bucket", "objectLockEnabled"}) | _TAGS,
    "aws:s3/bucketPolicy:BucketPolicy": frozenset({"bucket", "policy"}),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        frozenset({"bucket", "rules"})
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": frozenset(
        {
            "bucket",
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        }
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": frozenset({"bucket", "rule"}),
    "aws:s3/bucketVersioning:BucketVersioning": frozenset({"bucket", "versioningConfiguration"}),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": frozenset(
        {"bucket", "rules"}
    ),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": frozenset(
        {"bucket", "objectLockEnabled", "rule"}
    ),
    "aws:s3/bucketLogging:BucketLogging": frozenset({"bucket", "targetBucket", "targetPrefix"}),
    "aws:ec2/vpcEndpoint:VpcEndpoint": frozenset(
        {
            "vpcId",
            "serviceName",
            "vpcEndpointType",
            "privateDnsEnabled",
            "subnetIds",
            "securityGroupIds",
            "routeTableIds",
        }
    )
    | _TAGS,
    "aws:ec2/managedPrefixList:ManagedPrefixList": frozenset(
        {"name", "addressFamily", "maxEntries", "entries"}
    )
    | _TAGS,
    "aws:sqs/queue:Queue": frozenset({"name", "messageRetentionSeconds", "sqsManagedSseEnabled"})
    | _TAGS,
    "aws:sqs/queuePolicy:QueuePolicy": frozenset({"queueUrl", "policy"}),
    "aws:cloudwatch/eventConnection:EventConnection": frozenset(
        {"name", "authorizationType", "description"}
    ),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": frozenset(
        {
            "name",
            "connectionArn",
            "httpMethod",
            "invocationEndpoint",
            "invocationRateLimitPerSecond",
            "description",
        }
    ),
    "aws:cloudwatch/eventRule:EventRule": frozenset(
        {"name", "eventPattern", "state", "description"}
    )
    | _TAGS,
    "aws:cloudwatch/eventTarget:EventTarget": frozenset(
        {
            "rule",
            "targetId",
            "arn",
            "deadLetterConfig",
            "inputTransformer",
            "retryPolicy",
            "roleArn",
        }
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": frozenset(
        {
            "name",
            "actionsEnabled",
            "alarmActions",
            "okActions",
            "alarmDescription",
            "comparisonOperator",
            "metricQueries",
            "dimensions",
            "evaluationPeriods",
            "metricName",
            "namespace",
            "period",
            "statistic",
            "threshold",
            "treatMissingData",
        }
    )
    | _TAGS,
    # kmsMasterKeyId: that a key is set (the plan holds the key's placeholder ARN).
    "aws:sns/topic:Topic": frozenset({"name", "kmsMasterKeyId"}) | _TAGS,
    "aws:sns/topicSubscription:TopicSubscription": frozenset({"topic", "protocol", "endpoint"}),
}
NOT_READ_BACK: dict[str, dict[str, str]] = {
    "aws:kms/key:Key": {
        "deletionWindowInDays": "KMS returns a deletion window only once deletion is scheduled",
    },
    "aws:cloudwatch/logGroup:LogGroup": {"skipDestroy": "the provider's own, not AWS's"},
    "aws:ssm/parameter:Parameter": {
        "overwrite": "the provider's own, not AWS's",
        "description": "not compared: no stack plans a parameter with one",
        "tier": "not compared: no stack plans a parameter with one",
    },
    "aws:s3/bucket:Bucket": {"forceDestroy": "the provider's own, not AWS's"},
    "aws-native:ssm:Document": {
        "updateMethod": "how CloudFormation applies an update (a new version), not a setting",
        "tags": "not compared: the approval policies' tags say nothing about who gets in",
    },
    "aws:cloudwatch/eventConnection:EventConnection": {
        "authParameters": (
            "EventBridge keeps the token in Secrets Manager and never returns it; the header "
            "name (apiKey.key) is compared with the component's api_key_name output"
        ),
    },
}
