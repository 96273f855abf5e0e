"""Run-time checks of the components' args, which are TypedDicts.

Python does not check a TypedDict at run time, and Pulumi's engine accepts any input,
so a misspelt key (`log_group_arns` for `log_group_names`) would be silently ignored
and the component would build something else than asked. Each component calls
`check_args` before it registers anything: an unknown key is refused with the closest
valid one, and so is a missing required key. Each value is checked against its
annotation as far as it is known now: a plain `str` where a list belongs (which Python
would iterate letter by letter), a number where text belongs. Outputs and awaitables
resolve later and are not checked.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import types
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import (
    Any,
    Literal,
    ParamSpec,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

import pulumi
import yaml
from pydantic.alias_generators import to_camel
from typing_extensions import is_typeddict

from session_manager.args_rules import VALUE_RULES, config_problems, is_known, sibling_problems
from session_manager.aws.defaults import DEFAULT_DOCUMENT_DESCRIPTION, DEFAULT_DOCUMENT_NAME
from session_manager.aws.document import (
    check_session_document,
    render_preferences_document,
    serialize_document,
)
from session_manager.aws.limits import (
    RESERVED_LOG_GROUP_PREFIX,
    ec2_tag_problems,
    key_arn_problem,
    port_problems,
    tag_problems,
)
from session_manager.aws.parameter_references import document_parameter_names, reference_problem
from session_manager.aws.rules import DOCUMENT_CONTENT_MAX_BYTES, partition_of_region
from session_manager.config.secrets import UNDECRYPTED

# pulumi.Input[T] names "Output[T]" by a forward reference; these resolve it.
_INPUT_NAMES: dict[str, Any] = {"Output": pulumi.Output, "T": TypeVar("T")}

T = TypeVar("T")
P = ParamSpec("P")


class ArgsError(pulumi.RunError, TypeError, ValueError):
    """A component's args name a key it does not have, leave out a required one, or hold a
    value the component cannot build from.

    A `pulumi.RunError`, so `pulumi up` prints it without a traceback (a TypeError and a
    ValueError too, for callers that caught those before).
    """


def one_line_call_errors(init: Callable[P, None]) -> Callable[P, None]:
    """A component's `__init__` that answers a call of the wrong shape (`region=` as a
    keyword, args left out) with one ArgsError naming the call it takes, where Python's
    TypeError would end the program with a traceback."""
    signature = inspect.signature(init)
    annotation = signature.parameters["args"].annotation
    spec = getattr(annotation, "__name__", str(annotation))

    @functools.wraps(init)
    def checked(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            component = type(args[0]).__name__
            raise ArgsError(
                f"{component}: {error}; call {component}(name, args, "
                f'opts=None), with args a dict of {spec} (e.g. {component}("x", {{...}}))'
            ) from None
        init(*args, **kwargs)

    return checked


def check_args(component: str, args: T | None, spec: type) -> T:
    """`args` (a `spec` TypedDict) once checked; raises ArgsError naming every problem.

    `None` stands for no args at all: the components treat it as `{}`.
    """
    given = cast(T, {}) if args is None else args
    problems = list(_problems(given, spec, "args"))
    problems += _tag_problems(
        given,
        case_insensitive=spec.__name__ in IAM_TAGGED_ARGS,
        ec2=spec.__name__ == "SessionManagerVpcEndpointsArgs",
    )
    known: object = given
    if not problems and isinstance(known, Mapping):
        problems += config_problems(spec, cast(Mapping[str, Any], known), "args")
        problems += sibling_problems(spec.__name__, cast(Mapping[str, Any], known))
    if not problems and spec.__name__ == "SessionManagerPreferencesArgs":
        problems += _preferences_problems(cast(Mapping[str, Any], given))
    if problems:
        raise ArgsError(f"{component}: " + "; ".join(problems))
    return cast(T, _without_none(given, spec))


def _without_none(value: object, spec: type) -> object:
    """The args with every key set to None left out, in nested args dicts too: None is how
    Python callers leave a value out, and the components read `args.get(key, default)`."""
    if not isinstance(value, Mapping):
        return value
    fields = _fields(spec)
    kept: dict[str, object] = {}
    for key, item in cast(Mapping[str, object], value).items():
        if item is None:
            continue
        nested = next((c for k, c in _checks(fields[key]) if k == "dict"), None)
        listed = next((c for k, c in _checks(fields[key]) if k == "list"), None)
        kept[key] = item
        if nested is not None:
            kept[key] = _without_none(item, cast(type, nested))
        elif is_typeddict(listed) and isinstance(item, (list, tuple)):
            elements = cast(Sequence[object], item)
            kept[key] = [_without_none(element, cast(type, listed)) for element in elements]
    return kept


def _problems(value: object, spec: type, path: str) -> Iterator[str]:
    if not isinstance(value, Mapping):
        yield f"{path} must be a dict of {spec.__name__}, got {_described(value)}"
        return
    fields = _fields(spec)
    given = cast(Mapping[object, Any], value)
    required = cast(frozenset[str], getattr(spec, "__required_keys__", frozenset[str]()))
    for key in sorted(required):
        # None is how Python callers leave a value out; an empty text names nothing.
        if given.get(key) is None:
            yield f"{path}.{key} is required" + (", got None" if key in given else "")
        elif given[key] == "":
            yield f"{path}.{key} must not be empty"
    for key, item in given.items():
        if key not in fields:
            guess = difflib.get_close_matches(str(key), sorted(fields), n=1, cutoff=0.6)
            hint = f"did you mean {guess[0]!r}?" if guess else f"known keys: {', '.join(fields)}"
            yield f"{path}.{key} is not an argument of {spec.__name__}; {hint}"
            continue
        if key in required and item in (None, ""):
            continue  # said above
        problems = list(_value_problems(item, fields[str(key)], f"{path}.{key}"))
        yield from problems
        rule = VALUE_RULES.get((spec.__name__, str(key)))
        if rule and not problems and is_known(item):
            problem = rule(item)
            if problem:
                yield f"{path}.{key} {problem}"


@functools.cache
def _fields(spec: type) -> dict[str, Any]:
    """A TypedDict's annotations, resolved once: every component checks its args."""
    return get_type_hints(spec, localns=_INPUT_NAMES)


