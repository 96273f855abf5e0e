"""Which part of a sharded organization this stack deploys (docs/shards.md).

The shared stack (the stack file's own) holds the central log bucket and
accountEvents; `<stack>-shard-<i>` holds the accounts whose shard is `i`, and reads
the central key's ARN from the shared stack by stack reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pulumi

from session_manager.config.errors import NAMESPACE, ConfigError
from session_manager.config.shards import (
    Shards,
    StackPart,
    shard_of,
    shared_reference,
    size_warnings,
    stack_part,
)
from session_manager.config.stack import StackConfig
from session_manager.config.targets import ResolvedTargets, inactive_accounts


@dataclass(frozen=True)
class StackShare:
    part: StackPart | None  # None: an unsharded stack
    shards: Shards | None

    @classmethod
    def of(cls, config: StackConfig) -> StackShare:
        """This stack's part; a shard stack whose name and config disagree is refused
        (ConfigError) before any resource is registered."""
        return cls(stack_part(pulumi.get_stack(), config.shards), config.shards)

    @property
    def shared(self) -> bool:
        """This stack holds the shared parts (central bucket, accountEvents)."""
        return self.part is None or self.part.index is None

    @property
    def is_shard(self) -> bool:
        return not self.shared

    def holds(self, account_id: str) -> bool:
        if self.part is None or self.shards is None:
            return True
        return self.part.index == shard_of(account_id, self.shards.count)

    def warnings(self, resolved: ResolvedTargets) -> list[str]:
        """The targets' warnings this stack should say, and a shard over its size.

        A skipped (suspended) account's warning tells the stack that holds it how to
        drop it from its state: only that stack says it.
        """
        said = [
            warning
            for warning in resolved.warnings
            if all(self.holds(account) for account in inactive_accounts([warning]))
        ]
        if self.shards is not None:
            sizes = {target.account_id: len(target.regions) for target in resolved.accounts}
            said += size_warnings(sizes, self.shards)
        return said

    def central_key_arn(self) -> pulumi.Output[str]:
        """The central log bucket's key, which the shared stack exports."""
        return self.shared_output("centralLogs", "kmsKeyArn")

    def shared_output(self, output: str, key: str) -> pulumi.Output[str]:
        """One value the shared stack exports, read by stack reference; a missing one
        fails the deployment, naming the output and the stack, rather than becoming "".

        The engine reads it from the backend at `pulumi up` (pulumi/pulumi
        pkg/resource/deploy/builtins.go readStackReference, GetStackOutputs).
        """
        assert self.part is not None
        assert self.shards is not None
        base = self.part.base
        name = shared_reference(self.shards, pulumi.get_project(), base, pulumi.get_organization())
        value: pulumi.Output[Any] = pulumi.StackReference(name).get_output(output)

        def pick(exported: Any) -> str:
            values = cast("dict[str, Any]", exported) if isinstance(exported, dict) else {}
            found = values.get(key)
            if not isinstance(found, str) or not found:
                raise ConfigError(
                    [
                        (
                            f"{NAMESPACE}:shards.sharedStackReference",
                            f"the shared stack {name!r} has no output {output}.{key}: deploy "
                            f"the shared stack first (pulumi up --stack {base}), or set "
                            "shards.sharedStackReference to its name (docs/shards.md)",
                        )
                    ]
                )
            return found

        return value.apply(pick)
