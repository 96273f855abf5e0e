"""Render Session documents as AWS defines them.

Pure functions: they return plain dicts and strings, and the same input always
gives byte-identical output, so a second `pulumi up` never sees a diff in
`content` (the provider compares it as a plain string).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

import yaml

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


# --- Custom Session documents -------------------------------------------------

SESSION_DOCUMENT_KEYS = (
    "schemaVersion",
    "description",
    "sessionType",
    "inputs",
    "parameters",
    "properties",
)
# Parameter types AWS documents; compared case-insensitively, because AWS's own
# Port example writes "string".
PARAMETER_TYPES = ("String", "StringList", "Boolean", "Integer", "MapList", "StringMap")
PARAMETER_KEYS = (
    "type",
    "default",
    "description",
    "allowedPattern",
    "allowedValues",
    "minChars",
    "maxChars",
    "minItems",
    "maxItems",
    "displayType",
)
COMMAND_PLATFORMS = ("windows", "linux", "macos")
COMMAND_PROPERTY_KEYS = ("commands", "runAsElevated")
PORT_PROPERTY_KEYS = ("portNumber", "localPortNumber", "host", "type")
# {{ name }} refers to a parameter; {{ssm:/path}} to Parameter Store, resolved by AWS.
_REFERENCE = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")

Problem = tuple[tuple[str | int, ...], str]


def render_session_document(content: Mapping[str, Any]) -> dict[str, Any]:
    """A custom Session document as written, with AWS's default schemaVersion."""
    document = dict(content)
    document.setdefault("schemaVersion", "1.0")
    return document


def serialize_session_document(document: Mapping[str, Any], document_format: str) -> str:
    """JSON as `serialize_document`; YAML with sorted keys and block style."""
    if document_format.upper() == "YAML":
        return yaml.safe_dump(dict(document), sort_keys=True, default_flow_style=False, width=1000)
    return serialize_document(document)


def _references(value: Any) -> list[str]:
    if isinstance(value, str):
        return _REFERENCE.findall(value)
    if isinstance(value, list):
        return [ref for item in cast(list[Any], value) for ref in _references(item)]
    if isinstance(value, dict):
        return [ref for item in cast(dict[str, Any], value).values() for ref in _references(item)]
    return []


def _parameter_problems(name: str, spec: Any) -> list[Problem]:
    where: tuple[str | int, ...] = ("parameters", name)
    if not isinstance(spec, dict):
        return [(where, "must be an object with at least a type")]
    spec = cast(dict[str, Any], spec)
    problems: list[Problem] = [
        ((*where, key), f"is not a parameter field; use {', '.join(PARAMETER_KEYS)}")
        for key in spec
        if key not in PARAMETER_KEYS
    ]
    typ = spec.get("type")
    if not isinstance(typ, str) or typ.lower() not in {t.lower() for t in PARAMETER_TYPES}:
        problems.append(
            (
                (*where, "type"),
                f"{typ!r} is not a parameter type AWS knows: {', '.join(PARAMETER_TYPES)}",
            )
        )
    default = spec.get("default")
    if isinstance(default, str) and not default.startswith("{{"):
        pattern = spec.get("allowedPattern")
        if isinstance(pattern, str):
            try:
                matches = re.search(pattern, default) is not None
            except re.error as exc:
                problems.append(((*where, "allowedPattern"), f"is not a valid pattern: {exc}"))
            else:
                if not matches:
                    problems.append(
                        (
                            (*where, "default"),
                            f"{default!r} does not match its own allowedPattern {pattern!r}",
                        )
                    )
        allowed = spec.get("allowedValues")
        if isinstance(allowed, list) and default not in allowed:
            problems.append(((*where, "default"), f"{default!r} is not one of its allowedValues"))
        min_chars, max_chars = spec.get("minChars"), spec.get("maxChars")
        if isinstance(min_chars, int) and len(default) < min_chars:
            problems.append(((*where, "default"), f"is shorter than minChars ({min_chars})"))
        if isinstance(max_chars, int) and len(default) > max_chars:
            problems.append(((*where, "default"), f"is longer than maxChars ({max_chars})"))
    return problems


