"""The Session Manager guardrails policy pack (CrossGuard).

    make policy-venv                    # once: policy/.venv with requirements.txt
    pulumi preview --policy-pack policy # from the project folder
    cd policy && pulumi policy publish <org>   # Pulumi Cloud: enforce it everywhere

Configure the limits with a policy config file (`--policy-pack-config`), e.g.
{"session-manager-document": {"maxIdleSessionTimeout": 15, "requireRunAs": true}}.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from guardrails import RULES, UNKNOWN
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

Rule = Callable[[str, Mapping[str, Any], Mapping[str, Any] | None], list[str]]


def known(value: Any) -> Any:
    """Plain data, with guardrails.UNKNOWN where CrossGuard's proxy raises UnknownValueError.

    CrossGuard hands rules a proxy that raises on the first unknown value (a first
    preview's computed outputs), and then drops the whole policy with an advisory
    "can't run policy ... during preview" (pulumi_policy policy.py): the violations a
    rule had already found would be lost. Rules see UNKNOWN instead and skip only the
    checks that need it.
    """
    if isinstance(value, Mapping):
        items: dict[str, Any] = {}
        for key in value:
            try:
                items[key] = known(value[key])
            except UnknownValueError:
                items[key] = UNKNOWN
        return items
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        elements: list[Any] = []
        for index in range(len(value)):
            try:
                elements.append(known(value[index]))
            except UnknownValueError:
                elements.append(UNKNOWN)
        return elements
    return value


def as_validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for violation in rule(args.resource_type, known(args.props), args.get_config()):
            report_violation(violation, None)

    return validate


def policies() -> list[Policy]:
    return [
        ResourceValidationPolicy(
            name=name,
            description=description,
            validate=as_validation(rule),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=PolicyConfigSchema(properties=schema) if schema else None,
        )
        for name, (rule, description, schema) in RULES.items()
    ]


if __name__ == "__main__":
    PolicyPack(name="session-manager-guardrails", policies=policies())
