"""Shared value types and validators for the stack-config models.

Each validator raises a pydantic error whose message says what is allowed, so
ConfigError can print it next to the key the user wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic._internal._model_construction import ModelMetaclass
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from session_manager.aws.limits import (
    NameRule,
    iam_group_names,
    iam_policy_names,
    iam_role_names,
    kms_alias_names,
    log_group_names,
)
from session_manager.aws.regions import region_problem
from session_manager.aws.rules import (
    ACCOUNT_ID_PATTERN,
    IDLE_SESSION_TIMEOUT_MINUTES,
    KMS_ALIAS_PATTERN,
    KMS_KEY_ARN_PATTERN,
    KMS_KEY_REFERENCE_FORMS,
    KMS_KEY_REFERENCE_PATTERN,
    MAX_SESSION_DURATION_MINUTES,
    bucket_name_problem,
    document_name_problem,
    partition_of_region,
)
from session_manager.config.messages import UNDECRYPTED_STRUCTURE
from session_manager.config.secrets import UNDECRYPTED, placeholders_allowed

ROLE_ARN_PATTERN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::(?P<account>\d{12}):"
    r"role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]{1,64})$"
)
ORGANIZATIONAL_UNIT_PATTERN = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
DEPLOYER_ARN_PATTERN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::(\d{12}|\*):role/[\w+=,.@*/-]{1,512}$"
)

# --- Value types -------------------------------------------------------------


def _flag(value: Any) -> Any:
    """Booleans, or "true"/"false" as `pulumi config set` without --path stores them."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    meant = _YAML_11_BOOLS.get(value.strip().lower()) if isinstance(value, str) else None
    if meant is not None:
        # go-yaml v3, which the Pulumi CLI reads stack files with, resolves only
        # true/false as booleans (YAML 1.2); yes/no/on/off reach the program as text.
        raise PydanticCustomError(
            "flag",
            "must be true or false, got {got}: the Pulumi CLI reads it as text, not a "
            "boolean (YAML 1.2); write {meant}",
            {"got": repr(value), "meant": meant},
        )
    if not isinstance(value, bool):
        raise PydanticCustomError("flag", "must be true or false, got {got}", {"got": repr(value)})
    return value


# YAML 1.1's other booleans (https://yaml.org/type/bool.html), and what each meant there.
_YAML_11_BOOLS = {
    **dict.fromkeys(("yes", "y", "on"), "true"),
    **dict.fromkeys(("no", "n", "off"), "false"),
}


Flag = Annotated[bool, BeforeValidator(_flag)]


def _minutes(low: int, high: int) -> BeforeValidator:
    def check(value: Any) -> Any:
        if value is None:
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value)
        ):
            number = int(value)
        if number is None or not low <= number <= high:
            raise PydanticCustomError(
                "minutes",
                "must be a whole number of minutes from {low} to {high}, got {got}",
                {"low": low, "high": high, "got": repr(value)},
            )
        return number

    return BeforeValidator(check)


IdleMinutes = Annotated[int | None, _minutes(*IDLE_SESSION_TIMEOUT_MINUTES)]
MaxMinutes = Annotated[int | None, _minutes(*MAX_SESSION_DURATION_MINUTES)]


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError(
            "whole", "must be a whole number, got {got}", {"got": repr(value)}
        )
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    # Days and counts: S3 lifecycle rules, retention and windows refuse negative numbers.
    if isinstance(value, int) and value < 0:
        raise PydanticCustomError(
            "whole", "must be a whole number (0 or more), got {got}", {"got": value}
        )
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


def check_range(value: int, low: int, high: int, unit: str) -> int:
    if not low <= value <= high:
        raise PydanticCustomError(
            "range",
            "must be from {low} to {high} {unit}, got {got}",
            {"low": low, "high": high, "unit": unit, "got": value},
        )
    return value


def check_document_name(value: str) -> str:
    problem = document_name_problem(value)
    if problem:
        raise PydanticCustomError(
            "document_name", "{got} {why}", {"got": repr(value), "why": problem}
        )
    return value


def check_kms_reference(value: str) -> str:
    if value and not KMS_KEY_REFERENCE_PATTERN.match(value):
        raise PydanticCustomError(
            "kms_reference",
            "{got} is not a KMS key reference; use {forms}",
            {"got": repr(value), "forms": KMS_KEY_REFERENCE_FORMS},
        )
    return value


