"""CSV exports as people make them: one reader for the back-test's deals and calibration's CRM files.

Header names are matched loosely: case, spaces, dashes and a ``(unit)`` suffix are ignored
(``Close Date (UTC)`` is ``close_date``), each column accepts a few aliases, and a mapping
(``--map amount="Net ACV"``) names any other header. Columns may be separated by commas,
semicolons, tabs or ``|`` (recognised from the header). Every problem is reported as
``row N.column: expected ..., found ...`` with N the line number a spreadsheet shows (the header
is row 1); nothing is returned while any row is bad.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.problems import Problem, ScenarioError

MIN_DATE = dt.date(1950, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)
"""Dates a row may carry (a CRM export's dates; anything outside is a typo or a placeholder)."""
MAX_AMOUNT = 1e12
"""Largest amount accepted, in dollars."""
MAX_CSV_BYTES = 1024 * 1024 * 1024
"""Largest file read (1 GiB; a 200,000-row export is about 20 MB)."""
DELIMITERS = (",", ";", "\t", "|")
"""Column separators recognised; the one that splits the header into most columns is used."""


def norm(header: str) -> str:
    """A header as a column name: lower case, ``(unit)`` suffixes dropped, runs of other
    characters as ``_`` (``"Close Date (UTC)"`` -> ``close_date``)."""
    h = re.sub(r"\(.*?\)", "", header.strip().lower())
    return re.sub(r"[^a-z0-9]+", "_", h).strip("_")


def parse_money(text: str) -> float:
    """An amount in dollars: ``25000``, ``$25,000`` or ``25_000`` (ValueError otherwise)."""
    v = float(text.replace("$", "").replace(",", "").replace("_", "").strip())
    if not math.isfinite(v):
        raise ValueError(text)
    return v


def parse_date(text: str) -> dt.date:
    """A date written ``YYYY-MM-DD`` or ``MM/DD/YYYY`` (ValueError otherwise)."""
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_fraction(text: str) -> float:
    """A fraction in [0, 1): ``0.15`` or ``15%`` (ValueError otherwise)."""
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0.0 <= value < 1.0:
        raise ValueError(text)
    return value


def _delimiter(first_line: str) -> str:
    """The separator that splits the header into most columns (a comma on a tie)."""
    counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


def _delimiter_name(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "'|'"}[delimiter]


@dataclass
class Row:
    """One data row: its cells by column name, and the problems found in it."""

    n: int
    """Row number as a spreadsheet shows it (the header is row 1)."""
    raw: list[str]
    table: CsvTable

    def cell(self, col: str) -> str:
        """The stripped text of column ``col`` (empty when the column is absent)."""
        i = self.table.where.get(col)
        return self.raw[i].strip() if i is not None and i < len(self.raw) else ""

    def bad(self, col: str, expected: str, found: str) -> None:
        """Report ``row N.col: expected ..., found '...'``."""
        self.table.problems.append(
            Problem(self.table.file, f"row {self.n}.{col}", f"expected {expected}, found {found!r}")
        )

    def key(self, col: str, what: str, seen: dict[str, int], unique: str = "a unique id") -> str:
        """Column ``col``, which must be filled and appear on one row only (``seen``: the values of
        the rows read so far, to their row numbers)."""
        value = self.cell(col)
        if not value:
            self.bad(col, what, value)
        elif value in seen:
            self.bad(col, f"{unique} (already used on row {seen[value]})", value)
        else:
            seen[value] = self.n
        return value

    def money(self, col: str, what: str = "an amount in dollars", *, optional: bool = False) -> float | None:
        """Column ``col`` as a non-negative amount in dollars (None when empty and ``optional``)."""
        text = self.cell(col)
        if optional and not text:
            return None
        try:
            amount = parse_money(text)
        except ValueError:
            self.bad(col, f"{what} like 25000 or $25,000", text)
            return None
        if amount < 0:
            self.bad(col, f"a non-negative {what.removeprefix('an ').removeprefix('a ')}", text)
        elif amount > MAX_AMOUNT:
            self.bad(col, f"{what} of at most {MAX_AMOUNT:,.0f}", text)
        else:
            return amount
        return None

    def date(
        self, col: str, *, optional: bool = False, after: dt.date | None = None, after_col: str = ""
    ) -> dt.date | None:
        """Column ``col`` as a date (None when empty and ``optional``); ``after``: not before it."""
        text = self.cell(col)
        if optional and not text:
            return None
        empty = ", or an empty cell" if optional else ""
        try:
            day = parse_date(text)
        except ValueError:
            self.bad(col, f"a date like 2025-03-31{' or 03/31/2025' if not optional else ''}{empty}", text)
            return None
        if not MIN_DATE <= day <= MAX_DATE:
            self.bad(col, f"a date from {MIN_DATE} to {MAX_DATE}{empty}", text)
            return None
        if after is not None and day < after:
            self.bad(col, f"a date on or after {after_col} ({after})", text)
            return None
        return day

    def fraction(self, col: str) -> float | None:
        """Column ``col`` as a fraction in [0, 1) (None when empty or bad)."""
        text = self.cell(col)
        if not text:
            return None
        try:
            return parse_fraction(text)
        except ValueError:
            self.bad(col, "a fraction in [0, 1) like 0.15, or a percentage like 15%", text)
            return None


@dataclass
class CsvTable:
    """An opened CSV export: which column is where, and its data rows (read once, in order)."""

    file: str
    header: list[str]
    where: dict[str, int]
    delimiter: str
    _rows: Iterator[list[str]] = field(repr=False)
    problems: list[Problem] = field(default_factory=list)

    def rows(self) -> Iterator[Row]:
        """The data rows (blank rows skipped)."""
        for n, raw in enumerate(self._rows, start=2):
            if any(c.strip() for c in raw):
                yield Row(n, raw, self)

    def has(self, col: str) -> bool:
        """Whether the file has column ``col``."""
        return col in self.where

    def check(self) -> None:
        """Raise every problem found so far (one line each)."""
        if self.problems:
            raise ScenarioError(self.problems)


def parse_mapping(items: list[str] | None, label: str = "--map") -> dict[str, str]:
    """``COLUMN=HEADER`` items (``amount=Net ACV``, or ``opportunities.amount=Net ACV`` for one
    file) as a dict; a malformed item is a problem."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for item in items or []:
        key, sep, header = item.partition("=")
        if not sep or not key.strip() or not header.strip():
            problems.append(Problem(label, "(arguments)", f"expected COLUMN=HEADER, found {item!r}"))
            continue
        out[key.strip()] = header.strip()
    if problems:
        raise ScenarioError(problems)
    return out


def open_table(
    path: str | Path,
    columns: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
    *,
    mapping: Mapping[str, str] | None = None,
    kind: str = "",
) -> CsvTable:
    """Open a CSV export and locate its columns; a missing required column is a problem.

    ``columns`` maps each column name to its accepted headers (normalised, the name first).
    ``mapping`` maps a column name (or ``kind.column``) to the header as written in the file.
    """
    from sim.files import read_regular_file

    file = str(path)
    data = read_regular_file(path, MAX_CSV_BYTES, file, what="a CSV file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(file, "(file)", f"expected UTF-8 CSV text, found undecodable byte at {exc.start}")]
        ) from None
    del data
    if "\x00" in text:
        raise ScenarioError([Problem(file, "(file)", "expected CSV text, found binary data")])
    delimiter = _delimiter(text.split("\n", 1)[0].rstrip("\r"))
    # newline="": a quoted cell may hold a line break (rows are counted as records)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    first = next(rows, [])
    if not any(c.strip() for c in first):
        raise ScenarioError(
            [
                Problem(
                    file,
                    "row 1",
                    "expected a header row with columns " + ", ".join(required) + ", found an empty file",
                )
            ]
        )
    header = [norm(h) for h in first]
    found = ", ".join(h for h in header if h) or "none"
    how = f"separated by {_delimiter_name(delimiter)}; commas, semicolons, tabs or '|' are recognised"
    where: dict[str, int] = {}
    problems: list[Problem] = []
    prefix = f"{kind}."
    given = {
        k.removeprefix(prefix): v
        for k, v in (mapping or {}).items()
        if "." not in k or (kind and k.startswith(prefix))
    }
    for col, name in given.items():
        if col not in columns:
            continue  # a column of another file (the same --map serves every file)
        want = norm(name)
        if want in header:
            where[col] = header.index(want)
        else:
            message = f"expected a column {name!r} (from --map), found columns {found}"
            problems.append(Problem(file, f"row 1.{col}", message))
    for col, aliases in columns.items():
        for i, h in enumerate(header):
            if h in aliases and col not in where and i not in where.values():
                where[col] = i
    missing = [c for c in required if c not in where and c not in given]
    problems += [
        Problem(
            file,
            f"row 1.{c}",
            f"expected a column {c!r} (or one of {', '.join(columns[c][1:])}, or --map {c}=HEADER), "
            f"found columns {found} ({how})",
        )
        for c in missing
    ]
    if problems:
        raise ScenarioError(problems)
    return CsvTable(file, header, where, delimiter, rows)
