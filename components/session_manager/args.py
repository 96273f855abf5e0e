"""Public arguments of the components.

Plain TypedDicts of str/int/bool/list/dict and `pulumi.Input`, so Pulumi can
infer a schema from them for other languages (no pydantic models, no unions).
The stack-config models in `config/` validate user input and produce these; the
defaults the components fall back to are in `aws/defaults.py`.
"""

from collections.abc import Mapping, Sequence
from typing import Required, TypedDict

import pulumi


class ShellProfileArgs(TypedDict, total=False):
    """Commands run at the start of every session, per operating system."""

    linux: pulumi.Input[str]
    """Shell profile for Linux and macOS managed nodes."""
    windows: pulumi.Input[str]
    """Shell profile for Windows managed nodes."""


class PreferenceInputsArgs(TypedDict, total=False):
    """The inputs of the preferences document, AWS's names in snake_case.

    Anything left out renders as AWS's default: "" for strings, the console's
    defaults for flags, "" for the two timeouts.
    """

    s3_bucket_name: pulumi.Input[str]
    """Existing S3 bucket that receives session logs at the end of each session."""
    s3_key_prefix: pulumi.Input[str]
    """Key prefix for session logs in the bucket."""
    s3_encryption_enabled: pulumi.Input[bool]
    """Sessions start only when the bucket is encrypted."""
    cloud_watch_log_group_name: pulumi.Input[str]
    """Log group for session logs; `ssm-sessionmanager-logs` when the group is created."""
    cloud_watch_encryption_enabled: pulumi.Input[bool]
    """Sessions start only when the log group is encrypted."""
    cloud_watch_streaming_enabled: pulumi.Input[bool]
    """Stream session data continuously instead of uploading it at the end."""
    kms_key_id: pulumi.Input[str]
    """Existing KMS key (id, ARN or alias) that encrypts session data. Leave out to create one."""
    run_as_enabled: pulumi.Input[bool]
    """Start Linux sessions as `run_as_default_user` instead of ssm-user."""
    run_as_default_user: pulumi.Input[str]
    """Operating-system user for Run As; must exist on the nodes."""
    idle_session_timeout: pulumi.Input[int]
    """Minutes of inactivity before a session ends (1-60)."""
    max_session_duration: pulumi.Input[int]
    """Maximum minutes a session may last (1-1440)."""
    shell_profile: ShellProfileArgs
    """Commands run at the start of every session."""


class SessionDataKeyArgs(TypedDict, total=False):
    """The KMS key that encrypts session data between clients and nodes."""

    create: bool
    """Create the key. Defaults to true unless `preferences.kms_key_id` names an existing key."""
    alias: str
    """Alias of the created key."""
    deletion_window_in_days: int
    """Waiting period (7-30 days) before a deleted key is destroyed."""


class LogGroupArgs(TypedDict, total=False):
    """The CloudWatch Logs log group that receives session logs."""

    create: bool
    """Create the log group named by `preferences.cloud_watch_log_group_name`."""
    retention_in_days: int
    """Days to keep session logs; one of the values CloudWatch accepts (0 = never expire)."""
    create_kms_key: bool
    """Create a KMS key that encrypts the log group. Defaults to true unless `kms_key_id` is set."""
    kms_key_alias: str
    """Alias of the created logs key."""
    kms_key_id: pulumi.Input[str]
    """Existing KMS key ARN that encrypts the created log group."""


class SessionDocumentArgs(TypedDict, total=False):
    """A custom Session document, already rendered."""

    name: Required[str]
    """Document name."""
    document_format: str
    """JSON or YAML."""
    content: Required[str]
    """The document text."""
    tags: Mapping[str, str]
    """Document tags."""


