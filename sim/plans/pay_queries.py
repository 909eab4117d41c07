"""What the pay state answers without changing it: periods and slots, people and members, the
compiled rules, measures to date, quotas, attainment, cap room and held pay, and the price of a
credit — what the valuation of decisions reads. A part of :class:`sim.plans.engine.PayState`."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from sim.plans import layout as lay
from sim.plans import periods
from sim.plans.components import SPIFF_EVENT_MEASURE
from sim.plans.credits import TEAM
from sim.plans.holds import held_amount, ratio
from sim.plans.pricing import commission_term
from sim.plans.quotas import person_quota
from sim.plans.rule import Rule
from sim.plans.rulebook import Rulebook
from sim.scenario.plans import Component, PlanDesign, RolePlan, Spiff
from sim.vocabulary import GRR_MEASURES, MEASURES, MONTHS_PER, PERIODS, RATIO_MEASURES, ROLES

N_ROLES = lay.N_ROLES


class PayQueries:
    """Read-only questions to the pay state (mixed into :class:`sim.plans.engine.PayState`, which
    owns the arrays named below)."""

    plan: PlanDesign
    rulebook: Rulebook
    starts: NDArray[np.float64]
    si: NDArray[np.int64]
    sf: NDArray[np.float64]
    pe_role: NDArray[np.int64]
    pe_hired: NDArray[np.float64]
    pe_left: NDArray[np.float64]
    order: NDArray[np.int64]
    acc: NDArray[np.float64]
    capu: NDArray[np.float64]
    book: NDArray[np.float64]
    bhas: NDArray[np.bool_]
    state_arrays: tuple[np.ndarray, ...]

    @property
    def n_months(self) -> int:
        """Months the accumulators lay out."""
        return int(self.si[lay.SI_N_MONTHS])

    def month_of(self, day: float) -> int:
        """Index of the fiscal month containing ``day`` (months past the calendar are average-length)."""
        if not math.isfinite(day):
            raise ValueError(f"a day must be finite, found {day}")
        return int(periods.month_of(self.starts, day))

    def period_of(self, day: float, period: str) -> int:
        """Index of the month/quarter/year containing ``day``."""
        return self.month_of(day) // MONTHS_PER[period]

    def period_bounds(self, idx: int, period: str) -> tuple[float, float]:
        """``[start, end)`` days of period ``idx`` (as ``Calendar.period_bounds``)."""
        k = MONTHS_PER[period]
        return float(self.starts[idx * k]), float(self.starts[(idx + 1) * k])

    def slot(self, month: int, period: str) -> int:
        """Accumulator column of the ``period`` containing month ``month`` (-1 past the layout)."""
        if month >= self.n_months:
            return -1
        return int(periods.period_slot(month, PERIODS.index(period), self.n_months))

    def role_plan(self, role: str) -> RolePlan:
        """The plan of ``role``."""
        return self.plan.role(role)

    @property
    def now(self) -> float:
        """Day of the latest event observed (people events aside)."""
        return float(self.sf[lay.SF_LAST_DAY])

    @property
    def people(self) -> dict[int, tuple[str, float, float]]:
        """``person -> (role, hired, left)`` in the order people were first seen."""
        n = int(self.si[lay.SI_ORDER])
        return {
            int(p): (ROLES[int(self.pe_role[p])], float(self.pe_hired[p]), float(self.pe_left[p]))
            for p in self.order[:n].tolist()
        }

    def members(self, role: str, day: float) -> list[int]:
        """People of ``role`` employed on ``day``."""
        r = ROLES.index(role)
        n = int(self.si[lay.SI_ORDER])
        return [
            p for p in self.order[:n].tolist()
            if self.pe_role[p] == r and self.pe_hired[p] <= day < self.pe_left[p]
        ]  # fmt: skip

    def rule(self, role: str, ci: int) -> Rule:
        """The compiled pricing rule of component ``ci`` of ``role``."""
        return self.rulebook.rules[self.rulebook.rule_of[(role, ci)]]

    def heads(self, rule: Rule, role: str, day: float) -> int:
        """People sharing a credit to ``rule`` on ``day`` (the role's head count for a team)."""
        return max(1, len(self.members(role, day))) if rule.team else 1

    def _who(self, role: str, person: int, team: bool) -> int:
        return ROLES.index(role) if team or person == TEAM else N_ROLES + person

    def _acc(self, role: str, who_person: int, team: bool, measure: str, period: str, day: float) -> float:
        s = self.rulebook.mslot[MEASURES.index(measure)]
        t = self.slot(self.month_of(day), period)
        w = self._who(role, who_person, team)
        if s < 0 or t < 0 or w >= self.acc.shape[1]:
            return 0.0
        return float(self.acc[s, w, t])

    def measure_to_date(self, role: str, person: int, measure: str, period: str, day: float) -> float:
        """Accumulated ``measure`` of ``person`` (or ``TEAM``) in the ``period`` containing ``day``."""
        if measure in RATIO_MEASURES:
            return self.ratio(person, measure, period, self.period_of(day, period))
        return self._acc(role, person, False, measure, period, day)

    def ratio(self, person: int, measure: str, period: str, idx: int) -> float:
        """Book GRR/NRR of ``person`` (or ``TEAM``) in period ``idx`` so far (NaN without a snapshot)."""
        if idx < 0:
            return math.nan
        t = self.slot(idx * MONTHS_PER[period], period)
        w = 0 if person == TEAM else 1 + person
        if t < 0 or w >= self.book.shape[1]:
            return math.nan
        return float(ratio(self.book, self.bhas, w, measure in GRR_MEASURES, t))

    def quota_of(self, role: str, person: int, period: str, day: float, team: bool = False) -> float:
        """``person``'s quota of the ``period`` containing ``day`` (ramped and ratcheted:
        :func:`sim.plans.quotas.person_quota`; a team's is the plan's; 0: none in that period)."""
        rp = self.role_plan(role)
        base = (float(rp.quota.annual_amount) * MONTHS_PER[period] / 12.0) if rp.quota is not None else 0.0
        if team or person == TEAM or not base:
            return base or 1.0
        ro, pk, idx = self.rulebook.ro[ROLES.index(role)], PERIODS.index(period), self.period_of(day, period)
        people = self.pe_role, self.pe_hired
        return float(person_quota(ro, base, pk, person, idx, self.starts, *people, self.acc, self.n_months))

    def attainment_of(self, role: str, person: int, comp: Component, day: float) -> float:
        """Attainment that sets the tier of ``comp`` for a credit on ``day`` (NaN without quota)."""
        rp = self.role_plan(role)
        if rp.quota is None:
            return math.nan
        team = comp.scope == "team"
        n = max(1, len(self.members(role, day))) if team else 1
        q = self.quota_of(role, person, comp.period, day, team)
        return self._acc(role, person, team, rp.quota.measure, comp.period, day) / (q * n) if q else 0.0

    def attainment_before(self, rule: Rule, role: str, person: int, day: float, heads: int) -> float:
        """Quota attainment behind ``rule``'s tiers for a credit on ``day`` (0 without a quota)."""
        if rule.quota_measure is None:
            return 0.0
        q = self.quota_of(role, person, rule.period, day, rule.team)
        done = self._acc(role, person, rule.team, rule.quota_measure, rule.period, day)
        return done / (q * heads) if q else 0.0

    def cap_room(self, rule: Rule, role: str, person: int, day: float) -> float:
        """What ``rule``'s cap leaves ``person`` in the period of ``day`` (inf without a cap)."""
        if rule.cap is None:
            return math.inf
        g = self.rulebook.rule_of[(role, rule.index)]
        t = self.slot(self.month_of(day), rule.period)
        used = float(self.capu[g, person, t]) if t >= 0 and person < self.capu.shape[1] else 0.0
        return rule.cap - used

    def held_amount(self, role: str, ci: int, person: int, day: float) -> float:
        """Pay held under component ``ci``'s threshold for ``person`` in the period of ``day``."""
        g = self.rulebook.rule_of[(role, ci)]
        t = self.slot(self.month_of(day), self.rulebook.rules[g].period)
        return float(held_amount(g, person, t, self.state_arrays))

    def price(
        self, role: str, person: int, ci: int, comp: Component, amount: float, day: float, discount: float
    ) -> tuple[float, float, float]:
        """Pay for crediting ``amount`` of ``comp.measure`` to ``person`` on ``day`` (read-only).

        Returns ``(pay, effective rate, amount credited to the person)``; team components
        credit each member an equal share of the role's credit. The price is the kernel's
        (:func:`sim.plans.pricing.commission_term`) at the person's state and quota.
        """
        rule = self.rule(role, ci)
        n = self.heads(rule, role, day)
        share = amount / n
        quota = self.quota_of(role, person, rule.period, day, rule.team) if rule.quota_measure else -1.0
        pay = commission_term(
            rule.params, float(amount), self.attainment_before(rule, role, person, day, n), float(n),
            self.cap_room(rule, role, person, day), float(discount), 12.0, quota,
        )  # fmt: skip
        if pay <= 0:
            return 0.0, 0.0, share  # negative credits lower attainment but never pay negative
        return pay, pay / share if share else 0.0, share

    def components_for(self, role: str, measure: str) -> list[tuple[int, Component]]:
        """``(index, component)`` of ``role``'s components that pay on ``measure``."""
        rb = self.rulebook
        return [(rb.rules[g].index, rb.rules[g].comp) for g in rb.rules_for(role, measure)]

    def spiffs_for(self, role: str, measure: str) -> list[Spiff]:
        """Spiffs of ``role`` whose qualifying event credits ``measure`` (for valuation)."""
        return [
            sp for r, sp in self.rulebook.spiffs if r == role and SPIFF_EVENT_MEASURE[sp.event] == measure
        ]

    def pay_rules(self, role: str, measure: str) -> tuple[list[tuple[int, Component]], list[Spiff]]:
        """Components and spiffs of ``role`` that pay for ``measure`` (for valuation)."""
        return self.components_for(role, measure), self.spiffs_for(role, measure)
