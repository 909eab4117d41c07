"""Write the metric tables of ``docs/metrics.md`` from the vocabulary (``metrics.yaml``).

Each section of the page holds its table between the markers ``<!-- metrics:SECTION -->`` and
``<!-- /metrics -->``; everything else on the page (conventions, notes, series) is written by
hand. ``python -m sim.vocabulary.docs [docs/metrics.md]`` rewrites the tables in place;
``tests/test_vocabulary.py`` checks that the checked-in page is current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sim.vocabulary.metrics import SECTIONS, docs_table

REGENERATE = "python -m sim.vocabulary.docs"
_BLOCK = re.compile(r"(<!-- metrics:(\w+) -->\n)(.*?)(<!-- /metrics -->)", re.S)


def rewrite(text: str) -> str:
    """``text`` with every marked table replaced by the vocabulary's (every section must be marked)."""
    seen: list[str] = []

    def table(m: re.Match[str]) -> str:
        section = m.group(2)
        if section not in SECTIONS:
            raise ValueError(f"unknown metrics section {section!r}; expected one of {', '.join(SECTIONS)}")
        seen.append(section)
        return f"{m.group(1)}{docs_table(section)}\n{m.group(4)}"

    out = _BLOCK.sub(table, text)
    missing = [s for s in SECTIONS if s not in seen]
    if missing:
        raise ValueError(f"docs/metrics.md has no table marker for {', '.join(missing)}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Rewrite the tables of the page given (default ``docs/metrics.md``)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "docs/metrics.md")
    path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