def _options(annotation: object) -> tuple[object, ...]:
    """The types a Union allows (pulumi.Input[T] is T | Awaitable[T] | Output[T]), or itself."""
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


# How one option of an annotation checks a value: ("dict", TypedDict), ("list", item
# annotation), ("mapping", value annotation), ("literal", allowed values), ("type", cls),
# ("any", None) for a form left to the type checker, ("later", None) for Output/Awaitable.
_Check = tuple[str, Any]


@functools.cache
def _checks(annotation: object) -> tuple[_Check, ...]:
    """The checks of an annotation's options, worked out once: components check every arg."""
    checks: list[_Check] = []
    for option in _options(annotation):
        origin = get_origin(option)
        if is_typeddict(option):
            checks.append(("dict", option))
        elif origin in _SEQUENCES:
            checks.append(("list", (get_args(option) or (Any,))[0]))
        elif origin in _MAPPINGS:
            checks.append(("mapping", get_args(option) or (Any, Any)))
        elif origin is Literal:
            checks.append(("literal", get_args(option)))
        elif origin in (Awaitable, pulumi.Output):
            checks.append(("later", None))
        elif origin is not None or option is Any:
            checks.append(("any", None))
        elif isinstance(option, type):
            checks.append(("type", option))
    return tuple(checks)


def _value_problems(
    value: object, annotation: object, path: str, *, inside: bool = False
) -> Iterator[str]:
    """Problems of one value against its annotation, checked as deep as its shape is known.

    An Output or awaitable resolves later, and an arg set to None is left out: nothing to
    check now. Inside a list or dict (`inside`), None is no value at all: a role named
    None, a tag None, which would fail deep in a builder or vanish from the plan.
    """
    if value is None:
        if inside:
            yield f"{path} must be {_expected(_options(annotation))}, got None"
        return
    if isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return
    for kind, detail in _checks(annotation):
        if kind == "dict" and isinstance(value, Mapping):
            nested = list(_problems(cast(Mapping[object, object], value), cast(type, detail), path))
            yield from nested
            if not nested:
                yield from config_problems(cast(type, detail), cast(Mapping[str, Any], value), path)
            return
        if kind == "list" and isinstance(value, (list, tuple)):
            for index, element in enumerate(cast(Sequence[object], value)):
                yield from _value_problems(element, detail, f"{path}[{index}]", inside=True)
            return
        if kind == "mapping" and isinstance(value, Mapping):
            key_annotation, element_annotation = detail
            for key, element in cast(Mapping[object, object], value).items():
                # A key of another type than the annotation's (tags {1: "x"}) would fail
                # deep in the engine's serializer, with a traceback.
                yield from _value_problems(key, key_annotation, f"{path} key {key!r}", inside=True)
                yield from _value_problems(
                    element, element_annotation, f"{path}[{key!r}]", inside=True
                )
            return
        if (
            kind == "any"
            or (kind == "literal" and value in detail)
            or (kind == "type" and _is_instance(value, detail))
        ):
            return
    options = _options(annotation)
    yield f"{path} must be {_expected(options)}, got {_described(value)}{_fix(value, options)}"


