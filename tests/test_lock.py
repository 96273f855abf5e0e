"""requirements-lock.txt: what CI plans, verifies and deploys with (Makefile `venv-locked`).

pip's hash-checking mode (pip docs, "Secure installs":
https://pip.pypa.io/en/stable/topics/secure-installs/) installs only files whose sha256 is
in the requirements file, and requires every requirement pinned with `==`. The lock must
hold the runtime dependencies of pyproject.toml, at versions its ranges allow, with their
own dependencies, and nothing of `[dev]`: when pyproject.toml changes, `make lock`.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-lock.txt"


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def locked() -> dict[str, tuple[str, list[str]]]:
    """Name -> (pinned version, hashes), from the lock's `name==version \\` entries."""
    text = LOCK.read_text().replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for raw in text.splitlines():
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)", entry)
        assert match, f"not a pinned, hashed requirement: {entry}"
        hashes = re.findall(r"sha256:([0-9a-f]{64})", match[3])
        pins[canonicalize_name(match[1])] = (match[2], hashes)
    return pins


def runtime_requirements() -> list[Requirement]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    return [Requirement(text) for text in project["dependencies"]]  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]


def test_every_runtime_dependency_is_locked_at_a_version_its_range_allows() -> None:
    pins = locked()
    for requirement in runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in {LOCK.name}: run make lock"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"{name}=={pins[name][0]} is outside pyproject's {requirement.specifier}: run make lock"
        )


def test_the_build_backend_is_locked_for_an_offline_editable_install() -> None:
    """`pip install --no-build-isolation -e .` builds with the locked setuptools."""
    system = pyproject()["build-system"]
    assert isinstance(system, dict)
    pins = locked()
    for text in system["requires"]:  # pyright: ignore[reportUnknownVariableType]
        requirement = Requirement(str(text))  # pyright: ignore[reportUnknownArgumentType]
        version = pins[canonicalize_name(requirement.name)][0]
        assert requirement.specifier.contains(version)


def _closure(requirements: list[Requirement]) -> set[str]:
    """The names of `requirements` and everything they need, by the installed metadata."""
    found: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        for text in metadata.requires(name) or []:
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                todo.append(needed)
    return found


def test_the_lock_holds_the_runtime_closure_and_no_dev_tool() -> None:
    """Each locked name is needed at runtime (no pytest, moto... under the deploy role), and
    each runtime need is locked (a dependency added to pyproject.toml fails here)."""
    pins = locked()
    build = {"setuptools"}
    needed = _closure(runtime_requirements())
    assert set(pins) - build - needed == set(), "locked but not needed at runtime"
    assert needed - set(pins) == set(), "needed at runtime but not locked: run make lock"
    project = pyproject()["project"]
    assert isinstance(project, dict)
    dev = {canonicalize_name(Requirement(t).name) for t in project["optional-dependencies"]["dev"]}  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType, reportUnknownMemberType]
    assert dev & set(pins) <= build | needed


def test_ci_deploys_from_the_lock_with_hashes_and_without_dev_extras() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("venv-locked: |") :].split("\n\n", 1)[0]
    assert "--require-hashes --no-deps -r $(LOCK)" in recipe
    assert "--no-deps --no-build-isolation -e ." in recipe
    assert "[dev]" not in recipe
    for name in ("deploy", "drift", "preview"):
        workflow = (ROOT / ".github" / "workflows" / f"{name}.yml").read_text()
        assert "make venv-locked" in workflow, name
        assert re.search(r"make venv\b(?!-)", workflow) is None, name
        assert ".[dev]" not in workflow, name
