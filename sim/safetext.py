"""User text on its way to a terminal, a rich table or a file name: one place for the rules.

Names come from scenario files and CRM exports (a scenario ``name``, plan names, deal owners,
CSMs), so they may hold anything: rich markup (``[bold red]``, ``[/]``), ANSI escape
sequences, newlines, bidirectional overrides, path separators.

* :func:`safe_text`: every character that is not printable (control characters, ESC, line
  separators, bidi and other format characters) is shown as a Python escape (``\\x1b``), so
  terminal output is one line per item and cannot move the cursor or recolour the screen.
* :func:`markup_escape`: :func:`safe_text`, then escaped for rich markup, for text placed in
  a string that rich renders as markup (table cells, titles, ``console.print``).
* :func:`path_component`: a name made safe to be one component of a path (no separators,
  no ``..``, no leading dot, bounded length).
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE_PATH = re.compile(r"[^A-Za-z0-9._+-]+")
MAX_PATH_COMPONENT = 80


def safe_text(text: object) -> str:
    """``text`` with every non-printable character shown as a backslash escape (one line)."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in s)


def markup_escape(text: object) -> str:
    """:func:`safe_text` escaped for rich markup: rendered exactly as written, never as styling."""
    from rich.markup import escape

    return escape(safe_text(text))


def path_component(name: object, default: str = "scenario") -> str:
    """``name`` as one safe path component: ASCII letters, digits and ``._+-`` (others become
    ``-``), no leading dots or dashes, at most :data:`MAX_PATH_COMPONENT` characters; ``default``
    when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE_PATH.sub("-", ascii_text).lstrip(".-")[:MAX_PATH_COMPONENT].rstrip(".-")
    return cleaned or default
