"""Working days: weekends, holidays and vacations (``company.working_days``; off when absent).

When the section is present, the roles it lists work on working days only: implementation
durations are consultant working days, sales cycles advance on the AE's working days and deals
close on working days, a CSM's monthly time scales with their working days in the month, and
"the last two weeks of the quarter" becomes the last ``period_end_working_days`` working days
(``sim/time/workdays.py``; the equations are in ``docs/model.md``). Without it every day is a working
day and the model is exactly the one without this section.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sim.scenario.base import NonNegativeInt, PositiveInt, StrictModel

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WorkRole = Literal["ae", "consultant", "csm", "sdr"]


def _month_day(text: str) -> str:
    """Check a yearly holiday written ``MM-DD`` (``02-29`` is allowed: it counts in leap years)."""
    parts = text.split("-")
    if len(parts) != 2 or not all(p.isdecimal() and len(p) == 2 for p in parts):
        raise ValueError(f"expected a month-day 'MM-DD' such as '12-25', found {text!r}")
    try:
        dt.date(2024, int(parts[0]), int(parts[1]))
    except ValueError:
        raise ValueError(f"expected a real month-day 'MM-DD', found {text!r}") from None
    return text


MonthDay = Annotated[str, AfterValidator(_month_day)]


def _weekend() -> list[Weekday]:
    return ["sat", "sun"]


def _roles() -> list[WorkRole]:
    return ["ae", "consultant", "csm", "sdr"]


class Holidays(StrictModel):
    """Company holidays: nobody in the listed roles works on them."""

    yearly: list[MonthDay] = Field(default_factory=list)
    """Holidays on the same date every year, as ``'MM-DD'`` (e.g. ``'12-25'``); one falling on a
    weekend is not moved."""
    dated: list[dt.date] = Field(default_factory=list)
    """One-off holidays, as ISO dates (``2026-04-03``); simulation day 0 is the first day of the
    fiscal year starting in 2025."""


class WorkingDays(StrictModel):
    """The working-day calendar of the company and its people's vacations."""

    weekend: list[Weekday] = Field(default_factory=_weekend)
    """Weekdays nobody works (``mon`` .. ``sun``); at least one weekday must remain a working day."""
    holidays: Holidays = Field(default_factory=Holidays)
    """Yearly and dated company holidays."""
    vacation_days_per_year: NonNegativeInt = 0
    """Working days of vacation each person in the listed roles takes per fiscal year (placed at
    random per person, stream ``workdays.vacation.p<person>``)."""
    vacation_block_days: PositiveInt = 5
    """Vacation is taken in blocks of this many consecutive working days (the last block of a year
    may be shorter); blocks are spread over the year, one per equal slice of its working days."""
    roles: list[WorkRole] = Field(default_factory=_roles)
    """Roles whose capacity follows the working-day calendar (weekends, holidays, vacations); other
    roles work every day as without this section."""
    period_end_working_days: PositiveInt = 10
    """Length of "the last two weeks of the quarter" in working days: the close-timing window and
    the ``period_end_share`` metric use the quarter's last this-many working days."""

    @model_validator(mode="after")
    def _check(self) -> WorkingDays:
        if len(set(self.weekend)) >= 7:
            raise ValueError("@weekend: expected at least one working weekday, found all seven days off")
        if len(set(self.weekend)) != len(self.weekend):
            raise ValueError(f"@weekend: expected each weekday once, found {self.weekend}")
        return self

    @property
    def weekmask(self) -> str:
        """The numpy weekmask (``'1111100'``: Monday..Sunday, 1 = working day)."""
        off = set(self.weekend)
        return "".join("0" if d in off else "1" for d in WEEKDAYS)
