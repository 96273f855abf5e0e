"""The docs can't rot: every code block, link and config key in README.md,
CONTRIBUTING.md and docs/ is checked against the code.

- `yaml` blocks are stack files (or their `config:` mapping) and go through the config
  loader, as `plan` reads them; a block that is only part of one is marked on the line
  before its fence with `<!-- doc-test: fragment (reason) -->` and is only parsed.
- `json` blocks parse; the policy pack's config is checked against its policies' schemas.
- shell lines: `python -m session_manager ...` is parsed against the CLI's argparse,
  `make TARGET` must be a Makefile target, `pulumi config set` must name a real key.
- relative links resolve to a file, and `#anchors` to a heading of that file.
- every `session-manager:key` named anywhere exists in the config models, and so does
  every dotted or camelCase code span that looks like a key (`logGroup.retentionInDays`,
  `objectLock.retentionDays`), unless listed as a non-key; the reference page lists
  exactly the models' keys.
- defaults and limits a page states after a key (`key` (default N, at least M)), and
  the retention page's Default and Allowed values, are the models'.
- a key the reference says takes any value loads obviously bad values.

(`python` blocks run under the mocks in tests/test_readme.py.)
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import ROOT
from doc_blocks import FENCE, fenced_blocks
from pydantic import BaseModel
from session_manager.cli import build_parser
from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.config.reference import (
    ITEM,
    anchor,
    entries,
    example_config,
    field_of,
)
from session_manager.config.reference_allowed import ALLOWED
from session_manager.config.stack import StackConfig
from session_manager.config.stack_file import load_pulumi_yaml
from session_manager.offline.secret_masks import SECRET_MASK

DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
REFERENCE = ROOT / "docs" / "configuration-reference.md"
FRAGMENT = re.compile(r"^\s*<!--\s*doc-test:\s*fragment\s*\((?P<reason>[^)]+)\)\s*-->\s*$")
P = f"{NAMESPACE}:"


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    info: str
    code: str
    fragment: bool

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path, text: str | None = None) -> Iterator[Block]:
    for fenced in fenced_blocks(path.read_text() if text is None else text):
        fragment = bool(FRAGMENT.match(fenced.before))
        yield Block(path, fenced.line, fenced.info, fenced.code, fragment)


ALL_BLOCKS = [block for path in DOCS for block in blocks(path)]


def _of(*infos: str) -> list[Block]:
    return [b for b in ALL_BLOCKS if b.info in infos]


# --- YAML through the config loader ------------------------------------------------


def _unmask(value: Any) -> Any:
    """`secure:` values as the offline plan passes them: its placeholder."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:  # pyright: ignore[reportUnknownArgumentType]
            return SECRET_MASK
        return {k: _unmask(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_unmask(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


def load_config(config: dict[str, Any]) -> StackConfig:
    """A stack's `config:` mapping through the project's config loader."""
    config = _unmask(config)
    region = config.get("aws:region", "us-east-1")
    values = {k[len(P) :]: v for k, v in config.items() if k.startswith(P)}
    return parse_stack_config(values, aws_region=str(region))


def load_yaml_block(code: str) -> StackConfig:
    document = load_pulumi_yaml(code)
    assert isinstance(document, dict), "a stack file is a mapping"
    config: Any = document.get("config", document)  # pyright: ignore[reportUnknownMemberType]
    assert isinstance(config, dict)
    assert all(":" in str(k) for k in config), (  # pyright: ignore[reportUnknownVariableType]
        "not a stack file's config: mark it `<!-- doc-test: fragment (reason) -->`"
    )
    return load_config(config)  # pyright: ignore[reportUnknownArgumentType]


@pytest.mark.parametrize("block", _of("yaml", "yml"), ids=str)
def test_yaml_block_loads(block: Block) -> None:
    if block.fragment:
        load_pulumi_yaml(block.code)  # still valid YAML
        return
    try:
        load_yaml_block(block.code)
    except ConfigError as exc:
        pytest.fail(f"{block}: the config loader refuses it: {exc.problems}")


def test_a_renamed_key_fails_the_yaml_check() -> None:
    renamed = "config:\n  session-manager:logGroup:\n    retentionDays: 365\n"
    with pytest.raises(ConfigError, match="did you mean 'retentionInDays'"):
        load_yaml_block(renamed)


# --- JSON ---------------------------------------------------------------------------


def _policy_rules() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "policy"))
    try:
        from guardrails import RULES  # pyright: ignore[reportMissingImports]
    finally:
        sys.path.remove(str(ROOT / "policy"))
    return dict(RULES)  # pyright: ignore[reportUnknownArgumentType]


def policy_config_problems(config: dict[str, Any]) -> list[str]:
    """A `--policy-pack-config` file against the pack's policies and their schemas."""
    rules = _policy_rules()
    problems: list[str] = []
    for name, values in config.items():
        if name not in rules:
            problems.append(f"{name}: no such policy")
            continue
        schema = {"type": "object", "properties": rules[name][2], "additionalProperties": False}
        try:
            jsonschema.validate(values, schema)
        except jsonschema.ValidationError as exc:
            problems.append(f"{name}: {exc.message}")
    return problems


@pytest.mark.parametrize("block", _of("json"), ids=str)
def test_json_block_parses(block: Block) -> None:
    value = json.loads(block.code)
    rules = _policy_rules()
    if isinstance(value, dict) and set(value) & set(rules):  # pyright: ignore[reportUnknownArgumentType]
        assert policy_config_problems(value) == [], block  # pyright: ignore[reportUnknownArgumentType]


def test_the_policy_pack_config_is_documented_and_checked() -> None:
    documented = [b for b in _of("json") if b.path.name == "policy-pack.md"]
    assert documented
    assert policy_config_problems({"session-manager-document": {"maxIdleTimeout": 15}})


# --- Shell commands -----------------------------------------------------------------

MAKE_TARGETS = set(
    re.findall(r"^([A-Za-z][\w-]*):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
)


def shell_lines(code: str) -> Iterator[str]:
    """Each command of a shell block: comments dropped, continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", code)
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            words = line.split()
        yield " ".join(shlex.quote(w) for w in words)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # pyright: ignore[reportPrivateUsage]
        if isinstance(action, argparse._SubParsersAction):  # pyright: ignore[reportPrivateUsage]
            return dict(action.choices)  # pyright: ignore[reportUnknownArgumentType]
    return {}


COMMANDS = _subparsers(build_parser())


def cli_problems(words: list[str]) -> list[str]:
    """The flags of `python -m session_manager WORDS` against the CLI's argparse.

    Flags only: file arguments name files of the reader's machine.
    """
    if words[:1] == ["<command>"]:  # the CLI named in general
        return []
    if not words or words[0] not in COMMANDS:
        return [f"no command {words[:1]}; commands: {sorted(COMMANDS)}"]
    parser = COMMANDS[words[0]]
    options = {
        option: action
        for action in parser._actions  # pyright: ignore[reportPrivateUsage]
        for option in action.option_strings
    }
    given = {w.split("=", 1)[0] for w in words[1:] if w.startswith("-")}
    problems = [f"{words[0]}: unknown flag {flag}" for flag in sorted(given - set(options))]
    for action in parser._actions:  # pyright: ignore[reportPrivateUsage]
        if action.required and action.option_strings and not given & set(action.option_strings):
            problems.append(f"{words[0]}: {action.option_strings[0]} is required")
    return problems


def command_problems(command: str) -> list[str]:
    words = shlex.split(command)
    problems: list[str] = []
    for index, word in enumerate(words):
        if word == "-m" and words[index + 1 : index + 2] == ["session_manager"]:
            rest: list[str] = []
            for arg in words[index + 2 :]:
                if arg in ("|", "&&", ">", ")", ";") or arg.startswith(">"):
                    break
                rest.append(arg.rstrip(")"))
            problems += cli_problems(rest)
        if word == "make" and index + 1 < len(words):
            target = words[index + 1]
            if "=" not in target and target not in MAKE_TARGETS:
                problems.append(f"make {target}: no such Makefile target")
    if words[:3] == ["pulumi", "config", "set"]:
        keys = [w for w in words[3:] if w.startswith(P)]
        problems += [f"{k}: not a config key" for k in keys if not key_exists(k)]
    return problems


SHELL_BLOCKS = _of("bash", "sh", "shell")


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=str)
def test_shell_commands_match_the_cli(block: Block) -> None:
    problems = [p for line in shell_lines(block.code) for p in command_problems(line)]
    assert problems == [], block


def test_inline_commands_match_the_cli() -> None:
    """`python -m session_manager ...` written in running text, not in a block."""
    problems: list[str] = []
    for path in DOCS:
        text = path.read_text()
        for command in re.findall(r"`((?:python -m session_manager|make) [^`.]+)`", text):
            problems += [f"{path.name}: {p}" for p in command_problems(command)]
    assert problems == []


def test_the_shell_checks_catch_a_wrong_flag_or_target() -> None:
    assert command_problems("python -m session_manager plan --stack dev --dif base.json")
    assert command_problems("python -m session_manager adopt --stack dev")  # --out missing
    assert command_problems("make docz")
    assert command_problems("pulumi config set --path 'session-manager:logGroup.retentionDays' 7")
    assert not command_problems("make demo STACK=complete")


def test_starting_moto_by_hand_uses_a_real_server_flag() -> None:
    """moto's server takes -H/--host and -p/--port (moto/server.py's argparse)."""
    from moto.server import main

    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    page = (ROOT / "docs" / "verify-adopt-emulate.md").read_text()
    started = re.search(r"moto_server -H 127\.0\.0\.1 -p (\d+)", page)
    assert started
    # macOS's AirPlay Receiver holds port 5000, moto's default.
    assert started.group(1) != "5000"
    used = set(re.findall(r"--endpoint-url http://127\.0\.0\.1:(\d+)", page))
    assert used == {started.group(1)}, "every --endpoint-url uses the port moto was started on"


# --- Links --------------------------------------------------------------------------

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines outside fenced code blocks."""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
        elif not inside:
            yield number, line


def headings(text: str) -> set[str]:
    return {
        anchor(match.group(1))
        for _, line in prose_lines(text)
        if (match := re.match(r"^#{1,6} (.*)", line))
    }


def link_problems(path: Path, text: str) -> list[str]:
    problems: list[str] = []
    for number, line in prose_lines(text):
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):  # https:, mailto:
                continue
            # The Registry's link to the other Registry page: that page's file.
            written = {"./installation-configuration/": "installation-configuration.md"}
            file_part, _, fragment = str(written.get(target, target)).partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                problems.append(f"{path.name}:{number}: {target}: no such file")
            elif fragment and linked.is_file() and fragment not in headings(linked.read_text()):
                problems.append(f"{path.name}:{number}: {target}: no such heading")
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    assert link_problems(path, path.read_text()) == []


