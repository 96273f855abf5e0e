"""`jit check`: a stack's request table answered the way just-in-time node access answers.

The order is AWS's ("Create approval policies for your nodes", systems-manager-just-in-
time-node-access-approval-policies.html): the deny-access policy first (a match means no
auto-approval), then the auto-approval policy (a permit means auto-approved, for 1
hour), then the manual policies: one that targets the node's tags is favoured over one
for every node; two that apply make the request fail; none means nobody can ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import ValidationError

from session_manager.aws.jit import manual_policies_for_node
from session_manager.config.cedar import Node, Person, forbids, permits
from session_manager.config.errors import ConfigError
from session_manager.config.jit import JustInTimeAccess, policy_files_from
from session_manager.config.jit_requests import (
    AUTO_APPROVED,
    DENIED,
    FAILS,
    AccessRequest,
    RequestNode,
    RequestTable,
    needs,
)
from session_manager.config.loading import namespace_values, parse_stack_config
from session_manager.config.stack import StackConfig
from session_manager.config.targets import resolve_targets
from session_manager.offline.ou_accounts import OuAccountsError, parse_ou_accounts
from session_manager.offline.plan import PlanError, read_stack_config


@dataclass(frozen=True)
class Answer:
    """What AWS answers a request, and why."""

    text: str  # auto-approved, denied, fails, or "needs N approvals at N levels"
    why: str


def answer(jit: JustInTimeAccess, person: Person, node: Node) -> Answer:
    denied_auto = jit.deny_access is not None and forbids(jit.deny_access.policy, person, node)
    if not denied_auto and jit.auto_approval and permits(jit.auto_approval.policy, person, node):
        return Answer(AUTO_APPROVED, "the auto-approval policy permits it")
    before = "the deny-access policy forbids auto-approval; " if denied_auto else ""
    targets = {policy.name: policy.tags for policy in jit.manual_approvals}
    specific, every = manual_policies_for_node(targets, dict(node.tags))
    chosen = specific or every
    if len(chosen) > 1:
        names = ", ".join(repr(name) for name in chosen)
        return Answer(FAILS, f"{before}manual policies {names} all apply to the node")
    if not chosen:
        return Answer(DENIED, f"{before}no manual approval policy applies to the node")
    (policy,) = (p for p in jit.manual_approvals if p.name == chosen[0])
    count = len(policy.levels)
    return Answer(needs(count), f"{before}manual policy {policy.name!r}")


@dataclass(frozen=True)
class Row:
    name: str
    expected: str
    got: Answer

    @property
    def matches(self) -> bool:
        return self.expected == self.got.text


def stack_jit(project_dir: Path, stack: str) -> StackConfig | None:
    """The stack's config when it uses `justInTimeAccess`, validated; raises ConfigError
    or PlanError."""
    values, _ = read_stack_config(project_dir, stack)
    if "session-manager:justInTimeAccess" not in values and "justInTimeAccess" not in str(
        values.get("session-manager:targets", "")
    ):
        return None  # no second parse of a stack that doesn't use it (every `plan` asks)
    with policy_files_from(project_dir):
        return parse_stack_config(namespace_values(values), values.get("aws:region"))


def _table_key(loc: tuple[str | int, ...], table: dict[str, Any]) -> str:
    """A problem's place in the table's own words: `requests[3] ('its name').expect`."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, str) or not parts:
            parts.append(str(part))
            continue
        parts[-1] += f"[{part}]"
        rows = table.get("requests")
        row = cast(list[Any], rows)[part] if isinstance(rows, list) and len(parts) == 1 else None
        if isinstance(row, dict) and "name" in row:
            parts[-1] += f" ({str(cast(dict[str, Any], row)['name'])!r})"
    return ".".join(parts)


