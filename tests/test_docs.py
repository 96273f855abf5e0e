"""The docs can't rot: every code block, link and config key in README.md,
CONTRIBUTING.md and docs/ is checked against the code.

- `yaml` blocks are stack files (or their `config:` mapping) and go through the config
  loader, as `plan` reads them; a block that is only part of one is marked on the line
  before its fence with `<!-- doc-test: fragment (reason) -->` and is only parsed.
- `json` blocks parse; the policy pack's config is checked against its policies' schemas.
- shell lines: `python -m session_manager ...` is parsed against the CLI's argparse,
  `make TARGET` must be a Makefile target, `pulumi config set` must name a real key.
- relative links resolve to a file, and `#anchors` to a heading of that file.
- every `session-manager:key` named anywhere exists in the config models, and the
  reference page lists exactly the models' keys.

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
    ALLOWED,
    ITEM,
    anchor,
    entries,
    example_config,
    field_of,
)
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
    assert "moto_server -H 127.0.0.1 -p 5000" in page


# --- Links --------------------------------------------------------------------------

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def headings(text: str) -> set[str]:
    found: set[str] = set()
    inside = False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
        match = None if inside else re.match(r"^#{1,6} (.*)", line)
        if match:
            found.add(anchor(match.group(1)))
    return found


def link_problems(path: Path, text: str) -> list[str]:
    problems: list[str] = []
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
        if inside:
            continue
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):  # https:, mailto:
                continue
            file_part, _, fragment = target.partition("#")
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


def test_the_offline_plan_commands_run(tmp_path: Path) -> None:
    """The docs' offline commands run as written, in a copy of the project."""
    import shutil
    import subprocess

    for name in ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for stack_file in EXAMPLE_STACKS:
        if stack_file.parent.name != "consumer":
            shutil.copy(stack_file, tmp_path / stack_file.name)
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
    result = subprocess.run(
        [sys.executable, "-c", _RUN_ALL],
        cwd=tmp_path,
        input=json.dumps(runs),
        capture_output=True,
        text=True,
        check=True,
    )
    codes = json.loads(result.stdout.splitlines()[-1])
    failed = [(argv, code) for (argv, _), code in zip(runs, codes, strict=True) if code != 0]
    assert failed == [], f"{failed}: {result.stderr[-2000:]}"
