"""`plan --format terraform-plan`: the plan in Terraform's plan JSON, for IaC scanners.

References the expectations come from:
- Terraform, "JSON Output Format" (https://developer.hashicorp.com/terraform/internals/json-format):
  `format_version`; `planned_values.root_module.resources[]` with address, mode, type, name,
  provider_name and values; `resource_changes[]` with change.actions/before/after/
  after_unknown (a value known only after apply is left out of `after` and is `true` in
  `after_unknown`); `configuration.root_module.resources[]` whose `expressions` are
  `{"constant_value": ...}` or `{"references": [...]}`, a nested block a list of objects of
  expressions.
- hashicorp/terraform internal/command/jsonplan/plan.go: `FormatVersion = "1.2"`.
- Terraform, "Configuration Syntax", Identifiers: letters, digits, underscores and hyphens,
  and the first not a digit.
- pulumi/pulumi-aws provider/cmd/pulumi-resource-aws/bridge-metadata.json: Pulumi token ->
  Terraform type (`renames.resources`, e.g. aws:ec2/vpcEndpoint:VpcEndpoint ->
  aws_vpc_endpoint), and the bridge's renamed properties: a list of blocks has a plural
  Pulumi name ("rules": "rule", "transitions": "transition", "headers": "header").
- terraform-provider-aws website/docs/r/s3_bucket_lifecycle_configuration.html.markdown and
  s3_bucket_server_side_encryption_configuration: `rule` blocks holding `transition`,
  `filter`, `abort_incomplete_multipart_upload`, `apply_server_side_encryption_by_default`.
- checkov's checks: CKV_AWS_158 "Ensure that CloudWatch Log Group is encrypted by KMS",
  CKV_AWS_338 "Ensure CloudWatch log groups retains logs for at least 1 year", CKV_AWS_19
  (S3 encryption at rest, a graph check that follows the configuration's references from
  aws_s3_bucket_server_side_encryption_configuration to its bucket).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import ROOT, cli, write_stack
from session_manager.offline.plan import Plan, run_plan
from session_manager.offline.terraform_plan import (
    TerraformPlanError,
    terraform_plan,
    terraform_type,
    terraform_values,
)

CHECKOV = ROOT / "checkov" / ".venv" / "bin" / "checkov"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _scan_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("checkov_scan", ROOT / "checkov" / "scan.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _example_plan(tmp_path: Path, example: str, stack: str) -> Plan:
    body = (ROOT / "examples" / example / f"Pulumi.{stack}.yaml").read_text()
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_plan(write_stack(tmp_path, body, stack), stack)


def _check_expression(expression: Any, addresses: set[str]) -> None:
    if isinstance(expression, list):
        for block in expression:
            assert isinstance(block, dict)
            for nested in block.values():
                _check_expression(nested, addresses)
        return
    assert isinstance(expression, dict)
    assert set(expression) in ({"constant_value"}, {"references"}), expression
    for reference in expression.get("references", []):
        # "aws_kms_key.name.arn" or "aws_kms_key.name": both name a planned resource.
        assert ".".join(reference.split(".")[:2]) in addresses, reference


def _check_format(document: dict[str, Any]) -> None:
    """The structure Terraform's JSON Output Format documents for a plan."""
    assert document["format_version"] == "1.2"
    assert re.fullmatch(r"\d+\.\d+\.\d+", document["terraform_version"])
    planned = document["planned_values"]["root_module"]["resources"]
    addresses = [r["address"] for r in planned]
    assert len(set(addresses)) == len(addresses)
    for resource in planned:
        assert resource["address"] == f"{resource['type']}.{resource['name']}"
        assert resource["mode"] == "managed"
        assert IDENTIFIER.fullmatch(resource["name"]), resource["name"]
        assert re.fullmatch(r"aws_[a-z0-9_]+", resource["type"])
        assert resource["provider_name"] == "registry.terraform.io/hashicorp/aws"
        assert isinstance(resource["values"], dict)
    changes = {c["address"]: c for c in document["resource_changes"]}
    assert list(changes) == addresses
    for resource in planned:
        change = changes[resource["address"]]["change"]
        assert change["actions"] == ["create"]
        assert change["before"] is None
        assert change["after"] == resource["values"]
        assert isinstance(change["after_unknown"], dict)
    configured = document["configuration"]["root_module"]["resources"]
    assert [r["address"] for r in configured] == addresses
    assert document["configuration"]["provider_config"]["aws"]["name"] == "aws"
    for resource in configured:
        assert resource["provider_config_key"] == "aws"
        for expression in resource["expressions"].values():
            _check_expression(expression, set(addresses))


