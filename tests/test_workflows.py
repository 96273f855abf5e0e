"""The GitHub workflows validate offline, and keep their security properties."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def tool(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """A command-line tool installed in the project's virtualenv."""
    executable = Path(sys.executable).with_name(name)
    return subprocess.run(
        [str(executable), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *paths)


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def test_every_workflow_matches_githubs_schema() -> None:
    assert {p.name for p in WORKFLOWS} >= {"preview.yml", "deploy.yml", "drift.yml", "ci.yml"}
    result = validate(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validation_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert validate(broken).returncode != 0


def test_pull_requests_preview_per_stack_without_trusting_forks() -> None:
    workflow = load("preview.yml")
    assert workflow["permissions"] == {"contents": "read"}
    offline, preview = workflow["jobs"]["offline-plan"], workflow["jobs"]["preview"]
    assert "id-token" not in offline["permissions"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }
    # Not the deploy group: a newer run in a group cancels the pending one (see test_ci_backend).
    assert preview["concurrency"]["group"] == (
        "session-manager-preview-${{ github.event.pull_request.number }}-${{ matrix.stack }}"
    )
    pulumi_step = next(
        s for s in preview["steps"] if str(s.get("uses", "")).startswith("pulumi/actions")
    )
    assert pulumi_step["with"]["command"] == "preview"
    assert pulumi_step["with"]["comment-on-pr"] is True


def test_merges_deploy_through_environments_and_schedule_verifies() -> None:
    deploy = load("deploy.yml")["jobs"]["up"]
    assert deploy["environment"] == "${{ matrix.stack }}"
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}
    assert deploy["concurrency"]["group"] == "session-manager-${{ matrix.stack }}"
    drift = load("drift.yml")
    assert drift["on"]["schedule"]
    run = next(
        s["run"] for s in drift["jobs"]["verify"]["steps"] if "run" in s and "verify" in s["run"]
    )
    assert "exit $status" in run
    assert "GITHUB_STEP_SUMMARY" in run
    # The Markdown report (accounts x Regions, then the drift) is what the summary shows.
    assert "--format markdown > report.md" in run
    assert 'cat report.md >> "$GITHUB_STEP_SUMMARY"' in run
    assert "--ou-accounts" not in run  # OU accounts are read from AWS Organizations


def test_ci_workflow_runs_the_ci_script() -> None:
    steps = load("ci.yml")["jobs"]["test"]["steps"]
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def test_organization_changes_deploy_then_verify_in_the_stacks_group() -> None:
    """accountEvents' workflow_dispatch (and the daily schedule) run up, then verify."""
    workflow = load("deploy.yml")
    assert "repository_dispatch" not in workflow["on"]
    assert set(workflow["on"]["workflow_dispatch"]["inputs"]) == {"stack", "event", "account"}
    assert workflow["on"]["schedule"]
    up, organization = workflow["jobs"]["up"], workflow["jobs"]["organization"]
    # Merges and dispatches by hand (no event) deploy every stack; events and the
    # schedule only the organization stack.
    assert "inputs.event == ''" in up["if"]
    assert "schedule" not in up["if"]
    assert "inputs.event != ''" in organization["if"]
    # The daily reconcile is on unless turned off: an unset variable is '' in expressions
    # (GitHub Actions docs, "Contexts": vars), so only "false" stops it.
    assert "vars.RECONCILE_DAILY != 'false'" in organization["if"]
    assert "vars.RECONCILE_DAILY != 'false'" in workflow["jobs"]["gate"]["if"]
    assert organization["concurrency"] == {
        "group": "session-manager-${{ vars.ORGANIZATION_STACK }}",
        "cancel-in-progress": False,
    }
    assert organization["permissions"] == {"contents": "read", "id-token": "write"}
    steps = organization["steps"]
    up_index = next(
        i
        for i, s in enumerate(steps)
        if str(s.get("uses", "")).startswith("pulumi/actions") and "with" in s
    )
    assert steps[up_index]["with"]["command"] == "up"
    verify_index = next(i for i, s in enumerate(steps) if "verify --stack" in s.get("run", ""))
    assert verify_index > up_index
    assert "exit $status" in steps[verify_index]["run"]
    # The inputs never reach a script except through the environment.
    for step in steps:
        assert "inputs." not in step.get("run", "")


def run_payload_check(tmp_path: Path, **payload: str) -> subprocess.CompletedProcess[str]:
    """The organization job's first step, run by bash with a dispatch's environment."""
    steps = load("deploy.yml")["jobs"]["organization"]["steps"]
    step = next(s for s in steps if s.get("name") == "Check the event is for this stack")
    assert step["shell"] == "bash"
    script = tmp_path / "check.sh"
    script.write_text(step["run"])
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "STACK": "organization",
        "PAYLOAD_STACK": "organization",
        "PAYLOAD_EVENT": "MoveAccount",
        "PAYLOAD_ACCOUNT": "111111111111",
        **payload,
    }
    # GitHub runs `bash -e {0}` for `shell: bash` steps.
    return subprocess.run(
        ["bash", "-e", str(script)], env=env, capture_output=True, text=True, check=False
    )


