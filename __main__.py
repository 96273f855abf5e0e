"""Session Manager preferences as code: the stack's Pulumi program.

Reads and validates the stack's `session-manager` config, creates the
components, and exports what they made. Bad config stops here, with every
problem listed, before any resource is registered.
"""

import pulumi
from session_manager.config.loading import load_stack_config
from session_manager.program import deploy
from session_manager.stack_exports import export_outputs

config = load_stack_config()
export_outputs(deploy(config, home_region=pulumi.Config("aws").get("region")))
