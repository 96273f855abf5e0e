"""The verify report in every format: nothing it found is left out, whatever failed.

No AWS here: reports are built from results, and the progress printer is given
streams. Issue 12: "a target that still fails is an error line, not a crash",
and the drift workflow publishes the Markdown report as the job summary, so an
empty report would hide why the check failed.
"""

from __future__ import annotations

import io
import json
import sys

import pytest
from session_manager.offline.plan import Plan
from session_manager.ops.aws_access import AwsAccess
from session_manager.ops.verify import (
    CANNOT_CHECK,
    Drift,
    Report,
    TargetResult,
    format_report,
    progress_printer,
    verify,
)
from session_manager.ops.verify_markdown import markdown_report


def _half_checked() -> Report:
    """A target where drift was found, then a read failed."""
    result = TargetResult(
        target="111111111111 us-east-1",
        account="111111111111",
        region="us-east-1",
        drifts=[Drift("log group ssm-sessionmanager-logs", "retentionInDays", 365, 7)],
        error="AccessDenied: s3:GetBucketPolicy",
    )
    return Report(stack="s", results=[result])


def test_an_error_does_not_hide_the_drift_found_before_it() -> None:
    report = _half_checked()
    assert report.exit_code == CANNOT_CHECK
    text = format_report(report)
    assert "ERROR  111111111111 us-east-1: could not check: AccessDenied" in text
    assert "DRIFT  111111111111 us-east-1: 1 drifted field(s)" in text
    assert "retentionInDays: wanted 365, actual 7" in text
    markdown = markdown_report(report)
    assert "| 111111111111 | ⚠️ error + ❌ drift (1) |" in markdown
    assert (
        "| loses logs | `log-group-ssm-sessionmanager-logs/retentionInDays` | log group "
        "ssm-sessionmanager-logs | retentionInDays | `365` | `7` | 111111111111 us-east-1 Fix: "
    ) in markdown
    assert "- **111111111111 us-east-1**: AccessDenied" in markdown


def test_errors_outside_any_target_are_in_every_format() -> None:
    report = Report(
        stack="s",
        results=[],
        warnings=["excludeAccounts 222222222222 matches no target"],
        errors=["could not read the accounts of organizational unit ou-ab12-cdefgh34: denied"],
    )
    assert report.exit_code == CANNOT_CHECK
    text = format_report(report)
    assert "ERROR  could not check: could not read the accounts of organizational unit" in text
    assert "WARN   excludeAccounts 222222222222" in text
    assert "exit 2" in text
    as_json = report.to_json()
    assert as_json["status"] == "cannot_check"
    assert as_json["errors"] == report.errors
    markdown = markdown_report(report)
    assert "### Could not check" in markdown
    assert "- could not read the accounts of organizational unit ou-ab12-cdefgh34" in markdown
    assert "excludeAccounts 222222222222" in markdown


def test_the_plans_warnings_are_in_the_report() -> None:
    plan = Plan(stack="s", project="p", warnings=["excludeAccounts 222222222222 matches nothing"])
    report = verify(plan, AwsAccess("http://127.0.0.1:9"), warnings=["an OU holds no account"])
    assert report.warnings == [
        "an OU holds no account",
        "excludeAccounts 222222222222 matches nothing",
    ]
    assert json.loads(json.dumps(report.to_json()))["warnings"] == report.warnings


def test_progress_goes_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bound at import time, the default stream was whatever sys.stderr was then: a
    # test runner's capture that may be closed by now.
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)
    show = progress_printer()
    show(10, 10)
    assert later.getvalue() == "checked 10/10 account-Regions\n"


def test_a_closed_stream_gets_no_progress_and_no_crash() -> None:
    closed = io.StringIO()
    closed.close()
    show = progress_printer(closed)  # isatty() on a closed stream raises ValueError
    show(10, 10)


def test_the_markdown_report_stays_under_githubs_step_summary_limit() -> None:
    # GitHub aborts a step summary over 1024k ("$GITHUB_STEP_SUMMARY upload aborted,
    # supports content up to a size of 1024k"); 1,000 account-Regions, each with a
    # policy widened in many statements, would go far over it.
    wide = [{"Effect": "Allow", "Action": [f"svc{i}:*"], "Resource": ["*"] * 3} for i in range(40)]
    results = [
        TargetResult(
            target=f"{n:012d} us-east-1",
            account=f"{n:012d}",
            region="us-east-1",
            # A different policy in each account: 1,000 causes, not one.
            drifts=[Drift("iam policy P", "policy", [*wide, n], wide, statements=True)],
        )
        for n in range(1000)
    ]
    results[-1].error = "AccessDenied: the last one"
    report = Report(stack="s", results=results)
    markdown = markdown_report(report)
    assert len(markdown.encode()) < 1024 * 1024
    assert "more finding(s) left out" in markdown
    assert "`verify --format json`" in markdown
    # The table of every account and the errors are never cut.
    assert f"| {999:012d} |" in markdown
    assert "AccessDenied: the last one" in markdown
    # A small report is left whole.
    small = markdown_report(Report(stack="s", results=results[:2]))
    assert "left out" not in small
