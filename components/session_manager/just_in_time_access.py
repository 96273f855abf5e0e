"""The SessionManagerJustInTimeAccess component: an account-Region's auto-approval policy.

The document is `aws-native:ssm:Document` (Cloud Control), not pulumi-aws's Document:
pulumi-aws is bridged from the Terraform AWS provider, whose aws_ssm_document reads
every document's sharing with DescribeDocumentPermission after create and on every
refresh, and these policy types refuse that call, so the create reports an error and
the read (and so destroy) fails (hashicorp/terraform-provider-aws#45569, open;
internal/service/ssm/document.go). The CloudFormation type behind aws-native,
AWS::SSM::Document, lists AutoApprovalPolicy among its DocumentType values and has no
sharing property, so its handlers never make that call.

The document is never retained on delete: it grants access, so a policy left in AWS
unmanaged would keep auto-approving after the stack (and `jit check`) say it is gone.
A rename replaces it delete-first: AWS allows one auto-approval policy per account and
Region ("Create an auto-approval policy for just-in-time node access"), so the new one
can't be created while the old one exists.
"""

import pulumi
import pulumi_aws_native as aws_native

from session_manager.args import SessionManagerJustInTimeAccessArgs
from session_manager.args_check import ArgsError, check_args
from session_manager.aws.jit import AUTO_APPROVAL_EFFECT
from session_manager.config.cedar import policy_problems
from session_manager.config.jit import DEFAULT_AUTO_APPROVAL_NAME

TYPE_TOKEN = "session-manager:index:SessionManagerJustInTimeAccess"


class SessionManagerJustInTimeAccess(pulumi.ComponentResource):
    """The auto-approval policy of one account and Region, checked with Cedar first.

    Pass the account-Region's aws-native provider in `opts.providers`.
    """

    auto_approval_name: pulumi.Output[str]
    """Name of the AutoApprovalPolicy document."""

    def __init__(
        self,
        name: str,
        args: SessionManagerJustInTimeAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = check_args(type(self).__name__, args, SessionManagerJustInTimeAccessArgs)
        problems = policy_problems(
            args["auto_approval_policy"], effect=AUTO_APPROVAL_EFFECT, where="the policy"
        )
        if problems:
            raise ArgsError(
                f"{type(self).__name__}: args.auto_approval_policy: " + "; ".join(problems)
            )
        super().__init__(TYPE_TOKEN, name, {}, opts)
        tags = args.get("tags", {})
        document = aws_native.ssm.Document(
            f"{name}-auto-approval",
            name=args.get("auto_approval_name", DEFAULT_AUTO_APPROVAL_NAME),
            document_type=aws_native.ssm.DocumentType.AUTO_APPROVAL_POLICY,
            # Cedar is neither JSON nor YAML: the policy text is the content as is.
            document_format=aws_native.ssm.DocumentFormat.TEXT,
            content=args["auto_approval_policy"],
            # A changed policy becomes a new version of the same document; Replace (the
            # CloudFormation default) would delete the one policy the account may have.
            update_method=aws_native.ssm.DocumentUpdateMethod.NEW_VERSION,
            tags=[aws_native.TagArgs(key=k, value=v) for k, v in sorted(tags.items())] or None,
            opts=pulumi.ResourceOptions(
                parent=self, retain_on_delete=False, delete_before_replace=True
            ),
        )
        self.auto_approval_name = document.name.apply(lambda n: n or "")
        self.register_outputs({"autoApprovalName": self.auto_approval_name})
