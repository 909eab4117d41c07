"""The scenario error contract: one line per problem, naming the file and the field path."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sim.safetext import safe_text

_PLAIN_PART = re.compile(r"[\w\-]+")


def path_part(part: object) -> str:
    """One step of a field path as printed: names and indexes as they are; any other key quoted.

    A key that is not a plain name (it holds a dot, a space, a colon...) is shown as a JSON
    string with ``:`` escaped, so an error line always splits unambiguously on ``": "``.
    """
    text = str(part)
    if _PLAIN_PART.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False).replace(":", "\\u003a")


def format_path(parts: Iterable[object]) -> str:
    """A dotted field path such as ``plans.0.ae.quota.annual_amount``."""
    return ".".join(path_part(p) for p in parts)


def _one_line(text: str) -> str:
    """Escape anything that is not printable (newlines, tabs, line separators, ESC)."""
    return safe_text(text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario."""

    file: str
    path: str
    message: str

    def line(self) -> str:
        """``error: <file>: <field.path>: <what was expected, what was found>``."""
        return f"error: {_one_line(self.file)}: {_one_line(self.path)}: {_one_line(self.message)}"


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("ScenarioError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(p.line() for p in self.problems))

    @property
    def paths(self) -> list[str]:
        """The field paths named, in order."""
        return [p.path for p in self.problems]


PATH_MARK = "@"
"""Model-level checks prefix their message with ``@field.path: `` (relative to the model that
raised it) so that the error line names the exact field, not just the model."""
