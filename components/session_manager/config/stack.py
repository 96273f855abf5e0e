"""`StackConfig`: everything under the `session-manager` namespace of a stack.

It sits on top of the other config modules and imports them; nothing imports it but
loading and the layers above config.
"""

from __future__ import annotations

from typing import Any, cast

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from session_manager.aws import defaults
from session_manager.aws.parameter_references import document_parameter_names, reference_problem
from session_manager.aws.rules import (
    partition_of_region,
)
from session_manager.config.account_events import AccountEvents
from session_manager.config.documents import CustomDocument
from session_manager.config.errors import Problem, raise_problems
from session_manager.config.fields import (
    ConfigModel,
    Flag,
    check_account,
    check_document_name,
    check_regions,
    check_role_name,
)
from session_manager.config.jit import JustInTimeAccess, policy_set_problems
from session_manager.config.messages import nested_message, path_text
from session_manager.config.organization import CentralLogging, Target
from session_manager.config.people import AccessPolicies
from session_manager.config.preferences import Preferences
from session_manager.config.resources import (
    InstanceAccess,
    LogGroup,
    S3Logging,
    SessionDataKey,
    VpcEndpoints,
)
from session_manager.config.shards import Shards

# A target's justInTimeAccess keys, as policy_set_problems names them.
_JIT_FIELDS = {"autoApproval": "auto_approval", "manualApprovals": "manual_approvals"}


