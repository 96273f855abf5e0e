"""`accountEvents`: start a deployment when the organization's accounts change."""

from __future__ import annotations

import re

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from session_manager.aws.account_events import github_dispatch_endpoint
from session_manager.aws.limits import event_ages, retry_attempts
from session_manager.config.errors import raise_problems
from session_manager.config.fields import (
    AccountId,
    ConfigModel,
    Flag,
    WholeNumber,
    check_range,
    check_role_arn,
)

DEFAULT_NAME = "session-manager-account-events"
# GitHub owner and repository names.
REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
# An HTTP header name is a token (RFC 9110, section 5.1: field-name = token, section 5.6.2:
# tchar): never empty, no ':' and no whitespace.
HEADER_NAME_PATTERN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")
# EventBridge connection, API destination and rule names allow [.-_A-Za-z0-9], 64 at most;
# the longest name derived from this one adds 13 characters.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,48}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOPIC_ARN_PATTERN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}"
    r"(\.fifo)?$"
)


class AccountEvents(ConfigModel):
    """Organizations events that change a target OU's accounts start a deployment."""

    account: AccountId = Field(
        default="",
        description=(
            "The organization's management account: AWS Organizations delivers its events "
            "(CreateAccountResult, AccountJoinedOrganization, ...) only there, not to a "
            "delegated administrator. Default: the stack's own credentials' account."
        ),
    )
    role_arn: str = Field(
        default="",
        description="Role to assume in `account`. Default: `defaultRoleName` in it.",
    )
    repository: str = Field(
        default="",
        description=(
            "GitHub repository (owner/name) whose deploy workflow (`deploy.yml` on `main`) "
            "a `workflow_dispatch` starts; the token needs only Actions: write. Required "
            "unless `endpoint` is set."
        ),
    )
    endpoint: str = Field(
        default="",
        description=(
            "Another HTTPS endpoint to call instead of GitHub (Pulumi Deployments, another CI)."
        ),
    )
    api_key_name: str = Field(
        default="Authorization",
        description="Header that carries the token (`accountEventsToken`).",
    )
    api_key_scheme: str = Field(
        default="Bearer",
        description="Word before the token in that header (`Bearer <token>`); empty: no word.",
    )
    basic_auth_username: str = Field(
        default="",
        description="Use HTTP basic auth with this user name and the token as password instead.",
    )
    invocation_rate_limit_per_second: WholeNumber = Field(
        default=1, description="Calls per second the endpoint may receive (1-300)."
    )
    maximum_retry_attempts: WholeNumber = Field(
        default=185, description="Retries of a failed call (0-185) before the dead-letter queue."
    )
    maximum_event_age_in_seconds: WholeNumber = Field(
        default=86400, description="Seconds an event is retried (60-86400)."
    )
    dead_letter_retention_days: WholeNumber = Field(
        default=14, description="Days the dead-letter queue keeps failed events (1-14)."
    )
    alarms: Flag = Field(
        default=True,
        description=(
            "Alarm when a rule's call to the deploy trigger fails for good (EventBridge "
            "`FailedInvocations`, `InvocationsFailedToBeSentToDlq`) or a failed event waits in "
            "the dead-letter queue (`ApproximateNumberOfMessagesVisible`). false: failures show "
            "only in that queue."
        ),
    )
    alarm_topic_arn: str = Field(
        default="",
        description=(
            "SNS topic the alarms notify. Empty: the stack creates one (`createAlarmTopic`) "
            "and outputs its ARN."
        ),
    )
    create_alarm_topic: Flag = Field(
        default=True,
        description=(
            "Without `alarmTopicArn`, create an SNS topic (encrypted with its own KMS key) for "
            "the alarms. false: the alarms notify nobody and show only in CloudWatch."
        ),
    )
    alarm_emails: list[str] = Field(
        default_factory=list[str],
        description="Email addresses subscribed to the created topic (each confirms by email).",
    )
    name: str = Field(
        default=DEFAULT_NAME, description="Prefix of the names of the resources it creates."
    )

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str, info: ValidationInfo) -> str:
        return check_role_arn(value, info.data.get("account"), "events account")

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if value and not REPOSITORY_PATTERN.match(value):
            raise PydanticCustomError(
                "repository", "{got} is not a GitHub repository (owner/name)", {"got": repr(value)}
            )
        return value

    @field_validator("repository")
    @classmethod
    def _repository_path(cls, value: str) -> str:
        # `owner/..` would make the endpoint /repos/owner/../actions/...: another API path.
        if value and value.split("/", 1)[1] in (".", ".."):
            raise PydanticCustomError(
                "repository",
                "{got} is not a GitHub repository: a name cannot be '.' or '..'",
                {"got": repr(value)},
            )
        return value

    @field_validator("api_key_name")
    @classmethod
    def _api_key_name(cls, value: str) -> str:
        if not HEADER_NAME_PATTERN.match(value):
            raise PydanticCustomError(
                "header_name",
                "{got} is not an HTTP header name: 1-256 letters, digits or !#$%&'*+.^_`|~-, "
                "no ':' or whitespace",
                {"got": repr(value)},
            )
        return value

    @field_validator("basic_auth_username")
    @classmethod
    def _basic_auth_username(cls, value: str) -> str:
        # RFC 7617, section 2: "a user-id containing a colon character is invalid".
        if ":" in value:
            raise PydanticCustomError(
                "basic_user", "{got} cannot contain ':' (HTTP basic auth)", {"got": repr(value)}
            )
        return value

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if value and not re.fullmatch(r"https://[^\s/$.?#][^\s]*", value):
            raise PydanticCustomError(
                "endpoint",
                "{got} is not an HTTPS URL (EventBridge API destinations call HTTPS only)",
                {"got": repr(value)},
            )
        return value

    @field_validator("invocation_rate_limit_per_second")
    @classmethod
    def _rate(cls, value: int) -> int:
        return check_range(value, 1, 300, "calls per second")

    @field_validator("maximum_retry_attempts")
    @classmethod
    def _retries(cls, value: int) -> int:
        return check_range(value, *retry_attempts(), "retries")

    @field_validator("maximum_event_age_in_seconds")
    @classmethod
    def _age(cls, value: int) -> int:
        return check_range(value, *event_ages(), "seconds")

    @field_validator("dead_letter_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        return check_range(value, 1, 14, "days")

    @field_validator("alarm_topic_arn")
    @classmethod
    def _topic(cls, value: str) -> str:
        if value and not TOPIC_ARN_PATTERN.match(value):
            raise PydanticCustomError(
                "topic_arn",
                "{got} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)",
                {"got": repr(value)},
            )
        return value

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        bad = [email for email in value if not EMAIL_PATTERN.match(email)]
        if bad:
            raise PydanticCustomError(
                "email",
                "{got} {verb} not an email address",
                {"got": ", ".join(map(repr, bad)), "verb": "is" if len(bad) == 1 else "are"},
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise PydanticCustomError(
                "name",
                "{got} is not a name prefix: 1-48 letters, digits, '.', '_' or '-'",
                {"got": repr(value)},
            )
        return value

    @model_validator(mode="after")
    def _where_to(self) -> AccountEvents:
        if not self.repository and not self.endpoint:
            raise_problems(
                [(("repository",), "set it (owner/name), or set endpoint to call another URL")]
            )
        if self.repository and self.endpoint:
            raise_problems([(("endpoint",), "set only one of repository or endpoint")])
        if "create_alarm_topic" in self.model_fields_set and (
            self.create_alarm_topic and self.alarm_topic_arn
        ):
            raise_problems([(("createAlarmTopic",), "set only one of it or alarmTopicArn")])
        if not self.alarms and (self.alarm_topic_arn or self.alarm_emails):
            key = "alarmTopicArn" if self.alarm_topic_arn else "alarmEmails"
            raise_problems([((key,), "needs alarms: true (alarms is false)")])
        if self.alarm_emails and not self.creates_alarm_topic:
            raise_problems(
                [
                    (
                        ("alarmEmails",),
                        "needs a created topic: no alarmTopicArn, createAlarmTopic true",
                    )
                ]
            )
        api_key = sorted({"api_key_name", "api_key_scheme"} & self.model_fields_set)
        if self.basic_auth_username and api_key:
            names = " or ".join(
                "apiKeyName" if k == "api_key_name" else "apiKeyScheme" for k in api_key
            )
            raise_problems(
                [
                    (
                        ("basicAuthUsername",),
                        f"set it or {names}, not both: basic auth sends no API key",
                    )
                ]
            )
        return self

    @property
    def creates_alarm_topic(self) -> bool:
        """The stack creates the alarms' topic: alarms on and no topic named."""
        return self.alarms and self.create_alarm_topic and not self.alarm_topic_arn

    @property
    def invocation_endpoint(self) -> str:
        return self.endpoint or github_dispatch_endpoint(self.repository)
