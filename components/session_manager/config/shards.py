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
from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.fields import ConfigModel

MAX_SHARDS = 100
# The largest shard, by default: measured, a plan costs about 500 KB of memory per
# account-Region in one process (bench/README.md), so 2,000 stay near 1 GB.
DEFAULT_MAX_ACCOUNT_REGIONS = 2000
SHARD_SUFFIX = "-shard-"
# A self-managed backend's one organization (pulumi/pulumi pkg/backend/diy/store.go
# projectReferenceStore.ParseReference: "org-name must always be organization").
DIY_ORGANIZATION = "organization"
# The stack output that holds the count a sharded organization's stack deployed with.
SHARD_COUNT_OUTPUT = "shardCount"
_SHARD_STACK = re.compile(r"^(?P<base>.+)-shard-(?P<index>0|[1-9][0-9]*)$")
# A name that reads as a mistyped shard stack: `-shard` then `-<one word>` (`-shard-02`,
# `-shard-x`) or digits (`-shard2`) at its end. `eu-shard`, `prod-shards` and
# `org-sharding` are ordinary stack names, shared stacks like any other.
_SHARD_TYPO = re.compile(r"-shard(?:-[^-]*|[0-9]+)$")
# pulumi/pulumi sdk/go/common/tokens/stack_name.go ParseStackName: "a stack name cannot
# exceed 100 characters".
MAX_STACK_NAME = 100
# A stack reference, `[<organization>/[<project>/]]<stack>`: each part 1-100 of
# [A-Za-z0-9_.-] (pulumi/pulumi sdk/go/common/tokens/stack_name.go ParseStackName,
# project.go ValidateProjectName, names.go; pkg/backend/diy/store.go ParseReference
# splits on "/").
_REFERENCE_PART = r"[A-Za-z0-9_.-]{1,100}"
STACK_REFERENCE = re.compile(rf"^(?:{_REFERENCE_PART}/){{0,2}}{_REFERENCE_PART}$")

_MULTIPLIER = 2862933555777941757
_MASK = (1 << 64) - 1


def _yaml_integer(value: Any, low: int, high: int | None = None) -> bool:
    """An integer as YAML writes one (not a bool, "4" or 4.0), from low to high."""
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return low <= value and (high is None or value <= high)


class Shards(ConfigModel):
    """Split the organization across stacks that CI runs side by side (docs/shards.md)."""

    count: int = Field(
        description=(
            f"Number of shard stacks, 1-{MAX_SHARDS}: `<stack>-shard-0` ... "
            "`<stack>-shard-<count-1>` hold the accounts; `<stack>` keeps the central log "
            "bucket and accountEvents. Changing it moves accounts: `plan --diff` prints the "
            "`pulumi state move` commands. A shard over `maxAccountRegions` is warned about "
            "with the count that fits. Every shard stack's name must fit Pulumi's 100 "
            "characters."
        )
    )
    shared_stack_reference: str | None = Field(
        default=None,
        description=(
            "The name the shards read the shared stack by (a stack reference, "
            "`[<organization>/[<project>/]]<stack>`). Unset: "
            "`<organization>/<project>/<stack>`, the backend's organization, or "
            "`organization` on a self-managed backend. A self-managed backend in the "
            "legacy layout (no projects) takes the stack's name alone: set it to `<stack>` "
            "(or run `pulumi state upgrade`; docs/shards.md)."
        ),
    )
    max_account_regions: int = Field(
        default=DEFAULT_MAX_ACCOUNT_REGIONS,
        description=(
            "A shard with more account-Regions than this is warned about on every plan and "
            "preview, with the smallest count that keeps every shard within it."
        ),
    )

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, value: Any) -> int:
        # A number, as YAML writes one (`count: 4`): not "4" nor 4.0, which name a
        # count no less plainly but could as well be a typo'd string or a ratio.
        if not _yaml_integer(value, 1, MAX_SHARDS):
            raise PydanticCustomError(
                "shard_count",
                "must be a whole number from 1 to {high}, got {got}",
                {"high": MAX_SHARDS, "got": repr(value)},
            )
        return value

    @field_validator("shared_stack_reference")
    @classmethod
    def _reference(cls, value: str | None) -> str | None:
        if value is not None and not STACK_REFERENCE.match(value):
            raise PydanticCustomError(
                "stack_reference",
                "must be a stack reference, [<organization>/[<project>/]]<stack>, each part "
                "1-100 letters, digits, _ . or -, got {got}",
                {"got": repr(value)},
            )
        return value

    @field_validator("max_account_regions", mode="before")
    @classmethod
    def _max(cls, value: Any) -> int:
        # As strict as count: a number, as YAML writes one, not "5" nor 5.0.
        if not _yaml_integer(value, 1):
            raise PydanticCustomError(
                "shard_size", "must be a whole number, at least 1, got {got}", {"got": repr(value)}
            )
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


