"""Implementation: a pool of consultants; projects queue first come, first served.

A won deal becomes a project. It waits for a free slot (``headcount x concurrent_projects``;
the queue is FIFO and a slot freed at a project's end goes at once to the first project
waiting), then the least-loaded consultant takes it and decides its speed (``implementation_speed``:
a duration multiplier from ``behaviour.consultant.speed_options``). Duration is gamma with
mean ``implementation_days x speed``; quality is ``1 - quality_per_speed * (1 - speed)`` less a
one-sided noise, clipped to 0..1. Quality, the wait and the promise/delivery gap set the
customer's starting health at go-live; quality below ``failure_quality`` fails the
implementation (the customer cancels).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

from sim.distributions import Gamma
from sim.policy.decisions import Decision, Option, OptionTable, OutcomeColumn
from sim.policy.lazy import table_options
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_MONTH
from sim.world.book import LIVE, Book
from sim.world.lead import U_SPEED, Lead
from sim.world.queue_stats import QueueStats
from sim.world.rules import HealthRules, renewal_churn_probability
from sim.world.services import Choices, Clock, Segments, Staff
from sim.world.talent import Bench

WentLive = Callable[[int, int, float, float], None]
"""A project done: (customer, consultant, quality, days waited) (``Customers.go_live``)."""


def _not_connected(*_: object) -> None:
    raise RuntimeError("ImplementationTeam.went_live is not connected (World wires it)")


class ImplementationTeam:
    """The consultant pool and its projects."""

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        segments: Segments,
        book: Book,
        choices: Choices,
        rules: HealthRules,
        company: Company,
        behaviour: Behaviour,
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.book = book
        self.choices = choices
        self.rules = rules
        self.company = company
        self.behaviour = behaviour
        self.went_live: WentLive = _not_connected
        c = company.consultants
        self.people: list[int] = staff.team("consultant", c.headcount)
        self.load = np.zeros(len(self.people), dtype=np.int64)
        """Projects in progress per consultant (index into ``people``)."""
        self.cap = np.full(len(self.people), c.concurrent_projects, dtype=np.int64)
        """Projects each consultant can run at once (0 while the seat is vacant; ramping after a hire)."""
        self.slots = int(self.cap.sum())
        self.bench = Bench(
            staff, clock, choices.attrition, "consultant", self.people, c.annual_attrition, c.backfill_days,
            c.ramp_months * DAYS_PER_MONTH,
        )  # fmt: skip
        """Attrition, vacancies, backfill and ramp (``sim.world.talent``; nobody leaves by default)."""
        self.standard: np.ndarray | None = None
        """Per consultant, the speed index of their working standard (``sim.world.standards``), or
        None: each project's speed is decided when it starts."""
        self.started: list[int] = []
        """Customers whose projects started, in order (what a working standard is valued over)."""
        self.busy = 0
        """Projects in progress."""
        self.queue: deque[tuple[int, int, float, float, float, float]] = deque()
        """Projects waiting for a slot, first come first served (customer, segment, draws, day asked)."""
        b = behaviour.consultant
        self.speeds = list(b.speed_options) or [1.0]
        self.neutral = int(np.argmin([abs(s - b.neutral_speed) for s in self.speeds]))
        self.measures = choices.measures("consultant")
        self._label_only = tuple(Option(f"speed {s:g}", (), 0.0, s) for s in self.speeds)
        self._no_outcomes = OptionTable((), np.zeros(len(self.speeds)))
        self._speed = np.array(self.speeds, dtype=float)
        self._quality = np.array([rules.expected_quality(s) for s in self.speeds])
        self._fail = np.array([rules.failure_probability(s) for s in self.speeds])
        self._pace = np.abs(self._speed - self.speeds[self.neutral])
        """How far each speed is from the neutral one (effort scales with it)."""
        cb = behaviour.consultant
        care = (
            cb.effort_cost_kusd_per_day
            if cb.care_effort_cost_kusd_per_day is None
            else (cb.care_effort_cost_kusd_per_day)
        )
        # the costs are per consultant-day (a share of a day's pay); a consultant runs
        # ``concurrent_projects`` projects at once, so one project day is that share of a day
        self._cost = np.where(self._speed > self.speeds[self.neutral], care, cb.effort_cost_kusd_per_day) / (
            company.consultants.concurrent_projects
        )
        """Effort per project day and unit of pace away from neutral: rushing, or taking care."""
        self._care = company.consultants.value_per_care * np.maximum(
            self._speed - self.speeds[self.neutral], 0
        )
        """Value (target health) each speed adds by the adoption work of a careful implementation."""
        self._labels_by_segment = [
            tuple(
                Option(f"speed {s:g}", (), cost * seg.implementation_days * p, s)
                for s, p, cost in zip(self.speeds, self._pace.tolist(), self._cost.tolist(), strict=True)
            )
            for seg in segments.seg
        ]
        self._expected_key: tuple[float, int, int] | None = None
        self._expected = np.zeros(0)
        self.waits: list[float] = []
        self.stats = QueueStats(clock.measure_start, clock.end_day)
        """Waits, busy slots and the backlog over the measured window (queue metrics)."""

    def expected_days(self, segment: int, speed: float) -> float:
        """Expected days from booking to go-live: queue wait plus duration."""
        mean = self.rules.calendar_implementation_days(self.segments.seg[segment].implementation_days * speed)
        if self.slots <= 0:
            return 0.0
        wait = len(self.queue) * mean / self.slots
        return wait + mean

    def expected_days_all(self, speed: float) -> np.ndarray:
        """:meth:`expected_days` of every segment at ``speed`` (index: segment). Kept until the queue's
        length or the slots change: the deal-terms tables of every business day read it."""
        key = (speed, len(self.queue), self.slots)
        if key != self._expected_key:
            self._expected_key = key
            self._expected = np.array([self.expected_days(s, speed) for s in range(len(self.segments.seg))])
        return self._expected

    def start(self, cust: int, lead: Lead) -> None:
        """Queue a project for a newly won customer."""
        if self.slots <= 0:
            self.went_live(cust, -1, self.rules.expected_quality(1.0), 0.0)
            return
        # the project keeps only the lead's draws it needs (a long queue holds many projects)
        project = (cust, lead.segment, lead.u[U_SPEED], lead.impl_std, lead.quality_z, self.clock.env.now)
        if self.busy < self.slots:
            self._begin(project)
        else:
            self.stats.level(self.clock.env.now, self.busy, len(self.queue))
            self.queue.append(project)

    def _begin(self, project: tuple[int, int, float, float, float, float]) -> None:
        """A slot is free: the least-loaded consultant takes the project and decides its speed."""
        cust, seg, u_speed, impl_std, quality_z, asked = project
        env = self.clock.env
        self.stats.level(env.now, self.busy, len(self.queue))
        self.busy += 1
        wait = env.now - asked
        self.waits.append(wait)
        self.stats.started(env.now, wait)
        k = int((self.cap - self.load).argmax())
        consultant = self.people[k]
        self.load[k] += 1
        self.started.append(cust)
        if self.standard is not None:  # the consultant's working standard sets the pace
            self._run(k, cust, consultant, seg, self.speeds[int(self.standard[k])], impl_std, quality_z, wait)
            return
        if self.measures:
            table = self._table(cust, wait)
            options = table_options(lambda: table, self._labels_by_segment[seg])
        else:  # the consultant's plan pays on nothing a project earns: no outcome, no effort
            table, options = self._no_outcomes, self._label_only
        d = Decision(
            "implementation_speed",
            env.now,
            "consultant",
            consultant,
            options,
            self.neutral,
            {"segment": float(seg), "customer": float(cust), "wait_days": wait},
            table,
        )
        speed = self.speeds[self.choices.one(d, u_speed)]
        self._run(k, cust, consultant, seg, speed, impl_std, quality_z, wait)

    def _run(
        self, k: int, cust: int, consultant: int, seg: int, speed: float, impl_std: float, quality_z: float,
        wait: float,
    ) -> None:  # fmt: skip
        """The project at ``speed``: its duration and quality, and its end."""
        env = self.clock.env
        cc = self.company.consultants
        duration = Gamma(self.segments.seg[seg].implementation_days * speed, cc.duration_shape).scaled(
            impl_std
        )
        quality = self.rules.quality(speed, quality_z)
        wd = self.clock.workdays
        if wd is not None:  # the duration is in the consultant's working days
            duration = wd.advance(consultant, env.now, duration) - env.now
        care = self.company.consultants.value_per_care * max(speed - self.speeds[self.neutral], 0.0)
        env.call_later(duration, self._end, k, cust, consultant, quality, wait, care)

    def _end(
        self, k: int, cust: int, consultant: int, quality: float, wait: float, care: float = 0.0
    ) -> None:
        """The project is done: the slot goes to the first project waiting, the customer goes live
        (with the value a careful implementation adds to its target and starting health)."""
        self.stats.level(self.clock.env.now, self.busy, len(self.queue))
        self.load[k] -= 1
        self.busy -= 1
        if self.queue and self.busy < self.slots:
            self._begin(self.queue.popleft())
        self.went_live(cust, consultant, quality, wait)
        if care > 0 and self.book.status[cust] == LIVE:
            book = self.book
            book.value[cust] = min(book.value[cust] + care, 1.0)
            book.health[cust] = min(book.health[cust] + care, 1.0)

    def grow(self, people: list[int]) -> None:
        """Consultants a plan adds (hired on day 0, each with the full ``concurrent_projects``)."""
        k = len(people)
        self.people += people
        self.load = np.concatenate([self.load, np.zeros(k, dtype=np.int64)])
        self.cap = np.concatenate([self.cap, np.full(k, self.company.consultants.concurrent_projects)])
        self.slots = int(self.cap.sum())
        self.bench.grow(k)

    def monthly_people(self, u: np.ndarray) -> None:
        """This month's departures (``u``: one uniform per seat), then every seat's capacity
        (``concurrent_projects`` x ramp, at least one project; 0 while vacant) and the queue drained
        into the slots freed."""
        bench = self.bench
        if not bench.on:
            return
        bench.monthly(u)
        strength = bench.strength(float(self.clock.env.now))
        full = self.company.consultants.concurrent_projects
        self.cap = np.where(bench.vacant, 0, np.maximum(1, np.rint(full * strength))).astype(np.int64)
        self.slots = int(self.cap.sum())
        while self.queue and self.busy < self.slots:
            self._begin(self.queue.popleft())

    def queue_metrics(self) -> dict[str, float]:
        """Queue metrics of the measured window (``docs/metrics.md``, "Implementation queue"); call
        at the end of the run."""
        return self.stats.metrics(self.clock.env.now, self.busy, len(self.queue), self.slots)

    def _table(self, cust: int, wait: float) -> OptionTable:
        """What each speed would credit the consultant (expected, from the true model), one column
        per measure the consultant's plan pays on, and each speed's effort: deviating from one's
        normal pace costs effort either way (rushing is stress, extra diligence extra hours); pay
        decides the direction."""
        book = self.book
        rules = self.rules
        s = int(book.segment[cust])
        seg = self.segments.seg[s]
        speeds = self._speed
        duration = seg.implementation_days * speeds
        fit, promise = float(book.fit[cust]), float(book.promise[cust])
        value = np.array([rules.expected_value_health(fit, q, promise) for q in self._quality.tolist()])
        if self.company.consultants.value_per_care > 0:
            value = np.minimum(value + self._care, 1.0)
        start = np.array(
            [
                rules.starting_health(v, promise, wait + x)
                for v, x in zip(value.tolist(), duration.tolist(), strict=True)
            ]
        )
        success = rules.success_probabilities(start, start)
        fail = self._fail
        cc = self.company.customers
        d = float(book.discount[cust])
        churn = renewal_churn_probability(
            seg.annual_churn, seg.contract_term_months, value, d / (1 - d) if d >= cc.deep_discount else 0.0,
            cc.renewal_health_sensitivity, cc.renewal_price_sensitivity,
        )  # fmt: skip
        arr = float(book.arr_cents[cust]) / 100.0 * float(book.usage[cust])
        to_renewal = np.maximum(
            self.clock.calendar.month_starts[int(book.contract_end_month[cust])] - self.clock.env.now,
            duration,
        )
        n = len(speeds)
        cols = []
        for m in self.measures:
            if m == "go_lives":
                # A faster project frees the slot (1 - speed) project-lengths early; with work
                # waiting, that time becomes further go-lives (and a slower one costs some).
                backlog = min(1.0, len(self.queue) / max(self.slots, 1))
                cols.append(OutcomeColumn.build(
                    m, n, amount=1.0 + (1.0 - speeds) * backlog, probability=1.0 - fail, delay_days=duration,
                    failure_probability=fail,
                ))  # fmt: skip
            elif m == "implementation_success_90d":
                cols.append(OutcomeColumn.build(
                    m, n, amount=1.0, probability=(1.0 - fail) * success, delay_days=duration + 90.0,
                    go_live_delay_days=duration, success_probability=success, failure_probability=fail,
                ))  # fmt: skip
            elif m == "first_year_renewals":
                cols.append(OutcomeColumn.build(
                    m, n, amount=arr, probability=(1.0 - fail) * (1.0 - churn), delay_days=to_renewal,
                    renewal_delay_days=to_renewal, churn_probability=churn, failure_probability=fail,
                ))  # fmt: skip
        effort = self._cost * seg.implementation_days * self._pace
        return OptionTable(tuple(cols), effort)
