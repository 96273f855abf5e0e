"""The preferences renderer writes exactly what AWS writes, deterministically."""

from __future__ import annotations

import json

import pytest
from conftest import aws_example
from session_manager.aws.document import (
    PREFERENCE_INPUTS,
    preference_inputs,
    render_preferences_document,
    serialize_document,
)


@pytest.mark.parametrize(
    "example",
    [
        "preferences_all_inputs_empty.json",
        "preferences_every_option.json",
        "session_schema_standard_stream.json",
        "desktop_client_preferences.json",
    ],
)
def test_renders_aws_examples_exactly(example: str) -> None:
    expected = aws_example(example)
    rendered = render_preferences_document(expected["inputs"], expected["description"])
    assert rendered == expected
    assert json.loads(serialize_document(rendered)) == expected


def test_every_input_is_present_with_aws_types_even_when_unset() -> None:
    inputs = preference_inputs({})
    assert list(inputs) == list(PREFERENCE_INPUTS)
    assert inputs["idleSessionTimeout"] == ""
    assert inputs["maxSessionDuration"] == ""
    assert inputs["s3EncryptionEnabled"] is True
    assert inputs["runAsEnabled"] is False
    assert inputs["shellProfile"] == {"windows": "", "linux": ""}


@pytest.mark.parametrize(
    ("given", "written"), [(20, "20"), (20.0, "20"), ("20", "20"), (" 7 ", "7")]
)
def test_timeouts_are_written_as_strings_of_minutes(given: object, written: str) -> None:
    inputs = preference_inputs({"idleSessionTimeout": given, "maxSessionDuration": given})
    assert inputs["idleSessionTimeout"] == written
    assert inputs["maxSessionDuration"] == written


def test_flags_are_json_booleans_even_from_config_strings() -> None:
    inputs = preference_inputs({"runAsEnabled": "true", "s3EncryptionEnabled": "False"})
    assert inputs["runAsEnabled"] is True
    assert inputs["s3EncryptionEnabled"] is False
    text = serialize_document(render_preferences_document({"runAsEnabled": True}))
    assert '"runAsEnabled": true' in text


@pytest.mark.parametrize("bad", [True, 20.5])
def test_rejects_timeouts_that_are_not_whole_minutes(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        preference_inputs({"idleSessionTimeout": bad})


def test_rejects_unknown_inputs() -> None:
    with pytest.raises(KeyError, match="idleTimeout"):
        preference_inputs({"idleTimeout": 20})


def test_rendering_is_byte_identical_whatever_the_input_order() -> None:
    values = {
        "idleSessionTimeout": 20,
        "kmsKeyId": "k",
        "shellProfile": {"linux": "a", "windows": "b"},
    }
    reordered = {
        "shellProfile": {"windows": "b", "linux": "a"},
        "kmsKeyId": "k",
        "idleSessionTimeout": "20",
    }
    first = serialize_document(render_preferences_document(values))
    second = serialize_document(render_preferences_document(reordered))
    assert first == second
    assert first == serialize_document(json.loads(first))
