"""Render Session documents as AWS defines them.

Pure functions: they return plain dicts and strings, and the same input always
gives byte-identical output, so a second `pulumi up` never sees a diff in
`content` (the provider compares it as a plain string).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PREFERENCES_DESCRIPTION = "Document to hold regional settings for Session Manager"

# Every input of a Standard_Stream Session document, in the order AWS documents them.
STRING_INPUTS = (
    "s3BucketName",
    "s3KeyPrefix",
    "cloudWatchLogGroupName",
    "kmsKeyId",
    "runAsDefaultUser",
)
FLAG_INPUTS = (
    "s3EncryptionEnabled",
    "cloudWatchEncryptionEnabled",
    "cloudWatchStreamingEnabled",
    "runAsEnabled",
)
MINUTE_INPUTS = ("idleSessionTimeout", "maxSessionDuration")
SHELL_PROFILE_PLATFORMS = ("windows", "linux")
PREFERENCE_INPUTS = (
    "s3BucketName",
    "s3KeyPrefix",
    "s3EncryptionEnabled",
    "cloudWatchLogGroupName",
    "cloudWatchEncryptionEnabled",
    "cloudWatchStreamingEnabled",
    "kmsKeyId",
    "runAsEnabled",
    "runAsDefaultUser",
    "idleSessionTimeout",
    "maxSessionDuration",
    "shellProfile",
)

# What AWS assumes for a flag the document leaves out; the console writes these.
FLAG_DEFAULTS: Mapping[str, bool] = {
    "s3EncryptionEnabled": True,
    "cloudWatchEncryptionEnabled": True,
    "cloudWatchStreamingEnabled": True,
    "runAsEnabled": False,
}


def _minutes(name: str, value: Any) -> str:
    """AWS writes the two timeouts as strings of whole minutes; '' means AWS's default."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number of minutes, got a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{name} must be a whole number of minutes, got {value}")
        value = int(value)
    return str(int(str(value).strip()))


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError(f"{name} must be a boolean, got {value!r}")


def preference_inputs(values: Mapping[str, Any]) -> dict[str, Any]:
    """The `inputs` object of a preferences document, every input present, AWS's types.

    `values` is keyed by AWS's input names. Missing strings render as "", missing
    flags as AWS's defaults, missing timeouts as "" (AWS's default: 20 minutes idle,
    no maximum). Numbers and "true"/"false" strings (as `pulumi config set --path`
    stores them) are converted to the types AWS expects.
    """
    unknown = sorted(set(values) - set(PREFERENCE_INPUTS))
    if unknown:
        raise KeyError(f"unknown Session document inputs: {', '.join(unknown)}")
    shell_profile: Mapping[str, Any] = values.get("shellProfile") or {}
    inputs: dict[str, Any] = {}
    for name in PREFERENCE_INPUTS:
        if name in STRING_INPUTS:
            value = values.get(name)
            inputs[name] = "" if value is None else str(value)
        elif name in FLAG_INPUTS:
            value = values.get(name)
            inputs[name] = FLAG_DEFAULTS[name] if value is None else _flag(name, value)
        elif name in MINUTE_INPUTS:
            inputs[name] = _minutes(name, values.get(name))
        else:
            inputs[name] = {
                platform: str(shell_profile.get(platform) or "")
                for platform in SHELL_PROFILE_PLATFORMS
            }
    return inputs


def render_preferences_document(
    values: Mapping[str, Any], description: str = PREFERENCES_DESCRIPTION
) -> dict[str, Any]:
    """A Standard_Stream Session document that holds Session Manager preferences."""
    return {
        "schemaVersion": "1.0",
        "description": description,
        "sessionType": "Standard_Stream",
        "inputs": preference_inputs(values),
    }


def serialize_document(document: Mapping[str, Any]) -> str:
    """The canonical JSON text of a document: sorted keys, two-space indent."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
