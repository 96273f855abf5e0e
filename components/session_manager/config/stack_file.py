"""Pulumi's project and stack files read as the Pulumi CLI reads them.

The CLI decodes `Pulumi.yaml` and `Pulumi.<stack>.yaml` with go-yaml v3
(pulumi/pulumi sdk/go/common/workspace/project.go imports gopkg.in/yaml.v3), which
differs from a plain `yaml.safe_load` in two ways that matter to a plan:

- a mapping that names one key twice is refused ("mapping key ... already defined"),
  where PyYAML keeps the last value;
- aliases are expanded under a budget: once more than 100 nodes came from aliases in a
  document of more than 1000 decoded nodes, the share of alias-made nodes may not pass
  99% (tapering to 10% for documents of 400,000 to 4,000,000 nodes), or decoding stops
  with "document contains excessive aliasing"; an anchor whose value contains itself is
  refused too (go-yaml/yaml v3 decode.go, `allowedAliasRatio`, `unmarshal`, `alias`).
  An alias bomb therefore fails fast instead of expanding to gigabytes.

- plain scalars resolve as go-yaml v3 resolves them into an `interface{}` (resolve.go,
  `resolveMapList` and `resolve`), which is how Pulumi reads an object config value
  (sdk/go/common/resource/config/value.go `unmarshalValue`): only true/True/TRUE and
  false/False/FALSE are booleans (YAML 1.1's yes/no/on/off stay text, which a flag then
  refuses with the fix), `0o17` is an octal number, `1e3` a float, and `1:30` is text,
  not YAML 1.1's base-60 number 90.

The stack file's own keys are those of ProjectStack (project.go): anything else at the
top level, such as a `session-manager:` key written outside `config:`, is ignored by
Pulumi and named here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

import yaml

# ProjectStack's yaml tags (pulumi/pulumi sdk/go/common/workspace/project.go).
STACK_FILE_KEYS = (
    "secretsprovider",
    "encryptedkey",
    "encryptionsalt",
    "config",
    "environment",
    "mainEnvironment",
)

# go-yaml v3 decode.go.
_ALIAS_RATIO_RANGE_LOW = 400_000
_ALIAS_RATIO_RANGE_HIGH = 4_000_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


class StackFileError(ValueError):
    """The file is not what the Pulumi CLI would read: one line saying why and where."""


class _Alias:
    """Where the file wrote `*name`: the anchored node, kept apart from the node itself."""

    def __init__(self, name: str, node: yaml.Node) -> None:
        self.name = name
        self.node = node


# go-yaml v3 resolve.go: the scalars it resolves to a bool, an int or a float.
_GO_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_GO_INT = re.compile(
    r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+"
    r"|[-+]?0b[01_]+)$"
)
_GO_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_RESOLVED_HERE = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


def _go_yaml_resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    """SafeLoader's implicit resolvers with bool, int and float as go-yaml v3 has them."""
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in _RESOLVED_HERE]
        for first, entries in cast(Any, yaml.SafeLoader).yaml_implicit_resolvers.items()
    }
    added = [
        ("tag:yaml.org,2002:bool", _GO_BOOL, "tTfF"),
        ("tag:yaml.org,2002:int", _GO_INT, "-+0123456789"),
        ("tag:yaml.org,2002:float", _GO_FLOAT, "-+0123456789."),
    ]
    # First in each list, in go-yaml's order: an int before a float ("017" is octal 15).
    for tag, regexp, firsts in reversed(added):
        for first in firsts:
            resolvers.setdefault(first, []).insert(0, (tag, regexp))
    return resolvers


class _AliasKeepingLoader(yaml.SafeLoader):
    """A loader whose node graph marks each alias, so expansion can be counted, and whose
    scalars resolve as go-yaml v3 resolves them."""

    yaml_implicit_resolvers = _go_yaml_resolvers()

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node)).replace("_", "")
        sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        return super().construct_yaml_int(node)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        loader = cast(Any, self)
        if loader.check_event(yaml.AliasEvent):
            event = loader.get_event()
            anchor = str(event.anchor)
            if anchor not in self.anchors:
                raise yaml.MarkedYAMLError(
                    problem=f"found undefined alias {anchor!r}", problem_mark=event.start_mark
                )
            return cast(yaml.Node, _Alias(anchor, self.anchors[anchor]))
        return super().compose_node(parent, index)


