"""Seats of a capacity-limited role (AEs, SDRs): who sits in them, their work slots and ramp.

A seat holds one person at a time. ``free[seat]`` is the seat's free work slots (-1 while the
seat is empty), so ``free.argmax()`` picks who takes the next piece of work. Each month a
seated person's capacity ramps linearly with tenure (``max(1, round(max_open x min(1,
tenure / ramp_days)))``); departures, vacancy and backfill are the role's :class:`~sim.world.talent.Bench`
(the same monthly hazard as CSMs' and consultants'), and a new hire starts with one slot.
"""

from __future__ import annotations

import numpy as np

from sim.world.services import Clock, Staff
from sim.world.talent import Attrition, Bench


class Seats:
    """The seats of one role; subclasses add the role's work (``SalesTeam``, ``SdrTeam``)."""

    def __init__(
        self,
        staff: Staff,
        clock: Clock,
        attrition: Attrition,
        role: str,
        headcount: int,
        max_open: int,
        ramp_days: float,
        annual_attrition: float,
        backfill_days: float,
    ) -> None:
        self.staff = staff
        self.clock = clock
        self.role = role
        self.max_open = max_open
        self.person: list[int] = staff.team(role, headcount)
        n = len(self.person)
        self.bench = Bench(
            staff, clock, attrition, role, self.person, annual_attrition, backfill_days, ramp_days
        )
        """Departures, vacancy, backfill and tenure of the seats' people."""
        self.bench.left = self._left
        self.bench.refilled = self._refilled
        self.active: list[bool] = [True] * n
        self.open: list[int] = [0] * n
        self.cap: list[int] = [max_open] * n
        self.free = np.full(n, max_open, dtype=np.int64)
        """Free work slots per seat (-1 for an empty seat); argmax picks who takes the work."""

    def grow(self, people: list[int]) -> None:
        """Seats for the people a plan adds (hired on day 0, fully ramped as the starting people)."""
        k = len(people)
        self.person += people  # in place: the bench's people too
        self.bench.grow(k)
        self.active += [True] * k
        self.open += [0] * k
        self.cap += [self.max_open] * k
        self.free = np.concatenate([self.free, np.full(k, self.max_open, dtype=np.int64)])

    def ramp(self) -> list[float]:
        """Each seat's capacity as a share of a fully ramped person's."""
        return [c / self.max_open for c in self.cap]

    def _refresh(self, seat: int) -> None:
        self.free[seat] = self.cap[seat] - self.open[seat] if self.active[seat] else -1

    def monthly_people(self, month: int, u: np.ndarray) -> None:
        """Ramp capacity (linear in tenure), then the bench's departures (baseline hazard x policy
        multiplier); ``u`` holds one uniform per seat (the month's attrition stream)."""
        strength = self.bench.strength(float(self.clock.env.now)).tolist()
        for i in range(len(self.person)):
            if self.active[i]:
                self.cap[i] = max(1, round(self.max_open * strength[i]))
                self._refresh(i)
        self.bench.monthly(u)

    def _left(self, seat: int, person: int) -> None:
        self.active[seat] = False
        self._refresh(seat)

    def _refilled(self, seat: int, old: int, new: int) -> None:
        self.active[seat] = True
        self.open[seat] = 0
        self.cap[seat] = 1
        self._refresh(seat)
        self._seat_refilled(old, new)

    def _seat_refilled(self, old: int, new: int) -> None:
        """Hook: what the role hands from the person who left to their replacement."""
