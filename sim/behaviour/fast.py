"""Fast option valuation: the same numbers as :func:`~sim.behaviour.valuation.value_outcome`, cheaper.

The reference valuation (:mod:`sim.behaviour.valuation`) re-derives everything for every
outcome: the rules of the role that pay on the measure, where the credit lands, the
attainment, head count and cap room of the period it lands in, the pay timing and the
clawback. A decision asks the same questions many times (a deal-terms decision has dozens of
options whose outcomes share credit days, amounts and discounts), so :class:`FastValuer`

* compiles once per (role, measure) the components and spiffs that pay on it, with their
  constants (tier bounds, curve points, clawback scales, spiff windows); a measure no rule
  of the role uses is recognised by one dictionary look-up and worth exactly 0;
* keeps, while the pay state is unchanged (its ``version``) and for one (role, person,
  decision day), the pricing context of every (component, credit day): attainment so far,
  head count, cap room, pay held under a threshold, the bonus paid at the current value;
* keeps, under the same key, the raw pay of a credit by (component, amount, discount,
  delay, spread) and how a credit falls into periods by (period, delay, spread);
* memoises pay-timing factors, which depend only on the plan and the outcome's delays.

Every float is computed with the same operations in the same order as the reference, so
utilities (and therefore choices) are bit-for-bit identical; ``tests/behaviour`` checks this
on random plans, states and decisions. Nothing here knows a plan by name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from sim.behaviour.valuation import (
    MEASURE_EVENT,
    credit_pieces,
    discount_factor,
    mean_discount_factor,
    projected_ratio,
)
from sim.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR
from sim.decisions import Decision, MeasureOutcome
from sim.plans.components import EPS, TIMING_TRIGGER, discount_multiplier, period_quota, tier_integral
from sim.plans.engine import PayState
from sim.plans.measures import RATIO_MEASURES, TEAM
from sim.scenario.plans import Component

_COUNT_MEASURES = frozenset({"references", "referrals", "go_lives"})
_MEMO_LIMIT = 4096
"""Timing memos are cleared when they grow past this many entries (bounded memory)."""

# Timing codes (what the pay waits for after the credit).
_NOW, _GO_LIVE, _SUCCESS, _RENEWAL, _CASH, _REVENUE = range(6)
_TIMING_CODE = {
    "at_go_live": _GO_LIVE,
    "after_success": _SUCCESS,
    "at_renewal": _RENEWAL,
    "on_cash": _CASH,
    "on_revenue": _REVENUE,
}


class _Rule:
    """One component compiled for valuation (constants only; no pay state)."""

    __slots__ = (
        "band_memo",
        "bands",
        "bonus",
        "bounds",
        "cap",
        "cb_churn",
        "cb_share",
        "ci",
        "clawback",
        "comp",
        "const_factor",
        "first_rate",
        "integrate",
        "months",
        "period",
        "quota",
        "quota_measure",
        "ratio",
        "role_quota",
        "same_quota_measure",
        "simple",
        "success_days",
        "target",
        "target_usd",
        "team",
        "threshold",
        "timing",
        "timing_memo",
        "xs",
        "ys",
    )

    def __init__(self, state: PayState, role: str, ci: int, comp: Component) -> None:
        info = state._info[(role, ci)]
        rp = state.role_plan(role)
        self.ci = ci
        self.comp = comp
        self.bonus = comp.kind == "bonus"
        self.ratio = comp.measure in RATIO_MEASURES
        self.period = comp.period
        self.months = info.months
        self.team = info.team
        self.quota_measure = info.quota_measure
        self.quota = info.quota
        self.integrate = info.integrate
        self.bounds = info.bounds
        self.first_rate = info.first_rate
        self.cap = info.cap
        self.bands = comp.discount_bands if info.bands else None
        self.threshold = comp.threshold_attainment
        self.role_quota = period_quota(rp, comp.period)
        self.same_quota_measure = rp.quota is not None and rp.quota.measure == comp.measure
        self.target = comp.target_value
        self.target_usd = comp.target_usd
        self.xs = [float(p.attainment) for p in comp.curve]
        self.ys = [float(p.payout) for p in comp.curve]
        trigger = TIMING_TRIGGER[comp.pays]
        if trigger is None or MEASURE_EVENT.get(comp.measure) == trigger:
            self.timing = _NOW
        else:
            self.timing = _TIMING_CODE[comp.pays]
        self.success_days = comp.success_days
        self.timing_memo: dict[float, float] = {}
        self.band_memo: dict[float, float] = {}
        cb = comp.clawback
        self.clawback = cb is not None
        self.cb_share = cb.share if cb is not None else 0.0
        self.cb_churn = min(1.0, cb.window_days / 365.0) if cb is not None else 0.0
        """Share of a year's churn probability that falls inside the clawback window."""
        self.simple = not (self.bonus or self.ratio or self.integrate) and self.cap is None
        self.simple = self.simple and self.threshold <= 0
        """A commission whose pay is the share times the rate in force (and discount bands)."""
        self.const_factor: float | None = None
        """The factor when it does not depend on the outcome (paid at credit, no clawback)."""
        if cb is None and (self.bonus or self.timing == _NOW):
            self.const_factor = 1.0 if self.bonus else 1.0 * 1.0 * 1.0

    def curve(self, a: float) -> float:
        """``curve_share`` of the component's curve (same arithmetic)."""
        xs, ys = self.xs, self.ys
        if a <= xs[0]:
            return ys[0]
        if a >= xs[-1]:
            return ys[-1]
        for (x0, y0), (x1, y1) in pairwise(zip(xs, ys, strict=True)):
            if x0 <= a <= x1:
                return y0 + (y1 - y0) * (a - x0) / (x1 - x0)
        return ys[-1]  # pragma: no cover - unreachable, as in curve_share

    def bonus_pay(self, a: float) -> float:
        """Bonus paid at attainment ``a`` (``pay_at`` of the reference)."""
        if a + EPS < self.threshold:
            return 0.0
        pay = self.target_usd * self.curve(a)
        return min(pay, self.cap) if self.cap is not None else pay

    def keep(self, o: MeasureOutcome) -> float:
        """Expected share kept after clawbacks (``_clawback_keep`` of the reference)."""
        comp_cb = self.comp.clawback
        if comp_cb is None:
            return 1.0
        p_none = 1.0
        for trig in comp_cb.triggers:  # one factor per listed trigger, in order, as the reference
            if trig == "churn":
                p = o.churn_probability * self.cb_churn
            elif trig == "non_payment":
                p = o.non_payment_probability
            else:
                p = o.failure_probability
            p_none *= 1.0 - min(max(p, 0.0), 1.0)
        return 1.0 - self.cb_share * (1.0 - p_none)

    def factor(self, o: MeasureOutcome, rate: float) -> float:
        """Multiplier on the raw pay: timing x probability x clawback (bonus: clawback only)."""
        keep = self.keep(o) if self.clawback else 1.0
        if self.bonus:
            return keep
        t = self.timing
        if t == _NOW:
            return 1.0 * 1.0 * keep
        memo = self.timing_memo
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        if t == _SUCCESS:
            delay = o.go_live_delay_days + self.success_days
            pv = memo.get(delay)
            if pv is None:
                pv = memo[delay] = discount_factor(delay, rate)
            return pv * o.success_probability * keep
        if t == _CASH:
            key = o.cash_delay_days
            pv = memo.get(key)
            if pv is None:
                pv = memo[key] = discount_factor(key, rate)
            return pv * (1.0 - o.non_payment_probability) * keep
        key = o.renewal_delay_days if t == _RENEWAL else o.go_live_delay_days
        pv = memo.get(key)
        if pv is None:
            if t == _REVENUE:
                pv = mean_discount_factor(key, DAYS_PER_YEAR, rate)
            else:
                pv = discount_factor(key, rate)
            memo[key] = pv
        return pv * 1.0 * keep


