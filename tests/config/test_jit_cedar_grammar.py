"""Cedar that AWS's documented grammar for just-in-time policies doesn't show: a warning.

AWS's "Statement structure and built-in operators for auto-approval and deny-access
policies" (https://docs.aws.amazon.com/systems-manager/latest/userguide/
auto-approval-deny-access-policy-statement-structure.html) gives a statement as an effect
(`permit | forbid`), the scope `(principal, action, resource)` and a `when { ... }`
condition clause (more of them joined with `&&`). Cedar's own grammar
(https://docs.cedarpolicy.com/policies/syntax-grammar.html) also has annotations, `is`,
`unless`, `if-then-else` and extension functions; cedarpy validates them all. Whether AWS
refuses them is unverified, so `plan` warns, naming the policy, the line and the construct.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from offline.test_jit_check import stack_dir
from session_manager.cli import main
from session_manager.config.cedar import undocumented_grammar
from session_manager.config.limits import limit_warnings
from session_manager.config.loading import parse_stack_config

ACTION = 'action == AWS::SSM::Action::"getTokenForInstanceAccess"'
DOCUMENTED = (
    "// AWS's own example shape: scope, `when`, `&&`, has, hasTag, getTag, ==.\n"
    f'permit (principal in AWS::IdentityStore::Group::"devs", {ACTION}, resource)\n'
    'when { principal has organization && principal.organization == "Platform" &&\n'
    '       resource.hasTag("Environment") && resource.getTag("Environment") == "dev" };\n'
)
OUTSIDE = (
    '@id("devs")\n'  # line 1
    f"permit (principal, {ACTION}, resource is AWS::EC2::Instance)\n"  # 2
    'when { resource.hasTag("Env") }\n'  # 3
    'unless { resource.getTag("Env") == "production" };\n'  # 4
    f"permit (principal, {ACTION}, resource)\n"  # 5
    'when { if resource.hasTag("A") then true else false };\n'  # 6
    f"permit (principal, {ACTION}, resource)\n"  # 7
    '// "unless" or ip( in a comment or a string is no construct\n'  # 8
    'when { ip("10.0.0.1").isLoopback() && "unless" == "ip(" };\n'  # 9
    "\n"
    f'permit (principal in AWS::IdentityStore::Group::"devs", {ACTION}, resource)\n'  # 11
    'when { principal has organization && principal.organization == "Platform" &&\n'
    '       resource.hasTag("Environment") && resource.getTag("Environment") == "dev" };\n'
)


def test_the_documented_shape_raises_nothing() -> None:
    assert undocumented_grammar(DOCUMENTED) == []


def test_each_construct_outside_the_documented_grammar_is_named_at_its_line() -> None:
    assert undocumented_grammar(OUTSIDE + DOCUMENTED.split("\n", 1)[1]) == [
        (1, "the annotation `@id`"),
        (2, "`resource is AWS::EC2::Instance` in the scope"),
        (4, "an `unless` clause"),
        (6, "`if ... then ... else`"),
        (9, "the extension function `isLoopback()`"),
        (9, "the extension function `ip()`"),
        # The statement at line 14 repeats line 11's (Cedar's JSON form of both is the
        # same; comments and layout don't count).
        (14, "a statement that repeats line 11's"),
    ]


def test_plan_warns_naming_the_policy_the_line_and_the_construct() -> None:
    config = parse_stack_config(
        {
            "regions": ["us-east-1"],
            "justInTimeAccess": {
                "autoApproval": {"policy": DOCUMENTED},
                "denyAccess": {
                    "account": "999999999999",
                    "region": "us-east-1",
                    "policy": f"forbid (principal, {ACTION}, resource)\n"
                    'unless { resource.hasTag("Sandbox") };',
                },
            },
            "targets": [
                {"account": "111111111111"},
                {
                    "account": "222222222222",
                    "justInTimeAccess": {
                        "autoApproval": {
                            "policy": 'permit (principal in AWS::IdentityStore::Group::"ops", '
                            f"{ACTION}, resource is AWS::SSM::ManagedInstance);"
                        }
                    },
                },
            ],
        }
    )
    warnings = [w for w in limit_warnings(config) if "outside the Cedar grammar" in w]
    tail = (
        " is outside the Cedar grammar AWS documents for just-in-time node access policies "
        "(an effect, the scope (principal, action, resource), `when` conditions; "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "auto-approval-deny-access-policy-statement-structure.html): whether AWS accepts it "
        "is unverified, and `jit check` answers with Cedar's own reading"
    )
    assert warnings == [
        "session-manager:justInTimeAccess.denyAccess.policy: line 2: an `unless` clause" + tail,
        "session-manager:targets[1].justInTimeAccess.autoApproval.policy: line 1: "
        "`resource is AWS::SSM::ManagedInstance` in the scope" + tail,
    ]


def test_a_policy_file_is_named_and_plan_prints_the_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = stack_dir(tmp_path)
    sandbox = where / "sandbox-auto-approval.cedar"
    sandbox.write_text(sandbox.read_text().replace("when {", "unless {"))
    assert main(["plan", "--stack", "just-in-time", "--project-dir", str(where)]) == 0
    out = capsys.readouterr()
    assert (
        "session-manager:targets[1].justInTimeAccess.autoApproval.policyFile "
        "'sandbox-auto-approval.cedar': line 7: an `unless` clause is outside the Cedar grammar"
    ) in out.out + out.err
