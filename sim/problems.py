"""The input error contract: one line per problem, naming the file and the field path (scenarios,
CSV exports, command-line arguments), and the exception that carries them."""

from __future__ import annotations

import difflib
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


def split_path(path: str) -> list[str]:
    """The steps of a field path as :func:`format_path` or :func:`named_path` print it (the
    inverse of both): ``plans[one-step-deeper].ae.components.0.rates`` ->
    ``["plans", "one-step-deeper", "ae", "components", "0", "rates"]``; a quoted step
    (``"a.b"``) is one step."""
    parts: list[str] = []
    i, n = 0, len(path)
    while i < n:
        c = path[i]
        if c == ".":
            i += 1
            continue
        if c == "[":
            end = path.find("]", i + 1)
            if path.startswith('["', i):
                end = _quoted_end(path, i + 1) + 1
            if end < 0:
                parts.append(path[i + 1 :])
                break
            parts.append(_unquote(path[i + 1 : end]))
            i = end + 1
            continue
        if c == '"':
            end = _quoted_end(path, i)
            parts.append(_unquote(path[i : end + 1]))
            i = end + 1
            continue
        j = i
        while j < n and path[j] not in ".[":
            j += 1
        parts.append(path[i:j])
        i = j
    return parts


def _quoted_end(text: str, start: int) -> int:
    """Index of the closing quote of the JSON string starting at ``start`` (-1 when open)."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _unquote(step: str) -> str:
    if step.startswith('"') and step.endswith('"') and len(step) >= 2:
        try:
            return str(json.loads(step))
        except ValueError:
            return step
    return step


def named_path(parts: Iterable[object], data: object) -> str:
    """A field path with each list item that has a unique ``name`` shown by that name, so that
    ``plans.3.ae.components.0.rates`` reads ``plans[one-step-deeper].ae.components[commission].rates``
    (items without a name, or with a name used twice, keep their index). ``data`` is the raw
    scenario the path points into."""
    out = ""
    node: object = data
    for part in parts:
        step = int(part) if isinstance(part, str) and part.isdecimal() else part
        name = None
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            item = node[step]
            names = [x.get("name") for x in node if isinstance(x, dict)]
            own = item.get("name") if isinstance(item, dict) else None
            if isinstance(own, str) and names.count(own) == 1:
                name = own
            node = item
        elif isinstance(node, dict):
            node = node.get(step) if step in node else node.get(str(step))
        else:
            node = None
        if name:
            out += f"[{path_part(name)}]"
        else:
            out += ("." if out else "") + path_part(step)
    return out


def _one_line(text: str) -> str:
    """Escape anything that is not printable (newlines, tabs, line separators, ESC)."""
    return safe_text(text)


FILE = "(file)"
"""The place of a problem that concerns a whole file (not one field)."""


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


def unknown(found: str, valid: Iterable[str], what: str = "key") -> str:
    """``unknown key 'x' (did you mean 'y'?); valid keys: ...``."""
    valid = [str(v) for v in valid]
    close = difflib.get_close_matches(str(found), valid, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listing = f"; valid {what}s: {', '.join(valid)}" if valid else f"; there are no {what}s here"
    return f"unknown {what} {found!r}{hint}{listing}"
