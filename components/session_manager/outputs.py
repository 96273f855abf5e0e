"""Output helpers the components share: account ids and values rendered once known."""

from collections.abc import Callable, Mapping
from contextvars import ContextVar
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


_SCALARS = (str, int, float, bool, type(None))


def _is_plain(value: Any) -> bool:
    """A value `Output.from_input` would only wrap: scalars, and dicts and lists of them."""
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, dict):
        items = cast(dict[Any, Any], value).items()
        return all(_is_plain(key) and _is_plain(item) for key, item in items)
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in cast(list[Any], value))
    return False


def render_once_resolved(
    values: Mapping[str, Any], render: Callable[[dict[str, Any]], str]
) -> pulumi.Output[str]:
    """`render(values)` once the entries that hold Outputs have resolved.

    The same value, secrecy and dependencies as `Output.from_input(values).apply(render)`,
    but only the entries that hold an Output (or an awaitable, or an input class)
    are lifted: lifting a plain value costs Outputs and tasks of its own, and an
    organization stack renders thousands of these.
    """
    pending = [key for key, value in values.items() if not _is_plain(value)]

    def resolved(parts: list[Any]) -> str:
        return render({**values, **dict(zip(pending, parts, strict=True))})

    return pulumi.Output.all(*(values[key] for key in pending)).apply(resolved)


# How values that show a secret config value become secret Outputs (secret_inputs.py
# sets it for a stack with secrets). Per program run: a context variable, not a global.
SecretRule = Callable[[Any, str], Any]
_SECRET_RULE: ContextVar[SecretRule | None] = ContextVar(
    "session_manager_secret_rule", default=None
)


def use_secret_rule(rule: SecretRule | None) -> None:
    _SECRET_RULE.set(rule)


def secret_where_shown(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """`outputs` with each value that shows a secret made a secret Output, key by key.

    Components register their outputs through it and the program its exports, so a
    value derived from a secret is stored encrypted, as the engine stores a resource
    output whose input was secret. Without a rule (no secrets) the values are unchanged.
    """
    rule = _SECRET_RULE.get()
    if rule is None:
        return dict(outputs)

    def marked(value: Any, name: str) -> Any:
        if isinstance(value, Mapping):
            items = cast(Mapping[str, Any], value).items()
            return {key: marked(item, str(key)) for key, item in items}
        return rule(value, name)

    return {key: marked(value, key) for key, value in outputs.items()}