def check_kms_key_arn(value: str) -> str:
    if value and not KMS_KEY_ARN_PATTERN.match(value):
        raise PydanticCustomError(
            "kms_arn",
            "{got} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>)",
            {"got": repr(value)},
        )
    return value


def check_new_alias(value: str) -> str:
    longest = kms_alias_names().max_length
    if len(value) > longest:
        raise PydanticCustomError(
            "kms_alias",
            "is {length} characters; KMS alias names are at most {longest}",
            {"length": len(value), "longest": longest},
        )
    if not KMS_ALIAS_PATTERN.match(value) or value.startswith("alias/aws/"):
        raise PydanticCustomError(
            "kms_alias",
            "{got} is not an alias name you can create: use alias/<name> of letters, digits, "
            "'/', '_' and '-', not starting with alias/aws/",
            {"got": repr(value)},
        )
    return value


def check_log_group_name(value: str) -> str:
    rule = log_group_names()  # botocore's logs model
    if value and not rule.admits(value):
        raise PydanticCustomError(
            "log_group_name",
            "{got} is not a valid log group name: use {lengths} characters of letters, "
            "digits, '.', '-', '_', '/' and '#'",
            {"got": repr(value), "lengths": rule.lengths},
        )
    return value


def check_regions(value: list[str]) -> list[str]:
    """Regions that exist (botocore's partitions data), once each, in one partition."""
    problems = [problem for problem in map(region_problem, value) if problem]
    if problems:
        raise PydanticCustomError("region", "{got}", {"got": "; ".join(problems)})
    duplicates = sorted({region for region in value if value.count(region) > 1})
    if duplicates:
        raise PydanticCustomError(
            "region", "lists {got} more than once", {"got": ", ".join(duplicates)}
        )
    partitions = sorted({partition_of_region(region).name for region in value})
    if len(partitions) > 1:
        raise PydanticCustomError(
            "region",
            "mixes partitions ({got}); one account lives in one partition",
            {"got": ", ".join(partitions)},
        )
    return value


def check_organizational_unit(value: str) -> str:
    if value and not ORGANIZATIONAL_UNIT_PATTERN.match(value):
        raise PydanticCustomError(
            "ou",
            "{got} is not an organizational unit id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)",
            {"got": repr(value)},
        )
    return value


def check_account(value: str) -> str:
    if value and not ACCOUNT_ID_PATTERN.match(value):
        raise PydanticCustomError(
            "account_id", "{got} is not an account id (12 digits)", {"got": repr(value)}
        )
    return value


# An account id field ("" where the field allows none).
AccountId = Annotated[str, AfterValidator(check_account)]


def check_bucket(value: str, *, required: bool = False) -> str:
    problem = bucket_name_problem(value) if value or required else None
    if problem:
        raise PydanticCustomError(
            "bucket_name",
            "{got} is not a valid S3 bucket name: {why}",
            {"got": repr(value), "why": problem},
        )
    return value


def check_role_name(value: str, *, optional: bool = False) -> str:
    rule = iam_role_names()
    if (value or not optional) and not rule.admits(value):
        raise PydanticCustomError(
            "iam_name",
            "{got} is not an IAM role name ({lengths} of letters, digits, +=,.@_-)",
            {"got": repr(value), "lengths": rule.lengths},
        )
    return value


def check_key_prefix(value: str) -> str:
    """An S3 key prefix: S3 keys have no leading slash."""
    if value.startswith("/"):
        raise PydanticCustomError(
            "s3_prefix", "must not start with '/' (S3 keys have no leading slash)", {}
        )
    return value


def check_role_names(value: list[str]) -> list[str]:
    return _check_names(value, iam_role_names(), "IAM role names")


def check_group_names(value: list[str]) -> list[str]:
    """IAM group names: groupNameType in botocore's iam service model."""
    return _check_names(value, iam_group_names(), "IAM group names")


def _check_names(value: list[str], rule: NameRule, what: str) -> list[str]:
    bad = [name for name in value if not rule.admits(name)]
    if bad:
        raise PydanticCustomError(
            "iam_name",
            "{got} are not {what} ({lengths} of letters, digits, +=,.@_-)",
            {"got": ", ".join(repr(name) for name in bad), "what": what, "lengths": rule.lengths},
        )
    repeated = iam_name_repeats(value)
    if repeated:
        raise PydanticCustomError(
            "iam_name",
            "{got}: listed twice (IAM names are not distinguished by case); list each once",
            {"got": ", ".join(repr(name) for name in repeated)},
        )
    return value


