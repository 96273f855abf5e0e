"""The project's defaults for the AWS resources it builds.

Shared by the stack-config models (which show them in the reference table) and the
components (which fall back to them when an arg is left out), so the two never disagree.
"""

from session_manager.aws.document import PREFERENCES_DESCRIPTION
from session_manager.aws.rules import PREFERENCES_DOCUMENT_NAME

DEFAULT_DOCUMENT_NAME = PREFERENCES_DOCUMENT_NAME
DEFAULT_DOCUMENT_DESCRIPTION = PREFERENCES_DESCRIPTION
DEFAULT_LOG_GROUP_NAME = "ssm-sessionmanager-logs"
# A year: PCI DSS 10.5.1 and the common IaC scanners ask for twelve months of audit trail.
DEFAULT_LOG_RETENTION_DAYS = 365
DEFAULT_SESSION_DATA_KEY_ALIAS = "alias/session-manager/data"
DEFAULT_LOGS_KEY_ALIAS = "alias/session-manager/logs"
DEFAULT_KEY_DELETION_WINDOW_DAYS = 30
DEFAULT_INSTANCE_POLICY_NAME = "SessionManagerInstanceAccess"
DEFAULT_INSTANCE_ROLE_NAME = "SessionManagerInstanceRole"
DEFAULT_CENTRAL_LOG_KEY_ALIAS = "alias/session-manager/central-logs"

# The role session name every deploy provider (pulumi-aws and aws-native) assumes with.
DEPLOY_SESSION_NAME = "pulumi-session-manager"
