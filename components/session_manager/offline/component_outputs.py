"""What each component of a plan registered as its outputs, as plain values.

A value the engine hides as a whole (a resource input holding a secret anywhere in
it) may still be known in parts: a component registers those parts as outputs.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime import rpc

from session_manager.offline.plan import Plan


def component_outputs(plan: Plan) -> dict[str, dict[str, Any]]:
    """Component URN -> its registered outputs (SDK Structs), secrets unwrapped."""
    found: dict[str, dict[str, Any]] = {}
    for urn, struct in plan.registered_outputs.items():
        values: Any = rpc.deserialize_properties(struct) if struct is not None else {}
        found[urn] = {str(k): rpc.unwrap_rpc_secret(v) for k, v in dict(values).items()}
    return found
