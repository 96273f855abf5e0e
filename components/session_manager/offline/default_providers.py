"""The default providers the engine adds, and what every provider's inputs hold.

The engine registers a default provider `default_<version>` for each package whose
resources name no provider (pulumi/pulumi source_eval.go, newRegisterDefaultProviderEvent)
and stores the plugin version in every provider's inputs (`SetProviderVersion`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from typing import Any, cast

# offline.plan.PlannedResource, whose module imports this one: passed in as `make`.
PlannedResource = Any


def pinned_account(config: Mapping[str, str]) -> str | None:
    """The one account `aws:allowedAccountIds` allows: the default provider can act in no
    other, so the offline plan's ARNs name it instead of the placeholder."""
    raw = config.get("aws:allowedAccountIds")
    try:
        allowed: Any = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return None
    ids = cast(list[Any], allowed) if isinstance(allowed, list) else []
    return str(ids[0]) if len(ids) == 1 and str(ids[0]).isdigit() else None


def with_default_providers(
    planned: list[PlannedResource], config: Mapping[str, str], make: Callable[..., Any]
) -> list[PlannedResource]:
    """Add the default providers the engine would create for resources that name none.

    Every provider's inputs carry its plugin's `version`, as the engine stores them
    (pulumi/pulumi source_eval.go `SetProviderVersion`, from the SDK's version option;
    registry.go `FilterProviderConfig` drops only `__internal`, so a bump shows on
    explicit providers as `~ version`, as `pulumi preview` shows it).
    """
    explicit = {r.urn for r in planned if r.type.startswith("pulumi:providers:")}
    for resource in planned:
        if resource.urn in explicit:
            _set_plugin_version(resource)
    result: list[PlannedResource] = []
    defaults: dict[str, PlannedResource] = {}
    for resource in planned:
        is_provider = resource.type.startswith("pulumi:providers:")
        if resource.custom and not is_provider and resource.provider not in explicit:
            package = resource.type.split(":")[0]
            provider = defaults.get(package)
            if provider is None:
                provider = _default_provider(package, config, resource.urn, make)
                defaults[package] = provider
                result.append(provider)
            resource.provider = provider.urn
        result.append(resource)
    return result


def _plugin_version(package: str) -> str:
    """The version the package's SDK asks the engine for (`_utilities.get_version()`, which
    pulumi-aws and pulumi-aws-native pass as every resource's `version` option)."""
    try:
        utilities = importlib.import_module(f"pulumi_{package.replace('-', '_')}._utilities")
    except ImportError:
        return "unknown"
    return str(utilities.get_version())


def _set_plugin_version(provider: PlannedResource) -> None:
    # Every package's explicit providers, aws-native's too: source_eval.go sets it from the
    # registration's version option, whichever package sends it.
    version = _plugin_version(provider.type.removeprefix("pulumi:providers:"))
    if version != "unknown":
        provider.inputs["version"] = version


def _default_provider(
    package: str, config: Mapping[str, str], sample_urn: str, make: Callable[..., Any]
) -> PlannedResource:
    version = _plugin_version(package)
    name = f"default_{version.replace('.', '_')}"
    stack_and_project = "::".join(sample_urn.split("::")[:2])
    typ = f"pulumi:providers:{package}"
    inputs = {
        key.split(":", 1)[1]: value
        for key, value in config.items()
        if key.startswith(f"{package}:")
    }
    provider = make(
        type=typ,
        name=name,
        urn=f"{stack_and_project}::{typ}::{name}",
        inputs=inputs,
        provider=None,
        parent=None,
        custom=True,
    )
    _set_plugin_version(provider)
    return provider
