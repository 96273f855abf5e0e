"""The policy pack runs as documented and agrees with the project's own defaults."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pulumi_policy import EnforcementLevel, ResourceValidationArgs
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, run_plan

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policy"
STACK_FILES = [ROOT / "Pulumi.dev.yaml", *sorted(ROOT.glob("examples/*/Pulumi.*.yaml"))]


def policy_pack() -> ModuleType:
    sys.path.insert(0, str(POLICY))
    spec = importlib.util.spec_from_file_location("policy_pack_main", POLICY / "__main__.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plan_of(stack_file: Path, tmp_path: Path) -> Plan:
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    if (stack_file.parent / "Pulumi.yaml").is_file():
        return run_plan(stack_file.parent, stack)  # the project's own stack, the consumer
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(stack_file, tmp_path / stack_file.name)
    for policy in stack_file.parent.glob("*.cedar"):  # its policy files
        shutil.copy(policy, tmp_path / policy.name)
    config = yaml.safe_load(stack_file.read_text())["config"]
    organization = {
        target["organizationalUnit"]: ["555555555555"]
        for target in config.get("session-manager:targets", [])
        if "organizationalUnit" in target
    }
    mocks = AwsMocks(region=config["aws:region"], organization_accounts=organization)
    return run_plan(tmp_path, stack, mocks=mocks)


@pytest.mark.parametrize(
    "stack_file", STACK_FILES, ids=[f"{p.parent.name}/{p.name}" for p in STACK_FILES]
)
def test_no_mandatory_violation_on_any_example(stack_file: Path, tmp_path: Path) -> None:
    policies = [
        p for p in policy_pack().policies() if p.enforcement_level == EnforcementLevel.MANDATORY
    ]
    assert policies
    plan = plan_of(stack_file, tmp_path)
    violations: list[str] = []
    for resource in plan.resources:
        args = ResourceValidationArgs(
            resource_type=resource.type,
            props=resource.inputs,
            urn=resource.urn,
            name=resource.name,
            opts=None,  # type: ignore[arg-type]
            provider=None,
            config={},
        )
        for policy in policies:
            policy.validate(  # type: ignore[misc, operator]
                args,
                lambda message, urn, p=policy, r=resource: violations.append(
                    f"{p.name} {r.name}: {message}"
                ),
            )
    assert violations == []


def test_a_configured_maximum_duration_is_still_enforced() -> None:
    sys.path.insert(0, str(POLICY))
    import guardrails

    document: dict[str, Any] = {
        "documentType": "Session",
        "content": '{"sessionType": "Standard_Stream", "inputs": {"cloudWatchLogGroupName": "g",'
        ' "cloudWatchEncryptionEnabled": true, "kmsKeyId": "k"}}',
    }
    rule = guardrails.session_document_violations
    assert rule("aws:ssm/document:Document", document, None) == []
    assert rule("aws:ssm/document:Document", document, {"maxSessionDuration": 60}) == [
        "maxSessionDuration is unlimited; at most 60"
    ]


def third_party_imports() -> set[str]:
    local = {p.stem for p in POLICY.glob("*.py")}
    found: set[str] = set()
    for path in POLICY.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {name for name in found - local if name not in sys.stdlib_module_names}


def test_every_import_of_the_pack_is_declared() -> None:
    declared = {
        canonicalize_name(Requirement(line).name)
        for line in (POLICY / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    distributions = importlib.metadata.packages_distributions()
    imports = third_party_imports()
    assert {"yaml", "pulumi_policy"} <= imports
    for name in imports:
        found = {canonicalize_name(d) for d in distributions[name]}
        assert found & declared, f"{name} is not declared"


def test_declared_requirements_resolve_with_the_projects_versions() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--quiet",
         "-r", str(POLICY / "requirements.txt")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_make_creates_the_virtualenv_the_pack_names() -> None:
    options = yaml.safe_load((POLICY / "PulumiPolicy.yaml").read_text())["runtime"]["options"]
    venv = f"policy/{options['virtualenv']}"
    dry_run = subprocess.run(
        ["make", "-n", "-B", "policy-venv"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert re.search(rf"-m venv {re.escape(venv)}\n", dry_run)
    assert f"{venv}/bin/python -m pip install --quiet -r policy/requirements.txt" in dry_run


def test_readme_runs_publish_from_the_pack_folder() -> None:
    readme = (ROOT / "docs/policy-pack.md").read_text()
    for text in (readme, (POLICY / "__main__.py").read_text()):
        assert "pulumi policy publish ./policy" not in text
        assert "cd policy && pulumi policy publish <org>" in text
    assert "make policy-venv" in readme


def test_violations_found_are_reported_when_other_values_are_unknown() -> None:
    """A first preview: a new key's ARN (and what is built from it) is unknown.

    CrossGuard gives rules a proxy that raises UnknownValueError on an unknown value and
    then replaces the policy's whole result by an advisory "can't run policy ... during
    preview" (pulumi_policy policy.py, ResourceValidationPolicy handling; proxy.py's
    sentinels). The violations found before the unknown value must still be reported.
    """
    from pulumi_policy.proxy import (
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_STRING_VALUE,
        unknown_checking_proxy,
    )

    pack = policy_pack()
    policies = {p.name: p for p in pack.policies()}

    def reported(policy: str, resource_type: str, props: dict[str, Any]) -> list[str]:
        messages: list[str] = []
        args = ResourceValidationArgs(
            resource_type=resource_type,
            props=unknown_checking_proxy(props),
            urn=f"urn:pulumi:dev::p::{resource_type}::r",
            name="r",
            opts=None,  # type: ignore[arg-type]
            provider=None,
            config={},
        )
        policies[policy].validate(args, lambda message, urn: messages.append(message))  # type: ignore[misc, operator]
        return messages

    # Retention too short; the key is created in the same preview, so its ARN is unknown.
    group = {"retentionInDays": 7, "kmsKeyId": UNKNOWN_STRING_VALUE}
    assert reported(
        "log-group-retention-encryption", "aws:cloudwatch/logGroup:LogGroup", group
    ) == ["retentionInDays is 7; at least 90"]
    # A role: one inline policy known and hostile, another built from unknown ARNs.
    role = {
        "name": UNKNOWN_STRING_VALUE,
        "inlinePolicies": [
            {"name": "later", "policy": UNKNOWN_STRING_VALUE},
            {
                "name": "now",
                "policy": '{"Statement": [{"Sid": "Open", "Effect": "Allow", "Action": "ssm:*",'
                ' "Resource": "*"}]}',
            },
        ],
    }
    found = reported("start-session-document-check", "aws:iam/role:Role", role)
    assert len(found) == 1
    assert found[0].startswith("Open allows ssm:StartSession")
    # An unknown value is no violation by itself.
    key = {"enableKeyRotation": UNKNOWN_BOOLEAN_VALUE}
    assert reported("kms-key-rotation", "aws:kms/key:Key", key) == []
    assert (
        reported(
            "log-group-retention-encryption",
            "aws:cloudwatch/logGroup:LogGroup",
            {"retentionInDays": UNKNOWN_STRING_VALUE, "kmsKeyId": UNKNOWN_STRING_VALUE},
        )
        == []
    )
