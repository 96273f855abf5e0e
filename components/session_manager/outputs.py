"""Output helpers the components share: account ids and values rendered once known."""

from collections.abc import Callable
from typing import Any, cast

import pulumi
import pulumi_aws as aws


def account_id_output(
    account_id: pulumi.Input[str] | None, parent: pulumi.Resource
) -> pulumi.Input[str]:
    """The given account id, or the one the parent's provider credentials belong to."""
    if account_id is not None:
        return account_id
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    return identity.account_id


def render_when_known(value: Any, render: Callable[[Any], str]) -> pulumi.Input[str]:
    """`render(value)` now when every part is a plain value, else once they resolve.

    Large organization stacks register thousands of these; skipping the Output
    machinery for values known at plan time keeps the program close to the SDK floor.
    """
    parts: tuple[Any, ...] = cast(tuple[Any, ...], value) if isinstance(value, tuple) else (value,)
    if all(isinstance(part, str) for part in parts):
        return render(value)
    if isinstance(value, tuple):
        return pulumi.Output.all(*parts).apply(render)
    return pulumi.Output.from_input(value).apply(render)
