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


def region_warnings(config: StackConfig, aws_region: str | None = None) -> list[str]:
    """One warning per unlisted Region, at its first mention; `aws:region` comes first.

    Without `regions`, the stack's Region is `aws:region`: the warning names that key.
    """
    named = [(f"{NAMESPACE}:{path}", region) for path, region in named_regions(config)]
    if aws_region:
        named.insert(0, ("aws:region", aws_region))
    warnings: list[str] = []
    warned: set[str] = set()
    for path, region in named:
        warning = None if region in warned else unlisted_region_warning(region)
        if warning:
            warned.add(region)
            warnings.append(f"{path}: {warning}")
    return warnings
