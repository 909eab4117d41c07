"""The scenario error contract: one line per problem, naming the file and the field path."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario."""

    file: str
    path: str
    message: str

    def line(self) -> str:
        """``error: <file>: <field.path>: <what was expected, what was found>``."""
        return f"error: {self.file}: {self.path}: {self.message}"


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
