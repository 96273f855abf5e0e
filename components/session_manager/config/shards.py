"""Shards: one organization split across a shared stack and N shard stacks.

Every stack of a sharded organization reads the same stack file (`pulumi ...
--config-file Pulumi.<stack>.yaml`); the stack's own name says which part it is:
`<stack>` holds the shared parts (central log bucket, `accountEvents`), and
`<stack>-shard-<i>` the accounts whose shard is `i`. docs/shards.md explains why.

Assignment is Lamping and Veach's jump consistent hash of the account id
("A Fast, Minimal Memory, Consistent Hash Algorithm", 2014, arXiv:1406.2294): it
depends on the account id and the count only, so adding or removing an account
never moves another; and going from N to N+1 shards moves only the accounts that
land in the new shard (about 1/(N+1) of them), where `hash mod N` would move
about N/(N+1).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.fields import ConfigModel, WholeNumber

MAX_SHARDS = 100
# The largest shard, by default: measured, a plan costs about 500 KB of memory per
# account-Region in one process (bench/README.md), so 2,000 stay near 1 GB.
DEFAULT_MAX_ACCOUNT_REGIONS = 2000
SHARD_SUFFIX = "-shard-"
_SHARD_STACK = re.compile(r"^(?P<base>.+)-shard-(?P<index>0|[1-9][0-9]*)$")

_MULTIPLIER = 2862933555777941757
_MASK = (1 << 64) - 1


class Shards(ConfigModel):
    """Split the organization across stacks that CI runs side by side (docs/shards.md)."""

    count: WholeNumber = Field(
        description=(
            f"Number of shard stacks, 1-{MAX_SHARDS}: `<stack>-shard-0` ... "
            "`<stack>-shard-<count-1>` hold the accounts; `<stack>` keeps the central log "
            "bucket and accountEvents. Changing it moves accounts: `plan --diff` prints the "
            "`pulumi state move` commands. A shard over `maxAccountRegions` is warned about "
            "with the count that fits."
        )
    )
    max_account_regions: WholeNumber = Field(
        default=DEFAULT_MAX_ACCOUNT_REGIONS,
        description=(
            "A shard with more account-Regions than this is warned about on every plan and "
            "preview, with the smallest count that keeps every shard within it."
        ),
    )

    @field_validator("count")
    @classmethod
    def _count(cls, value: int) -> int:
        if not 1 <= value <= MAX_SHARDS:
            raise PydanticCustomError(
                "shard_count",
                "must be 1-{high}, got {got}",
                {"high": MAX_SHARDS, "got": value},
            )
        return value

    @field_validator("max_account_regions")
    @classmethod
    def _max(cls, value: int) -> int:
        if value < 1:
            raise PydanticCustomError("shard_size", "must be at least 1, got {got}", {"got": value})
        return value


def jump_hash(key: int, buckets: int) -> int:
    """Lamping and Veach's jump consistent hash of a 64-bit key into 0 .. buckets-1."""
    bucket, jump = -1, 0
    while jump < buckets:
        bucket = jump
        key = (key * _MULTIPLIER + 1) & _MASK
        jump = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket


def shard_of(account_id: str, count: int) -> int:
    """The shard (0 .. count-1) that holds an account: the jump hash of the first 8
    bytes of its id's SHA-256, the same in every process and Python version."""
    key = int.from_bytes(hashlib.sha256(account_id.encode()).digest()[:8], "big")
    return jump_hash(key, count)


def shard_stack(base: str, index: int) -> str:
    return f"{base}{SHARD_SUFFIX}{index}"


@dataclass(frozen=True)
class StackPart:
    """Which part of a sharded organization a stack is: its base stack and shard."""

    base: str
    index: int | None  # None: the shared stack

    @property
    def name(self) -> str:
        return self.base if self.index is None else shard_stack(self.base, self.index)


def stack_part(stack: str, shards: Shards | None) -> StackPart | None:
    """What `stack` is: None for an unsharded stack; raises ConfigError when a shard
    stack's name and the config disagree (the stack would deploy the wrong accounts)."""
    found = _SHARD_STACK.match(stack)
    if shards is None:
        if found:
            raise ConfigError(
                [
                    (
                        f"{NAMESPACE}:shards",
                        f"is not set, but stack {stack!r} is named as shard "
                        f"{found['index']} of {found['base']!r}: run pulumi with "
                        f"--config-file Pulumi.{found['base']}.yaml (every shard reads the "
                        "organization's stack file), or rename the stack",
                    )
                ]
            )
        return None
    if not found:
        return StackPart(stack, None)
    index = int(found["index"])
    if index >= shards.count:
        raise ConfigError(
            [
                (
                    f"{NAMESPACE}:shards.count",
                    f"is {shards.count}, so shards are numbered 0-{shards.count - 1}; stack "
                    f"{stack!r} is shard {index}. Move its accounts first (plan --diff prints "
                    "the pulumi state move commands), then remove the stack",
                )
            ]
        )
    return StackPart(found["base"], index)


def all_parts(base: str, shards: Shards) -> list[StackPart]:
    """The shared stack first, then every shard in order: the order output is merged in."""
    return [StackPart(base, None), *(StackPart(base, i) for i in range(shards.count))]


def account_regions_by_shard(account_regions: Mapping[str, int], count: int) -> list[int]:
    """How many account-Regions each shard holds, given each account's Region count."""
    sizes = [0] * count
    for account, regions in account_regions.items():
        sizes[shard_of(account, count)] += regions
    return sizes


def smallest_count(account_regions: Mapping[str, int], limit: int) -> int:
    """The fewest shards that keep every shard within `limit` account-Regions.

    An account's Regions never split, so an account larger than `limit` can't fit:
    the search stops at MAX_SHARDS.
    """
    total = sum(account_regions.values())
    start = max(1, math.ceil(total / limit))
    for count in range(start, MAX_SHARDS + 1):
        if max(account_regions_by_shard(account_regions, count), default=0) <= limit:
            return count
    return MAX_SHARDS


def size_warnings(account_regions: Mapping[str, int], shards: Shards) -> list[str]:
    """Said on every plan and preview when a shard holds more than `maxAccountRegions`."""
    sizes = account_regions_by_shard(account_regions, shards.count)
    over = [(i, size) for i, size in enumerate(sizes) if size > shards.max_account_regions]
    if not over:
        return []
    suggested = smallest_count(account_regions, shards.max_account_regions)
    listed = ", ".join(f"shard {i} has {size}" for i, size in over)
    return [
        f"{NAMESPACE}:shards: {listed} account-Regions, more than maxAccountRegions "
        f"({shards.max_account_regions}); count {suggested} keeps every shard within it "
        "(changing the count moves accounts: see plan --diff)"
    ]


def accounts_in(accounts: Iterable[str], count: int, index: int) -> list[str]:
    return [account for account in accounts if shard_of(account, count) == index]
