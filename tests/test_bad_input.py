"""Every mistake a new user makes gets a one-line error, a warning, or works: never a traceback.

One test per case of issue 14. The CLI runs in-process (`main([...])`) on a throwaway
project with the real `__main__.py`; one case also runs as a subprocess to prove no
traceback reaches the terminal.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from conftest import ROOT, cli, write_stack
from session_manager.cli import main
from session_manager.config.errors import ConfigError
from session_manager.offline.ou_accounts import OuAccountsError, parse_ou_accounts
from session_manager.offline.plan import run_plan

ORG_STACK = """config:
  aws:region: us-east-1
  session-manager:targets:
    - organizationalUnit: ou-ab12-cdef3456
"""


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def plan_problems(project: Path) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        run_plan(project, "t")
    return dict(caught.value.problems)


# --- Stack files that are not mappings (were AttributeError / ValueError) ------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("just some text\n", "Pulumi.t.yaml must be a mapping with a config: key, but it is text"),
        ("- a\n- b\n", "Pulumi.t.yaml must be a mapping with a config: key, but it is list"),
        (
            "config:\n  - aws:region\n",
            "Pulumi.t.yaml config: must be a mapping of namespace:key: value",
        ),
        ("config:\n  1: x\n", "has the key 1, which is not text; quote it"),
    ],
)
def test_a_stack_file_of_the_wrong_shape_exits_2_with_what_it_must_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, fragment: str
) -> None:
    project = write_stack(tmp_path, body)
    code, output = run_cli(capsys, "plan", "--stack", "t", "--project-dir", str(project))
    assert code == 2
    assert fragment in output
    assert "Traceback" not in output


def test_a_list_stack_file_prints_no_traceback_from_the_real_cli(tmp_path: Path) -> None:
    project = write_stack(tmp_path, "- not\n- a mapping\n")
    result = cli("plan", "--stack", "t", "--project-dir", str(project))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "must be a mapping" in result.stderr


# --- Silently ignored before -----------------------------------------------------------


@pytest.mark.parametrize("namespace", ["sessionmanager", "session_manager", "session-manger"])
def test_a_misspelt_namespace_is_refused_with_the_right_one(tmp_path: Path, namespace: str) -> None:
    project = write_stack(
        tmp_path,
        f"config:\n  aws:region: us-east-1\n  {namespace}:preferences:\n"
        "    idleSessionTimeout: 5\n",
    )
    found = plan_problems(project)
    assert found[f"{namespace}:preferences"] == (
        f"unknown namespace {namespace!r}; did you mean 'session-manager:preferences'?"
    )


def test_other_namespaces_are_left_alone(tmp_path: Path) -> None:
    # awsx and aws-native are real provider namespaces, close to aws by spelling.
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n  mycompany:team: platform\n"
        "  awsx:x: '1'\n  aws-native:region: us-east-1\n",
    )
    assert run_plan(project, "t").of_type("aws:ssm/document:Document")


def test_exclude_regions_without_targets_removes_the_region(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n"
        "  session-manager:regions: [us-east-1, eu-west-1]\n"
        "  session-manager:excludeRegions: [eu-west-1, ap-south-1]\n",
    )
    plan = run_plan(project, "t")
    documents = plan.of_type("aws:ssm/document:Document")
    assert {d.inputs["region"] for d in documents} == {"us-east-1"}
    assert "session-manager:excludeRegions: ap-south-1 is not in session-manager:regions" in (
        plan.warnings
    )


def test_exclude_accounts_naming_the_credentials_account_manages_nothing(tmp_path: Path) -> None:
    # The offline plan's credentials belong to the placeholder account 123456789012.
    project = write_stack(
        tmp_path,
        'config:\n  aws:region: us-east-1\n  session-manager:excludeAccounts: ["123456789012"]\n',
    )
    plan = run_plan(project, "t")
    assert [r for r in plan.resources if r.custom and not r.type.startswith("pulumi:")] == []
    assert any("credentials' own account 123456789012" in w for w in plan.warnings)


def test_exclude_accounts_naming_another_account_without_targets_warns(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        'config:\n  aws:region: us-east-1\n  session-manager:excludeAccounts: ["999999999999"]\n',
    )
    plan = run_plan(project, "t")
    assert plan.of_type("aws:ssm/document:Document")
    assert any("999999999999 is not the credentials' account" in w for w in plan.warnings)


def test_a_region_that_fits_no_partition_is_refused_with_a_guess(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path, "config:\n  aws:region: us-east-1\n  session-manager:regions: [us-east1]\n"
    )
    found = plan_problems(project)
    assert (
        "'us-east1' is not an AWS Region; did you mean 'us-east-1'"
        in found["session-manager:regions"]
    )


def test_a_region_botocore_does_not_list_is_planned_with_a_warning(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path, "config:\n  aws:region: us-east-1\n  session-manager:regions: [eu-west-9]\n"
    )
    plan = run_plan(project, "t")
    assert any(
        w.startswith("session-manager:regions[0]: eu-west-9 is not among the aws Regions")
        for w in plan.warnings
    ), plan.warnings


# --- --ou-accounts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("ou-ab12-cdef3456", "write OU=ACCOUNT,ACCOUNT"),
        ("ou-x=555555555555", "'ou-x' is not an organizational unit id"),
        ("ou-ab12-cdef3456=5555", "'5555' is not an account id (12 digits)"),
        ("ou-zz99-zzzz9999=555555555555", "no target names the organizational unit"),
    ],
)
def test_bad_ou_accounts_exit_2_naming_the_flag_and_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, fragment: str
) -> None:
    project = write_stack(tmp_path, ORG_STACK)
    code, output = run_cli(
        capsys, "plan", "--stack", "t", "--project-dir", str(project), "--ou-accounts", entry
    )
    assert code == 2
    assert f"--ou-accounts {entry!r}: " in output
    assert fragment in output


def test_good_ou_accounts_reach_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_stack(tmp_path, ORG_STACK)
    code, output = run_cli(
        capsys,
        "plan", "--stack", "t", "--project-dir", str(project),
        "--ou-accounts", "ou-ab12-cdef3456=555555555555, 666666666666",
    )  # fmt: skip
    assert code == 0, output
    assert "aws-555555555555" in output
    assert "aws-666666666666" in output


def test_the_ou_accounts_parser_lists_every_bad_entry_at_once() -> None:
    with pytest.raises(OuAccountsError) as caught:
        parse_ou_accounts(["nope", "r-ab12=111111111111", "ou-x=1"], known_ous=["r-ab12"])
    assert len(caught.value.problems) == 2
    assert parse_ou_accounts(["r-ab12=111111111111", "r-ab12=222222222222"]) == {
        "r-ab12": ["111111111111", "222222222222"]
    }


# --- Unhelpful before ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_value", "path", "got"),
    [
        (
            "  session-manager:targets:\n    - account: 123456789012\n",
            "targets[0].account",
            "the number 123456789012",
        ),
        # YAML 1.1 reads 0-prefixed digits as octal: 012345670123 becomes 1402433619.
        (
            "  session-manager:excludeAccounts: [012345670123]\n",
            "excludeAccounts[0]",
            "the number 1402433619",
        ),
        ("  session-manager:tags: {cost-center: 1234}\n", "tags.cost-center", "the number 1234"),
        # go-yaml v3 (the Pulumi CLI) reads only true/false as booleans; `yes` is text there.
        ("  session-manager:tags: {enabled: true}\n", "tags.enabled", "the boolean true"),
    ],
)
def test_unquoted_numbers_where_text_belongs_say_to_quote_them(
    tmp_path: Path, yaml_value: str, path: str, got: str
) -> None:
    project = write_stack(tmp_path, f"config:\n  aws:region: us-east-1\n{yaml_value}")
    message = plan_problems(project)[f"session-manager:{path}"]
    assert message.startswith(f"must be text, got {got}; put the value in quotes")
    assert "--type string" in message


def test_a_dotted_key_set_without_path_says_how_to_set_it(tmp_path: Path) -> None:
    # `pulumi config set session-manager:preferences.maxSessionDuration 60` (no --path)
    # stores one top-level key with a dot in its name.
    key = "session-manager:preferences.maxSessionDuration"
    project = write_stack(tmp_path, f"config:\n  aws:region: us-east-1\n  {key}: '60'\n")
    message = plan_problems(project)[key]
    assert "set without --path is stored as one key" in message
    assert f"`pulumi config rm '{key}'`" in message
    assert f"`pulumi config set --path '{key}' <value>`" in message


def test_a_missing_example_stack_names_the_example_to_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_stack(tmp_path, "config:\n  aws:region: us-east-1\n")
    (project / "examples" / "complete").mkdir(parents=True)
    shutil.copy(ROOT / "examples/complete/Pulumi.complete.yaml", project / "examples/complete")
    code, output = run_cli(capsys, "plan", "--stack", "complete", "--project-dir", str(project))
    assert code == 2
    assert "copy examples/complete/Pulumi.complete.yaml here" in output


def test_demo_of_the_complete_example_creates_the_bucket_it_expects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_stack(tmp_path, "config: {}\n")
    shutil.copy(ROOT / "examples/complete/Pulumi.complete.yaml", project)
    code, output = run_cli(capsys, "demo", "--stack", "complete", "--project-dir", str(project))
    assert "created bucket example-session-logs in" in output
    # verify checks that bucket's encryption (the document requires it) and finds it in sync;
    # the VPC endpoints name a VPC only a real account has, so they are not emulated.
    assert "Result: in sync (exit 0)" in output.split("3. verify:")[1]
    # 6 endpoints and, per address family, the rule; the prefix lists of the VPC's
    # blocks hold only CIDRs, so they are emulated and verified.
    assert "not emulated, so not verified: 8" in output
    assert code == 0, output


def test_an_endpoint_without_credentials_says_to_set_test_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], emulator_url: str
) -> None:
    # conftest removes every AWS_ credential variable and points the files at /dev/null.
    project = write_stack(tmp_path, "config:\n  aws:region: us-east-1\n")
    code, output = run_cli(
        capsys, "verify", "--stack", "t", "--project-dir", str(project),
        "--endpoint-url", emulator_url,
    )  # fmt: skip
    assert code == 2
    assert f"an emulator at {emulator_url} still needs some" in output
    assert "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing" in output


def test_emulate_with_an_unreachable_endpoint_exits_2_not_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    project = write_stack(tmp_path, "config:\n  aws:region: us-east-1\n")
    code, output = run_cli(
        capsys, "emulate", "--stack", "t", "--project-dir", str(project),
        "--endpoint-url", f"http://127.0.0.1:{port}",
    )  # fmt: skip
    assert code == 2
    assert f"could not reach the emulator at http://127.0.0.1:{port}" in output
    assert "refused the plan" not in output


@pytest.mark.parametrize(
    "regions", ["", "  session-manager:regions: [eu-west-1]\n"], ids=["alone", "with regions"]
)
def test_a_bad_aws_region_is_named_as_aws_region(tmp_path: Path, regions: str) -> None:
    project = write_stack(tmp_path, f"config:\n  aws:region: us-east1\n{regions}")
    found = plan_problems(project)
    assert list(found) == ["aws:region"]
    assert "'us-east1' is not an AWS Region; did you mean 'us-east-1'" in found["aws:region"]


@pytest.mark.parametrize("command", [["plan", "--summary"], ["adopt", "--out", "adopt.json"]])
def test_plan_warnings_reach_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    project = write_stack(
        tmp_path, "config:\n  aws:region: us-east-1\n  session-manager:regions: [eu-west-9]\n"
    )
    _, output = run_cli(
        capsys, command[0], "--stack", "t", "--project-dir", str(project), *command[1:]
    )
    assert "warning: session-manager:regions[0]: eu-west-9 is not among" in output


@pytest.mark.parametrize("command", ["verify", "adopt", "emulate"])
def test_an_endpoint_url_that_is_no_url_is_refused_by_the_flag(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    out = ["--out", "x.json"] if command == "adopt" else []
    with pytest.raises(SystemExit) as caught:
        main([command, "--stack", "t", *out, "--endpoint-url", "localhost:5000"])
    assert caught.value.code == 2
    assert "argument --endpoint-url: 'localhost:5000' is not an endpoint URL; use http(s)://" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_verify_of_a_stack_that_cannot_be_planned_still_prints_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    # The drift workflow publishes `verify --format markdown` as the job summary: an
    # empty stdout there hid why the check failed.
    project = write_stack(tmp_path, "config:\n  session-manager:regions: nowhere\n")
    code = main(["verify", "--stack", "t", "--project-dir", str(project), "--format", output])
    captured = capsys.readouterr()
    assert code == 2
    assert "session-manager:regions" in captured.out
    assert "session-manager:regions" in captured.err
    if output == "json":
        assert json.loads(captured.out)["status"] == "cannot_check"
    if output == "markdown":
        assert "### Could not check" in captured.out
