"""IAM for the people of just-in-time node access: those who request access, and approvers.

Source: AWS Systems Manager User Guide, "Setting up just-in-time access with Systems
Manager" (systems-manager-just-in-time-node-access-setting-up.html), whose example
policies for operators (requesters) and approvers these follow, narrowed:

- ARNs are partition-aware and name the account; the Region is `*` because IAM is
  global to the account and the stack manages several Regions.
- Actions the Service Authorization Reference gives a resource type are scoped to it;
  the others take `*` (the SAR lists no resource type for GetAccessToken,
  DescribeOpsItems, ListOpsItemEvents, ListDocuments, CreateOpsItem). StartAccessRequest
  takes the node's: `instance` (arn:${Partition}:ec2:${Region}:${Account}:instance/...)
  or `managed-instance` (arn:${Partition}:ssm:...:managed-instance/...) (SAR, "Actions
  defined by AWS Systems Manager"; its machine-readable copy in iann0036/iam-dataset
  aws/iam_definition.json), so a requester may ask for the account's own nodes only.
- The console-only statements of AWS's examples (Quick Setup, CloudFormation,
  Organizations, IAM Identity Center look-ups, EC2 and node listing, RDP) are left out:
  they are what the console needs to draw its pages, not what the request and approval
  API calls need. GetOpsSummary is left out too: its only resource type is a resource
  data sync, which a request never names.

Resuming and ending one's own sessions (ssm:ResumeSession, ssm:TerminateSession): AWS's
"Moving to just-in-time node access from Session Manager" (systems-manager-just-in-time-
node-access-moving-from-session-manager.html) gives the requesters' policy as
StartAccessRequest, GetAccessToken, ResumeSession and TerminateSession (the setting-up
page's example leaves the last two out). They are scoped to the caller's own sessions as
the session users' policy scopes them (aws/people_policies.py own_session_statements: an
IAM user's session ids, a role session's session tag), not to every session.

No `ssm:StartSession`: a just-in-time session is started with the credentials
GetAccessToken returns, whose permissions are AWS's
AWSSystemsManagerJustInTimeAccessTokenPolicy, and whoever holds ssm:StartSession keeps
connecting through plain Session Manager, past the approval policies ("Start a
just-in-time node access session": remove ssm:StartSession from the users' policies).
"""

from __future__ import annotations

from session_manager.aws.people_policies import OWN_SESSION_METHODS, own_session_statements
from session_manager.aws.policy_document import Policy, Statement, policy_document

# The document types of just-in-time node access's approval policies (AWS::SSM::Document's
# DocumentType; SSM API reference, CreateDocument DocumentType). verify, adopt and emulate
# cover every type listed here.
AUTO_APPROVAL_POLICY = "AutoApprovalPolicy"
MANUAL_APPROVAL_POLICY = "ManualApprovalPolicy"
JIT_DOCUMENT_TYPES = (AUTO_APPROVAL_POLICY, MANUAL_APPROVAL_POLICY)
# The tag just-in-time node access puts on the automation executions and OpsItems of an
# access request; AWS's examples condition approval signals and cancellations on it.
MANAGED_TAG = "SystemsManagerJustInTimeNodeAccessManaged"


def node_arns(partition: str, account_id: str) -> list[str]:
    """The account's nodes in every Region: EC2 instances and hybrid (mi-) nodes."""
    return [
        f"arn:{partition}:ec2:*:{account_id}:instance/*",
        f"arn:{partition}:ssm:*:{account_id}:managed-instance/*",
    ]


