"""docs/configuration-reference.md is the reference the config models generate."""

from __future__ import annotations

from pathlib import Path

from session_manager.config.reference import embed_reference, reference_rows
from session_manager.config.stack import StackConfig

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration-reference.md"


def test_the_reference_page_matches_the_config_model() -> None:
    page = PAGE.read_text()
    assert embed_reference(page) == page, "run `make docs` to regenerate the reference"


def test_table_lists_every_key_with_a_description() -> None:
    rows = list(reference_rows())
    keys = [key for key, *_ in rows]
    assert "session-manager:preferences.idleSessionTimeout" in keys
    assert "session-manager:preferences.shellProfile.linux" in keys
    assert "session-manager:logGroup.retentionInDays" in keys
    assert len(keys) == len(set(keys))
    top_level = {f"session-manager:{f.alias}" for f in StackConfig.model_fields.values()}
    assert top_level <= set(keys)
    assert all(description for _, _, _, description in rows)
