"""The SessionManagerPreferences component: one account and Region."""

from typing import Any

import pulumi
import pulumi_aws as aws

from session_manager.args import SessionManagerPreferencesArgs
from session_manager.args_check import ArgsError, check_args, one_line_call_errors
from session_manager.aws import defaults
from session_manager.aws.document import render_preferences_document, serialize_document
from session_manager.aws.key_policies import logs_key_policy, session_data_key_policy
from session_manager.aws.policy_document import policy_json
from session_manager.aws.rules import KMS_KEY_ARN_PATTERN, partition_of_region
from session_manager.outputs import (
    account_id_output,
    render_once_resolved,
    render_when_known,
    secret_where_shown,
)

TYPE_TOKEN = "session-manager:index:SessionManagerPreferences"

# snake_case arg names to the document's input names.
_INPUT_NAMES = {
    "s3_bucket_name": "s3BucketName",
    "s3_key_prefix": "s3KeyPrefix",
    "s3_encryption_enabled": "s3EncryptionEnabled",
    "cloud_watch_log_group_name": "cloudWatchLogGroupName",
    "cloud_watch_encryption_enabled": "cloudWatchEncryptionEnabled",
    "cloud_watch_streaming_enabled": "cloudWatchStreamingEnabled",
    "kms_key_id": "kmsKeyId",
    "run_as_enabled": "runAsEnabled",
    "run_as_default_user": "runAsDefaultUser",
    "idle_session_timeout": "idleSessionTimeout",
    "max_session_duration": "maxSessionDuration",
    "shell_profile": "shellProfile",
}