def test_the_dispatch_payload_is_checked_before_it_is_printed(tmp_path: Path) -> None:
    """The payload comes from whoever holds the token: only expected shapes pass."""
    good = run_payload_check(tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Deploying organization after MoveAccount (account 111111111111)" in good.stdout
    # An OU event carries no account; a stack may be org/project/stack.
    assert run_payload_check(tmp_path, PAYLOAD_ACCOUNT="").returncode == 0
    nested = run_payload_check(tmp_path, STACK="acme/sm/org", PAYLOAD_STACK="acme/sm/org")
    assert nested.returncode == 0
    bad = {
        "PAYLOAD_STACK": "org\n::add-mask::x",
        "PAYLOAD_ACCOUNT": "1111111111112",
        "PAYLOAD_EVENT": "Move Account",
    }
    for key, value in bad.items():
        result = run_payload_check(tmp_path, **{key: value})
        assert result.returncode == 1, key
        assert "::error::the dispatch payload's " in result.stdout, key
        assert value not in result.stdout, key  # never echoed back
    assert run_payload_check(tmp_path, PAYLOAD_EVENT="x" * 65).returncode == 1
    other = run_payload_check(tmp_path, PAYLOAD_STACK="dev")
    assert other.returncode == 1
    assert "is for stack 'dev'" in other.stdout
    # The daily reconcile has no payload and is not checked against one.
    reconcile = run_payload_check(
        tmp_path, GITHUB_EVENT_NAME="schedule", PAYLOAD_STACK="", PAYLOAD_EVENT=""
    )
    assert reconcile.returncode == 0
    assert "after the daily reconcile" in reconcile.stdout


# --- The pull-request comment (preview-comment.yml) -----------------------------------


def load_pr_comment() -> Any:
    """The comment builder the privileged job runs: .github/scripts/pr_comment.py."""
    import importlib.util

    path = ROOT / ".github" / "scripts" / "pr_comment.py"
    spec = importlib.util.spec_from_file_location("pr_comment", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Each can end a code block built by escaping lines one by one (the old `sed` added one
# space before a fence, and CommonMark still closes a fence indented up to 3 spaces).
HOSTILE_DIFFS = [
    "+ a\n```\n# Approved by @security <img src=x onerror=alert(1)>",
    "   ```\n<details><summary>click</summary>",
    "  ````\n[link](https://evil.example)\n````````",
    "~~~\n~~~~\n    ```\n\t```",
    "```diff\n+ ok\n```",
    "`" * 200,
    "line\r```\r\nafter <!-- comment --> </code></pre>",
    "",
]


def render(markdown: str) -> list[Any]:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").parse(markdown)


def normalized(text: str) -> str:
    """CommonMark: \\r\\n and \\r are line endings; a code block's content ends with one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text + "\n"


@pytest.mark.parametrize("diff", HOSTILE_DIFFS)
def test_no_diff_can_leave_its_code_block(diff: str) -> None:
    """Rendered by a CommonMark renderer (markdown-it-py), each diff is one code block.

    CommonMark spec 0.31.2, "Fenced code blocks": "The closing code fence must be at least
    as long as the opening fence", may be "preceded by up to three spaces of indentation",
    and a backtick fence closes only with backticks.
    """
    pr_comment = load_pr_comment()
    comment = pr_comment.build_comment([("dev", diff), ("prod", diff)], "https://x/runs/1")
    tokens = render(comment)
    fences = [t for t in tokens if t.type == "fence"]
    assert [t.content for t in fences] == [normalized(diff)] * 2
    # The only HTML is the marker comment, first; the rest is two headings and two blocks.
    assert tokens[0].type == "html_block"
    assert tokens[0].content == pr_comment.MARKER + "\n"
    assert {t.type for t in tokens[1:]} == {"heading_open", "inline", "heading_close", "fence"}
    assert len([t for t in tokens if t.type == "heading_open"]) == 2


def test_the_old_line_escape_is_what_the_renderer_breaks() -> None:
    """The escape main used (one space before ``` lines) leaves the block: proof the test bites."""
    import re

    diff = HOSTILE_DIFFS[0].replace("\n```", "\n   ```")
    escaped = re.sub(r"^(\s*)(`{3,}|~{3,})", r"\1 \2", diff, flags=re.MULTILINE)
    tokens = render("````diff\n" + escaped + "\n````\n")
    assert [t.type for t in tokens].count("fence") == 1
    fence = next(t for t in tokens if t.type == "fence")
    assert fence.content != normalized(diff)  # the block ended early


def test_stack_names_from_the_artifact_are_checked() -> None:
    pr_comment = load_pr_comment()
    with pytest.raises(ValueError, match="stack name"):
        pr_comment.build_comment([("dev\n# hi", "x")], "https://x")


@pytest.mark.parametrize(
    "diffs",
    [
        [("dev", "+ line\n" * 9000), ("prod", "- line\n" * 9000)],
        [("dev", ("`" * 30_000 + "\n") * 3)],
        [("dev", "é" * 70_000)],
    ],
)
def test_long_comments_are_cut_with_a_link_to_the_job_summary(diffs: list[Any]) -> None:
    """GitHub's limit for a comment body is 65,536 characters (REST API, "Create an issue
    comment": the API answers 422 "body is too long (maximum is 65536 characters)")."""
    pr_comment = load_pr_comment()
    url = "https://github.com/o/r/actions/runs/42"
    comment = pr_comment.build_comment(diffs, url)
    assert len(comment) <= 65_536
    tokens = render(comment)
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == len(diffs)
    for fence, (_, diff) in zip(fences, diffs, strict=True):
        # A prefix cut at a line end (empty when one line alone is too long).
        assert normalized(diff).startswith(fence.content.removesuffix("\n"))
    assert comment.count(f"[job summary]({url})") == len(diffs)
    small = pr_comment.build_comment([("dev", "+ a")], url)
    assert "job summary" not in small


def test_thousands_of_stacks_still_fit_one_comment() -> None:
    """The attacker review: 3,000 stacks made a 556,933-character comment, because an equal
    share smaller than a stack's heading, empty block and note overshoots. The stacks that
    don't fit are left out and one line says how many (limit: GitHub's 65,536)."""
    pr_comment = load_pr_comment()
    url = "https://github.com/o/r/actions/runs/42"
    for count in (380, 3000):
        diffs = [(f"stack-{n:04d}", "+ line\n" * 20) for n in range(count)]
        comment = pr_comment.build_comment(diffs, url)
        assert len(comment.encode()) <= 65_536, count
        tokens = render(comment)
        fences = [t for t in tokens if t.type == "fence"]
        shown = len([t for t in tokens if t.type == "heading_open"])
        assert len(fences) == shown
        assert 0 < shown < count
        assert f"{count - shown} more stacks: see the [job summary]({url})." in comment


def test_the_comment_job_builds_with_the_default_branchs_script() -> None:
    """The job has a write token: it runs the builder from the default branch, not the PR's."""
    job = load("preview-comment.yml")["jobs"]["comment"]
    checkout = next(s for s in job["steps"] if "uses" in s)
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    assert checkout["with"]["persist-credentials"] is False
    assert [s for s in job["steps"] if "uses" in s] == [checkout]
    script = "\n".join(s.get("run", "") for s in job["steps"])
    assert "python3 .github/scripts/pr_comment.py plans" in script
    assert "sed" not in script


# --- zizmor, the workflow security linter ------------------------------------------


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return tool("zizmor", "--offline", "--no-progress", *paths)


def test_zizmor_finds_nothing_and_make_test_runs_it() -> None:
    result = zizmor(ROOT / ".github" / "workflows")
    assert result.returncode == 0, result.stdout + result.stderr
    makefile = (ROOT / "Makefile").read_text()
    test_target = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "zizmor" in test_target.split()
    assert "$(BIN)/zizmor --offline .github/workflows" in makefile


def test_zizmor_can_fail(tmp_path: Path) -> None:
    """The findings the issue named: an unpinned action, persisted credentials, workflow_run."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "name: bad\non:\n  workflow_run:\n    workflows: [ci]\n    types: [completed]\n"
        "permissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    result = zizmor(workflows)
    assert result.returncode != 0
    for audit in ("unpinned-uses", "artipacked", "dangerous-triggers"):
        assert audit in result.stdout, audit


def test_every_zizmor_ignore_says_why_it_is_safe() -> None:
    ignores = 0
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "zizmor: ignore[" in line:
                ignores += 1
                reason = line.split("]", 1)[1]
                assert reason.startswith(" -- safe: "), f"{path.name}: {line}"
    assert ignores == 2  # the two workflow_run triggers


# --- The deploy gate, run by bash against a fake `gh` ------------------------------

# A fake GitHub: `gh api PATH --jq EXPR` answers from a JSON state file the way the
# REST API does, and applies EXPR with jq (gh's --jq prints strings raw, like jq -r).
# "Get a reference" (GET /repos/{o}/{r}/git/ref/heads/main) answers {"object": {"sha"}};
# "List workflow runs for a workflow" filters by the query's branch, event, status
# (a conclusion such as success) and head_sha, newest first.
FAKE_GH = """#!{python}
import json, os, subprocess, sys
from urllib.parse import parse_qs, urlsplit

args = sys.argv[1:]
assert args[0] == "api" and args[2] == "--jq", args
url, expr = urlsplit(args[1]), args[3]
state = json.load(open(os.environ["FAKE_GH_STATE"]))
repo = os.environ["GITHUB_REPOSITORY"]
if url.path == f"repos/{{repo}}/git/ref/heads/main":
    answer = {{"object": {{"sha": state["main"]}}}}
elif url.path == f"repos/{{repo}}/actions/workflows/ci.yml/runs":
    query = {{k: v[0] for k, v in parse_qs(url.query).items()}}
    runs = [
        r for r in state["runs"]
        if query.get("branch", r["head_branch"]) == r["head_branch"]
        and query.get("event", r["event"]) == r["event"]
        and query.get("status", r["conclusion"]) in (r["conclusion"], r["status"])
        and query.get("head_sha", r["head_sha"]) == r["head_sha"]
    ]
    answer = {{"total_count": len(runs), "workflow_runs": runs}}
else:
    sys.exit(f"fake gh: no route for {{args[1]}}")
out = subprocess.run(["jq", "-r", expr], input=json.dumps(answer), text=True,
                     capture_output=True, check=True).stdout
sys.stdout.write(out)
"""

REPO = "acme/session-manager"
OLD, NEW, TAG = "a" * 40, "b" * 40, "c" * 40


def ci_run(sha: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": int(sha[:6], 16),
        "head_sha": sha,
        "head_branch": "main",
        "event": "push",
        "status": "completed",
        "conclusion": "success",
        "path": ".github/workflows/ci.yml",
        "head_repository": {"full_name": REPO},
        **fields,
    }


def run_deploy_step(
    tmp_path: Path, job: str, name: str, main: str, runs: list[dict[str, Any]], **env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """One deploy.yml step, run as GitHub runs `shell: bash` (bash -e), against the fake."""
    import json

    step = next(s for s in load("deploy.yml")["jobs"][job]["steps"] if s.get("name") == name)
    assert step["shell"] == "bash"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable))
    gh.chmod(0o755)
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"main": main, "runs": runs}))
    output = tmp_path / "output"
    output.write_text("")
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    result = subprocess.run(
        ["bash", "-e", str(script)],
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_OUTPUT": str(output),
            "FAKE_GH_STATE": str(state),
            "TRIGGER_SHA": "",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result, outputs


def run_gate(
    tmp_path: Path, main: str, runs: list[dict[str, Any]], trigger: str = ""
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    return run_deploy_step(
        tmp_path, "gate", "Check main's head passed ci", main, runs, TRIGGER_SHA=trigger
    )


def test_the_gate_deploys_mains_head_once_ci_passed_on_it(tmp_path: Path) -> None:
    for trigger in ("", NEW):  # by hand / schedule, and after ci
        result, outputs = run_gate(tmp_path, NEW, [ci_run(NEW), ci_run(OLD)], trigger)
        assert result.returncode == 0, result.stdout + result.stderr
        assert outputs == {"sha": NEW, "deploy": "true"}
    # An answer for main that is not a commit: refuse, loudly.
    for main in ("", "null", "main", "b" * 39):
        result, outputs = run_gate(tmp_path, main, [ci_run(NEW)])
        assert result.returncode == 1, main
        assert "::error::could not read the head of main" in result.stdout
        assert outputs == {}


def test_deleting_the_newest_ci_runs_cannot_roll_back(tmp_path: Path) -> None:
    """A leaked token with Actions: write can delete runs (REST API, "Delete a workflow run").

    With main's head's run deleted, only an older commit's run is left: the gate used to
    deploy it. Now nothing deploys.
    """
    result, outputs = run_gate(tmp_path, NEW, [ci_run(OLD)])
    assert result.returncode == 1
    assert "ci has not passed on main's head" in result.stdout
    assert "sha" not in outputs
    # A failed or pending run of the head deploys nothing either.
    for run in (
        ci_run(NEW, conclusion="failure"),
        ci_run(NEW, status="in_progress", conclusion=None),
    ):
        assert run_gate(tmp_path, NEW, [run, ci_run(OLD)])[0].returncode == 1


def test_a_tag_named_main_is_not_main(tmp_path: Path) -> None:
    """A tag named `main` runs ci.yml with head_branch `main` (GitHub's workflow run object
    names the ref without refs/heads or refs/tags); its commit is not main's head."""
    tag_run = ci_run(TAG)  # newest, passed, "main", push
    result, outputs = run_gate(tmp_path, NEW, [tag_run, ci_run(OLD)])
    assert result.returncode == 1
    assert "sha" not in outputs
    # The tag's own workflow_run does not deploy, even with main's head passed.
    result, outputs = run_gate(tmp_path, NEW, [tag_run, ci_run(NEW)], trigger=TAG)
    assert result.returncode == 0
    assert outputs == {"deploy": "false"}
    assert "is not main's head" in result.stdout


def test_only_this_repositorys_push_runs_of_ci_count(tmp_path: Path) -> None:
    for run in (
        ci_run(NEW, head_repository={"full_name": "fork/session-manager"}),
        ci_run(NEW, event="pull_request"),
        ci_run(NEW, head_branch="feature"),
    ):
        assert run_gate(tmp_path, NEW, [run])[0].returncode == 1, run


def test_a_late_ci_run_of_an_older_commit_deploys_nothing(tmp_path: Path) -> None:
    result, outputs = run_gate(tmp_path, NEW, [ci_run(NEW), ci_run(OLD)], trigger=OLD)
    assert result.returncode == 0
    assert outputs == {"deploy": "false"}


@pytest.mark.parametrize("job", ["up", "organization"])
def test_a_rerun_of_an_old_deploy_job_deploys_nothing(tmp_path: Path, job: str) -> None:
    """Re-running one job reuses its needs' outputs from the first attempt (GitHub docs,
    "Re-running workflows and jobs"): the job checks main's head itself before `pulumi up`."""
    name = "Check the commit is still main's head"
    steps = load("deploy.yml")["jobs"][job]["steps"]
    check = next(i for i, s in enumerate(steps) if s.get("name") == name)
    up = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("pulumi/"))
    assert check == up - 1
    assert steps[check]["env"]["GATE_SHA"] == "${{ needs.gate.outputs.sha }}"
    old = run_deploy_step(tmp_path, job, name, NEW, [], GATE_SHA=OLD)[0]
    assert old.returncode == 1
    assert "nothing deploys" in old.stdout
    assert run_deploy_step(tmp_path, job, name, NEW, [], GATE_SHA="")[0].returncode == 1
    same = run_deploy_step(tmp_path, job, name, NEW, [], GATE_SHA=NEW)[0]
    assert same.returncode == 0, same.stdout + same.stderr


FAKE_GH_COMMENTS = """#!/bin/bash
# gh pr view N --json headRefOid --jq .headRefOid | gh api COMMENTS --paginate --jq EXPR
# | gh api -X PATCH repos/R/issues/comments/ID -F body=@file | gh pr comment N ...
echo "$*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "pr view") echo "$HEAD_SHA" ;;
  "pr comment") ;;
  "api -X") ;;
  "api "*) jq -r "${@: -1}" "$FAKE_COMMENTS" ;;
  *) exit 2 ;;
esac
"""


def run_comment_step(tmp_path: Path, comments: list[dict[str, Any]]) -> list[str]:
    """preview-comment.yml's last step, by bash (GitHub's default `bash -eo pipefail`)."""
    import json

    job = load("preview-comment.yml")["jobs"]["comment"]
    step = next(s for s in job["steps"] if s.get("name") == "Comment on the pull request")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "gh").write_text(FAKE_GH_COMMENTS)
    (bin_dir / "gh").chmod(0o755)
    (tmp_path / "plans" / "dev").mkdir(parents=True)
    (tmp_path / "plans" / "dev" / "pr-number.txt").write_text("7\n")
    (tmp_path / "comment.md").write_text("diff")
    (tmp_path / "comments.json").write_text(json.dumps(comments))
    log = tmp_path / "gh.log"
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "GITHUB_REPOSITORY": REPO,
            "HEAD_SHA": NEW,
            "FAKE_COMMENTS": str(tmp_path / "comments.json"),
            "FAKE_GH_LOG": str(log),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in log.read_text().splitlines() if not line.startswith("api repos")]