# PyYAML binds a constructor by function, not by method lookup: the octal form needs its own.
_AliasKeepingLoader.add_constructor(
    "tag:yaml.org,2002:int", cast(Any, _AliasKeepingLoader).construct_yaml_int
)


def _allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _ALIAS_RATIO_RANGE_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_RANGE_HIGH:
        return 0.10
    spread = _ALIAS_RATIO_RANGE_HIGH - _ALIAS_RATIO_RANGE_LOW
    return 0.99 - 0.89 * ((decoded - _ALIAS_RATIO_RANGE_LOW) / spread)


class _Decoder:
    """Builds Python values from the node graph, with go-yaml v3's checks."""

    def __init__(self, loader: _AliasKeepingLoader) -> None:
        self.loader = loader
        self.decoded = 0
        self.from_aliases = 0
        self.alias_depth = 0
        self.expanding: set[int] = set()

    def value(self, node: yaml.Node | _Alias) -> Any:
        self.decoded += 1
        if self.alias_depth:
            self.from_aliases += 1
        if (
            self.from_aliases > 100
            and self.decoded > 1000
            and self.from_aliases / self.decoded > _allowed_alias_ratio(self.decoded)
        ):
            raise StackFileError(
                "document contains excessive aliasing: its anchors and aliases expand past "
                "the limit of go-yaml, which the Pulumi CLI reads it with; write the values out"
            )
        if isinstance(node, _Alias):
            return self._alias(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item) for item in node.value]
        return cast(Any, self.loader).construct_object(node)

    def _alias(self, alias: _Alias) -> Any:
        if id(alias.node) in self.expanding:
            raise StackFileError(f"anchor {alias.name!r} value contains itself")
        self.expanding.add(id(alias.node))
        self.alias_depth += 1
        try:
            return self.value(alias.node)
        finally:
            self.alias_depth -= 1
            self.expanding.discard(id(alias.node))

    def _mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        _refuse_duplicate_keys(node)
        result: dict[Any, Any] = {}
        merged: list[dict[Any, Any]] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE_TAG:
                merged += self._merge_sources(value_node)
                continue
            key = self.value(key_node)
            if isinstance(key, (dict, list)):
                raise StackFileError(f"line {_line(key_node)}: a key may not be a map or a list")
            result[key] = self.value(value_node)
        # `<<: *defaults`: the mapping's own keys win over merged ones.
        for source in merged:
            for key, item in source.items():
                result.setdefault(key, item)
        return result

    def _merge_sources(self, node: yaml.Node | _Alias) -> list[dict[Any, Any]]:
        target = node.node if isinstance(node, _Alias) else node
        items = target.value if isinstance(target, yaml.SequenceNode) else [node]
        sources: list[dict[Any, Any]] = []
        for item in items:
            value = self.value(item)
            if not isinstance(value, dict):
                raise StackFileError("map merge requires map or sequence of maps as the value")
            sources.append(cast(dict[Any, Any], value))
        return sources


def _line(node: yaml.Node | _Alias) -> int:
    return (node.node if isinstance(node, _Alias) else node).start_mark.line + 1


def _refuse_duplicate_keys(node: yaml.MappingNode) -> None:
    """go-yaml v3 compares each key's kind and text: `a` and `"a"` are one key."""
    seen: dict[tuple[str, str], int] = {}
    for key_node, _ in node.value:
        if isinstance(key_node, _Alias) or not isinstance(key_node, yaml.ScalarNode):
            continue
        identity = ("scalar", str(key_node.value))
        line = _line(key_node)
        if identity in seen:
            raise StackFileError(
                f"line {line}: mapping key {key_node.value!r} already defined at line "
                f"{seen[identity]}; the Pulumi CLI refuses a file that names a key twice, "
                "so keep one"
            )
        seen[identity] = line


