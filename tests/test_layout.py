"""The package's layers: what each may import, no import cycles, modules a reader can hold.

Layers, bottom up: `aws` (pure AWS rules and builders), `config` (stack-config models),
`offline` (mock runtime and plan), `ops` (boto3 against AWS), and the package root (the
components, their args, the program and the CLI). A module may import its own layer and
the layers below it, never above; imports inside functions count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "components" / "session_manager"
LAYERS = ("aws", "config", "offline", "ops")
MAX_LINES = 600
# Third-party packages a layer must not import, whatever the layer below allows.
FORBIDDEN = {
    "aws": ("pulumi", "pulumi_aws", "boto3", "botocore", "pydantic", "moto"),
    "config": ("boto3", "botocore", "moto"),
    "offline": ("boto3", "botocore", "moto"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_rank(module: str) -> int:
    """0 for aws ... 3 for ops, 4 for the package root."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else len(LAYERS)


def imported(path: Path, known: set[str]) -> Iterator[str]:
    """Every module `path` imports, at any depth of its code (absolute imports only)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path.name}: relative import; write session_manager.<module>")
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            # `from session_manager.aws import defaults` imports a module, not a name.
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    yield f"{node.module}.{alias.name}"


def graph() -> dict[str, set[str]]:
    known = set(modules())
    return {
        name: {target for target in imported(path, known) if target in known and target != name}
        for name, path in modules().items()
    }


def test_the_four_layers_exist_and_each_says_what_it_may_import() -> None:
    for layer in LAYERS:
        init = PACKAGE / layer / "__init__.py"
        docstring = ast.get_docstring(ast.parse(init.read_text()))
        assert docstring, f"{layer}/__init__.py needs a docstring"
        assert "May import" in docstring, f"{layer}/__init__.py must say what it may import"


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_point_down_only(name: str) -> None:
    rank = layer_rank(name)
    upward = sorted(target for target in graph()[name] if layer_rank(target) > rank)
    assert not upward, f"{name} imports a layer above it: {upward}"
    parts = name.split(".")
    layer = parts[1] if len(parts) > 1 else ""
    third_party = {t.split(".")[0] for t in imported(modules()[name], set())}
    assert not third_party & set(FORBIDDEN.get(layer, ())), f"{name}: {third_party}"


def test_no_module_is_part_of_an_import_cycle() -> None:
    edges = graph()
    # Tarjan's strongly connected components: a component of two or more is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


# config/ bottom up: shared errors and fields, the models by subject, StackConfig on top,
# and what reads StackConfig above it. A module imports only from its own rank or below
# (the cycle test keeps a rank free of loops).
CONFIG_RANKS = (
    ("errors", "secrets", "secret_names", "stack_file"),
    ("fields", "messages", "cedar"),
    (
        "preferences",
        "resources",
        "organization",
        "log_archive",
        "account_events",
        "jit",
        "jit_requests",
        "shards",
    ),
    ("documents", "people"),
    ("stack",),
    ("limits", "loading", "reference", "reference_allowed", "regions", "targets"),
)


def config_rank(module: str) -> int:
    leaf = module.rsplit(".", 1)[-1]
    return next(rank for rank, names in enumerate(CONFIG_RANKS) if leaf in names)


def test_config_modules_import_only_below_themselves_with_stack_config_on_top() -> None:
    config = {n for n in modules() if n.startswith("session_manager.config.")}
    assert {m.rsplit(".", 1)[-1] for m in config} == {n for r in CONFIG_RANKS for n in r}
    edges = graph()
    for name in sorted(config):
        for target in sorted(edges[name] & config):
            assert config_rank(target) <= config_rank(name), f"{name} imports {target}"


def test_the_pure_layer_loads_without_pulumi() -> None:
    """Importing aws/ (through the package root) must not load pulumi or the components."""
    code = (
        "import sys, session_manager.aws.rules, session_manager.aws.instance_policy, "
        "session_manager.aws.document; "
        "print(sorted(m for m in ('pulumi', 'pulumi_aws', 'session_manager.preferences') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_the_cycle_check_can_fail() -> None:
    """The graph sees function-level imports, the kind that hid the old cli/demo cycle."""
    edges = graph()
    assert "session_manager.offline.load" in edges["session_manager.cli"]
    assert "session_manager.aws.defaults" in edges["session_manager.preferences"]


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_600_lines(name: str) -> None:
    lines = len(modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"
