"""Digests of a stack file's secret ciphertexts, so that `plan --diff` sees a rotation.

The plan can't decrypt, so a rotated secret is masked like the old one. Its ciphertext
does change: Pulumi encrypts each value with a fresh nonce (AES-256-GCM), so a new value
is always a new ciphertext (and so is the same value set again). The digest is of the
ciphertext, which the committed stack file already shows to every reader of the pull
request: it tells them nothing new. Never of the value: a plan JSON artifact is readable
by whoever reads the pull request, and the hash of a low-entropy secret (a
`runAsDefaultUser`) is found by trying the likely values.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, cast

import yaml


def _ciphertexts(value: Any) -> list[str]:
    """Every `secure:` ciphertext in a config value, in order."""
    if isinstance(value, dict):
        items = cast(dict[str, Any], value)
        if set(items) == {"secure"}:
            return [str(items["secure"])]
        return [c for item in items.values() for c in _ciphertexts(item)]
    if isinstance(value, list):
        return [c for item in cast(list[Any], value) for c in _ciphertexts(item)]
    return []


def secret_fingerprints(stack_file: Path, project: str) -> dict[str, str]:
    """`ns:key` -> a digest of the key's `secure:` ciphertexts in `stack_file`.

    Only the stack file holds secrets (project defaults can't be secure). The plan has
    already read and checked the file, so anything unreadable simply has no digest.
    """
    try:
        loaded = yaml.safe_load(stack_file.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    config = cast(dict[Any, Any], loaded).get("config") if isinstance(loaded, dict) else None
    if not isinstance(config, dict):
        return {}
    fingerprints: dict[str, str] = {}
    for key, value in cast(dict[Any, Any], config).items():
        ciphertexts = _ciphertexts(value)
        if ciphertexts:
            full_key = str(key) if ":" in str(key) else f"{project}:{key}"
            digest = hashlib.sha256(json.dumps(ciphertexts).encode()).hexdigest()[:16]
            fingerprints[full_key] = f"sha256:{digest}"
    return fingerprints