def test_cli_writes_terraform_plan_json_for_every_aws_resource() -> None:
    result = cli("plan", "--stack", "dev", "--format", "terraform-plan")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    _check_format(document)
    plan = run_plan(ROOT, "dev")
    aws = [r for r in plan.resources if r.custom and r.type.startswith("aws:")]
    planned = document["planned_values"]["root_module"]["resources"]
    assert len(planned) == len(aws)
    types = {r["type"] for r in planned}
    assert {"aws_ssm_document", "aws_kms_key", "aws_cloudwatch_log_group"} <= types
    # Components and providers are Pulumi's, not resources a scanner judges.
    assert not any("session-manager" in t or "pulumi" in t for t in types)
    assert terraform_plan(run_plan(ROOT, "dev")) == document


def test_every_example_is_valid_terraform_plan_json(tmp_path: Path) -> None:
    plan = _example_plan(tmp_path, "organization", "organization")
    _check_format(terraform_plan(plan))


def test_types_follow_the_bridge_table_not_a_naming_rule() -> None:
    assert terraform_type("aws:ssm/document:Document") == "aws_ssm_document"
    # The ec2 module's VPC endpoint is aws_vpc_endpoint, not aws_ec2_vpc_endpoint.
    assert terraform_type("aws:ec2/vpcEndpoint:VpcEndpoint") == "aws_vpc_endpoint"
    assert (
        terraform_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        == "aws_vpc_security_group_ingress_rule"
    )
    with pytest.raises(TerraformPlanError, match=r"aws:foo/bar:Bar"):
        terraform_type("aws:foo/bar:Bar")


def test_lists_of_blocks_take_terraforms_singular_names_and_blocks_are_lists() -> None:
    values = terraform_values(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        {
            "bucket": "logs",
            "rules": [
                {
                    "id": "session-logs",
                    "status": "Enabled",
                    "filter": {"prefix": "session-manager/"},
                    "transitions": [{"days": 90, "storageClass": "GLACIER"}],
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                    "noncurrentVersionExpiration": {"noncurrentDays": 2557},
                }
            ],
        },
    )
    assert values == {
        "bucket": "logs",
        "rule": [
            {
                "id": "session-logs",
                "status": "Enabled",
                "filter": [{"prefix": "session-manager/"}],
                "transition": [{"days": 90, "storage_class": "GLACIER"}],
                "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
                "noncurrent_version_expiration": [{"noncurrent_days": 2557}],
            }
        ],
    }


def test_a_resource_whose_args_class_is_named_init_args_maps_too() -> None:
    """pulumi_aws names it BucketServerSideEncryptionConfigurationInitArgs (a nested type
    took the plain Args name); its blocks must still become Terraform's."""
    values = terraform_values(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {
            "bucket": "logs",
            "rules": [
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": "arn:aws:kms:us-east-1:111111111111:key/k",
                    },
                    "bucketKeyEnabled": True,
                }
            ],
        },
    )
    assert values["rule"] == [
        {
            "apply_server_side_encryption_by_default": [
                {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": "arn:aws:kms:us-east-1:111111111111:key/k",
                }
            ],
            "bucket_key_enabled": True,
        }
    ]


