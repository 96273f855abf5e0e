"""What the README and the config reference say about accountEvents matches AWS and GitHub."""

from __future__ import annotations

import re
from pathlib import Path

from session_manager.config.account_events import AccountEvents

ROOT = Path(__file__).resolve().parents[1]


def account_events_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("### New accounts get their preferences (accountEvents)")
    return readme[start : readme.index("\n## ", start)]


def test_the_events_account_is_the_management_account() -> None:
    # Organizations' membership events are "available only in the management account's
    # event history" (AWS Organizations API Reference, AcceptHandshake), and its
    # CreateAccountResult / MoveAccount entries are logged there: a delegated
    # administrator's EventBridge never sees them.
    description = AccountEvents.model_fields["account"].description or ""
    assert "management account" in description
    assert "(or delegated administrator)" not in description
    assert "**management account**" in account_events_section()


def test_the_retried_answers_are_awss() -> None:
    # EventBridge User Guide, API destinations: "Retries events associated with error
    # codes 401, 407, 409, 429, and 5xx. Does not retry events associated with error
    # codes 1xx, 2xx, 3xx, and 4xx (other than those noted above)."
    section = " ".join(account_events_section().split())
    assert "401, 407, 409, 429 and 5xx" in section
    assert "other 4xx answers than 429" not in section


def test_the_token_section_asks_for_branch_protection() -> None:
    # A fine-grained token with "Contents: read and write" can push commits (GitHub
    # REST docs, permissions for fine-grained tokens), and deploy.yml deploys main.
    section = " ".join(account_events_section().split())
    assert re.search(r"Contents: read and write also lets the token push commits", section)
    assert "branch protection" in section
