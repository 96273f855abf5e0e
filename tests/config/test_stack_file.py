"""Stack files decoded as the Pulumi CLI decodes them (go-yaml v3).

References: go-yaml/yaml v3 decode.go (`allowedAliasRatio`, `unmarshal`, `alias`,
`mapping` with uniqueKeys) and pulumi/pulumi sdk/go/common/workspace/project.go
(`ProjectStack`'s yaml keys; the file is read with gopkg.in/yaml.v3).
"""

from __future__ import annotations

import time

import pytest
from session_manager.config.stack_file import (
    STACK_FILE_KEYS,
    StackFileError,
    load_pulumi_yaml,
    unknown_stack_file_keys,
)


def _bomb(levels: int, width: int = 9) -> str:
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_fails_fast_instead_of_expanding() -> None:
    # Nine levels of nine: 9**9 (387 million) scalars if expanded.
    started = time.monotonic()
    with pytest.raises(StackFileError, match="document contains excessive aliasing"):
        load_pulumi_yaml(_bomb(9))
    assert time.monotonic() - started < 2


def test_modest_aliasing_is_read_as_go_yaml_reads_it() -> None:
    # go-yaml allows 99% of a document's decoded nodes to come from aliases below
    # 400,000 nodes, and checks nothing until 100 alias-made nodes in 1000.
    assert load_pulumi_yaml(_bomb(3))["l2"] == [[["x"] * 9] * 9] * 9
    text = "base: &b {a: 1}\nitems: [" + ", ".join(["*b"] * 500) + "]\n"
    assert len(load_pulumi_yaml(text)["items"]) == 500


def test_the_ratio_check_matches_go_yaml_at_its_edge() -> None:
    # One 1000-scalar list and 99 aliases to it: 99,000 alias-made nodes of about
    # 100,100 decoded, 98.9%: allowed. 200 aliases: 99.5%: refused.
    anchored = "a: &a [" + ", ".join(["x"] * 1000) + "]\n"
    assert load_pulumi_yaml(anchored + "b: [" + ", ".join(["*a"] * 99) + "]\n")
    with pytest.raises(StackFileError, match="excessive aliasing"):
        load_pulumi_yaml(anchored + "b: [" + ", ".join(["*a"] * 200) + "]\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "line 2: mapping key 'a' already defined at line 1"),
        ("a: 1\n'a': 2\n", "line 2: mapping key 'a' already defined at line 1"),
        ("x:\n  - k: 1\n    k: 2\n", "line 3: mapping key 'k' already defined at line 2"),
        ("c: &c\n  self: *c\n", "anchor 'c' value contains itself"),
    ],
)
def test_what_go_yaml_refuses_is_refused(text: str, message: str) -> None:
    with pytest.raises(StackFileError) as caught:
        load_pulumi_yaml(text)
    assert str(caught.value).startswith(message)


def test_merge_keys_keep_the_mappings_own_values() -> None:
    loaded = load_pulumi_yaml("d: &d {a: 1, b: 2}\nm:\n  <<: *d\n  b: 3\n")
    assert loaded["m"] == {"a": 1, "b": 3}


def test_unknown_top_level_keys_are_named_with_where_they_belong() -> None:
    assert unknown_stack_file_keys(dict.fromkeys(STACK_FILE_KEYS)) == []
    found = unknown_stack_file_keys({"session-manager:regions": [], "EncryptedKey": ""})
    assert found == [
        "the top-level key 'session-manager:regions' is not read by Pulumi; config keys go "
        "below `config:`, indented",
        "the top-level key 'EncryptedKey' is not read by Pulumi; did you mean 'encryptedkey'?",
    ]


# go-yaml v3 resolve.go (`resolveMapList`, `resolve`), decoding into an interface{} as
# Pulumi's config.Value does for an object value (sdk/go/common/resource/config/value.go
# `unmarshalValue`); its README: "YAML 1.1 bools (yes/no, on/off) are supported as long as
# they are being decoded into a typed bool value. Otherwise they behave as a string."
GO_YAML_V3_SCALARS = {
    "true": True,
    "False": False,
    "TRUE": True,
    "yes": "yes",
    "No": "No",
    "on": "on",
    "OFF": "OFF",
    "y": "y",
    "0o17": 15,
    "-0o7": -7,
    "017": 15,
    "0x1F": 31,
    "0b101": 5,
    "1_000": 1000,
    "-3": -3,
    "1e3": 1000.0,
    ".5": 0.5,
    "1:30": "1:30",
    "~": None,
    "null": None,
}


@pytest.mark.parametrize(("text", "expected"), GO_YAML_V3_SCALARS.items())
def test_plain_scalars_resolve_as_go_yaml_v3_resolves_them(text: str, expected: object) -> None:
    value = load_pulumi_yaml(f"key: {text}\n")["key"]
    assert value == expected
    assert type(value) is type(expected)
