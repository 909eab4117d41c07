"""The support desk: agents resolve the month's tickets; slow answers cost health, rushed ones come back.

Off unless ``company.support.headcount > 0`` (then ticket resolution plays no role: today's
model). Each month the desk receives the month's tickets ``T`` (``sim/world/accounts.py``). With
agents' paces ``p_k`` (Decision ``support_pace``, options ``behaviour.support.pace_options``) the
desk resolves ``c = tickets_per_agent_per_month x sum(p_k)`` a month; its utilisation is
``u = min(T / c, 0.95)`` and the mean resolution time, as the sojourn of an M/M/1 queue (Kleinrock
1975, ch. 3) with service sped up by the mean pace ``p``, is ``R = resolution_days / p / (1 - u)``
days. With exponential resolution times a ticket misses the ``sla_days`` with probability
``L = exp(-sla_days / R)``; each late ticket costs its account ``health_per_late_ticket``. Rushing
reopens tickets: a share ``reopen_per_pace x max(p - neutral pace, 0)`` of this month's tickets
comes back next month (their expected number is added to each account's ticket rate). Agent ``k``
closes ``T x p_k / sum(p)`` tickets (a ``tickets_resolved`` event, credited on the measure of
the same name: a reopened ticket is closed, and paid, twice).

An agent's options list ``tickets_resolved`` (next month's tickets, reopened included, times the
agent's share) and ``company_grr``/``company_nrr`` (the health late and reopened tickets cost the
book); agents whose plan pays on none of them keep the neutral pace without being asked.
"""

from __future__ import annotations

import math

import numpy as np

from sim.ledger import ROLE_CODE, K, Ledger
from sim.policy.decisions import Decision, MeasureOutcome, Option
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.world.book import Book
from sim.world.outlook import Outlook, company_ratio_outcomes
from sim.world.services import Choices, Clock, Segments, Staff


class SupportDesk:
    """The support agents, their paces, and what the month's tickets do."""

    role = "support"

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        book: Book,
        segments: Segments,
        ledger: Ledger,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
    ) -> None:
        self.clock = clock
        self.book = book
        self.segments = segments
        self.ledger = ledger
        self.choices = choices
        self.company = company
        b = behaviour.support
        self.people: list[int] = staff.team("support", company.support.headcount)
        self.options = list(b.pace_options) or [b.neutral_pace]
        self.neutral = int(np.argmin([abs(v - b.neutral_pace) for v in self.options]))
        self.p0 = self.options[self.neutral]
        self.effort_kusd = b.effort_cost_kusd_per_month
        self.pace = np.full(len(self.people), self.p0)
        self.carry = np.zeros(book.capacity)
        """Expected reopened tickets each customer brings into next month."""
        self.last = np.zeros(book.capacity)
        """Each customer's tickets last month."""
        self.resolution_days = math.nan
        self.late_share = 0.0

    @property
    def on(self) -> bool:
        """Whether there is a desk (agents)."""
        return len(self.people) > 0

    def grow(self, people: list[int]) -> None:
        """Agents a plan adds (at the neutral pace)."""
        self.people += people
        self.pace = np.concatenate([self.pace, np.full(len(people), self.p0)])

    def _fit(self, n: int) -> None:
        if len(self.carry) < n:
            self.carry = np.concatenate([self.carry, np.zeros(2 * n - len(self.carry))])
            self.last = np.concatenate([self.last, np.zeros(2 * n - len(self.last))])

    def reopened(self, live: np.ndarray) -> np.ndarray:
        """Expected reopened tickets per live customer this month (added to its ticket rate)."""
        self._fit(self.book.n)
        return self.carry[live]

    def _state(self, pace: np.ndarray, tickets: float) -> tuple[float, float, float]:
        """(mean resolution days, late share, reopen share) of a month of ``tickets`` at these paces."""
        s = self.company.support
        p = float(pace.mean())
        cap = s.tickets_per_agent_per_month * float(pace.sum())
        u = min(tickets / cap, 0.95) if cap > 0 else 0.95
        r = s.resolution_days / p / (1.0 - u)
        return r, math.exp(-s.sla_days / r), s.reopen_per_pace * max(p - self.p0, 0.0)

    def resolve(self, live: np.ndarray, tickets: np.ndarray) -> np.ndarray:
        """The month's tickets of the live customers resolved: each agent's ``tickets_resolved``
        event, what comes back next month, and the health each account loses to late answers."""
        self._fit(self.book.n)
        total = float(tickets.sum())
        r, late, reopen = self._state(self.pace, total)
        self.resolution_days, self.late_share = r, late
        self.carry[:] = 0.0
        self.carry[live] = tickets * reopen
        self.last[:] = 0.0
        self.last[live] = tickets
        now = float(self.clock.env.now)
        people = np.asarray(self.people, dtype=np.int64)
        closed = total * self.pace / float(self.pace.sum())
        self.ledger.extend(
            K.tickets_resolved, now, len(people), amount=closed, person=people, role=ROLE_CODE["support"],
            quality=1.0 - late, wait_days=r,
        )  # fmt: skip
        return -self.company.support.health_per_late_ticket * tickets * late

    def decide(self, month: int, us: np.ndarray) -> None:
        """Each agent's pace this month (asked only when their plan pays on what the pace moves)."""
        measures = self.choices.measures("support")
        if not self.on or not measures:
            self.pace[:] = self.p0
            return
        book = self.book
        outlook = Outlook(book, self.segments, self.company, month)
        self._fit(book.n)
        per = self.last[outlook.live]
        total = float(per.sum())
        _, late0, reopen0 = self._state(self.pace, total)
        now = float(self.clock.env.now)
        s = self.company.support
        for k, person in enumerate(self.people):
            options = []
            for v in self.options:
                pace = self.pace.copy()
                pace[k] = v
                _, late, reopen = self._state(pace, total)
                outs = []
                if "tickets_resolved" in measures:
                    share = v / float(pace.sum())
                    outs.append(MeasureOutcome("tickets_resolved", total * (1 + reopen) * share, 1.0, 15.0))
                if "company_grr" in measures or "company_nrr" in measures:
                    flow = -per * (
                        s.health_per_late_ticket * (late - late0) + s.health_per_ticket * (reopen - reopen0)
                    )
                    grr, nrr = outlook.ratio(outlook.kept_flow(flow))
                    outs.extend(company_ratio_outcomes(measures, grr, nrr))
                options.append(Option(f"pace {v:g}", tuple(outs), self.effort_kusd * abs(v - self.p0), v))
            d = Decision(
                "support_pace", now, "support", person, tuple(options), self.neutral, {"month": float(month)}
            )
            self.pace[k] = self.options[self.choices.one(d, float(us[k]))]