def test_maps_keep_their_keys_and_plural_block_names_become_singular() -> None:
    target = terraform_values(
        "aws:cloudwatch/eventTarget:EventTarget",
        {
            "rule": "account-events",
            "inputTransformer": {
                "inputPaths": {"eventId": "$.id", "account": "$.account"},
                "inputTemplate": '{"id": <eventId>}',
            },
            "retryPolicy": {"maximumRetryAttempts": 3},
        },
    )
    assert target["input_transformer"] == [
        {
            "input_paths": {"eventId": "$.id", "account": "$.account"},
            "input_template": '{"id": <eventId>}',
        }
    ]
    assert target["retry_policy"] == [{"maximum_retry_attempts": 3}]
    key = terraform_values("aws:kms/key:Key", {"tags": {"cost-center": "sec", "Name": "k"}})
    assert key == {"tags": {"cost-center": "sec", "Name": "k"}}
    connection = terraform_values(
        "aws:cloudwatch/eventConnection:EventConnection",
        {
            "authParameters": {
                "invocationHttpParameters": {
                    "headers": [{"key": "X-Token", "value": "v", "isValueSecret": True}]
                }
            }
        },
    )
    assert connection["auth_parameters"] == [
        {
            "invocation_http_parameters": [
                {"header": [{"key": "X-Token", "value": "v", "is_value_secret": True}]}
            ]
        }
    ]
    role = terraform_values(
        "aws:iam/role:Role", {"inlinePolicies": [{"name": "p", "policy": "{}"}]}
    )
    assert role == {"inline_policy": [{"name": "p", "policy": "{}"}]}


def test_outputs_of_other_resources_are_references_known_after_apply() -> None:
    document = terraform_plan(run_plan(ROOT, "dev"))
    configured = {r["address"]: r for r in document["configuration"]["root_module"]["resources"]}
    changes = {r["address"]: r["change"] for r in document["resource_changes"]}
    log_groups = [a for a in configured if a.startswith("aws_cloudwatch_log_group.")]
    assert log_groups
    for address in log_groups:
        references = configured[address]["expressions"]["kms_key_id"]["references"]
        assert re.fullmatch(r"aws_kms_key\.[\w-]+\.arn", references[0])
        assert references[1] == references[0].removesuffix(".arn")
        assert "kms_key_id" not in changes[address]["after"]
        assert changes[address]["after_unknown"] == {"kms_key_id": True}
        assert changes[address]["after"]["retention_in_days"] == 365
    aliases = [a for a in configured if a.startswith("aws_kms_alias.")]
    for address in aliases:
        target = configured[address]["expressions"]["target_key_id"]["references"][0]
        assert re.fullmatch(r"aws_kms_key\.[\w-]+\.key_id", target)
    # A policy that names a log group keeps its text for scanners, and says where from.
    policy = configured["aws_iam_policy.session-manager-instance-access-policy"]
    assert any(
        r.startswith("aws_cloudwatch_log_group.")
        for r in policy["expressions"]["policy"]["references"]
    )
    assert "policy" in changes["aws_iam_policy.session-manager-instance-access-policy"]["after"]


def test_preview_values_are_unknown_after_apply_not_placeholder_text() -> None:
    result = cli("plan", "--stack", "dev", "--preview", "--format", "terraform-plan")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    _check_format(document)
    assert "[unknown until" not in json.dumps(document["planned_values"])
    changes = {r["address"]: r["change"] for r in document["resource_changes"]}
    configured = {r["address"]: r for r in document["configuration"]["root_module"]["resources"]}
    document_address = "aws_ssm_document.session-manager-us-east-1-document"
    # The preferences name the session-data key: unknown in a first preview.
    assert changes[document_address]["after_unknown"]["content"] is True
    assert "content" not in changes[document_address]["after"]
    references = configured[document_address]["expressions"]["content"]["references"]
    assert "aws_kms_key.session-manager-us-east-1-session-data-key" in references


def _weakened_dev_plan() -> Plan:
    """The dev stack with the us-east-1 log group unencrypted and kept only 7 days."""
    plan = run_plan(ROOT, "dev")
    log_group = plan.named("session-manager-us-east-1-log-group")
    del log_group.inputs["kmsKeyId"]
    log_group.input_dependencies.pop("kmsKeyId", None)
    log_group.inputs["retentionInDays"] = 7
    return plan


