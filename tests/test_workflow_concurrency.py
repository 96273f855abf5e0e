"""Concurrency groups: a stack's deploys share one group, read-only jobs never do.

GitHub runs at most one job of a concurrency group at a time, across all workflows
of the repository, and only jobs that name the same group wait for each other; with
`cancel-in-progress: false`, "any existing pending job or workflow in the same
concurrency group will be canceled" when a new one queues (GitHub Actions docs,
"Control the concurrency of workflows and jobs", Using concurrency:
https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/control-the-concurrency-of-workflows-and-jobs).
So every job that deploys a stack (`pulumi up`, refresh, destroy) names the stack's one
group in every workflow, or two deploys interleave; and a read-only job (preview,
verify) never names a deploy's group, or its queueing could cancel a pending deploy.

Each job's stack is read from what it runs (the Pulumi action's `stack-name`, a
`pulumi ... --stack`, or `session_manager verify --stack S [--shard P]`), for every
matrix combination, with the sharded example's stack list for the matrices built
from `python -m session_manager shards --json`.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from session_manager.cli import main

ROOT = Path(__file__).resolve().parents[1]
# ORGANIZATION_SHARDS: the variable older workflows read, so the test runs on them too.
VARS = {"ORGANIZATION_STACK": "organization", "ORGANIZATION_SHARDS": "[0, 1, 2, 3]"}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# A stack some job runs a Pulumi or session_manager command against.
STACK_COMMAND = re.compile(
    r"(pulumi (?:up|preview|refresh|destroy)|session_manager verify)\b[^\n]*?"
    r"--stack \"?\$(\w+)\"?(?:[^\n]*?--shard \"?\$(\w+)\"?)?"
)
# The pull request a preview.yml run is of (github.event.pull_request.number).
PULL_REQUEST = 7
# The commands that change a stack (its state, its resources).
DEPLOYS = {"up", "refresh", "destroy"}


@pytest.fixture(scope="module")
def shards_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the `shards` jobs output for the organization-shards example."""
    folder = tmp_path_factory.mktemp("project")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copy(ROOT / "examples/organization-shards/Pulumi.organization.yaml", folder)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        argv = ["shards", "--stack", "organization", "--project-dir", str(folder), "--json"]
        assert main(argv) == 0
    listing = json.loads(buffer.getvalue())
    return {key: json.dumps(value) for key, value in listing.items()}


def _evaluate(text: str, context: dict[str, Any]) -> Any:
    """The few expressions the workflows use: vars.X, matrix.X, needs.J.outputs.X, and
    fromJSON(...) of one of them. Anything else fails the test (extend it knowingly)."""

    def value(expression: str) -> Any:
        inner = re.fullmatch(r"fromJSON\((.*)\)", expression)
        if inner:
            return json.loads(value(inner[1]))
        found: Any = context
        for part in expression.split("."):
            assert isinstance(found, dict), f"can't evaluate {expression!r}"
            assert part in found, f"can't evaluate {expression!r}"
            found = found[part]
        return found

    whole = EXPRESSION.fullmatch(text.strip())
    if whole:
        return value(whole[1])
    return EXPRESSION.sub(lambda m: str(value(m[1])), text)


