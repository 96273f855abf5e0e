"""Shard assignment and the `shards` config: stable, minimal moves, exact messages."""

from __future__ import annotations

import subprocess
import sys

import pytest
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config
from session_manager.config.shards import (
    Shards,
    StackPart,
    account_regions_by_shard,
    all_parts,
    jump_hash,
    shard_of,
    shared_reference,
    size_warnings,
    smallest_count,
    stack_part,
)

ACCOUNTS = [f"{100000000000 + i * 7919:012d}" for i in range(1000)]


def test_jump_hash_matches_the_published_algorithm() -> None:
    """Lamping and Veach, arXiv:1406.2294; the vectors are ClickHouse's tests of its
    jumpConsistentHash (tests/queries/0_stateless/00580_consistent_hashing_functions)."""
    vectors = [
        (1, 1, 0),
        (42, 57, 43),
        (256, 1024, 520),
        (3735883980, 1, 0),
        (3735883980, 666, 361),
        (16045690984833335023, 255, 237),
    ]
    assert [jump_hash(key, buckets) for key, buckets, _ in vectors] == [b for *_, b in vectors]


def test_an_accounts_shard_is_the_same_in_another_process() -> None:
    """Not Python's hash(), which is salted per process (PYTHONHASHSEED)."""
    here = [shard_of(account, 7) for account in ACCOUNTS[:50]]
    code = (
        "from session_manager.config.shards import shard_of;"
        f"print([shard_of(a, 7) for a in {ACCOUNTS[:50]!r}])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert there.strip() == str(here)


def test_growing_the_count_moves_only_accounts_into_the_new_shard() -> None:
    for count in range(1, 12):
        for account in ACCOUNTS:
            before, after = shard_of(account, count), shard_of(account, count + 1)
            assert after in (before, count), (account, count)
    moved = sum(shard_of(a, 4) != shard_of(a, 5) for a in ACCOUNTS)
    # About 1/5 of them (hash mod N would move about 4/5).
    assert 150 <= moved <= 250


def test_shards_are_balanced_and_every_account_has_one() -> None:
    sizes = account_regions_by_shard(dict.fromkeys(ACCOUNTS, 1), 4)
    assert sum(sizes) == len(ACCOUNTS)
    assert all(200 <= size <= 300 for size in sizes), sizes


def test_the_suggested_count_keeps_every_shard_within_the_limit() -> None:
    regions = dict.fromkeys(ACCOUNTS, 17)  # 17,000 account-Regions
    count = smallest_count(regions, 2000)
    assert max(account_regions_by_shard(regions, count)) <= 2000
    assert max(account_regions_by_shard(regions, count - 1)) > 2000
    assert count >= 9


def test_a_shard_over_the_limit_is_warned_about_with_the_count_that_fits() -> None:
    regions = dict.fromkeys(ACCOUNTS, 17)
    [warning] = size_warnings(regions, Shards(count=2))
    assert warning.startswith("session-manager:shards: shard 0 has ")
    assert f"count {smallest_count(regions, 2000)} keeps every shard within it" in warning
    assert size_warnings(dict.fromkeys(ACCOUNTS[:10], 17), Shards(count=2)) == []


def _problems(values: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values, aws_region="us-east-1")
    return caught.value.problems


def test_bad_shards_config_names_the_key() -> None:
    targets = [{"account": "111111111111"}]
    assert _problems({"targets": targets, "shards": {"count": 0}}) == [
        ("session-manager:shards.count", "must be a whole number from 1 to 100, got 0")
    ]
    # The message says the range the check allows (not "0 or more" for -1), and a
    # count is a YAML integer: go-yaml v3 resolves `"4"` to a string and `4.0` to a
    # float (yaml.v3 resolve.go), which `pulumi config` keeps as such.
    for bad, shown in ((-1, "-1"), ("4", "'4'"), (4.0, "4.0"), (True, "True")):
        assert _problems({"targets": targets, "shards": {"count": bad}}) == [
            ("session-manager:shards.count", f"must be a whole number from 1 to 100, got {shown}")
        ], bad
    assert _problems({"shards": {"count": 2}}) == [
        ("session-manager:shards", "needs targets: it splits the accounts of an organization")
    ]
    assert _problems({"targets": targets, "shards": {}}) == [
        ("session-manager:shards.count", "is required")
    ]
    # maxAccountRegions as strict as count: a YAML integer, not "5" nor 5.0.
    for bad, shown in ((0, "0"), ("5", "'5'"), (5.0, "5.0"), (True, "True")):
        shards = {"count": 2, "maxAccountRegions": bad}
        assert _problems({"targets": targets, "shards": shards}) == [
            (
                "session-manager:shards.maxAccountRegions",
                f"must be a whole number, at least 1, got {shown}",
            )
        ], bad


def test_the_shared_stack_reference_follows_pulumis_grammar() -> None:
    """`[<organization>/[<project>/]]<stack>`, each part of [A-Za-z0-9_.-], 1-100
    (pulumi/pulumi pkg/backend/diy/store.go ParseReference splits on "/"; names from
    sdk/go/common/tokens/stack_name.go ParseStackName and project.go). A legacy
    self-managed backend takes the stack name alone (legacyReferenceStore)."""
    targets = [{"account": "111111111111"}]
    for good in ("organization", "organization/org", "acme/session-manager/organization"):
        parse_stack_config(
            {"targets": targets, "shards": {"count": 2, "sharedStackReference": good}},
            aws_region="us-east-1",
        )
    for bad in ("a/b/c/d", "org/", "/org", "org stack", "x" * 101, ""):
        problems = _problems(
            {"targets": targets, "shards": {"count": 2, "sharedStackReference": bad}}
        )
        assert problems == [
            (
                "session-manager:shards.sharedStackReference",
                "must be a stack reference, [<organization>/[<project>/]]<stack>, each part "
                f"1-100 letters, digits, _ . or -, got {bad!r}",
            )
        ], bad
    shards = Shards(count=2, shared_stack_reference="organization")
    assert shared_reference(shards, "session-manager", "organization") == "organization"
    default = Shards(count=2)
    assert shared_reference(default, "p", "org") == "organization/p/org"
    assert shared_reference(default, "p", "org", "acme") == "acme/p/org"


def test_an_account_alone_over_the_limit_is_named_with_what_to_do() -> None:
    """No count splits one account's Regions: advice of a count would be impossible."""
    regions = {**dict.fromkeys(ACCOUNTS[:10], 2), "123456789012": 30}
    [warning] = size_warnings(regions, Shards(count=2, max_account_regions=20))
    assert "account 123456789012 alone has 30" in warning
    assert warning.endswith("raise maxAccountRegions to at least 30")
    assert "keeps every shard within it" not in warning


def test_a_stack_named_like_no_part_of_the_organization_is_refused() -> None:
    """With the organization's file, any stack not `<shared>-shard-<i>` would plan a
    second shared stack: a mistyped shard name, or not the referenced shared stack."""
    for stack in ("org-shard2", "org-shard-02", "org-shard-x"):
        with pytest.raises(ConfigError) as caught:
            stack_part(stack, Shards(count=4))
        assert caught.value.problems == [
            (
                "session-manager:shards",
                f"stack {stack!r} is not one of this organization's stacks, 'org' (shared) "
                "and 'org-shard-0' ... 'org-shard-3': it would deploy a second shared stack "
                "(central log bucket, accountEvents). Run the shared stack's own name, or a "
                "shard as <stack>-shard-<n> (a name ending in -shard-<word> or "
                "-shard<digits> reads as a mistyped shard: give the shared stack another "
                "name)",
            )
        ]
    named = Shards(count=2, shared_stack_reference="acme/p/org")
    with pytest.raises(ConfigError) as caught:
        stack_part("other", named)
    assert "'org' (shared) and 'org-shard-0' ... 'org-shard-1'" in caught.value.problems[0][1]
    assert stack_part("org", named) == StackPart("org", None)


@pytest.mark.parametrize("stack", ["eu-shard", "prod-shards", "org-sharding", "shard"])
def test_a_name_that_only_contains_shard_is_an_ordinary_shared_stack(stack: str) -> None:
    """Only `<stack>-shard-<n>` names a shard, and a name ending like a mistyped one
    (`-shard2`, `-shard-02`) is refused. `shards --stack eu-shard` lists `eu-shard` and
    `eu-shard-shard-0` ...; plan refused `eu-shard` as a mistyped shard of `eu`."""
    shards = Shards(count=4)
    assert stack_part(stack, shards) == StackPart(stack, None)
    assert stack_part(f"{stack}-shard-3", shards) == StackPart(stack, 3)


def test_shard_stack_names_pulumi_refuses_as_too_long_are_refused() -> None:
    """pulumi/pulumi sdk/go/common/tokens/stack_name.go ParseStackName: "a stack name
    cannot exceed 100 characters", so `pulumi stack init` of a longer shard stack fails
    and that shard could never deploy. The longest name is the last shard's."""
    shards = Shards(count=10)
    fits, over = "o" * 92, "o" * 93  # + "-shard-9": 100 and 101 characters
    assert stack_part(fits, shards) == StackPart(fits, None)
    assert stack_part(f"{fits}-shard-9", shards) == StackPart(fits, 9)
    for stack in (over, f"{over}-shard-0"):
        with pytest.raises(ConfigError) as caught:
            stack_part(stack, shards)
        assert caught.value.problems == [
            (
                "session-manager:shards.count",
                f"is 10, so the last shard stack of {over!r} is named {over + '-shard-9'!r}, "
                "101 characters: Pulumi takes a stack name of at most 100. Name the "
                "organization's stack (the stack file's) in at most 92 characters",
            )
        ]
    # One more digit in the count is one character less for the name.
    with pytest.raises(ConfigError):
        stack_part(fits, Shards(count=11))


def test_a_stack_knows_its_part_from_its_name() -> None:
    shards = Shards(count=4)
    assert stack_part("organization", shards) == StackPart("organization", None)
    assert stack_part("org-shard-3", shards) == StackPart("org", 3)
    assert stack_part("organization", None) is None
    assert [p.name for p in all_parts("org", shards)] == [
        "org",
        "org-shard-0",
        "org-shard-1",
        "org-shard-2",
        "org-shard-3",
    ]


def test_a_shard_stack_without_the_organizations_config_is_refused() -> None:
    """`pulumi up -s org-shard-2` without --config-file would run with no config: the
    program would manage the credentials' own account and delete the shard's resources."""
    with pytest.raises(ConfigError) as caught:
        stack_part("org-shard-2", None)
    assert caught.value.problems == [
        (
            "session-manager:shards",
            "is not set, but stack 'org-shard-2' is named as shard 2 of 'org': run pulumi "
            "with --config-file Pulumi.org.yaml (every shard reads the organization's stack "
            "file), or rename the stack",
        )
    ]
    with pytest.raises(ConfigError) as caught:
        stack_part("org-shard-4", Shards(count=4))
    assert caught.value.problems[0][0] == "session-manager:shards.count"
    assert "shards are numbered 0-3; stack 'org-shard-4' is shard 4" in caught.value.problems[0][1]
