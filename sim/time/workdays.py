"""The working-day calendar: which simulation days are working days, per company and per person.

Built from ``company.working_days`` (:class:`sim.scenario.working_days.WorkingDays`) with numpy's
business-day functions (``np.is_busday`` with a weekmask and a holiday list, ``np.busday_count``).
Simulation day ``d`` (a float) lies in calendar day ``floor(d)``; a person *works* on a day when it
is a company working day and not one of their vacation days (people in roles the section does
not list work every day).

Working time is continuous: with ``a[k]`` = 1 on a working day and ``C[k] = a[0] + ... + a[k-1]``,
the working days elapsed at time ``t`` (``k = floor(t)``) are ``W(t) = C[k] + a[k] (t - k)``.
:meth:`WorkCalendar.advance` inverts it: ``D`` working days from ``t`` end at
``W^-1(W(t) + D)``, the point inside a working day where the work is done.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from sim.rng import Streams
from sim.scenario.working_days import WorkingDays
from sim.time.calendar import Calendar

END_EPS = 1e-6
"""Work that ends exactly at midnight ends this much before it, inside the working day."""


def holiday_dates(cfg: WorkingDays, first_year: int, last_year: int) -> np.ndarray:
    """Every holiday from ``first_year`` to ``last_year`` (inclusive) as ``datetime64[D]``, sorted."""
    days: list[np.datetime64] = [np.datetime64(d, "D") for d in cfg.holidays.dated]
    for year in range(first_year, last_year + 1):
        for md in cfg.holidays.yearly:
            month, day = int(md[:2]), int(md[3:])
            if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
                continue
            days.append(np.datetime64(f"{year:04d}-{md}", "D"))
    return np.unique(np.asarray(days, dtype="datetime64[D]"))


class WorkCalendar:
    """Working days of the company and of each person over a simulation.

    ``roster`` maps a person to their role (the world's live roster); the calendar and vacations
    apply to the roles in ``cfg.roles``. Vacations are drawn lazily per person from stream
    ``workdays.vacation.p<person>``.
    """

    def __init__(
        self,
        calendar: Calendar,
        cfg: WorkingDays,
        streams: Streams,
        roster: Mapping[int, str],
    ) -> None:
        self.calendar = calendar
        self.cfg = cfg
        self.streams = streams
        self.roster = roster
        self.n_days = int(calendar.month_starts[-1]) + 1
        origin = np.datetime64(calendar.start, "D")
        dates = origin + np.arange(self.n_days)
        years = dates.astype("datetime64[Y]").astype(int) + 1970
        self.holidays = holiday_dates(cfg, int(years.min()), int(years.max()))
        self.weekmask = cfg.weekmask
        self.open = np.is_busday(dates, weekmask=self.weekmask, holidays=self.holidays)
        """Company working days, one per simulation day."""
        self.cum = np.concatenate([[0], np.cumsum(self.open)]).astype(np.int64)
        """``cum[k]``: company working days in ``[0, k)``."""
        self.week_share = self.weekmask.count("1") / 7.0
        """Working days per calendar day of a week without holidays (5/7 for a Monday-Friday week)."""
        starts = calendar.month_starts.astype(np.int64)
        self.month_weekdays = np.busday_count(
            origin + starts[:-1], origin + starts[1:], weekmask=self.weekmask
        ).astype(np.float64)
        """Weekmask days (holidays and vacations not removed) of each fiscal month: the nominal
        working time the model's monthly rates were set for."""
        self._people: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._vacations: dict[int, np.ndarray] = {}
        self._all = (np.ones(self.n_days, dtype=bool), np.arange(self.n_days + 1, dtype=np.int64))

    # ------------------------------------------------------------------ people
    def applies(self, person: int) -> bool:
        """Whether the person's role follows the working-day calendar."""
        return self.roster.get(person, "") in self.cfg.roles

    def person_days(self, person: int) -> tuple[np.ndarray, np.ndarray]:
        """``(works, cum)``: the person's working days and their running count (``cum[k]`` in ``[0, k)``)."""
        got = self._people.get(person)
        if got is None:
            if person < 0 or not self.applies(person):
                got = self._all
            else:
                works = self.open & ~self.vacation(person)
                got = (works, np.concatenate([[0], np.cumsum(works)]).astype(np.int64))
            self._people[person] = got
        return got

    def vacation(self, person: int) -> np.ndarray:
        """The person's vacation days (a boolean per simulation day; drawn once, then kept).

        Each fiscal year ``y`` with company working days ``o_1 < ... < o_N`` holds
        ``V = vacation_days_per_year`` vacation days in ``n = ceil(V / B)`` blocks of ``B =
        vacation_block_days`` consecutive working days (the last ``V - (n-1)B``). The working days
        are cut into ``n`` equal slices and block ``j`` starts at a uniform position of slice ``j``
        that leaves it room, so blocks never overlap and every year holds exactly ``V`` days
        (fewer only when ``V > N``)."""
        got = self._vacations.get(person)
        if got is not None:
            return got
        out = np.zeros(self.n_days, dtype=bool)
        self._vacations[person] = out
        total = self.cfg.vacation_days_per_year
        if total <= 0:
            return out
        block = self.cfg.vacation_block_days
        rng = self.streams(f"workdays.vacation.p{person}")
        starts = self.calendar.month_starts
        n_years = (len(starts) - 1) // 12 + 1
        n_blocks = math.ceil(total / block)
        sizes = [block] * (n_blocks - 1) + [total - block * (n_blocks - 1)]
        u = rng.random((n_years, n_blocks))
        for y in range(n_years):
            a = int(starts[12 * y])
            b = int(starts[12 * (y + 1)]) if 12 * (y + 1) < len(starts) else self.n_days
            idx = a + np.flatnonzero(self.open[a:b])
            n = len(idx)
            if n == 0:
                continue
            edges = np.linspace(0, n, n_blocks + 1)
            for j, size in enumerate(sizes):
                lo, hi = int(edges[j]), int(edges[j + 1])
                size = min(size, hi - lo)
                if size <= 0:
                    continue
                first = lo + int(u[y, j] * (hi - lo - size + 1))
                out[idx[first : first + size]] = True
        return out

    def works(self, person: int, day: float) -> bool:
        """Whether ``day`` lies in a working day of the person."""
        k = math.floor(day)
        if not 0 <= k < self.n_days:
            return True
        return bool(self.person_days(person)[0][k])

    def worked(self, person: int, t0: float, t1: float) -> float:
        """Working days of the person in ``[t0, t1)`` (``W(t1) - W(t0)``)."""
        return self._w(person, t1) - self._w(person, t0)

    def _w(self, person: int, t: float) -> float:
        works, cum = self.person_days(person)
        k = math.floor(t)
        if k < 0:
            return t
        if k >= self.n_days:
            return float(cum[-1]) + (t - self.n_days)
        return float(cum[k]) + float(works[k]) * (t - k)

    def advance(self, person: int, t: float, work_days: float) -> float:
        """The time at which ``work_days`` working days of the person, started at ``t``, are done.

        The result lies inside a working day (work ending at midnight ends ``END_EPS`` before it);
        past the calendar's end every day counts."""
        if work_days <= 0:
            return t
        _, cum = self.person_days(person)
        target = self._w(person, t) + work_days
        if target > cum[-1]:
            return float(self.n_days) + (target - float(cum[-1]))
        k = int(np.searchsorted(cum, target, side="left")) - 1  # cum[k] < target <= cum[k + 1]
        return k + min(target - float(cum[k]), 1.0 - END_EPS)

    def cycle_end(self, person: int, t: float, nominal_days: float) -> float:
        """End of a span of ``nominal_days`` calendar days of a plain week (no holidays, no vacation)
        started at ``t``, advancing on the person's working days: ``advance(person, t, nominal_days x
        week_share)`` (``week_share`` = 1 for a role the calendar does not apply to)."""
        share = self.week_share if self.applies(person) else 1.0
        return self.advance(person, t, nominal_days * share)

    def next_open(self, t: float) -> float:
        """``t`` when it lies in a company working day, else the start of the next one."""
        k = math.floor(t)
        if k < 0 or k >= self.n_days or self.open[k]:
            return t
        j = int(np.searchsorted(self.cum, self.cum[k] + 1, side="left")) - 1
        return float(min(j, self.n_days))

    def next_working(self, person: int, t: float) -> float:
        """``t`` when it lies in a working day of the person, else the start of their next one."""
        works, cum = self.person_days(person)
        k = math.floor(t)
        if k < 0 or k >= self.n_days or works[k]:
            return t
        j = int(np.searchsorted(cum, cum[k] + 1, side="left")) - 1
        return float(j) if j < self.n_days else float(self.n_days)

    def last_working_before(self, person: int, day: float) -> float:
        """Start of the person's last working day before day ``floor(day)`` (-1 if none)."""
        _, cum = self.person_days(person)
        k = min(math.floor(day), self.n_days)
        if k <= 0 or cum[k] == 0:
            return -1.0
        return float(np.searchsorted(cum, cum[k], side="left") - 1)

    # ------------------------------------------------------------------ the company calendar
    def window_start(self, period_end: float, working_days: int | None = None) -> float:
        """Start of the ``working_days``-th last company working day before ``period_end`` (a
        period boundary): the last ``working_days`` working days of the period start there."""
        k = self.cfg.period_end_working_days if working_days is None else working_days
        e = min(int(period_end), self.n_days)
        target = int(self.cum[e]) - k
        if target < 0:
            return 0.0
        return float(np.searchsorted(self.cum, target + 1, side="left") - 1)

    def window_end(self, period_start: float, working_days: int | None = None) -> float:
        """End (the next midnight) of the ``working_days``-th company working day from ``period_start``."""
        k = self.cfg.period_end_working_days if working_days is None else working_days
        s = min(int(period_start), self.n_days)
        target = int(self.cum[s]) + k
        if target > self.cum[-1]:
            return float(self.n_days)
        return float(np.searchsorted(self.cum, target, side="left"))

    def month_factor(self, person: int, month: int) -> float:
        """The person's working days in fiscal month ``month`` over the month's weekmask days
        (1 for a month without holidays or vacation)."""
        starts = self.calendar.month_starts
        if not 0 <= month < len(starts) - 1:
            return 1.0
        if not self.applies(person):
            return 1.0
        _, cum = self.person_days(person)
        a, b = int(starts[month]), min(int(starts[month + 1]), self.n_days)
        nominal = self.month_weekdays[month]
        return float(cum[b] - cum[a]) / nominal if nominal > 0 else 1.0

    def calendar_per_working_day(self, role: str) -> float:
        """Mean calendar days per working day of a person in ``role`` over the simulation
        (holidays and the mean vacation included); 1 for a role the calendar does not apply to."""
        if role not in self.cfg.roles:
            return 1.0
        years = self.n_days / 365.25
        work = float(self.cum[-1]) - self.cfg.vacation_days_per_year * years
        return self.n_days / max(work, 1.0)
