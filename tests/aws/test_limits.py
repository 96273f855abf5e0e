"""Tag limits derived from the installed botocore's service models.

The expected numbers are what the models themselves state (botocore data/iam, logs,
ssm, kms service-2.json: tagKeyType max 128, tagValueType max 256, tagListType max 50;
logs Tags max 50) and AWS's tagging guide (https://docs.aws.amazon.com/tag-editor/latest/
userguide/tagging.html: the `aws:` prefix is reserved).
"""

from __future__ import annotations

import botocore.session
import pytest
from session_manager.aws.limits import (
    character_class,
    document_names,
    iam_policy_names,
    iam_role_names,
    log_group_names,
    tag_limits,
    tag_problems,
)
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config


def test_tag_limits_are_the_tightest_the_botocore_models_state() -> None:
    session = botocore.session.get_session()
    iam = session.get_service_model("iam")
    logs = session.get_service_model("logs")
    limits = tag_limits()
    assert limits.key_max[0] == iam.shape_for("tagKeyType").metadata["max"] == 128
    assert limits.value_max[0] == iam.shape_for("tagValueType").metadata["max"] == 256
    assert limits.count_max[0] == min(
        iam.shape_for("tagListType").metadata["max"], logs.shape_for("Tags").metadata["max"]
    )


def test_a_botocore_character_class_admits_unicode_letters_and_its_literals() -> None:
    allowed = character_class(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")
    assert all(allowed.admits(c) for c in "aZé 9_.:/=+-@")
    assert not any(allowed.admits(c) for c in "!#$%&*?[]{}")


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ({"aws:createdBy": "me"}, "reserves"),
        ({"AWS:x": "me"}, "reserves"),
        ({"k" * 129: "v"}, "is 129 characters; iam allows 128"),
        ({"k": "v" * 257}, "is 257 characters; iam allows 256"),
        ({"cost#center": "1"}, "has '#'"),
        ({"team": "a&b"}, "has '&'"),
        ({"": "x"}, "must not be empty"),
        ({f"k{i}": "v" for i in range(51)}, "has 51 tags; iam allows 50"),
    ],
)
def test_tags_aws_refuses_are_named(tags: dict[str, str], fragment: str) -> None:
    problems = tag_problems(tags)
    assert any(fragment in message for _, message in problems), problems


def test_tags_aws_accepts_pass() -> None:
    assert tag_problems({"Team": "Plattform Ü-1", "cost-center": "a:b/c=d+e@f", "k": ""}) == []


def test_name_rules_are_the_botocore_models_own() -> None:
    session = botocore.session.get_session()
    role = session.get_service_model("iam").shape_for("roleNameType").metadata
    group = session.get_service_model("logs").shape_for("LogGroupName").metadata
    assert iam_role_names().lengths == f"{role['min']}-{role['max']}" == "1-64"
    assert log_group_names().lengths == f"{group['min']}-{group['max']}" == "1-512"
    assert document_names().lengths == "3-128"  # stated only in ssm's DocumentName pattern
    assert iam_policy_names().admits("a" * 128)
    assert not iam_policy_names().admits("a" * 129)


def test_a_non_ascii_letter_is_no_iam_name() -> None:
    """The models' patterns are Java's, where `\\w` is [a-zA-Z0-9_]; IAM refuses `Rôle`
    (IAM API reference, CreateRole RoleName: "Pattern: [\\w+=,.@-]+", ASCII)."""
    assert not iam_role_names().admits("Rôle")
    with pytest.raises(ConfigError) as caught:
        parse_stack_config({"defaultRoleName": "Rôle"}, "us-east-1")
    assert (
        "is not an IAM role name (1-64"
        in dict(caught.value.problems)["session-manager:defaultRoleName"]
    )
