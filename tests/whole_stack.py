"""One organization stack with every optional part, for verify's drift table and coverage.

Keys, log groups, preferences and a custom document, instance role and policies, the
central bucket with Object Lock, lifecycle and access logging, and accountEvents with
its queue, rules, targets, alarm, topic and subscription.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, run_plan

ROOT = Path(__file__).resolve().parents[1]
HOME, MEMBER, OU_MEMBER, CENTRAL = "123456789012", "111111111111", "555555555555", "999999999999"
BUCKET, CUSTOM = "org-session-logs", "Team-TailAgentLog"


def stack(tmp_path: Path) -> Plan:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    config = {
        "aws:region": "us-east-1",
        "session-manager:regions": ["us-east-1", "eu-west-1"],
        "session-manager:targets": [
            {"account": MEMBER},
            {"organizationalUnit": "ou-ab12-cdef3456"},
        ],
        "session-manager:instanceAccess": {"createRole": True},
        "session-manager:tags": {"team": "platform-security"},
        "session-manager:centralLogging": {
            "account": CENTRAL,
            "bucketName": BUCKET,
            "organizationId": "o-exampleorg1",
        },
        "session-manager:documents": [
            {
                "name": CUSTOM,
                "content": {
                    "description": "tail",
                    "sessionType": "InteractiveCommands",
                    "properties": {"linux": {"commands": "tail -f /var/log/x.log"}},
                },
            }
        ],
        "session-manager:accountEvents": {
            "repository": "octo-org/preferences",
            "createAlarmTopic": True,
            "alarmEmails": ["platform@example.com"],
        },
        "session-manager:accountEventsToken": {"secure": "v1:placeholder-ciphertext"},
    }
    (tmp_path / "Pulumi.all.yaml").write_text(yaml.safe_dump({"config": config}))
    mocks = AwsMocks(organization_accounts={"ou-ab12-cdef3456": [OU_MEMBER]})
    token = {"session-manager:accountEventsToken": "github_pat_11ABCDEFG0123456789_test"}
    return run_plan(tmp_path, "all", mocks=mocks, config_overrides=token)
