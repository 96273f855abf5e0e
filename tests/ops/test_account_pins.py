"""verify and adopt honour the stack's account pins and read no other account (issue 21, point 11).

The Terraform AWS provider that pulumi-aws bridges refuses to run when the credentials'
account is not in `allowed_account_ids` or is in `forbidden_account_ids`
(hashicorp/terraform-provider-aws internal/conns/config.go, verifyAccountIDAllowed), so
`pulumi up` never touches another account: verify and adopt must not read one either.
moto answers GetCallerIdentity with its default account 123456789012.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import write_stack
from session_manager.offline.plan import Plan, run_plan
from session_manager.ops.adopt import find_existing
from session_manager.ops.aws_access import AwsAccess, CannotCheckError
from session_manager.ops.emulate import Emulator
from session_manager.ops.verify import CANNOT_CHECK, IN_SYNC, format_report, verify

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
MOTO_ACCOUNT = "123456789012"
STACK = """config:
  aws:region: us-east-1
{pins}
  session-manager:preferences:
    idleSessionTimeout: 20
"""


class CountingAccess(AwsAccess):
    """Counts the clients made for anything but STS: reads of the account."""

    def __init__(self, url: str) -> None:
        super().__init__(url, credentials=CREDENTIALS)
        self.reads: list[str] = []

    def _new_client(self, service: str, region: str, credentials: dict[str, str]) -> Any:
        if service != "sts":
            self.reads.append(service)
        return super()._new_client(service, region, credentials)


def planned(tmp_path: Path, pins: str) -> Plan:
    return run_plan(write_stack(tmp_path, STACK.format(pins=pins)), "t")


@pytest.mark.parametrize(
    "pins",
    [
        "  aws:allowedAccountIds:\n    - '111111111111'",
        f"  aws:forbiddenAccountIds:\n    - '{MOTO_ACCOUNT}'",
    ],
    ids=["allowed", "forbidden"],
)
def test_verify_refuses_an_account_the_stack_does_not_allow(
    emulator_url: str, tmp_path: Path, pins: str
) -> None:
    plan = planned(tmp_path, pins)
    Emulator(emulator_url).apply(planned(tmp_path, ""))  # the same resources, in moto's account
    access = CountingAccess(emulator_url)
    report = verify(plan, access)
    text = format_report(report)
    assert report.exit_code == CANNOT_CHECK, text
    assert f"the credentials reach account {MOTO_ACCOUNT}" in text
    assert "in sync" not in text.split("Result:")[0]
    assert access.reads == []  # STS only: nothing of the other account was read


def test_verify_reads_the_allowed_account(emulator_url: str, tmp_path: Path) -> None:
    plan = planned(tmp_path, f"  aws:allowedAccountIds:\n    - '{MOTO_ACCOUNT}'")
    Emulator(emulator_url).apply(plan)
    report = verify(plan, AwsAccess(emulator_url, credentials=CREDENTIALS))
    assert report.exit_code == IN_SYNC, format_report(report)


def test_adopt_refuses_an_account_the_stack_does_not_allow(
    emulator_url: str, tmp_path: Path
) -> None:
    Emulator(emulator_url).apply(planned(tmp_path, ""))
    plan = planned(tmp_path, "  aws:allowedAccountIds:\n    - '111111111111'")
    access = CountingAccess(emulator_url)
    with pytest.raises(CannotCheckError, match="allows only 111111111111"):
        find_existing(plan, access)
    assert access.reads == []


def test_an_account_provider_is_checked_before_any_read(emulator_url: str) -> None:
    """A target's provider pins its account (allowedAccountIds: [account]): moto's isn't it."""
    plan = run_plan(Path(__file__).resolve().parents[2], "dev")
    provider = next(r for r in plan.resources if r.type == "pulumi:providers:aws")
    provider.inputs["allowedAccountIds"] = '["222222222222"]'
    access = CountingAccess(emulator_url)
    with pytest.raises(CannotCheckError, match="allows only 222222222222"):
        access.client(provider, "ssm", "us-east-1")
    assert access.reads == []
