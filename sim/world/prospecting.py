"""Self-sourced leads: what each AE prospects on each of their working days.

A segment's ``self_sourced_leads_per_ae_day`` (``c``) is the leads one fully ramped AE sources in it
on each of their working days (every day without ``company.working_days``), times the AE's
prospecting effort this month (``e``, 1 unless the plan makes it worth changing:
:mod:`sim.world.effort`), their ramp (capacity / ``max_open_opportunities``) and their ability
(``a``, 1 unless ``reps.prospecting_ability_sd > 0``): ``⌊x⌋`` leads, plus one more with
probability ``x − ⌊x⌋``, for ``x = c · e · ramp · a``. The leads are outbound leads owned by
the AE who sourced them: they go to that AE's triage (``SalesTeam.receive``), and are lost when the
AE has no free slot (``leads_lost``).

Draws: each seat has its own streams per segment (``prospecting.<segment>.seat<k>`` for the leads,
``...count`` for the fractional part), so what one AE sources never shifts another's leads, and a
customer won from a self-sourced lead has its own entity key (``Lead.key``). ``docs/model.md``,
"World: reps".
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from sim.rng import Streams
from sim.scenario.company import Company
from sim.world.book import lead_key
from sim.world.lead import BATCH, Lead, LeadStream
from sim.world.services import Clock, Segments

SELF_KEY_SOURCE = 4
"""Source field of the entity key of a self-sourced lead's customer (exogenous ones use 0-3)."""
SEAT_SHIFT = 40
"""The seat's bits in that key's sequence number (leads per seat below 2^40)."""


class Prospecting:
    """The AEs' own prospecting (module docstring). Off when no segment has self-sourced leads."""

    def __init__(
        self, clock: Clock, segments: Segments, streams: Streams, company: Company, seats: int
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.streams = streams
        self.company = company
        self.rates = segments.array("self_sourced_leads_per_ae_day")
        self.on = bool(np.any(self.rates > 0))
        self.effort = np.ones(seats)
        """This month's prospecting effort per seat (``sim/world/effort.py``)."""
        self._leads: dict[tuple[int, int], LeadStream] = {}
        self._counts: dict[tuple[int, int], tuple[np.random.Generator, list[float]]] = {}
        self.sourced = 0
        """Self-sourced leads (whole run)."""
        self.sourced_in_window = 0
        """Self-sourced leads on days of the measured window."""
        self.receive: Callable[[Lead], None] = lambda lead: None
        """The AEs' inbox (``SalesTeam.receive``)."""
        self._ability: dict[int, float] = {}

    def ability(self, person: int) -> float:
        """The AE's prospecting ability (``reps.prospecting_ability_sd``; stream
        ``people.ae.ability.p<person>``, drawn the first time it is needed)."""
        a = self._ability.get(person)
        if a is None:
            sd = self.company.reps.prospecting_ability_sd
            a = 1.0
            if sd > 0:
                z = float(self.streams(f"people.ae.ability.p{person}").standard_normal())
                a = math.exp(sd * z - sd * sd / 2)
            self._ability[person] = a
        return a

    def _stream(self, seat: int, segment: int) -> LeadStream:
        key = (seat, segment)
        s = self._leads.get(key)
        if s is None:
            name = self.segments.names[segment]
            c = self.company
            s = LeadStream(
                self.streams(f"prospecting.{name}.seat{seat}"), segment, 0, self.segments.seg[segment],
                c.deals.cycle_shape, c.consultants.duration_shape,
            )  # fmt: skip
            self._leads[key] = s
        return s

    def _uniform(self, seat: int, segment: int) -> float:
        key = (seat, segment)
        rng, buf = self._counts.get(key) or (None, [])
        if rng is None or not buf:
            if rng is None:
                rng = self.streams(f"prospecting.{self.segments.names[segment]}.seat{seat}.count")
            buf = rng.random(BATCH).tolist()[::-1]
            self._counts[key] = (rng, buf)
        return buf.pop()

    def day(self, day: int, people: list[int], active: list[bool], ramp: list[float]) -> None:
        """The leads each active AE sources on business day ``day`` (``people``, ``active`` and
        ``ramp`` by seat)."""
        if not self.on:
            return
        wd = self.clock.workdays
        inside = day >= self.clock.measure_start
        for k, person in enumerate(people):
            if not active[k] or (wd is not None and not wd.works(person, float(day))):
                continue
            for s in np.flatnonzero(self.rates > 0).tolist():
                x = float(self.rates[s]) * float(self.effort[k]) * ramp[k] * self.ability(person)
                n = math.floor(x)
                if self._uniform(k, s) < x - n:
                    n += 1
                for _ in range(n):
                    lead = self._stream(k, s).next()
                    lead.owner = k
                    lead.key = lead_key(s, SELF_KEY_SOURCE, (k << SEAT_SHIFT) | lead.seq)
                    self.sourced += 1
                    self.sourced_in_window += inside
                    self.receive(lead)
