"""Seats of a capacity-limited role (AEs, SDRs): who sits in them, ramp, attrition and backfill.

A seat holds one person at a time. ``free[seat]`` is the seat's free work slots (-1 while the
seat is empty), so ``free.argmax()`` picks who takes the next piece of work. Each month a
seated person's capacity ramps linearly with tenure (``max(1, round(max_open x min(1,
tenure / ramp_days)))``) and they leave with probability ``1 - (1 - annual_attrition)^(1/12)``
times the policy's attrition multiplier (pay against on-target earnings); the seat is refilled
``backfill_days`` later by a new hire starting with one slot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.world.services import Clock, Staff

Attrition = Callable[[str, np.ndarray, float], np.ndarray]
"""The policy's attrition multipliers of (role, persons, day)."""


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
        self.attrition = attrition
        self.role = role
        self.max_open = max_open
        self.ramp_days = ramp_days
        self.annual_attrition = annual_attrition
        self.backfill_days = backfill_days
        self.person: list[int] = staff.team(role, headcount)
        n = len(self.person)
        self.hired_day: list[float] = [-10_000.0] * n
        """People present at the start are fully ramped."""
        self.active: list[bool] = [True] * n
        self.open: list[int] = [0] * n
        self.cap: list[int] = [max_open] * n
        self.free = np.full(n, max_open, dtype=np.int64)
        """Free work slots per seat (-1 for an empty seat); argmax picks who takes the work."""

    def grow(self, people: list[int]) -> None:
        """Seats for the people a plan adds (hired on day 0, fully ramped as the starting people)."""
        k = len(people)
        self.person += people
        self.hired_day += [-10_000.0] * k
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
        """Ramp capacity (linear in tenure), attrition (baseline hazard x policy multiplier) and
        backfill; ``u`` holds one uniform per seat (the month's attrition stream)."""
        now = self.clock.env.now
        base = 1.0 - (1.0 - self.annual_attrition) ** (1.0 / 12.0)
        multiplier = self.attrition(self.role, np.array(self.person, dtype=np.int64), now).tolist()
        for i in range(len(self.person)):
            if not self.active[i]:
                continue
            tenure = now - self.hired_day[i]
            ramp = 1.0 if self.ramp_days <= 0 else min(1.0, max(tenure, 0.0) / self.ramp_days)
            self.cap[i] = max(1, round(self.max_open * ramp))
            self._refresh(i)
            hazard = min(base * multiplier[i], 1.0)
            if u[i] < hazard:
                self.active[i] = False
                self._refresh(i)
                self.staff.leave(self.role, self.person[i])
                ev = self.clock.env.timeout(self.backfill_days)
                ev.callbacks.append(self._backfill_callback(i))

    def _backfill_callback(self, seat: int) -> Callable[[Any], None]:
        return lambda _ev: self._backfill(seat)

    def _backfill(self, seat: int) -> None:
        now = self.clock.env.now
        if now >= self.clock.end_day:
            return
        old = self.person[seat]
        new = self.staff.hire(self.role, now)
        self.person[seat] = new
        self.hired_day[seat] = now
        self.active[seat] = True
        self.open[seat] = 0
        self.cap[seat] = 1
        self._refresh(seat)
        self._seat_refilled(old, new)

    def _seat_refilled(self, old: int, new: int) -> None:
        """Hook: what the role hands from the person who left to their replacement."""
