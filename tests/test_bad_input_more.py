"""Bad input that issue 14's first pass still let through, each now a one-line error or warning.

Found by a fresh-eyes review of issue 14: wrong-shaped component args, mixed partitions,
an endpoint that is not AWS, unreadable project files, mislabelled Region warnings, OU
targets planned without accounts, and raw pydantic messages.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_stack
from session_manager.offline.plan import run_plan
from session_manager.ops.endpoint_check import endpoint_problem
from test_bad_input import plan_problems, run_cli


def plan_cli(capsys: pytest.CaptureFixture[str], project: Path, *flags: str) -> tuple[int, str]:
    """`plan --stack t` of `project` with `flags`, as the exit code and all it printed."""
    return run_cli(capsys, "plan", "--stack", "t", "--project-dir", str(project), *flags)


# --- Project files the plan cannot read (were UnicodeDecodeError / FileNotFoundError) ---


def test_a_stack_file_that_is_not_utf8_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_stack(tmp_path, "")
    # "é" in Latin-1: one byte 0xE9, which UTF-8 never has alone.
    (project / "Pulumi.t.yaml").write_bytes(b"config:\n  session-manager:tags: {team: caf\xe9}\n")
    code, output = plan_cli(capsys, project)
    assert code == 2
    assert "Pulumi.t.yaml is not UTF-8 text (byte 42); save it as UTF-8" in output
    assert "Traceback" not in output


def test_a_project_without_main_py_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_stack(tmp_path, "config:\n  aws:region: us-east-1\n")
    (project / "__main__.py").unlink()
    code, output = plan_cli(capsys, project)
    assert code == 2
    assert f"no __main__.py in {project.resolve()}" in output
    assert "Traceback" not in output


# --- Region warnings name the key the Region was written in ---------------------------


@pytest.mark.parametrize(
    "regions", ["", "  session-manager:regions: [us-east-1]\n"], ids=["alone", "with regions"]
)
def test_an_unlisted_aws_region_is_warned_about_as_aws_region(tmp_path: Path, regions: str) -> None:
    # eu-west-9 fits the aws partition's regionRegex in botocore's partitions.json but is not
    # listed there: a warning, not an error. The provider runs in it either way.
    project = write_stack(tmp_path, f"config:\n  aws:region: eu-west-9\n{regions}")
    warnings = run_plan(project, "t").warnings
    about = [w for w in warnings if "eu-west-9 is not among the aws Regions" in w]
    assert len(about) == 1, warnings
    assert about[0].startswith("aws:region: eu-west-9"), about


# --- Organizational units planned offline --------------------------------------------

ORG_STACK = """config:
  aws:region: us-east-1
  session-manager:targets:
    - organizationalUnit: ou-abcd-12345678