_SEQUENCES = (Sequence, list, tuple)
_MAPPINGS = (Mapping, dict)


def _is_instance(value: object, cls: type) -> bool:
    # A bool is an int to Python, but True where a number of days belongs is a mistake.
    if isinstance(value, bool) and cls is not bool:
        return False
    return isinstance(value, cls)


def _expected(options: tuple[object, ...]) -> str:
    """What the annotation allows, in words (an Output or awaitable is implied by Input)."""
    words: list[str] = []
    for option in options:
        origin = get_origin(option)
        if is_typeddict(option):
            words.append(f"a dict of {cast(type, option).__name__}")
        elif origin in _SEQUENCES:
            item = (get_args(option) or (Any,))[0]
            words.append(f"a list of {_expected(_options(item))}")
        elif origin in _MAPPINGS:
            words.append("a dict")
        elif origin is Literal:
            words.append(" or ".join(repr(v) for v in get_args(option)))
        elif isinstance(option, type) and origin is None:
            words.append(option.__name__)
    return " or ".join(dict.fromkeys(words)) or "another type"


def _described(value: object) -> str:
    return f"the {type(value).__name__} {value!r}"


def _fix(value: object, options: tuple[object, ...]) -> str:
    """For a str where a list belongs (Python would iterate it letter by letter): the list."""
    if isinstance(value, str) and any(get_origin(o) in _SEQUENCES for o in options):
        return f"; write {json.dumps([value])}"
    return ""


# The components whose `tags` go on IAM resources, which refuse keys differing only in case.
IAM_TAGGED_ARGS = frozenset(
    {
        "SessionManagerInstanceAccessArgs",
        "SessionManagerAccessPoliciesArgs",
        "SessionManagerAccountEventsArgs",
    }
)


def _tag_problems(args: object, *, case_insensitive: bool, ec2: bool) -> list[str]:
    """Known tags AWS would refuse (aws/limits.py), as the stack config's are refused."""
    if not isinstance(args, Mapping):
        return []
    given = cast(Mapping[str, object], args)
    sources: list[tuple[str, object]] = [("args.tags", given.get("tags"))]
    documents = given.get("documents")
    if isinstance(documents, (list, tuple)):
        # A custom document's own tags go on it alone, merged over the component's.
        sources += [
            (f"args.documents[{index}].tags", cast(Mapping[str, object], document).get("tags"))
            for index, document in enumerate(cast(Sequence[object], documents))
            if isinstance(document, Mapping)
        ]
    problems: list[str] = []
    for where, tags in sources:
        if not isinstance(tags, Mapping):
            continue
        items = cast(Mapping[object, object], tags).items()
        # The offline plan's placeholder for a secret it cannot decrypt has no value to check.
        known = {str(k): v for k, v in items if isinstance(v, str) and v != UNDECRYPTED}
        is_component_tags = where == "args.tags"
        found = tag_problems(known, case_insensitive=case_insensitive and is_component_tags)
        if ec2:
            found += ec2_tag_problems(known)
        problems += [f"{where}{f'.{key}' if key else ''}: {problem}" for key, problem in found]
    return problems


