"""Every Region a stack's config names, and the warnings about ones botocore doesn't list.

A Region that no partition's pattern admits is refused by the models (`check_regions`);
one that fits the pattern but that the installed botocore doesn't list may be newer than
botocore, so it is only a warning, with the closest known Regions.
"""

from __future__ import annotations

from collections.abc import Iterator

from session_manager.aws.regions import unlisted_region_warning
from session_manager.config.errors import NAMESPACE
from session_manager.config.stack import StackConfig


def named_regions(config: StackConfig) -> Iterator[tuple[str, str]]:
    """(config path, Region) for every Region the config names."""
    for index, region in enumerate(config.regions):
        yield f"regions[{index}]", region
    for index, region in enumerate(config.exclude_regions):
        yield f"excludeRegions[{index}]", region
    for target_index, target in enumerate(config.targets):
        for index, region in enumerate(target.regions):
            yield f"targets[{target_index}].regions[{index}]", region
    if config.central_logging is not None and config.central_logging.region:
        yield "centralLogging.region", config.central_logging.region
    for index, endpoints in enumerate(config.vpc_endpoints):
        yield f"vpcEndpoints[{index}].region", endpoints.region


def region_warnings(config: StackConfig) -> list[str]:
    warnings: list[str] = []
    for path, region in named_regions(config):
        warning = unlisted_region_warning(region)
        if warning:
            warnings.append(f"{NAMESPACE}:{path}: {warning}")
    return warnings
