"""Session Manager preferences as code, for Pulumi."""

from session_manager.access_policies import SessionManagerAccessPolicies
from session_manager.account_events import SessionManagerAccountEvents
from session_manager.args import (
    LogGroupArgs,
    PreferenceInputsArgs,
    S3LogDestinationArgs,
    SessionDataKeyArgs,
    SessionManagerAccountEventsArgs,
    SessionManagerInstanceAccessArgs,
    SessionManagerPreferencesArgs,
    ShellProfileArgs,
)
from session_manager.central_logs import SessionManagerCentralLogBucket
from session_manager.instance_access import SessionManagerInstanceAccess
from session_manager.preferences import SessionManagerPreferences
from session_manager.vpc_endpoints import SessionManagerVpcEndpoints

__version__ = "0.1.0"

# What the component provider (provider/__main__.py) exposes to other languages.
COMPONENTS = (
    SessionManagerPreferences,
    SessionManagerInstanceAccess,
    SessionManagerAccessPolicies,
    SessionManagerCentralLogBucket,
    SessionManagerVpcEndpoints,
    SessionManagerAccountEvents,
)

__all__ = [
    "COMPONENTS",
    "LogGroupArgs",
    "PreferenceInputsArgs",
    "S3LogDestinationArgs",
    "SessionDataKeyArgs",
    "SessionManagerAccessPolicies",
    "SessionManagerAccountEvents",
    "SessionManagerAccountEventsArgs",
    "SessionManagerCentralLogBucket",
    "SessionManagerInstanceAccess",
    "SessionManagerInstanceAccessArgs",
    "SessionManagerPreferences",
    "SessionManagerPreferencesArgs",
    "SessionManagerVpcEndpoints",
    "ShellProfileArgs",
    "__version__",
]