def test_the_comment_updated_is_the_bots_own(tmp_path: Path) -> None:
    """Any user can post a comment that starts with the marker (REST API, "List issue
    comments": each comment has `user.login` and `user.type`; the GITHUB_TOKEN's comments
    are by `github-actions[bot]`, type `Bot`)."""
    marker = load_pr_comment().MARKER
    bot = {"login": "github-actions[bot]", "type": "Bot"}
    ours = {"id": 11, "user": bot, "body": marker + "\nold diff"}
    fakes = [
        {"id": 12, "user": {"login": "mallory", "type": "User"}, "body": marker + "\nfake"},
        {"id": 13, "user": {"login": "github-actions[bot]", "type": "User"}, "body": marker},
        {"id": 14, "user": {"login": "other[bot]", "type": "Bot"}, "body": marker},
        {"id": 15, "user": bot, "body": "a note from another workflow"},
    ]
    calls = run_comment_step(tmp_path, [ours, *fakes])
    assert calls[-1] == f"api -X PATCH repos/{REPO}/issues/comments/11 -F body=@comment.md"
    # With only others' marker comments, the bot posts a new comment of its own.
    calls = run_comment_step(tmp_path / "new", fakes)
    assert calls[-1].startswith("pr comment 7 ")


def test_the_offline_plan_gives_the_organizations_ou_accounts_to_every_plan(
    tmp_path: Path,
) -> None:
    """Offline an OU holds only the accounts --ou-accounts gives it, so a shard count
    change planned without them lists none of the OUs' state moves (docs/shards.md).
    The job's loop turns ORGANIZATION_OU_ACCOUNTS into one flag per entry, for the
    head's plans, the base's and the diff, and for the organization stack only (the
    dev stack names no OU, and an entry for an OU it doesn't target is refused)."""
    job = load("preview.yml")["jobs"]["offline-plan"]
    step = next(s for s in job["steps"] if "session_manager plan" in s.get("run", ""))
    env = step["env"]["OU_ACCOUNTS"]
    assert "matrix.stack == vars.ORGANIZATION_STACK" in env
    assert "vars.ORGANIZATION_OU_ACCOUNTS" in env
    plans = [line for line in step["run"].splitlines() if "session_manager plan" in line]
    assert len(plans) == 4
    assert all('"${ou[@]}"' in line for line in plans), plans
    loop = next(line for line in step["run"].splitlines() if "for entry in" in line)
    script = f'ou=()\n{loop}\nprintf "%s\\n" "${{ou[@]}}"'
    for given, flags in (
        ("ou-ab12-cdef3456=1,2 ou-cd34-abcdef12=3", ["--ou-accounts", "ou-ab12-cdef3456=1,2",
                                                    "--ou-accounts", "ou-cd34-abcdef12=3"]),
        ("", [""]),
    ):  # fmt: skip
        result = subprocess.run(
            ["bash", "-c", script],
            env={"OU_ACCOUNTS": given, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.split("\n")[:-1] == flags
