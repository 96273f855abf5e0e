"""Host the components as a Pulumi component provider.

Pulumi infers the provider's schema from the components' type annotations and
docstrings (their args are TypedDicts of plain types and Inputs), so other
languages get typed, documented inputs and outputs.
"""

from pulumi.provider.experimental import component_provider_host
from session_manager import COMPONENTS, __version__

if __name__ == "__main__":
    component_provider_host(
        components=list(COMPONENTS), name="session-manager", version=__version__
    )