def _combinations(job: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    matrix = (job.get("strategy") or {}).get("matrix")
    if matrix is None:
        return [{}]
    if isinstance(matrix, str):
        matrix = _evaluate(matrix, context)
    combos: list[dict[str, Any]] = [{}]
    for key, listed in matrix.items():
        if key in ("include", "exclude"):
            continue
        values = _evaluate(listed, context) if isinstance(listed, str) else listed
        combos = [{**c, key: v} for c in combos for v in values]
    include = matrix.get("include", [])
    include = _evaluate(include, context) if isinstance(include, str) else include
    for extra in include:
        # GitHub: an include that overwrites no original value adds a combination.
        if combos == [{}]:
            combos = []
        if not any(all(c.get(k) == v for k, v in extra.items() if k in c) and c for c in combos):
            combos.append(dict(extra))
    return combos or [{}]


def _joined(step: dict[str, Any]) -> str:
    """A step's script with bash's backslash-newline continuations joined."""
    return re.sub(r"\\\n\s*", " ", str(step.get("run", "")))


def _stacks(job: dict[str, Any], context: dict[str, Any]) -> dict[str, bool]:
    """The stacks a job runs commands against in one matrix combination, each with
    whether the job deploys it (True) or only reads it."""
    stacks: dict[str, bool] = {}
    job_env = job.get("env") or {}
    for step in job.get("steps", []):
        with_ = step.get("with") or {}
        if str(step.get("uses", "")).startswith("pulumi/actions") and "stack-name" in with_:
            stack = str(_evaluate(with_["stack-name"], context))
            deploys = with_.get("command") in DEPLOYS
            stacks[stack] = stacks.get(stack, False) or deploys
        env = {**job_env, **(step.get("env") or {})}
        for command, stack_var, shard_var in STACK_COMMAND.findall(_joined(step)):
            assert stack_var in env, f"--stack ${stack_var} is not set from the job's env"
            stack = str(_evaluate(env[stack_var], context))
            if shard_var:
                shard = str(_evaluate(env[shard_var], context))
                if shard.isdigit():
                    stack = f"{stack}-shard-{shard}"
                else:
                    assert shard == "shared", f"--shard {shard}: one stack per job"
            deploys = command.split()[-1] in DEPLOYS
            stacks[stack] = stacks.get(stack, False) or deploys
    return stacks


Group = tuple[str, str, str, str | None, bool]


def _groups(shards_output: dict[str, Any], pull_request: int = PULL_REQUEST) -> list[Group]:
    """(workflow, job, stack, group, deploys) for every job and matrix combination; a
    pull_request workflow's run is of pull request `pull_request`."""
    found: list[Group] = []
    for path in sorted((ROOT / ".github/workflows").glob("*.yml")):
        jobs = yaml.safe_load(path.read_text())["jobs"]
        for name, job in jobs.items():
            base: dict[str, Any] = {
                "vars": VARS,
                "needs": {"shards": {"outputs": shards_output}},
                "github": {"event": {"pull_request": {"number": pull_request}}},
            }
            for combo in _combinations(job, base):
                context = {**base, "matrix": combo}
                group = (job.get("concurrency") or {}).get("group")
                for stack, deploys in _stacks(job, context).items():
                    evaluated = None if group is None else str(_evaluate(group, context))
                    found.append((path.name, name, stack, evaluated, deploys))
    return found


def test_a_stacks_deploys_share_its_one_group_in_every_workflow(
    shards_output: dict[str, Any],
) -> None:
    groups = _groups(shards_output)
    deployed = {stack for *_, stack, _, deploys in groups if deploys}
    # Every stack of the sharded example is deployed somewhere, and checked.
    assert {"organization", *(f"organization-shard-{i}" for i in range(4))} <= deployed
    read = {stack for *_, stack, _, deploys in groups if not deploys}
    assert {"organization", *(f"organization-shard-{i}" for i in range(4))} <= read
    for workflow, job, stack, group, deploys in groups:
        if deploys:
            assert group == f"session-manager-{stack}", f"{workflow} {job} ({stack})"


def test_read_only_jobs_never_share_a_group_with_a_deploy(
    shards_output: dict[str, Any],
) -> None:
    """A preview or verify queued behind a deploy would cancel a deploy pending in
    the same group: read-only jobs take groups of their own, one per stack."""
    groups = _groups(shards_output)
    deploy_groups = {group for *_, group, deploys in groups if deploys}
    for workflow, job, stack, group, deploys in groups:
        if deploys:
            continue
        where = f"{workflow} {job} ({stack})"
        assert group is not None, where
        assert group not in deploy_groups, where
        family = {"preview.yml": f"preview-{PULL_REQUEST}", "deploy.yml": "deployverify"}
        assert group == f"session-manager-{family.get(workflow, 'verify')}-{stack}", where


def test_read_only_jobs_of_two_workflows_never_share_a_group(
    shards_output: dict[str, Any],
) -> None:
    """Two read-only jobs in one group cancel each other's pending run (same GitHub
    rule): deploy.yml's verify after the shards' `up` and drift.yml's daily verify of
    the shared stack took one group, so either could drop the other."""
    workflows: dict[str, set[str]] = {}
    for workflow, _, _, group, deploys in _groups(shards_output):
        if not deploys and group is not None:
            workflows.setdefault(group, set()).add(workflow)
    shared = {group: sorted(names) for group, names in workflows.items() if len(names) > 1}
    assert shared == {}


def test_one_pull_requests_preview_never_cancels_anothers(
    shards_output: dict[str, Any],
) -> None:
    """With `session-manager-preview-<stack>` every pull request's previews shared a
    group, so a third PR's preview queued behind a running one cancelled a second PR's
    pending preview (same GitHub rule: the pending job of a group is cancelled when a
    new one queues). Each PR's previews take a group of their own; a newer push to the
    same PR still replaces its own pending preview."""
    seven, eight = _groups(shards_output, 7), _groups(shards_output, 8)
    previews = [(a, b) for a, b in zip(seven, eight, strict=True) if a[0] == "preview.yml"]
    assert len(previews) >= 6  # dev, and the organization's five stacks
    for (_, job, stack, group7, _), (*_, group8, _) in previews:
        assert group7 == f"session-manager-preview-7-{stack}", job
        assert group8 == f"session-manager-preview-8-{stack}", job
