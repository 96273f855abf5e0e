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
- the others below: their schema's ForceNew identity arguments (internal/service/
  iam/role.go, instance_profile.go, role_policy_attachment.go,
  group_policy_attachment.go; kms/key.go, alias.go; logs/group.go; s3/bucket.go and
  the bucket_* configuration resources; ec2/vpc_endpoint.go;
  vpc/security_group_ingress_rule.go).

Keys are the engine's camelCase input names, as `plan --json` prints them.
"""

from __future__ import annotations

REGION = "region"

_S3_BUCKET_CONFIGURATION = frozenset({"bucket", "expectedBucketOwner"})

REPLACING_INPUTS: dict[str, frozenset[str]] = {
    "aws:ssm/document:Document": frozenset({"name"}),
    "aws:iam/policy:Policy": frozenset({"name", "namePrefix", "path", "description"}),
    "aws:iam/role:Role": frozenset({"name", "namePrefix", "path"}),
    "aws:iam/instanceProfile:InstanceProfile": frozenset({"name", "namePrefix", "path"}),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": frozenset({"role", "policyArn"}),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": frozenset({"group", "policyArn"}),
    "aws:kms/key:Key": frozenset({"customerMasterKeySpec", "keyUsage", "multiRegion"}),
    "aws:kms/alias:Alias": frozenset({"name", "namePrefix"}),
    "aws:cloudwatch/logGroup:LogGroup": frozenset({"name", "namePrefix"}),
    "aws:s3/bucket:Bucket": frozenset({"bucket", "bucketPrefix"}),
    "aws:s3/bucketV2:BucketV2": frozenset({"bucket", "bucketPrefix"}),
    "aws:s3/bucketPolicy:BucketPolicy": frozenset({"bucket"}),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": frozenset({"bucket"}),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": frozenset({"bucket"}),
    "aws:s3/bucketVersioning:BucketVersioning": _S3_BUCKET_CONFIGURATION,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _S3_BUCKET_CONFIGURATION
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (_S3_BUCKET_CONFIGURATION),
    "aws:ec2/vpcEndpoint:VpcEndpoint": frozenset({"vpcId", "serviceName", "vpcEndpointType"}),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": frozenset({"securityGroupId"}),
}


def replaces(resource_type: str, key: str) -> bool:
    """Whether changing input `key` of a `resource_type` deletes and recreates it."""
    if key == REGION and resource_type.startswith("aws:"):
        return True
    return key in REPLACING_INPUTS.get(resource_type, frozenset())