class _Spiff:
    """A spiff compiled for valuation."""

    __slots__ = ("amount", "closes", "multi_year", "opens")

    def __init__(
        self, state: PayState, amount: float, start_month: float, months: float | None, event: str
    ) -> None:
        self.amount = amount
        self.opens = state.start_day + start_month * DAYS_PER_MONTH
        self.closes = self.opens + months * DAYS_PER_MONTH if months is not None else math.inf
        self.multi_year = event == "multi_year"


_Rules = tuple[tuple[_Rule, ...], tuple[_Spiff, ...], bool]
"""(components, spiffs, whether the measure counts events) of one (role, measure)."""
_EMPTY: _Rules = ((), (), False)
_UNSET: tuple[float, ...] = (math.nan,)
"""Marker of a pricing context not computed yet (compared by identity)."""


class FastValuer:
    """Values decisions against a live :class:`PayState` (one per policy and replication)."""

    def __init__(self, state: PayState, annual_time_preference: float, risk_aversion_per_kusd: float) -> None:
        self.state = state
        self.rate = annual_time_preference
        self.risk = risk_aversion_per_kusd
        self._rules: dict[tuple[str, str], _Rules] = {}
        self._rules_by_role: dict[str, dict[str, _Rules]] = {}
        self._key: tuple[int, str, int, float] | None = None
        self._ctx: dict[tuple[int, float], tuple[float, ...] | None] = {}
        self._raw: dict[tuple[int, float, float, float, float], float] = {}
        self._geometry: dict[tuple[str, float, float], list[tuple[float, float, float]]] = {}

    # ------------------------------------------------------------------ compiled rules
    def rules(self, role: str, measure: str) -> _Rules:
        """The compiled components and spiffs of ``role`` that pay for ``measure``."""
        key = (role, measure)
        got = self._rules.get(key)
        if got is None:
            comps, spiffs = self.state.pay_rules(role, measure)
            if not comps and not spiffs:
                got = _EMPTY
            else:
                got = (
                    tuple(_Rule(self.state, role, ci, c) for ci, c in comps),
                    tuple(_Spiff(self.state, sp.amount_usd, sp.start_month, sp.months, sp.event)
                          for sp in spiffs),
                    measure in _COUNT_MEASURES,
                )
            self._rules[key] = got
        return got

    # ------------------------------------------------------------------ decision scope
    def _scope(self, role: str, person: int, day: float) -> None:
        """Reset the per-decision caches unless the state, person and day are unchanged."""
        key = (self.state.version, role, person, day)
        if key != self._key:
            self._key = key
            self._ctx = {}
            self._raw = {}
            self._geometry = {}

    def _pieces(self, period: str, day: float, o: MeasureOutcome) -> list[tuple[float, float, float]]:
        """How a credit falls into periods (the reference's ``credit_pieces``, cached per decision)."""
        key = (period, o.delay_days, o.spread_days)
        got = self._geometry.get(key)
        if got is None:
            got = self._geometry[key] = credit_pieces(self.state, period, day, o, self.rate)
        return got

    def _context(self, role: str, person: int, r: _Rule, day: float) -> tuple[float, ...] | None:
        """Pay state behind a credit to ``r`` on ``day`` (None: worth nothing)."""
        key = (r.ci, day)
        if key in self._ctx:
            return self._ctx[key]
        state = self.state
        ctx: tuple[float, ...] | None
        if r.bonus:
            who = TEAM if r.team else person
            if r.ratio:
                current = projected_ratio(state, who, r.comp, day)
            else:
                current = state.measure_to_date(role, who, r.comp.measure, r.period, day)
            close = state.period_bounds(state.period_of(day, r.period), r.period)[1]
            ctx = (current, r.bonus_pay(current / r.target), discount_factor(close - day, self.rate))
        elif r.ratio:
            ctx = None
        else:
            if r.team:
                who, n = TEAM, max(1, len(state.members(role, day)))
            else:
                who, n = person, 1
            idx = state.month_of(day) // r.months
            q = r.quota * n
            acc, cap_used = state.acc, state.cap_used
            a0 = acc.get((role, who, r.quota_measure, r.period, idx), 0.0) / q if r.quota_measure else 0.0
            room = r.cap - cap_used.get((role, r.ci, person, idx), 0.0) if r.cap is not None else math.inf
            before = held = 0.0
            if r.threshold > 0 and r.role_quota is not None:
                before = state.attainment_of(role, person, r.comp, day)
                pidx = state.period_of(day, r.period)
                held = sum(i.amount for i in state.held.get((role, r.ci, person, pidx), ()))
            # The rate in force at a0 (used when the tiers are not integrated across the move).
            rt = r.first_rate
            if r.quota_measure is not None:
                for lo, _, rr in r.bounds:
                    if a0 + EPS >= lo:
                        rt = rr
            ctx = (n, q, a0, room, before, held, rt)
        self._ctx[key] = ctx
        return ctx

    @staticmethod
    def _band(r: _Rule, discount: float) -> float:
        """The discount-band multiplier of ``r`` for ``discount`` (memoised on the rule)."""
        assert r.bands is not None
        if len(r.band_memo) > _MEMO_LIMIT:
            r.band_memo.clear()
        mult = r.band_memo[discount] = discount_multiplier(r.bands, discount)
        return mult

    def _commission(self, r: _Rule, ctx: tuple[float, ...], amount: float, discount: float) -> float:
        """``_commission_value`` of the reference from a precomputed context."""
        n, q, a0, room, before, held, rt = ctx
        share = amount / n
        pay = (
            tier_integral(r.bounds, a0, a0 + max(amount, 0.0) / q) * (q / n) if r.integrate else share * rt
        )
        if pay <= 0:
            pay = 0.0
        else:
            if r.bands is not None:
                mult = r.band_memo.get(discount)
                if mult is None:
                    mult = self._band(r, discount)
                pay *= mult
            if r.cap is not None:
                pay = max(0.0, min(pay, room))
        if r.threshold <= 0:
            return pay
        rq = r.role_quota
        if rq is None:
            return pay
        after = before + (max(amount, 0.0) / rq if r.same_quota_measure else 0.0)
        if after + EPS < r.threshold:
            return 0.0
        if before + EPS < r.threshold:
            pay += held
        return pay

    def _raw_pay(self, role: str, person: int, r: _Rule, day: float, o: MeasureOutcome) -> float:
        """``_raw_pay`` of the reference (cached by component, amount, discount and timing)."""
        key = (r.ci, o.amount, o.discount, o.delay_days, o.spread_days)
        raw = self._raw.get(key)
        if raw is not None:
            return raw
        pieces = self._geometry.get((r.period, o.delay_days, o.spread_days))
        if pieces is None:
            pieces = self._pieces(r.period, day, o)
        ctx_cache = self._ctx
        ci = r.ci
        raw = 0.0
        for credit_day, frac, df in pieces:
            amount = o.amount * frac
            ctx = ctx_cache.get((ci, credit_day), _UNSET)
            if ctx is _UNSET:
                ctx = self._context(role, person, r, credit_day)
            if r.bonus:
                assert ctx is not None
                current, pay0, dfc = ctx
                gain = r.bonus_pay((current + amount) / r.target) - pay0
                raw += gain * dfc * df
            elif ctx is None:
                raw += 0.0 * df
            elif r.simple:
                # No tiers to integrate, cap or threshold: the share times the rate in force.
                pay = amount / ctx[0] * ctx[6]
                if pay <= 0:
                    pay = 0.0
                elif r.bands is not None:
                    mult = r.band_memo.get(o.discount)
                    if mult is None:
                        mult = self._band(r, o.discount)
                    pay *= mult
                raw += pay * df
            else:
                raw += self._commission(r, ctx, amount, o.discount) * df
        self._raw[key] = raw
        return raw

    # ------------------------------------------------------------------ public
    def value(self, role: str, person: int, day: float, o: MeasureOutcome) -> tuple[float, float]:
        """``(mean, variance)`` of the pay ``o`` earns ``person`` (as ``value_outcome``)."""
        self._scope(role, person, day)
        return self._value(role, person, day, o)

    def _value(self, role: str, person: int, day: float, o: MeasureOutcome) -> tuple[float, float]:
        rules = self._rules.get((role, o.measure))
        if rules is None:
            rules = self.rules(role, o.measure)
        comps, spiffs, counts = rules
        if not comps and not spiffs:
            return 0.0, 0.0
        p = min(max(o.probability, 0.0), 1.0)
        rate = self.rate
        total = 0.0
        for r in comps:
            f = r.factor(o, rate)
            total += self._raw_pay(role, person, r, day, o) * f
        if spiffs:
            total = _add_spiff_pay(total, spiffs, counts, day, o, rate)
        return p * total, p * (1.0 - p) * total * total

    def utilities(self, decision: Decision) -> list[float]:
        """Utility in $k of every option of ``decision`` (as ``IncentivePolicy.utility``).

        The loop of :meth:`value` inlined over every outcome of every option: outcomes whose
        measure no rule of the role pays on are skipped (the reference values them at exactly
        0, which adds nothing), and the raw pay of a credit is looked up before it is priced.
        """
        role, person, day = decision.role, decision.person, decision.day
        self._scope(role, person, day)
        by_measure = self._rules_by_role.get(role)
        if by_measure is None:
            by_measure = self._rules_by_role[role] = {}
        risk = self.risk
        rate = self.rate
        raw_cache = self._raw
        sqrt = math.sqrt
        out = []
        for option in decision.options:
            mean = 0.0
            sd = 0.0
            for o in option.outcomes:
                rules = by_measure.get(o.measure)
                if rules is None:
                    rules = by_measure[o.measure] = self.rules(role, o.measure)
                comps, spiffs, counts = rules
                if not comps and not spiffs:
                    continue
                p = o.probability
                if p < 0.0:
                    p = 0.0
                elif p > 1.0:
                    p = 1.0
                total = 0.0
                for r in comps:
                    raw = raw_cache.get((r.ci, o.amount, o.discount, o.delay_days, o.spread_days))
                    if raw is None:
                        raw = self._raw_pay(role, person, r, day, o)
                    f = r.const_factor
                    total += raw * (f if f is not None else r.factor(o, rate))
                if spiffs:
                    total = _add_spiff_pay(total, spiffs, counts, day, o, rate)
                m = p * total
                v = p * (1.0 - p) * total * total
                if m or v:
                    mean += m
                    sd += sqrt(v) if v > 0 else 0.0
            mean_k, sd_k = mean / 1000.0, sd / 1000.0
            out.append(mean_k - 0.5 * risk * sd_k * sd_k - option.effort_kusd)
        return out


def _add_spiff_pay(
    total: float, spiffs: Sequence[_Spiff], counts: bool, day: float, o: MeasureOutcome, rate: float
) -> float:
    """``total`` plus the discounted spiff pay of one outcome credited ``o.delay_days`` after
    ``day`` (added one spiff at a time, in the reference valuation's order)."""
    credit_day = day + max(o.delay_days, 0.0)
    for sp in spiffs:
        if not sp.opens <= credit_day < sp.closes:
            continue
        if sp.multi_year and o.term_months <= 12:
            continue
        count = o.amount if counts else 1.0
        total += sp.amount * count * discount_factor(o.delay_days, rate)
    return total
