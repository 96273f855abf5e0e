"""Session Manager preferences as code, for Pulumi.

The package's face: the components and their args, imported lazily (PEP 562) so that
`import session_manager.aws.rules` or `session_manager.config.stack` loads neither
pulumi_aws nor the components: the lower layers stay usable on their own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pulumi

    from session_manager.access_policies import SessionManagerAccessPolicies
    from session_manager.account_events import SessionManagerAccountEvents
    from session_manager.args import (
        CentralLogBucketArgs,
        LogGroupArgs,
        PolicyAttachmentArgs,
        PreferenceInputsArgs,
        S3LogDestinationArgs,
        SessionDataKeyArgs,
        SessionDocumentArgs,
        SessionManagerAccessPoliciesArgs,
        SessionManagerAccountEventsArgs,
        SessionManagerInstanceAccessArgs,
        SessionManagerJustInTimeAccessArgs,
        SessionManagerPreferencesArgs,
        SessionManagerVpcEndpointsArgs,
        ShellProfileArgs,
    )
    from session_manager.central_logs import SessionManagerCentralLogBucket
    from session_manager.instance_access import SessionManagerInstanceAccess
    from session_manager.just_in_time_access import SessionManagerJustInTimeAccess
    from session_manager.preferences import SessionManagerPreferences
    from session_manager.vpc_endpoints import SessionManagerVpcEndpoints

    COMPONENTS: tuple[type[pulumi.ComponentResource], ...]

__version__ = "0.1.0"

# What the component provider (provider/__main__.py) exposes to other languages.
_COMPONENTS = {
    "SessionManagerPreferences": "session_manager.preferences",
    "SessionManagerInstanceAccess": "session_manager.instance_access",
    "SessionManagerAccessPolicies": "session_manager.access_policies",
    "SessionManagerCentralLogBucket": "session_manager.central_logs",
    "SessionManagerVpcEndpoints": "session_manager.vpc_endpoints",
    "SessionManagerAccountEvents": "session_manager.account_events",
    "SessionManagerJustInTimeAccess": "session_manager.just_in_time_access",
}
_ARGS = (
    "CentralLogBucketArgs",
    "LogGroupArgs",
    "PolicyAttachmentArgs",
    "PreferenceInputsArgs",
    "S3LogDestinationArgs",
    "SessionDataKeyArgs",
    "SessionDocumentArgs",
    "SessionManagerAccessPoliciesArgs",
    "SessionManagerAccountEventsArgs",
    "SessionManagerInstanceAccessArgs",
    "SessionManagerJustInTimeAccessArgs",
    "SessionManagerPreferencesArgs",
    "SessionManagerVpcEndpointsArgs",
    "ShellProfileArgs",
)
_EXPORTS = {**_COMPONENTS, **dict.fromkeys(_ARGS, "session_manager.args")}


def __getattr__(name: str) -> Any:
    if name == "COMPONENTS":
        value: Any = tuple(__getattr__(component) for component in _COMPONENTS)
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'session_manager' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "COMPONENTS",
    "CentralLogBucketArgs",
    "LogGroupArgs",
    "PolicyAttachmentArgs",
    "PreferenceInputsArgs",
    "S3LogDestinationArgs",
    "SessionDataKeyArgs",
    "SessionDocumentArgs",
    "SessionManagerAccessPolicies",
    "SessionManagerAccessPoliciesArgs",
    "SessionManagerAccountEvents",
    "SessionManagerAccountEventsArgs",
    "SessionManagerCentralLogBucket",
    "SessionManagerInstanceAccess",
    "SessionManagerInstanceAccessArgs",
    "SessionManagerJustInTimeAccess",
    "SessionManagerJustInTimeAccessArgs",
    "SessionManagerPreferences",
    "SessionManagerPreferencesArgs",
    "SessionManagerVpcEndpoints",
    "SessionManagerVpcEndpointsArgs",
    "ShellProfileArgs",
    "__version__",
]
