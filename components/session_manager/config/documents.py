"""Custom Session documents of every type."""

from __future__ import annotations

from typing import Any

from pydantic import (
    Field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from session_manager.aws.document import (
    check_session_document,
    render_session_document,
    serialize_session_document,
)
from session_manager.aws.rules import (
    DOCUMENT_CONTENT_MAX_BYTES,
)
from session_manager.config.errors import Problem, raise_problems
from session_manager.config.fields import ConfigModel, check_document_name


class CustomDocument(ConfigModel):
    """A Session document of any type, written with AWS's own field names."""

    name: str = Field(description="Document name (3-128 of letters, digits, `_.-`).")
    document_format: str = Field(default="JSON", description="JSON or YAML.")
    tags: dict[str, str] = Field(default_factory=dict[str, str], description="Document tags.")
    content: dict[str, Any] = Field(
        description=(
            'The Session document: schemaVersion (default "1.0"), description, sessionType, '
            "inputs, parameters, properties."
        )
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_document_name(value)

    @field_validator("document_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value.upper() not in ("JSON", "YAML"):
            raise PydanticCustomError(
                "document_format",
                "{got} is not a document format; use JSON or YAML",
                {"got": repr(value)},
            )
        return value.upper()

    @field_validator("content")
    @classmethod
    def _content(cls, value: dict[str, Any]) -> dict[str, Any]:
        problems: list[Problem] = list(check_session_document(value))
        if not problems:
            size = len(rendered_content(value, "JSON").encode())
            if size > DOCUMENT_CONTENT_MAX_BYTES:
                problems.append(((), f"is {size} bytes; Session documents may be 64 KB at most"))
        raise_problems(problems)
        return value

    @property
    def rendered(self) -> str:
        return rendered_content(self.content, self.document_format)


def rendered_content(content: dict[str, Any], document_format: str) -> str:
    return serialize_session_document(render_session_document(content), document_format)