def test_a_broken_link_or_anchor_is_caught() -> None:
    page = ROOT / "docs" / "first-deploy.md"
    assert link_problems(page, "[x](no-such-page.md)")
    assert link_problems(page, "[x](secrets.md#no-such-heading)")
    assert not link_problems(page, "[x](secrets.md#secrets) [y](../README.md#guides)")


# --- Config keys --------------------------------------------------------------------


def model_keys(model: type[BaseModel] = StackConfig, prefix: str = "") -> dict[str, Any]:
    """Every key of the models, walked here without the reference's code."""
    import types
    from typing import Annotated, Union, get_args, get_origin

    def inner(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
        origin = get_origin(annotation)
        if origin is Annotated:
            return inner(get_args(annotation)[0])
        if origin in (Union, types.UnionType):
            for arg in get_args(annotation):
                found = inner(arg)
                if found[0] is not None:
                    return found
            return None, False
        if origin is list:
            return inner(get_args(annotation)[0])[0], True
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation, False
        return None, False

    keys: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = f"{prefix}.{field.alias or name}" if prefix else f"{P}{field.alias or name}"
        keys[key] = field.annotation
        sub, is_list = inner(field.annotation)
        if sub is not None:
            keys |= model_keys(sub, key + ITEM if is_list else key)
    return keys


MODEL_KEYS = model_keys()


def key_exists(written: str) -> bool:
    """A key as docs write it (`targets[0].account`, `preferences.shellProfile.linux`)."""
    key = re.sub(r"\[\d*\]", ITEM, written.rstrip(".,;:'\""))
    if key in MODEL_KEYS or key.removesuffix(ITEM) in MODEL_KEYS:
        return True
    # Inside a map or free-form value (a target's `preferences`, a tag): its parent key.
    parts = key.split(".")
    return any(
        ".".join(parts[:n]) in MODEL_KEYS and "dict" in str(MODEL_KEYS[".".join(parts[:n])])
        for n in range(1, len(parts))
    )


# `session-manager:index:Type` is a Pulumi type token and `session-manager:emulated` a
# tag, not config keys.
KEY_MENTION = re.compile(r"(?<![\w/-])session-manager:(?!index:|emulated\b)([A-Za-z][\w.\[\]]*)")


def key_problems(text: str) -> list[str]:
    # An error message quoted to show a misspelt key says "unknown key" on its line.
    lines = [line for line in text.splitlines() if "unknown key" not in line]
    mentioned = KEY_MENTION.findall("\n".join(lines))
    return sorted({f"{P}{k}" for k in mentioned if not key_exists(f"{P}{k}")})


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_config_key_named_exists(path: Path) -> None:
    assert key_problems(path.read_text()) == []


def test_a_renamed_key_is_caught_in_the_text() -> None:
    assert key_problems("set `session-manager:logGroup.retentionDays`") == [
        "session-manager:logGroup.retentionDays"
    ]
    assert key_problems("`session-manager:targets[0].preferences.idleSessionTimeout`") == []


# --- Keys written without the `session-manager:` prefix -------------------------------

# A code span that is a dotted path or a camelCase word.
CODE_SPAN = re.compile(r"`([A-Za-z][\w\[\]]*(?:\.[A-Za-z][\w\[\]]*)*)`")
# Dotted code spans that are not config keys: Python and Pulumi names, workflow, Go and
# project files, AWS hostnames, event paths, version placeholders.
NOT_KEY_PATHS = frozenset(
    {
        "Output.all",
        "aws.Provider",
        "pulumi.RunError",
        "pulumi_aws.s3",
        "registry.COMPARED",
        "runtime.options.virtualenv",
        "serviceEventDetails.createAccountStatus.accountId",
        "vX.Y.Z",
        "cn.com.amazonaws",
        # Cedar: the just-in-time schema's context (just-in-time-access.md)
        "iam.principalTags",
        # the shared stack's output a shard reads; a Pulumi engine function (shards.md)
        "centralLogs.kmsKeyArn",
        "legacyReferenceStore.ParseReference",
        # verify finding paths (verify-adopt-emulate.md)
        "rule.defaultRetention",
    }
)
FILE_OR_HOST = re.compile(r"\.(ya?ml|json|go|py|md|txt|toml|com)$")
# camelCase code spans that are not config keys, by what they are.
NOT_KEY_WORDS = frozenset(
    {
        # fields of pulumi-aws's and aws-native's assumeRole (docs/just-in-time-access.md)
        *("durationSeconds", "sourceIdentity"),
        # a Pulumi resource option, and the engine function that applies it
        *("replaceOnChanges", "applyReplaceOnChanges"),
        # the components' outputs (docs/resources.md)
        *("accessPolicyArns", "apiDestinationArn", "bucketArn", "centralLogs"),
        *("deadLetterQueueUrl", "documentArn", "instancePolicyArn", "instanceProfileName"),
        *("instanceRoleName", "kmsKeyArn", "logGroupArn", "logGroupName", "ruleNames"),
        *("sessionDataKeyArn", "logProtection"),
        # Session document fields and parameter attributes (custom-documents.md)
        *("allowedPattern", "allowedValues", "localPortNumber", "maxChars", "minChars"),
        *("portNumber", "runAsElevated", "schemaVersion", "sessionType"),
        # Pulumi resource options and engine functions
        *("deleteBeforeReplace", "deletedWith", "ignoreChanges", "retainOnDelete"),
        *("diffResource", "inheritedChildAlias", "isDeletedWith", "providerChanged"),
        *("getOrganization", "getOrganizationalUnitDescendantAccounts", "secretConfig"),
        # the policy pack's config, verify's and adopt's output, event fields
        *("maxIdleSessionTimeout", "minLogRetentionDays", "requireRunAs"),
        *("requireSessionEncryption", "inlinePolicies", "attachedPolicies", "nameTable"),
        *("errorCode", "eventType", "mainEnvironment", "secretInputs"),
        # values of ownSessions
        *("sessionTag", "userName"),
        # Cedar: AWS's just-in-time schema (attributes, the action, functions)
        *("costCenter", "employeeNumber", "documentType", "getTokenForInstanceAccess"),
        *("getTag", "hasTag"),
        # fields of the just-in-time policy documents AWS's sample deploys
        *("accessDuration", "timeoutSeconds"),
        # plan --diff --json fields; a pulumi-aws key input
        *("awaitingStateMove", "bypassPolicyLockoutSafetyCheck"),
        # the engine's builtin a StackReference calls (shards.md)
        *("readStackReference",),
        # the stack output the shard-count guard compares (shards.md)
        *("shardCount",),
        # plan --diff --json's incomplete moves; a pulumi CLI function (shards.md)
        *("movesIncomplete", "createSecretsManagerForNewStack"),
        # a verify finding's field (verify-adopt-emulate.md)
        *("bucketKey",),
    }
)
TOP_KEYS = {k[len(P) :].split(".")[0].removesuffix(ITEM) for k in MODEL_KEYS}
# Every segment of a key: `objectLock`, `shellProfile`, `retentionInDays`.
KEY_SEGMENTS = {part.removesuffix(ITEM) for k in MODEL_KEYS for part in k[len(P) :].split(".")}


def resolve_key(written: str) -> str | None:
    """The model key a mention names: whole (`logGroup.retentionInDays`) or by its tail
    (`objectLock.retentionDays`), when exactly one key ends so."""
    path = re.sub(r"\[\d*\]", ITEM, written)
    if f"{P}{path}" in MODEL_KEYS:
        return f"{P}{path}"
    tails = [k for k in MODEL_KEYS if k.endswith(f".{path}") or k.endswith(f".{path}{ITEM}")]
    return tails[0] if len(tails) == 1 else None


def unprefixed_key_problems(text: str) -> list[str]:
    """Code spans that look like config keys but name none, outside code blocks."""
    problems: set[str] = set()
    for _, line in prose_lines(text):
        if "unknown key" in line:
            continue
        for span in CODE_SPAN.findall(line):
            if span in NOT_KEY_PATHS or span in NOT_KEY_WORDS or FILE_OR_HOST.search(span):
                continue
            if "." in span or "[" in span:
                first = re.sub(r"\[\d*\]", "", span.split(".")[0])
                known = key_exists(f"{P}{span}") if first in TOP_KEYS else resolve_key(span)
                if not known:
                    problems.add(span)
            elif re.fullmatch(r"[a-z]+[A-Z]\w*", span) and span not in KEY_SEGMENTS:
                problems.add(span)
    return sorted(problems)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_unprefixed_key_named_exists(path: Path) -> None:
    """`logGroup.retentionInDays`, `objectLock.retentionDays`, `expireAfterDays`: keys as
    the pages write them in prose; a dotted or camelCase span that is no key is listed
    in NOT_KEY_PATHS or NOT_KEY_WORDS."""
    assert unprefixed_key_problems(path.read_text()) == []


def test_a_renamed_unprefixed_key_is_caught() -> None:
    assert unprefixed_key_problems("Set `logGroup.retentionDays`.") == ["logGroup.retentionDays"]
    assert unprefixed_key_problems("`centralLogging.expireDays`") == ["centralLogging.expireDays"]
    assert unprefixed_key_problems("`sessionDataKey.deletionWindow`") == [
        "sessionDataKey.deletionWindow"
    ]
    assert unprefixed_key_problems("`objectLock.retentionYears`") == ["objectLock.retentionYears"]
    assert unprefixed_key_problems("`expireDays` and `targets[0].regions`") == ["expireDays"]
    assert unprefixed_key_problems("`Pulumi.dev.yaml`, `objectLock.retentionDays`") == []


# --- Defaults and allowed values stated in the pages -----------------------------------

# A key in a code span, then a parenthesis stating its values: `key` (default 2557 days, ...).
KEY_AND_VALUES = re.compile(r"`(?:session-manager:)?([A-Za-z][\w.\[\]]*)`\s*\(([^)]*)\)")


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?<![\w.-])\d+(?![\w.-])", text)]


