"""The generic, plan-driven comparison; bounded concurrency; throttling; the Markdown report."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from botocore.retries import standard
from session_manager.offline.plan import run_plan
from session_manager.ops.aws_access import MAX_ATTEMPTS, AwsAccess
from session_manager.ops.drift.compare import camel, camelize, differences
from session_manager.ops.drift.registry import (
    CHECKS,
    COMPARED,
    GLOBAL_TYPES,
    NOT_COMPARED,
    NOT_READ_BACK,
)
from session_manager.ops.drift.result import Drift, Report, TargetResult
from session_manager.ops.verify import CANNOT_CHECK, _bounded, format_report, targets_of, verify
from session_manager.ops.verify_markdown import markdown_report
from whole_stack import stack  # the stack with every accountEvents part

ROOT = Path(__file__).resolve().parents[2]


def test_api_names_become_pulumi_input_names() -> None:
    # pulumi-aws's inputs for the S3 API's members (BucketServerSideEncryptionConfiguration,
    # BucketVersioning, BucketLifecycleConfiguration).
    assert camel("SSEAlgorithm") == "sseAlgorithm"
    assert camel("KMSMasterKeyID") == "kmsMasterKeyId"
    assert camel("BucketKeyEnabled") == "bucketKeyEnabled"
    assert camel("ID") == "id"
    assert camel("MFADelete") == "mfaDelete"
    assert camel("NoncurrentDays") == "noncurrentDays"
    assert camelize({"Rules": [{"ID": "a", "Filter": {"Prefix": "p/"}}]}) == {
        "rules": [{"id": "a", "filter": {"prefix": "p/"}}]
    }


def test_only_planned_fields_are_compared_and_each_is_named() -> None:
    wanted = {
        "rules": [{"id": "logs", "expiration": {"days": 2557}, "status": "Enabled"}],
        "subnetIds": ["subnet-b", "subnet-a"],
        "retentionInDays": 90,
    }
    actual = {
        # AWS adds what the plan does not set: not drift.
        "rules": [{"id": "logs", "expiration": {"days": 30}, "status": "Enabled", "extra": 1}],
        "subnetIds": ["subnet-a", "subnet-b"],
        "retentionInDays": "90",
    }
    assert differences(wanted, actual) == [("rules[0].expiration.days", 2557, 30)]
    assert differences({"rules": [{"id": "a"}]}, {"rules": []}) == [("rules", [{"id": "a"}], [])]
    assert differences({"flag": True}, {}) == [("flag", True, None)]
    assert differences({"flag": True}, {"flag": "True"}) == [("flag", True, "True")]


def test_every_planned_type_is_compared_or_listed_with_a_reason(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    for example in ("complete", "organization", "just-in-time"):
        shutil.copy(ROOT / f"examples/{example}/Pulumi.{example}.yaml", tmp_path)
        for policy in (ROOT / "examples" / example).glob("*.cedar"):  # its policy files
            shutil.copy(policy, tmp_path)
    types = {
        resource.type
        for stack in ("complete", "organization", "just-in-time")
        for resource in run_plan(tmp_path, stack).resources
        if resource.custom and not resource.type.startswith("pulumi:")
    }
    assert "aws:ec2/vpcEndpoint:VpcEndpoint" in types  # the complete example has them all
    assert {t for t in types if t not in CHECKS and t not in NOT_COMPARED} == set()
    assert set(CHECKS) >= GLOBAL_TYPES


def test_checks_run_with_bounded_concurrency_in_target_order() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def check(index: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.001)
        with lock:
            running -= 1
        return index

    assert list(_bounded(check, list(range(300)), workers=4)) == list(range(300))  # type: ignore[arg-type]
    assert 1 <= peak <= 4


class _Throttling(BaseHTTPRequestHandler):
    """Answers every AWS query-protocol call as AWS does when it throttles."""

    requests = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            b"<Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )
        self.send_response(400)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def throttling_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # Keep standard mode's retries, without its exponential wait (up to 20 s).
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    _Throttling.requests = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_throttling_is_retried_then_reported_as_an_error_line(throttling_endpoint: str) -> None:
    plan = run_plan(ROOT, "dev")
    access = AwsAccess(
        throttling_endpoint,
        credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"},
    )
    report = verify(plan, access)
    targets = targets_of(plan)
    assert report.exit_code == CANNOT_CHECK
    # botocore's standard mode: MAX_ATTEMPTS tries (first one included) of each target's
    # first call, then one error line per target, no traceback.
    assert _Throttling.requests == MAX_ATTEMPTS * len(targets)
    text = format_report(report)
    for result in report.results:
        assert result.error == f"throttled after {MAX_ATTEMPTS} attempts (GetCallerIdentity)"
        assert f"ERROR  {result.target}: could not check: throttled" in text


def test_every_planned_input_is_compared_or_listed_with_why_it_cannot_be(
    tmp_path: Path,
) -> None:
    """Issue 22: for each type, the compared fields come from the planned inputs, tags
    included; an input neither compared nor listed with a reason fails here."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    for example in ("complete", "organization"):
        shutil.copy(ROOT / f"examples/{example}/Pulumi.{example}.yaml", tmp_path)
    plans = [run_plan(tmp_path, s) for s in ("complete", "organization")]
    (tmp_path / "all").mkdir()
    plans.append(stack(tmp_path / "all"))
    unaccounted = {
        (resource.type, name)
        for plan in plans
        for resource in plan.resources
        if resource.type in CHECKS
        for name in resource.inputs
        if name != "region"
        and name not in COMPARED.get(resource.type, ())
        and name not in NOT_READ_BACK.get(resource.type, {})
    }
    assert sorted(unaccounted) == []
    assert set(COMPARED) == set(CHECKS)
    assert all(not set(why) & COMPARED[t] for t, why in NOT_READ_BACK.items())


def test_markdown_report_table_and_details() -> None:
    report = Report(
        stack="org",
        results=[
            TargetResult("111111111111 eu-west-1", "111111111111", "eu-west-1", checked=["x"]),
            TargetResult(
                "111111111111 us-east-1",
                "111111111111",
                "us-east-1",
                drifts=[Drift("log group g", "retentionInDays", 365, 7)],
            ),
            TargetResult("222222222222 us-east-1", "222222222222", "us-east-1", error="a|b"),
        ],
        warnings=["session-manager:targets: organizationalUnit ou-1 holds no active account"],
    )
    markdown = markdown_report(report)
    assert "| account | eu-west-1 | us-east-1 |" in markdown
    assert "| 111111111111 | ✅ in sync | ❌ drift (1) |" in markdown
    assert "| 222222222222 | n/a | ⚠️ error |" in markdown
    assert (
        "| loses logs | `log-group-g/retentionInDays` | log group g | retentionInDays | `365` | "
        "`7` | 111111111111 us-east-1 Fix: run `pulumi up --refresh`"
    ) in markdown
    assert "- **222222222222 us-east-1**: a\\|b" in markdown
    assert "> ⚠️ session-manager:targets: organizationalUnit ou-1" in markdown
