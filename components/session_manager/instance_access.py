"""The SessionManagerInstanceAccess component: IAM for managed nodes, once per account."""

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws

from session_manager.args import SessionManagerInstanceAccessArgs
from session_manager.args_check import check_args, one_line_call_errors
from session_manager.aws import defaults
from session_manager.aws.instance_policy import (
    InstancePolicyInputs,
    S3LogDestination,
    ec2_trust_policy,
    instance_policy,
)
from session_manager.aws.policy_document import policy_json
from session_manager.outputs import account_id_output, render_once_resolved, secret_where_shown

TYPE_TOKEN = "session-manager:index:SessionManagerInstanceAccess"


def name_suffix(iam_name: str) -> str:
    """A readable, resource-name-safe form of an IAM name (which may contain +=,.@)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", iam_name)


class SessionManagerInstanceAccess(pulumi.ComponentResource):
    """Least-privilege IAM for the instance profiles of one account.

    A customer-managed policy that grants the Session Manager channels and, for
    every Region's log group, bucket and key, exactly what the SSM Agent uses.
    IAM is global, so one of these serves all Regions of an account.
    """

    policy_arn: pulumi.Output[str]
    """ARN of the instance policy."""
    policy_name: pulumi.Output[str]
    """Name of the instance policy."""
    policy_document: pulumi.Output[str]
    """The rendered policy JSON."""
    role_name: pulumi.Output[str] | None
    """Name of the created role, when one is created."""
    instance_profile_name: pulumi.Output[str] | None
    """Name of the created instance profile, when one is created."""
    instance_profile_arn: pulumi.Output[str] | None
    """ARN of the created instance profile, when one is created."""

    @one_line_call_errors
    def __init__(
        self,
        name: str,
        args: SessionManagerInstanceAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(type(self).__name__, args, SessionManagerInstanceAccessArgs)
        super().__init__(TYPE_TOKEN, name, {}, opts)
        partition = args.get("partition", "aws")
        account_id = account_id_output(args.get("account_id"), self)
        tags = dict(args.get("tags") or {})
        # Running nodes hold the role and its policy through their instance profile: when
        # they leave the stack (an account leaves the targets) they stay in AWS, unless
        # the account is being offboarded on purpose.
        retain = args.get("retain_on_delete", True)
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=retain)

        def render(values: dict[str, Any]) -> str:
            destinations = tuple(
                S3LogDestination(
                    bucket_name=dest["bucket_name"],
                    key_prefixes=tuple(dest.get("key_prefixes") or ("",)),
                    bucket_account_id=dest.get("bucket_account_id") or "",
                    kms_key_arn=dest.get("kms_key_arn") or "",
                )
                for dest in values["s3_destinations"]
                if dest.get("bucket_name")
            )
            policy = instance_policy(
                InstancePolicyInputs(
                    partition=partition,
                    account_id=values["account_id"],
                    log_group_names=tuple(values["log_group_names"]),
                    session_data_key_arns=tuple(values["session_data_key_arns"]),
                    session_data_key_aliases=tuple(values["session_data_key_aliases"]),
                    s3=destinations,
                    parameter_names=tuple(args.get("parameter_names") or ()),
                )
            )
            return policy_json(policy)

        self.policy_document = render_once_resolved(
            {
                "account_id": account_id,
                "log_group_names": list(args.get("log_group_names") or []),
                "session_data_key_arns": list(args.get("session_data_key_arns") or []),
                "session_data_key_aliases": list(args.get("session_data_key_aliases") or []),
                "s3_destinations": [dict(d) for d in args.get("s3_destinations") or []],
            },
            render,
        )

        self.policy = aws.iam.Policy(
            f"{name}-policy",
            name=args.get("policy_name", defaults.DEFAULT_INSTANCE_POLICY_NAME),
            description="Session Manager access for managed nodes (managed by Pulumi)",
            policy=self.policy_document,
            tags=tags,
            opts=child,
        )
        self.policy_arn = self.policy.arn
        self.policy_name = self.policy.name

        self.role: aws.iam.Role | None = None
        self.instance_profile: aws.iam.InstanceProfile | None = None
        self.role_name = None
        self.instance_profile_name = None
        self.instance_profile_arn = None
        if args.get("create_role", False):
            role_name = args.get("role_name", defaults.DEFAULT_INSTANCE_ROLE_NAME)
            self.role = aws.iam.Role(
                f"{name}-role",
                name=role_name,
                description="Instance role for Session Manager (managed by Pulumi)",
                assume_role_policy=json.dumps(ec2_trust_policy(partition), sort_keys=True),
                tags=tags,
                opts=child,
            )
            # The role's own grant goes when the role goes: retained with it, or deleted
            # before it when offboarding (a deletedWith target that leaves skips its Delete).
            aws.iam.RolePolicyAttachment(
                f"{name}-role-policy",
                role=self.role.name,
                policy_arn=self.policy.arn,
                opts=pulumi.ResourceOptions(
                    parent=self, deleted_with=self.role if retain else None
                ),
            )
            self.instance_profile = aws.iam.InstanceProfile(
                f"{name}-instance-profile",
                name=role_name,
                role=self.role.name,
                tags=tags,
                opts=child,
            )
            self.role_name = self.role.name
            self.instance_profile_name = self.instance_profile.name
            self.instance_profile_arn = self.instance_profile.arn

        # A role dropped from attach_to_role_names really loses the policy; when the whole
        # account leaves, its retained policy leaves too and these are deleted with it:
        # no Delete call in the account (step.go DeleteStep.Apply, isDeletedWith).
        grant = pulumi.ResourceOptions(parent=self, deleted_with=self.policy if retain else None)
        self.attachments: list[aws.iam.RolePolicyAttachment] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-attach-{name_suffix(role)}",
                role=role,
                policy_arn=self.policy.arn,
                opts=grant,
            )
            for role in sorted(set(args.get("attach_to_role_names") or []))
        ]

        self.register_outputs(
            secret_where_shown(
                {
                    "policy_arn": self.policy_arn,
                    "policy_name": self.policy_name,
                    "policy_document": self.policy_document,
                    "role_name": self.role_name,
                    "instance_profile_name": self.instance_profile_name,
                    "instance_profile_arn": self.instance_profile_arn,
                }
            )
        )