def stated_value_problems(text: str) -> list[str]:
    """Numbers a page states in parentheses after a key, against the reference: a
    `default N` equals the model's default, any other number is in its allowed values."""
    by_key = {e.key: e for e in entries()}
    problems: list[str] = []
    for written, stated in KEY_AND_VALUES.findall(" ".join(text.split())):
        key = resolve_key(written)
        if key is None or key not in by_key:
            continue
        entry = by_key[key]
        default = re.search(r"default:? (\d+)", stated)
        if default and f"`{default.group(1)}`" != entry.default:
            problems.append(
                f"{written}: default {default.group(1)}, the model's is {entry.default}"
            )
        rest = stated[: default.start()] + stated[default.end() :] if default else stated
        allowed = set(_numbers(entry.allowed))
        problems += [
            f"{written}: {n} is not in {entry.allowed!r}"
            for n in _numbers(rest)
            if n not in allowed
        ]
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_stated_defaults_and_limits_match_the_models(path: Path) -> None:
    assert stated_value_problems(path.read_text()) == []


def test_a_wrong_stated_default_or_limit_is_caught() -> None:
    ok = "`centralLogging.expireAfterDays` (default 2557 days, at least 365)"
    assert stated_value_problems(ok) == []
    assert stated_value_problems(ok.replace("2557", "3653"))
    assert stated_value_problems(ok.replace("365)", "400)"))
    assert stated_value_problems("`deletionWindowInDays` (7 to 30, default 30)") == []
    assert stated_value_problems("`deletionWindowInDays` (7 to 31, default 30)")


