"""A company's history as its CRM shows it: opportunities, monthly ARR per account, people.

The same :class:`Crm` is built from a company's exports (:mod:`sim.calibrate.inputs`) and from
a simulated replication (:mod:`sim.calibrate.simulated`), so every statistic of calibration is
computed by one function on both sides (:mod:`sim.calibrate.moments`).

Dates are ``datetime64[D]``; a missing value is ``NaT`` (dates), ``NaN`` (numbers) or ``""``
(text). The analysis window ``[start, end)`` is whole fiscal quarters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

import numpy as np
import pandas as pd

from sim.vocabulary import SEGMENTS, SOURCES, CreditRole

AE, CSM = get_args(CreditRole)
"""The roles a booking credits (the vocabulary's names): the AE owns new business and the CSM the
expansions it is credited with."""

OPPORTUNITY_COLUMNS: dict[str, str] = {
    "id": "object",
    "owner": "object",
    "account": "object",
    "segment": "object",
    "type": "object",
    "won": "bool",
    "amount": "float64",
    "discount": "float64",
    "created": "datetime64[s]",
    "closed": "datetime64[s]",
    "source": "object",
    "fit": "float64",
    "term_months": "float64",
}
"""Columns of :attr:`Crm.opportunities`: ``type`` new/upsell/cross_sell/renewal, ``amount`` ACV
after discount in dollars, ``discount`` a fraction, ``source`` one of :data:`SOURCES` or ""."""
ARR_COLUMNS: dict[str, str] = {
    "account": "object",
    "segment": "object",
    "month": "datetime64[s]",
    "arr": "float64",
}
"""Columns of :attr:`Crm.arr`: ARR (dollars) of an account at the end of a month (first day)."""
PEOPLE_COLUMNS: dict[str, str] = {
    "name": "object",
    "role": "object",
    "hire": "datetime64[s]",
    "leave": "datetime64[s]",
    "quota": "float64",
}
"""Columns of :attr:`Crm.people`: ``quota`` annual, dollars (NaN: the plan's)."""

__all__ = ["ARR_COLUMNS", "OPPORTUNITY_COLUMNS", "PEOPLE_COLUMNS", "SEGMENTS", "SOURCES", "Crm"]


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """An empty frame with these columns and types."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def typed_frame(columns: dict[str, Any], types: dict[str, str]) -> pd.DataFrame:
    """A frame of ``columns`` (arrays or lists of one length) with exactly the types ``types``
    gives, in its order (what ``DataFrame(columns).astype(types)`` gives, casting only the columns
    whose inferred type differs)."""
    frame = pd.DataFrame({c: columns[c] for c in types})
    wrong = {c: t for c, t in types.items() if frame[c].dtype != t}
    return frame.astype(wrong) if wrong else frame


def days(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as whole days since 1970-01-01 (float, NaN for a missing date)."""
    arr = np.asarray(values, dtype="datetime64[D]")
    out = arr.astype("int64").astype(float)
    out[np.isnat(arr)] = np.nan
    return out


def fiscal_quarter_start(d: Any, fiscal_year_start_month: int) -> Any:
    """The first day of the fiscal quarter of each day (``datetime64[D]``)."""
    month = np.asarray(d, dtype="datetime64[M]").astype("int64")  # months since 1970-01
    offset = fiscal_year_start_month - 1
    q = np.floor_divide(month - offset, 3)
    return (q * 3 + offset).astype("datetime64[M]").astype("datetime64[D]")


def add_months(d: Any, months: int) -> Any:
    """First days of months ``months`` after the months of ``d``."""
    return (np.asarray(d, dtype="datetime64[M]") + np.timedelta64(months, "M")).astype("datetime64[D]")


@dataclass
class Crm:
    """A company's history: every table a calibration reads, and the window it reads them in."""

    opportunities: pd.DataFrame
    arr: pd.DataFrame
    people: pd.DataFrame
    fiscal_year_start_month: int
    start: Any
    """First day of the analysis window (a fiscal quarter start; ``numpy.datetime64``)."""
    end: Any
    """First day after the window (a fiscal quarter start)."""
    notes: list[str] = field(default_factory=list)
    """What the reader left out and why (open opportunities, rows outside the window...)."""

    @property
    def months(self) -> int:
        """Whole months in the window."""
        return int((self.end.astype("datetime64[M]") - self.start.astype("datetime64[M]")).astype(int))

    @property
    def years(self) -> float:
        """The window in years."""
        return self.months / 12.0

    def segments(self) -> list[str]:
        """Segments with new-business opportunities, in :data:`SEGMENTS` order."""
        seen = set(self.opportunities.loc[self.opportunities["type"] == "new", "segment"])
        return [s for s in SEGMENTS if s in seen]

    def new_business(self, closed_in_window: bool = True) -> pd.DataFrame:
        """New-business opportunities (won and lost), closed in the window when asked."""
        o = self.opportunities
        new = (o["type"] == "new").to_numpy()
        if closed_in_window:
            closed = o["closed"].to_numpy()
            new = new & (closed >= self.start) & (closed < self.end)
        return o[new]
