"""The offline plan: run the real program under Pulumi's mock runtime.

`python -m session_manager plan --stack dev` reads `Pulumi.yaml` and
`Pulumi.dev.yaml`, runs the project's own `__main__.py` with `AwsMocks`
standing in for AWS, and records every resource the program registers: what
`pulumi up` would create. No network, no credentials, no Pulumi CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import runpy
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await  # pyright: ignore[reportPrivateUsage]

from session_manager.config import secrets as config_secrets
from session_manager.config.errors import NAMESPACE
from session_manager.config.jit import policy_files_from
from session_manager.config.stack_file import (
    StackFileError,
    excerpt,
    missing_stack_file,
    project_config_values,
    project_name,
    read_pulumi_file,
    unknown_stack_file_keys,
)
from session_manager.offline.default_providers import pinned_account, with_default_providers
from session_manager.offline.mocks import PLACEHOLDER_ACCOUNT_ID, AwsMocks
from session_manager.offline.preview import PreviewMocks, mark_unknowns
from session_manager.offline.runtime_tuning import stack_capture_skipped
from session_manager.offline.secret_fingerprints import secret_fingerprints
from session_manager.offline.secret_masks import (
    mask_secret_inputs,
    mask_secret_scalars,
    mask_secrets,
    mask_secure,
    unwrap_secrets,
)
from session_manager.offline.urns import alias_urns, engine_urn
from session_manager.offline.values import replace_placeholders, state_numbers, whole_numbers


class PlanError(Exception):
    """The plan could not run (missing files, unreadable stack config)."""


@dataclass
class PlannedResource:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    provider: str | None
    parent: str | None
    custom: bool
    retain_on_delete: bool = False
    protect: bool = False
    import_id: str | None = None
    # Options the engine's step generator reads (pkg/resource/deploy/step_generator.go):
    # input paths copied from old state before Diff, the URNs this resource may have had
    # before (resolved as collapseAliasToUrn does), and deleteBeforeReplace when set.
    ignore_changes: list[str] = field(default_factory=list[str])
    aliases: list[str] = field(default_factory=list[str])
    delete_before_replace: bool | None = None
    # Input keys whose change replaces the resource whatever its provider says
    # (`replaceOnChanges`; step_generator.go applyReplaceOnChanges), the SDK's own included.
    replace_on_changes: list[str] = field(default_factory=list[str])
    # The `deleted_with` target's URN: its delete stands in for this one's (step.go).
    deleted_with: str | None = None
    # What the mock answered (ids, ARNs): placeholders that the emulator replaces.
    state: dict[str, Any] = field(default_factory=dict[str, Any])
    # Inputs the program made secret: state encrypts them, previews mask them.
    secret_inputs: list[str] = field(default_factory=list[str])
    # URNs this resource waits for: all of them, and those each input's value came from.
    dependencies: list[str] = field(default_factory=list[str])
    input_dependencies: dict[str, list[str]] = field(default_factory=dict[str, list[str]])

    def to_json(self) -> dict[str, Any]:
        data = self._json()
        return data | {"secretInputs": self.secret_inputs} if self.secret_inputs else data

    def _json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "urn": self.urn,
            "inputs": self.inputs,
            "provider": self.provider,
            "parent": self.parent,
            "options": {
                "retainOnDelete": self.retain_on_delete,
                "protect": self.protect,
                "ignoreChanges": self.ignore_changes,
                "aliases": self.aliases,
                "deleteBeforeReplace": self.delete_before_replace,
                "replaceOnChanges": self.replace_on_changes,
                "deletedWith": self.deleted_with,
            },
        }


NATIVE_PROVIDER = "pulumi:providers:aws-native"


def _one_role(raw: Any) -> str:
    """The role ARN of an aws-native provider's `assumeRole` (JSON text or a dict), or ""."""
    parsed: Any = json.loads(raw) if isinstance(raw, str) and raw else raw
    if not isinstance(parsed, dict):
        return ""
    return str(cast(dict[str, Any], parsed).get("roleArn") or "")


