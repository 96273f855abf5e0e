"""Packaging that works next to the real Pulumi CLI: name, floors, license, installable example."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# md5 of https://www.apache.org/licenses/LICENSE-2.0.txt, the text every Apache-2.0
# package ships (boto3's, s3transfer's and pulumi's LICENSE files have the same).
APACHE_2_MD5 = "3b83ef96387f14655fc854ddc3c6bd57"


def floor(requirement: str) -> Version:
    (lower,) = [s.version for s in Requirement(requirement).specifier if s.operator == ">="]
    return Version(lower)


def dependency(name: str) -> str:
    (found,) = [d for d in PROJECT["dependencies"] if Requirement(d).name == name]
    return found


def test_distribution_is_not_taken_for_a_resource_plugin() -> None:
    # pulumi/pulumi sdk/python/cmd/pulumi-language-python/main.go, isPulumiPackage():
    # a distribution whose name starts with "pulumi-" (or that ships a
    # pulumi-plugin.json) is a resource plugin the CLI tries to download.
    name = PROJECT["name"]
    assert not name.lower().replace("_", "-").startswith("pulumi-")
    assert not list((ROOT / "components").rglob("pulumi-plugin.json"))


def test_pulumi_floor_has_what_the_code_calls() -> None:
    # component_provider_host(..., version=) is absent from the pulumi 3.210.0 wheel
    # and present from 3.211.0 (pulumi/pulumi#21149).
    calls = [
        node
        for node in ast.walk(ast.parse((ROOT / "provider" / "__main__.py").read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "component_provider_host"
    ]
    assert any(k.arg == "version" for call in calls for k in call.keywords)
    assert floor(dependency("pulumi")) >= Version("3.211")


def test_pulumi_aws_floor_has_what_the_program_reads() -> None:
    # GetOrganizationalUnitDescendantAccountsAccountResult.state is absent from the
    # pulumi-aws 7.9.1 wheel (pulumi_aws/organizations/outputs.py has only `status`) and
    # present from 7.10.0, where `status` is deprecated in its favour.
    assert "account.state" in (ROOT / "components/session_manager/account_lookups.py").read_text()
    assert floor(dependency("pulumi-aws")) >= Version("7.10")


def test_python_version_is_the_same_everywhere() -> None:
    lower = floor(f"python{PROJECT['requires-python']}")
    # The tests read TOML with tomllib, new in Python 3.11.
    uses_tomllib = any("import tomllib" in p.read_text() for p in (ROOT / "tests").rglob("*.py"))
    assert not uses_tomllib or lower >= Version("3.11")
    readme = (ROOT / "README.md").read_text()
    # requires-python is ">=3.11,<3.14": the README says "Python 3.11 to 3.13".
    upper = Version(PROJECT["requires-python"].split("<")[1])
    assert re.findall(r"Python (\d+\.\d+) to (\d+\.\d+)", readme) == [
        (f"{lower.major}.{lower.minor}", f"{upper.major}.{upper.minor - 1}")
    ]
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    assert tool["ruff"]["target-version"] == f"py{lower.major}{lower.minor}"
    assert sys.version_info >= (lower.major, lower.minor)


def test_license_file_is_the_apache_2_text() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert hashlib.md5((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_MD5


def test_consumer_example_installs_as_written(tmp_path: Path) -> None:
    """What `pip install -r requirements.txt` resolves in examples/consumer, as Pulumi runs it."""
    report = tmp_path / "report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--quiet",
            "--report",
            str(report),
            "-r",
            "requirements.txt",
        ],
        cwd=ROOT / "examples" / "consumer",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(report.read_text())["install"]
    assert item["metadata"]["name"] == PROJECT["name"]
    assert item["metadata"]["version"] == PROJECT["version"]
    assert item["metadata"]["license_expression"] == "Apache-2.0"


def test_make_test_lowest_pins_every_runtime_floor() -> None:
    """`make test-lowest` installs exactly the declared floors (tests/lowest_versions.py)."""
    from lowest_versions import lowest_pins

    pins = dict(pin.split("==") for pin in lowest_pins())
    assert pins.keys() == {Requirement(d).name for d in PROJECT["dependencies"]}
    for name, version in pins.items():
        assert Version(version) == floor(dependency(name))
    makefile = (ROOT / "Makefile").read_text()
    assert "test-lowest: venv\n\t$(BIN)/python tests/lowest_versions.py" in makefile
    assert "make test-lowest" in (ROOT / ".ci" / "run").read_text()
