"""Reaching the stack's accounts with boto3, the way the program's providers do.

One boto3 session per planned provider: the default provider uses the
ambient credentials; an explicit provider assumes its role through STS. Every
client has standard retries and bounded timeouts, and failures are turned into
one-line reasons (no credentials, access denied, throttled after retries).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from session_manager.offline.plan import PlannedResource

MAX_ATTEMPTS = 5
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
    connect_timeout=5,
    read_timeout=20,
)
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
)
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)

# Typed per service by boto3-stubs; services are chosen at run time here.
_new_session: Callable[..., Any] = boto3.Session  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


class CannotCheckError(Exception):
    """A target could not be checked; the message says why."""


def failure_reason(  # noqa: PLR0911 (one reason per failure kind)
    exc: BaseException, endpoint_url: str | None = None
) -> str:
    """A one-line reason for an AWS call that failed (`endpoint_url`: --endpoint-url, if set)."""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        if endpoint_url:
            return (
                f"no AWS credentials were found; an emulator at {endpoint_url} still needs some: "
                "set AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing (any values it takes)"
            )
        return "no AWS credentials were found (set AWS_PROFILE, or run where a role is available)"
    if isinstance(exc, EndpointConnectionError):
        return f"could not reach the endpoint: {exc}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", ""))
        operation = exc.operation_name
        if code in THROTTLING_CODES:
            return f"throttled after {MAX_ATTEMPTS} attempts ({operation})"
        if code in ACCESS_DENIED_CODES:
            return f"access denied to {operation}: {message}"
        return f"{operation} failed: {code}: {message}"
    if isinstance(exc, BotoCoreError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def provider_role(provider: PlannedResource | None) -> tuple[str, str] | None:
    """The (role ARN, session name) an explicit provider assumes, if any."""
    if provider is None:
        return None
    raw = provider.inputs.get("assumeRoles")
    roles = json.loads(raw) if isinstance(raw, str) else raw
    if not roles:
        return None
    first = roles[0]
    return str(first["roleArn"]), str(first.get("sessionName") or "pulumi-session-manager")


class AwsAccess:
    """boto3 sessions and clients for the providers of a plan."""

    def __init__(
        self, endpoint_url: str | None = None, credentials: dict[str, str] | None = None
    ) -> None:
        self.endpoint_url = endpoint_url
        # Explicit credentials are for emulators only; otherwise boto3's own chain decides.
        self.credentials = dict(credentials or {})
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _base_session(self) -> Any:
        return _new_session(**self.credentials)

    def session(self, provider: PlannedResource | None) -> Any:
        """The session for resources of this provider (None: the default provider)."""
        key = provider.urn if provider else ""
        with self._lock:
            if key in self._sessions:
                return self._sessions[key]
        role = provider_role(provider)
        session = self._base_session()
        if role is not None:
            role_arn, session_name = role
            region = str((provider.inputs if provider else {}).get("region") or "us-east-1")
            sts = session.client(
                "sts", region_name=region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
            )
            granted = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
            session = _new_session(
                aws_access_key_id=granted["AccessKeyId"],
                aws_secret_access_key=granted["SecretAccessKey"],
                aws_session_token=granted["SessionToken"],
            )
        with self._lock:
            self._sessions[key] = session
        return session

    def client(self, provider: PlannedResource | None, service: str, region: str) -> Any:
        return self.session(provider).client(
            service, region_name=region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
        )

    def account_id(self, provider: PlannedResource | None, region: str) -> str:
        return str(self.client(provider, "sts", region).get_caller_identity()["Account"])