class SessionManagerPreferencesArgs(TypedDict, total=False):
    """Session Manager preferences for one account and Region."""

    region: Required[str]
    """Region that the preferences and their resources live in."""
    account_id: pulumi.Input[str]
    """Account id, used to build ARNs. Looked up from the provider's credentials when left out."""
    document_name: str
    """Name of the preferences document; another name makes a custom one for `--document-name`."""
    document_description: str
    """Description written into the document."""
    preferences: PreferenceInputsArgs
    """The document's inputs."""
    session_data_key: SessionDataKeyArgs
    """Session-data encryption key."""
    log_group: LogGroupArgs
    """CloudWatch Logs log group for session logs."""
    append_account_and_region_to_s3_prefix: bool
    """Write S3 logs under `<s3_key_prefix>/<account>/<region>`."""
    retain_document_on_delete: bool
    """Keep the documents in AWS when they leave the stack (default true)."""
    retain_key_aliases_on_delete: bool
    """Keep the KMS aliases in AWS when they leave the stack (default true): the instance
    policy names created session keys by alias. The keys and log groups are always kept."""
    documents: Sequence[SessionDocumentArgs]
    """Custom Session documents for this account and Region."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class S3LogDestinationArgs(TypedDict, total=False):
    """Where managed nodes write session logs in S3."""

    bucket_name: Required[pulumi.Input[str]]
    """The bucket."""
    key_prefixes: Sequence[pulumi.Input[str]]
    """Key prefixes the nodes write under (`<prefix>/<account>` covers every Region below it)."""
    bucket_account_id: pulumi.Input[str]
    """Account that owns the bucket, when it is not this account."""
    kms_key_arn: pulumi.Input[str]
    """The bucket's SSE-KMS key ARN, when it has one."""


