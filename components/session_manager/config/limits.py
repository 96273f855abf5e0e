"""One pass over what a stack's config will create: AWS's limits, unique names, cross-field sense.

Field validators check a value alone. This pass sees every resource the config asks
for, per account and Region, so it catches what only shows when values meet: tags
AWS refuses (limits from botocore's models, see aws/limits.py), physical names that
collide in one account and Region, keys in another Region or partition than what
they encrypt, and settings that cannot do what they say. Errors carry the config
path that produced the value; `StackConfig` raises them before any resource exists.
Warnings (`limit_warnings`) go to `pulumi.log.warn` in the program.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic import ValidationError

from session_manager.aws.account_events import ORGANIZATIONS_HOME_REGIONS
from session_manager.aws.document import render_preferences_document, serialize_document
from session_manager.aws.limits import (
    RESERVED_LOG_GROUP_PREFIX,
    ec2_tag_problems,
    key_arn_problem,
    port_problems,
    tag_problems,
)
from session_manager.aws.rules import DOCUMENT_CONTENT_MAX_BYTES, partition_of_region
from session_manager.config.errors import NAMESPACE, Problem
from session_manager.config.messages import config_path
from session_manager.config.preferences import Preferences
from session_manager.config.secrets import UNDECRYPTED
from session_manager.config.stack import StackConfig

Where = tuple[str | int, ...]


def applied_preferences(config: StackConfig) -> Iterator[tuple[Where, Preferences, list[str]]]:
    """(config path, preferences, Regions they are deployed to) for the stack and each override."""
    excluded = set(config.exclude_regions)
    if not config.targets:
        yield ("preferences",), config.preferences, [r for r in config.regions if r not in excluded]
        return
    plain: list[str] = []
    for index, target in enumerate(config.targets):
        regions = [r for r in (target.regions or config.regions) if r not in excluded]
        if target.preferences:
            try:
                merged = config.preferences_for(target)
            except ValidationError:
                continue  # StackConfig reports the override's own problems
            yield ("targets", index, "preferences"), merged, regions
        else:
            plain += [r for r in regions if r not in plain]
    if plain:
        yield ("preferences",), config.preferences, plain


def _key_problems(config: StackConfig, partition: str) -> list[Problem]:
    problems: list[Problem] = []
    log_group_regions: list[str] = []
    for where, prefs, regions in applied_preferences(config):
        problem = key_arn_problem(prefs.kms_key_id, regions, partition, "session data")
        if problem:
            problems.append(((*where, "kmsKeyId"), problem))
        if config.creates_log_group(prefs):
            log_group_regions += [r for r in regions if r not in log_group_regions]
    problem = key_arn_problem(
        config.log_group.kms_key_id, log_group_regions, partition, "the log group"
    )
    if problem:
        problems.append((("logGroup", "kmsKeyId"), problem))
    problem = key_arn_problem(config.s3_logging.bucket_kms_key_arn, [], partition, "")
    if problem:
        problems.append((("s3Logging", "bucketKmsKeyArn"), problem))
    return problems


def _tag_problems(config: StackConfig) -> list[Problem]:
    sources: list[tuple[Where, dict[str, str]]] = [(("tags",), dict(config.tags))]
    sources += [
        (("documents", index, "tags"), {**config.tags, **document.tags})
        for index, document in enumerate(config.documents)
    ]
    # A secret the offline plan cannot decrypt has no value to check.
    sources = [
        (where, {k: ("" if v == UNDECRYPTED else v) for k, v in tags.items()})
        for where, tags in sources
    ]
    # Only the stack's tags reach IAM (policies, roles); a document's own go on it alone.
    found = [
        (where, key, problem)
        for where, tags in sources
        for key, problem in tag_problems(tags, case_insensitive=where == ("tags",))
    ]
    # The stack's tags also go on each VPC endpoint and prefix list, with a Name added.
    if config.vpc_endpoints:
        found += [(("tags",), key, problem) for key, problem in ec2_tag_problems(sources[0][1])]
    return [((*where, key) if key else where, problem) for where, key, problem in found]


# "The object key name is a sequence of Unicode characters with UTF-8 encoding of up to
# 1,024 bytes long" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
S3_KEY_MAX_BYTES = 1024
# What the agent adds below the prefix: `/<account>/<region>/` when appended, and the
# session's own object name (`<session id>.log`, the session id up to 96 characters).
_APPENDED_BYTES = len("/123456789012/ap-southeast-5/")
_SESSION_OBJECT_BYTES = 100


def _name_length_problems(config: StackConfig) -> list[Problem]:
    problems: list[Problem] = []
    for where, prefs, _ in applied_preferences(config):
        prefix = prefs.s3_key_prefix.strip("/")
        room = S3_KEY_MAX_BYTES - _SESSION_OBJECT_BYTES
        room -= _APPENDED_BYTES if config.s3_logging.append_account_and_region else 0
        if prefs.s3_bucket_name and len(prefix.encode()) > room:
            problems.append(
                (
                    (*where, "s3KeyPrefix"),
                    f"is {len(prefix.encode())} bytes; S3 object keys are at most "
                    f"{S3_KEY_MAX_BYTES} bytes, and the session log's own name needs "
                    f"{S3_KEY_MAX_BYTES - room} of them: use at most {room}",
                )
            )
        name = prefs.cloud_watch_log_group_name
        if config.creates_log_group(prefs) and name.startswith(RESERVED_LOG_GROUP_PREFIX):
            problems.append(
                (
                    (*where, "cloudWatchLogGroupName"),
                    f"{name!r} starts with 'aws/', which CloudWatch Logs reserves; "
                    "choose another name",
                )
            )
    return problems


def _document_size_problems(config: StackConfig) -> list[Problem]:
    """The preferences document is a Session document: 64 KB at most, like custom ones.

    AWS Systems Manager quotas: "Maximum size of a document: 64 KB"
    (https://docs.aws.amazon.com/general/latest/gr/ssm.html#limits_ssm); botocore's ssm
    model states it only in CreateDocument's Content documentation ("must not exceed
    64KB"), its `DocumentContent` shape has no max. Only shellProfile can grow that big
    (the other inputs have short limits of their own), so the problem names its longer
    entry.
    """
    problems: list[Problem] = []
    for where, prefs, _ in applied_preferences(config):
        document = render_preferences_document(
            prefs.model_dump(by_alias=True), config.document_description
        )
        size = len(serialize_document(document).encode())
        if size > DOCUMENT_CONTENT_MAX_BYTES:
            # The keys that can grow that big, largest first: the path names the largest.
            parts: list[tuple[int, Where, str]] = sorted(
                (
                    (len(text.encode()), path, name)
                    for text, path, name in (
                        (prefs.shell_profile.linux, (*where, "shellProfile", "linux"),
                         "shellProfile.linux"),
                        (prefs.shell_profile.windows, (*where, "shellProfile", "windows"),
                         "shellProfile.windows"),
                        (config.document_description, ("documentDescription",),
                         "documentDescription"),
                    )
                    if text
                ),
                key=lambda part: -part[0],
            )  # fmt: skip
            named = ", ".join(f"{name} ({length} bytes)" for length, _, name in parts)
            problems.append(
                (
                    parts[0][1] if parts else where,
                    f"makes a preferences document of {size} bytes, with {named}; Session "
                    f"documents may be {DOCUMENT_CONTENT_MAX_BYTES} bytes (64 KB) at most: "
                    "shorten them",
                )
            )
    return problems


def _first_use(
    names: Sequence[tuple[Where, str, bool]], kind: str, scope: str, *, fold: bool = False
) -> Iterator[Problem]:
    """A problem for each name (of the ones created) that an earlier one already takes;
    `fold` compares them case folded (IAM names are not distinguished by case)."""
    seen: dict[str, Where] = {}
    for where, name, created in names:
        if not created:
            continue
        key = name.casefold() if fold else name
        if key in seen:
            first = ".".join(str(part) for part in seen[key])
            yield where, f"{name!r} is the {kind} name {first} gives too; {scope}"
        else:
            seen[key] = where


def _name_problems(config: StackConfig) -> list[Problem]:
    """Physical names that collide in one account (IAM) or one account and Region (KMS aliases)."""
    applied = list(applied_preferences(config))
    session_key = any(config.creates_session_data_key(prefs) for _, prefs, _ in applied)
    logs_key = config.log_group.create_kms_key is not False and not config.log_group.kms_key_id
    logs_key = logs_key and any(config.creates_log_group(prefs) for _, prefs, _ in applied)
    aliases = [
        (("sessionDataKey", "alias"), config.session_data_key.alias, session_key),
        (("logGroup", "kmsKeyAlias"), config.log_group.kms_key_alias, logs_key),
    ]
    logging = config.central_logging
    if logging is not None and any(t.account == logging.account for t in config.targets):
        aliases.append((("centralLogging", "kmsKeyAlias"), logging.kms_key_alias, True))
    problems = list(
        _first_use(aliases, "KMS alias", "an alias names one key per account and Region")
    )
    people = config.access_policies
    policies = [
        (("instanceAccess", "policyName"), config.instance_access.policy_name,
         config.instance_access.create_policy),
        (("accessPolicies", "sessionUsers", "name"), people.session_users.name,
         people.session_users.create),
        (("accessPolicies", "instanceInventory", "name"), people.instance_inventory.name,
         people.instance_inventory.create),
        (("accessPolicies", "preferencesGuard", "name"), people.preferences_guard.name,
         people.preferences_guard.create),
        (("accessPolicies", "justInTimeRequesters", "name"), people.just_in_time_requesters.name,
         people.just_in_time_requesters.create),
        (("accessPolicies", "justInTimeApprovers", "name"), people.just_in_time_approvers.name,
         people.just_in_time_approvers.create),
    ]  # fmt: skip
    problems += _first_use(
        policies,
        "IAM policy",
        "IAM refuses a second policy of one name in an account (names differing only in "
        "case are one name)",
        fold=True,
    )
    vpcs = [
        (("vpcEndpoints", index, "vpcId"), f"{e.account}/{e.region}/{e.vpc_id}", True)
        for index, e in enumerate(config.vpc_endpoints)
    ]
    for where, _ in _first_use(vpcs, "VPC", ""):
        endpoints = config.vpc_endpoints[int(where[1])]
        problems.append(
            (
                where,
                f"lists {endpoints.vpc_id} in {endpoints.region} again: a VPC takes one set of "
                "endpoints with private DNS (and one component name); merge the entries",
            )
        )
    return problems


def _endpoint_problems(config: StackConfig) -> list[Problem]:
    """Endpoint settings for an account or Region the stack does not manage."""
    problems: list[Problem] = []
    named_accounts = {t.account: t for t in config.targets if t.account}
    only_accounts = bool(config.targets) and all(t.account for t in config.targets)
    for index, endpoints in enumerate(config.vpc_endpoints):
        where: Where = ("vpcEndpoints", index)
        if endpoints.account in config.exclude_accounts:
            problems.append(((*where, "account"), f"{endpoints.account} is in excludeAccounts"))
        elif only_accounts and endpoints.account not in named_accounts:
            problems.append(
                (
                    (*where, "account"),
                    f"{endpoints.account} is not a managed account; add it to targets",
                )
            )
        target = named_accounts.get(endpoints.account)
        if endpoints.region in config.exclude_regions:
            problems.append(((*where, "region"), f"{endpoints.region} is in excludeRegions"))
        elif target is not None and endpoints.region not in (target.regions or config.regions):
            problems.append(
                (
                    (*where, "region"),
                    f"{endpoints.region} is not managed in account {endpoints.account}",
                )
            )
    return problems


def _port_problems(config: StackConfig) -> list[Problem]:
    return [
        (("documents", index, "content", *where), problem)
        for index, document in enumerate(config.documents)
        for where, problem in port_problems(document.content)
    ]


def _condition_problems(config: StackConfig) -> list[Problem]:
    tags = config.access_policies.session_users.instance_tags
    return [
        (
            ("accessPolicies", "sessionUsers", "instanceTags", key),
            "lists no values: the condition would match no instance; list the values, "
            "or drop the key",
        )
        for key, values in tags.items()
        if not values
    ]


def _bucket_setting_problems(config: StackConfig) -> list[Problem]:
    """s3Logging's bucket settings with no bucket of the preferences to apply them to."""
    if any(prefs.s3_bucket_name for _, prefs, _ in applied_preferences(config)):
        return []
    settings = {
        "bucketKmsKeyArn": config.s3_logging.bucket_kms_key_arn,
        "bucketAccountId": config.s3_logging.bucket_account_id,
    }
    if config.central_logging is not None:
        why = "centralLogging creates the log bucket and its key; drop it"
    else:
        why = "no preferences name an s3BucketName to log to; set s3BucketName, or drop it"
    return [(("s3Logging", key), f"is set, but {why}") for key, value in settings.items() if value]


def _alarm_topic_problems(config: StackConfig, partition: str) -> list[Problem]:
    """The account events' alarms live in the partition's Organizations Region; PutMetricAlarm
    refuses an action of another Region ("Invalid region eu-west-1 specified. Only us-east-1
    is supported.")."""
    events = config.account_events
    topic = events.alarm_topic_arn if events is not None else ""
    home = ORGANIZATIONS_HOME_REGIONS.get(partition)
    if not topic or home is None or topic.split(":")[3] == home:
        return []
    return [
        (
            ("accountEvents", "alarmTopicArn"),
            f"{topic} is in {topic.split(':')[3]}, but the account events' alarms are in {home} "
            "(where AWS Organizations sends its events); CloudWatch notifies only a topic of "
            f"the alarm's own Region: name a topic in {home}, or let the stack create one",
        )
    ]


def limit_problems(config: StackConfig) -> list[tuple[str, str]]:
    """(config key, problem) for every value of the planned resources that AWS refuses or
    that cannot work; the loader raises them with the model's own problems' format."""
    if not config.regions:
        return []  # the loader fills them from aws:region; a bare model has none
    partition = partition_of_region(config.regions[0]).name
    found: list[Problem] = [
        *_tag_problems(config),
        *_document_size_problems(config),
        *_name_length_problems(config),
        *_name_problems(config),
        *_key_problems(config, partition),
        *_endpoint_problems(config),
        *_condition_problems(config),
        *_port_problems(config),
        *_bucket_setting_problems(config),
        *_alarm_topic_problems(config, partition),
    ]
    return [(config_path(StackConfig, where), problem) for where, problem in found]


def limit_warnings(config: StackConfig, home_region: str | None = None) -> list[str]:
    """Settings AWS accepts but that do not do what they say, each with its fix."""
    warnings: list[str] = []
    for where, prefs, _ in applied_preferences(config):
        at = f"{NAMESPACE}:{'.'.join(str(part) for part in where)}"
        idle, longest = prefs.idle_session_timeout, prefs.max_session_duration
        if idle is not None and longest is not None and longest < idle:
            warnings.append(
                f"{at}.maxSessionDuration: {longest} minutes is shorter than idleSessionTimeout "
                f"({idle}), so the idle timeout never ends a session; raise maxSessionDuration "
                "or lower idleSessionTimeout"
            )
        if prefs.run_as_default_user and not prefs.run_as_enabled:
            warnings.append(
                f"{at}.runAsDefaultUser: {prefs.run_as_default_user} is ignored while "
                "runAsEnabled is false; set runAsEnabled: true, or drop runAsDefaultUser"
            )
        if prefs.s3_key_prefix and not prefs.s3_bucket_name:
            fix = (
                "centralLogging.keyPrefix sets the prefix in the central bucket"
                if config.central_logging is not None
                else "set s3BucketName to log to S3"
            )
            warnings.append(
                f"{at}.s3KeyPrefix: {prefs.s3_key_prefix} is ignored while s3BucketName is "
                f"empty; {fix}, or drop s3KeyPrefix"
            )
        if (
            prefs.cloud_watch_streaming_enabled
            and not prefs.cloud_watch_log_group_name
            and not config.creates_log_group(prefs)
        ):
            warnings.append(
                f"{at}.cloudWatchStreamingEnabled: true, but no log group receives the stream; "
                "set cloudWatchLogGroupName, or logGroup.create: true, or "
                "cloudWatchStreamingEnabled: false"
            )
    warnings += _retention_warnings(config)
    logging = config.central_logging
    bucket_region = logging and (logging.region or home_region or config.regions[0])
    for index, endpoints in enumerate(config.vpc_endpoints):
        if bucket_region and endpoints.region != bucket_region:
            warnings.append(
                f"{NAMESPACE}:vpcEndpoints[{index}].region: the central log bucket is in "
                f"{bucket_region}, but endpoints reach only {endpoints.region}; nodes of "
                f"{endpoints.vpc_id} without another route to S3 fail every session (the agent "
                "checks the bucket's encryption first): give the VPC a NAT route, or put the "
                f"bucket in {endpoints.region}"
            )
    warnings += just_in_time_warnings(config)
    # "Start a just-in-time node access session": people whose IAM still allows
    # ssm:StartSession keep connecting through Session Manager, past the policies.
    if config.just_in_time_access is not None and config.access_policies.session_users.create:
        warnings.append(
            f"{NAMESPACE}:accessPolicies.sessionUsers.create: the session-users policy "
            "grants ssm:StartSession, and AWS lets whoever holds it connect without "
            "just-in-time access; set it false for the people justInTimeAccess covers"
        )
    return warnings


def _retention_warnings(config: StackConfig) -> list[str]:
    """logGroup.retentionInDays applies only to a log group the stack creates."""
    if "retention_in_days" not in config.log_group.model_fields_set:
        return []
    if any(config.creates_log_group(prefs) for _, prefs, _ in applied_preferences(config)):
        return []
    return [
        f"{NAMESPACE}:logGroup.retentionInDays: {config.log_group.retention_in_days} is "
        "ignored: the stack creates no log group (preferences.cloudWatchLogGroupName names "
        "an existing one, or logGroup.create is false); set that group's retention where it "
        "is managed, or drop retentionInDays"
    ]


def just_in_time_warnings(config: StackConfig) -> list[str]:
    """Overlapping manual policies of one account-Region's set (the stack's, or a target's
    own), and manual policies the stack can't deploy."""
    sets = [("justInTimeAccess", config.just_in_time_access)] + [
        (f"targets[{index}].justInTimeAccess", config.jit_for(target))
        for index, target in enumerate(config.targets)
        # Manual policies a target leaves to the stack are warned about there.
        if target.just_in_time_access is not None
        and "manual_approvals" in target.just_in_time_access.model_fields_set
    ]
    warnings = [
        f"{NAMESPACE}:{warning}"
        for where, jit in sets
        if jit is not None
        for warning in jit.overlap_warnings(where) + jit.undeployed_warnings(where)
    ]
    return warnings + jit_grammar_warnings(config)


def jit_grammar_warnings(config: StackConfig) -> list[str]:
    """Cedar policies using more than AWS's documented statement structure, each policy
    where it is written (the stack's, a target's own auto-approval policy)."""
    stack = config.just_in_time_access
    policies = [
        (f"{NAMESPACE}:justInTimeAccess", policy)
        for policy in ((stack.deny_access, stack.auto_approval) if stack is not None else ())
    ] + [
        (f"{NAMESPACE}:targets[{index}].justInTimeAccess", target.just_in_time_access.auto_approval)
        for index, target in enumerate(config.targets)
        if target.just_in_time_access is not None
    ]
    return [
        warning
        for prefix, policy in policies
        if policy is not None
        for warning in policy.grammar_warnings(prefix)
    ]
