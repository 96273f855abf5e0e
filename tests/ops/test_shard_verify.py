"""`verify` of a sharded organization on moto: every stack checked, one merged report,
the same bytes for --jobs 1 and --jobs 2, and the same findings as the one stack."""

from __future__ import annotations

import json

import yaml
from ops.test_verify_organization import EXPLICIT, Organization, organization, run_cli
from session_manager.config.shards import shard_of
from session_manager.ops.drift.result import Report, TargetResult
from session_manager.ops.shard_verify import merge_reports

__all__ = ["organization"]  # the moto organization fixture, used by name


def _shard(org: Organization, count: int) -> None:
    path = org.project / "Pulumi.org.yaml"
    stack_file = yaml.safe_load(path.read_text())
    stack_file["config"]["session-manager:shards"] = {"count": count}
    # JSON, as the fixture writes it: yaml.safe_dump leaves a moto account id such as
    # 000989863457 unquoted, which the stack file's reader takes as a number (flaky).
    path.write_text(json.dumps(stack_file, indent=2))


def test_sharded_verify_matches_the_one_stack_for_any_jobs(
    organization: Organization,
) -> None:
    org = organization
    emulated = run_cli(org, "emulate")
    assert emulated.returncode == 0, emulated.stderr
    whole = run_cli(org, "verify", "--format", "json")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    _shard(org, 2)
    one = run_cli(org, "verify", "--format", "json", "--jobs", "1")
    two = run_cli(org, "verify", "--format", "json", "--jobs", "2")
    assert (one.returncode, one.stdout) == (two.returncode, two.stdout)
    assert one.returncode == 0, one.stdout + one.stderr
    merged, single = json.loads(one.stdout), json.loads(whole.stdout)
    assert merged["status"] == single["status"] == "in_sync"

    def targets(report: dict[str, object]) -> list[tuple[str, str]]:
        return sorted((t["account"], t["region"]) for t in report["targets"])  # type: ignore[index, union-attr]

    # Each account-Region checked once, by the stack that holds it.
    assert targets(merged) == targets(single)
    text_one = run_cli(org, "verify", "--jobs", "1")
    text_two = run_cli(org, "verify", "--jobs", "2")
    assert text_one.stdout == text_two.stdout

    # adopt: an import file per stack that holds documents, each naming its own stack.
    adopted = run_cli(org, "adopt", "--out", str(org.project / "adopt.json"))
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    files = sorted(p.name for p in org.project.glob("adopt.*.json"))
    # moto makes the OU's account ids up: which shards hold documents varies by run.
    holding = {shard_of(a, 2) for a in (org.member, org.nested, EXPLICIT)}
    assert files == [f"adopt.org-shard-{index}.json" for index in sorted(holding)]
    for index in holding:
        command = f"pulumi import --stack org-shard-{index} --config-file Pulumi.org.yaml"
        assert command in adopted.stdout
    for name in files:
        stack = name.removeprefix("adopt.").removesuffix(".json")
        names = [r["name"] for r in json.loads((org.project / name).read_text())["resources"]]
        accounts = {n.split("-")[2] for n in names if n.startswith("session-manager-")}
        assert accounts, name
        assert all(shard_of(a, 2) == int(stack[-1]) for a in accounts), (name, accounts)


def test_merged_report_keeps_stack_order_and_names_each_stacks_errors() -> None:
    first = Report("org", [TargetResult("a/us-east-1")], warnings=["w1", "w2"])
    second = Report("org-shard-0", [TargetResult("b/us-east-1")], warnings=["w2"], errors=["boom"])
    merged = merge_reports("org", [first, second], warnings=["ou"], errors=["ou unread"])
    assert [r.target for r in merged.results] == ["a/us-east-1", "b/us-east-1"]
    assert merged.warnings == ["ou", "w1", "w2"]
    assert merged.errors == ["ou unread", "stack org-shard-0: boom"]
    assert merged.exit_code == 2
