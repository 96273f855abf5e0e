"""Organization stacks planned with the real program: accounts, Regions, providers, logs."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_lint import lint, scoping_problems
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.offline.mocks import AwsMocks
from session_manager.offline.plan import Plan, run_plan

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]


def plan_stack(
    tmp_path: Path, config: dict[str, object], org: dict[str, list[str]] | None = None
) -> Plan:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "Pulumi.org.yaml").write_text(yaml.safe_dump({"config": config}))
    mocks = AwsMocks(region=str(config.get("aws:region", "us-east-1")), organization_accounts=org)
    return run_plan(tmp_path, "org", mocks=mocks)


def three_accounts(regions: list[str], accounts: list[str] = ACCOUNTS) -> dict[str, object]:
    return {
        "aws:region": "us-east-1",
        "session-manager:regions": regions,
        "session-manager:targets": [{"account": a} for a in accounts],
    }


def test_three_accounts_two_regions(tmp_path: Path) -> None:
    plan = plan_stack(tmp_path, three_accounts(["us-east-1", "eu-west-1"]))
    counts = Counter(r.type for r in plan.resources)
    assert counts["aws:ssm/document:Document"] == 6
    assert counts["aws:cloudwatch/logGroup:LogGroup"] == 6
    assert counts["aws:iam/policy:Policy"] == 9  # three policies per account
    assert counts["pulumi:providers:aws"] == 3
    documents = {(r.name, r.inputs["region"]) for r in plan.of_type("aws:ssm/document:Document")}
    assert ("session-manager-111111111111-eu-west-1-document", "eu-west-1") in documents

    for account in ACCOUNTS:
        provider = plan.named(f"aws-{account}")
        assert provider.type == "pulumi:providers:aws"
        assert json.loads(provider.inputs["allowedAccountIds"]) == [account]
        # camelCase, as the provider reads its JSON config (a plain dict would send role_arn).
        (role,) = json.loads(provider.inputs["assumeRoles"])
        assert role == {
            "roleArn": f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
            "sessionName": "pulumi-session-manager",
        }
        assert provider.inputs["region"] == "us-east-1"
        # Every resource of the account goes through its own provider.
        for resource in plan.resources:
            if resource.custom and f"-{account}-" in resource.name:
                assert resource.provider == provider.urn, resource.name
        policy = json.loads(
            plan.named(f"session-manager-{account}-instance-access-policy").inputs["policy"]
        )
        assert account in json.dumps(policy)
        assert lint(policy) == []
    assert set(plan.outputs["accounts"]) == set(ACCOUNTS)


def test_adding_a_region_or_an_account_changes_nothing_else(tmp_path: Path) -> None:
    def snapshot(plan: Plan) -> dict[str, object]:
        return {r.urn: (r.inputs, r.provider, r.parent) for r in plan.resources}

    base = snapshot(plan_stack(tmp_path, three_accounts(["us-east-1", "eu-west-1"])))
    more_regions = snapshot(
        plan_stack(tmp_path, three_accounts(["us-east-1", "eu-west-1", "ap-southeast-2"]))
    )
    more_accounts = snapshot(
        plan_stack(
            tmp_path, three_accounts(["us-east-1", "eu-west-1"], [*ACCOUNTS, "444444444444"])
        )
    )
    fewer_accounts = snapshot(
        plan_stack(tmp_path, three_accounts(["us-east-1", "eu-west-1"], ACCOUNTS[1:]))
    )
    for after in (more_regions, more_accounts):
        assert {urn: base[urn] for urn in base} == {urn: after[urn] for urn in base}
        assert len(after) > len(base)
    assert all(fewer_accounts[urn] == base[urn] for urn in fewer_accounts)
    assert all("ap-southeast-2" in urn for urn in set(more_regions) - set(base))


def test_ou_members_plus_an_explicit_target_twice_is_refused(tmp_path: Path) -> None:
    config = {
        "aws:region": "us-east-1",
        "session-manager:targets": [
            {"organizationalUnit": "ou-ab12-cdef3456"},
            {"account": "555555555555"},
        ],
    }
    with pytest.raises(ConfigError, match=r"targets\[1\].*555555555555 in us-east-1"):
        plan_stack(tmp_path, config, {"ou-ab12-cdef3456": ["555555555555"]})


def test_ou_accounts_are_read_at_plan_time(tmp_path: Path) -> None:
    config = {
        "aws:region": "us-east-1",
        "session-manager:targets": [{"organizationalUnit": "ou-ab12-cdef3456"}],
        "session-manager:excludeAccounts": ["666666666666", "999999999999"],
    }
    plan = plan_stack(tmp_path, config, {"ou-ab12-cdef3456": ["555555555555", "666666666666"]})
    assert [r.name for r in plan.of_type("aws:ssm/document:Document")] == [
        "session-manager-555555555555-us-east-1-document"
    ]
    assert plan.warnings == [
        "session-manager:excludeAccounts: 999999999999 matches no target account"
    ]


@pytest.mark.parametrize(
    ("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
)
def test_other_partitions_never_use_arn_aws(tmp_path: Path, region: str, partition: str) -> None:
    config = {
        "aws:region": region,
        "session-manager:regions": [region],
        "session-manager:targets": [{"account": "111111111111"}],
        "session-manager:instanceAccess": {"createRole": True},
        "session-manager:centralLogging": {
            "account": "999999999999",
            "bucketName": "org-session-logs",
            "organizationId": "o-exampleorg1",
        },
    }
    text = json.dumps(plan_stack(tmp_path, config).to_json())
    assert "arn:aws:" not in text
    assert f"arn:{partition}:iam::111111111111:role/OrganizationAccountAccessRole" in text


def test_central_log_bucket_is_hardened_and_retained(tmp_path: Path) -> None:
    config = three_accounts(["us-east-1", "eu-west-1"])
    config["session-manager:instanceAccess"] = {"createRole": True}
    config["session-manager:centralLogging"] = {
        "account": "999999999999",
        "bucketName": "org-session-logs",
        "organizationId": "o-exampleorg1",
        "keyPrefix": "ssm",
    }
    plan = plan_stack(tmp_path, config)
    central = [r for r in plan.resources if r.name.startswith("session-manager-central-logs-")]
    assert central
    assert all(r.retain_on_delete for r in central if r.type != "aws:kms/alias:Alias")
    assert all(r.provider and r.provider.endswith("::aws-999999999999") for r in central)
    assert plan.named("session-manager-central-logs-bucket").inputs["forceDestroy"] is False
    access_block = plan.named("session-manager-central-logs-public-access-block").inputs
    assert all(
        access_block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    ownership = plan.named("session-manager-central-logs-ownership").inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    assert plan.named("session-manager-central-logs-versioning").inputs[
        "versioningConfiguration"
    ] == {"status": "Enabled"}
    (rule,) = plan.named("session-manager-central-logs-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    lifecycle, markers = plan.named("session-manager-central-logs-lifecycle").inputs["rules"]
    assert lifecycle["transitions"][0]["storageClass"] == "GLACIER"
    # On a versioned bucket, Expiration only adds a delete marker and the log becomes
    # noncurrent; NoncurrentVersionExpiration counts from then (S3 User Guide, "Expiring
    # objects": https://docs.aws.amazon.com/AmazonS3/latest/userguide/
    # lifecycle-expire-general-considerations.html). Object Lock keeps every version 2557
    # days, so the noncurrent copy goes a day later: logs live 2557 days, not 2 x 2557.
    assert lifecycle["expiration"] == {"days": 2557}
    assert lifecycle["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
    assert lifecycle["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    # The delete marker left behind is removed by a rule of its own: ExpiredObjectDeleteMarker
    # "cannot be specified with Days or Date" (S3 API Reference, LifecycleExpiration:
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html).
    assert markers["expiration"] == {"expiredObjectDeleteMarker": True}
    assert markers["filter"] == lifecycle["filter"] == {"prefix": "ssm/"}
    assert markers["status"] == "Enabled"
    # Object Lock: on at creation, every version locked for the logs' lifetime, in COMPLIANCE
    # mode: "can't be overwritten or deleted by any user, including the root user" (S3 user
    # guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
    assert plan.named("session-manager-central-logs-bucket").inputs["objectLockEnabled"] is True
    lock = plan.named("session-manager-central-logs-object-lock").inputs
    assert lock["objectLockEnabled"] == "Enabled"
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 2557}}
    # Server access logs go to a second bucket: SSE-S3 and no Object Lock, as S3 requires of
    # a log destination; only S3's logging service, for this one bucket, may write there.
    logging = plan.named("session-manager-central-logs-access-logging").inputs
    assert logging["bucket"] == "org-session-logs"
    assert logging["targetBucket"] == "org-session-logs-access-logs"
    assert logging["targetPrefix"] == "access-logs/"
    target = plan.named("session-manager-central-logs-access-log-bucket").inputs
    assert target["bucket"] == "org-session-logs-access-logs"
    assert not target.get("objectLockEnabled")
    (target_rule,) = plan.named("session-manager-central-logs-access-log-encryption").inputs[
        "rules"
    ]
    assert target_rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    # The access logs live as long as promised on their versioned, unlocked bucket too: the
    # version Expiration makes noncurrent goes a day later, not 2557 days later, and the
    # expired delete marker left behind by a rule of its own (S3 User Guide, "Expiring
    # objects"; S3 API Reference, LifecycleExpiration: ExpiredObjectDeleteMarker "cannot be
    # specified with Days or Date").
    access_rule, access_markers = plan.named(
        "session-manager-central-logs-access-log-lifecycle"
    ).inputs["rules"]
    assert access_rule["expiration"] == {"days": 2557}
    assert access_rule["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
    assert access_markers["expiration"] == {"expiredObjectDeleteMarker": True}
    assert access_markers["filter"] == access_rule["filter"] == {"prefix": "access-logs/"}
    assert access_markers["status"] == "Enabled"
    target_policy = json.loads(
        plan.named("session-manager-central-logs-access-log-policy").inputs["policy"]
    )
    delivery = target_policy["Statement"][1]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Resource"] == "arn:aws:s3:::org-session-logs-access-logs/access-logs/*"
    assert delivery["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::org-session-logs"},
        "StringEquals": {"aws:SourceAccount": "999999999999"},
    }

    bucket_policy = json.loads(plan.named("session-manager-central-logs-policy").inputs["policy"])
    deny, write, _check = bucket_policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert write["Resource"] == "arn:aws:s3:::org-session-logs/ssm/${aws:PrincipalAccount}/*"
    assert write["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": "o-exampleorg1"}
    assert write["Condition"]["ArnLike"] == {
        "aws:PrincipalArn": "arn:aws:iam::*:role/SessionManagerInstanceRole"
    }
    key_policy = json.loads(plan.named("session-manager-central-logs-key").inputs["policy"])
    assert key_policy["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"] == (
        "s3.us-east-1.amazonaws.com"
    )

    for account in ACCOUNTS:
        content = json.loads(
            plan.named(f"session-manager-{account}-eu-west-1-document").inputs["content"]
        )
        assert content["inputs"]["s3BucketName"] == "org-session-logs"
        assert content["inputs"]["s3KeyPrefix"] == f"ssm/{account}/eu-west-1"
        policy = json.loads(
            plan.named(f"session-manager-{account}-instance-access-policy").inputs["policy"]
        )
        statements = {s["Sid"]: s for s in policy["Statement"]}
        assert statements["WriteSessionLogObjects"]["Resource"] == (
            f"arn:aws:s3:::org-session-logs/ssm/{account}/*"
        )
        assert "HandSessionLogObjectsToBucketOwner" in statements
        assert statements["EncryptSessionLogObjects"]["Resource"].startswith(
            "arn:aws:kms:us-east-1:"
        )
        # Multipart uploads to the SSE-KMS bucket need both (S3 "Multipart upload API and
        # permissions"); the central key policy grants the same pair.
        assert statements["EncryptSessionLogObjects"]["Action"] == [
            "kms:Decrypt",
            "kms:GenerateDataKey",
        ]

    # Every IAM policy of the planned stack scopes each action the SAR lets it scope.
    for resource in plan.of_type("aws:iam/policy:Policy"):
        assert scoping_problems(json.loads(resource.inputs["policy"])) == [], resource.name


def test_central_log_retention_is_configurable_and_checked(tmp_path: Path) -> None:
    config = three_accounts(["us-east-1"])
    config["session-manager:centralLogging"] = {
        "account": "999999999999",
        "bucketName": "org-session-logs",
        "organizationId": "o-exampleorg1",
        "expireAfterDays": 400,
        "noncurrentVersionExpireAfterDays": 500,
        "objectLock": {"mode": "COMPLIANCE", "retentionDays": 365},
        "accessLogging": {"enabled": False},
    }
    plan = plan_stack(tmp_path, config)
    rule, _ = plan.named("session-manager-central-logs-lifecycle").inputs["rules"]
    assert rule["expiration"] == {"days": 400}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 500}
    lock = plan.named("session-manager-central-logs-object-lock").inputs
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 365}}
    assert not [r for r in plan.resources if "access-log" in r.name]
    # A lock shorter than the logs' lifetime is allowed, but said: a version can be
    # overwritten or deleted once its retain-until date has passed (S3 Object Lock).
    (warning,) = [w for w in plan.warnings if "objectLock.retentionDays" in w]
    assert "is 365, less than expireAfterDays (400)" in warning
    assert "becomes rewritable (it can be overwritten or deleted) 365 days after" in warning

    def problems(central: dict[str, Any]) -> str:
        base = {
            "account": "999999999999",
            "bucketName": "org-session-logs",
            "organizationId": "o-exampleorg1",
        }
        with pytest.raises(ConfigError) as raised:
            parse_stack_config({"regions": ["us-east-1"], "centralLogging": {**base, **central}})
        return str(raised.value)

    assert "at least 365 days" in problems({"expireAfterDays": 200})
    # Also against the default expireAfterDays (2557), which pydantic does not validate:
    # S3 rejects a lifecycle rule whose expiration is not later than its transition
    # ("'Days' in the Expiration action ... must be greater than 'Days' in the Transition
    # action"; AWS CDK's LifecycleRule: "the expiration time must be later than the
    # transition time").
    late = problems({"transitionToGlacierAfterDays": 2557})
    assert "centralLogging.transitionToGlacierAfterDays: must be less than expireAfterDays " in late
    assert "(2557)" in late
    assert "transitionToGlacierAfterDays" in problems(
        {"transitionToGlacierAfterDays": 500, "expireAfterDays": 400}
    )
    # Without a lock for the logs' lifetime, an overwritten log must be kept as long as a
    # current one; with it (the default), the lock keeps it and fewer days are fine.
    assert "centralLogging.noncurrentVersionExpireAfterDays: must be at least expireAfterDays" in (
        problems({"noncurrentVersionExpireAfterDays": 30, "objectLock": {"enabled": False}})
    )
    assert "noncurrentVersionExpireAfterDays" in problems(
        {"noncurrentVersionExpireAfterDays": 30, "objectLock": {"retentionDays": 400}}
    )
    assert "noncurrentVersionExpireAfterDays" not in problems(
        {"noncurrentVersionExpireAfterDays": 30}
    )
    assert "GOVERNANCE or COMPLIANCE" in problems({"objectLock": {"mode": "LEGAL"}})
    assert "centralLogging.accessLogging.bucketName" in problems(
        {"bucketName": "a" * 55, "organizationId": "o-exampleorg1"}
    )
    assert "must differ" in problems({"accessLogging": {"bucketName": "org-session-logs"}})


def test_organization_example_plans(tmp_path: Path) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "examples/organization/Pulumi.organization.yaml", tmp_path)
    mocks = AwsMocks(organization_accounts={"ou-ab12-cdef3456": ["555555555555", "444444444444"]})
    plan = run_plan(tmp_path, "organization", mocks=mocks)
    accounts = set(plan.outputs["accounts"])
    assert accounts == {"111111111111", "222222222222", "333333333333", "555555555555"}
    # The example's token is a `secure:` value the offline plan cannot decrypt: it says so.
    assert plan.warnings == [
        "session-manager:accountEventsToken: a secret the offline plan cannot decrypt; shown as "
        "[secret] and not checked here (`pulumi preview` checks the decrypted value)"
    ]
    eu_only = json.loads(
        plan.named("session-manager-333333333333-eu-west-1-document").inputs["content"]
    )
    assert eu_only["inputs"]["idleSessionTimeout"] == "10"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"object_lock_mode": "LEGAL"}, "object_lock_mode"),
        (
            {"noncurrent_version_expire_after_days": 30, "object_lock": False},
            "noncurrent_version_expire_after_days must be at least",
        ),
        ({"access_log_bucket_name": "Bad_Name"}, "access_log_bucket_name"),
    ],
)
def test_central_bucket_component_refuses_weaker_settings(
    changes: dict[str, Any], message: str
) -> None:
    from session_manager import SessionManagerCentralLogBucket
    from session_manager.offline.plan import record_program

    args = {
        "region": "us-east-1",
        "account_id": "999999999999",
        "bucket_name": "org-logs",
        "organization_id": "o-exampleorg1",
        **changes,
    }
    with pytest.raises(Exception, match=message):
        record_program(
            lambda: SessionManagerCentralLogBucket("central", args),  # type: ignore[arg-type]
            mocks=AwsMocks(account_id="999999999999"),
        )


def test_central_bucket_component_can_skip_access_logging() -> None:
    from session_manager import SessionManagerCentralLogBucket
    from session_manager.offline.plan import record_program

    plan = record_program(
        lambda: SessionManagerCentralLogBucket(
            "central",
            {
                "region": "us-east-1",
                "account_id": "999999999999",
                "bucket_name": "org-logs",
                "organization_id": "o-exampleorg1",
                "access_log_bucket_name": "",
                "object_lock": False,
            },
        ),
        mocks=AwsMocks(account_id="999999999999"),
    )
    types = {r.type for r in plan.resources}
    assert "aws:s3/bucketLogging:BucketLogging" not in types
    assert "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration" not in types
    assert plan.named("central-bucket").inputs.get("objectLockEnabled") is False


def test_without_object_lock_overwritten_logs_are_kept_and_the_cost_is_longer_life(
    tmp_path: Path,
) -> None:
    """No lock: lifecycle alone keeps an overwritten log, so noncurrent days stay 2557."""
    config = three_accounts(["us-east-1"])
    config["session-manager:centralLogging"] = {
        "account": "999999999999",
        "bucketName": "org-session-logs",
        "organizationId": "o-exampleorg1",
        "objectLock": {"enabled": False},
    }
    plan = plan_stack(tmp_path, config)
    rule, markers = plan.named("session-manager-central-logs-lifecycle").inputs["rules"]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 2557}
    assert markers["expiration"] == {"expiredObjectDeleteMarker": True}
