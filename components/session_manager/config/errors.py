"""Config errors: every problem at once, each with its config path and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pydantic_core import PydanticCustomError

NAMESPACE = "session-manager"
# A problem found by a cross-field check: (path below the model, message).
Problem = tuple[tuple[str | int, ...], str]


class ConfigError(pulumi.RunError):
    """Stack config that cannot be deployed. Pulumi prints it without a traceback."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"Invalid stack config ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {path}: {message}" for path, message in self.problems]
        super().__init__("\n".join(lines))


def raise_problems(problems: list[Problem]) -> None:
    """Raise every cross-field problem of a model at once."""
    if problems:
        raise PydanticCustomError("cross_field", "{summary}", {"summary": "", "problems": problems})
