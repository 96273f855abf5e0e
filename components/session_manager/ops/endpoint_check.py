"""Is `--endpoint-url` the AWS API (an emulator such as moto), or some other HTTP server?

A web server on the wrong port answers every call with an HTML page that botocore
cannot parse: verify would print a traceback, emulate and adopt a page of HTML. One
STS `GetCallerIdentity` call before anything else tells the two apart: every AWS
endpoint and emulator answers it with the query protocol's XML (a result, or an
`<ErrorResponse>` for bad credentials), and botocore parses either.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

# Any values: an emulator takes them, and AWS itself answers them with a parsable error.
_PROBE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
_PROBE_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10)
# GetCallerIdentity in the query protocol (STS API reference, "GetCallerIdentity").
_PROBE_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"

# Typed per service by boto3-stubs; the service is chosen here by name.
_new_session: Callable[..., Any] = boto3.Session  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


def endpoint_problem(endpoint_url: str) -> str | None:
    """One line saying `endpoint_url` is not the AWS API, or None.

    An endpoint that doesn't answer at all is left to each command's own message.
    """
    sts = _new_session(region_name="us-east-1", **_PROBE_CREDENTIALS).client(
        "sts", endpoint_url=endpoint_url, config=_PROBE_CONFIG
    )
    try:
        sts.get_caller_identity()
    except EndpointConnectionError:
        return None
    except ResponseParserError:
        return _not_aws(endpoint_url)
    except ClientError as exc:
        # botocore names an error it could not parse by the HTTP status alone (e.g. "501").
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return _not_aws(endpoint_url) if not code or code.isdigit() else None
    return None


def _not_aws(endpoint_url: str) -> str:
    return (
        f"{endpoint_url} answered HTTP {_status(endpoint_url)}, not the AWS API; "
        "is this the emulator's port?"
    )


def _status(endpoint_url: str) -> str:
    """The HTTP status the endpoint gives the probe's request, for the message."""
    request = urllib.request.Request(
        endpoint_url,
        data=_PROBE_BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except OSError:
        return "something else"
