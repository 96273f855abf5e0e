"""SessionManagerInstanceAccess: one least-privilege policy per account, optional role."""

from __future__ import annotations

import json

from policy_lint import lint
from session_manager import SessionManagerInstanceAccess, SessionManagerInstanceAccessArgs
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, record_program

ACCOUNT = "111122223333"


def run(args: SessionManagerInstanceAccessArgs) -> Plan:
    def program() -> dict[str, object]:
        access = SessionManagerInstanceAccess("access", args)
        return {"policy": access.policy_document, "role": access.role is not None}

    return record_program(program, mocks=AwsMocks(account_id=ACCOUNT))


def test_policy_only_by_default() -> None:
    plan = run({"account_id": ACCOUNT})
    aws_types = [r.type for r in plan.resources if r.type.startswith("aws:")]
    assert aws_types == ["aws:iam/policy:Policy"]
    policy = plan.named("access-policy")
    assert policy.inputs["name"] == "SessionManagerInstanceAccess"
    assert policy.parent == plan.named("access").urn
    assert "region" not in policy.inputs  # IAM is global
    assert plan.result["role"] is False


def test_role_profile_and_attachments() -> None:
    plan = run(
        {
            "account_id": ACCOUNT,
            "create_role": True,
            "role_name": "SsmNode",
            "attach_to_role_names": ["app-role", "batch@role"],
        }
    )
    role = plan.named("access-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert plan.named("access-instance-profile").inputs["role"] == "SsmNode"
    attached = {
        r.inputs["role"]: r.inputs["policyArn"]
        for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    policy_arn = f"arn:aws:iam::{ACCOUNT}:policy/SessionManagerInstanceAccess"
    assert attached == {"SsmNode": policy_arn, "app-role": policy_arn, "batch@role": policy_arn}
    assert plan.named("access-attach-batch-role").inputs["role"] == "batch@role"


def test_policy_covers_every_log_group_and_prefix_and_lints_clean() -> None:
    plan = run(
        {
            "account_id": ACCOUNT,
            "log_group_names": ["ssm-sessionmanager-logs", "team-logs"],
            "session_data_key_arns": [
                f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            ],
            "s3_destinations": [{"bucket_name": "logs-bucket", "key_prefixes": ["a", "b"]}],
        }
    )
    policy = json.loads(plan.result["policy"])
    text = json.dumps(policy)
    for name in ("ssm-sessionmanager-logs", "team-logs"):
        assert f"arn:aws:logs:*:{ACCOUNT}:log-group:{name}:log-stream:*" in text
    assert "arn:aws:s3:::logs-bucket/a/*" in text
    assert "arn:aws:s3:::logs-bucket/b/*" in text
    assert plan.named("access-policy").inputs["policy"] == plan.result["policy"]
    assert lint(policy) == []
