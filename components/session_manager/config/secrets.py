"""Config values stored with `pulumi config set --secret`.

In a real run the engine hands the program every value decrypted, and lists the
top-level keys that are or contain a secret (PULUMI_CONFIG_SECRET_KEYS; a
`--path` secret makes its whole top-level key secret). The decrypted value is
validated like any other.

The offline plan has no secrets provider, so it cannot decrypt a `secure:` value:
it passes UNDECRYPTED in its place. Only there (`offline_placeholders`) is a field
holding UNDECRYPTED left unchecked (a placeholder is not a Linux user name; a
number or flag takes its default), and the plan says so in one line instead
(`undecrypted_notes`). In a real run a literal UNDECRYPTED is validated like any value.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

UNDECRYPTED = "[secret]"


def undecrypted_paths(key: str, value: Any) -> Iterator[str]:
    """The config paths under `key` that hold UNDECRYPTED (a value as the engine hands it)."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    if value == UNDECRYPTED:
        yield key
    elif isinstance(value, dict):
        for name, item in value.items():  # pyright: ignore[reportUnknownVariableType]
            yield from undecrypted_paths(f"{key}.{name}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            yield from undecrypted_paths(f"{key}[{index}]", item)


def undecrypted_note(path: str) -> str:
    return (
        f"{path}: a secret the offline plan cannot decrypt; shown as {UNDECRYPTED} and not "
        "checked here (`pulumi preview` checks the decrypted value)"
    )


@contextlib.contextmanager
def offline_placeholders() -> Generator[None]:
    """Within: the offline plan runs, and UNDECRYPTED stands for a value it cannot decrypt.

    Outside (a real run), a literal UNDECRYPTED is a value like any other, and validated.
    """
    token = _OFFLINE.set(True)
    try:
        yield
    finally:
        _OFFLINE.reset(token)


def placeholders_allowed() -> bool:
    return _OFFLINE.get()


_OFFLINE: ContextVar[bool] = ContextVar("session_manager_offline_placeholders", default=False)
_STACK_FILE: ContextVar[Mapping[str, Any] | None] = ContextVar(
    "session_manager_stack_file", default=None
)


@contextlib.contextmanager
def declared_stack_file(config: Mapping[str, Any] | None) -> Generator[None]:
    """Within: `config` stands for the stack file's `config:` mapping (a recorded run)."""
    token = _STACK_FILE.set(config)
    try:
        yield
    finally:
        _STACK_FILE.reset(token)


def stack_file_override() -> Mapping[str, Any] | None:
    return _STACK_FILE.get()


# Numbers and flags: their digits or `true` would match everywhere as text.
_SCALAR_TEXT = re.compile(r"-?\d+(\.\d+)?|true|false", re.IGNORECASE)


@dataclass(frozen=True)
class SecretLeaf:
    """One secret config value: the key it sits under (`runAsDefaultUser`) and its text."""

    name: str
    text: str

    @property
    def scalar(self) -> bool:
        """A number or a flag, or the offline placeholder (whose type is not known here)."""
        return self.text == UNDECRYPTED or bool(_SCALAR_TEXT.fullmatch(self.text))


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        with contextlib.suppress(json.JSONDecodeError):
            return json.loads(value)
    return value


def _leaves(value: Any, name: str) -> Iterator[tuple[str, Any]]:
    """(key, value) of every scalar inside `value`; a list item keeps its list's key."""
    if isinstance(value, dict):
        for key, item in cast(dict[str, Any], value).items():
            yield from _leaves(item, str(key))
    elif isinstance(value, list):
        for item in cast(list[Any], value):
            yield from _leaves(item, name)
    elif value is not None and value != "":
        yield name, value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _children(declared: Any, decoded: Any, name: str) -> list[tuple[Any, Any, str]] | None:
    """Matching (declared, decoded, key) children of two dicts or two lists, or None."""
    if isinstance(declared, dict) and isinstance(decoded, dict):
        declared_map, decoded_map = cast(dict[str, Any], declared), cast(dict[str, Any], decoded)
        if set(declared_map) != set(decoded_map):
            return None
        return [(item, decoded_map[key], str(key)) for key, item in declared_map.items()]
    if isinstance(declared, list) and isinstance(decoded, list):
        declared_list, decoded_list = cast(list[Any], declared), cast(list[Any], decoded)
        if len(declared_list) != len(decoded_list):
            return None
        return [
            (item, value, name) for item, value in zip(declared_list, decoded_list, strict=True)
        ]
    return None


def _secure_leaves(declared: Any, decoded: Any, name: str) -> list[tuple[str, Any]] | None:
    """The leaves of `decoded` that the stack file declares `secure:`.

    None when the file does not describe `decoded` exactly (another source, such as an
    ESC environment, added to it): then nothing says which leaves are secret.
    """
    if isinstance(declared, dict) and set(cast(dict[str, Any], declared)) == {"secure"}:
        return list(_leaves(decoded, name))
    if not isinstance(declared, (dict, list)):
        return [] if _text(declared) == _text(decoded) else None
    children = _children(declared, decoded, name)
    if children is None:
        return None
    found: list[tuple[str, Any]] = []
    for item, value, key in children:
        leaves = _secure_leaves(item, value, key)
        if leaves is None:
            return None
        found += leaves
    return found


def secret_leaves(
    config: Mapping[str, Any],
    secret_keys: Iterable[str],
    namespace: str,
    stack_file: Mapping[str, Any] | None = None,
) -> frozenset[SecretLeaf]:
    """The secret values of the namespace's secret keys, each with the key it sits under.

    The engine lists only the top-level keys that hold a secret (a `--path` secret makes
    its whole key secret). Which values inside are secret is read from where they were
    declared: the offline plan's placeholders, or the stack file's `secure:` entries
    (`stack_file`: its `config:` mapping) when it describes the value exactly. Otherwise
    every value of the key counts as secret.
    """
    found: set[SecretLeaf] = set()
    for key in secret_keys:
        if not key.startswith(f"{namespace}:") or key not in config:
            continue
        name = key.split(":", 1)[1]
        decoded = _decoded(config[key])
        leaves = list(_leaves(decoded, name))
        placeholders = [(n, v) for n, v in leaves if v == UNDECRYPTED]
        declared = (stack_file or {}).get(key)
        secure = _secure_leaves(declared, decoded, name) if declared is not None else None
        chosen = placeholders or (secure if secure is not None else leaves)
        found.update(SecretLeaf(n, _text(v)) for n, v in chosen)
    return frozenset(found)


def _entries(value: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) of every dict entry inside `value`, JSON text included."""
    value = _decoded(value)
    if isinstance(value, dict):
        for key, item in cast(dict[str, Any], value).items():
            yield str(key), item
            yield from _entries(item)
    elif isinstance(value, list):
        for item in cast(list[Any], value):
            yield from _entries(item)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in cast(dict[str, Any], value).values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in cast(list[Any], value):
            yield from _strings(item)


def shows_secret(value: Any, leaves: Iterable[SecretLeaf], name: str = "") -> bool:
    """Whether `value` (an input or output named `name`) shows one of the secret `leaves`.

    A secret text is found as written or escaped inside JSON. A secret number or flag
    is found only under its own key: as the value named so, or as that entry of a
    dict or of JSON text (`"idleSessionTimeout": "20"`); its digits elsewhere say nothing.
    """
    leaves = list(leaves)
    texts = [leaf.text for leaf in leaves if not leaf.scalar or leaf.text == UNDECRYPTED]
    if texts:
        for string in _strings(value):
            if any(t in string or _json_escaped(t) in string for t in texts):
                return True
    # Keys compared as `retention_in_days` (an SDK argument) and `retentionInDays` (config).
    scalars = {_squashed(leaf.name): leaf.text.lower() for leaf in leaves if leaf.scalar}
    if not scalars:
        return False
    entries = [(name, value), *_entries(value)] if name else list(_entries(value))
    return any(
        _squashed(key) in scalars and scalars[_squashed(key)] in (UNDECRYPTED, _text(item).lower())
        for key, item in entries
        if not isinstance(item, (dict, list))
    )


def _squashed(name: str) -> str:
    return name.replace("_", "").lower()


def masking(leaves: Iterable[SecretLeaf]) -> dict[str, str]:
    """Replacements that hide every secret text, as written and as escaped in JSON, longest first.

    Numbers and flags are hidden by the key they sit under (`mask_scalar_entries`).
    """
    secrets = {leaf.text for leaf in leaves if not leaf.scalar}
    forms = {form for secret in secrets for form in (secret, _json_escaped(secret))}
    return dict.fromkeys(sorted(forms, key=lambda f: (-len(f), f)), UNDECRYPTED)


def mask_scalar_entries(text: str, leaves: Iterable[SecretLeaf]) -> str:
    """JSON text with the value of every entry named after a secret number or flag masked."""
    names = sorted({leaf.name for leaf in leaves if leaf.scalar})
    if not names:
        return text
    entry = re.compile(
        r'("(?:' + "|".join(re.escape(n) for n in names) + r')"\s*:\s*)'
        r'("(?:[^"\\]|\\.)*"|true|false|-?\d+(?:\.\d+)?)'
    )
    return entry.sub(lambda m: m.group(1) + json.dumps(UNDECRYPTED), text)


def _json_escaped(secret: str) -> str:
    """How a secret reads inside JSON text (quotes, backslashes and non-ASCII escaped)."""
    return json.dumps(secret)[1:-1]