def test_the_retention_page_states_the_models_retention_values() -> None:
    """The retention section's Default and Allowed values bullets (not in parentheses)."""
    page = (ROOT / "docs" / "retention-and-encryption.md").read_text()
    section = " ".join(page.split("## Encryption")[0].split())
    default = re.search(r"- Default: (\d+) days", section)
    assert default, "the retention section states its default"
    assert f"`{default.group(1)}`" == field_default(f"{P}logGroup.retentionInDays")
    allowed = re.search(r"- Allowed values[^:]*:([^.]*)\.", section)
    assert allowed, "the retention section lists the allowed values"
    assert sorted(_numbers(allowed.group(1))) == sorted(
        ALLOWED[f"{P}logGroup.retentionInDays"].valid
    )
    row = re.search(
        r"`ssm-sessionmanager-logs`, (\d+) days", (ROOT / "docs" / "resources.md").read_text()
    )
    assert row
    assert f"`{row.group(1)}`" == field_default(f"{P}logGroup.retentionInDays")


def field_default(key: str) -> str:
    return next(e.default for e in entries() if e.key == key)


def test_the_reference_lists_exactly_the_models_keys() -> None:
    table = re.findall(r"^\| \[`([^`]+)`\]\(#([^)]+)\)", REFERENCE.read_text(), re.MULTILINE)
    assert sorted(key for key, _ in table) == sorted(MODEL_KEYS)
    page_headings = headings(REFERENCE.read_text())
    assert all(link in page_headings for _, link in table)
    for key in MODEL_KEYS:
        field_of(key)


