"""The payout engine: ledger events + a plan design -> payout lines.

Pure: it knows nothing of SimPy or of the world. :class:`PayState` is incremental: it reads
ledger rows in time order (:meth:`PayState.observe_rows`, or :meth:`PayState.follow` a live
ledger and :meth:`PayState.sync`) and applies them with the compiled kernel
(:mod:`sim.plans.kernel`); :func:`compute_payouts` replays a whole ledger (the back-test and
the end-of-replication accounting use the same code).

Rules (see ``docs/model.md``, "Pay and decisions"):

* A commission credit is priced when the measure is credited, at the attainment of the
  period that contains the credit day: marginal tiers integrate across tier boundaries
  (like tax brackets) when the component pays on the quota's measure; otherwise the tier in
  force at the current quota attainment applies. Discount bands multiply the rate; a cap
  truncates pay per person, component and period.
* The priced amount is released by the component's ``pays`` timing (at once, at go-live,
  after implementation success, at renewal, pro rata with the deal's revenue or cash).
* ``threshold_attainment`` holds a period's credits until the period closes; they are paid
  at the close if attainment reached the threshold and dropped otherwise.
* Bonuses pay at the close of their period (dated on its last day):
  ``target_usd x curve(measure / target_value)``. A team bonus reads the role's total.
* Team commissions credit each member of the role an equal share of the role's credits.
* Clawbacks reverse ``share`` of what was paid for a credit (never more) when a trigger event
  hits its deal or customer within ``window_days`` of the credit, and cancel the same share
  of what was still pending.
* Spiffs pay ``amount_usd`` per qualifying event inside their window.
* Base salary accrues day by day between ``hire`` and ``leave``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.ledger import Event, EventBatch, Ledger, rows_of
from sim.plans import kernel as kn
from sim.plans import periods
from sim.plans.closes import advance
from sim.plans.components import SPIFF_EVENT_MEASURE
from sim.plans.draws import DRAW_TEXT, LN_DRAW, N_DR
from sim.plans.measures import credit_kinds
from sim.plans.payouts import BASE, DRAW, LineColumns, PayoutLine, Payouts
from sim.plans.pricing import Rule, commission_term
from sim.plans.quotas import person_quota
from sim.plans.replay import apply_rows
from sim.plans.rulebook import RF_CB_WINDOW, Rulebook
from sim.scenario.plans import Component, PlanDesign, RolePlan, Spiff
from sim.time.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR, Calendar
from sim.vocabulary import ARR_KINDS, EVENT_KINDS, MEASURES, MONTHS_PER, PERIODS, RATIO_MEASURES, ROLES

__all__ = ["PayState", "PayoutLine", "Payouts", "compute_payouts", "payouts_from_state"]

EPS = kn.EPS
TEAM = kn.TEAM
N_ROLES = kn.N_ROLES
_LOOKAHEAD_MONTHS = 600
"""Months laid out past the calendar for dating pay (average-length months, as before)."""
_BASE_REASON = -1
"""Reason code of a base-salary line."""
_CLAWBACK_NAME = {
    "arr_churn": "churn",
    "non_payment": "non_payment",
    "implementation_failed": "failed_implementation",
}


def _grown(arr: np.ndarray, axis: int, size: int, fill: float | int | bool) -> np.ndarray:
    """``arr`` with ``axis`` extended to ``size`` (new entries ``fill``)."""
    if arr.shape[axis] >= size:
        return arr
    shape = list(arr.shape)
    shape[axis] = size
    out = np.full(shape, fill, dtype=arr.dtype)
    out[tuple(slice(0, n) for n in arr.shape)] = arr
    return out


class PayState:
    """Running pay state of every person under one plan design.

    Feed ledger rows in non-decreasing ``day`` order (:meth:`observe_rows`, :meth:`observe`,
    or a followed ledger and :meth:`sync`); read the payout lines with :func:`payouts_from_state`.
    Keeps, per person and period, the measure accumulators (attainment), capped pay used,
    pending pay by deal, clawback exposure and realised pay by month, as numpy arrays that
    the valuation of decisions reads too (:mod:`sim.policy.valuation`).
    """

    def __init__(
        self, plan: PlanDesign, calendar: Calendar, *, start_day: float = 0.0, strict: bool = True
    ) -> None:
        self.plan = plan
        self.strict = strict
        """Reject events older than the last one (a live ledger may tolerate small disorder)."""
        self.calendar = calendar
        self.start_day = float(start_day)
        self.rulebook = Rulebook.compile(plan, self.start_day)
        rb = self.rulebook
        ms = np.asarray(calendar.month_starts, dtype=np.float64)
        # pay can be dated past the calendar (success pay after the horizon): average-length months
        self.starts = np.concatenate([ms, ms[-1] + DAYS_PER_MONTH * np.arange(1, _LOOKAHEAD_MONTHS + 1)])
        self.n_cal = len(ms)
        self.plan_tables = (
            rb.params, rb.poff, rb.ri, rb.rf, rb.brm_off, rb.brm_idx, rb.mslot, rb.sp_i, rb.sp_f, rb.cfg,
            self.starts, rb.ro,
        )  # fmt: skip
        """The plan's tables as the kernel reads them (the ``plan`` tuple of :mod:`sim.plans.kernel`)."""
        self.version = 0
        """Incremented by every call that may change the state (caches of valuations key on it)."""
        self._ledger: Ledger | None = None
        self._watch_mask = 0
        self.cursor = 0
        """Row number of the followed ledger read up to."""
        n_rules = len(rb.rules)
        n_slots = max(len(rb.measures), 1)
        n_months = self.n_cal + 1
        t = self._periods(n_months)
        p = 16
        self.pe_role = np.full(p, -1, dtype=np.int64)
        self.pe_hired = np.zeros(p)
        self.pe_left = np.zeros(p)
        self.order = np.zeros(p, dtype=np.int64)
        self.acc = np.zeros((n_slots, N_ROLES + p, t))
        self.cred = np.zeros((N_ROLES, p, t), dtype=np.bool_)
        self.capu = np.zeros((max(n_rules, 1), p, t))
        self.book = np.zeros((3, 1 + p, t))
        self.bhas = np.zeros((1 + p, t), dtype=np.bool_)
        self.hmap = np.full((max(n_rules, 1), p, t), -1, dtype=np.int64)
        self.real = np.zeros((p, len(self.starts)))
        self.drw = np.zeros((p, N_DR))
        self.dl_f = np.zeros((64, kn.N_DL_F))
        self.dl_i = self._new_deals(64)
        self.cu_i = self._new_customers(64)
        self.it_i = np.zeros((256, kn.N_IT_I), dtype=np.int64)
        self.it_f = np.zeros((256, kn.N_IT_F))
        self.hk = np.zeros((256, kn.N_HK), dtype=np.int64)
        self.ln_i = np.zeros((256, kn.N_LN_I), dtype=np.int32)  # codes, ids and months: small
        self.ln_f = np.zeros((256, kn.N_LN_F))
        self.si = np.zeros(kn.N_SI, dtype=np.int64)
        self.sf = np.zeros(kn.N_SF)
        self.sf[kn.SF_LAST_DAY] = -math.inf
        self.sf[kn.SF_START_DAY] = self.start_day
        self.si[kn.SI_N_MONTHS] = n_months
        self.si[kn.SI_N_CAL] = self.n_cal
        self._restate()

    def _restate(self) -> None:
        """Rebuild the ``st`` tuple the kernel reads (after an array was grown)."""
        self.state_arrays = tuple(getattr(self, name) for name in kn.STATE)

    @property
    def n_months(self) -> int:
        """Months the accumulators lay out."""
        return int(self.si[kn.SI_N_MONTHS])

    # ------------------------------------------------------------------ layout and growth
    @staticmethod
    def _periods(n_months: int) -> int:
        """Accumulator columns for ``n_months`` months: months, then quarters, then years."""
        return n_months + (n_months + 2) // 3 + (n_months + 11) // 12

    @staticmethod
    def _new_deals(n: int) -> NDArray[np.int64]:
        d = np.full((n, kn.N_DL_I), -1, dtype=np.int64)
        d[:, kn.DL_EXISTS] = 0
        d[:, kn.DL_COUNT] = 0
        return d

    @staticmethod
    def _new_customers(n: int) -> NDArray[np.int64]:
        c = np.full((n, kn.N_CU_I), -1, dtype=np.int64)
        c[:, 2] = 0
        return c

    @property
    def capacity_people(self) -> int:
        """People the arrays hold (person ids ``0 .. capacity - 1``)."""
        return len(self.pe_role)

    def _grow_people(self, need: int) -> None:
        p = self.capacity_people
        if need <= p:
            return
        q = max(need, 2 * p)
        self.pe_role = _grown(self.pe_role, 0, q, -1)
        self.pe_hired = _grown(self.pe_hired, 0, q, 0.0)
        self.pe_left = _grown(self.pe_left, 0, q, 0.0)
        self.order = _grown(self.order, 0, q, 0)
        self.acc = _grown(self.acc, 1, N_ROLES + q, 0.0)
        self.cred = _grown(self.cred, 1, q, False)
        self.capu = _grown(self.capu, 1, q, 0.0)
        self.book = _grown(self.book, 1, 1 + q, 0.0)
        self.bhas = _grown(self.bhas, 0, 1 + q, False)
        self.hmap = _grown(self.hmap, 1, q, -1)
        self.real = _grown(self.real, 0, q, 0.0)
        self.drw = _grown(self.drw, 0, q, 0.0)
        self._restate()

    def _grow_months(self, need: int) -> None:
        """Lay the accumulators out for ``need`` months (their period columns move)."""
        if need <= self.n_months:
            return
        old_n = self.n_months
        new_n = max(need, old_n + 12)
        old_q, new_q = (old_n + 2) // 3, (new_n + 2) // 3
        cols_old = [(0, old_n), (old_n, old_q), (old_n + old_q, (old_n + 11) // 12)]
        cols_new = [0, new_n, new_n + new_q]
        t = self._periods(new_n)
        for name, fill in (("acc", 0.0), ("cred", False), ("capu", 0.0), ("book", 0.0), ("bhas", False),
                           ("hmap", -1)):  # fmt: skip
            old = getattr(self, name)
            new = np.full((*old.shape[:-1], t), fill, dtype=old.dtype)
            for (a, n), b in zip(cols_old, cols_new, strict=True):
                new[..., b : b + n] = old[..., a : a + n]
            setattr(self, name, new)
        hk = self.hk[: self.si[kn.SI_HKEYS]]  # held keys and items name their period column
        items = self.it_i[: self.si[kn.SI_ITEMS]]
        for (a, n), b in zip(cols_old, cols_new, strict=True):
            sel = (hk[:, kn.HK_T] >= a) & (hk[:, kn.HK_T] < a + n)
            hk[sel, kn.HK_T] += b - a
            sel = (items[:, kn.IT_T] >= a) & (items[:, kn.IT_T] < a + n)
            items[sel, kn.IT_T] += b - a
        self.si[kn.SI_N_MONTHS] = new_n
        self._restate()

    def _ensure(self, rows: np.ndarray) -> None:
        """Grow the arrays for the ids, deals, customers and days of ``rows``."""
        if not len(rows):
            return
        top, deal, cust, last, finite = kn.row_bounds(rows)
        if not finite:
            days = rows["day"]
            raise ValueError(f"a day must be finite, found {days[~np.isfinite(days)][0]}")
        if top >= self.capacity_people:
            self._grow_people(top + 1)
        if deal >= len(self.dl_i):
            n = max(deal + 1, 2 * len(self.dl_i))
            self.dl_f = _grown(self.dl_f, 0, n, 0.0)
            grown = self._new_deals(n)
            grown[: len(self.dl_i)] = self.dl_i
            self.dl_i = grown
            self._restate()
        if cust >= len(self.cu_i):
            n = max(cust + 1, 2 * len(self.cu_i))
            grown = self._new_customers(n)
            grown[: len(self.cu_i)] = self.cu_i
            self.cu_i = grown
            self._restate()
        month = int(periods.month_of(self.starts, last))
        if month >= len(self.starts) - 1:
            raise ValueError(f"day {last} is beyond the calendar the pay state can date")
        if month >= self.n_months:
            self._grow_months(month + 1)

    # ------------------------------------------------------------------ reading events
    def observe_rows(self, rows: np.ndarray) -> None:
        """Apply ledger rows (:data:`sim.ledger.EVENT_DTYPE`, in time order)."""
        if not len(rows):
            return
        self.version += 1
        self._ensure(rows)
        rb = self.rulebook
        lo, hi = 0, len(rows)
        n_rules = max(len(rb.rules), 1)
        while True:
            margin = 16 + 8 * n_rules * (self.capacity_people + 1) + len(rb.spiffs)
            r = apply_rows(rows, lo, hi, self.strict, margin, self.plan_tables, self.state_arrays)
            if r == hi:
                return
            if r < 0:
                i = -1 - r
                raise ValueError(
                    f"events out of order: day {float(rows['day'][i])} after day {self.sf[kn.SF_LAST_DAY]}"
                )
            self._grow_work(margin)
            lo = r

    def _grow_work(self, margin: int) -> None:
        """Room for ``margin`` more items and lines than are pending or held."""
        need_items = self.si[kn.SI_ITEMS] + 2 * margin
        if need_items > len(self.it_i):
            n = max(need_items, 2 * len(self.it_i))
            self.it_i = _grown(self.it_i, 0, n, 0)
            self.it_f = _grown(self.it_f, 0, n, 0.0)
        if self.si[kn.SI_HKEYS] + 2 * margin > len(self.hk):
            self.hk = _grown(self.hk, 0, max(self.si[kn.SI_HKEYS] + 2 * margin, 2 * len(self.hk)), 0)
        need_lines = self.si[kn.SI_LINES] + 2 * (margin + self.si[kn.SI_CHAIN] + self.si[kn.SI_HELD])
        if need_lines > len(self.ln_i):  # lines are kept to the end: grow by half, not double
            n = max(need_lines, len(self.ln_i) * 3 // 2)
            self.ln_i = _grown(self.ln_i, 0, n, 0)
            self.ln_f = _grown(self.ln_f, 0, n, 0.0)
        self._restate()

    def observe(self, event: Event) -> None:
        """Update the pay state with one ledger event (events must come in time order)."""
        self.observe_rows(rows_of([event]))

    def observe_batch(self, batch: EventBatch) -> None:
        """Update the state with a batch of events (as :meth:`observe` on each in turn)."""
        self.observe_rows(batch.rows())

    def follow(self, ledger: Ledger) -> None:
        """Read ``ledger`` from now on: :meth:`sync` applies the rows recorded since (the rows
        already there are applied at once)."""
        self._ledger = ledger
        self.cursor = ledger.end - len(ledger)
        ledger.follow(self)
        self.sync()

    def watch_role(self, role: str) -> int:
        """A bit of the followed ledger's ``dirty`` set whenever a row arrives that can change what
        the valuation of ``role``'s options reads (its credits, its team's head count, the books
        behind its ratio measures): :meth:`sync_for` skips the sync when nothing of that came."""
        led = self._ledger
        if led is None:
            raise RuntimeError("watch_role needs a followed ledger")
        plan = self.plan
        rp = plan.role(role)
        measures = {c.measure for c in rp.components} | {SPIFF_EVENT_MEASURE[sp.event] for r, sp in
                                                          self.rulebook.spiffs if r == role}  # fmt: skip
        if rp.quota is not None:
            measures.add(rp.quota.measure)
        table = credit_kinds(tuple(plan.crediting.upsell), tuple(plan.crediting.cross_sell),
                             plan.crediting.handoff.credit_bookings)  # fmt: skip
        kinds = {k for m in measures for k in table.get((role, m), ())}
        if any(c.scope == "team" for c in rp.components) or (
            rp.quota is not None and (rp.quota.ramp_months or rp.quota.ratchet)
        ):
            kinds |= {"hire", "leave"}  # head counts; tenure behind a ramp (and a ratchet's first period)
        if rp.draw is not None:
            kinds |= set(EVENT_KINDS)  # a draw reads the person's pay, which any event's lines change
        if measures & RATIO_MEASURES:
            kinds |= {"book_snapshot", *ARR_KINDS, *EVENT_KINDS}  # a book-ratio forecast reads the latest day
        bit = led.watch([EVENT_KINDS.index(k) for k in sorted(kinds)])
        self._watch_mask |= bit
        self.sync()  # the bit starts clean: nothing before it may be left unread
        return bit

    def sync_for(self, bit: int) -> None:
        """:meth:`sync` if rows watched by ``bit`` (:meth:`watch_role`) arrived since the last sync."""
        led = self._ledger
        if led is not None and led.dirty & bit:
            self.sync()

    def sync(self) -> None:
        """Apply the rows of the followed ledger not read yet."""
        led = self._ledger
        if led is None or self.cursor >= led.end:
            return
        rows = led.rows_since(self.cursor)
        self.cursor = led.end
        led.dirty &= ~self._watch_mask
        self.observe_rows(rows)

    # ------------------------------------------------------------------ helpers
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
        return float(self.sf[kn.SF_LAST_DAY])

    @property
    def people(self) -> dict[int, tuple[str, float, float]]:
        """``person -> (role, hired, left)`` in the order people were first seen."""
        n = int(self.si[kn.SI_ORDER])
        return {
            int(p): (ROLES[int(self.pe_role[p])], float(self.pe_hired[p]), float(self.pe_left[p]))
            for p in self.order[:n].tolist()
        }

    def members(self, role: str, day: float) -> list[int]:
        """People of ``role`` employed on ``day``."""
        r = ROLES.index(role)
        n = int(self.si[kn.SI_ORDER])
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
        return float(kn.ratio(self.book, self.bhas, w, measure == "book_grr", t))

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
        return float(kn.held_amount(g, person, t, self.state_arrays))

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

    # ------------------------------------------------------------------ period closes
    def close_until(self, day: float) -> None:
        """Close every period that ends on or before ``day`` (call at the end of a run)."""
        self.version += 1
        self.sync()
        rb = self.rulebook
        while True:
            margin = 16 + 8 * max(len(rb.rules), 1) * (self.capacity_people + 1)
            done = advance(float(day), margin, self.plan_tables, self.state_arrays)
            if done:
                return
            self._grow_work(margin)

    # ------------------------------------------------------------------ lines
    def _names(self) -> tuple[list[str], list[str]]:
        """Component names (rules, ``base``, spiffs, ``draw``) and measure names of the lines."""
        rb = self.rulebook
        spiffs = [f"spiff:{sp.event}" for _, sp in rb.spiffs]
        comps = [r.comp.name for r in rb.rules] + [BASE] + spiffs + [DRAW]
        measures = list(MEASURES) + [""] + [sp.event for _, sp in rb.spiffs]
        return comps, measures

    def line_columns(self, start_day: float = -math.inf, end_day: float = math.inf) -> LineColumns:
        """The lines emitted so far dated in ``[start_day, end_day)``, in emission order."""
        n = int(self.si[kn.SI_LINES])
        day = self.ln_f[:n, kn.LN_DAY]
        rows = np.flatnonzero((day >= start_day) & (day < end_day))
        li, lf = self.ln_i, self.ln_f
        comps, measures = self._names()
        n_rules = len(self.rulebook.rules)
        comp = li[rows, kn.LN_COMP]
        spiff = -2 - comp  # the spiff's index on spiff lines
        rule_measure = np.array(
            [MEASURES.index(r.comp.measure) for r in self.rulebook.rules] + [0], dtype=np.int64
        )
        component = np.where(comp >= 0, comp, np.where(comp == LN_DRAW, len(comps) - 1, n_rules + 1 + spiff))
        measure = np.where(
            comp >= 0, rule_measure[np.clip(comp, 0, max(n_rules - 1, 0))], len(MEASURES) + 1 + spiff
        )
        why = np.empty((len(rows), 5), dtype=np.int32)
        for j, col in enumerate((kn.LN_REASON, kn.LN_DEAL, kn.LN_AUX, kn.LN_PK)):
            why[:, j] = li[rows, col]
        why[:, 4] = comp
        return LineColumns(
            person=li[rows, kn.LN_PERSON].astype(np.int32), role=li[rows, kn.LN_ROLE],
            pay_month=li[rows, kn.LN_MONTH].astype(np.int32), day=lf[rows, kn.LN_DAY],
            component=component, measure=measure,
            measure_value=lf[rows, kn.LN_VALUE], rate=lf[rows, kn.LN_RATE], amount=lf[rows, kn.LN_AMOUNT],
            role_names=ROLES, component_names=comps, measure_names=measures, why_i=why,
            why_f=lf[rows, kn.LN_FRAC], render=ReasonText(self.rulebook),
        )  # fmt: skip

    @property
    def lines(self) -> list[PayoutLine]:
        """Every line emitted so far, in emission order."""
        return Payouts(self.line_columns()).lines

    def items(self) -> list[dict[str, float]]:
        """Every pay item still referred to (pending, held or exposed to a clawback): priced,
        released, clawed and remaining amounts."""
        n = int(self.si[kn.SI_ITEMS])
        f = self.it_f[:n]
        return [
            {"priced": a, "released": b, "clawed": c, "amount": d}
            for a, b, c, d in zip(
                f[:, kn.IT_PRICED].tolist(), f[:, kn.IT_RELEASED].tolist(), f[:, kn.IT_CLAWED].tolist(),
                f[:, kn.IT_AMOUNT].tolist(), strict=True,
            )
        ]  # fmt: skip

    # ------------------------------------------------------------------ accounting
    def base_columns(self, start_day: float, end_day: float) -> LineColumns:
        """Base salary per person and month, prorated by employment, within the window."""
        person: list[int] = []
        role: list[int] = []
        month: list[int] = []
        day: list[float] = []
        value: list[float] = []
        rate: list[float] = []
        amount: list[float] = []
        starts = self.calendar.month_starts
        for p, (r, hired, left) in sorted(self.people.items()):
            annual = self.plan.role(r).base_salary_annual_usd
            if annual <= 0:
                continue
            lo, hi = max(start_day, hired), min(end_day, left)
            if hi <= lo:
                continue
            m = self.calendar.month_of(lo)
            while m + 1 < len(starts) and starts[m] < hi:
                a, b = max(lo, float(starts[m])), min(hi, float(starts[m + 1]))
                if b > a:
                    person.append(p)
                    role.append(ROLES.index(r))
                    month.append(m)
                    day.append(a)
                    value.append(b - a)
                    rate.append(annual / DAYS_PER_YEAR)
                    amount.append(annual * (b - a) / DAYS_PER_YEAR)
                m += 1
        comps, measures = self._names()
        n_rules = len(self.rulebook.rules)
        k = len(amount)
        return LineColumns(
            person=np.array(person, dtype=np.int32), role=np.array(role, dtype=np.int64),
            pay_month=np.array(month, dtype=np.int32), day=np.array(day, dtype=np.float64),
            component=np.full(k, n_rules, dtype=np.int64), measure=np.full(k, len(MEASURES), dtype=np.int64),
            measure_value=np.array(value, dtype=np.float64), rate=np.array(rate, dtype=np.float64),
            amount=np.array(amount, dtype=np.float64), role_names=ROLES, component_names=comps,
            measure_names=measures,
            why_i=np.tile(np.array([_BASE_REASON, -1, -1, -1, -1], dtype=np.int32), (k, 1)),
            why_f=np.zeros(k), render=ReasonText(self.rulebook),
        )  # fmt: skip

    def base_lines(self, start_day: float, end_day: float) -> list[PayoutLine]:
        """Base salary lines (see :meth:`base_columns`)."""
        return Payouts(self.base_columns(start_day, end_day)).lines

    def realised_pay(self, person: int, day: float, months: int = 12) -> float:
        """Variable pay dated in the ``months`` months before ``day`` (net of clawbacks)."""
        self.sync()
        m = self.calendar.month_of(day)
        if person >= len(self.real):
            return 0.0
        return float(self.real[person, max(m - months, 0) : max(m, 0)].sum())

    def employed_days(self, person: int, day: float, span: float) -> float:
        """Days of the ``span`` days before ``day`` that ``person`` was employed."""
        if person >= len(self.pe_role) or self.pe_role[person] < 0:
            return span
        return max(0.0, min(day, float(self.pe_left[person])) - max(day - span, float(self.pe_hired[person])))

    def attainments(self, start_day: float, end_day: float) -> list[float]:
        """Quota attainment per person and full quota period inside ``[start_day, end_day)``."""
        out: list[float] = []
        people = self.people
        for r, role in enumerate(ROLES):
            rp = self.plan.role(role)
            if rp.quota is None:
                continue
            pk = rp.quota.period
            s = int(self.rulebook.mslot[MEASURES.index(rp.quota.measure)])
            first = self.period_of(start_day, pk)
            last = self.period_of(end_day, pk)
            for idx in range(first, last + 1):
                a, b = self.period_bounds(idx, pk)
                if a < start_day or b > end_day:
                    continue
                t = self.slot(idx * MONTHS_PER[pk], pk)
                chosen = {
                    p for p, (pr, hired, left) in people.items() if pr == role and hired <= a and left >= b
                }
                if not any(
                    pr == role for pr, _, _ in people.values()
                ):  # no people events: whoever was credited
                    chosen = {int(p) for p in np.flatnonzero(self.cred[r].any(axis=1))}
                for person in sorted(chosen):
                    v = float(self.acc[s, N_ROLES + person, t]) if t >= 0 else 0.0
                    q = self.quota_of(role, person, pk, a)
                    if q:  # a ramp's period without a quota has no attainment
                        out.append(v / q)
        return out


class ReasonText:
    """Writes payout lines' reasons from their codes; holds the plan's tables, not the pay state
    (a large payout table outlives the state that made it)."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook

    def __call__(self, why_i: NDArray[np.integer[Any]], why_f: NDArray[np.float64]) -> list[str]:
        """The reason texts of lines from their codes (see :meth:`PayState.line_columns`)."""
        rb = self.rulebook
        out = []
        for (code, deal, aux, pk, comp), frac in zip(why_i.tolist(), why_f.tolist(), strict=True):
            if code == _BASE_REASON:
                out.append("base salary")
            elif code == kn.REASON_RELEASE:
                kind = EVENT_KINDS[aux]
                text = f"{kind} deal {deal}" if deal >= 0 else kind
                out.append(text + (f" ({frac:.0%} released)" if frac < 1.0 else ""))
            elif code == kn.REASON_CLAWBACK:
                trigger = _CLAWBACK_NAME[EVENT_KINDS[aux]]
                out.append(f"clawback: {trigger} within {rb.rf[comp, RF_CB_WINDOW]:g} days (deal {deal})")
            elif code == kn.REASON_SPIFF:
                out.append(f"spiff {rb.spiffs[-2 - comp][1].event}")
            elif code in DRAW_TEXT:
                out.append(f"{PERIODS[pk]} {aux}: " + DRAW_TEXT[code].format(frac))
            else:
                out.append(f"{PERIODS[pk]} {aux} {rb.rules[comp].comp.kind} at {frac:.3f} of target")
        return out


def payouts_from_state(state: PayState, *, start_day: float, end_day: float, spend: bool = False) -> Payouts:
    """Close the state's periods up to ``end_day`` and cut its lines to ``[start_day, end_day)``.

    With ``spend`` the state is finished with: its line store is released as soon as it is read,
    so a large back-test never holds its lines three times."""
    state.close_until(end_day)
    parts = [state.line_columns(start_day, end_day), state.base_columns(start_day, end_day)]
    if spend:
        state.ln_i, state.ln_f = state.ln_i[:0].copy(), state.ln_f[:0].copy()
        state.si[kn.SI_LINES] = 0
        state._restate()
    person, role, day = (np.concatenate([getattr(p, k) for p in parts]) for k in ("person", "role", "day"))
    role_rank = np.argsort(np.argsort(np.array(ROLES, dtype=object)))  # rank of each role's name
    order = np.lexsort((person, role_rank[role], day))  # stable
    del person, role, day
    return Payouts(LineColumns.concat(parts, order), state.attainments(start_day, end_day))


def compute_payouts(
    events: Iterable[Event], plan: PlanDesign, calendar: Calendar, *, start_day: float, end_day: float
) -> Payouts:
    """Payout lines of ``plan`` for a ledger, counting pay dated in ``[start_day, end_day)``.

    Events before ``start_day`` still build attainment, pending pay and clawback exposure;
    events are sorted by day (stably) before replay.
    """
    state = PayState(plan, calendar, start_day=start_day)
    state.observe_rows(rows_of(sorted(events, key=lambda e: e.day)))
    return payouts_from_state(state, start_day=start_day, end_day=end_day)
