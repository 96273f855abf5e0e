"""A consumer: this team's own stack, with Session Manager preferences from the package."""

import pulumi
from session_manager import (
    SessionManagerAccessPolicies,
    SessionManagerInstanceAccess,
    SessionManagerPreferences,
)

region = pulumi.Config("aws").require("region")

preferences = SessionManagerPreferences(
    f"team-ssm-{region}",
    {
        "region": region,
        "preferences": {
            "idle_session_timeout": 15,
            "max_session_duration": 240,
            "shell_profile": {"linux": "exec bash -l"},
        },
        "log_group": {"retention_in_days": 365},
    },
)
instance_access = SessionManagerInstanceAccess(
    "team-ssm-instance-access",
    {
        "log_group_names": [name for name in [preferences.log_group_name] if name is not None],
        "session_data_key_aliases": [
            alias for alias in [preferences.session_data_key_alias] if alias is not None
        ],
        "attach_to_role_names": ["team-app-instance-role"],
    },
)
people = SessionManagerAccessPolicies(
    "team-ssm-people",
    {
        "document_names": ["SSM-SessionManagerRunShell"],
        "session_users_policy_name": "TeamSessionUsers",
        "session_users_attachments": {"role_names": ["team-operators"]},
    },
)

pulumi.export("documentName", preferences.document_name)
pulumi.export("instancePolicyArn", instance_access.policy_arn)
pulumi.export("sessionUsersPolicyArn", people.session_users_policy_arn)
