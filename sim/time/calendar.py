"""The fiscal calendar: simulation days mapped to months, quarters and fiscal years.

Day 0 is the first day of a fiscal year (the start of warm-up). Months follow the real
calendar (28-31 days), so period ends fall where a comp plan would put them.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import numpy as np

from sim.vocabulary import MONTHS_PER, Period


class Windows(Protocol):
    """Where "the last working days" before a period end start (a working-day calendar:
    :class:`sim.time.workdays.WorkCalendar`)."""

    def window_start(self, period_end: float) -> float:
        """Start of the window that ends at ``period_end``."""
        ...


DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12


class Calendar:
    """Fiscal months of a simulation that starts at a fiscal-year start.

    ``total_months`` months are laid out (warm-up plus horizon, plus a margin so that
    lookups just past the end still work).
    """

    def __init__(self, fiscal_year_start_month: int, total_months: int, start_year: int = 2025):
        if not 1 <= fiscal_year_start_month <= 12:
            raise ValueError("fiscal_year_start_month must be 1..12")
        self.start = dt.date(start_year, fiscal_year_start_month, 1)
        self.total_months = int(total_months)
        n = self.total_months + 13
        starts = []
        y, m = start_year, fiscal_year_start_month
        for _ in range(n + 1):
            starts.append((dt.date(y, m, 1) - self.start).days)
            m += 1
            if m == 13:
                y, m = y + 1, 1
        self.month_starts = np.asarray(starts, dtype=float)
        """Day on which each fiscal month starts (index 0 = first month of warm-up)."""
        self.workdays: Windows | None = None
        """The working-day calendar (``company.working_days``) when the scenario has one, else None."""

    @property
    def end_day(self) -> float:
        """First day after the last simulated month."""
        return float(self.month_starts[self.total_months])

    def month_of(self, day: float) -> int:
        """Index of the month containing ``day``."""
        return int(np.searchsorted(self.month_starts, day, side="right") - 1)

    def months_of(self, days: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`month_of`."""
        return np.searchsorted(self.month_starts, days, side="right") - 1

    def period_of(self, day: float, period: Period) -> int:
        """Index of the month/quarter/fiscal year containing ``day``."""
        return self.month_of(day) // MONTHS_PER[period]

    def period_bounds(self, index: int, period: Period) -> tuple[float, float]:
        """``[start, end)`` days of period ``index``."""
        k = MONTHS_PER[period]
        return float(self.month_starts[index * k]), float(self.month_starts[(index + 1) * k])

    def period_end(self, day: float, period: Period) -> float:
        """First day after the period containing ``day``."""
        return self.period_bounds(self.period_of(day, period), period)[1]

    def days_left(self, day: float, period: Period) -> float:
        """Days from ``day`` to the end of its period."""
        return self.period_end(day, period) - day

    def period_end_window_start(self, period_end: float) -> float:
        """Start of "the last two weeks" before the period boundary ``period_end``: 14 days before it,
        or the start of the last ``period_end_working_days`` working days with a working-day calendar."""
        if self.workdays is None:
            return period_end - 14.0
        return self.workdays.window_start(period_end)

    def date_of(self, day: float) -> dt.date:
        """The calendar date of a simulation day."""
        return self.start + dt.timedelta(days=int(day))

    def day_of(self, date: dt.date) -> float:
        """The simulation day of a calendar date."""
        return float((date - self.start).days)
