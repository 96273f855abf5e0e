"""Target resolution: OUs, exclusions, duplicates and roles, without AWS."""

from __future__ import annotations

from typing import Any

import pytest
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.config.targets import resolve_targets

ORG = {"ou-ab12-cdef3456": ["555555555555", "666666666666", "444444444444"]}


def resolve(values: dict[str, Any], organization: dict[str, list[str]] | None = None):
    config = parse_stack_config(values, aws_region="us-east-1")
    org = ORG if organization is None else organization
    return resolve_targets(config, "aws", lambda ou: org.get(ou, []))


def test_accounts_and_ous_expand_to_account_regions() -> None:
    resolved = resolve(
        {
            "regions": ["us-east-1", "eu-west-1"],
            "targets": [
                {"account": "111111111111"},
                {"account": "222222222222", "regions": ["eu-west-1"]},
                {"organizationalUnit": "ou-ab12-cdef3456", "roleName": "Deployer"},
            ],
        }
    )
    pairs = {(a.account_id, r) for a in resolved.accounts for r in a.regions}
    assert ("111111111111", "us-east-1") in pairs
    assert ("222222222222", "eu-west-1") in pairs
    assert ("222222222222", "us-east-1") not in pairs
    assert ("555555555555", "eu-west-1") in pairs
    roles = {a.account_id: a.role_arn for a in resolved.accounts}
    assert roles["111111111111"] == "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
    assert roles["555555555555"] == "arn:aws:iam::555555555555:role/Deployer"
    assert [a.account_id for a in resolved.accounts] == sorted(roles)


def test_exclusions_apply_inside_ous_and_unmatched_ones_warn() -> None:
    resolved = resolve(
        {
            "targets": [{"organizationalUnit": "ou-ab12-cdef3456"}],
            "regions": ["us-east-1", "eu-west-1"],
            "excludeAccounts": ["444444444444", "777777777777"],
            "excludeRegions": ["eu-west-1", "ap-south-1"],
        }
    )
    assert [a.account_id for a in resolved.accounts] == ["555555555555", "666666666666"]
    assert all(list(a.regions) == ["us-east-1"] for a in resolved.accounts)
    assert resolved.warnings == [
        "session-manager:excludeAccounts: 777777777777 matches no target account",
        "session-manager:excludeRegions: ap-south-1 matches no target Region",
    ]


def test_same_account_region_twice_is_refused_even_through_an_ou() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(
            {
                "targets": [
                    {"account": "555555555555"},
                    {"organizationalUnit": "ou-ab12-cdef3456"},
                ]
            }
        )
    ((path, message),) = caught.value.problems
    assert path == "session-manager:targets[1]"
    assert "account 555555555555 in us-east-1 is already managed by session-manager:targets[0]" in (
        message
    )


def test_one_role_per_account() -> None:
    with pytest.raises(ConfigError, match="use one role per account"):
        resolve(
            {
                "regions": ["us-east-1", "eu-west-1"],
                "targets": [
                    {"account": "111111111111", "regions": ["us-east-1"]},
                    {
                        "account": "111111111111",
                        "regions": ["eu-west-1"],
                        "roleArn": "arn:aws:iam::111111111111:role/Other",
                    },
                ],
            }
        )


def test_target_preferences_override_the_stack_preferences() -> None:
    resolved = resolve(
        {
            "preferences": {
                "idleSessionTimeout": 20,
                "shellProfile": {"linux": "a", "windows": "w"},
            },
            "targets": [
                {"account": "111111111111"},
                {
                    "account": "222222222222",
                    "preferences": {"idleSessionTimeout": 5, "shellProfile": {"linux": "b"}},
                },
            ],
        }
    )
    first, second = resolved.accounts
    assert first.regions["us-east-1"].idle_session_timeout == 20
    override = second.regions["us-east-1"]
    assert override.idle_session_timeout == 5
    assert override.shell_profile.linux == "b"
    assert override.shell_profile.windows == "w"


def problems(values: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values, aws_region="us-east-1")
    return dict(caught.value.problems)


@pytest.mark.parametrize(
    ("target", "path", "fragment"),
    [
        ({"account": "12345"}, "targets[0].account", "12 digits"),
        (
            {"account": "111111111111", "regions": ["moon-1"]},
            "targets[0].regions",
            "not an AWS Region",
        ),
        (
            {"account": "111111111111", "roleArn": "arn:aws:iam::222222222222:role/X"},
            "targets[0].roleArn",
            "not in the target account 111111111111",
        ),
        ({"account": "111111111111", "roleArn": "role/X"}, "targets[0].roleArn", "not a role ARN"),
        (
            {"organizationalUnit": "ou-bad"},
            "targets[0].organizationalUnit",
            "not an organizational",
        ),
        ({}, "targets[0]", "exactly one of account or organizationalUnit"),
        (
            {"account": "111111111111", "organizationalUnit": "ou-ab12-cdef3456"},
            "targets[0]",
            "exactly one",
        ),
        (
            {"account": "111111111111", "preferences": {"idleSessionTimeout": 99}},
            "targets[0].preferences.idleSessionTimeout",
            "from 1 to 60",
        ),
        (
            {"account": "111111111111", "preferences": {"idleTimeout": 5}},
            "targets[0].preferences.idleTimeout",
            "unknown key; did you mean 'idleSessionTimeout'?",
        ),
    ],
)
def test_bad_targets_name_their_path(target: dict[str, Any], path: str, fragment: str) -> None:
    found = problems({"targets": [target]})
    assert fragment in found[f"session-manager:{path}"], found


def test_central_logging_rules() -> None:
    found = problems(
        {
            "preferences": {"s3BucketName": "own-bucket"},
            "targets": [{"account": "111111111111"}],
            "centralLogging": {
                "account": "999999999999",
                "bucketName": "Bad_Bucket",
                "organizationId": "org",
                "roleArn": "arn:aws:iam::111111111111:role/X",
                "transitionToGlacierAfterDays": 90,
                "expireAfterDays": 30,
            },
        }
    )
    assert "bucket name" in found["session-manager:centralLogging.bucketName"]
    assert "organization id" in found["session-manager:centralLogging.organizationId"]
    assert "log-archive account" in found["session-manager:centralLogging.roleArn"]
    assert (
        "more than transitionToGlacierAfterDays"
        in found["session-manager:centralLogging.expireAfterDays"]
    )