def test_every_key_has_an_example_that_loads() -> None:
    missing = [e.key for e in entries() if not e.example]
    assert missing == []
    for entry in entries():
        if entry.example.startswith("pulumi "):
            assert command_problems(entry.example) == []
            continue
        try:
            load_yaml_block(entry.example)
        except ConfigError as exc:
            pytest.fail(f"{entry.key}: {exc.problems}")


@pytest.mark.parametrize("key", sorted(ALLOWED), ids=str)
def test_allowed_values_are_what_the_loader_allows(key: str) -> None:
    allowed = ALLOWED[key]
    assert allowed.valid or allowed.invalid
    for value in allowed.valid:
        load_config(example_config(key, value))
    for value in allowed.invalid:
        with pytest.raises(ConfigError):
            load_config(example_config(key, value))


# Values no key should take, by type: a key whose reference says "any" must load them,
# or its reference is missing the restriction the loader enforces.
PROBES: dict[str, tuple[Any, ...]] = {
    "string": ("!! not valid !!", "x", "/x", "a:b c"),
    "integer": (-1, 0, 10**9),
    "list of string": (["!! not valid !!"], ["x"]),
    "map of string": ({"!! k": "!! v"},),
    "map of any value": ({"!! k": "!! v"},),
    "map of list of string": ({"!! k": ["!! v"]},),
    "secret": ("x",),
}
# Types whose keys are checked through their own keys (objects) or by their flags.
UNPROBED_TYPES = {"object", "list of object", "boolean"}