def _preferences_problems(args: Mapping[str, Any]) -> list[str]:
    """What only shows when the preferences' args meet, with the stack config's rules
    (aws/limits.py): a key ARN of another Region or partition, a reserved log group name."""
    region = str(args["region"])
    partition = partition_of_region(region).name
    prefs: Mapping[str, Any] = args.get("preferences") or {}
    group: Mapping[str, Any] = args.get("log_group") or {}
    problems: list[str] = []
    keys = [
        ("args.preferences.kms_key_id", prefs.get("kms_key_id"), "session data"),
        ("args.log_group.kms_key_id", group.get("kms_key_id"), "the log group"),
    ]
    for path, key, user in keys:
        if not isinstance(key, str) or key == UNDECRYPTED:
            continue
        problem = key_arn_problem(key, [region], partition, user)
        if problem:
            problems.append(f"{path} {problem}")
    problems += _document_size_problems(prefs, args.get("document_description"))
    problems += _custom_document_problems(args, partition)
    name = prefs.get("cloud_watch_log_group_name")
    creates_group = group.get("create", not name)
    if creates_group and isinstance(name, str) and name.startswith(RESERVED_LOG_GROUP_PREFIX):
        problems.append(
            f"args.preferences.cloud_watch_log_group_name {name!r} starts with "
            f"{RESERVED_LOG_GROUP_PREFIX!r}, which CloudWatch Logs reserves; choose another name"
        )
    return problems


def _document_size_problems(prefs: Mapping[str, Any], description: object) -> list[str]:
    """The preferences document the known inputs render, 64 KB at most like any Session
    document (the stack config's check, config/limits.py): a long shell profile or
    description would fail CreateDocument at `pulumi up`."""
    known = {to_camel(key): value for key, value in prefs.items() if is_known(value)}
    text = description if isinstance(description, str) else DEFAULT_DOCUMENT_DESCRIPTION
    size = len(serialize_document(render_preferences_document(known, text)).encode())
    if size <= DOCUMENT_CONTENT_MAX_BYTES:
        return []
    return [
        f"args.preferences.shell_profile and args.document_description make a preferences "
        f"document of {size} bytes; Session documents may be {DOCUMENT_CONTENT_MAX_BYTES} "
        "bytes (64 KB) at most: shorten them"
    ]


def _custom_document_problems(args: Mapping[str, Any], partition: str) -> list[str]:
    """The custom documents' content, checked as the stack config checks its own
    (config/documents.py, config/limits.py): parsed in its format, then every Session
    document rule, the ports, the parameter references; and one name per document."""
    documents = args.get("documents")
    if not isinstance(documents, (list, tuple)):
        return []
    problems: list[str] = []
    names = [str(args.get("document_name", DEFAULT_DOCUMENT_NAME))]
    for index, document in enumerate(cast(Sequence[Mapping[str, Any]], documents)):
        path = f"args.documents[{index}]"
        name, text = document.get("name"), document.get("content")
        if isinstance(name, str) and name in names:
            problems.append(f"{path}.name {name!r} names another managed document too")
        names.append(str(name))
        document_format = document.get("document_format", "JSON")
        if not isinstance(document_format, str) or not isinstance(text, str):
            continue
        if document_format != document_format.upper():
            # The provider takes JSON or YAML as written (terraform-provider-aws
            # internal/service/ssm/document.go: StringInSlice, case-sensitive).
            problems.append(
                f"{path}.document_format {document_format!r}: write {document_format.upper()!r} "
                "(the provider takes JSON or YAML in capitals)"
            )
            continue
        content = _parsed_document(text, document_format)
        if isinstance(content, str):
            problems.append(f"{path}.content {content}")
            continue
        found = [
            *check_session_document(content),
            *port_problems(content),
            *(
                ((), f"references {problem}")
                for problem in map(
                    functools.partial(reference_problem, partition=partition),
                    document_parameter_names(content),
                )
                if problem
            ),
        ]
        problems += [
            f"{path}.content{''.join(f'.{part}' for part in where)} {problem}"
            for where, problem in found
        ]
    return problems


def _parsed_document(text: str, document_format: str) -> dict[str, Any] | str:
    """The document's content as AWS parses it in its format, or why it can't be."""
    try:
        content = json.loads(text) if document_format == "JSON" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        return f"is not {document_format}: {str(error).splitlines()[0]}"
    if not isinstance(content, dict):
        return f"is not a {document_format} object of Session document fields"
    return cast(dict[str, Any], content)
