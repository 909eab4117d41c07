"""The payout engine: ledger events + a plan design -> payout lines.

Pure: it knows nothing of SimPy or of the world. :class:`PayState` is incremental (feed it
events in time order with :meth:`PayState.observe`); the simulation keeps one live per
replication so that valuing an option is a look-up, and :func:`compute_payouts` replays a
whole ledger (the back-test and the end-of-replication accounting use the same code).

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
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import pandas as pd

from sim.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR, MONTHS_PER, Calendar
from sim.ledger import Event, EventBatch
from sim.plans.components import (
    CLAWBACK_TRIGGER,
    EPS,
    SPIFF_EVENT_MEASURE,
    TIMING_TRIGGER,
    period_quota,
    role_spiffs,
)
from sim.plans.measures import (
    ARR_KINDS,
    RATIO_MEASURES,
    TEAM,
    Credit,
    credited_roles,
    credits_of,
    measures_credited_by,
    spiff_matches,
    spiff_person,
)
from sim.plans.pricing import Rule, commission, period_end
from sim.scenario.plans import ROLES, Component, PlanDesign, RolePlan, Spiff

PERIODS = ("month", "quarter", "year")
BASE = "base"
_CLAWBACK_KINDS = frozenset(CLAWBACK_TRIGGER.values())
_RELEASE_KINDS = frozenset(k for k in TIMING_TRIGGER.values() if k is not None)


@dataclass(slots=True)
class PayoutLine:
    """One payment (or clawback reversal, negative) to one person."""

    person: int
    role: str
    pay_month: int
    day: float
    component: str
    """Component name, ``spiff:<event>``, or ``base``."""
    measure: str
    measure_value: float
    """Measure units behind the line (a deal's ACV, a period's GRR...)."""
    rate: float
    """Effective rate (pay per unit, after tiers and discount bands) or bonus curve share."""
    amount: float
    reason: str


@dataclass(slots=True)
class _Deal:
    """What the engine remembers of a booked deal (to release pay and match clawbacks)."""

    acv: float
    discount: float
    customer: int
    day: float
    go_live_day: float = math.nan
    success_day: float = math.nan
    renewal_day: float = math.nan
    revenue: float = 0.0
    cash: float = 0.0
    ae_credited: bool = True
    """Whether the deal's AE is credited for it (expansion deals follow the crediting rules)."""


@dataclass(slots=True)
class _Item:
    """A priced commission credit whose pay may be released over time and clawed back."""

    role: str
    person: int
    comp: Component
    period_key: tuple[str, int, int, int]
    measure_value: float
    rate: float
    amount: float
    credit_day: float
    credit_kind: str
    deal: int
    customer: int
    released: float = 0.0
    clawed: float = 0.0
    priced: float = 0.0
    """Pay as priced at credit (``amount`` is what remains payable after clawbacks)."""
    held: bool = False
    hit: bool = False
    """Already clawed back (a credit is clawed back at most once)."""


@dataclass(slots=True)
class _Person:
    role: str
    hired: float = 0.0
    left: float = math.inf