def _checkov(files: list[Path], checks: str) -> dict[tuple[str, str], str]:
    """(check id, resource) -> PASSED/FAILED, from checkov run offline on the files."""
    assert CHECKOV.exists(), "checkov's virtualenv is missing: run `make checkov-venv`"
    command = [str(CHECKOV), "--framework", "terraform_plan", "--skip-download", "-o", "json"]
    command += ["--check", checks]
    for file in files:
        command += ["-f", str(file)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    outcome: dict[tuple[str, str], str] = {}
    for report in reports if isinstance(reports, list) else [reports]:
        for kind, label in (("passed_checks", "PASSED"), ("failed_checks", "FAILED")):
            for check in report["results"][kind]:
                outcome[check["check_id"], check["resource"]] = label
    return outcome


def test_checkov_judges_the_plan_and_fails_a_weakened_log_group(tmp_path: Path) -> None:
    weak = tmp_path / "weak.json"
    weak.write_text(json.dumps(terraform_plan(_weakened_dev_plan())))
    organization = tmp_path / "organization.json"
    organization.write_text(
        json.dumps(terraform_plan(_example_plan(tmp_path / "org", "organization", "organization")))
    )
    outcome = _checkov([weak, organization], "CKV_AWS_158,CKV_AWS_338,CKV_AWS_19")
    weakened = "aws_cloudwatch_log_group.session-manager-us-east-1-log-group"
    intact = "aws_cloudwatch_log_group.session-manager-eu-west-1-log-group"
    assert outcome["CKV_AWS_158", weakened] == "FAILED"
    assert outcome["CKV_AWS_338", weakened] == "FAILED"
    # The intact group's key is a reference, as in a real first plan: checkov follows it.
    assert outcome["CKV_AWS_158", intact] == "PASSED"
    assert outcome["CKV_AWS_338", intact] == "PASSED"
    # A graph check: the bucket is encrypted only through the encryption configuration
    # whose `bucket` references it.
    assert outcome["CKV_AWS_19", "aws_s3_bucket.session-manager-central-logs-bucket"] == "PASSED"


def test_scan_fails_on_a_check_not_allowed_and_on_a_stale_allowance() -> None:
    scan = _scan_module()
    failed = [
        {
            "check_id": "CKV_AWS_158",
            "check_name": "Ensure that CloudWatch Log Group is encrypted by KMS",
            "resource": "aws_cloudwatch_log_group.g",
            "file_path": "/tmp/dev.json",
        }
    ]
    assert scan.judge(failed, {}) == [
        "CKV_AWS_158 Ensure that CloudWatch Log Group is encrypted by KMS: "
        "aws_cloudwatch_log_group.g (dev.json)"
    ]
    reason = "accepted because of a reason stated here"
    assert scan.judge(failed, {"CKV_AWS_158": reason}) == []
    stale = scan.judge([], {"CKV_AWS_158": reason})
    assert stale == ["CKV_AWS_158 is in allowlist.yaml but no plan fails it any more: remove it"]


def test_every_allowed_check_has_a_reason(tmp_path: Path) -> None:
    scan = _scan_module()
    allowlist = scan.read_allowlist()
    assert allowlist
    for check, reason in allowlist.items():
        assert re.fullmatch(r"CKV2?_AWS_\d+", check)
        assert len(reason.split()) >= 15, check
    bad = tmp_path / "allowlist.yaml"
    bad.write_text("CKV_AWS_70: ok\n")
    with pytest.raises(SystemExit, match="CKV_AWS_70 needs a reason"):
        scan.read_allowlist(bad)


def test_make_test_runs_the_scan() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "-B", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "checkov/scan.py" in dry_run
    assert "-r checkov/requirements.txt" in dry_run


def test_every_type_with_a_replace_entry_has_a_terraform_type() -> None:
    """The replace table lists every type the program creates (test_diff checks that), so a
    type missing here would make `plan --format terraform-plan` fail for the stacks using it."""
    from session_manager.aws.replacements import REPLACING_INPUTS
    from session_manager.offline.terraform_plan import TERRAFORM_TYPES

    not_resources_in_terraform = {
        # Base plans made before pulumi-aws 7 folded BucketV2 into Bucket.
        "aws:s3/bucketV2:BucketV2",
        # Providers are configuration, not resources, in Terraform's plan JSON.
        "pulumi:providers:aws",
        "pulumi:providers:aws-native",
        # Cloud Control resources: the plan JSON describes pulumi-aws's inputs only, so
        # `_scanned` leaves aws-native types out (the auto-approval policy document).
        "aws-native:ssm:Document",
    }
    assert not set(REPLACING_INPUTS) - set(TERRAFORM_TYPES) - not_resources_in_terraform
