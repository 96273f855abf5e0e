"""The SessionManagerAccessPolicies component: IAM for people, once per account."""

from typing import Any

import pulumi
import pulumi_aws as aws

from session_manager.args import PolicyAttachmentArgs, SessionManagerAccessPoliciesArgs
from session_manager.args_check import ArgsError, check_args, one_line_call_errors
from session_manager.aws.jit_iam import approver_policy, requester_policy
from session_manager.aws.people_policies import (
    OWN_SESSION_METHODS,
    OWNER_VARIABLE_METHODS,
    SessionUserPolicyInputs,
    instance_inventory_policy,
    preferences_guard_policy,
    session_user_policy,
)
from session_manager.aws.policy_document import policy_json
from session_manager.instance_access import name_suffix
from session_manager.outputs import (
    account_id_output,
    render_once_resolved,
    render_when_known,
    secret_where_shown,
)

TYPE_TOKEN = "session-manager:index:SessionManagerAccessPolicies"


class SessionManagerAccessPolicies(pulumi.ComponentResource):
    """Customer-managed policies for people, attachable to roles, groups or permission sets.

    - session users: start sessions on the allowed nodes with the allowed documents
      (enforcing the document access check), follow sessions, and end or resume only
      their own; use the session-data key;
    - instance inventory: list instances, for clients that sync them;
    - preferences guard: deny changing the managed documents to all but the deployers;
    - just-in-time requesters and approvers (optional): request node access, or approve it.
    """

    session_users_policy_arn: pulumi.Output[str] | None
    """ARN of the session-users policy."""
    instance_inventory_policy_arn: pulumi.Output[str] | None
    """ARN of the instance-inventory policy."""
    preferences_guard_policy_arn: pulumi.Output[str] | None
    """ARN of the preferences-guard policy."""
    just_in_time_requesters_policy_arn: pulumi.Output[str] | None
    """ARN of the just-in-time requesters' policy."""
    just_in_time_approvers_policy_arn: pulumi.Output[str] | None
    """ARN of the just-in-time approvers' policy."""

    @one_line_call_errors
    def __init__(
        self,
        name: str,
        args: SessionManagerAccessPoliciesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(type(self).__name__, args, SessionManagerAccessPoliciesArgs)
        super().__init__(TYPE_TOKEN, name, {}, opts)
        partition = args.get("partition", "aws")
        account_id = account_id_output(args.get("account_id"), self)
        tags = dict(args.get("tags") or {})
        documents = list(args.get("document_names") or [])
        self.policies: dict[str, aws.iam.Policy] = {}
        # People's grants stay when the account leaves the stack: a delete there would need
        # its role (gone when the account is closed), and offboarding is explicit.
        self._retain = args.get("retain_on_delete", True)

        methods = tuple(args.get("own_session_methods") or ())
        old_variable = args.get("session_owner_variable", "")
        if old_variable and not methods:
            if old_variable not in OWNER_VARIABLE_METHODS:
                raise ArgsError(
                    f"{type(self).__name__} {name}: args.session_owner_variable must be one of "
                    f"{list(OWNER_VARIABLE_METHODS)}, got {old_variable!r}"
                )
            methods = (OWNER_VARIABLE_METHODS[old_variable],)
        methods = methods or OWN_SESSION_METHODS

        def session_users(values: dict[str, Any]) -> str:
            policy = session_user_policy(
                SessionUserPolicyInputs(
                    partition=partition,
                    account_id=values["account_id"],
                    document_names=documents,
                    aws_document_names=list(args.get("aws_document_names") or []),
                    instance_tags={
                        key: list(values)
                        for key, values in (args.get("instance_tags") or {}).items()
                    },
                    session_data_key_arns=values["key_arns"],
                    session_data_key_aliases=values["key_aliases"],
                    own_session_methods=methods,
                    any_session_data_channel=bool(args.get("any_session_data_channel", False)),
                )
            )
            return policy_json(policy)

        self.session_users_policy_arn = self._policy(
            name,
            role="session-users",
            policy_name=args.get("session_users_policy_name", ""),
            description="Start Session Manager sessions on allowed nodes (managed by Pulumi)",
            document=render_once_resolved(
                {
                    "account_id": account_id,
                    "key_arns": list(args.get("session_data_key_arns") or []),
                    "key_aliases": list(args.get("session_data_key_aliases") or []),
                },
                session_users,
            ),
            attachments=args.get("session_users_attachments"),
            tags=tags,
        )
        self.instance_inventory_policy_arn = self._policy(
            name,
            role="instance-inventory",
            policy_name=args.get("instance_inventory_policy_name", ""),
            description="List EC2 instances for Session Manager clients (managed by Pulumi)",
            document=policy_json(instance_inventory_policy()),
            attachments=args.get("instance_inventory_attachments"),
            tags=tags,
        )
        deployers = list(args.get("deployer_role_arns") or [])
        guard_name = args.get("preferences_guard_policy_name", "")
        if guard_name and not deployers:
            raise ArgsError(
                f"{type(self).__name__} {name}: args.preferences_guard_policy_name needs "
                "args.deployer_role_arns to list at least one deployer role"
            )
        self.preferences_guard_policy_arn = self._policy(
            name,
            role="preferences-guard",
            policy_name=guard_name,
            description="Session Manager preferences change only through code (managed by Pulumi)",
            document=render_when_known(
                account_id,
                lambda account: policy_json(
                    preferences_guard_policy(partition, account, documents, deployers)
                ),
            ),
            attachments=args.get("preferences_guard_attachments"),
            tags=tags,
        )
        # Just-in-time node access (aws/jit_iam.py): who requests access, who approves it.
        jit_arns: dict[str, pulumi.Output[str] | None] = {}
        for key, description, build in (
            ("requesters", "Request just-in-time node access", requester_policy),
            ("approvers", "Approve just-in-time node access requests", approver_policy),
        ):
            jit_arns[key] = self._policy(
                name,
                role=f"just-in-time-{key}",
                policy_name=str(args.get(f"just_in_time_{key}_policy_name", "")),
                description=f"{description} (managed by Pulumi)",
                document=render_when_known(
                    account_id,
                    lambda account, build=build: policy_json(build(partition, account)),
                ),
                attachments=args.get(f"just_in_time_{key}_attachments"),
                tags=tags,
            )
        self.just_in_time_requesters_policy_arn = jit_arns["requesters"]
        self.just_in_time_approvers_policy_arn = jit_arns["approvers"]
        self.register_outputs(
            secret_where_shown(
                {
                    "session_users_policy_arn": self.session_users_policy_arn,
                    "instance_inventory_policy_arn": self.instance_inventory_policy_arn,
                    "preferences_guard_policy_arn": self.preferences_guard_policy_arn,
                    "just_in_time_requesters_policy_arn": (self.just_in_time_requesters_policy_arn),
                    "just_in_time_approvers_policy_arn": self.just_in_time_approvers_policy_arn,
                }
            )
        )

    def _policy(
        self,
        name: str,
        *,
        role: str,
        policy_name: str,
        description: str,
        document: pulumi.Input[str],
        attachments: PolicyAttachmentArgs | None,
        tags: dict[str, str],
    ) -> pulumi.Output[str] | None:
        if not policy_name:
            return None
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=self._retain)
        policy = aws.iam.Policy(
            f"{name}-{role}",
            name=policy_name,
            description=description,
            policy=document,
            tags=tags,
            opts=child,
        )
        self.policies[role] = policy
        attachments = attachments or {}
        # A grant is never retained: a role or group dropped from the list loses the access
        # in AWS. While the policy is retained, each grant is deleted with it: when the
        # account leaves, the engine calls no Delete for them in the account either (step.go
        # DeleteStep.Apply skips a resource whose deletedWith target is deleted too).
        grant = pulumi.ResourceOptions(parent=self, deleted_with=policy if self._retain else None)
        for role_name in sorted(set(attachments.get("role_names") or [])):
            aws.iam.RolePolicyAttachment(
                f"{name}-{role}-role-{name_suffix(role_name)}",
                role=role_name,
                policy_arn=policy.arn,
                opts=grant,
            )
        for group_name in sorted(set(attachments.get("group_names") or [])):
            aws.iam.GroupPolicyAttachment(
                f"{name}-{role}-group-{name_suffix(group_name)}",
                group=group_name,
                policy_arn=policy.arn,
                opts=grant,
            )
        return policy.arn
