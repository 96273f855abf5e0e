"""`plan --preview` shows what a first preview knows; the default plan marks what it invents.

Reference: the Python SDK resolves an empty id, and every output a dry-run
registration leaves out, as unknown (pulumi/runtime/resource.py and
rpc.resolve_outputs); a first preview has created nothing, so a new key's
`keyId` and `arn` are unknown, and so is everything derived from them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import cli
from session_manager.offline.invented import INVENTED_MARK, shows_invented
from session_manager.offline.mocks import PLACEHOLDER_ACCOUNT_ID, AwsMocks
from session_manager.offline.plan import run_plan
from session_manager.offline.render import format_plan

ROOT = Path(__file__).resolve().parents[2]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_preview_leaves_computed_outputs_unknown() -> None:
    plan = run_plan(ROOT, "dev", preview=True)
    assert plan.preview
    log_group = plan.named("session-manager-us-east-1-log-group")
    assert (
        log_group.inputs["kmsKeyId"] == "[unknown until session-manager-us-east-1-logs-key exists]"
    )
    alias = plan.named("session-manager-us-east-1-session-data-key-alias")
    assert alias.inputs["targetKeyId"] == (
        "[unknown until session-manager-us-east-1-session-data-key exists]"
    )
    # The preferences document names the session-data key, so its content is unknown too.
    content = plan.named("session-manager-us-east-1-document").inputs["content"]
    assert content.startswith("[unknown until ")
    assert "session-manager-us-east-1-session-data-key" in content
    # What the program knows itself stays known: names, Regions, static policies.
    key = plan.named("session-manager-us-east-1-session-data-key")
    assert key.inputs["region"] == "us-east-1"
    assert json.loads(key.inputs["policy"])["Statement"]
    # Nothing a mock made up for a resource shows in a preview.
    text = json.dumps(plan.to_json())
    assert not UUID.search(text)
    assert "arn:aws:kms:us-east-1:123456789012:key/" not in text


def test_the_default_plan_keeps_its_placeholders() -> None:
    plan = run_plan(ROOT, "dev")
    assert not plan.preview
    log_group = plan.named("session-manager-us-east-1-log-group")
    assert log_group.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert "preview" not in plan.to_json()


def test_text_plan_marks_every_invented_value() -> None:
    mocks = AwsMocks()
    plan = run_plan(ROOT, "dev", mocks=mocks)
    text = format_plan(plan)
    key_id = plan.named("session-manager-us-east-1-session-data-key").state["keyId"]
    assert key_id in mocks.invented
    marked = [line for line in text.splitlines() if line.endswith(INVENTED_MARK)]
    assert any(key_id in line for line in marked)
    # Every line that shows a made-up key id or the made-up account is marked.
    for line in text.splitlines():
        made_up = PLACEHOLDER_ACCOUNT_ID in line or any(
            u in mocks.invented for u in UUID.findall(line)
        )
        assert made_up == line.endswith(INVENTED_MARK), line
    # Values the user chose are never marked.
    assert not shows_invented('name: "SSM-SessionManagerRunShell"', mocks.invented)


def test_an_account_a_provider_pins_is_not_invented(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "__main__.py").write_text((ROOT / "__main__.py").read_text())
    (tmp_path / "Pulumi.org.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  session-manager:targets:\n"
        '    - account: "111111111111"\n'
    )
    mocks = AwsMocks()
    plan = run_plan(tmp_path, "org", mocks=mocks)
    assert "111111111111" not in mocks.invented
    lines = [line for line in format_plan(plan).splitlines() if "111111111111" in line]
    # The program builds this ARN from the account the user named: not made up.
    document = next(line for line in lines if '"arn:aws:ssm:*:111111111111:document/' in line)
    assert not document.endswith(INVENTED_MARK)
    # The log group's ARN is what the mock answered for the created group: made up.
    log_group = next(line for line in lines if "us-east-1:111111111111:log-group:" in line)
    assert log_group.endswith(INVENTED_MARK)


def test_cli_preview_prints_unknowns_and_says_so() -> None:
    result = cli("plan", "--stack", "dev", "--preview")
    assert result.returncode == 0, result.stderr
    assert "as a first `pulumi preview` sees it" in result.stdout
    assert 'kmsKeyId: "[unknown until session-manager-eu-west-1-logs-key exists]"' in result.stdout
    as_json = json.loads(cli("plan", "--stack", "dev", "--preview", "--json").stdout)
    assert as_json["preview"] is True