"""


@pytest.mark.parametrize("summary", [[], ["--summary"]], ids=["full", "summary"])
def test_an_ou_without_ou_accounts_warns_that_offline_it_plans_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], summary: list[str]
) -> None:
    project = write_stack(tmp_path, ORG_STACK)
    code, output = plan_cli(capsys, project, *summary)
    assert code == 0, output
    assert "organizational unit ou-abcd-12345678 has no accounts in this offline plan" in output
    assert "pass --ou-accounts ou-abcd-12345678=ACCOUNT,..." in output


def test_an_ou_given_its_accounts_gets_no_such_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_stack(tmp_path, ORG_STACK)
    code, output = plan_cli(capsys, project, "--ou-accounts", "ou-abcd-12345678=555555555555")
    assert code == 0, output
    assert "has no accounts in this offline plan" not in output


def test_ou_accounts_with_nothing_after_the_equals_sign_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_stack(tmp_path, ORG_STACK)
    code, output = plan_cli(capsys, project, "--ou-accounts", "ou-abcd-12345678=")
    assert code == 2
    assert "--ou-accounts 'ou-abcd-12345678=': names no account after '='" in output


# --- The shape of a config value: what it must be, in the user's words ----------------


def test_a_region_where_a_list_belongs_says_how_to_write_the_list(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path, "config:\n  aws:region: us-east-1\n  session-manager:regions: us-east-1\n"
    )
    assert plan_problems(project)["session-manager:regions"] == (
        "must be a list, e.g. [us-east-1], got the text 'us-east-1' "
        "(`pulumi config set --path 'session-manager:regions[0]' us-east-1`)"
    )


def test_one_target_where_a_list_belongs_says_to_make_it_a_list(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n  session-manager:targets: {account: '111111111111'}\n",
    )
    message = plan_problems(project)["session-manager:targets"]
    assert message.startswith("must be a list, got an object {'account': '111111111111'}; ")
    assert "put `- ` before its first key" in message


@pytest.mark.parametrize(("value", "got"), [("", "nothing"), (" 5", "the text '5'")])
def test_preferences_that_are_no_object_say_so_without_a_class_name(
    tmp_path: Path, value: str, got: str
) -> None:
    # Pulumi hands config to programs as text, so a YAML number arrives as '5'.
    project = write_stack(
        tmp_path, f"config:\n  aws:region: us-east-1\n  session-manager:preferences:{value}\n"
    )
    message = plan_problems(project)["session-manager:preferences"]
    assert message.startswith("must be an object of keys, written as `key: value` lines below it")
    assert "idleSessionTimeout" in message
    assert message.endswith(f", got {got}")
    assert "Preferences" not in message
    assert "instance of" not in message


# --- One stack, one partition ----------------------------------------------------------

# Partitions per botocore's data/partitions.json: us-gov-west-1 is aws-us-gov, cn-north-1 is
# aws-cn. An IAM role ARN's second field is its partition (IAM User Guide, "IAM ARNs").


@pytest.mark.parametrize(
    ("other", "path", "region"),
    [
        ("  session-manager:regions: [us-gov-west-1]\n", "regions[0]", "us-gov-west-1"),
        (
            "  session-manager:targets:\n    - account: '111111111111'\n"
            "      regions: [cn-north-1]\n",
            "targets[0].regions[0]",
            "cn-north-1",
        ),
        (
            "  session-manager:regions: [us-east-1]\n"
            "  session-manager:excludeRegions: [us-gov-east-1]\n",
            "excludeRegions[0]",
            "us-gov-east-1",
        ),
    ],
    ids=["regions", "target regions", "excludeRegions"],
)
def test_a_region_of_another_partition_than_aws_region_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], other: str, path: str, region: str
) -> None:
    project = write_stack(tmp_path, f"config:\n  aws:region: us-east-1\n{other}")
    code, output = plan_cli(capsys, project)
    assert code == 2
    assert f"session-manager:{path}: {region} is in partition " in output
    assert "but aws:region us-east-1 is in aws; one stack deploys in one partition" in output


def test_a_role_arn_of_another_partition_than_aws_region_is_refused(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-east-1\n  session-manager:targets:\n"
        "    - account: '111111111111'\n"
        "      roleArn: arn:aws-cn:iam::111111111111:role/deployer\n",
    )
    assert plan_problems(project)["session-manager:targets[0].roleArn"].startswith(
        "arn:aws-cn:iam::111111111111:role/deployer is in partition aws-cn, but aws:region "
        "us-east-1 is in aws"
    )


def test_a_stack_wholly_in_one_other_partition_plans_with_its_arns(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "config:\n  aws:region: us-gov-west-1\n  session-manager:targets:\n"
        "    - account: '111111111111'\n      regions: [us-gov-east-1]\n",
    )
    plan = run_plan(project, "t")
    providers = [r for r in plan.resources if r.type == "pulumi:providers:aws"]
    # Provider inputs are JSON text, as the engine sends them to the provider.
    roles = [json.loads(p.inputs["assumeRoles"])[0]["roleArn"] for p in providers]
    assert roles == ["arn:aws-us-gov:iam::111111111111:role/OrganizationAccountAccessRole"]


# --- An --endpoint-url that answers HTTP but is not the AWS API -----------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on the test's stderr."""


@pytest.fixture
def web_server() -> Iterator[str]:
    """`python3 -m http.server` on a loopback port: answers GET with a page, POST with 501."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("command", ["verify", "adopt", "emulate"])
def test_an_endpoint_that_is_no_aws_api_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], web_server: str, command: str
) -> None:
    project = write_stack(tmp_path, "config:\n  aws:region: us-east-1\n")
    out = ["--out", str(tmp_path / "adopt.json")] if command == "adopt" else []
    code, output = run_cli(
        capsys, command, "--stack", "t", "--project-dir", str(project), *out,
        "--endpoint-url", web_server,
    )  # fmt: skip
    assert code == 2
    # http.server answers the API's POST with 501 Unsupported method (Lib/http/server.py).
    message = f"{web_server} answered HTTP 501, not the AWS API; is this the emulator's port?"
    if command == "verify":
        # verify still prints its report (the drift workflow publishes it), with the error.
        assert message in output
        assert "Traceback" not in output
    else:
        assert output == message + "\n"


def test_the_emulator_passes_the_endpoint_check(emulator_url: str) -> None:
    assert endpoint_problem(emulator_url) is None
