"""User text on its way to a terminal, a rich table or a file name: one place for the rules.

Names come from scenario files and CRM exports (a scenario ``name``, plan names, deal owners,
CSMs), so they may hold anything: rich markup (``[bold red]``, ``[/]``), ANSI escape
sequences, newlines, bidirectional overrides, path separators.

* :func:`safe_text`: every character that is not printable (control characters, ESC, line
  separators, bidi and other format characters) is shown as a Python escape (``\\x1b``), so
  terminal output is one line per item and cannot move the cursor or recolour the screen.
* :func:`rich_text`: :func:`safe_text` as a rich ``Text`` object, which rich never parses as
  markup (table cells, titles, headers). Markup escaping (``rich.markup.escape``) is not used
  for names: it cannot keep a trailing backslash verbatim.
* :func:`path_component`: a name made safe to be one component of a path (no separators,
  no ``..``, no leading dot, bounded length).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console
    from rich.text import Text

_UNSAFE_PATH = re.compile(r"[^A-Za-z0-9._+-]+")
MAX_PATH_COMPONENT = 80


def safe_text(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every non-printable character shown as a backslash escape (one line; with
    ``keep_newlines``, ``\n`` stays a line break, for multi-line text such as descriptions)."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(
        c if c.isprintable() or (keep_newlines and c == "\n") else c.encode("unicode_escape").decode("ascii")
        for c in s
    )


def rich_text(text: object, style: str = "") -> Text:
    """:func:`safe_text` as a rich ``Text``: rendered exactly as written, never parsed as markup
    (use it for every table cell, title or header that holds user text)."""
    from rich.text import Text

    return Text(safe_text(text), style=style)


def plain_text(render: Callable[[Console], None], width: int) -> str:
    """What ``render`` prints on a rich console, as plain text (no colours, no escape codes) laid
    out at ``width`` columns: how a result's ``__str__`` shows what its command prints."""
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), record=True, color_system=None, width=width)
    render(console)
    return console.export_text().rstrip() + "\n"


def path_component(name: object, default: str = "scenario") -> str:
    """``name`` as one safe path component: ASCII letters, digits and ``._+-`` (others become
    ``-``), no leading dots or dashes, at most :data:`MAX_PATH_COMPONENT` characters; ``default``
    when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE_PATH.sub("-", ascii_text).lstrip(".-")[:MAX_PATH_COMPONENT].rstrip(".-")
    return cleaned or default