class SessionManagerInstanceAccessArgs(TypedDict, total=False):
    """Least-privilege IAM for the instance profiles of one account."""

    account_id: pulumi.Input[str]
    """Account id, used to build ARNs. Looked up from the provider's credentials when left out."""
    partition: str
    """AWS partition of the account (aws, aws-cn, aws-us-gov)."""
    policy_name: str
    """Name of the customer-managed policy."""
    log_group_names: Sequence[pulumi.Input[str]]
    """Session log group names; a name covers that group in every Region of the account."""
    session_data_key_arns: Sequence[pulumi.Input[str]]
    """Existing session-data keys, by ARN."""
    session_data_key_aliases: Sequence[pulumi.Input[str]]
    """Session-data key aliases; an alias covers its key in every Region of the account."""
    s3_destinations: Sequence[S3LogDestinationArgs]
    """S3 buckets (and prefixes) that receive this account's session logs."""
    parameter_names: Sequence[str]
    """Parameter Store names the managed documents reference (`{{ssm:name}}`); nodes get
    ssm:GetParameters on exactly these."""
    create_role: bool
    """Create a role and an instance profile with the policy attached."""
    role_name: str
    """Name of the created role and instance profile."""
    attach_to_role_names: Sequence[str]
    """Existing roles to attach the policy to."""
    retain_on_delete: bool
    """Keep the policy, role and instance profile in AWS when they leave the stack (default
    true): running nodes hold them, and lose their sessions without them. Attachments are
    then deleted with their policy or role (`deleted_with`): kept when those leave, but
    deleted in AWS when only a role leaves `attach_to_role_names`."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class CentralLogBucketArgs(TypedDict, total=False):
    """A session-log bucket in a log-archive account, written by a whole organization."""

    region: Required[str]
    """Region of the bucket."""
    account_id: pulumi.Input[str]
    """The log-archive account. Looked up from the provider's credentials when left out."""
    bucket_name: Required[str]
    """Name of the bucket."""
    key_prefix: str
    """Each account writes under `<key_prefix>/<account>/<region>/`."""
    organization_id: Required[str]
    """Organization id (o-...); only its principals may write."""
    writer_role_names: Sequence[str]
    """Instance role names allowed to write; empty allows any principal of the organization."""
    transition_to_glacier_after_days: int
    """Days before log objects move to S3 Glacier Flexible Retrieval."""
    expire_after_days: int
    """Days before log objects expire."""
    noncurrent_version_expire_after_days: int
    """Days an overwritten log version is kept. Default: `expire_after_days`."""
    object_lock: bool
    """Lock every object version with S3 Object Lock (default: on)."""
    object_lock_mode: str
    """COMPLIANCE (default: nobody can erase a locked version) or GOVERNANCE (then
    `break_glass_role_arn` is required)."""
    break_glass_role_arn: str
    """The only role the bucket policy lets bypass governance retention, delete versions or
    change the bucket's lock, lifecycle or policy, and the key policy lets disable or delete
    the key. Required with GOVERNANCE."""
    object_lock_retention_days: int
    """Days each version stays locked. Default: `expire_after_days`."""
    access_log_bucket_name: str
    """Bucket for the server access logs. Default: `<bucket_name>-access-logs`; empty string: no
    server access logging."""
    kms_key_alias: str
    """Alias of the bucket's KMS key."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class PolicyAttachmentArgs(TypedDict, total=False):
    """Where to attach a customer-managed policy."""

    role_names: Sequence[str]
    """Roles to attach the policy to."""
    group_names: Sequence[str]
    """Groups to attach the policy to."""


class SessionManagerAccessPoliciesArgs(TypedDict, total=False):
    """Customer-managed policies for the people who use Session Manager in one account."""

    account_id: pulumi.Input[str]
    """Account id, used to build ARNs. Looked up from the provider's credentials when left out."""
    partition: str
    """AWS partition of the account."""
    document_names: Sequence[str]
    """The account's managed Session documents (preferences and custom)."""
    aws_document_names: Sequence[str]
    """AWS-owned Session documents users may start too."""
    instance_tags: Mapping[str, Sequence[str]]
    """Only instances with one of these values per tag key may be reached."""
    session_data_key_arns: Sequence[pulumi.Input[str]]
    """Existing session-data keys, by ARN."""
    session_data_key_aliases: Sequence[pulumi.Input[str]]
    """Session-data key aliases."""
    own_session_methods: Sequence[str]
    """How own sessions are recognized: `userName` (IAM users) and/or `sessionTag` (role
    sessions, IAM Identity Center). Default: both."""
    any_session_data_channel: bool
    """Also open the data channel of any session in the account, not only one's own (a token
    of someone else's session then attaches to it). Default: false."""
    session_owner_variable: str
    """Deprecated, use `own_session_methods`: `${aws:username}` means `["userName"]`,
    `${aws:userid}` means `["sessionTag"]`."""
    session_users_policy_name: str
    """Name of the session-users policy; empty: not created."""
    session_users_attachments: PolicyAttachmentArgs
    """Where to attach the session-users policy."""
    instance_inventory_policy_name: str
    """Name of the instance-inventory policy; empty: not created."""
    instance_inventory_attachments: PolicyAttachmentArgs
    """Where to attach the instance-inventory policy."""
    preferences_guard_policy_name: str
    """Name of the preferences-guard policy; empty: not created."""
    preferences_guard_attachments: PolicyAttachmentArgs
    """Where to attach the preferences-guard policy."""
    just_in_time_requesters_policy_name: str
    """Name of the just-in-time requesters' policy; empty: not created."""
    just_in_time_requesters_attachments: PolicyAttachmentArgs
    """Where to attach the just-in-time requesters' policy."""
    just_in_time_approvers_policy_name: str
    """Name of the just-in-time approvers' policy; empty: not created."""
    just_in_time_approvers_attachments: PolicyAttachmentArgs
    """Where to attach the just-in-time approvers' policy."""
    deployer_role_arns: Sequence[str]
    """Roles the guard still lets change the documents."""
    retain_on_delete: bool
    """Keep the policies in AWS when they leave the stack (default true). Attachments are
    then deleted with their policy (`deleted_with`): kept when it leaves, but deleted in
    AWS when only their role or group leaves the list."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class SessionManagerVpcEndpointsArgs(TypedDict, total=False):
    """VPC endpoints that let nodes in private subnets use Session Manager."""

    region: Required[str]
    """Region of the VPC."""
    vpc_id: Required[str]
    """The VPC."""
    subnet_ids: Required[Sequence[str]]
    """Subnets for the interface endpoints."""
    security_group_id: Required[str]
    """Security group of the endpoints; HTTPS from the VPC is allowed into it."""
    services: Sequence[str]
    """Interface endpoint services (ssm, ssmmessages, ec2messages, logs, kms)."""
    retain_on_delete: bool
    """Keep the endpoints and the HTTPS rule in AWS when they leave the stack (default true):
    nodes in private subnets reach Session Manager only through them."""
    route_table_ids: Sequence[str]
    """Route tables for an S3 gateway endpoint; empty: none."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class SessionManagerAccountEventsArgs(TypedDict, total=False):
    """EventBridge rules that call a deploy trigger when an organization's accounts change."""

    region: Required[str]
    """Region where Organizations delivers its events (us-east-1 in the aws partition)."""
    account_id: pulumi.Input[str]
    """The account of the rules. Looked up from the provider's credentials when left out."""
    name: str
    """Prefix of every resource name."""
    stack: Required[str]
    """Stack to deploy; sent in the call's payload."""
    invocation_endpoint: Required[str]
    """HTTPS URL to call (GitHub's workflow_dispatch endpoint of deploy.yml, or another trigger)."""
    token: Required[pulumi.Input[str]]
    """Token for the endpoint. Pass a secret Output: it is stored only as a secret."""
    api_key_name: str
    """Header that carries the token."""
    api_key_scheme: str
    """Word before the token in that header; empty: the token alone."""
    basic_auth_username: str
    """Use HTTP basic auth with this user name and the token as password instead."""
    headers: Mapping[str, str]
    """Extra, non-secret headers of every call."""
    watched_organizational_units: Sequence[str]
    """OUs whose accounts the stack manages, with every OU below them."""
    watch_every_organizational_unit: bool
    """Match account moves and OU changes anywhere in the organization."""
    excluded_accounts: Sequence[str]
    """Accounts whose events never start a deployment."""
    invocation_rate_limit_per_second: int
    """Calls per second the endpoint may receive."""
    maximum_retry_attempts: int
    """Retries of a failed call before the dead-letter queue."""
    maximum_event_age_in_seconds: int
    """Seconds an event is retried."""
    dead_letter_retention_days: int
    """Days the dead-letter queue keeps failed events."""
    alarms: bool
    """Alarm on failed invocations and on a non-empty dead-letter queue (default true)."""
    alarm_topic_arn: str
    """SNS topic the alarms notify; empty: a created one (`create_alarm_topic`)."""
    create_alarm_topic: bool
    """Without `alarm_topic_arn`, create a topic encrypted with its own KMS key (default true);
    false: the alarms notify nobody."""
    alarm_emails: Sequence[str]
    """Email addresses subscribed to the created topic."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class JustInTimeApproverArgs(TypedDict):
    """An approver of a manual approval policy."""

    type: str
    """IdentityStoreGroup (an IAM Identity Center group) or IamUser."""
    id: str
    """The group's id, or the IAM user's name."""


class JustInTimeApprovalLevelArgs(TypedDict):
    """One level of approvers: one of them approves for the level."""

    approvers: Sequence[JustInTimeApproverArgs]
    """1 to 5 approvers."""


class JustInTimeTagTargetArgs(TypedDict):
    """A node tag key-value pair a manual approval policy applies to."""

    key: str
    """Tag key."""
    value: str
    """Tag value."""


class ManualApprovalPolicyArgs(TypedDict, total=False):
    """A manual approval policy: its ManualApprovalPolicy document has its name."""

    name: Required[str]
    """Document name, unique in the account and Region."""
    access_duration_hours: Required[int]
    """How long approved access lasts, 1-336 hours."""
    targets: Required[Sequence[JustInTimeTagTargetArgs]]
    """Node tags it applies to (any of them); at least one."""
    levels: Required[Sequence[JustInTimeApprovalLevelArgs]]
    """1 to 5 levels of approvers, in order; one approval from each level."""
    description: str
    """The document's description."""


class SessionManagerJustInTimeAccessArgs(TypedDict, total=False):
    """Just-in-time node access approval policies of one account and Region."""

    auto_approval_policy: str
    """The auto-approval policy: Cedar `permit` statements for getTokenForInstanceAccess,
    checked against AWS's just-in-time schema (one such policy per account and Region).
    Left out: no auto-approval policy."""
    manual_approvals: Sequence[ManualApprovalPolicyArgs]
    """Manual approval policies (up to 50), one ManualApprovalPolicy document each."""
    auto_approval_name: str
    """Name of its AutoApprovalPolicy document (default session-manager-auto-approval)."""
    tags: Mapping[str, str]
    """Tags for the document. The policy is never retained: it grants access, so it is
    deleted with the component, and a rename deletes the old one before creating the new
    (AWS allows one per account and Region)."""
