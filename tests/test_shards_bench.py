"""bench/shards_bench.py's own rules: shard counts within the limit, the largest shard."""

from __future__ import annotations

from conftest import bench_script
from session_manager.config.shards import account_regions_by_shard

shards_bench = bench_script("shards_bench")


def test_every_bench_size_is_sharded_within_2000_account_regions_and_4_shards_at_least() -> None:
    for size, accounts in shards_bench.SIZES.items():
        count = shards_bench.shard_count(accounts)
        sizes = account_regions_by_shard(
            dict.fromkeys(shards_bench.accounts_of(accounts), len(shards_bench.REGIONS)), count
        )
        assert sum(sizes) == size
        assert count >= 4
        assert max(sizes) <= 2000, (size, count, sizes)


def test_the_largest_shard_is_read_from_the_summary() -> None:
    summary = (
        "    40  resources in stack org\n"
        "   800  resources in stack org-shard-0\n"
        "   812  resources in stack org-shard-1\n\n"
        "  1652  resources in all\n"
    )
    assert shards_bench.largest_shard(summary) == ("org-shard-1", 812)
