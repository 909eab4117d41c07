"""AEs' forecast commits: what each rep commits for the quarter, and how far the quarter misses it.

With ``behaviour.ae.forecast_commit_options``, at every fiscal quarter start each seated AE commits
``C = k x E`` (Decision ``forecast_commit``), where ``E`` is their honest expectation (their
bookings of the quarter just ended: the run-rate a rep and their manager both see) and ``k`` one of
the options. Just before the quarter ends the quarter's bookings ``B`` credited to the AE (new logos
they closed, expansion deals credited to AEs at their share) are set against it: a
``forecast_miss`` event of ``|B - C|`` (its ``list_price``: the bookings ``B``), the ``forecast_miss_usd``
measure a plan may pay on (a bonus that falls with the miss pays for accuracy). An AE whose plan
pays on nothing a commit moves commits ``neutral_forecast_commit x E`` without being asked.

Each option is valued by the expected miss ``E|B - kE|`` with ``B ~ Normal(E, (v E)^2)``, ``v``
the coefficient of variation of the quarter's bookings across the AEs (what the reps see of how
uncertain a quarter is); the kernel prices it as the plan pays it, at the quarter end.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.ledger import K, Ledger
from sim.policy.decisions import Decision, Option, OptionTable, OutcomeColumn
from sim.policy.lazy import table_options
from sim.scenario.behaviour import Behaviour
from sim.world.services import Choices, Clock

MEASURE = "forecast_miss_usd"
SETTLE_EARLY = 1e-6
"""Days before the quarter's end at which its commits are settled (inside its pay period)."""
FALLBACK_CV = 0.5
"""Coefficient of variation of a quarter's bookings used while fewer than two AEs booked anything."""


def expected_miss(expectation: float, cv: float, commit: np.ndarray) -> np.ndarray:
    """``E|B - c|`` for ``B ~ Normal(expectation, (cv x expectation)^2)`` at each commit ``c``."""
    sd = max(cv * expectation, 1e-9)
    d = (expectation - commit) / sd
    phi = np.exp(-0.5 * d * d) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(d / math.sqrt(2)))
    return np.asarray(sd * 2 * phi + (expectation - commit) * (2 * cdf - 1))


def _const(table: OptionTable) -> Callable[[], OptionTable]:
    return lambda: table


class ForecastCommits:
    """The AEs' quarterly forecast commits (on when ``forecast_commit_options`` is given)."""

    def __init__(
        self, clock: Clock, ledger: Ledger, choices: Choices, behaviour: Behaviour, seats: int
    ) -> None:
        self.clock = clock
        self.ledger = ledger
        self.choices = choices
        b = behaviour.ae
        self.options = np.array(b.forecast_commit_options, dtype=float)
        self.on = len(self.options) > 0
        self.neutral = int(np.argmin(np.abs(self.options - b.neutral_forecast_commit))) if self.on else 0
        self.labels = tuple(Option(f"commit {k:g}", (), 0.0, k) for k in self.options.tolist())
        self.asked = MEASURE in choices.measures("ae")
        """Whether the AEs' plan pays on the miss (else the neutral commit, without a decision)."""
        self.booked = np.zeros(seats)
        """Bookings credited to each seat's AE this quarter."""
        self.commit = np.full(seats, np.nan)
        """Each seat's commit for this quarter (NaN: none)."""

    def add(self, seat: int, amount: float) -> None:
        """Bookings credited to the AE of ``seat`` (a won deal, an expansion at their share)."""
        if self.on:
            self._fit(seat + 1)
            self.booked[seat] += amount

    def _fit(self, seats: int) -> None:
        """Room for ``seats`` seats (a plan may add AEs)."""
        grow = seats - len(self.booked)
        if grow > 0:
            self.booked = np.concatenate([self.booked, np.zeros(grow)])
            self.commit = np.concatenate([self.commit, np.full(grow, np.nan)])

    def _settle(self, persons: list[int]) -> None:
        """Just before the quarter's end: each commit against the quarter's bookings (credited in the
        quarter's pay period)."""
        now = float(self.clock.env.now)
        self.last = self.booked.copy()
        for seat in np.flatnonzero(~np.isnan(self.commit)).tolist():
            c = float(self.commit[seat])
            miss = abs(float(self.last[seat]) - c)
            self.ledger.add(K.forecast_miss, now, miss, ae=persons[seat], list_price=float(self.last[seat]))
        self.booked[:] = 0.0
        self.commit[:] = np.nan

    last: np.ndarray | None = None
    """Each seat's bookings of the quarter just ended (None before the first quarter end)."""

    def quarter(self, persons: list[int], active: list[bool], us: np.ndarray) -> None:
        """At a fiscal quarter start: the new commits (``us``: one uniform per seat), and the
        quarter's settlement scheduled just before its end."""
        now = float(self.clock.env.now)
        self._fit(len(persons))
        end = self.clock.quarter_bounds(now)[1]
        self.clock.env.call_later(max(end - SETTLE_EARLY - now, 0.0), self._settle, persons)
        if self.last is None:
            return
        last = np.zeros(len(persons))
        last[: len(self.last)] = self.last[: len(persons)]
        who = np.asarray(active, dtype=bool) & (last > 0)
        seen = last[who]
        cv = float(seen.std() / seen.mean()) if len(seen) > 1 else FALLBACK_CV
        for seat in np.flatnonzero(who).tolist():
            e = float(last[seat])
            k = self.neutral
            if self.asked and len(self.options) > 1:
                miss = expected_miss(e, cv, self.options * e)
                due = max(end - SETTLE_EARLY - now, 0.0)
                column = OutcomeColumn.build(MEASURE, len(miss), amount=miss, delay_days=due)
                table = OptionTable((column,), np.zeros(len(miss)))
                options = table_options(_const(table), self.labels)
                attrs = {"expectation": e, "cv": cv}
                d = Decision("forecast_commit", now, "ae", persons[seat], options, self.neutral, attrs, table)
                k = self.choices.one(d, float(us[seat]))
            self.commit[seat] = float(self.options[k]) * e
            self.ledger.add(K.forecast_commit, now, float(self.commit[seat]), ae=persons[seat])
