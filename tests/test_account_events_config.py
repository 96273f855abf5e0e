"""accountEvents config: what is refused (one line, exit 2), and what the plan warns about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, cli
from session_manager.account_events_wiring import account_events_warnings
from session_manager.aws.account_events import (
    DEPLOY_REF,
    DEPLOY_WORKFLOW,
    account_event_rules,
    dispatch_input,
    github_dispatch_endpoint,
)
from session_manager.config.errors import ConfigError
from session_manager.config.loading import parse_stack_config

SECURE = {"secure": "v1:placeholder-ciphertext"}


def stack(**events: Any) -> dict[str, Any]:
    return {
        "regions": ["eu-west-1"],
        "targets": [{"organizationalUnit": "ou-ab12-cdef3456"}],
        "accountEvents": {"repository": "octo-org/preferences", **events},
        "accountEventsToken": "token-value",
    }


def problems(values: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(values)
    return dict(caught.value.problems)


@pytest.mark.parametrize(
    ("events", "key", "fragment"),
    [
        # RFC 9110 5.1 / 5.6.2: a header name is a token; ':' and whitespace are not tchars.
        ({"apiKeyName": ""}, "apiKeyName", "is not an HTTP header name"),
        ({"apiKeyName": "X-Api:Key"}, "apiKeyName", "no ':' or whitespace"),
        ({"apiKeyName": "X Api Key"}, "apiKeyName", "no ':' or whitespace"),
        # RFC 7617 section 2: "a user-id containing a colon character is invalid".
        ({"endpoint": "https://ci.example.com/hook", "repository": "", "basicAuthUsername": "a:b"},
         "basicAuthUsername", "cannot contain ':'"),
        # GitHub would resolve /repos/owner/../dispatches to another path.
        ({"repository": "owner/.."}, "repository", "a name cannot be '.' or '..'"),
        ({"repository": "owner/."}, "repository", "a name cannot be '.' or '..'"),
        (
            {"endpoint": "https://ci.example.com/hook", "repository": "",
             "basicAuthUsername": "ci", "apiKeyName": "X-Token"},
            "basicAuthUsername", "set it or apiKeyName, not both",
        ),
        (
            {"endpoint": "https://ci.example.com/hook", "repository": "",
             "basicAuthUsername": "ci", "apiKeyScheme": "Token"},
            "basicAuthUsername", "set it or apiKeyScheme, not both",
        ),
    ],
)  # fmt: skip
def test_bad_account_events_keys_are_refused(
    events: dict[str, Any], key: str, fragment: str
) -> None:
    found = problems(stack(**events))
    path = f"session-manager:accountEvents.{key}"
    assert path in found, found
    assert fragment in found[path]


def test_good_values_still_pass() -> None:
    config = parse_stack_config(stack(apiKeyName="X-Api-Key", apiKeyScheme=""))
    assert config.account_events is not None
    basic = parse_stack_config(
        stack(repository="", endpoint="https://ci.example.com/hook", basicAuthUsername="ci")
    )
    assert basic.account_events is not None
    assert basic.account_events.basic_auth_username == "ci"
    # Dots inside a name are fine on GitHub.
    assert parse_stack_config(stack(repository="owner/.github")).account_events is not None


def test_a_bad_key_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((ROOT / name).read_text())
    config = {f"session-manager:{k}": v for k, v in stack(repository="owner/..").items()}
    config["session-manager:accountEventsToken"] = SECURE
    (project / "Pulumi.t.yaml").write_text(yaml.safe_dump({"config": config}))
    result = cli("plan", "--stack", "t", "--project-dir", str(project))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "session-manager:accountEvents.repository: 'owner/..'" in result.stderr


def test_a_token_without_account_events_is_a_warning() -> None:
    values = stack()
    values.pop("accountEvents")
    warnings = account_events_warnings(parse_stack_config(values))
    assert len(warnings) == 1
    assert "accountEventsToken is set but session-manager:accountEvents is not" in warnings[0]
    values.pop("accountEventsToken")
    assert account_events_warnings(parse_stack_config(values)) == []


def test_the_dispatch_starts_the_deploy_workflow_with_the_inputs_it_declares() -> None:
    """GitHub REST API, "Create a workflow dispatch event": POST
    /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches with `ref` and
    `inputs`; an input the workflow does not declare is refused (422). A fine-grained
    token needs "Actions" repository permission (write) for it, where "Create a
    repository dispatch event" needs "Contents" (write), which can push code."""
    endpoint = github_dispatch_endpoint("octo-org/preferences")
    assert endpoint == (
        "https://api.github.com/repos/octo-org/preferences/actions/workflows/deploy.yml/dispatches"
    )
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / DEPLOY_WORKFLOW).read_text())
    on = workflow.get(True, workflow.get("on"))  # YAML 1.1 reads `on` as True
    assert "repository_dispatch" not in on
    declared = on["workflow_dispatch"]["inputs"]
    rules, _ = account_event_rules(None)
    for rule in rules:
        _, template = dispatch_input(rule, "org")
        body = yaml.safe_load(template)  # JSON; the <placeholders> are quoted strings
        assert body["ref"] == DEPLOY_REF
        assert set(body["inputs"]) == set(declared), rule.role
        assert all(spec["type"] == "string" for spec in declared.values())


def test_the_repository_dispatch_event_type_is_gone() -> None:
    """eventType named a repository_dispatch type; workflow_dispatch has none."""
    found = problems(stack(eventType="org-changed"))
    assert found["session-manager:accountEvents.eventType"].startswith("unknown key")
