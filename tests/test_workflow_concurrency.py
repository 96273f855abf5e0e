"""One concurrency group per stack, in every workflow.

GitHub runs at most one job of a concurrency group at a time, across all workflows
of the repository, and only jobs that name the same group wait for each other
(GitHub Actions docs, "Control the concurrency of workflows and jobs":
https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/control-the-concurrency-of-workflows-and-jobs).
So a stack's deploy and drift jobs must name the same group, or drift reads a stack
mid-deploy; the previews share a family of their own (preview.yml says why), again
one group per stack.

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
    r"(?:pulumi (?:up|preview|refresh|destroy)|session_manager verify)\b[^\n]*?"
    r"--stack \"?\$(\w+)\"?(?:[^\n]*?--shard \"?\$(\w+)\"?)?"
)


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


def _stacks(job: dict[str, Any], context: dict[str, Any]) -> set[str]:
    """The stacks a job runs commands against, in one matrix combination."""
    stacks: set[str] = set()
    job_env = job.get("env") or {}
    for step in job.get("steps", []):
        with_ = step.get("with") or {}
        if str(step.get("uses", "")).startswith("pulumi/actions") and "stack-name" in with_:
            stacks.add(str(_evaluate(with_["stack-name"], context)))
        env = {**job_env, **(step.get("env") or {})}
        for stack_var, shard_var in STACK_COMMAND.findall(str(step.get("run", ""))):
            assert stack_var in env, f"--stack ${stack_var} is not set from the job's env"
            stack = str(_evaluate(env[stack_var], context))
            if shard_var:
                shard = str(_evaluate(env[shard_var], context))
                if shard.isdigit():
                    stack = f"{stack}-shard-{shard}"
                else:
                    assert shard == "shared", f"--shard {shard}: one stack per job"
            stacks.add(stack)
    return stacks


def _groups(shards_output: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    """(workflow, job, stack, group) for every job and matrix combination."""
    found: list[tuple[str, str, str, str | None]] = []
    for path in sorted((ROOT / ".github/workflows").glob("*.yml")):
        jobs = yaml.safe_load(path.read_text())["jobs"]
        for name, job in jobs.items():
            base: dict[str, Any] = {
                "vars": VARS,
                "needs": {"shards": {"outputs": shards_output}},
            }
            for combo in _combinations(job, base):
                context = {**base, "matrix": combo}
                group = (job.get("concurrency") or {}).get("group")
                for stack in _stacks(job, context):
                    evaluated = None if group is None else str(_evaluate(group, context))
                    found.append((path.name, name, stack, evaluated))
    return found


def test_every_job_on_a_stack_takes_that_stacks_one_group(shards_output: dict[str, Any]) -> None:
    groups = _groups(shards_output)
    stacks = {stack for _, _, stack, _ in groups}
    # Every stack of the sharded example is deployed, checked and previewed somewhere.
    assert {"organization", *(f"organization-shard-{i}" for i in range(4))} <= stacks
    for workflow, job, stack, group in groups:
        family = "session-manager-preview-" if workflow == "preview.yml" else "session-manager-"
        where = f"{workflow} {job} ({stack})"
        if job == "organization-shards-verify":
            # Verifies every stack after this run's deploys: one job can't hold five
            # groups, and it changes nothing.
            continue
        assert group == f"{family}{stack}", where


def test_the_shared_stacks_drift_job_waits_for_its_deploy(shards_output: dict[str, Any]) -> None:
    by_stack: dict[str, set[str]] = {}
    for workflow, _, stack, group in _groups(shards_output):
        if workflow != "preview.yml" and group is not None:
            by_stack.setdefault(stack, set()).add(group)
    assert by_stack["organization"] == {"session-manager-organization"}
    assert by_stack["organization-shard-2"] == {"session-manager-organization-shard-2"}