def _command_properties_problems(properties: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    platforms = [key for key in properties if key in COMMAND_PLATFORMS]
    if not platforms:
        problems.append(
            (("properties",), f"needs commands for at least one of {', '.join(COMMAND_PLATFORMS)}")
        )
    for key, value in properties.items():
        if key not in COMMAND_PLATFORMS:
            problems.append(
                (
                    ("properties", key),
                    f"does not fit this sessionType; use {', '.join(COMMAND_PLATFORMS)}",
                )
            )
            continue
        if not isinstance(value, dict):
            problems.append((("properties", key), "must be an object with commands"))
            continue
        platform = cast(dict[str, Any], value)
        for field in platform:
            if field not in COMMAND_PROPERTY_KEYS:
                problems.append(
                    (
                        ("properties", key, field),
                        f"is not a command property; use {', '.join(COMMAND_PROPERTY_KEYS)}",
                    )
                )
        commands = platform.get("commands")
        is_list = isinstance(commands, list) and all(
            isinstance(c, str) for c in cast(list[Any], commands)
        )
        if not (isinstance(commands, str) or is_list) or not commands:
            problems.append(
                (("properties", key, "commands"), "must be a string or a list of strings")
            )
        elevated = platform.get("runAsElevated", False)
        if not isinstance(elevated, bool):
            problems.append((("properties", key, "runAsElevated"), "must be true or false"))
    return problems


def check_session_document(content: Mapping[str, Any]) -> list[Problem]:
    """Every reason AWS would reject, or a session would fail with, this document.

    Paths are relative to the document's `content`.
    """
    problems: list[Problem] = [
        ((key,), f"is not a Session document field; use {', '.join(SESSION_DOCUMENT_KEYS)}")
        for key in content
        if key not in SESSION_DOCUMENT_KEYS
    ]
    if str(content.get("schemaVersion", "1.0")) != "1.0":
        problems.append((("schemaVersion",), "Session documents support schemaVersion 1.0 only"))
    session_type = content.get("sessionType")
    if session_type not in (
        "Standard_Stream",
        "InteractiveCommands",
        "NonInteractiveCommands",
        "Port",
    ):
        problems.append(
            (
                ("sessionType",),
                f"{session_type!r} is not a session type; use Standard_Stream, "
                "InteractiveCommands, NonInteractiveCommands or Port",
            )
        )
        return problems

    parameters_value: Any = content.get("parameters") or {}
    if not isinstance(parameters_value, dict):
        problems.append((("parameters",), "must be an object of parameter definitions"))
        parameters_value = {}
    parameters = cast(dict[str, Any], parameters_value)
    for name, spec in parameters.items():
        problems += _parameter_problems(name, spec)

    inputs_value = content.get("inputs")
    if inputs_value is not None:
        if not isinstance(inputs_value, dict):
            problems.append((("inputs",), "must be an object of session preferences"))
        else:
            for key in cast(dict[str, Any], inputs_value):
                if key not in PREFERENCE_INPUTS:
                    problems.append(
                        (
                            ("inputs", key),
                            f"is not a session preference; use {', '.join(PREFERENCE_INPUTS)}",
                        )
                    )

    properties_value = content.get("properties")
    if session_type == "Standard_Stream":
        if properties_value is not None:
            problems.append(
                (
                    ("properties",),
                    "does not fit sessionType Standard_Stream, which takes inputs only",
                )
            )
    elif not isinstance(properties_value, dict) or not properties_value:
        problems.append((("properties",), f"is required for sessionType {session_type}"))
    elif session_type == "Port":
        port_properties = cast(dict[str, Any], properties_value)
        for key in port_properties:
            if key not in PORT_PROPERTY_KEYS:
                problems.append(
                    (
                        ("properties", key),
                        f"does not fit sessionType Port; use {', '.join(PORT_PROPERTY_KEYS)}",
                    )
                )
        if "portNumber" not in port_properties:
            problems.append((("properties", "portNumber"), "is required for sessionType Port"))
    else:
        problems += _command_properties_problems(cast(dict[str, Any], properties_value))

    for reference in sorted(set(_references(properties_value)) | set(_references(inputs_value))):
        if not reference.startswith("ssm:") and reference not in parameters:
            problems.append(
                (
                    ("parameters",),
                    f"has no parameter {reference!r}, but the document uses {{{{ {reference} }}}}",
                )
            )
    return problems