class StackConfig(ConfigModel):
    """Everything under the `session-manager` namespace of a stack."""

    regions: list[str] = Field(
        default_factory=list[str],
        description="Regions to manage in the account. Default: `aws:region`.",
    )
    preferences: Preferences = Field(
        default=Preferences(),
        description="The Session document's inputs, with AWS's names (see below).",
    )
    document_name: str = Field(
        default=defaults.DEFAULT_DOCUMENT_NAME,
        description=(
            "Name of the preferences document. Another name makes a custom preferences "
            "document for `--document-name`."
        ),
    )
    document_description: str = Field(
        default=defaults.DEFAULT_DOCUMENT_DESCRIPTION,
        description="Description written into the document.",
    )
    retain_document_on_delete: Flag = Field(
        default=True,
        description=(
            "Keep the document in AWS when it leaves the stack (destroy, Region removed). "
            "Set false to let `pulumi destroy` delete it."
        ),
    )
    session_data_key: SessionDataKey = Field(
        default=SessionDataKey(), description="KMS key for session data (see below)."
    )
    log_group: LogGroup = Field(
        default=LogGroup(), description="CloudWatch Logs log group (see below)."
    )
    s3_logging: S3Logging = Field(
        default=S3Logging(), description="Options for S3 session logs (see below)."
    )
    instance_access: InstanceAccess = Field(
        default=InstanceAccess(), description="Instance-profile IAM (see below)."
    )
    tags: dict[str, str] = Field(
        default_factory=dict[str, str], description="Tags for every taggable resource."
    )
    targets: list[Target] = Field(
        default_factory=list[Target],
        description=(
            "Accounts and organizational units to manage, each through its own provider. "
            "Empty: the current credentials' account."
        ),
    )
    default_role_name: str = Field(
        default="OrganizationAccountAccessRole",
        description="Role assumed in a target account that names no roleArn or roleName.",
    )
    exclude_accounts: list[str] = Field(
        default_factory=list[str], description="Accounts never managed, even inside a target OU."
    )
    exclude_regions: list[str] = Field(
        default_factory=list[str], description="Regions never managed, in any target."
    )
    offboard_accounts: list[str] = Field(
        default_factory=list[str],
        description=(
            "Accounts to offboard: their IAM (instance and people's), VPC endpoints, key "
            "aliases and documents are no longer kept in AWS when they leave the stack. Run "
            "`pulumi up` once with the account still managed, then remove it from the targets "
            "(or exclude it): that run deletes them. Keys and log groups are always kept."
        ),
    )
    central_logging: CentralLogging | None = Field(
        default=None,
        description="A central session-log bucket in a log-archive account (see below).",
    )
    documents: list[CustomDocument] = Field(
        default_factory=list[CustomDocument],
        description="Custom Session documents for every managed account-Region (see below).",
    )
    access_policies: AccessPolicies = Field(
        default=AccessPolicies(), description="Customer-managed policies for people (see below)."
    )
    vpc_endpoints: list[VpcEndpoints] = Field(
        default_factory=list[VpcEndpoints],
        description="VPC endpoints for nodes in private subnets (see below).",
    )
    just_in_time_access: JustInTimeAccess | None = Field(
        default=None,
        description="Just-in-time node access approval policies, checked with Cedar (see below).",
    )
    account_events: AccountEvents | None = Field(
        default=None,
        description="Deploy when the organization's accounts change (see below).",
    )
    shards: Shards | None = Field(
        default=None,
        description=(
            "Split the targets across `<stack>-shard-<i>` stacks run side by side "
            "(docs/shards.md, see below)."
        ),
    )
    account_events_token: SecretStr | None = Field(
        default=None,
        description=(
            "Token `accountEvents` sends to its endpoint. Set it with `pulumi config set --secret`."
        ),
    )

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return check_regions(value)

    @field_validator("default_role_name")
    @classmethod
    def _default_role(cls, value: str) -> str:
        return check_role_name(value)

    @field_validator("exclude_accounts", "offboard_accounts")
    @classmethod
    def _account_lists(cls, value: list[str]) -> list[str]:
        for account in value:
            check_account(account)
        return value

    @field_validator("offboard_accounts")
    @classmethod
    def _offboard_once(cls, value: list[str]) -> list[str]:
        # Each entry is a deliberate act of deletion: a repeat is a slip, not a second account.
        duplicates = sorted({account for account in value if value.count(account) > 1})
        if duplicates:
            raise PydanticCustomError(
                "account_id", "lists {got} more than once", {"got": ", ".join(duplicates)}
            )
        return value

    @field_validator("exclude_regions")
    @classmethod
    def _excluded_regions(cls, value: list[str]) -> list[str]:
        return check_regions(value)

    @field_validator("document_name")
    @classmethod
    def _document_name(cls, value: str) -> str:
        return check_document_name(value)

    @model_validator(mode="after")
    def _wiring(self) -> StackConfig:
        problems: list[Problem] = self._wiring_problems(self.preferences, ("preferences",))
        for index, target in enumerate(self.targets):
            where = ("targets", index, "preferences")
            try:
                merged = self.preferences_for(target)
            except ValidationError as exc:
                for error in exc.errors(include_url=False):
                    problems.append(((*where, *error["loc"]), nested_message(Preferences, error)))
                continue
            if target.preferences:
                problems += self._wiring_problems(merged, where)
        names = [self.document_name]
        for index, document in enumerate(self.documents):
            if document.name in names:
                problems.append(
                    (
                        ("documents", index, "name"),
                        f"{document.name!r} names another managed document too",
                    )
                )
            names.append(document.name)
        problems += self._jit_problems(names)
        guard = self.access_policies.preferences_guard
        if guard.create and not guard.deployer_role_arns and not self.targets:
            problems.append(
                (
                    ("accessPolicies", "preferencesGuard", "deployerRoleArns"),
                    "needs at least one role, or the guard would lock out every deployer",
                )
            )
        for index, endpoints in enumerate(self.vpc_endpoints):
            if self.targets and not endpoints.account:
                problems.append((("vpcEndpoints", index, "account"), "is required with targets"))
            regions = {
                region for t in self.targets for region in (t.regions or self.regions)
            } or set(self.regions)
            if endpoints.region not in regions:
                problems.append(
                    (
                        ("vpcEndpoints", index, "region"),
                        f"{endpoints.region} is not a managed Region",
                    )
                )
        if self.central_logging is not None:
            if self.preferences.s3_bucket_name:
                problems.append(
                    (
                        ("preferences", "s3BucketName"),
                        "must be empty with centralLogging, which names the bucket",
                    )
                )
            if not self.targets:
                problems.append(
                    (
                        ("centralLogging",),
                        "needs targets: it serves the accounts of an organization",
                    )
                )
        moved = [i for i, t in enumerate(self.targets) if t.moved_from_account_stack]
        problems += [
            (
                ("targets", index, "movedFromAccountStack"),
                f"is also set on targets[{moved[0]}]: both would claim the same old names "
                "(`session-manager-<region>-...`); move one account stack at a time",
            )
            for index in moved[1:]
        ]
        if self.shards is not None and not self.targets:
            problems.append(
                (("shards",), "needs targets: it splits the accounts of an organization")
            )
        problems += self._account_events_problems()
        problems += self._parameter_reference_problems()
        raise_problems(problems)
        return self

    @property
    def account_events_token_text(self) -> str:
        """The token, or the offline plan's placeholder for one it cannot decrypt."""
        token: SecretStr | str | None = self.account_events_token
        return token.get_secret_value() if isinstance(token, SecretStr) else (token or "")

    def jit_for(self, target: Target) -> JustInTimeAccess | None:
        """The approval policies of a target's account-Regions: its own keys, else the stack's."""
        own = target.just_in_time_access
        if own is None:
            return self.just_in_time_access
        return (self.just_in_time_access or JustInTimeAccess()).overridden(own)

    def jit_at(
        self, account: str = "", region: str = "", organizational_unit: str = ""
    ) -> JustInTimeAccess | None:
        """The policies that apply in an account-Region: an account target's that has the
        Region, else the named organizational unit target's, else the stack's.

        Raises ValueError when the answer would depend on Organizations: an account no
        account target names, while an organizational unit target has policies of its own.
        """

        def has_region(target: Target) -> bool:
            return not region or region in (target.regions or self.regions)

        for target in self.targets:
            if account and target.account == account and has_region(target):
                return self.jit_for(target)
        if organizational_unit:
            for target in self.targets:
                if target.organizational_unit == organizational_unit and has_region(target):
                    return self.jit_for(target)
            raise ValueError(
                f"no target names organizationalUnit {organizational_unit}"
                + (f" in {region}" if region else "")
            )
        if account and any(t.organizational_unit and t.just_in_time_access for t in self.targets):
            raise ValueError(
                f"no account target names {account}"
                + (f" in {region}" if region else "")
                + ", and an organizationalUnit target has policies of its own: name the "
                "node's organizationalUnit too (offline, which OU holds an account is unknown)"
            )
        return self.just_in_time_access

    def _jit_problems(self, document_names: list[str]) -> list[Problem]:
        """Each account-Region's policies together, and their names against the managed
        documents of every account-Region."""
        # Each set with the keys it sets itself: a key a target leaves to the stack is
        # reported once, at the stack's key (not at a target path that doesn't hold it).
        sets: list[tuple[tuple[str | int, ...], JustInTimeAccess | None, set[str]]] = [
            (("justInTimeAccess",), self.just_in_time_access, set(_JIT_FIELDS.values()))
        ]
        problems: list[Problem] = []
        for index, target in enumerate(self.targets):
            if target.just_in_time_access is None:
                continue
            where: tuple[str | int, ...] = ("targets", index, "justInTimeAccess")
            merged = self.jit_for(target)
            assert merged is not None
            production = merged.production_tags
            problems += [
                ((*where, *loc), message)
                for loc, message in policy_set_problems(
                    merged.auto_approval, merged.manual_approvals, production
                )
                # A key the target leaves to the stack was checked there already.
                if _JIT_FIELDS.get(str(loc[0])) in target.just_in_time_access.model_fields_set
            ]
            sets.append((where, merged, set(target.just_in_time_access.model_fields_set)))
        described = {self.document_name: "the Session preferences document (documentName)"}
        for index, document in enumerate(self.documents):
            described.setdefault(document.name, f"the custom Session document documents[{index}]")
        for where, jit, own in sets:
            if jit is None:
                continue
            named: list[tuple[tuple[str | int, ...], str]] = []
            if "manual_approvals" in own:
                named += [
                    (("manualApprovals", i, "name"), m.name)
                    for i, m in enumerate(jit.manual_approvals)
                ]
            if jit.auto_approval is not None and "auto_approval" in own:
                named.insert(0, (("autoApproval", "name"), jit.auto_approval.name))
            problems += [
                (
                    (*where, *key),
                    f"{name!r} is the name of {described[name]}; a document name is unique "
                    "in the account and Region: name the approval policy otherwise",
                )
                for key, name in named
                if name in document_names
            ]
        return problems

    def _account_events_problems(self) -> list[Problem]:
        if self.account_events is None:
            return []
        problems: list[Problem] = []
        if not any(target.organizational_unit for target in self.targets):
            problems.append(
                (
                    ("accountEvents",),
                    "needs an organizationalUnit target: it follows the accounts of "
                    "organizational units",
                )
            )
        if not self.account_events_token_text:
            problems.append(
                (
                    ("accountEventsToken",),
                    "is required with accountEvents: pulumi config set --secret "
                    "session-manager:accountEventsToken <token>",
                )
            )
        return problems

    def _parameter_reference_problems(self) -> list[Problem]:
        """`{{ssm:arn:...}}` references the instance policy could not grant."""
        if not self.regions:
            return []  # the loader fills them from aws:region; a bare model has none
        partition = partition_of_region(self.regions[0]).name
        contents: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
            (("documents", index, "content"), document.content)
            for index, document in enumerate(self.documents)
        ]
        contents.append((("preferences",), {"inputs": self.preferences.model_dump(by_alias=True)}))
        contents += [
            (("targets", index, "preferences"), {"inputs": target.preferences})
            for index, target in enumerate(self.targets)
            if target.preferences
        ]
        problems: list[Problem] = []
        for where, content in contents:
            for name in document_parameter_names(content):
                problem = reference_problem(name, partition)
                if problem:
                    problems.append((where, f"references {problem}"))
        return problems

    def _wiring_problems(self, prefs: Preferences, where: tuple[str | int, ...]) -> list[Problem]:
        problems: list[Problem] = []
        prefs_path = path_text(StackConfig, where)
        if self.session_data_key.create and prefs.kms_key_id:
            problems.append(
                (
                    ("sessionDataKey", "create"),
                    f"is true but {prefs_path}.kmsKeyId already names a key; set only one",
                )
            )
        if (
            self.creates_log_group(prefs)
            and prefs.cloud_watch_encryption_enabled
            and self.log_group.create_kms_key is False
            and not self.log_group.kms_key_id
        ):
            problems.append(
                (
                    ("logGroup", "createKmsKey"),
                    f"is false, but {prefs_path}.cloudWatchEncryptionEnabled is true and "
                    "sessions fail to start on an unencrypted log group; set logGroup.kmsKeyId, "
                    "or logGroup.createKmsKey: true",
                )
            )
        if (
            self.s3_logging.append_account_and_region
            and not prefs.s3_bucket_name
            and self.central_logging is None
        ):
            problems.append(
                (
                    ("s3Logging", "appendAccountAndRegion"),
                    f"needs {prefs_path}.s3BucketName to be set",
                )
            )
        return problems

    def preferences_for(self, target: Target) -> Preferences:
        """The stack's preferences with a target's overrides (shellProfile merged per OS)."""
        if not target.preferences:
            return self.preferences
        merged = self.preferences.model_dump(by_alias=True)
        for key, value in target.preferences.items():
            if key == "shellProfile" and isinstance(value, dict):
                merged[key] = {**merged[key], **cast(dict[str, Any], value)}
            else:
                merged[key] = value
        return Preferences.model_validate(merged)

    def creates_session_data_key(self, prefs: Preferences | None = None) -> bool:
        create = self.session_data_key.create
        prefs = prefs or self.preferences
        return (not prefs.kms_key_id) if create is None else create

    def creates_log_group(self, prefs: Preferences | None = None) -> bool:
        create = self.log_group.create
        prefs = prefs or self.preferences
        return (not prefs.cloud_watch_log_group_name) if create is None else create

    def vpc_endpoint_services(self, prefs: Preferences) -> list[str]:
        """The interface endpoints a Region's preferences need besides the core three."""
        services: list[str] = []
        if prefs.cloud_watch_log_group_name or self.creates_log_group(prefs):
            services.append("logs")
        if prefs.kms_key_id or self.creates_session_data_key(prefs):
            services.append("kms")
        return services
