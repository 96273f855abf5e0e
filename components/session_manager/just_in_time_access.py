"""The SessionManagerJustInTimeAccess component: an account-Region's approval policies.

Its auto-approval policy and manual approval policies are SSM documents of types
AutoApprovalPolicy and ManualApprovalPolicy, with the content AWS's own sample deploys
(aws/jit.py: auto_approval_content, manual_approval_content).

The document is `aws-native:ssm:Document` (Cloud Control), not pulumi-aws's Document:
pulumi-aws is bridged from the Terraform AWS provider, whose aws_ssm_document reads
every document's sharing with DescribeDocumentPermission after create and on every
refresh, and these policy types refuse that call, so the create reports an error and
the read (and so destroy) fails (hashicorp/terraform-provider-aws#45569, open;
internal/service/ssm/document.go). The CloudFormation type behind aws-native,
AWS::SSM::Document, lists AutoApprovalPolicy among its DocumentType values and has no
sharing property, so its handlers never make that call.

The documents are never retained on delete: they grant access, so a policy left in AWS
unmanaged would keep approving after the stack (and `jit check`) say it is gone.
Renaming the auto-approval policy replaces it delete-first (its logical name doesn't
hold the document name): AWS allows one auto-approval policy per account and Region
("Create an auto-approval policy for just-in-time node access"). A manual policy's
logical name holds its name, so a rename is a new resource, created before the old one
is deleted at the end of the update (the engine's step rules; deleteBeforeReplace only
orders a replacement of one resource).

A change of a document's `content` replaces it too, delete-first (replaceOnChanges): with
updateMethod NewVersion, AWS::SSM::Document's UpdateHandler calls UpdateDocument, which
AWS refuses for content an earlier version holds (DuplicateDocumentContent, which
DocumentExceptionTranslator makes a failed update), so a revert, or putting back a
drifted policy, would fail and leave the newer policy in effect
(aws-cloudformation/aws-cloudformation-resource-providers-ssm, aws-ssm-document). Tags
change in place. docs/just-in-time-access.md says what that means for requests.
"""

import pulumi
import pulumi_aws_native as aws_native

from session_manager.args import ManualApprovalPolicyArgs, SessionManagerJustInTimeAccessArgs
from session_manager.args_check import ArgsError, check_args
from session_manager.aws.jit import (
    AUTO_APPROVAL_EFFECT,
    POLICY_DOCUMENT_FORMAT,
    ManualPolicy,
    auto_approval_content,
    manual_approval_content,
)
from session_manager.config.cedar import policy_problems
from session_manager.config.jit import DEFAULT_AUTO_APPROVAL_NAME

TYPE_TOKEN = "session-manager:index:SessionManagerJustInTimeAccess"


def manual_policy(args: ManualApprovalPolicyArgs) -> ManualPolicy:
    return ManualPolicy(
        name=args["name"],
        access_duration_hours=args["access_duration_hours"],
        targets=tuple((t["key"], t["value"]) for t in args["targets"]),
        levels=tuple(
            tuple((a["type"], a["id"]) for a in level["approvers"]) for level in args["levels"]
        ),
        description=args.get("description", ""),
    )


def _document_opts(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    # Never retained (they grant access); a replacement keeps the name AWS holds once.
    # A content change replaces: an update (UpdateDocument) of content an earlier version
    # holds, as a revert has, fails the update (DuplicateDocumentContent), leaving the
    # newer policy in effect. Deleted first, the document grants less, never more, until
    # it is created again.
    return pulumi.ResourceOptions(
        parent=parent,
        retain_on_delete=False,
        delete_before_replace=True,
        replace_on_changes=["content"],
    )


class SessionManagerJustInTimeAccess(pulumi.ComponentResource):
    """The approval policies of one account and Region, checked with Cedar first.

    Pass the account-Region's aws-native provider in `opts.providers`.
    """

    auto_approval_name: pulumi.Output[str]
    """Name of the AutoApprovalPolicy document ("" without an auto-approval policy)."""
    manual_approval_names: pulumi.Output[list[str]]
    """Names of the ManualApprovalPolicy documents."""

    def __init__(
        self,
        name: str,
        args: SessionManagerJustInTimeAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(type(self).__name__, args, SessionManagerJustInTimeAccessArgs)
        policy = args.get("auto_approval_policy")
        problems = (
            policy_problems(policy, effect=AUTO_APPROVAL_EFFECT, where="the policy")
            if policy is not None
            else []
        )
        if problems:
            raise ArgsError(
                f"{type(self).__name__}: args.auto_approval_policy: " + "; ".join(problems)
            )
        manual = [manual_policy(m) for m in args.get("manual_approvals", [])]
        names = [m.name for m in manual]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ArgsError(
                f"{type(self).__name__}: args.manual_approvals: {', '.join(map(repr, twice))} "
                "names two policies; each is a document, and a name is unique in the "
                "account and Region"
            )
        if policy is None and not manual:
            raise ArgsError(
                f"{type(self).__name__}: args: set auto_approval_policy or manual_approvals"
            )
        super().__init__(TYPE_TOKEN, name, {}, opts)
        tags = args.get("tags", {})
        document_tags = [aws_native.TagArgs(key=k, value=v) for k, v in sorted(tags.items())]
        self.auto_approval_name = pulumi.Output.from_input("")

        def policy_document(
            role: str, document_name: str, kind: str, content: dict[str, object]
        ) -> pulumi.Output[str]:
            return aws_native.ssm.Document(
                f"{name}-{role}",
                name=document_name,
                document_type=aws_native.ssm.DocumentType(kind),
                document_format=aws_native.ssm.DocumentFormat(POLICY_DOCUMENT_FORMAT),
                content=content,
                # What may change in place (tags) changes the same document; Replace (the
                # CloudFormation default) would swap it create-first, and AWS holds one
                # auto-approval policy per account and Region. Content replaces (opts).
                update_method=aws_native.ssm.DocumentUpdateMethod.NEW_VERSION,
                tags=document_tags or None,
                opts=_document_opts(self),
            ).name.apply(lambda n: n or "")

        if policy is not None:
            self.auto_approval_name = policy_document(
                "auto-approval",
                args.get("auto_approval_name", DEFAULT_AUTO_APPROVAL_NAME),
                "AutoApprovalPolicy",
                auto_approval_content(policy),
            )
        manual_names = [
            policy_document(
                f"manual-{manual_policy.name}",
                manual_policy.name,
                "ManualApprovalPolicy",
                manual_approval_content(manual_policy),
            )
            for manual_policy in manual
        ]
        self.manual_approval_names = pulumi.Output.all(*manual_names).apply(list)
        self.register_outputs(
            {
                "autoApprovalName": self.auto_approval_name,
                "manualApprovalNames": self.manual_approval_names,
            }
        )
