"""A stack without targets: its just-in-time documents go where the rest of the stack goes.

An explicit provider reads none of the stack's `aws:` config (only the default provider
is configured from it: pulumi/pulumi source_eval.go, newRegisterDefaultProviderEvent,
which passes the package's stack config as the default provider's inputs). The
aws-native provider of a per-account stack is explicit, so it must be handed the
account-choosing settings itself: pulumi-aws-native's provider inputs `profile`,
`allowedAccountIds`, `forbiddenAccountIds`, `assumeRole` (pulumi_aws_native/provider.py;
the provider checks allowedAccountIds after its STS call, provider/pkg/provider/
provider.go Configure, validateAccountId). Without them the access-granting documents
land in whatever account the ambient credentials are in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from session_manager.offline.plan import NATIVE_PROVIDER, Plan
from test_lifecycle import plan

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111111111111"
MANUAL: dict[str, Any] = {
    "manualApprovals": [
        {
            "name": "production",
            "accessDurationHours": 4,
            "targets": [{"key": "Environment", "value": "production"}],
            "levels": [{"approvers": [{"type": "IdentityStoreGroup", "id": "leads"}]}],
        }
    ]
}


def _per_account_config(**aws: Any) -> dict[str, Any]:
    stack_file = ROOT / "examples/per-account" / f"Pulumi.account-{ACCOUNT}.yaml"
    config: dict[str, Any] = dict(yaml.safe_load(stack_file.read_text())["config"])
    config["session-manager:justInTimeAccess"] = MANUAL
    config.update({f"aws:{key}": value for key, value in aws.items()})
    return config


def _as_list(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else raw


def _providers(planned: Plan) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    aws = [r for r in planned.resources if r.type == "pulumi:providers:aws"]
    native = [r for r in planned.resources if r.type == NATIVE_PROVIDER]
    assert len(aws) == 1  # the default pulumi-aws provider
    assert native  # one per Region
    return aws[0].inputs, [r.inputs for r in native]


def test_the_aws_native_providers_take_the_stacks_profile_and_account_pin(
    tmp_path: Path,
) -> None:
    planned = plan(
        tmp_path,
        _per_account_config(profile="prod-admin"),
        stack=f"account-{ACCOUNT}",
        account_id=ACCOUNT,
    )
    default, natives = _providers(planned)
    assert default["profile"] == "prod-admin"
    for native in natives:
        assert native["profile"] == default["profile"]
        assert _as_list(native["allowedAccountIds"]) == _as_list(default["allowedAccountIds"])
        assert _as_list(native["allowedAccountIds"]) == [ACCOUNT]


def test_the_aws_native_providers_assume_the_stacks_role(tmp_path: Path) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/deploy"
    planned = plan(
        tmp_path,
        _per_account_config(
            assumeRoles=[
                {
                    "roleArn": role,
                    "sessionName": "ci",
                    "externalId": "x-1",
                    "transitiveTagKeys": ["Team"],
                }
            ],
            forbiddenAccountIds=["999999999999"],
            sharedCredentialsFiles=["/ci/credentials"],
        ),
        stack=f"account-{ACCOUNT}",
        account_id=ACCOUNT,
    )
    _, natives = _providers(planned)
    for native in natives:
        assert _as_list(native["assumeRole"]) == {
            "roleArn": role,
            "sessionName": "ci",
            "externalId": "x-1",
            "transitiveTagKeys": ["Team"],
        }
        assert _as_list(native["forbiddenAccountIds"]) == ["999999999999"]
        assert native["sharedCredentialsFile"] == "/ci/credentials"


def test_a_role_chain_the_aws_native_provider_cannot_follow_is_refused(tmp_path: Path) -> None:
    chain = [
        {"roleArn": "arn:aws:iam::222222222222:role/hop"},
        {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/deploy"},
    ]
    with pytest.raises(Exception, match=r"aws:assumeRoles: names a chain of 2 roles"):
        plan(
            tmp_path,
            _per_account_config(assumeRoles=chain),
            stack=f"account-{ACCOUNT}",
            account_id=ACCOUNT,
        )


@pytest.mark.parametrize(
    ("aws", "message"),
    [
        ({"accessKey": "AKIAEXAMPLE", "secretKey": "x"}, r"aws:accessKey: sets keys in the stack"),
        (
            {"sharedCredentialsFiles": ["/a/credentials", "/b/credentials"]},
            r"aws:sharedCredentialsFiles: sets more than one credentials file",
        ),
        ({"secretKey": "x"}, r"aws:secretKey: sets keys in the stack"),
        ({"token": "x"}, r"aws:token: sets keys in the stack"),
        (
            {"assumeRoleWithWebIdentity": {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/ci"}},
            r"aws:assumeRoleWithWebIdentity: sets a web-identity role",
        ),
        ({"sharedConfigFiles": ["/a/config"]}, r"aws:sharedConfigFiles: sets shared config"),
        (
            {
                "assumeRoles": [
                    {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/d", "sourceIdentity": "me"}
                ]
            },
            r"aws:assumeRoles: sets the role's sourceIdentity",
        ),
        # Wrong shapes are config errors naming the key, not tracebacks.
        ({"assumeRole": f"arn:aws:iam::{ACCOUNT}:role/d"}, r"aws:assumeRole: must be an object"),
        ({"assumeRoles": "x"}, r"aws:assumeRoles: must be a list"),
        ({"sharedCredentialsFiles": "/a"}, r"aws:sharedCredentialsFiles: must be a list"),
        ({"allowedAccountIds": ACCOUNT}, r"aws:allowedAccountIds: must be a list"),
        (
            {"assumeRoles": [{"roleArn": f"arn:aws:iam::{ACCOUNT}:role/d", "duration": "soon"}]},
            r"duration 'soon' is not like 1h",
        ),
    ],
)
def test_credentials_the_aws_native_provider_cannot_take_are_refused(
    tmp_path: Path, aws: dict[str, Any], message: str
) -> None:
    """Static keys and a list of credentials files reach pulumi-aws's default provider
    (its `accessKey`/`sharedCredentialsFiles` inputs) but aren't handed to aws-native
    (its `sharedCredentialsFile` takes one file): refused, not silently left to the
    ambient credentials' account."""
    with pytest.raises(Exception, match=message):
        plan(
            tmp_path,
            _per_account_config(**aws),
            stack=f"account-{ACCOUNT}",
            account_id=ACCOUNT,
        )


def test_the_roles_duration_becomes_aws_natives_duration_seconds(tmp_path: Path) -> None:
    """pulumi-aws's assumeRole `duration` is text ("1h30m"); aws-native's
    ProviderAssumeRoleArgs takes `durationSeconds` (pulumi_aws_native/_inputs.py)."""
    role = {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/deploy", "duration": "1h30m"}
    planned = plan(
        tmp_path,
        _per_account_config(assumeRoles=[role]),
        stack=f"account-{ACCOUNT}",
        account_id=ACCOUNT,
    )
    for inputs in _providers(planned)[1]:
        assume = _as_list(inputs["assumeRole"])
        assert assume["durationSeconds"] == 5400