def shared_reference(
    shards: Shards, project: str, base: str, organization: str | None = None
) -> str:
    """The shared stack's stack-reference name: `shards.sharedStackReference`, or
    `<organization>/<project>/<stack>`; a self-managed backend's organization is always
    "organization" (the mock runtime leaves it unset). Its legacy layout takes the
    stack name alone (pkg/backend/diy/store.go legacyReferenceStore.ParseReference)."""
    if shards.shared_stack_reference:
        return shards.shared_stack_reference
    return f"{organization or DIY_ORGANIZATION}/{project}/{base}"


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


def named_shard(stack: str) -> tuple[str, int] | None:
    """(base, index) when `stack` is named as a shard stack, `<base>-shard-<index>`."""
    found = _SHARD_STACK.match(stack)
    return (found["base"], int(found["index"])) if found else None


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
        _refuse_second_shared(stack, shards)
        _refuse_long_names(stack, shards)
        return StackPart(stack, None)
    _refuse_long_names(found["base"], shards)
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


def _refuse_second_shared(stack: str, shards: Shards) -> None:
    """A stack that isn't `<base>-shard-<i>` is the shared stack: refused when its name
    says otherwise (a mistyped shard, or not the stack the shards reference), since it
    would create a second central bucket and accountEvents."""
    named = (shards.shared_stack_reference or "").rsplit("/", 1)[-1] or None
    typo = _SHARD_TYPO.search(stack)
    if named in (None, stack) and not typo:
        return
    base = named or stack[: typo.start() if typo else len(stack)]
    expected = f"{base!r} (shared) and {shard_stack(base, 0)!r}"
    if shards.count > 1:
        expected += f" ... {shard_stack(base, shards.count - 1)!r}"
    why = (
        " (a name ending in -shard-<word> or -shard<digits> reads as a mistyped shard: "
        "give the shared stack another name)"
        if typo and named is None
        else ""
    )
    raise ConfigError(
        [
            (
                f"{NAMESPACE}:shards",
                f"stack {stack!r} is not one of this organization's stacks, {expected}: it "
                "would deploy a second shared stack (central log bucket, accountEvents). "
                f"Run the shared stack's own name, or a shard as <stack>-shard-<n>{why}",
            )
        ]
    )


def _refuse_long_names(base: str, shards: Shards) -> None:
    """Every shard stack's name must be one Pulumi takes (MAX_STACK_NAME characters):
    `pulumi stack init` of a longer one fails, so that shard could never deploy."""
    longest = shard_stack(base, shards.count - 1)
    if len(longest) <= MAX_STACK_NAME:
        return
    room = MAX_STACK_NAME - len(longest) + len(base)
    raise ConfigError(
        [
            (
                f"{NAMESPACE}:shards.count",
                f"is {shards.count}, so the last shard stack of {base!r} is named "
                f"{longest!r}, {len(longest)} characters: Pulumi takes a stack name of at "
                f"most {MAX_STACK_NAME}. Name the organization's stack (the stack file's) "
                f"in at most {room} characters",
            )
        ]
    )


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
    limit = shards.max_account_regions
    sizes = account_regions_by_shard(account_regions, shards.count)
    over = [(i, size) for i, size in enumerate(sizes) if size > limit]
    if not over:
        return []
    listed = ", ".join(f"shard {i} has {size}" for i, size in over)
    said = f"{NAMESPACE}:shards: {listed} account-Regions, more than maxAccountRegions ({limit})"
    # An account's Regions stay in one shard (its IAM covers them all): no count
    # splits an account that alone is over the limit.
    too_large = sorted((a, n) for a, n in account_regions.items() if n > limit)
    if too_large:
        accounts = ", ".join(f"account {a} alone has {n}" for a, n in too_large)
        return [
            f"{said}; {accounts}, and an account's Regions never split across shards: "
            f"raise maxAccountRegions to at least {max(n for _, n in too_large)}"
        ]
    suggested = smallest_count(account_regions, limit)
    fits = max(account_regions_by_shard(account_regions, suggested)) <= limit
    advice = (
        f"count {suggested} keeps every shard within it (changing the count moves accounts: "
        "see plan --diff)"
        if fits
        else f"no count up to {MAX_SHARDS} keeps every shard within it: raise maxAccountRegions"
    )
    return [f"{said}; {advice}"]


def accounts_in(accounts: Iterable[str], count: int, index: int) -> list[str]:
    return [account for account in accounts if shard_of(account, count) == index]