def read_table(path: Path) -> RequestTable:
    """The request table; raises PlanError naming the file and the row, never its text."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        raise PlanError(f"{path}: not YAML{at}") from None
    if not isinstance(loaded, dict):
        raise PlanError(
            f"{path}: not a request table: it is `requests:` and a list of rows below it, "
            "each a person, a node and the answer expected"
        )
    table = cast(dict[str, Any], loaded)
    try:
        return RequestTable.model_validate(table)
    except ValidationError as exc:
        problems: list[str] = []
        for error in exc.errors(include_url=False):
            message = {"missing": "is required", "extra_forbidden": "unknown key"}.get(
                error["type"], error["msg"]
            )
            problems.append(f"{_table_key(tuple(error['loc']), table)}: {message}")
        raise PlanError(f"{path}: " + "; ".join(problems)) from None


# Each managed account's Regions and their policies (config/targets.py resolve_targets).
Managed = dict[str, dict[str, JustInTimeAccess | None]]


def managed_accounts(config: StackConfig, ou_accounts: Sequence[str] = ()) -> Managed | None:
    """The account-Regions the stack manages, with each one's policies; None for a stack
    without targets (it manages the credentials' account, unknown offline). An
    organizational unit holds the accounts `--ou-accounts` lists for it, else none."""
    if not config.targets:
        return None
    try:
        organization = parse_ou_accounts(ou_accounts, known_ous(config))
    except OuAccountsError as exc:
        raise PlanError("--ou-accounts: " + "; ".join(exc.problems)) from None
    resolved = resolve_targets(
        config, "aws", lambda ou: dict.fromkeys(organization.get(ou, []), "ACTIVE")
    )
    return {target.account_id: dict(target.just_in_time) for target in resolved.accounts}


def known_ous(config: StackConfig) -> list[str]:
    return sorted({t.organizational_unit for t in config.targets if t.organizational_unit})


def _managed_policies(
    config: StackConfig, managed: Managed, node: RequestNode, listed_ous: Sequence[str]
) -> tuple[bool, JustInTimeAccess | None]:
    """(found, policies) of a row's account-Region among the managed ones; raises
    ValueError for an account or Region the stack doesn't manage."""
    if node.account and node.account in managed:
        regions = managed[node.account]
        if node.region:
            if node.region not in regions:
                raise ValueError(
                    f"the stack manages account {node.account} in {', '.join(sorted(regions))}, "
                    f"not in {node.region}"
                )
            return True, regions[node.region]
        distinct = {p.model_dump_json() if p else "" for p in regions.values()}
        if len(distinct) > 1:
            raise ValueError(
                f"account {node.account}'s Regions have different policies: name its region "
                f"({', '.join(sorted(regions))})"
            )
        return True, next(iter(regions.values()))
    if node.account:
        # An organizational unit whose accounts `--ou-accounts` doesn't list may hold it.
        unlisted = [ou for ou in known_ous(config) if ou not in listed_ous]
        if node.organizational_unit not in unlisted or not node.organizational_unit:
            raise ValueError(
                f"the stack manages no account {node.account} (its accounts: "
                f"{', '.join(sorted(managed)) or 'none'})"
                + (
                    f"; an account of {', '.join(unlisted)}: name the node's "
                    "organizationalUnit, or pass --ou-accounts OU=ACCOUNT,..."
                    if unlisted
                    else ""
                )
            )
    if node.region and not node.account:
        regions = sorted({r for per in managed.values() for r in per} | set(config.regions))
        if node.region not in regions:
            raise ValueError(
                f"the stack manages no Region {node.region} (it manages {', '.join(regions)})"
            )
    return False, None


def row_policies(
    config: StackConfig,
    request: AccessRequest,
    index: int,
    managed: Managed | None = None,
    listed_ous: Sequence[str] = (),
) -> JustInTimeAccess:
    """The policies of the row's node's account-Region (the managed account-Regions, else
    config/stack.py `jit_at`), with the organization's deny-access policy, which applies
    everywhere. A row naming an account or Region the stack doesn't manage is refused."""
    node = request.node
    try:
        found, policies = (
            _managed_policies(config, managed, node, listed_ous)
            if managed is not None
            else (False, None)
        )
        if not found:
            policies = config.jit_at(node.account, node.region, node.organizational_unit)
    except ValueError as exc:
        raise PlanError(f"requests[{index}] ({request.name!r}).node: {exc}") from None
    return _with_deny(config, policies)


def _with_deny(config: StackConfig, policies: JustInTimeAccess | None) -> JustInTimeAccess:
    """An account-Region's policies with the organization's deny-access policy, which
    applies everywhere."""
    stack = config.just_in_time_access
    deny = stack.deny_access if stack is not None else None
    policies = policies or JustInTimeAccess()
    return (
        policies
        if policies.deny_access == deny
        else policies.model_copy(update={"deny_access": deny})
    )


def _everywhere(
    config: StackConfig, managed: Managed, region: str, listed_ous: Sequence[str]
) -> list[tuple[str, str, JustInTimeAccess | None]]:
    """(account or OU, Region, policies) of every account-Region a row without `account`
    may be in: each managed account's, and each organizational unit target's whose
    accounts `--ou-accounts` doesn't list (they are unknown offline, not absent)."""
    places = [
        (account, in_region, policies)
        for account, regions in sorted(managed.items())
        for in_region, policies in regions.items()
        if not region or in_region == region
    ]
    for target in config.targets:
        ou = target.organizational_unit
        if ou and ou not in listed_ous:
            places += [
                (f"{ou}'s accounts", in_region, config.jit_for(target))
                for in_region in target.regions or config.regions
                if in_region not in config.exclude_regions and (not region or in_region == region)
            ]
    return places


def _answer_everywhere(
    config: StackConfig,
    places: list[tuple[str, str, JustInTimeAccess | None]],
    person: Person,
    node: Node,
) -> Answer:
    """One answer when every account-Region agrees; else one naming where each answer
    holds ("auto-approved in 111111111111; needs 2 approvals at 2 levels in
    222222222222"), an account's Regions named only where they disagree."""
    got = [
        (where, region, answer(_with_deny(config, p), person, node)) for where, region, p in places
    ]
    texts = {a.text for _, _, a in got}
    if len(texts) == 1:
        return got[0][2]
    per_account: dict[str, set[str]] = {}
    for where, _, a in got:
        per_account.setdefault(where, set()).add(a.text)
    groups: dict[str, list[str]] = {}  # answer text -> where, in the order met
    whys: dict[str, str] = {}
    for where, region, a in got:
        label = where if len(per_account[where]) == 1 else f"{where} {region}"
        if label not in groups.setdefault(a.text, []):
            groups[a.text].append(label)
            whys.setdefault(label, a.why)
    text = "; ".join(f"{t} in {', '.join(labels)}" for t, labels in groups.items())
    why = "; ".join(f"{label}: {reason}" for label, reason in whys.items())
    return Answer(text, why)


def table_answers(
    config: StackConfig, table: RequestTable, ou_accounts: Sequence[str] = ()
) -> list[Row]:
    """Each row's answer. A row without `account` (nor `organizationalUnit`) is answered in
    every account-Region the stack manages (only its `region`'s, when it names one)."""
    managed = managed_accounts(config, ou_accounts)
    listed = [entry.partition("=")[0].strip() for entry in ou_accounts]
    rows: list[Row] = []
    for index, request in enumerate(table.requests):
        node = request.node
        person, cedar_node = request.cedar_person(), request.cedar_node()
        # Refuses an account or Region the stack doesn't manage, even where `places` answers.
        policies = row_policies(config, request, index, managed, listed)
        places = (
            _everywhere(config, managed, node.region, listed)
            if managed is not None and not node.account and not node.organizational_unit
            else []
        )
        got = (
            _answer_everywhere(config, places, person, cedar_node)
            if places
            else answer(policies, person, cedar_node)
        )
        rows.append(Row(request.name, request.expect, got))
    return rows


def _request_table(config: StackConfig) -> str:
    jit = config.just_in_time_access
    return jit.request_table if jit is not None else ""


def _request_table_path(project_dir: Path, config: StackConfig) -> Path:
    """The request table's file, kept in the stack file's directory like `policyFile`s: a
    stack file (from a pull request) must not read files from elsewhere on the machine."""
    path = project_dir / _request_table(config)
    if not path.resolve().is_relative_to(project_dir.resolve()):
        raise PlanError(
            f"session-manager:justInTimeAccess.requestTable: {_request_table(config)!r} is "
            f"outside the stack file's directory ({project_dir}); keep the table in it"
        )
    return path


def check_stack(project_dir: Path, stack: str, ou_accounts: Sequence[str] = ()) -> list[Row]:
    """Every row of the stack's request table with the answer its policies give."""
    config = stack_jit(project_dir, stack)
    if config is None or config.just_in_time_access is None:
        raise PlanError(f"Pulumi.{stack}.yaml sets no session-manager:justInTimeAccess")
    if not _request_table(config):
        raise PlanError(
            "session-manager:justInTimeAccess.requestTable is not set: name the YAML file of "
            "access requests (relative to the stack file) that `jit check` answers"
        )
    return table_answers(config, read_table(_request_table_path(project_dir, config)), ou_accounts)


__all__ = [
    "ANSWERS_KEY",
    "Answer",
    "ConfigError",
    "PlanError",
    "Row",
    "answer",
    "answer_flips",
    "check_stack",
    "plan_answers",
    "table_answers",
]


# `plan --json` carries the table's answers under this key, so `plan --diff` can show
# which answers a change flips.
ANSWERS_KEY = "justInTimeAnswers"


def plan_answers(
    project_dir: Path, stack: str, ou_accounts: Sequence[str] = ()
) -> dict[str, dict[str, str]]:
    """`{ANSWERS_KEY: {row: answer}}` for a stack with a request table, else `{}`."""
    config = stack_jit(project_dir, stack)
    if config is None or not _request_table(config):
        return {}
    rows = table_answers(config, read_table(_request_table_path(project_dir, config)), ou_accounts)
    return {ANSWERS_KEY: {row.name: row.got.text for row in rows}}


def answer_flips(base: object, head: dict[str, dict[str, str]]) -> list[str]:
    """The requests whose answer differs between a base `plan --json` and this plan."""
    found = cast(dict[str, Any], base).get(ANSWERS_KEY) if isinstance(base, dict) else None
    before = (
        {str(k): str(v) for k, v in cast(dict[Any, Any], found).items()}
        if (isinstance(found, dict))
        else {}
    )
    after = head.get(ANSWERS_KEY, {})
    lines = [
        f"~ access request {name!r}: {before[name]} -> {after[name]}"
        for name in sorted(set(before) & set(after))
        if before[name] != after[name]
    ]
    lines += [
        f"+ access request {name!r}: {after[name]}" for name in sorted(set(after) - set(before))
    ]
    lines += [
        f"- access request {name!r}: was {before[name]}"
        for name in sorted(set(before) - set(after))
    ]
    return lines
