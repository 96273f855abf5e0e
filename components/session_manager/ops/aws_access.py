"""Reaching the stack's accounts with boto3, the way the program's providers do.

One boto3 session per planned provider: the default provider uses the
ambient credentials; an explicit provider assumes its role through STS. Every
client has standard retries and bounded timeouts, and failures are turned into
one-line reasons (no credentials, access denied, throttled after retries).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from typing import Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from session_manager.offline.plan import Plan, PlannedResource

MAX_ATTEMPTS = 5
CLIENT_CONFIG = Config(
    # `total_max_attempts` counts the first try; botocore's `max_attempts` would count
    # retries only (botocore/config.py), making "after 5 attempts" really 6.
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
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


def _account_list(raw: Any) -> list[str]:
    """A provider's account list as the engine hands it (JSON text, or a list already)."""
    if raw in (None, ""):
        return []
    values: Any = json.loads(raw) if isinstance(raw, str) else raw
    items = cast(list[Any], values) if isinstance(values, list) else [values]
    return [str(item) for item in items]


def account_pins(provider: PlannedResource | None) -> tuple[list[str], list[str]]:
    """The accounts a provider may reach (`allowedAccountIds`) and may not (`forbidden...`).

    The Terraform AWS provider, which pulumi-aws bridges, refuses to run when the
    credentials' account is not in allowed_account_ids or is in forbidden_account_ids
    (terraform-provider-aws internal/conns/config.go, verifyAccountIDAllowed).
    """
    if provider is None:
        return [], []
    return (
        _account_list(provider.inputs.get("allowedAccountIds")),
        _account_list(provider.inputs.get("forbiddenAccountIds")),
    )


def default_provider(plan: Plan) -> PlannedResource | None:
    """The engine's default aws provider of a plan, which carries the `aws:` stack config."""
    return next(
        (
            r
            for r in plan.resources
            if r.type == "pulumi:providers:aws" and r.name.startswith("default")
        ),
        None,
    )


class AwsAccess:
    """boto3 clients for the providers of a plan.

    One boto3 session is shared by every provider, so each service's model is
    loaded once however many accounts there are (a session per account costs tens
    of MB each); a provider that assumes a role differs only in the credentials
    its clients get. botocore sessions are not thread-safe, clients are: clients
    are created under a lock and then used freely.
    """

    def __init__(
        self, endpoint_url: str | None = None, credentials: dict[str, str] | None = None
    ) -> None:
        self.endpoint_url = endpoint_url
        # Explicit credentials are for emulators only; otherwise boto3's own chain decides.
        self.credentials = dict(credentials or {})
        self._shared: Any = None
        # Provider URN -> the credentials its role granted ("" : the default provider).
        self._granted: dict[str, dict[str, str]] = {}
        # Account pins of the default provider (`aws:allowedAccountIds`), set by pin_plan.
        self._default_pins: tuple[list[str], list[str]] = ([], [])
        # Provider URN ("" : the default provider) -> the account its credentials reach, once
        # checked against the pins: no client of another service is made before.
        self._confirmed: dict[str, str] = {}
        self._lock = threading.Lock()
        # The current thread's scope (`scope()`): its clients and the answers they gave.
        self._local = threading.local()

    @contextmanager
    def scope(self) -> Generator[None]:
        """Within it, this thread reuses each client it made and each answer it read (`read`).

        verify opens one per target: the key lookups and the checks then share their
        clients and their reads (one read per AWS object per target), and both are
        dropped with the target, so memory stays flat however many targets there are.
        """
        self._local.clients, self._local.answers = {}, {}
        try:
            yield
        finally:
            self._local.clients = self._local.answers = None

    def read(self, client: Any, operation: str, **arguments: Any) -> Any:
        """`client.operation(**arguments)`, asked of AWS once per scope (errors included)."""
        answers: dict[tuple[int, str, str], Any] | None = getattr(self._local, "answers", None)
        if answers is None:
            return getattr(client, operation)(**arguments)
        key = (id(client), operation, json.dumps(arguments, sort_keys=True, default=str))
        if key not in answers:
            try:
                answers[key] = getattr(client, operation)(**arguments)
            except ClientError as exc:
                answers[key] = exc
        answer = answers[key]
        if isinstance(answer, ClientError):
            raise answer
        return answer

    def _new_client(self, service: str, region: str, credentials: dict[str, str]) -> Any:
        with self._lock:
            if self._shared is None:
                self._shared = _new_session(**self.credentials)
            return self._shared.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                config=CLIENT_CONFIG,
                **credentials,
            )

    def _credentials(self, provider: PlannedResource | None) -> dict[str, str]:
        """What an explicit provider's role grants, asked of STS once per provider."""
        role = provider_role(provider)
        if provider is None or role is None:
            return {}
        with self._lock:
            if provider.urn in self._granted:
                return self._granted[provider.urn]
        role_arn, session_name = role
        region = str(provider.inputs.get("region") or "us-east-1")
        sts = self._new_client("sts", region, {})
        granted = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        credentials = {
            "aws_access_key_id": granted["AccessKeyId"],
            "aws_secret_access_key": granted["SecretAccessKey"],
            "aws_session_token": granted["SessionToken"],
        }
        with self._lock:
            self._granted[provider.urn] = credentials
        return credentials

    def pin_plan(self, plan: Plan) -> None:
        """Honour the plan's default provider's `aws:allowedAccountIds` / forbiddenAccountIds."""
        self._default_pins = account_pins(default_provider(plan))

    def client(self, provider: PlannedResource | None, service: str, region: str) -> Any:
        """A client for `provider`'s account, once STS says its credentials reach an allowed one.

        Raises CannotCheckError when they reach an account the stack does not allow: nothing
        is read from another account.
        """
        if service != "sts":
            self.confirmed_account(provider, region)
        clients: dict[tuple[str, str, str], Any] | None = getattr(self._local, "clients", None)
        key = (provider.urn if provider else "", service, region)
        if clients is not None and key in clients:
            return clients[key]
        client = self._new_client(service, region, self._credentials(provider))
        if clients is not None:
            clients[key] = client
        return client

    def account_id(self, provider: PlannedResource | None, region: str) -> str:
        return str(self.client(provider, "sts", region).get_caller_identity()["Account"])

    def confirmed_account(self, provider: PlannedResource | None, region: str) -> str:
        """The account `provider`'s credentials reach (STS GetCallerIdentity), if allowed."""
        key = provider.urn if provider else ""
        with self._lock:
            if key in self._confirmed:
                return self._confirmed[key]
        actual = self.account_id(provider, region)
        allowed, forbidden = account_pins(provider) if provider else self._default_pins
        where = "the provider" if provider else "aws:allowedAccountIds"
        if allowed and actual not in allowed:
            raise CannotCheckError(
                f"the credentials reach account {actual}, but {where} allows only "
                f"{', '.join(allowed)}; refusing to read another account"
            )
        if actual in forbidden:
            raise CannotCheckError(
                f"the credentials reach account {actual}, which aws:forbiddenAccountIds "
                "forbids; refusing to read it"
            )
        with self._lock:
            self._confirmed[key] = actual
        return actual
