"""The Session Manager guardrails policy pack (CrossGuard).

    make policy-venv                    # once: policy/.venv with requirements.txt
    pulumi preview --policy-pack policy # from the project folder
    cd policy && pulumi policy publish <org>   # Pulumi Cloud: enforce it everywhere

Configure the limits with a policy config file (`--policy-pack-config`), e.g.
{"session-manager-document": {"maxIdleSessionTimeout": 15, "requireRunAs": true}}.
"""

from collections.abc import Callable, Mapping
from typing import Any

from guardrails import RULES
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

Rule = Callable[[str, Mapping[str, Any], Mapping[str, Any] | None], list[str]]


def as_validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for violation in rule(args.resource_type, args.props, args.get_config()):
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