class PayState:
    """Running pay state of every person under one plan design.

    Feed events in non-decreasing ``day`` order with :meth:`observe`; read :attr:`lines`.
    Keeps per person and period the measure accumulators (attainment), capped pay used,
    pending pay by deal, clawback exposure and realised pay by month.
    """

    def __init__(
        self, plan: PlanDesign, calendar: Calendar, *, start_day: float = 0.0, strict: bool = True
    ) -> None:
        self.plan = plan
        self.strict = strict
        """Reject events older than the last one (a live ledger may tolerate small disorder)."""
        self.calendar = calendar
        self.start_day = float(start_day)
        self.lines: list[PayoutLine] = []
        self.people: dict[int, _Person] = {}
        self.acc: defaultdict[tuple[str, int, str, str, int], float] = defaultdict(float)
        """(role, person|TEAM, measure, period kind, period index) -> measure total."""
        self.cap_used: defaultdict[tuple[str, int, int, int], float] = defaultdict(float)
        """(role, component index, person, period index) -> pay granted in the period."""
        self.book: dict[tuple[int, str, int], list[float]] = {}
        """(csm|TEAM, period kind, index) -> [start ARR, negative movements, all movements]."""
        self.deals: dict[int, _Deal] = {}
        self.items_by_deal: defaultdict[int, list[_Item]] = defaultdict(list)
        self.items_by_customer: defaultdict[int, list[_Item]] = defaultdict(list)
        self.held: defaultdict[tuple[str, int, int, int], list[_Item]] = defaultdict(list)
        self.realised: defaultdict[int, defaultdict[int, float]] = defaultdict(lambda: defaultdict(float))
        """person -> pay month -> variable pay (net of clawbacks) dated in that month."""
        self.period_people: defaultdict[tuple[str, str, int], set[int]] = defaultdict(set)
        """(role, period kind, index) -> people credited in that period (bonus eligibility)."""
        self._starts: list[float] = [float(x) for x in calendar.month_starts]
        # Valuation looks past the simulated months (a year of revenue after a late close):
        # look-ups extend the list by average-length months so they never run off the calendar.
        self._next_close = 0
        self._last_day = -math.inf
        self.version = 0
        """Incremented by every call that may change the state (caches of valuations key on it)."""
        self._components: dict[str, list[tuple[int, Component]]] = {r: [] for r in ROLES}
        self._by_measure: dict[tuple[str, str], list[tuple[int, Component]]] = defaultdict(list)
        self._measures: set[str] = set()
        self._info: dict[tuple[str, int], Rule] = {}
        """The compiled pricing rule of each (role, component index) (``sim.plans.pricing``)."""
        self._role_plans: dict[str, RolePlan] = {r: plan.role(r) for r in ROLES}
        self._spiffs_by_measure: dict[tuple[str, str], list[Spiff]] = {}
        self._rules: dict[tuple[str, str], tuple[list[tuple[int, Component]], list[Spiff]]] = {}
        self._spiff_rules: list[tuple[str, Spiff]] = [(r, sp) for r in ROLES for sp in role_spiffs(plan, r)]
        for role in ROLES:
            rp = plan.role(role)
            for ci, comp in enumerate(rp.components):
                self._components[role].append((ci, comp))
                self._by_measure[(role, comp.measure)].append((ci, comp))
                self._measures.add(comp.measure)
            if rp.quota is not None:
                self._measures.add(rp.quota.measure)
            for ci in range(len(rp.components)):
                self._info[(role, ci)] = Rule.compile(rp, ci)
        self._revenue_measures = bool(self._measures & measures_credited_by("revenue", plan.crediting))
        """Whether a revenue event may credit a measure of this plan (else it is read in bulk)."""

    # ------------------------------------------------------------------ helpers
    def month_of(self, day: float) -> int:
        """Index of the fiscal month containing ``day`` (as ``Calendar.month_of``, without numpy)."""
        if day >= self._starts[-1]:
            if not math.isfinite(day):
                raise ValueError(f"a day must be finite, found {day}")
            while day >= self._starts[-1]:
                self._starts.append(self._starts[-1] + DAYS_PER_MONTH)
        return bisect_right(self._starts, day) - 1

    def period_of(self, day: float, period: str) -> int:
        """Index of the month/quarter/year containing ``day``."""
        return self.month_of(day) // MONTHS_PER[period]

    def role_plan(self, role: str) -> RolePlan:
        """The plan of ``role``."""
        return self._role_plans[role]

    def members(self, role: str, day: float) -> list[int]:
        """People of ``role`` employed on ``day``."""
        return [p for p, s in self.people.items() if s.role == role and s.hired <= day < s.left]

    def measure_to_date(self, role: str, person: int, measure: str, period: str, day: float) -> float:
        """Accumulated ``measure`` of ``person`` in the ``period`` containing ``day``."""
        idx = self.period_of(day, period)
        if measure in RATIO_MEASURES:
            return self._ratio(person, measure, period, idx)
        return self.acc.get((role, person, measure, period, idx), 0.0)

    @property
    def now(self) -> float:
        """Day of the latest event observed (people events aside)."""
        return self._last_day

    def ratio(self, person: int, measure: str, period: str, idx: int) -> float:
        """Book GRR/NRR of ``person`` (or ``TEAM``) in period ``idx`` so far (NaN without a snapshot)."""
        return self._ratio(person, measure, period, idx)

    def _ratio(self, person: int, measure: str, period: str, idx: int) -> float:
        b = self.book.get((person, period, idx))
        if b is None or b[0] <= 0:
            return math.nan
        move = b[1] if measure == "book_grr" else b[2]
        return (b[0] + move) / b[0]

    def attainment_of(self, role: str, person: int, comp: Component, day: float) -> float:
        """Attainment that sets the tier of ``comp`` for a credit on ``day`` (NaN without quota)."""
        rp = self.role_plan(role)
        if rp.quota is None:
            return math.nan
        idx = self.period_of(day, comp.period)
        q = period_quota(rp, comp.period) or 1.0
        who, n = self._who(role, person, comp, day)
        return self.acc.get((role, who, rp.quota.measure, comp.period, idx), 0.0) / (q * n)

    def _who(self, role: str, person: int, comp: Component, day: float) -> tuple[int, int]:
        """Accumulator key and head count behind a component's attainment."""
        if comp.scope == "team":
            return TEAM, max(1, len(self.members(role, day)))
        return person, 1

    def rule(self, role: str, ci: int) -> Rule:
        """The compiled pricing rule of component ``ci`` of ``role``."""
        return self._info[(role, ci)]

    def heads(self, rule: Rule, role: str, day: float) -> int:
        """People sharing a credit to ``rule`` on ``day`` (the role's head count for a team)."""
        return max(1, len(self.members(role, day))) if rule.team else 1

    def attainment_before(self, rule: Rule, role: str, person: int, day: float, heads: int) -> float:
        """Quota attainment behind ``rule``'s tiers for a credit on ``day`` (0 without a quota)."""
        if rule.quota_measure is None:
            return 0.0
        who = TEAM if rule.team else person
        idx = self.month_of(day) // rule.months
        return self.acc.get((role, who, rule.quota_measure, rule.period, idx), 0.0) / (rule.quota * heads)

    def cap_room(self, rule: Rule, role: str, person: int, day: float) -> float:
        """What ``rule``'s cap leaves ``person`` in the period of ``day`` (inf without a cap)."""
        if rule.cap is None:
            return math.inf
        idx = self.month_of(day) // rule.months
        return rule.cap - self.cap_used.get((role, rule.index, person, idx), 0.0)

    def price(
        self, role: str, person: int, ci: int, comp: Component, amount: float, day: float, discount: float
    ) -> tuple[float, float, float]:
        """Pay for crediting ``amount`` of ``comp.measure`` to ``person`` on ``day`` (read-only).

        Returns ``(pay, effective rate, amount credited to the person)``; team components
        credit each member an equal share of the role's credit. The price is the kernel's
        (:func:`sim.plans.pricing.commission`) at the person's state.
        """
        rule = self._info[(role, ci)]
        n = self.heads(rule, role, day)
        share = amount / n
        pay = commission(
            rule.params, float(amount), self.attainment_before(rule, role, person, day, n), float(n),
            self.cap_room(rule, role, person, day), float(discount),
        )
        if pay <= 0:
            return 0.0, 0.0, share  # negative credits lower attainment but never pay negative
        return pay, pay / share if share else 0.0, share

    def components_for(self, role: str, measure: str) -> list[tuple[int, Component]]:
        """``(index, component)`` of ``role``'s components that pay on ``measure``."""
        return self._by_measure.get((role, measure), [])

    def pay_rules(self, role: str, measure: str) -> tuple[list[tuple[int, Component]], list[Spiff]]:
        """Components and spiffs of ``role`` that pay for ``measure`` (one look-up, for valuation)."""
        key = (role, measure)
        rules = self._rules.get(key)
        if rules is None:
            rules = self._rules[key] = (self.components_for(role, measure), self.spiffs_for(role, measure))
        return rules

    def spiffs_for(self, role: str, measure: str) -> list[Spiff]:
        """Spiffs of ``role`` whose qualifying event credits ``measure`` (for valuation)."""
        key = (role, measure)
        out = self._spiffs_by_measure.get(key)
        if out is None:
            out = [sp for sp in role_spiffs(self.plan, role) if SPIFF_EVENT_MEASURE[sp.event] == measure]
            self._spiffs_by_measure[key] = out
        return out

    def period_bounds(self, idx: int, period: str) -> tuple[float, float]:
        """``[start, end)`` days of period ``idx`` (as ``Calendar.period_bounds``)."""
        k = MONTHS_PER[period]
        need = (idx + 1) * k
        while need >= len(self._starts):
            self._starts.append(self._starts[-1] + DAYS_PER_MONTH)
        return self._starts[idx * k], self._starts[need]

    # ------------------------------------------------------------------ events
    def observe(self, event: Event) -> None:
        """Update the pay state with one ledger event (events must come in time order)."""
        day = float(event.day)
        k = event.kind
        self.version += 1
        if k not in ("hire", "leave"):
            # People may be recorded ahead of time (a backfill hire); they never close periods.
            if day + EPS < self._last_day and self.strict:
                raise ValueError(f"events out of order: day {day} after day {self._last_day}")
            if day > self._last_day:
                self._advance(day)
                self._last_day = day
        if k == "hire":
            self.people[event.person] = _Person(event.role, hired=day)
            return
        if k == "leave":
            p = self.people.get(event.person)
            if p is None:
                self.people[event.person] = _Person(event.role, hired=-math.inf, left=day)
            else:
                p.left = day
            return
        if k == "book_snapshot" or k in ARR_KINDS:
            self._book(event, day)
        if k == "booking":
            if event.deal >= 0:
                self.deals[event.deal] = _Deal(
                    event.amount, event.discount, event.customer, day,
                    ae_credited="ae" in credited_roles(event, self.plan.crediting),
                )
        elif k in _RELEASE_KINDS and event.deal >= 0:
            deal = self.deals.get(event.deal)
            if deal is not None:
                if k == "go_live":
                    deal.go_live_day = day
                elif k == "implementation_success":
                    deal.success_day = day
                elif k == "renewal" and math.isnan(deal.renewal_day):
                    deal.renewal_day = day
                elif k == "revenue":
                    deal.revenue += event.amount
                elif k == "cash":
                    deal.cash += event.amount
        credits = [c for c in credits_of(event, self.plan.crediting) if c.measure in self._measures]
        if credits and k != "booking" and event.deal >= 0:
            deal = self.deals.get(event.deal)
            if deal is not None and not deal.ae_credited:
                # Revenue, cash and ARR of an expansion deal the AE is not credited for.
                credits = [c for c in credits if c.role != "ae"]
        if credits:
            self._credit(event, day, credits)
        if k in _RELEASE_KINDS:
            for item in self._items_for(event):
                self._release(item, day)
        if self._spiff_rules:
            self._spiffs(event, day)
        if k in _CLAWBACK_KINDS:
            self._clawback(event, day)

    def observe_batch(self, batch: EventBatch) -> None:
        """Update the state with a batch of events (as :meth:`observe` on each in turn).

        Revenue is read in bulk when the plan pays on no revenue measure (a revenue event then
        only adds to its deal's revenue and releases pay waiting on it); any other batch is
        observed event by event.
        """
        if batch.kind != "revenue" or self._revenue_measures:
            for event in batch.events():
                self.observe(event)
            return
        day = float(batch.day)
        self.version += 1
        if day + EPS < self._last_day and self.strict:
            raise ValueError(f"events out of order: day {day} after day {self._last_day}")
        if day > self._last_day:
            self._advance(day)
            self._last_day = day
        deals, items_by_deal = self.deals, self.items_by_deal
        for d, amount in zip(batch.values("deal"), batch.values("amount"), strict=True):
            if d < 0:
                continue
            deal = deals.get(d)
            if deal is not None:
                deal.revenue += amount
            if d in items_by_deal:
                for item in self._items_of(d):
                    self._release(item, day)

    def _credit(self, event: Event, day: float, credits: list[Credit]) -> None:
        discount = event.discount
        deal = self.deals.get(event.deal) if event.deal >= 0 else None
        if deal is not None and event.kind != "booking":
            discount = deal.discount
        customer = event.customer if event.customer >= 0 else (deal.customer if deal else -1)
        # Price every component first (pre-event attainment), then update the accumulators.
        new_items: list[_Item] = []
        for c in credits:
            for ci, comp in self._by_measure.get((c.role, c.measure), []):
                if comp.kind != "commission" or c.measure in RATIO_MEASURES:
                    continue
                if comp.scope == "team":
                    people = self.members(c.role, day) or ([c.person] if c.person != TEAM else [])
                elif c.person == TEAM:
                    continue
                else:
                    people = [c.person]
                for person in people:
                    pay, rate, share = self.price(c.role, person, ci, comp, c.amount, day, discount)
                    idx = self.period_of(day, comp.period)
                    if comp.cap_per_period_usd is not None:
                        self.cap_used[(c.role, ci, person, idx)] += pay
                    item = _Item(
                        c.role, person, comp, (c.role, ci, person, idx), share, rate, pay, day,
                        event.kind, event.deal, customer,
                    )
                    new_items.append(item)
        for c in credits:
            for pk in PERIODS:
                idx = self.period_of(day, pk)
                if c.person != TEAM:
                    self.acc[(c.role, c.person, c.measure, pk, idx)] += c.amount
                    self.period_people[(c.role, pk, idx)].add(c.person)
                self.acc[(c.role, TEAM, c.measure, pk, idx)] += c.amount
        for item in new_items:
            if item.amount == 0:
                continue
            item.priced = item.amount
            if item.comp.threshold_attainment > 0:
                item.held = True
                self.held[item.period_key].append(item)
            else:
                self._release(item, day)
            # Deal index: items with pay still to release or pay that may be clawed back.
            if item.deal >= 0 and (item.held or item.released < item.amount - EPS
                                   or item.comp.clawback is not None):
                self.items_by_deal[item.deal].append(item)
            if item.customer >= 0 and item.comp.clawback is not None:
                self.items_by_customer[item.customer].append(item)

    def _book(self, event: Event, day: float) -> None:
        """Book GRR/NRR state: the first snapshot of a period sets its start ARR, movements add."""
        csm = event.person if event.kind == "book_snapshot" else event.csm
        if csm < 0 or event.kind == "arr_new":
            return
        for pk in PERIODS:
            idx = self.period_of(day, pk)
            mine = self.book.get((csm, pk, idx))
            team = self.book.setdefault((TEAM, pk, idx), [0.0, 0.0, 0.0])
            if event.kind == "book_snapshot":
                if mine is None:
                    self.book[(csm, pk, idx)] = [event.amount, 0.0, 0.0]
                    team[0] += event.amount
                    self.period_people[("csm", pk, idx)].add(csm)
            elif mine is not None:
                for b in (mine, team):
                    b[2] += event.amount
                    if event.amount < 0:
                        b[1] += event.amount

    def _items_for(self, event: Event) -> list[_Item]:
        """Items of the event's deal, pruning those with nothing left to pay or claw back."""
        return self._items_of(event.deal) if event.deal >= 0 else []

    def _items_of(self, deal: int) -> list[_Item]:
        """Items of ``deal``, pruning those with nothing left to pay or claw back."""
        items = self.items_by_deal.get(deal)
        if not items:
            return []
        keep = [i for i in items if i.held or i.released < i.amount - EPS or i.comp.clawback is not None]
        if len(keep) < len(items):
            self.items_by_deal[deal] = keep
        return keep

    def _release(self, item: _Item, day: float) -> None:
        """Pay what the item's timing makes due by ``day``."""
        if item.held:
            return
        trigger = TIMING_TRIGGER[item.comp.pays]
        deal = self.deals.get(item.deal) if item.deal >= 0 else None
        pay_day = day
        if trigger is None or deal is None or item.credit_kind == trigger:
            frac = 1.0
        elif trigger == "go_live":
            frac = 0.0 if math.isnan(deal.go_live_day) else 1.0
        elif trigger == "implementation_success":
            frac = 0.0 if math.isnan(deal.success_day) else 1.0
            if not math.isnan(deal.go_live_day):
                pay_day = max(day, deal.go_live_day + item.comp.success_days)
        elif trigger == "renewal":
            frac = 0.0 if math.isnan(deal.renewal_day) else 1.0
        elif trigger == "revenue":
            frac = 1.0 if deal.acv <= 0 else min(1.0, deal.revenue / deal.acv)
        else:  # cash
            frac = 1.0 if deal.acv <= 0 else min(1.0, deal.cash / deal.acv)
        due = min(item.amount, item.priced * frac) - item.released
        if due <= EPS:
            return
        item.released += due
        reason = f"{item.credit_kind} deal {item.deal}" if item.deal >= 0 else item.credit_kind
        if frac < 1.0:
            reason += f" ({frac:.0%} released)"
        self._emit(item.person, item.role, pay_day, item.comp.name, item.comp.measure,
                   item.measure_value, item.rate, due, reason)

    def _clawback(self, event: Event, day: float) -> None:
        trigger = {v: k for k, v in CLAWBACK_TRIGGER.items()}[event.kind]
        if event.kind == "arr_churn" or event.deal < 0:
            items = self.items_by_customer.get(event.customer, []) if event.customer >= 0 else []
        else:
            items = [i for i in self.items_by_deal.get(event.deal, []) if i.comp.clawback is not None]
        for item in items:
            cb = item.comp.clawback
            if cb is None or item.hit or trigger not in cb.triggers:
                continue
            if day - item.credit_day > cb.window_days + EPS:
                continue
            item.hit = True
            back = min(cb.share * item.released, item.released - item.clawed)
            pending = item.amount - item.released
            item.amount = item.released + pending * (1.0 - cb.share)
            if back > EPS:
                item.clawed += back
                self._emit(item.person, item.role, day, item.comp.name, item.comp.measure,
                           item.measure_value, item.rate, -back,
                           f"clawback: {trigger} within {cb.window_days:g} days (deal {item.deal})")

    def _spiffs(self, event: Event, day: float) -> None:
        for role, sp in self._spiff_rules:
            if not spiff_matches(sp.event, event):
                continue
            opens = self.start_day + sp.start_month * DAYS_PER_MONTH
            closes = opens + sp.months * DAYS_PER_MONTH if sp.months is not None else math.inf
            if not opens <= day < closes:
                continue
            person = spiff_person(role, event, self.plan.crediting)
            if person < 0:
                continue
            self._emit(person, role, day, f"spiff:{sp.event}", sp.event, 1.0, sp.amount_usd,
                       sp.amount_usd, f"spiff {sp.event}")

    def _emit(self, person: int, role: str, day: float, component: str, measure: str,
              value: float, rate: float, amount: float, reason: str) -> None:
        month = self.month_of(day)
        line = PayoutLine(person, role, month, day, component, measure, value, rate, amount, reason)
        self.lines.append(line)
        self.realised[person][month] += amount

    # ------------------------------------------------------------------ period closes
    def _advance(self, day: float) -> None:
        """Close every period that ended on or before ``day``."""
        starts = self.calendar.month_starts
        while self._next_close + 1 < len(starts) and starts[self._next_close + 1] <= day:
            m = self._next_close
            for pk in PERIODS:
                k = MONTHS_PER[pk]
                if (m + 1) % k == 0:
                    # Period-end pay is dated on the period's last day, so it falls inside a
                    # measurement window that ends with the period.
                    self._close(pk, (m + 1) // k - 1, float(starts[m + 1]) - 1.0)
            self._next_close += 1

    def close_until(self, day: float) -> None:
        """Close every period that ends on or before ``day`` (call at the end of a run)."""
        self.version += 1
        self._advance(day)

    def _close(self, period: str, idx: int, day: float) -> None:
        for role in ROLES:
            rp = self.plan.role(role)
            for ci, comp in self._components[role]:
                if comp.period != period:
                    continue
                if comp.kind == "bonus" or comp.measure in RATIO_MEASURES:
                    self._close_bonus(role, rp, ci, comp, idx, day)
                if comp.threshold_attainment > 0 and comp.kind == "commission":
                    self._close_threshold(role, rp, ci, comp, idx, day)

    def _eligible(self, role: str, period: str, idx: int, day: float) -> list[int]:
        """People paid a period-end bonus: employed at the close, or credited and not gone."""
        present = set(self.members(role, day - EPS))
        for person in self.period_people.get((role, period, idx), ()):
            p = self.people.get(person)
            if p is None or p.left >= day:
                present.add(person)
        return sorted(present)

    def _close_bonus(self, role: str, rp: RolePlan, ci: int, comp: Component, idx: int, day: float) -> None:
        for person in self._eligible(role, period=comp.period, idx=idx, day=day):
            who = TEAM if comp.scope == "team" else person
            if comp.measure in RATIO_MEASURES:
                value = self._ratio(who, comp.measure, comp.period, idx)
            else:
                value = self.acc.get((role, who, comp.measure, comp.period, idx), 0.0)
            if math.isnan(value):
                continue
            pay, rate, att = period_end(self._info[(role, ci)].params, float(value))
            if pay > EPS:
                self._emit(person, role, day, comp.name, comp.measure, value, rate, pay,
                           f"{comp.period} {idx} {comp.kind} at {att:.3f} of target")

    def _close_threshold(
        self, role: str, rp: RolePlan, ci: int, comp: Component, idx: int, day: float
    ) -> None:
        keys = [k for k in self.held if k[0] == role and k[1] == ci and k[3] == idx]
        for key in keys:
            items = self.held.pop(key)
            person = key[2]
            if rp.quota is not None:
                who, n = self._who(role, person, comp, day - EPS)
                q = (period_quota(rp, comp.period) or 1.0) * n
                att = self.acc.get((role, who, rp.quota.measure, comp.period, idx), 0.0) / q
            else:
                att = math.inf
            for item in items:
                item.held = False
                if att + EPS >= comp.threshold_attainment:
                    self._release(item, day)
                else:
                    item.amount = 0.0

    # ------------------------------------------------------------------ accounting
    def base_lines(self, start_day: float, end_day: float) -> list[PayoutLine]:
        """Base salary per person and month, prorated by employment, within the window."""
        out: list[PayoutLine] = []
        starts = self.calendar.month_starts
        for person, p in sorted(self.people.items()):
            annual = self.plan.role(p.role).base_salary_annual_usd
            if annual <= 0:
                continue
            lo, hi = max(start_day, p.hired), min(end_day, p.left)
            if hi <= lo:
                continue
            m = self.calendar.month_of(lo)
            while m + 1 < len(starts) and starts[m] < hi:
                a, b = max(lo, float(starts[m])), min(hi, float(starts[m + 1]))
                if b > a:
                    amt = annual * (b - a) / DAYS_PER_YEAR
                    out.append(PayoutLine(person, p.role, m, a, BASE, "", b - a, annual / DAYS_PER_YEAR,
                                          amt, "base salary"))
                m += 1
        return out

    def realised_pay(self, person: int, day: float, months: int = 12) -> float:
        """Variable pay dated in the ``months`` months before ``day`` (net of clawbacks)."""
        m = self.calendar.month_of(day)
        rec = self.realised.get(person)
        if not rec:
            return 0.0
        return sum(v for k, v in rec.items() if m - months <= k < m)

    def employed_days(self, person: int, day: float, span: float) -> float:
        """Days of the ``span`` days before ``day`` that ``person`` was employed."""
        p = self.people.get(person)
        if p is None:
            return span
        return max(0.0, min(day, p.left) - max(day - span, p.hired))

    def attainments(self, start_day: float, end_day: float) -> list[float]:
        """Quota attainment per person and full quota period inside ``[start_day, end_day)``."""
        out: list[float] = []
        for role in ROLES:
            rp = self.plan.role(role)
            if rp.quota is None:
                continue
            pk = rp.quota.period
            q = period_quota(rp, pk) or 1.0
            first = self.period_of(start_day, pk)
            last = self.period_of(end_day, pk)
            for idx in range(first, last + 1):
                a, b = self.period_bounds(idx, pk)
                if a < start_day or b > end_day:
                    continue
                people = {
                    p for p, s in self.people.items() if s.role == role and s.hired <= a and s.left >= b
                }
                if not any(s.role == role for s in self.people.values()):
                    people = {k[1] for k in self.acc if k[0] == role and k[1] != TEAM}
                for person in sorted(people):
                    out.append(self.acc.get((role, person, rp.quota.measure, pk, idx), 0.0) / q)
        return out


@dataclass
class Payouts:
    """Payout lines of one plan over a measurement window, with the totals built from them."""

    lines: list[PayoutLine] = field(default_factory=list)
    attainment_samples: list[float] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """The lines as a DataFrame (one row per line)."""
        cols = list(PayoutLine.__dataclass_fields__)
        if not self.lines:
            return pd.DataFrame(columns=cols)
        return pd.DataFrame([asdict(x) for x in self.lines], columns=cols)

    def _variable(self) -> Iterable[PayoutLine]:
        return (x for x in self.lines if x.component != BASE)

    def variable_total(self) -> float:
        """Variable pay (commissions, bonuses, spiffs) net of clawbacks."""
        return float(sum(x.amount for x in self._variable()))

    def base_total(self) -> float:
        """Base salary paid in the window."""
        return float(sum(x.amount for x in self.lines if x.component == BASE))

    def total(self) -> float:
        """Base plus variable pay."""
        return float(sum(x.amount for x in self.lines))

    def by_role(self) -> dict[str, float]:
        """Variable pay net of clawbacks by role."""
        out: dict[str, float] = defaultdict(float)
        for x in self._variable():
            out[x.role] += x.amount
        return dict(out)

    def base_by_role(self) -> dict[str, float]:
        """Base salary by role."""
        out: dict[str, float] = defaultdict(float)
        for x in self.lines:
            if x.component == BASE:
                out[x.role] += x.amount
        return dict(out)

    def by_component(self) -> dict[str, float]:
        """Variable pay net of clawbacks by ``role.component``."""
        out: dict[str, float] = defaultdict(float)
        for x in self._variable():
            out[f"{x.role}.{x.component}"] += x.amount
        return dict(out)

    def by_person(self) -> dict[str, float]:
        """Variable pay net of clawbacks by ``role:id``."""
        out: dict[str, float] = defaultdict(float)
        for x in self._variable():
            out[f"{x.role}:{x.person}"] += x.amount
        return dict(out)

    def clawback_total(self) -> float:
        """Sum of clawback reversals (a negative number or zero)."""
        return float(sum(x.amount for x in self._variable() if x.amount < 0))

    def attainment(self) -> list[float]:
        """Quota attainment per person and full quota period in the window."""
        return list(self.attainment_samples)

    def by_month(self) -> dict[int, float]:
        """Variable pay by pay month."""
        out: dict[int, float] = defaultdict(float)
        for x in self._variable():
            out[x.pay_month] += x.amount
        return dict(out)


def payouts_from_state(state: PayState, *, start_day: float, end_day: float) -> Payouts:
    """Close the state's periods up to ``end_day`` and cut its lines to ``[start_day, end_day)``."""
    state.close_until(end_day)
    lines = [x for x in state.lines if start_day <= x.day < end_day]
    lines.extend(state.base_lines(start_day, end_day))
    lines.sort(key=lambda x: (x.day, x.role, x.person))
    return Payouts(lines, state.attainments(start_day, end_day))


def compute_payouts(
    events: Iterable[Event], plan: PlanDesign, calendar: Calendar, *, start_day: float, end_day: float
) -> Payouts:
    """Payout lines of ``plan`` for a ledger, counting pay dated in ``[start_day, end_day)``.

    Events before ``start_day`` still build attainment, pending pay and clawback exposure;
    events are sorted by day (stably) before replay.
    """
    state = PayState(plan, calendar, start_day=start_day)
    for e in sorted(events, key=lambda e: e.day):
        state.observe(e)
    return payouts_from_state(state, start_day=start_day, end_day=end_day)