def iam_name_repeats(names: Sequence[str]) -> list[str]:
    """The names that repeat an earlier one, case folded: IAM names "are not distinguished
    by case" (botocore's iam model, CreatePolicyRequest.PolicyName, CreateRoleRequest.RoleName),
    so `Ops` and `ops` are one group, and a second attachment of one policy to it is one grant
    twice: dropping either entry later detaches the policy from both."""
    seen: set[str] = set()
    repeated: list[str] = []
    for name in names:
        if name.casefold() in seen:
            repeated.append(name)
        seen.add(name.casefold())
    return repeated


def check_role_arn(value: str, account: Any, owner: str) -> str:
    """A role ARN, and in `account` when one is given (`owner` names that account)."""
    match = ROLE_ARN_PATTERN.match(value) if value else None
    if value and not match:
        raise PydanticCustomError(
            "role_arn",
            "{got} is not a role ARN (arn:<partition>:iam::<account>:role/<name>)",
            {"got": repr(value)},
        )
    if match and account and match.group("account") != account:
        raise PydanticCustomError(
            "role_arn",
            "is in account {other}, not in the {owner} {account}",
            {"other": match.group("account"), "owner": owner, "account": account},
        )
    return value


def check_iam_name(value: str) -> str:
    rule = iam_policy_names()
    if not rule.admits(value):
        raise PydanticCustomError(
            "iam_name",
            "{got} is not an IAM name ({lengths} of letters, digits, +=,.@_-)",
            {"got": repr(value), "lengths": rule.lengths},
        )
    return value


def check_ec2_id(value: str, kind: str) -> str:
    if not re.fullmatch(rf"{kind}-[0-9a-f]{{8}}([0-9a-f]{{9}})?", value):
        raise PydanticCustomError(
            "ec2_id",
            "{got} is not a {kind} id ({kind}-0123456789abcdef0)",
            {"got": repr(value), "kind": kind},
        )
    return value


# --- Models ------------------------------------------------------------------


def _keep_undecrypted(
    cls: type[BaseModel], value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
) -> Any:
    """The offline plan's placeholder for a secret it cannot decrypt has no format to check.

    Only in the offline plan (`offline_placeholders`): in a real run the value is what the
    engine decrypted, and a literal placeholder is validated like any other value. Where an
    object or a list belongs, the plan has nothing to build from: a whole object set with
    `--secret` is refused in one line. A number or flag can't hold the placeholder: it takes
    its default, and the plan masks it.
    """
    if not (isinstance(value, str) and value == UNDECRYPTED and placeholders_allowed()):
        return handler(value)
    field = cls.model_fields.get(info.field_name or "")
    if field is not None and _holds_structure(field.annotation):
        raise PydanticCustomError("undecrypted_structure", UNDECRYPTED_STRUCTURE, {})
    if field is None or not _number_or_flag(field.annotation):
        return value
    default = field.get_default(call_default_factory=True)
    return handler(default) if default is not None else default


def _number_or_flag(annotation: Any) -> bool:
    """Whether a field's type is a number or a flag (Optional and Annotated unwrapped)."""
    if annotation in (bool, int, float):
        return True
    if get_origin(annotation) not in (Union, UnionType, Annotated):
        return False
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) is Annotated:
        args = args[:1]
    return bool(args) and all(_number_or_flag(arg) for arg in args)


def _holds_structure(annotation: Any) -> bool:
    """Whether a field's type is a model, a list or a mapping (through Optional, Annotated)."""
    origin = get_origin(annotation)
    if origin in (list, dict):
        return True
    if origin is not None:
        return any(_holds_structure(arg) for arg in get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class _UndecryptedSecretsPass(ModelMetaclass):
    """Wraps every field of every model, outermost, in `_keep_undecrypted`.

    Pydantic applies a model's field validators in the order they are defined,
    parents' first, each wrapping the ones before. The wrapper is added last to
    each class, under a name of its own, so it sees the raw value before any
    other validator of that class or its parents.
    """

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> type:
        namespace[f"_keep_undecrypted_{name}"] = field_validator("*", mode="wrap")(
            classmethod(_keep_undecrypted)
        )
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class ConfigModel(BaseModel, metaclass=_UndecryptedSecretsPass):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=True,
    )
