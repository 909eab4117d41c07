"""Seats of the roles whose people carry a book or a project load (CSMs, consultants): attrition,
vacancy, backfill and ramp, as :mod:`sim.world.seats` does for AEs and SDRs.

A seat holds one person at a time. Each month a seated person leaves with probability
``1 - (1 - annual_attrition)^(1/12)`` times the policy's attrition multiplier (realised against
on-target pay, ``Policy.attrition_multipliers``); the seat is then vacant for ``backfill_days`` and
refilled by a new hire whose strength (a CSM's attention, a consultant's concurrent projects)
ramps linearly over ``ramp_days``. What a departure and a refill mean for the work (a book without
attention, a capacity lost) is the team's: it is told through :attr:`Bench.left` and
:attr:`Bench.refilled`. With ``annual_attrition`` 0 nothing is drawn and nobody leaves.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.world.services import Clock, Staff

Attrition = Callable[[str, np.ndarray, float], np.ndarray]
"""The policy's attrition multipliers of (role, persons, day)."""


def _nothing(*_: object) -> None:
    return None


class Bench:
    """The seats of one role (see the module docstring). ``people`` is the team's own list: a
    refill replaces the seat's entry in place."""

    def __init__(
        self,
        staff: Staff,
        clock: Clock,
        attrition: Attrition,
        role: str,
        people: list[int],
        annual_attrition: float,
        backfill_days: float,
        ramp_days: float,
    ) -> None:
        self.staff = staff
        self.clock = clock
        self.attrition = attrition
        self.role = role
        self.people = people
        self.annual_attrition = annual_attrition
        self.backfill_days = backfill_days
        self.ramp_days = ramp_days
        n = len(people)
        self.hired_day = np.full(n, -np.inf)
        """Hire day per seat (people present at the start are fully ramped)."""
        self.vacant = np.zeros(n, dtype=bool)
        self.left: Callable[[int, int], None] = _nothing
        """Told (seat, person) when a person leaves."""
        self.refilled: Callable[[int, int, int], None] = _nothing
        """Told (seat, old person, new person) when a vacant seat is refilled."""

    @property
    def on(self) -> bool:
        """Whether anyone can leave (a positive baseline attrition)."""
        return self.annual_attrition > 0

    def grow(self, k: int) -> None:
        """Seats for ``k`` people a plan adds (fully ramped, as the starting people)."""
        self.hired_day = np.concatenate([self.hired_day, np.full(k, -np.inf)])
        self.vacant = np.concatenate([self.vacant, np.zeros(k, dtype=bool)])

    def strength(self, now: float) -> np.ndarray:
        """Per seat: 0 while vacant, else ``min(1, tenure / ramp_days)`` (1 without a ramp)."""
        if self.ramp_days <= 0:
            return np.where(self.vacant, 0.0, 1.0)
        tenure = np.maximum(now - self.hired_day, 0.0)
        return np.where(self.vacant, 0.0, np.minimum(1.0, tenure / self.ramp_days))

    def monthly(self, u: np.ndarray) -> None:
        """This month's departures (``u``: one uniform per seat, the month's attrition stream)."""
        if not self.on:
            return
        now = float(self.clock.env.now)
        base = 1.0 - (1.0 - self.annual_attrition) ** (1.0 / 12.0)
        multiplier = self.attrition(self.role, np.array(self.people, dtype=np.int64), now).tolist()
        for i in range(len(self.people)):
            if self.vacant[i]:
                continue
            person = self.people[i]
            if u[i] < min(base * multiplier[i], 1.0):
                self.vacant[i] = True
                self.staff.leave(self.role, person)
                self.left(i, person)
                self.clock.env.call_later(self.backfill_days, self._refill, i)

    def _refill(self, seat: int) -> None:
        now = float(self.clock.env.now)
        if now >= self.clock.end_day:
            return
        old = self.people[seat]
        new = self.staff.hire(self.role, now)
        self.people[seat] = new
        self.hired_day[seat] = now
        self.vacant[seat] = False
        self.refilled(seat, old, new)

    def vacancy(self) -> float:
        """Share of seats vacant now."""
        return float(self.vacant.mean()) if len(self.vacant) else 0.0