def load_pulumi_yaml(text: str) -> Any:
    """One YAML document as the Pulumi CLI would decode it; raises StackFileError or YAMLError."""
    loader = _AliasKeepingLoader(text)
    try:
        root = loader.get_single_node()
        return None if root is None else _Decoder(loader).value(root)
    finally:
        cast(Any, loader).dispose()


def unknown_stack_file_keys(document: dict[str, Any]) -> list[str]:
    """Top-level keys of a stack file that Pulumi ignores, each with where it belongs."""
    problems: list[str] = []
    for key in document:
        if key in STACK_FILE_KEYS:
            continue
        lowered = [k for k in STACK_FILE_KEYS if k.lower() == str(key).lower()]
        if lowered:
            hint = f"did you mean {lowered[0]!r}?"
        elif ":" in str(key):
            hint = "config keys go below `config:`, indented"
        else:
            hint = f"a stack file has only {', '.join(STACK_FILE_KEYS)}"
        problems.append(f"the top-level key {key!r} is not read by Pulumi; {hint}")
    return problems


def _yaml_problem(error: yaml.YAMLError) -> str:
    """A YAML error on one line: what is wrong and where."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    return str(error).splitlines()[0]


def read_pulumi_file(path: Path) -> Any:
    """A project or stack file as the Pulumi CLI decodes it; StackFileError in one line if not."""
    try:
        return load_pulumi_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StackFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise StackFileError(
            f"{path.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8, as Pulumi does"
        ) from None
    except StackFileError as exc:
        raise StackFileError(f"{path.name}: {exc}") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path.name} is not valid YAML: {_yaml_problem(exc)}") from None
    except RecursionError:
        raise StackFileError(f"{path.name} nests too deeply to read") from None


def excerpt(value: Any) -> str:
    """A value as JSON, cut to 60 characters, for a message."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else f"{text[:57]}..."


def project_name(file_name: str, project: dict[str, Any]) -> str:
    """The project's name, checked as Pulumi's project schema checks it, with its runtime.

    pulumi/pulumi sdk/go/common/workspace/project.json: name is text of letters, digits,
    '-', '_' and '.'; runtime is required.
    """
    name = project["name"]
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise StackFileError(
            f"{file_name}: name {excerpt(name)} is not a project name; Pulumi project names "
            "hold only letters, digits, '-', '_' and '.'"
        )
    if not project.get("runtime"):
        raise StackFileError(f"{file_name} has no runtime: (this project's is python)")
    return name


def project_config_values(project_config: dict[str, Any]) -> dict[str, Any]:
    """The values Pulumi.yaml's `config:` gives: `value:`/`default:`, or the shorthand value.

    Pulumi's project schema allows text, a whole number or a boolean as shorthand for the
    default, or an object with type, default, value...; anything else is refused.
    """
    values: dict[str, Any] = {}
    for key, spec in project_config.items():
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            spec_values = cast(dict[str, Any], spec)
            values[key] = spec_values.get("value", spec_values.get("default"))
        elif isinstance(spec, (str, int)):
            values[key] = spec
        elif not isinstance(spec, dict):
            raise StackFileError(
                f"Pulumi.yaml config: {key} must be text, a whole number, a boolean or "
                f"{{type:, default:}} (Pulumi's project schema), but it is {excerpt(spec)}"
            )
    return values


def missing_stack_file(project_dir: Path, path: Path) -> str | None:
    """Why `path` is not a stack file to read (with the stacks that are), or None."""
    if path.is_dir():
        return f"{path.name} is a directory, not a stack file: rename or remove it"
    if path.is_file():
        return None
    known = sorted(
        p.name[len("Pulumi.") : -len(".yaml")]
        for p in project_dir.glob("Pulumi.*.yaml")
        if p.is_file()
    )
    examples = sorted(project_dir.glob(f"examples/*/{path.name}"))
    hint = (
        f"; copy {examples[0].relative_to(project_dir)} here to use that example"
        if examples
        else ""
    )
    return f"no stack file {path.name}; stacks here: {', '.join(known) or 'none'}{hint}"
