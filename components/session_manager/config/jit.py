"""`justInTimeAccess`: just-in-time node access approval policies, checked with Cedar.

The auto-approval and deny-access policies are Cedar text, validated statement by
statement with Cedar's own engine against the schema AWS documents; manual approval
policies are tag targets and levels of approvers. Limits and rules: aws/jit.py.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Generator
from contextvars import ContextVar
from itertools import product
from pathlib import Path
from typing import Any, ClassVar, cast

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from session_manager.aws.jit import (
    ACCESS_DURATION_HOURS,
    APPROVER_TYPES,
    AUTO_APPROVAL_EFFECT,
    DENY_ACCESS_EFFECT,
    MANUAL_POLICIES_PER_ACCOUNT_REGION,
    MAX_APPROVAL_LEVELS,
    MAX_APPROVERS_PER_LEVEL,
    NODE_TYPES,
    PRINCIPAL_ATTRIBUTES,
    ManualPolicy,
    Tag,
    overlapping_targets,
    undeployable_reason,
)
from session_manager.config.cedar import (
    STATEMENT_STRUCTURE_URL,
    Node,
    Person,
    permits,
    policy_problems,
    undocumented_grammar,
)
from session_manager.config.errors import Problem, raise_problems
from session_manager.config.fields import (
    AccountId,
    ConfigModel,
    WholeNumber,
    check_document_name,
    check_range,
    check_regions,
)

DEFAULT_AUTO_APPROVAL_NAME = "session-manager-auto-approval"


# The directory policy files are read from: the stack file's. The Pulumi program runs in
# the project directory, which holds the stack file; the offline plan and `jit check`
# name it (`policy_files_from`).
_STACK_DIR: ContextVar[Path | None] = ContextVar("session_manager_stack_dir", default=None)


@contextlib.contextmanager
def policy_files_from(stack_dir: Path) -> Generator[None]:
    """Within: `policyFile` paths are relative to `stack_dir`."""
    token = _STACK_DIR.set(stack_dir)
    try:
        yield
    finally:
        _STACK_DIR.reset(token)


def read_policy_file(path: str) -> str:
    """The text of a policy file, relative to the stack file's directory."""
    base = _STACK_DIR.get() or Path.cwd()
    full = base / path
    if not full.resolve().is_relative_to(base.resolve()):
        # A stack file (from a pull request) must not read files from elsewhere on the
        # machine that runs the plan or `pulumi up`.
        raise PydanticCustomError(
            "policy_file",
            "{got} is outside the stack file's directory ({where}); keep policy files in it",
            {"got": repr(path), "where": str(base)},
        )
    if full.is_dir():
        raise PydanticCustomError(
            "policy_file", "{got} is a directory; name the file of Cedar text", {"got": repr(path)}
        )
    try:
        text = full.read_bytes().decode("utf-8")
        # Editors on Windows write a UTF-8 byte order mark; Cedar's parser refuses it.
        return text.removeprefix("\ufeff")
    except FileNotFoundError:
        raise PydanticCustomError(
            "policy_file",
            "{got}: no such file (relative to the stack file's directory, {where})",
            {"got": repr(path), "where": str(full.parent)},
        ) from None
    except UnicodeDecodeError as exc:
        line = full.read_bytes()[: exc.start].count(b"\n") + 1
        raise PydanticCustomError(
            "policy_file",
            "{got} is not UTF-8 text (line {line}); Cedar policies are UTF-8",
            {"got": repr(path), "line": line},
        ) from None
    except OSError as exc:
        raise PydanticCustomError(
            "policy_file", "{got}: cannot read it: {why}", {"got": repr(path), "why": str(exc)}
        ) from None