class SessionManagerPreferences(pulumi.ComponentResource):
    """Session Manager preferences for one account and Region.

    Creates the preferences Session document and, as configured, the session-data
    KMS key, the session log group and its KMS key. Keys and log groups are kept
    in AWS when they leave the stack; so are the key aliases unless
    `retain_key_aliases_on_delete` is false, and the document unless
    `retain_document_on_delete` is false.
    """

    region: pulumi.Output[str]
    """Region of the preferences."""
    document_name: pulumi.Output[str]
    """Name of the preferences document."""
    document_arn: pulumi.Output[str]
    """ARN of the preferences document."""
    document_content: pulumi.Output[str]
    """The rendered document JSON."""
    session_data_key_arn: pulumi.Output[str] | None
    """ARN of the session-data key, when sessions are encrypted."""
    session_data_key_alias: pulumi.Output[str] | None
    """Alias of the session-data key, when it is created or named by alias."""
    log_group_name: pulumi.Output[str] | None
    """Name of the session log group, when CloudWatch logging is on."""
    log_group_arn: pulumi.Output[str] | None
    """ARN of the session log group, when CloudWatch logging is on."""
    logs_key_arn: pulumi.Output[str] | None
    """ARN of the key that encrypts the created log group."""
    s3_bucket_name: pulumi.Output[str] | None
    """Bucket that receives session logs, when S3 logging is on."""
    s3_key_prefix: pulumi.Output[str] | None
    """Key prefix of the session logs in the bucket."""

    @one_line_call_errors
    def __init__(
        self,
        name: str,
        args: SessionManagerPreferencesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(type(self).__name__, args, SessionManagerPreferencesArgs)
        super().__init__(TYPE_TOKEN, name, {}, opts)
        region = args.get("region")
        if not region:
            raise ArgsError(f"{type(self).__name__} {name}: args.region is required")
        partition = partition_of_region(region).name
        account_id = account_id_output(args.get("account_id"), self)
        tags = dict(args.get("tags") or {})
        prefs: dict[str, Any] = dict(args.get("preferences") or {})
        # Keys and log groups hold or protect audit data: never delete them with the stack.
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        # The instance policy names created session keys by alias (kms:ResourceAliases).
        keep_alias = pulumi.ResourceOptions(
            parent=self, retain_on_delete=args.get("retain_key_aliases_on_delete", True)
        )

        # Session-data key: created unless the preferences name an existing key.
        self.session_data_key: aws.kms.Key | None = None
        self.session_data_key_alias_resource: aws.kms.Alias | None = None
        self.session_data_key_arn = None
        self.session_data_key_alias = None
        key_args = args.get("session_data_key") or {}
        existing_key = prefs.get("kms_key_id")
        if key_args.get("create", not existing_key):
            if existing_key:
                raise ArgsError(
                    f"{type(self).__name__} {name}: args.session_data_key.create is true but "
                    "args.preferences.kms_key_id "
                    "already names a key; set only one"
                )
            self.session_data_key = aws.kms.Key(
                f"{name}-session-data-key",
                region=region,
                description=f"Encrypts Session Manager session data in {region}",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                deletion_window_in_days=key_args.get(
                    "deletion_window_in_days", defaults.DEFAULT_KEY_DELETION_WINDOW_DAYS
                ),
                policy=render_when_known(
                    account_id,
                    lambda account: policy_json(session_data_key_policy(partition, account)),
                ),
                tags=tags,
                opts=keep,
            )
            self.session_data_key_alias_resource = aws.kms.Alias(
                f"{name}-session-data-key-alias",
                region=region,
                name=key_args.get("alias", defaults.DEFAULT_SESSION_DATA_KEY_ALIAS),
                target_key_id=self.session_data_key.key_id,
                opts=keep_alias,
            )
            prefs["kms_key_id"] = self.session_data_key.key_id
            self.session_data_key_arn = self.session_data_key.arn
            self.session_data_key_alias = self.session_data_key_alias_resource.name
        elif existing_key:
            self.session_data_key_arn = self._existing_key_arn(
                existing_key, region, partition, account_id
            )
            if isinstance(existing_key, str) and "alias/" in existing_key:
                self.session_data_key_alias = pulumi.Output.from_input(
                    "alias/" + existing_key.split("alias/", 1)[1]
                )

        # Log group: created unless the preferences name an existing one.
        self.log_group: aws.cloudwatch.LogGroup | None = None
        self.logs_key: aws.kms.Key | None = None
        self.logs_key_alias: aws.kms.Alias | None = None
        self.log_group_name = None
        self.log_group_arn = None
        self.logs_key_arn = None
        group_args = args.get("log_group") or {}
        group_name_input = prefs.get("cloud_watch_log_group_name")
        if group_args.get("create", not group_name_input):
            group_name: pulumi.Input[str] = group_name_input or defaults.DEFAULT_LOG_GROUP_NAME
            logs_key_arn: pulumi.Input[str] | None = group_args.get("kms_key_id")
            if group_args.get("create_kms_key", logs_key_arn is None):
                if logs_key_arn is not None:
                    raise ArgsError(
                        f"{type(self).__name__} {name}: args.log_group.create_kms_key is true "
                        "but args.log_group.kms_key_id "
                        "already names a key; set only one"
                    )
                self.logs_key = aws.kms.Key(
                    f"{name}-logs-key",
                    region=region,
                    description=f"Encrypts the Session Manager log group in {region}",
                    key_usage="ENCRYPT_DECRYPT",
                    customer_master_key_spec="SYMMETRIC_DEFAULT",
                    enable_key_rotation=True,
                    deletion_window_in_days=defaults.DEFAULT_KEY_DELETION_WINDOW_DAYS,
                    policy=render_when_known(
                        (account_id, group_name),
                        lambda v: policy_json(logs_key_policy(partition, v[0], region, v[1])),
                    ),
                    tags=tags,
                    opts=keep,
                )
                self.logs_key_alias = aws.kms.Alias(
                    f"{name}-logs-key-alias",
                    region=region,
                    name=group_args.get("kms_key_alias", defaults.DEFAULT_LOGS_KEY_ALIAS),
                    target_key_id=self.logs_key.key_id,
                    opts=keep_alias,
                )
                logs_key_arn = self.logs_key.arn
                self.logs_key_arn = self.logs_key.arn
            elif logs_key_arn is not None:
                self.logs_key_arn = pulumi.Output.from_input(logs_key_arn)
            self.log_group = aws.cloudwatch.LogGroup(
                f"{name}-log-group",
                region=region,
                name=group_name,
                retention_in_days=group_args.get(
                    "retention_in_days", defaults.DEFAULT_LOG_RETENTION_DAYS
                ),
                kms_key_id=logs_key_arn,
                tags=tags,
                opts=keep,
            )
            prefs["cloud_watch_log_group_name"] = self.log_group.name
            self.log_group_name = self.log_group.name
            self.log_group_arn = self.log_group.arn
        elif group_name_input:
            self.log_group_name = pulumi.Output.from_input(group_name_input)
            self.log_group_arn = pulumi.Output.from_input(
                render_when_known(
                    (account_id, group_name_input),
                    lambda v: f"arn:{partition}:logs:{region}:{v[0]}:log-group:{v[1]}",
                )
            )

        # S3: an existing bucket; optionally one prefix per account and Region.
        self.s3_bucket_name = None
        self.s3_key_prefix = None
        if prefs.get("s3_bucket_name"):
            prefix = pulumi.Output.from_input(prefs.get("s3_key_prefix") or "")
            if args.get("append_account_and_region_to_s3_prefix", False):
                prefix = pulumi.Output.all(prefix, pulumi.Output.from_input(account_id)).apply(
                    lambda v: "/".join(part for part in (v[0].strip("/"), v[1], region) if part)
                )
                prefs["s3_key_prefix"] = prefix
            self.s3_bucket_name = pulumi.Output.from_input(prefs["s3_bucket_name"])
            self.s3_key_prefix = prefix

        description = args.get("document_description", defaults.DEFAULT_DOCUMENT_DESCRIPTION)
        self.document_content = render_once_resolved(
            {_INPUT_NAMES[key]: value for key, value in prefs.items()},
            lambda values: serialize_document(render_preferences_document(values, description)),
        )
        self.document = aws.ssm.Document(
            f"{name}-document",
            region=region,
            name=args.get("document_name", defaults.DEFAULT_DOCUMENT_NAME),
            document_type="Session",
            document_format="JSON",
            content=self.document_content,
            tags=tags,
            # The account's preferences outlive the stack unless the user opts out.
            opts=pulumi.ResourceOptions(
                parent=self, retain_on_delete=args.get("retain_document_on_delete", True)
            ),
        )
        # Custom Session documents live beside the preferences, and outlive the stack alike.
        self.custom_documents: dict[str, aws.ssm.Document] = {}
        for document in args.get("documents") or []:
            document_name, content = document.get("name"), document.get("content")
            if not document_name or not content:
                raise ArgsError(
                    f"{type(self).__name__} {name}: every entry of args.documents needs a name "
                    "and content"
                )
            self.custom_documents[document_name] = aws.ssm.Document(
                f"{name}-document-{document_name}",
                region=region,
                name=document_name,
                document_type="Session",
                document_format=document.get("document_format", "JSON"),
                content=content,
                tags={**tags, **dict(document.get("tags") or {})},
                opts=pulumi.ResourceOptions(
                    parent=self, retain_on_delete=args.get("retain_document_on_delete", True)
                ),
            )
        self.region = pulumi.Output.from_input(region)
        self.document_name = self.document.name
        self.document_arn = self.document.arn

        self.register_outputs(
            secret_where_shown(
                {
                    "region": self.region,
                    "document_name": self.document_name,
                    "document_arn": self.document_arn,
                    "document_content": self.document_content,
                    "session_data_key_arn": self.session_data_key_arn,
                    "session_data_key_alias": self.session_data_key_alias,
                    "log_group_name": self.log_group_name,
                    "log_group_arn": self.log_group_arn,
                    "logs_key_arn": self.logs_key_arn,
                    "s3_bucket_name": self.s3_bucket_name,
                    "s3_key_prefix": self.s3_key_prefix,
                }
            )
        )

    def _existing_key_arn(
        self,
        reference: pulumi.Input[str],
        region: str,
        partition: str,
        account_id: pulumi.Input[str],
    ) -> pulumi.Output[str]:
        """The ARN of an existing key given as id, ARN or alias.

        IAM grants on key ARNs, so an alias is resolved to its key at plan time.
        """

        def resolve(ref: str) -> pulumi.Output[str]:
            if KMS_KEY_ARN_PATTERN.match(ref):
                return pulumi.Output.from_input(ref)
            if ref.startswith("alias/") or ":alias/" in ref:
                key = aws.kms.get_key_output(
                    key_id=ref, region=region, opts=pulumi.InvokeOutputOptions(parent=self)
                )
                return key.arn
            return pulumi.Output.from_input(account_id).apply(
                lambda account: f"arn:{partition}:kms:{region}:{account}:key/{ref}"
            )

        if isinstance(reference, str):
            return resolve(reference)
        return pulumi.Output.from_input(reference).apply(resolve)
