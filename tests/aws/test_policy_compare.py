"""Policies compare the way AWS treats them (hashicorp/awspolicyequivalence's rules).

Each equivalence below is one that terraform-provider-aws suppresses as a diff
(aws_policy_equivalence.go: statement order, a string or a one-item list, an
account id or its root ARN), plus IAM's URL encoding (GetPolicyVersion returns
the document URL-encoded, RFC 3986) and `"*"` == `{"AWS": "*"}` (IAM User Guide,
Principal element).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from session_manager.aws.policy_compare import normalize_policy, parse_policy, statement_diff

READ = {
    "Sid": "Read",
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
}
TLS = {
    "Sid": "TlsOnly",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": "arn:aws:s3:::logs/*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
POLICY = {"Version": "2012-10-17", "Statement": [READ, TLS]}


def test_the_shapes_aws_returns_are_the_same_policy() -> None:
    reshaped = {
        "Statement": [
            {
                **TLS,
                "Effect": "deny",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:*"],
                "Resource": ["arn:aws:s3:::logs/*"],
                "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
            },
            {**READ, "Action": list(reversed(READ["Action"]))},
        ],
        "Version": "2012-10-17",
    }
    assert statement_diff(POLICY, reshaped) == ([], [])
    # JSON text with other whitespace, and IAM's URL-encoded text.
    assert statement_diff(json.dumps(POLICY, indent=4), quote(json.dumps(reshaped))) == ([], [])
    # A lone statement object is a one-statement list.
    assert normalize_policy({"Statement": READ}) == normalize_policy({"Statement": [READ]})


def test_an_account_principal_equals_its_root_arn() -> None:
    by_id = {
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*"}]
    }
    by_arn = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:*",
            }
        ]
    }
    assert statement_diff(by_id, by_arn) == ([], [])
    other = {
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "kms:*"}]
    }
    assert statement_diff(by_id, other) != ([], [])


def test_only_the_changed_statements_are_reported() -> None:
    widened = {**READ, "Action": "s3:*"}
    missing, extra = statement_diff(POLICY, {"Version": "2012-10-17", "Statement": [widened, TLS]})
    assert missing == [
        {
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Effect": "Allow",
            "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
            "Sid": "Read",
        }
    ]
    assert extra == [
        {
            "Action": ["s3:*"],
            "Effect": "Allow",
            "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"],
            "Sid": "Read",
        }
    ]


def test_a_removed_statement_and_a_changed_version_are_drift() -> None:
    assert statement_diff(POLICY, {"Version": "2012-10-17", "Statement": [READ]})[0] != []
    assert statement_diff(POLICY, {**POLICY, "Version": "2008-10-17"}) == (
        [{"Version": "2012-10-17"}],
        [{"Version": "2008-10-17"}],
    )


def test_duplicated_statements_count() -> None:
    doubled = {"Version": "2012-10-17", "Statement": [READ, READ, TLS]}
    missing, extra = statement_diff(POLICY, doubled)
    assert missing == []
    assert len(extra) == 1


def test_parse_policy_accepts_each_shape() -> None:
    assert parse_policy(POLICY) is POLICY
    assert parse_policy(json.dumps(POLICY)) == POLICY
    assert parse_policy(quote(json.dumps(POLICY))) == POLICY
    assert parse_policy(None) is None


def test_url_encoded_policy_after_whitespace_is_decoded() -> None:
    # IAM returns policy documents URL-encoded (RFC 3986; GetPolicyVersion reference);
    # a document written with a leading newline comes back as `%0A%7B...`.
    assert parse_policy("%0A" + quote(json.dumps(POLICY), safe="")) == POLICY
    assert parse_policy("  \n" + quote(json.dumps(POLICY), safe="")) == POLICY
    assert statement_diff(POLICY, " %20" + quote(json.dumps(POLICY), safe="")) == ([], [])


def test_a_boolean_condition_value_equals_its_string() -> None:
    # IAM User Guide, "Grammar of the IAM JSON policy language": a condition value is a
    # string, number or Boolean, and the Bool operator matches "true"/"false"; IAM hands
    # the values back as strings. So `false` and "false" are the same policy.
    as_bool = {**TLS, "Condition": {"Bool": {"aws:SecureTransport": False}}}
    assert statement_diff({"Statement": [as_bool]}, {"Statement": [TLS]}) == ([], [])
    as_true = {**TLS, "Condition": {"Bool": {"aws:SecureTransport": True}}}
    assert statement_diff({"Statement": [as_true]}, {"Statement": [TLS]}) != ([], [])
