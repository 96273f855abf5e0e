"""Every Region a stack's config names, and the warnings about ones botocore doesn't list.

A Region that no partition's pattern admits is refused by the models (`check_regions`);
one that fits the pattern but that the installed botocore doesn't list may be newer than
botocore, so it is only a warning, with the closest known Regions.
"""

from __future__ import annotations

from collections.abc import Iterator

from session_manager.aws.regions import partition_named_by, unlisted_region_warning
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


def _role_arns(config: StackConfig) -> Iterator[tuple[str, str]]:
    """(config path, ARN) for every role the config names, and every other ARN that lands
    in a policy's Principal or condition, or an alarm's action."""
    for index, target in enumerate(config.targets):
        if target.role_arn:
            yield f"targets[{index}].roleArn", target.role_arn
    if config.central_logging is not None and config.central_logging.role_arn:
        yield "centralLogging.roleArn", config.central_logging.role_arn
    lock = config.central_logging.object_lock if config.central_logging is not None else None
    if lock is not None and lock.break_glass_role_arn:
        yield "centralLogging.objectLock.breakGlassRoleArn", lock.break_glass_role_arn
    if config.account_events is not None and config.account_events.alarm_topic_arn:
        yield "accountEvents.alarmTopicArn", config.account_events.alarm_topic_arn
    if config.account_events is not None and config.account_events.role_arn:
        yield "accountEvents.roleArn", config.account_events.role_arn
    for index, arn in enumerate(config.access_policies.preferences_guard.deployer_role_arns):
        yield f"accessPolicies.preferencesGuard.deployerRoleArns[{index}]", arn


def partition_problems(config: StackConfig, aws_region: str | None) -> list[tuple[str, str]]:
    """Every Region and role ARN of another partition than the stack's, as (path, problem).

    A stack deploys with one default provider, in `aws:region`, and builds every ARN
    (roles to assume, policies) in that Region's partition: an account of another
    partition is reached by none of them, so a stack lives in one partition.
    """
    home_path, home = (
        ("aws:region", aws_region)
        if aws_region
        else (
            f"{NAMESPACE}:regions[0]",
            config.regions[0],
        )
    )
    home_data = partition_named_by(home)
    if home_data is None:
        return []  # not a Region: refused on its own
    wanted = home_data.partition
    problems: list[tuple[str, str]] = []
    for path, region in named_regions(config):
        data = partition_named_by(region)
        if data is not None and data.partition != wanted:
            problems.append(
                (
                    f"{NAMESPACE}:{path}",
                    f"{region} is in partition {data.partition}, but {home_path} {home} is in "
                    f"{wanted}; one stack deploys in one partition: manage {data.partition} "
                    f"Regions from a stack of their own, with aws:region in {data.partition}",
                )
            )
    for path, arn in _role_arns(config):
        partition = arn.split(":")[1]
        if partition != wanted:
            problems.append(
                (
                    f"{NAMESPACE}:{path}",
                    f"{arn} is in partition {partition}, but {home_path} {home} is in {wanted}; "
                    "one stack deploys in one partition",
                )
            )
    return problems
