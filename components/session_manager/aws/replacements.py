"""Which input changes make pulumi-aws delete and recreate a resource.

pulumi-aws is built from the Terraform AWS provider, so an input marked ForceNew
there (or RequiresReplace, in its framework resources) replaces the resource
when it changes. Sources, in hashicorp/terraform-provider-aws:

- every regional resource: `region` (internal/provider/sdkv2/region.go,
  forceNewIfRegionChanges), unless it only moves between unset and the
  provider's own Region;
- aws_ssm_document: `name` (internal/service/ssm/document.go);
- aws_iam_policy: `name`, `namePrefix`, `path`, `description`
  (internal/service/iam/policy.go);
- the others below: their schema's ForceNew arguments (RequiresReplace in the
  framework resources), file by file:
  iam/role.go, instance_profile.go, role_policy.go (name, name_prefix, role),
  role_policy_attachment.go, group_policy_attachment.go; kms/key.go, alias.go;
  logs/group.go (name, name_prefix, log_group_class); s3/bucket.go (bucket,
  bucket_prefix, object_lock_enabled) and every bucket_* configuration resource
  (bucket, expected_bucket_owner); events/rule.go (name, name_prefix,
  event_bus_name), target.go (rule, target_id, event_bus_name), connection.go
  (name), api_destination.go (name); cloudwatch/metric_alarm.go (alarm_name);
  sqs/queue.go (name, name_prefix, fifo_queue), queue_policy.go (queue_url);
  sns/topic.go (name, name_prefix, fifo_topic), topic_subscription.go (topic_arn,
  protocol, endpoint); ec2/vpc_endpoint.go; ec2/vpc_security_group.go (name,
  name_prefix, vpc_id, description); vpc/security_group_ingress_rule.go.

Every type the program can create has an entry, even with no replacing input but
`region`: tests/offline/test_diff.py fails on a type without one, so a new type is
looked up in its schema before it ships.

Keys are the engine's camelCase input names, as `plan --json` prints them; pulumi-aws
renames a few (alarm_name is `name`, a subscription's topic_arn is `topic`).
"""

from __future__ import annotations

REGION = "region"

_S3_BUCKET_CONFIGURATION = frozenset({"bucket", "expectedBucketOwner"})
_NAMED = frozenset({"name", "namePrefix"})

REPLACING_INPUTS: dict[str, frozenset[str]] = {
    "aws:ssm/document:Document": frozenset({"name"}),
    "aws:iam/policy:Policy": frozenset({"name", "namePrefix", "path", "description"}),
    "aws:iam/role:Role": frozenset({"name", "namePrefix", "path"}),
    "aws:iam/instanceProfile:InstanceProfile": frozenset({"name", "namePrefix", "path"}),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": frozenset({"role", "policyArn"}),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": frozenset({"group", "policyArn"}),
    "aws:kms/key:Key": frozenset({"customerMasterKeySpec", "keyUsage", "multiRegion"}),
    "aws:kms/alias:Alias": frozenset({"name", "namePrefix"}),
    "aws:iam/rolePolicy:RolePolicy": frozenset({"name", "namePrefix", "role"}),
    "aws:cloudwatch/logGroup:LogGroup": frozenset({"name", "namePrefix", "logGroupClass"}),
    "aws:s3/bucket:Bucket": frozenset({"bucket", "bucketPrefix", "objectLockEnabled"}),
    "aws:s3/bucketV2:BucketV2": frozenset({"bucket", "bucketPrefix", "objectLockEnabled"}),
    "aws:s3/bucketPolicy:BucketPolicy": frozenset({"bucket"}),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": frozenset({"bucket"}),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": frozenset({"bucket"}),
    "aws:s3/bucketLogging:BucketLogging": _S3_BUCKET_CONFIGURATION,
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": (
        _S3_BUCKET_CONFIGURATION | {"objectLockEnabled"}
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _S3_BUCKET_CONFIGURATION,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _S3_BUCKET_CONFIGURATION
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (_S3_BUCKET_CONFIGURATION),
    "aws:ec2/vpcEndpoint:VpcEndpoint": frozenset({"vpcId", "serviceName", "vpcEndpointType"}),
    # ec2/vpc_managed_prefix_list.go: only address_family is ForceNew; name, entries and
    # max_entries change in place (ModifyManagedPrefixList).
    "aws:ec2/managedPrefixList:ManagedPrefixList": frozenset({"addressFamily"}),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": frozenset({"securityGroupId"}),
    "aws:ec2/securityGroup:SecurityGroup": _NAMED | {"vpcId", "description"},
    "aws:cloudwatch/eventRule:EventRule": _NAMED | {"eventBusName"},
    "aws:cloudwatch/eventTarget:EventTarget": frozenset({"rule", "targetId", "eventBusName"}),
    "aws:cloudwatch/eventConnection:EventConnection": frozenset({"name"}),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": frozenset({"name"}),
    "aws:cloudwatch/metricAlarm:MetricAlarm": frozenset({"name"}),
    "aws:sqs/queue:Queue": _NAMED | {"fifoQueue"},
    "aws:sqs/queuePolicy:QueuePolicy": frozenset({"queueUrl"}),
    "aws:sns/topic:Topic": _NAMED | {"fifoTopic"},
    "aws:sns/topicSubscription:TopicSubscription": frozenset({"topic", "protocol", "endpoint"}),
    # aws-native's SDK marks the CloudFormation type's createOnlyProperties as
    # replaceOnChanges (pulumi_aws_native/ssm/document.py: documentType, name). The
    # program adds `content` (just_in_time_access.py), which `plan --json` records in the
    # resource's replaceOnChanges option; the diff reads that option too.
    "aws-native:ssm:Document": frozenset({"documentType", "name"}),
    # Providers are not diffed by the resource table: step_generator.go providerChanged.
    "pulumi:providers:aws": frozenset(),
    "pulumi:providers:aws-native": frozenset(),
}


def replaces(resource_type: str, key: str) -> bool:
    """Whether changing input `key` of a `resource_type` deletes and recreates it."""
    if key == REGION and resource_type.startswith("aws:"):
        return True
    return key in REPLACING_INPUTS.get(resource_type, frozenset())