class CedarPolicy(ConfigModel):
    """Cedar text, inline (`policy`) or from a file (`policyFile`), checked with Cedar."""

    # Set by each policy type: the one effect its statements may have, and its key.
    effect: ClassVar[str] = ""
    key: ClassVar[str] = ""

    policy_file: str = Field(
        default="",
        description=(
            "File of Cedar text, relative to the stack file's directory (instead of `policy`); "
            "errors name its own lines."
        ),
    )
    policy: str = Field(default="", description="Cedar text (or `policyFile`).")

    @model_validator(mode="before")
    @classmethod
    def _from_file(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        raw = cast(dict[str, Any], data)
        path = raw.get("policyFile", raw.get("policy_file"))
        if not path:
            if not raw.get("policy"):
                raise PydanticCustomError(
                    "policy", "set policy (Cedar text) or policyFile (its file)"
                )
            return raw
        if raw.get("policy"):
            raise PydanticCustomError(
                "policy_and_file", "set policy or policyFile, not both: policyFile holds the text"
            )
        return {**raw, "policy": read_policy_file(str(path))}

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        path = info.data.get("policy_file", "")
        if path:
            # As written: the strip every config text gets would move the file's lines.
            value = read_policy_file(path)
        where = f"{cls.key}.policyFile {path!r}" if path else f"{cls.key}.policy"
        problems = policy_problems(value, effect=cls.effect, where=where)
        if problems:
            raise PydanticCustomError(
                "cedar",
                "is not a valid just-in-time access policy for AWS's Cedar schema: {problems}",
                {"problems": "; ".join(problems)},
            )
        return value

    def grammar_warnings(self, prefix: str) -> list[str]:
        """What the policy uses beyond AWS's documented statement structure, each with its
        line (config/cedar.py undocumented_grammar)."""
        where = (
            f"{prefix}.{self.key}.policyFile {self.policy_file!r}"
            if self.policy_file
            else f"{prefix}.{self.key}.policy"
        )
        return [
            f"{where}: line {line}: {construct} is outside the Cedar grammar AWS documents "
            "for just-in-time node access policies (an effect, the scope (principal, action, "
            f"resource), `when` conditions; {STATEMENT_STRUCTURE_URL}): whether AWS accepts "
            "it is unverified, and `jit check` answers with Cedar's own reading"
            for line, construct in undocumented_grammar(self.policy)
        ]


class AutoApproval(CedarPolicy):
    """The auto-approval policy, one per account and Region (AWS's limit)."""

    effect = AUTO_APPROVAL_EFFECT
    key = "autoApproval"

    name: str = Field(default=DEFAULT_AUTO_APPROVAL_NAME, description="Document name.")
    policy: str = Field(
        default="",
        description=(
            "Cedar `permit` statements for `getTokenForInstanceAccess` (auto-approved access "
            "lasts 1 hour); or `policyFile`."
        ),
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_document_name(value)


class DenyAccess(CedarPolicy):
    """The organization's deny-access policy, from its management or delegated admin account."""

    effect = DENY_ACCESS_EFFECT
    key = "denyAccess"

    account: AccountId = Field(description="The management or delegated administrator account.")
    region: str = Field(description="The Region it is created in (AWS replicates it).")
    policy: str = Field(
        default="",
        description=(
            "Cedar `forbid` statements: matched requests are never auto-approved; or `policyFile`."
        ),
    )

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_regions([value])[0]


class Approver(ConfigModel):
    """An approver: an IAM Identity Center user or group, or an IAM user (AWS: not a role)."""

    type: str = Field(description="IdentityStoreUser, IdentityStoreGroup or IamUser.")
    id: str = Field(description="The user's or group's id, or the IAM user's name.")

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in APPROVER_TYPES:
            raise PydanticCustomError(
                "approver_type",
                "{got} is not an approver type; AWS lets these approve: {allowed}",
                {
                    "got": repr(value),
                    "allowed": ", ".join(f"{k} ({v})" for k, v in APPROVER_TYPES.items()),
                },
            )
        return value


class TagTarget(ConfigModel):
    """A node tag key-value pair."""

    key: str = Field(description="Tag key.")
    value: str = Field(description="Tag value.")


class ApprovalLevel(ConfigModel):
    """One level of approvers: one of them approves for the level."""

    approvers: list[Approver] = Field(description="1 to 5 approvers.")

    @field_validator("approvers")
    @classmethod
    def _approvers(cls, value: list[Approver]) -> list[Approver]:
        if not 1 <= len(value) <= MAX_APPROVERS_PER_LEVEL:
            raise PydanticCustomError(
                "approvers",
                "needs 1 to {most} approvers, got {got}",
                {"most": MAX_APPROVERS_PER_LEVEL, "got": len(value)},
            )
        seen = [(a.type, a.id) for a in value]
        twice = sorted({f"{kind} {ident}" for kind, ident in seen if seen.count((kind, ident)) > 1})
        if twice:
            raise PydanticCustomError(
                "approvers",
                "{twice} is listed twice; a level's approvers are distinct (one of them approves "
                "for the level)",
                {"twice": ", ".join(twice)},
            )
        return value


class ManualApproval(ConfigModel):
    """A manual approval policy: who approves access to the nodes with these tags."""

    name: str = Field(
        description="Policy name: its ManualApprovalPolicy document's, unique in the stack."
    )
    description: str = Field(default="", description="The document's description.")
    access_duration_hours: WholeNumber = Field(
        description="How long approved access lasts, 1-336 hours (AWS has no default)."
    )
    targets: list[TagTarget] = Field(
        default_factory=list[TagTarget],
        description="Node tags it applies to (any of them); empty: every node.",
    )
    levels: list[ApprovalLevel] = Field(
        description="Levels of approvers, in order; one approval from each level."
    )

    @field_validator("access_duration_hours")
    @classmethod
    def _duration(cls, value: int) -> int:
        return check_range(value, *ACCESS_DURATION_HOURS, "hours")

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[ApprovalLevel]) -> list[ApprovalLevel]:
        if not 1 <= len(value) <= MAX_APPROVAL_LEVELS:
            raise PydanticCustomError(
                "levels",
                "needs 1 to {most} levels of approvers, got {got}",
                {"most": MAX_APPROVAL_LEVELS, "got": len(value)},
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_document_name(value)

    @property
    def tags(self) -> list[Tag]:
        return [(target.key, target.value) for target in self.targets]

    def document(self) -> ManualPolicy:
        """What its ManualApprovalPolicy document holds."""
        return ManualPolicy(
            name=self.name,
            access_duration_hours=self.access_duration_hours,
            targets=tuple(self.tags),
            levels=tuple(tuple((a.type, a.id) for a in level.approvers) for level in self.levels),
            description=self.description,
        )


def policy_set_problems(
    auto_approval: AutoApproval | None,
    manual_approvals: list[ManualApproval],
    production_tags: dict[str, list[str]],
) -> list[Problem]:
    """The rules one account-Region's policies must keep together."""
    problems: list[Problem] = []
    if len(manual_approvals) > MANUAL_POLICIES_PER_ACCOUNT_REGION:
        problems.append(
            (
                ("manualApprovals",),
                f"has {len(manual_approvals)} policies; AWS allows "
                f"{MANUAL_POLICIES_PER_ACCOUNT_REGION} per account and Region",
            )
        )
    names = [policy.name for policy in manual_approvals]
    problems += [
        (("manualApprovals", index, "name"), f"{name!r} names another manual policy too")
        for index, name in enumerate(names)
        if name in names[:index]
    ]
    if auto_approval is not None and auto_approval.name in names:
        problems.append(
            (
                ("manualApprovals", names.index(auto_approval.name), "name"),
                f"{auto_approval.name!r} names the auto-approval policy's document too",
            )
        )
    every_node = [i for i, p in enumerate(manual_approvals) if not p.targets]
    problems += [
        (
            ("manualApprovals", index, "targets"),
            f"is empty, like manualApprovals[{every_node[0]}]'s: two policies for every "
            "node make every access request fail",
        )
        for index in every_node[1:]
    ]
    tagged = [(i, sorted(set(p.tags))) for i, p in enumerate(manual_approvals) if p.targets]
    problems += [
        (
            ("manualApprovals", index, "targets"),
            f"are manualApprovals[{first}]'s targets too: two policies for the same nodes make "
            "every access request to them fail",
        )
        for position, (index, tags) in enumerate(tagged)
        for first, earlier in tagged[:position]
        if earlier == tags
    ]
    if auto_approval is not None:
        problems += _open_production_problems(auto_approval.policy, production_tags)
    return problems


# A value nobody's policy names: a person whose every attribute and principal tag holds
# it is "anyone who has the attribute or tag", not someone the policy picked.
_FRESH = "jit-check-anyone"
_TAG_NAME = re.compile(r'\b(?:hasTag|getTag)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)')


def _anyone(policy: str) -> list[tuple[str, Person]]:
    """The people an auto-approval must not admit to production: one with nothing (no
    group, no attribute, no principal tag), and one with a fresh group, every attribute of
    AWS's schema and every tag key the policy names set to a fresh value (so `principal has
    costCenter`, `principal.employeeNumber like "*"` or `principalTags.hasTag("Team")`
    admits them)."""
    tag_keys = sorted(set(_TAG_NAME.findall(policy)))
    return [
        ("no group, no attribute", Person(user="anyone")),
        (
            "any group, any attribute or principal tag value",
            Person(
                user="anyone-with-attributes",
                groups=(_FRESH,),
                attributes=dict.fromkeys(PRINCIPAL_ATTRIBUTES, _FRESH),
                principal_tags=dict.fromkeys(tag_keys, _FRESH),
            ),
        ),
    ]


def production_values(values: list[str]) -> list[str]:
    """The tag values tried for `productionTags`: each as written, lower-case, upper-case
    and capitalized (Cedar's `==` is case-sensitive, and AWS's own examples write
    `Production`)."""
    tried: list[str] = []
    for value in values:
        for variant in (value, value.lower(), value.upper(), value.capitalize()):
            if variant not in tried:
                tried.append(variant)
    return tried


_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _production_node_tags(policy: str, key: str, value: str) -> dict[str, str]:
    """A production node's tags: `key=value` and every other tag key the policy names
    with a value nobody names, so `resource.hasTag("Owner")` or `resource.getTag("Owner")
    != "security"` doesn't make an open policy look scoped."""
    return dict.fromkeys(_TAG_NAME.findall(policy), _FRESH) | {key: value}


def _open_production_problems(policy: str, production_tags: dict[str, list[str]]) -> list[Problem]:
    """An auto-approval that admits anyone (or anyone with some attribute) to production.

    A key with no values marks production by the key alone (AWS's examples tag production
    nodes `Production`): every value is tried, a fresh one and each string the policy names."""
    problems: list[Problem] = []
    for key, values in sorted(production_tags.items()):
        tried = production_values(values) if values else [_FRESH, *_STRING.findall(policy)]
        for value in dict.fromkeys(tried):
            # Every node type of AWS's schema: a policy scoped to `resource is
            # AWS::SSM::ManagedInstance` opens hybrid nodes only. A node with only its
            # production tag too: `!resource.hasTag("Owner")` admits that one.
            bare = {key: value}
            for node_type, tags in product(
                NODE_TYPES, (bare, _production_node_tags(policy, key, value))
            ):
                node = Node("production-node", tags, node_type)
                admitted = next((w for w, p in _anyone(policy) if permits(policy, p, node)), None)
                tagged = f"{key}={value}" if values else f"{key} (any value)"
                problem: Problem = (
                    ("autoApproval", "policy"),
                    f"auto-approves every principal ({admitted}) to {node_type} nodes "
                    f"tagged {tagged}; scope it to a group or an attribute value",
                )
                if admitted is not None and problem not in problems:
                    problems.append(problem)
    return problems


class TargetJustInTimeAccess(ConfigModel):
    """A target's own approval policies: each key set here replaces the stack's for the
    target's account-Regions (an account target's, else its organizational unit's, else the
    stack's)."""

    auto_approval: AutoApproval | None = Field(
        default=None,
        description="The auto-approval policy of the target's account-Regions (null: none).",
    )
    manual_approvals: list[ManualApproval] | None = Field(
        default=None,
        description="The manual approval policies of the target's account-Regions ([]: none).",
    )


class JustInTimeAccess(ConfigModel):
    """Just-in-time node access for every managed account-Region; a target's own
    `justInTimeAccess` replaces the auto-approval and manual policies for its accounts."""

    auto_approval: AutoApproval | None = Field(
        default=None, description="The auto-approval policy of every managed account-Region."
    )
    manual_approvals: list[ManualApproval] = Field(
        default_factory=list[ManualApproval],
        description=(
            "Manual approval policies (up to 50 per account-Region), each a "
            "ManualApprovalPolicy document in every managed account-Region."
        ),
    )
    deny_access: DenyAccess | None = Field(
        default=None,
        description=(
            "The organization's deny-access policy (one per organization), checked and "
            "answered by `jit check`; create it from its account (not deployed by the stack)."
        ),
    )
    production_tags: dict[str, list[str]] = Field(
        default_factory=lambda: {"Environment": ["production", "prod"]},
        description=(
            "Tag keys and the values that mark production nodes (each also tried lower-case, "
            "upper-case and capitalized): an auto-approval that lets anyone (no group, no "
            "attribute, or any value of an attribute or principal tag) onto such a node is "
            "refused. An empty list marks production by the key alone (any value)."
        ),
    )
    request_table: str = Field(
        default="",
        description=(
            "YAML file of access requests and their expected answers, relative to the stack "
            "file: `session-manager jit check` evaluates it."
        ),
    )

    @model_validator(mode="after")
    def _rules(self) -> JustInTimeAccess:
        problems = policy_set_problems(
            self.auto_approval, self.manual_approvals, self.production_tags
        )
        if not self.production_tags:
            problems.append(
                (
                    ("productionTags",),
                    "is empty, which would turn the open-production check off; name at least "
                    "one tag key (an empty value list marks production by the key alone)",
                )
            )
        raise_problems(problems)
        return self

    def overridden(self, target: TargetJustInTimeAccess | None) -> JustInTimeAccess:
        """These policies with a target's: each key the target sets replaces the stack's."""
        if target is None:
            return self
        update = {key: getattr(target, key) for key in target.model_fields_set}
        return self.model_copy(update=update)

    def undeployed_warnings(self, where: str) -> list[str]:
        """Manual policies that AWS's documented content can't express: not deployed."""
        return [
            f"{where}.manualApprovals: {policy.name!r} {reason}; `jit check` still answers "
            "with it, but the stack does not deploy it"
            for policy in self.manual_approvals
            if (reason := undeployable_reason(policy.document())) is not None
        ]

    def overlap_warnings(self, where: str = "justInTimeAccess") -> list[str]:
        """Pairs of tag-targeted manual policies that can both apply to one node of one
        account-Region (policies of different account-Regions never meet)."""
        warnings: list[str] = []
        policies = [p for p in self.manual_approvals if p.targets]
        for index, first in enumerate(policies):
            for second in policies[index + 1 :]:
                if sorted(set(first.tags)) == sorted(set(second.tags)):
                    continue  # the same targets: refused (policy_set_problems)
                pair = overlapping_targets(first.tags, second.tags)
                if pair is not None:
                    (key_a, value_a), (key_b, value_b) = pair
                    tagged = f"{key_a}={value_a}" + (
                        "" if (key_a, value_a) == (key_b, value_b) else f" and {key_b}={value_b}"
                    )
                    warnings.append(
                        f"{where}.manualApprovals: {first.name!r} and {second.name!r} "
                        f"both apply to a node tagged {tagged}; AWS fails every access request "
                        "to such a node"
                    )
        return warnings
