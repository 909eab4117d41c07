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

import numpy as np
from numpy.typing import NDArray

from sim.ledger import Event, EventBatch, Ledger, rows_of
from sim.plans import layout as lay
from sim.plans import periods
from sim.plans.closes import advance
from sim.plans.components import SPIFF_EVENT_MEASURE
from sim.plans.credits import TEAM
from sim.plans.draws import N_DR
from sim.plans.measures import credit_kinds
from sim.plans.payouts import LineColumns, PayoutLine, Payouts
from sim.plans.replay import apply_rows
from sim.plans.rulebook import Rulebook
from sim.plans.statement import PayStatement
from sim.scenario.plans import PlanDesign
from sim.time.calendar import DAYS_PER_MONTH, Calendar
from sim.vocabulary import ARR_KINDS, EVENT_KINDS, RATIO_MEASURES, ROLES

__all__ = ["PayState", "PayoutLine", "Payouts", "compute_payouts", "payouts_from_state"]

EPS = lay.EPS
TEAM = TEAM
N_ROLES = lay.N_ROLES
_LOOKAHEAD_MONTHS = 600
"""Months laid out past the calendar for dating pay (average-length months, as before)."""


def _grown(arr: np.ndarray, axis: int, size: int, fill: float | int | bool) -> np.ndarray:
    """``arr`` with ``axis`` extended to ``size`` (new entries ``fill``)."""
    if arr.shape[axis] >= size:
        return arr
    shape = list(arr.shape)
    shape[axis] = size
    out = np.full(shape, fill, dtype=arr.dtype)
    out[tuple(slice(0, n) for n in arr.shape)] = arr
    return out


class PayState(PayStatement):
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
        self.dl_f = np.zeros((64, lay.N_DL_F))
        self.dl_i = self._new_deals(64)
        self.cu_i = self._new_customers(64)
        self.it_i = np.zeros((256, lay.N_IT_I), dtype=np.int64)
        self.it_f = np.zeros((256, lay.N_IT_F))
        self.hk = np.zeros((256, lay.N_HK), dtype=np.int64)
        self.ln_i = np.zeros((256, lay.N_LN_I), dtype=np.int32)  # codes, ids and months: small
        self.ln_f = np.zeros((256, lay.N_LN_F))
        self.si = np.zeros(lay.N_SI, dtype=np.int64)
        self.sf = np.zeros(lay.N_SF)
        self.sf[lay.SF_LAST_DAY] = -math.inf
        self.sf[lay.SF_START_DAY] = self.start_day
        self.si[lay.SI_N_MONTHS] = n_months
        self.si[lay.SI_N_CAL] = self.n_cal
        self._restate()

    def _restate(self) -> None:
        """Rebuild the ``st`` tuple the kernel reads (after an array was grown)."""
        self.state_arrays = tuple(getattr(self, name) for name in lay.STATE)

    # ------------------------------------------------------------------ layout and growth
    @staticmethod
    def _periods(n_months: int) -> int:
        """Accumulator columns for ``n_months`` months: months, then quarters, then years."""
        return n_months + (n_months + 2) // 3 + (n_months + 11) // 12

    @staticmethod
    def _new_deals(n: int) -> NDArray[np.int64]:
        d = np.full((n, lay.N_DL_I), -1, dtype=np.int64)
        d[:, lay.DL_EXISTS] = 0
        d[:, lay.DL_COUNT] = 0
        return d

    @staticmethod
    def _new_customers(n: int) -> NDArray[np.int64]:
        c = np.full((n, lay.N_CU_I), -1, dtype=np.int64)
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
        hk = self.hk[: self.si[lay.SI_HKEYS]]  # held keys and items name their period column
        items = self.it_i[: self.si[lay.SI_ITEMS]]
        for (a, n), b in zip(cols_old, cols_new, strict=True):
            sel = (hk[:, lay.HK_T] >= a) & (hk[:, lay.HK_T] < a + n)
            hk[sel, lay.HK_T] += b - a
            sel = (items[:, lay.IT_T] >= a) & (items[:, lay.IT_T] < a + n)
            items[sel, lay.IT_T] += b - a
        self.si[lay.SI_N_MONTHS] = new_n
        self._restate()

    def _ensure(self, rows: np.ndarray) -> None:
        """Grow the arrays for the ids, deals, customers and days of ``rows``."""
        if not len(rows):
            return
        top, deal, cust, last, finite = lay.row_bounds(rows)
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
                    f"events out of order: day {float(rows['day'][i])} after day {self.sf[lay.SF_LAST_DAY]}"
                )
            self._grow_work(margin)
            lo = r

    def _grow_work(self, margin: int) -> None:
        """Room for ``margin`` more items and lines than are pending or held."""
        need_items = self.si[lay.SI_ITEMS] + 2 * margin
        if need_items > len(self.it_i):
            n = max(need_items, 2 * len(self.it_i))
            self.it_i = _grown(self.it_i, 0, n, 0)
            self.it_f = _grown(self.it_f, 0, n, 0.0)
        if self.si[lay.SI_HKEYS] + 2 * margin > len(self.hk):
            self.hk = _grown(self.hk, 0, max(self.si[lay.SI_HKEYS] + 2 * margin, 2 * len(self.hk)), 0)
        need_lines = self.si[lay.SI_LINES] + 2 * (margin + self.si[lay.SI_CHAIN] + self.si[lay.SI_HELD])
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

    def realised_pay(self, person: int, day: float, months: int = 12) -> float:
        """Variable pay dated in the ``months`` months before ``day`` (net of clawbacks)."""
        return float(self.realised_pay_many(np.array([person], dtype=np.int64), day, months)[0])

    def realised_pay_many(
        self, persons: NDArray[np.int64], day: float, months: int = 12
    ) -> NDArray[np.float64]:
        """:meth:`realised_pay` of each of ``persons``."""
        self.sync()
        m = self.calendar.month_of(day)
        out = np.zeros(len(persons))
        known = persons < len(self.real)
        out[known] = self.real[persons[known], max(m - months, 0) : max(m, 0)].sum(axis=1)
        return out

    def employed_days(self, person: int, day: float, span: float) -> float:
        """Days of the ``span`` days before ``day`` that ``person`` was employed."""
        return float(self.employed_days_many(np.array([person], dtype=np.int64), day, span)[0])

    def employed_days_many(self, persons: NDArray[np.int64], day: float, span: float) -> NDArray[np.float64]:
        """:meth:`employed_days` of each of ``persons`` (``span`` for a person the state does not know)."""
        out = np.full(len(persons), float(span))
        known = persons < len(self.pe_role)
        known[known] = self.pe_role[persons[known]] >= 0
        p = persons[known]
        out[known] = np.maximum(
            0.0, np.minimum(day, self.pe_left[p]) - np.maximum(day - span, self.pe_hired[p])
        )
        return out


def payouts_from_state(state: PayState, *, start_day: float, end_day: float, spend: bool = False) -> Payouts:
    """Close the state's periods up to ``end_day`` and cut its lines to ``[start_day, end_day)``.

    With ``spend`` the state is finished with: its line store is released as soon as it is read,
    so a large back-test never holds its lines three times."""
    state.close_until(end_day)
    parts = [state.line_columns(start_day, end_day), state.base_columns(start_day, end_day)]
    if spend:
        state.ln_i, state.ln_f = state.ln_i[:0].copy(), state.ln_f[:0].copy()
        state.si[lay.SI_LINES] = 0
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
