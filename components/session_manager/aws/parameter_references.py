"""Parameter Store references (`{{ssm:name}}`) in Session documents, and their IAM ARNs.

The SSM Agent resolves them itself, with the managed node's own credentials
(amazon-ssm-agent agent/framework/docparser/docparser.go,
`validateAndReplaceSessionDocumentParameters` and `replaceValidatedSessionParameters`):
parameter values (defaults included), then `properties` and `inputs`. Its resolver
(agent/framework/docparser/parameterstore/parameterstore.go) finds references with
the pattern below, takes everything after `ssm:` as the name, allows a `:<version>`
or `:<label>` selector after it, and calls ssm:GetParameters in batches of ten.
SecureString parameters are refused there ("not supported"), so nothing needs
kms:Decrypt for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# The agent's own pattern: `\{\{ *ssm:[/\w.:-]+ *\}\}`.
REFERENCE_PATTERN = re.compile(r"\{\{ *ssm:([/\w.:-]+) *\}\}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():  # pyright: ignore[reportUnknownVariableType]
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:  # pyright: ignore[reportUnknownVariableType]
            yield from _strings(item)


def _without_selector(reference: str) -> str:
    """A reference without its `:version` or `:label` selector.

    Parameter names never contain `:`, so a name ends at its first one. An ARN
    (`arn:<partition>:ssm:<region>:<account>:parameter/<name>`, for a parameter
    shared from another account) has five colons of its own before the name.
    """
    if reference.startswith("arn:"):
        fields = reference.split(":", 6)
        return ":".join(fields[:6])
    return reference.split(":", 1)[0]


def parameter_names_in(text: str) -> list[str]:
    """Names or ARNs referenced in one string, without their `:version` or `:label` selector.

    The agent sends everything after `ssm:` to GetParameters (its `validParamRegex`,
    `:([/\\w.:-]+)*`), so an ARN reference is asked for by its ARN.
    """
    return [_without_selector(match.group(1)) for match in REFERENCE_PATTERN.finditer(text)]


def reference_problem(reference: str, partition: str) -> str | None:
    """Why a referenced name or ARN cannot be granted in a stack of this partition, if it can't."""
    if not reference.startswith("arn:"):
        return None
    fields = reference.split(":", 5)
    if len(fields) < 6 or fields[2] != "ssm" or not fields[5].startswith("parameter/"):
        return (
            f"{reference} is not a parameter ARN "
            "(arn:<partition>:ssm:<region>:<account>:parameter/<name>)"
        )
    if fields[1] != partition:
        return (
            f"{reference} is in partition {fields[1]}, but the stack's Regions are in "
            f"{partition}: a node can only read parameters of its own partition"
        )
    return None


def document_parameter_names(content: Mapping[str, Any]) -> list[str]:
    """Every parameter a Session document makes the agent resolve, sorted and unique."""
    resolved: list[Any] = [content.get("inputs"), content.get("properties")]
    parameters: Any = content.get("parameters")
    if isinstance(parameters, Mapping):
        resolved += [
            spec.get("default")  # pyright: ignore[reportUnknownMemberType]
            for spec in parameters.values()  # pyright: ignore[reportUnknownVariableType]
            if isinstance(spec, Mapping)
        ]
    names = {name for text in _strings(resolved) for name in parameter_names_in(text)}
    return sorted(names)


def parameter_arn(partition: str, account_id: str, name: str, region: str = "*") -> str:
    """`arn:<p>:ssm:<region>:<account>:parameter/<name without its leading slash>`.

    The Service Authorization Reference's parameter resource is
    `arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}`.
    A reference that is already an ARN (a parameter shared by another account) is
    that resource as it is; it must be in the stack's partition.
    """
    problem = reference_problem(name, partition)
    if problem:
        raise ValueError(problem)
    if name.startswith("arn:"):
        return name
    return f"arn:{partition}:ssm:{region}:{account_id}:parameter/{name.lstrip('/')}"


def parameter_arns(partition: str, account_id: str, names: Iterable[str]) -> list[str]:
    return sorted({parameter_arn(partition, account_id, name) for name in names})