def unlisted_restrictions(key: str, typ: str) -> list[str]:
    """The probe values the loader refuses for a key the reference says takes any value."""
    refused: list[str] = []
    for value in PROBES[typ]:
        try:
            load_config(example_config(key, value))
        except ConfigError as exc:
            refused.append(f"{key} = {value!r}: {exc.problems[0][1]}")
    return refused


ANY_KEYS = [(e.key, e.type) for e in entries() if not e.allowed and e.type not in UNPROBED_TYPES]


@pytest.mark.parametrize(("key", "typ"), ANY_KEYS, ids=[k for k, _ in ANY_KEYS])
def test_a_key_said_to_take_any_value_takes_it(key: str, typ: str) -> None:
    """ "Allowed values: any" must be true: the loader accepts obviously bad values."""
    assert unlisted_restrictions(key, typ) == []


def test_every_key_is_either_listed_or_probed() -> None:
    typed = {e.type for e in entries() if not e.allowed}
    assert typed <= set(PROBES) | UNPROBED_TYPES
    # The probe finds a restriction the reference didn't state.
    assert unlisted_restrictions(f"{P}centralLogging.account", "string")


# --- The README as a landing page ---------------------------------------------------


def test_the_readme_is_a_landing_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "make demo" in readme
    assert "make test" in readme


