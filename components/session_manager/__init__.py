"""Session Manager preferences as code, for Pulumi."""

from session_manager.args import (
    LogGroupArgs,
    PreferenceInputsArgs,
    S3LogDestinationArgs,
    SessionDataKeyArgs,
    SessionManagerInstanceAccessArgs,
    SessionManagerPreferencesArgs,
    ShellProfileArgs,
)
from session_manager.instance_access import SessionManagerInstanceAccess
from session_manager.preferences import SessionManagerPreferences

__version__ = "0.1.0"

__all__ = [
    "LogGroupArgs",
    "PreferenceInputsArgs",
    "S3LogDestinationArgs",
    "SessionDataKeyArgs",
    "SessionManagerInstanceAccess",
    "SessionManagerInstanceAccessArgs",
    "SessionManagerPreferences",
    "SessionManagerPreferencesArgs",
    "ShellProfileArgs",
    "__version__",
]
