"""What the docs and the config reference say about accountEvents matches AWS and GitHub."""

from __future__ import annotations

from pathlib import Path

from session_manager.config.account_events import AccountEvents

ROOT = Path(__file__).resolve().parents[1]


def account_events_section() -> str:
    readme = (ROOT / "docs/new-accounts-automatically.md").read_text()
    start = readme.index("## New accounts get their preferences (accountEvents)")
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


def test_the_token_section_asks_for_a_token_that_cannot_push() -> None:
    # GitHub REST API docs: "Create a workflow dispatch event" needs the fine-grained
    # permission "Actions" repository permissions (write); "Create a repository dispatch
    # event" needs "Contents" (write), which can push commits.
    section = " ".join(account_events_section().split())
    assert 'the single repository permission "Actions: read and write"' in section
    assert "/actions/workflows/{workflow_id}/dispatches" in section
    assert '"Contents: read and write"' not in section
    assert "Deployment branches and tags" in section


def test_no_doc_or_example_asks_for_a_token_that_can_push() -> None:
    """Every stack file that sets the token, and every doc, asks for Actions: write only.

    GitHub REST API docs, "Create a workflow dispatch event": fine-grained tokens need
    "Actions" repository permissions (write); "Contents" (write) can push commits.
    """
    import re

    can_push = re.compile(r"contents:\s*(read and )?write", re.IGNORECASE)
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    docs += sorted((ROOT / "examples").rglob("*.y*ml"))
    docs += sorted((ROOT / "examples").rglob("*.md"))
    asking = 0
    for path in docs:
        text = " ".join(path.read_text().split())
        for match in can_push.finditer(text):
            # Only where the docs explain what a repository_dispatch would need.
            context = text[max(0, match.start() - 80) : match.end() + 40]
            assert "would need" in context, f"{path.name}: ...{context}..."
        if "accountEventsToken" in text and path.suffix != ".md":
            assert '"Actions: read and write"' in text, path.name
            asking += 1
    assert asking >= 1  # the organization example sets the token