def _read_approval_policies(partition: str, account_id: str) -> list[Statement]:
    """Read the account's approval policies (AWS's example grants both types)."""
    return [
        {
            "Sid": "ReadApprovalPolicies",
            "Effect": "Allow",
            "Action": ["ssm:DescribeDocument", "ssm:GetDocument"],
            "Resource": f"arn:{partition}:ssm:*:{account_id}:document/*",
            "Condition": {"StringEquals": {"ssm:DocumentType": list(JIT_DOCUMENT_TYPES)}},
        },
        {
            "Sid": "ListApprovalPolicyVersions",
            "Effect": "Allow",
            "Action": "ssm:ListDocumentVersions",
            "Resource": f"arn:{partition}:ssm:*:{account_id}:document/*",
        },
        {
            "Sid": "ListDocuments",
            "Effect": "Allow",
            "Action": "ssm:ListDocuments",
            "Resource": "*",
        },
    ]


def _access_requests(partition: str, account_id: str) -> list[Statement]:
    """Follow access requests: each is an OpsItem (AWS's examples)."""
    return [
        {
            "Sid": "ListAccessRequests",
            "Effect": "Allow",
            "Action": ["ssm:DescribeOpsItems", "ssm:ListOpsItemEvents"],
            "Resource": "*",
        },
        {
            "Sid": "ReadAccessRequests",
            "Effect": "Allow",
            "Action": "ssm:GetOpsItem",
            "Resource": f"arn:{partition}:ssm:*:{account_id}:opsitem/*",
        },
    ]


def requester_policy(partition: str, account_id: str) -> Policy:
    """Request access to nodes, get the access token, and follow or cancel one's requests."""
    executions = f"arn:{partition}:ssm:*:{account_id}:automation-execution/*"
    statements: list[Statement] = [
        {
            "Sid": "RequestAccessToOwnNodes",
            "Effect": "Allow",
            "Action": "ssm:StartAccessRequest",
            "Resource": node_arns(partition, account_id),
        },
        {
            "Sid": "GetAccessTokens",
            "Effect": "Allow",
            "Action": "ssm:GetAccessToken",
            "Resource": "*",
        },
        {
            # A request is an OpsItem the requester creates (AWS's example scopes it to
            # opsitem/*; the SAR lists no resource type for CreateOpsItem, so it is "*").
            "Sid": "CreateAccessRequests",
            "Effect": "Allow",
            "Action": "ssm:CreateOpsItem",
            "Resource": "*",
        },
        *_access_requests(partition, account_id),
        {
            # A manual approval runs as an automation of the ManualApprovalPolicy document.
            "Sid": "RequestManualApprovals",
            "Effect": "Allow",
            "Action": "ssm:StartAutomationExecution",
            "Resource": f"arn:{partition}:ssm:*:{account_id}:document/*",
            "Condition": {"StringEquals": {"ssm:DocumentType": MANUAL_APPROVAL_POLICY}},
        },
        {
            "Sid": "StartManualApprovals",
            "Effect": "Allow",
            "Action": "ssm:StartAutomationExecution",
            "Resource": executions,
        },
        {
            "Sid": "CancelOwnAccessRequests",
            "Effect": "Allow",
            "Action": "ssm:StopAutomationExecution",
            "Resource": executions,
            "Condition": {"StringEquals": {f"aws:ResourceTag/{MANAGED_TAG}": "true"}},
        },
        *_read_approval_policies(partition, account_id),
        *own_session_statements(partition, account_id, OWN_SESSION_METHODS, data_channel=False),
    ]
    return policy_document(statements)


def approver_policy(partition: str, account_id: str) -> Policy:
    """Approve or reject access requests, and read what they ask and the policies."""
    statements: list[Statement] = [
        *_access_requests(partition, account_id),
        {
            # Approving or rejecting is a signal to the request's approval automation,
            # only to just-in-time node access's own (its tag).
            "Sid": "ApproveOrRejectAccessRequests",
            "Effect": "Allow",
            "Action": "ssm:SendAutomationSignal",
            "Resource": f"arn:{partition}:ssm:*:{account_id}:automation-execution/*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{MANAGED_TAG}": "true"}},
        },
        *_read_approval_policies(partition, account_id),
    ]
    return policy_document(statements)