@dataclass
class Plan:
    stack: str
    project: str
    resources: list[PlannedResource] = field(default_factory=list[PlannedResource])
    outputs: dict[str, Any] = field(default_factory=dict[str, Any])
    result: Any = None
    warnings: list[str] = field(default_factory=list[str])
    # As a first `pulumi preview` sees it: computed outputs unknown (offline/preview.py).
    preview: bool = False
    # Ids, ARNs and accounts the mocks made up (offline/invented.py).
    invented: set[str] = field(default_factory=set[str])
    # What each component passed to register_outputs, by URN, as the SDK sent it (a Struct).
    registered_outputs: dict[str, Any] = field(default_factory=dict[str, Any])
    # Secret config key -> digest of its ciphertext (offline/secret_fingerprints.py).
    secret_config: dict[str, str] = field(default_factory=dict[str, str])
    # A shard's reads from the shared stack (central key, alias, provider), for verify.
    referenced: list[PlannedResource] = field(default_factory=list[PlannedResource])

    def to_json(self) -> dict[str, Any]:
        data = {
            "stack": self.stack,
            "project": self.project,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "warnings": self.warnings,
        } | ({"secretConfig": self.secret_config} if self.secret_config else {})
        return data | {"preview": True} if self.preview else data

    def of_type(self, typ: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == typ]

    def provider_of(self, resource: PlannedResource) -> PlannedResource | None:
        """The explicit provider a resource uses, or None for the engine's default one.

        An aws-native provider (the just-in-time documents') assumes one role, `assumeRole`:
        the pulumi-aws provider of the same account and role stands for it, so its
        resources are read in the same account-Region as the rest.
        """
        for candidate in self.resources:
            if candidate.urn != resource.provider:
                continue
            if candidate.inputs.get("assumeRoles"):
                return candidate
            role = _one_role(candidate.inputs.get("assumeRole"))
            if role:
                return self._aws_provider_like(candidate, role)
        return None

    def _aws_provider_like(self, native: PlannedResource, role: str) -> PlannedResource:
        accounts = native.inputs.get("allowedAccountIds")
        for candidate in self.resources:
            roles = candidate.inputs.get("assumeRoles")
            parsed: Any = json.loads(roles) if isinstance(roles, str) else roles
            if (
                parsed
                and str(parsed[0].get("roleArn")) == role
                and candidate.inputs.get("allowedAccountIds") == accounts
            ):
                return candidate
        raw = native.inputs["assumeRole"]
        return replace(
            native,
            inputs={
                **native.inputs,
                "assumeRoles": [json.loads(raw) if isinstance(raw, str) else raw],
            },
        )

    def region_of(self, resource: PlannedResource) -> str:
        """A resource's Region: its `region` input, else its aws-native provider's (aws-native
        has no per-resource Region); "" when neither says."""
        if resource.inputs.get("region"):
            return str(resource.inputs["region"])
        for candidate in self.resources:
            if candidate.urn == resource.provider and candidate.type == NATIVE_PROVIDER:
                return str(candidate.inputs.get("region") or "")
        return ""

    def named(self, name: str) -> PlannedResource:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _Capturing(pulumi.runtime.Mocks):
    """Passes calls to the real mocks and keeps, per thread, what the last resource got.

    The SDK's mock monitor deserializes a registration's inputs once and hands
    them to `new_resource` in the same thread, so the monitor reads them from
    here instead of deserializing them again.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        self.mocks = mocks
        self.last = threading.local()

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = cast(
            tuple[str | None, dict[str, Any]],
            self.mocks.new_resource(args),  # pyright: ignore[reportUnknownMemberType]
        )
        self.last.inputs = args.inputs  # pyright: ignore[reportUnknownMemberType]
        self.last.state = state
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        return self.mocks.call(args)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also records parents, providers and resource options."""

    def __init__(
        self,
        mocks: pulumi.runtime.Mocks,
        stack: str,
        project: str,
        *,
        preview: bool = False,
        secrets: frozenset[config_secrets.SecretLeaf] = frozenset(),
    ) -> None:
        self.capturing = _Capturing(mocks)
        super().__init__(self.capturing)
        # Not pulumi.get_stack()/get_project(): contextvars from pulumi 3.211 on, which the
        # mock runtime's worker threads don't inherit (they read "stack" and "project").
        self.stack, self.project = stack, project
        self.planned: list[PlannedResource] = []
        self.preview = preview
        # Secret config values: never printed, whatever input shows them.
        self.secrets = secrets
        self.masking = config_secrets.masking(secrets)
        self.custom_urns: set[str] = set()
        self.registered_outputs: dict[str, Any] = {}
        # The mock runtime gives each worker thread its own event loop and never closes
        # them: closed after the run, so exit is quiet. By thread, looked up once each.
        self.thread_loops: dict[int, asyncio.AbstractEventLoop] = {}

    def _track_thread_loop(self) -> None:
        thread = threading.get_ident()
        if thread in self.thread_loops:
            return
        with contextlib.suppress(RuntimeError):
            self.thread_loops[thread] = asyncio.get_event_loop()

    def close_thread_loops(self) -> None:
        for loop in self.thread_loops.values():
            if not loop.is_running() and not loop.is_closed():
                loop.close()
        self.thread_loops.clear()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine's URNs, which users pass to `pulumi up --target` and `pulumi import`.
        return engine_urn(self.stack, self.project, parent or None, type_, name)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().Invoke(request)  # pyright: ignore[reportUnknownMemberType]
        self._track_thread_loop()
        return response

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)  # pyright: ignore[reportUnknownMemberType]
        self._track_thread_loop()
        if request.type == "pulumi:pulumi:Stack":
            return response
        # A provider reference is "<provider urn>::<provider id>".
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        raw_inputs: dict[str, Any] = self.capturing.last.inputs or {}
        numbered_inputs = whole_numbers(raw_inputs)
        inputs, secret_inputs = unwrap_secrets(numbered_inputs)
        if secret_inputs:
            inputs = mask_secret_inputs(inputs, secret_inputs)
        inputs = replace_placeholders(inputs, self.masking) if self.masking else inputs
        if secret_inputs and self.secrets:
            inputs = mask_secret_scalars(inputs, self.secrets)
        if self.preview:
            dependencies = {k: list(v.urns) for k, v in request.propertyDependencies.items()}
            inputs = mark_unknowns(inputs, dependencies, self.custom_urns)
        if request.custom:
            self.custom_urns.add(response.urn)
        self.planned.append(
            PlannedResource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                inputs=inputs,
                secret_inputs=secret_inputs,
                provider=provider,
                parent=request.parent or None,
                custom=bool(request.custom),
                retain_on_delete=bool(request.retainOnDelete),
                protect=bool(request.protect),
                import_id=request.importId or None,
                ignore_changes=list(request.ignoreChanges),
                aliases=alias_urns(
                    request.aliases,
                    stack=self.stack,
                    project=self.project,
                    name=request.name,
                    typ=request.type,
                    parent=request.parent or None,
                ),
                delete_before_replace=(
                    bool(request.deleteBeforeReplace)
                    if request.deleteBeforeReplaceDefined
                    else None
                ),
                replace_on_changes=sorted(request.replaceOnChanges),
                deleted_with=request.deletedWith or None,
                state=mask_secrets(
                    state_numbers(self.capturing.last.state or {}, raw_inputs, numbered_inputs)
                ),
                dependencies=list(request.dependencies),
                input_dependencies={
                    key: list(deps.urns)
                    for key, deps in request.propertyDependencies.items()
                    if deps.urns
                },
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        self.registered_outputs[request.urn] = request.outputs
        return super().RegisterResourceOutputs(request)  # pyright: ignore[reportUnknownMemberType]


def _engine_text(value: Any) -> str:
    """A config value as the Pulumi engine hands it to programs."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:  # `key:` with nothing after it: Pulumi reads an empty string
        return ""
    return str(value)


def _mapping(value: Any, where: str, wanted: str) -> dict[str, Any]:
    """A YAML mapping with text keys (empty when absent), or a PlanError naming `where`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        got = {"str": "text"}.get(type(value).__name__, type(value).__name__)
        raise PlanError(f"{where} must be {wanted}, but it is {got}: {excerpt(value)}")
    mapping = cast(dict[Any, Any], value)
    for key in mapping:
        if not isinstance(key, str):
            raise PlanError(f"{where} has the key {key!r}, which is not text; quote it")
    return cast(dict[str, Any], mapping)


def _read_yaml(path: Path) -> Any:
    """A project or stack file as the Pulumi CLI decodes it; raises PlanError if it can't."""
    try:
        return read_pulumi_file(path)
    except StackFileError as exc:
        raise PlanError(str(exc)) from None


def read_project(project_dir: Path) -> tuple[str, dict[str, Any]]:
    path = project_dir / "Pulumi.yaml"
    if not path.is_file():
        raise PlanError(f"no Pulumi.yaml in {project_dir}")
    loaded = _read_yaml(path)
    project = _mapping(loaded, f"{path.name}", "a mapping with name:, runtime: ...")
    if "name" not in project:
        raise PlanError(f"{path} has no project name")
    try:
        name = project_name(path.name, project)
    except StackFileError as exc:
        raise PlanError(str(exc)) from None
    return name, project


def read_stack_config(project_dir: Path, stack: str) -> tuple[dict[str, str], list[str]]:
    """The stack's config as `ns:key` -> engine text, and the keys that are secret."""
    project_name, project = read_project(project_dir)
    path = project_dir / f"Pulumi.{stack}.yaml"
    missing = missing_stack_file(project_dir, path)
    if missing:
        raise PlanError(missing)
    loaded = _read_yaml(path)
    document = _mapping(loaded, path.name, "a mapping with a config: key")
    unknown = unknown_stack_file_keys(document)
    if unknown:
        raise PlanError(f"{path.name}: " + "; ".join(unknown))
    # Project-level defaults first, then the stack's own values.
    project_config = _mapping(
        project.get("config"), "Pulumi.yaml config:", "a mapping of key: {default: value}"
    )
    try:
        values = project_config_values(project_config)
    except StackFileError as exc:
        raise PlanError(str(exc)) from None
    values.update(
        _mapping(
            document.get("config"), f"{path.name} config:", "a mapping of namespace:key: value"
        )
    )
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        full_key = key if ":" in key else f"{project_name}:{key}"
        masked, secret = mask_secure(value)
        config[full_key] = _engine_text(masked)
        if secret:
            secret_keys.append(full_key)
    return config, secret_keys


def _resolve(value: Any) -> Any:
    return _sync_await(pulumi.Output.from_input(value).future())


def run_plan(
    project_dir: Path,
    stack: str,
    *,
    account_id: str = PLACEHOLDER_ACCOUNT_ID,
    mocks: AwsMocks | None = None,
    config_overrides: Mapping[str, str] | None = None,
    resolve_outputs: bool = True,
    preview: bool = False,
    after: Callable[[], Awaitable[Any]] | None = None,
    config_file: str | None = None,
) -> Plan:
    """Run `project_dir/__main__.py` for `stack` under mocks and return what it registered.

    `after`, if given, runs in the program's event loop once the program has run, and
    what it returns is the plan's `result` (bench/record.py reads the program's Outputs
    there). Errors from the program (such as ConfigError) propagate unchanged.
    `config_file`: the stack whose file holds the config (a shard's `--config-file`).
    """
    project_dir = project_dir.resolve()
    project, _ = read_project(project_dir)
    config, secret_keys = read_stack_config(project_dir, (config_file := config_file or stack))
    config.update(config_overrides or {})
    program = project_dir / "__main__.py"
    if not program.is_file():
        raise PlanError(
            f"no __main__.py in {project_dir}: the plan runs the project's Python program; "
            "point --project-dir at this project's directory, or copy its __main__.py there"
        )

    def run_main() -> Awaitable[Any] | None:
        sys.path.insert(0, str(project_dir))
        try:
            runpy.run_path(str(program), run_name="__main__")
        finally:
            sys.path.remove(str(project_dir))
        # record_program resolves what the program returns, in the program's loop.
        return after() if after else None

    if account_id == PLACEHOLDER_ACCOUNT_ID:
        account_id = pinned_account(config) or account_id
    mocks = mocks or AwsMocks(account_id=account_id, region=config.get("aws:region", "us-east-1"))
    # Policy files are relative to the stack file's directory, as in a real run's cwd.
    with config_secrets.offline_placeholders(), policy_files_from(project_dir):
        plan = record_program(
            run_main,
            project=project,
            stack=stack,
            config=config,
            secret_keys=secret_keys,
            mocks=mocks,
            resolve_outputs=resolve_outputs,
            preview=preview,
        )
    # One line per secret the plan could not decrypt, instead of a format error.
    notes = [
        config_secrets.undecrypted_note(path)
        for key in sorted(secret_keys)
        for path in config_secrets.undecrypted_paths(key, config.get(key))
    ]
    plan.warnings[:0] = notes
    plan.secret_config = secret_fingerprints(project_dir / f"Pulumi.{config_file}.yaml", project)
    return plan


def record_program(
    program: Callable[[], Any],
    *,
    project: str = "session-manager",
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
    mocks: AwsMocks | None = None,
    resolve_outputs: bool = True,
    preview: bool = False,
    stack_file: Mapping[str, Any] | None = None,
) -> Plan:
    """Run any Pulumi program under `AwsMocks` and record what it registers.

    `stack_file` stands for the stack file's `config:` mapping (which values are `secure:`).
    What `program` returns (Outputs, dicts of Outputs) is resolved into `Plan.result`, and
    the stack's exports into `Plan.outputs`."""
    config = dict(config or {})
    mocks = mocks or AwsMocks(region=config.get("aws:region", "us-east-1"))
    answers: pulumi.runtime.Mocks = PreviewMocks(mocks) if preview else mocks
    secrets = config_secrets.secret_leaves(config, secret_keys, NAMESPACE, stack_file)
    monitor = RecordingMonitor(answers, stack, project, preview=preview, secrets=secrets)
    # The program's pulumi.log.warn messages, as `pulumi up` would show them.
    collector = _WarningCollector()
    logger = logging.getLogger(f"session_manager.plan.{id(collector)}")
    logger.propagate = False
    logger.addHandler(collector)
    # A fresh event loop and runtime per run, so runs can follow one another.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Each run gets its own root stack: set_mocks keeps an existing one, exports and all.
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        answers, project=project, stack=stack, preview=preview, monitor=monitor, logger=logger
    )
    pulumi.runtime.set_all_config(config, list(secret_keys))
    returned: list[Any] = []

    def body() -> None:
        with config_secrets.declared_stack_file(stack_file):
            returned.append(program())

    try:
        # Nothing reads the SDK's per-resource stack capture under mocks: skip it.
        with stack_capture_skipped():
            _sync_await(run_pulumi_func(body))
        root = pulumi.runtime.settings.get_root_resource()
        outputs: dict[str, Any] = {}
        if resolve_outputs and isinstance(root, pulumi.runtime.stack.Stack):
            outputs = _resolve(dict(root.outputs)) or {}
        result = _resolve(returned[0]) if returned else None
    finally:
        # Join the worker threads first, or exit tears their loops down ("Invalid file descriptor").
        loop.run_until_complete(loop.shutdown_default_executor())
        monitor.close_thread_loops()
        loop.close()
    plan = Plan(
        stack=stack,
        project=project,
        outputs=whole_numbers(outputs),
        result=result,
        warnings=collector.messages,
        preview=preview,
        invented=set(mocks.invented),
        registered_outputs=monitor.registered_outputs,
    )
    # Registration order depends on when outputs resolve; URN order is stable.
    plan.resources = with_default_providers(
        sorted(monitor.planned, key=lambda r: r.urn), config, PlannedResource
    )
    return plan