@pytest.mark.parametrize(
    ("question", "page", "words"),
    [
        ("retention", "retention-and-encryption.md", "retentionInDays"),
        ("add an account", "accounts-ous-regions.md", "## Add an account or an OU"),
        ("a PR diff locally", "offline-plan.md", "## A pull request's diff on your machine"),
        ("start moto", "verify-adopt-emulate.md", "## Start moto by hand"),
        ("offboard an account", "changing-things-safely.md", "## Offboarding an account"),
        ("rotate the accountEvents token", "changing-things-safely.md", "accountEventsToken"),
    ],
)
def test_each_task_is_one_click_from_the_readme(question: str, page: str, words: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"](docs/{page})" in readme, question
    assert words in (ROOT / "docs" / page).read_text(), question


@pytest.mark.parametrize("name", ["_index.md", "installation-configuration.md"])
def test_registry_pages_have_the_registrys_front_matter(name: str) -> None:
    """Pulumi Registry packages keep docs/_index.md and docs/installation-configuration.md,
    each opening with YAML front matter: title, meta_desc, layout: package (as in
    1Password/pulumi-onepassword docs/)."""
    text = (ROOT / "docs" / name).read_text()
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n", 2)[1])
    assert front["layout"] == "package"
    assert front["title"]
    assert front["meta_desc"]


# The Registry publishes only these two pages, the overview at the package's root and the
# other at `./installation-configuration/` (as 1Password/pulumi-onepassword's docs link it).
REGISTRY_PAGES = ("_index.md", "installation-configuration.md")
REGISTRY_LINK = re.compile(r"^(https://|/|#|\./installation-configuration/$)")


def registry_page_problems(text: str) -> list[str]:
    """A Registry page has no H1 (the front matter's title is the page's title, as in
    pulumi/pulumi-aws docs/installation-configuration.md) and only links that resolve on
    the Registry: absolute, site-rooted, anchors, or the other Registry page."""
    body = text.split("---\n", 2)[2]
    problems = [f"H1: {line}" for line in body.splitlines() if line.startswith("# ")]
    for target in LINK.findall(body):
        if not REGISTRY_LINK.match(target):
            problems.append(f"link {target}: not on the Registry")
    return problems


@pytest.mark.parametrize("name", REGISTRY_PAGES)
def test_registry_pages_read_well_on_the_registry(name: str) -> None:
    assert registry_page_problems((ROOT / "docs" / name).read_text()) == []


def test_a_registry_page_problem_is_caught() -> None:
    assert registry_page_problems("---\ntitle: x\n---\n# X\n[ref](configuration-reference.md)\n")
    assert not registry_page_problems("---\ntitle: x\n---\n[i](./installation-configuration/)\n")


def layout_paths(tree: str) -> list[str]:
    """The paths a layout tree names: `name   description` lines, two spaces a level;
    `a.py, b.py` names two; a line indented past its level continues a description."""
    paths: list[str] = []
    parents: list[str] = []
    for line in tree.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        level = indent // 2
        if indent % 2 or level > len(parents):
            continue  # a description's continuation
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        parents = parents[:level]
        for name in (n.strip() for n in names.split(",")):
            paths.append("".join(parents) + name)
        if names.endswith("/"):
            parents.append(names)
    return paths


def test_the_layout_names_files_that_exist() -> None:
    """CONTRIBUTING's layout tree rots when a module moves: each path it names exists."""
    contributing = ROOT / "CONTRIBUTING.md"
    section = contributing.read_text().split("## Layout", 1)[1]
    tree = next(b for b in blocks(contributing, section) if b.info == "text")
    paths = layout_paths(tree.code)
    assert len(paths) > 60
    assert [p for p in paths if not (ROOT / p).exists()] == []
    assert layout_paths("a/\n  b.py, c.py   two\n                 more\nd   x\n") == [
        "a/",
        "a/b.py",
        "a/c.py",
        "d",
    ]


def offline_plan_commands() -> list[list[str]]:
    """Every `python -m session_manager plan ...` the docs show for a stack that exists
    here (dev, and the examples), as argv after `-m session_manager`."""
    stacks = {"dev", *(p.name[len("Pulumi.") : -len(".yaml")] for p in EXAMPLE_STACKS)}
    found: dict[str, list[str]] = {}
    for path in DOCS:
        for code in [b.code for b in blocks(path) if b.info in ("bash", "sh")] + [path.read_text()]:
            for match in re.finditer(r"python -m session_manager (plan [^`\n|>)#]*)", code):
                argv = shlex.split(match.group(1))
                if argv[argv.index("--stack") + 1] in stacks:
                    found[" ".join(argv)] = argv
    return list(found.values())


EXAMPLE_STACKS = sorted((ROOT / "examples").glob("*/Pulumi.*.yaml"))


def copy_project_with_examples(tmp_path: Path) -> None:
    """The project's program and dev stack, with the example stacks beside it."""
    import shutil

    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for stack_file in EXAMPLE_STACKS:
        if stack_file.parent.name != "consumer":
            shutil.copy(stack_file, tmp_path / stack_file.name)
            for policy in stack_file.parent.glob("*.cedar"):  # its policy files
                shutil.copy(policy, tmp_path / policy.name)


# Runs each command with the CLI's own main() in one process, stdout to a file per
# command (a process per command would cost ~3 s of imports each).
_RUN_ALL = """
import contextlib, json, sys
from session_manager.cli import main
codes = []
for index, (argv, out) in enumerate(json.load(sys.stdin)):
    with open(out or f"{index}.out", "w") as stdout, contextlib.redirect_stdout(stdout):
        try:
            codes.append(main(argv))
        except SystemExit as exc:
            codes.append(exc.code)
print(json.dumps(codes))
"""


def run_all(cwd: Path, runs: list[tuple[list[str], str | None]]) -> tuple[list[Any], str]:
    """Each (argv, stdout file) through the CLI's main() in one process: exit codes, stderr."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _RUN_ALL],
        cwd=cwd,
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1]), result.stderr


def test_the_offline_plan_commands_run(tmp_path: Path) -> None:
    """The docs' offline commands run as written, in a copy of the project."""

    copy_project_with_examples(tmp_path)
    commands = offline_plan_commands()
    assert len(commands) >= 5
    runs: list[tuple[list[str], str | None]] = []
    for argv in commands:
        if "--diff" in argv:  # the base plan first, as the page says to make it
            base = argv[argv.index("--diff") + 1]
            dropped = {"--diff", base, "--summary"}
            if "--import-file" in argv:  # what only a diff writes
                dropped |= {"--import-file", argv[argv.index("--import-file") + 1]}
            plain = [a for a in argv if a not in dropped]
            runs.append(([*plain, "--json"], base))
        runs.append((argv, None))
    codes, stderr = run_all(tmp_path, runs)
    failed = [(argv, code) for (argv, _), code in zip(runs, codes, strict=True) if code != 0]
    assert failed == [], f"{failed}: {stderr[-2000:]}"


def test_the_pr_diff_recipe_runs_as_written(tmp_path: Path) -> None:
    """docs/offline-plan.md's recipe, run as written by bash in a fresh clone whose folder
    is not the project's name, with the project's virtualenv as the clone's `.venv`."""
    import subprocess
    import time

    page = ROOT / "docs" / "offline-plan.md"
    section = page.read_text().split("## A pull request's diff on your machine", 1)[1]
    recipe = next(b for b in blocks(page, section) if b.info == "bash").code
    assert "session-manager" not in recipe.replace("-m session_manager", "")
    clone, origin = tmp_path / "my-fork", tmp_path / "origin.git"
    started = time.monotonic()
    # An origin whose main is this checkout's commit: the base is code this .venv runs.
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    subprocess.run(
        ["git", "push", "--quiet", str(origin), "HEAD:refs/heads/main"], cwd=ROOT, check=True
    )
    subprocess.run(
        ["git", "clone", "--quiet", "--branch", "main", str(origin), str(clone)], check=True
    )
    (clone / ".venv").symlink_to(ROOT / ".venv")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", recipe],
        check=False,
        cwd=clone,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((clone / "base.json").read_text())["resources"]
    assert "No changes: every resource is as in the base plan." in result.stdout
    assert time.monotonic() - started < 60


ACTIVATE = "source .venv/bin/activate"


@pytest.mark.parametrize("name", ["README.md", "docs/first-deploy.md"])
def test_the_start_says_to_activate_the_virtualenv(name: str) -> None:
    """`python -m session_manager` needs the project's .venv (`make venv` installs the
    package there): otherwise python3 says `No module named session_manager`."""
    text = (ROOT / name).read_text()
    assert ACTIVATE in text
    first_command = re.search(r"python -m session_manager [a-z]", text)
    assert first_command is None or text.index(ACTIVATE) < first_command.start()
    assert ".venv/bin/python -m session_manager" in text


def test_every_page_runs_the_cli_the_same_way() -> None:
    """`python -m session_manager` (in the activated .venv) or `.venv/bin/python -m ...`,
    never `python3 -m session_manager`, which is the system's Python."""
    pages = [p.name for p in DOCS if "python3 -m session_manager" in p.read_text()]
    assert pages == []


def test_the_troubleshooting_sample_is_the_loaders_output() -> None:
    """The `Invalid stack config` sample, problem for problem and in order, is what the
    loader says for the config the page names."""
    page = (ROOT / "docs" / "troubleshooting.md").read_text()
    sample = next(b for b in blocks(ROOT / "docs" / "troubleshooting.md") if b.info == "text")
    assert "`preferences: {idleSesionTimeout: 20, runAsEnabled: true}`" in page
    config = {f"{P}preferences": {"idleSesionTimeout": 20, "runAsEnabled": True}}
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    lines = [f"  - {key}: {problem}" for key, problem in refused.value.problems]
    assert sample.code.splitlines() == [f"Invalid stack config ({len(lines)} problems):", *lines]


def test_the_run_as_error_is_the_agents() -> None:
    """aws/amazon-ssm-agent agent/session/shell/shell_unix.go: `failed to start pty since
    RunAs user %s does not exist`, which agent/session/shell/shell.go `execute` reports as
    `Unable to start command: %s` and the session fails with."""
    page = (ROOT / "docs" / "troubleshooting.md").read_text()
    assert "Unable to start command: failed to start pty since RunAs user X does not exist" in page


PLAN_GREP = re.compile(r"python -m session_manager (plan [^|#]*?)\s*\|\s*grep -F '([^']+)'")


def test_check_it_worked_greps_find_their_words(tmp_path: Path) -> None:
    """Each `plan ... | grep -F 'words'` a page tells the reader to run finds its words:
    the plan prints them for that stack."""

    greps: dict[str, tuple[list[str], list[str]]] = {}
    for block in SHELL_BLOCKS:
        for line in block.code.splitlines():
            for match in PLAN_GREP.finditer(line):
                argv = shlex.split(match.group(1))
                greps.setdefault(" ".join(argv), (argv, []))[1].append(match.group(2))
    assert len(greps) >= 1
    assert sum(len(words) for _, words in greps.values()) >= 4
    copy_project_with_examples(tmp_path)
    runs: list[tuple[list[str], str | None]] = [
        (argv, f"{index}.out") for index, (argv, _) in enumerate(greps.values())
    ]
    run_all(tmp_path, runs)
    missing = [
        (" ".join(argv), words)
        for (argv, out), (_, all_words) in zip(runs, greps.values(), strict=True)
        for words in all_words
        if words not in (tmp_path / str(out)).read_text()
    ]
    assert missing == []
