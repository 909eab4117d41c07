"""Expected-pay valuation: what an outcome is worth to the person who would be credited with it.

For a :class:`~sim.decisions.MeasureOutcome` (a measure credit that may happen later, with
some probability), :func:`value_outcome` prices the credit with the person's *own* plan
from the live :class:`~sim.plans.engine.PayState` (no replay of the ledger):

1. every component of the person's role that pays on the outcome's measure prices the
   credit where it would land: attainment so far in the period of the credit day (a credit
   whose delay crosses the period end meets the next period's attainment, usually zero),
   marginal tiers integrated across the move, discount bands, the cap room left, a threshold
   (myopic: no further credits assumed in the period) and bonus curves (the change in
   ``curve(attainment)`` times the target, paid at the period close);
2. the pay is delayed by the component's ``pays`` timing (at go-live, after success, at
   renewal, on cash, spread over first-year revenue) and discounted at the behaviour's
   ``annual_time_preference``; ``after_success`` is multiplied by the success probability;
3. a clawback multiplies the pay by ``1 - share x P(trigger)`` (churn scaled to the window);
4. spiffs whose event stands for the measure add their amount;
5. the whole is multiplied by the outcome's probability; the variance is that of a Bernoulli
   payoff (``p (1 - p) V^2``) for mean-variance risk aversion.

Nothing here knows a plan by name: any component the schema can express is priced the same
way.

This is the reference valuation, written for clarity. The policy answers decisions with
:class:`sim.behaviour.fast.FastValuer`, which computes the same floats with the same
operations from cached pricing contexts (``tests/behaviour/test_fast_valuation.py`` checks
they agree bit for bit); a change to the rules here must be mirrored there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR
from sim.decisions import MeasureOutcome
from sim.plans.components import (
    EPS,
    TIMING_TRIGGER,
    curve_share,
    period_quota,
)
from sim.plans.engine import PayState
from sim.plans.measures import RATIO_MEASURES, TEAM
from sim.scenario.plans import Component

MEASURE_EVENT: dict[str, str] = {
    "bookings_acv": "booking",
    "new_logo_acv": "booking",
    "upsell_acv": "booking",
    "cross_sell_acv": "booking",
    "marketing_sourced_acv": "booking",
    "first_year_revenue": "revenue",
    "cash_collected": "cash",
    "go_lives": "go_live",
    "implementation_success_90d": "implementation_success",
    "first_year_renewals": "renewal",
    "renewals_arr": "renewal",
    "meetings_set": "meeting",
    "qualified_opportunities": "opportunity",
    "sdr_closed_acv": "booking",
    "sdr_first_year_revenue": "revenue",
}
"""The ledger event that credits each measure (a timing on the same event adds no delay)."""

def discount_factor(days: float, annual_rate: float) -> float:
    """Present value of $1 paid ``days`` from now at an annual discount rate."""
    if days <= 0 or annual_rate <= 0:
        return 1.0
    return math.exp(-days * math.log1p(annual_rate) / DAYS_PER_YEAR)


def mean_discount_factor(start: float, span: float, annual_rate: float) -> float:
    """Mean present value of $1 paid evenly over ``[start, start + span]`` days from now."""
    if annual_rate <= 0:
        return 1.0
    if span <= 0:
        return discount_factor(start, annual_rate)
    k = math.log1p(annual_rate) / DAYS_PER_YEAR
    lo = max(start, 0.0)
    return math.exp(-k * lo) * -math.expm1(-k * span) / (k * span)


def _timing(comp: Component, outcome: MeasureOutcome, annual_rate: float) -> tuple[float, float]:
    """``(present-value factor, probability factor)`` of the pay timing after the credit."""
    trigger = TIMING_TRIGGER[comp.pays]
    if trigger is None or MEASURE_EVENT.get(comp.measure) == trigger:
        return 1.0, 1.0
    if comp.pays == "at_go_live":
        return discount_factor(outcome.go_live_delay_days, annual_rate), 1.0
    if comp.pays == "after_success":
        delay = outcome.go_live_delay_days + comp.success_days
        return discount_factor(delay, annual_rate), outcome.success_probability
    if comp.pays == "at_renewal":
        return discount_factor(outcome.renewal_delay_days, annual_rate), 1.0
    if comp.pays == "on_cash":
        return discount_factor(outcome.cash_delay_days, annual_rate), 1.0 - outcome.non_payment_probability
    # on_revenue: released evenly with first-year revenue over the year after go-live.
    return mean_discount_factor(outcome.go_live_delay_days, DAYS_PER_YEAR, annual_rate), 1.0


def _clawback_keep(comp: Component, outcome: MeasureOutcome) -> float:
    """Expected share of the pay kept after clawbacks."""
    cb = comp.clawback
    if cb is None:
        return 1.0
    p_none = 1.0
    for trig in cb.triggers:
        if trig == "churn":
            p = outcome.churn_probability * min(1.0, cb.window_days / 365.0)
        elif trig == "non_payment":
            p = outcome.non_payment_probability
        else:
            p = outcome.failure_probability
        p_none *= 1.0 - min(max(p, 0.0), 1.0)
    return 1.0 - cb.share * (1.0 - p_none)


def _commission_value(
    state: PayState, role: str, person: int, ci: int, comp: Component, amount: float, day: float,
    outcome: MeasureOutcome,
) -> float:
    """Pay a commission component gives for ``amount`` credited on ``day`` (before timing)."""
    if comp.measure in RATIO_MEASURES:
        return 0.0
    pay, _, _ = state.price(role, person, ci, comp, amount, day, outcome.discount)
    if comp.threshold_attainment <= 0:
        return pay
    rp = state.role_plan(role)
    q = period_quota(rp, comp.period)
    if q is None:
        return pay
    before = state.attainment_of(role, person, comp, day)
    after = before + (max(amount, 0.0) / q if rp.quota and rp.quota.measure == comp.measure else 0.0)
    if after + EPS < comp.threshold_attainment:
        return 0.0
    if before + EPS < comp.threshold_attainment:
        idx = state.period_of(day, comp.period)
        pay += sum(i.amount for i in state.held.get((role, ci, person, idx), ()))
    return pay


def projected_ratio(state: PayState, person: int, comp: Component, day: float) -> float:
    """Forecast of a book ratio (GRR/NRR) at the close of the period containing ``day``.

    The ratio to date says little early in a period (no churn has happened yet), so the
    forecast extrapolates the pace so far (up to the latest event the state has seen) and
    blends it with the previous period's final ratio by the share of the period elapsed;
    with neither, the bonus target.
    """
    idx = state.period_of(day, comp.period)
    lo, hi = state.period_bounds(idx, comp.period)
    f = min(max((min(day, state.now) - lo) / (hi - lo), 0.0), 1.0)
    now = state.ratio(person, comp.measure, comp.period, idx)
    prev = state.ratio(person, comp.measure, comp.period, idx - 1)
    pace = math.nan
    if not math.isnan(now) and f > 0:
        pace = min(max(1.0 + (now - 1.0) / max(f, 1.0 / 12.0), 0.0), 2.0)
    if math.isnan(pace):
        return prev if not math.isnan(prev) else comp.target_value
    if math.isnan(prev):
        return pace
    return f * pace + (1.0 - f) * prev


def _bonus_value(
    state: PayState, role: str, person: int, comp: Component, amount: float, day: float, annual_rate: float
) -> float:
    """Present value of the change in a period-end bonus from crediting ``amount`` on ``day``.

    Additive measures read the period's total so far (myopic, as commission tiers do); book
    ratios read a forecast of the period's final ratio (:func:`projected_ratio`).
    """
    who = TEAM if comp.scope == "team" else person
    if comp.measure in RATIO_MEASURES:
        current = projected_ratio(state, who, comp, day)
    else:
        current = state.measure_to_date(role, who, comp.measure, comp.period, day)
    a0 = current / comp.target_value
    a1 = (current + amount) / comp.target_value

    def pay_at(a: float) -> float:
        if a + EPS < comp.threshold_attainment:
            return 0.0
        pay = comp.target_usd * curve_share(comp.curve, a)
        return min(pay, comp.cap_per_period_usd) if comp.cap_per_period_usd is not None else pay

    gain = pay_at(a1) - pay_at(a0)
    close = state.period_bounds(state.period_of(day, comp.period), comp.period)[1]
    return gain * discount_factor(close - day, annual_rate)


Geometry = list[tuple[float, float, float]]
"""``(credit day, share of the amount, discount factor)`` per piece of an outcome."""


@dataclass
class DecisionCache:
    """What the options of one decision share (valid while the pay state does not change)."""

    geometry: dict[tuple[str, float, float, float], Geometry] = field(default_factory=dict)
    """How a credit falls into periods, by (period, decision day, delay, spread)."""
    raw: dict[tuple[str, int, int, float, float, float, float], float] = field(default_factory=dict)
    """Raw pay of a credit by (role, person, component, amount, discount, delay, spread)."""


def credit_pieces(
    state: PayState, period: str, day: float, outcome: MeasureOutcome, annual_rate: float
) -> Geometry:
    """How an outcome's credit falls into periods: one piece per period it touches.

    A point credit is one piece. A spread credit (revenue realised over ``spread_days``) is
    cut at period ends, each piece priced at its own period's attainment and discounted at
    its mean delay.
    """
    t0 = day + max(outcome.delay_days, 0.0)
    if outcome.spread_days <= 0:
        return [(t0, 1.0, discount_factor(t0 - day, annual_rate))]
    span = outcome.spread_days
    t1 = t0 + span
    out = []
    idx = state.period_of(t0, period)
    while True:
        lo, hi = state.period_bounds(idx, period)
        a, b = max(t0, lo), min(t1, hi)
        if b > a:
            out.append((a, (b - a) / span, mean_discount_factor(a - day, b - a, annual_rate)))
        if hi >= t1:
            return out
        idx += 1


def _raw_pay(
    state: PayState,
    role: str,
    person: int,
    ci: int,
    comp: Component,
    day: float,
    outcome: MeasureOutcome,
    rate: float,
    cache: DecisionCache | None,
) -> float:
    """Present value of a component's pay for the credit, before timing, clawback and probability."""
    key = (comp.period, day, outcome.delay_days, outcome.spread_days)
    geometry = cache.geometry.get(key) if cache is not None else None
    if geometry is None:
        geometry = credit_pieces(state, comp.period, day, outcome, rate)
        if cache is not None:
            cache.geometry[key] = geometry
    raw = 0.0
    for credit_day, frac, df in geometry:
        amount = outcome.amount * frac
        if comp.kind == "bonus":
            raw += _bonus_value(state, role, person, comp, amount, credit_day, rate) * df
        else:
            raw += _commission_value(state, role, person, ci, comp, amount, credit_day, outcome) * df
    return raw


def value_outcome(
    state: PayState,
    role: str,
    person: int,
    day: float,
    outcome: MeasureOutcome,
    annual_time_preference: float,
    cache: DecisionCache | None = None,
) -> tuple[float, float]:
    """Expected present value (USD) of the pay ``outcome`` earns ``person``, and its variance.

    ``day`` is the decision day; the credit lands ``outcome.delay_days`` later (spread evenly
    over ``spread_days`` when given). O(components x periods touched): no pass over the ledger.
    ``cache`` must live for one decision only (the pay state does not change within it): it
    keeps how credits fall into periods and the raw pay of a credit, which the options of one
    decision share (options differing only in probabilities price the same credit).
    """
    comps, spiffs = state.pay_rules(role, outcome.measure)
    if not comps and not spiffs:
        return 0.0, 0.0
    p = min(max(outcome.probability, 0.0), 1.0)
    rate = annual_time_preference
    total = 0.0
    for ci, comp in comps:
        pv_t, p_t = _timing(comp, outcome, rate)
        keep = _clawback_keep(comp, outcome)
        raw_key = (role, person, ci, outcome.amount, outcome.discount, outcome.delay_days,
                   outcome.spread_days)
        raw = cache.raw.get(raw_key) if cache is not None else None
        if raw is None:
            raw = _raw_pay(state, role, person, ci, comp, day, outcome, rate, cache)
            if cache is not None:
                cache.raw[raw_key] = raw
        total += raw * (keep if comp.kind == "bonus" else pv_t * p_t * keep)
    for sp in spiffs:
        credit_day = day + max(outcome.delay_days, 0.0)
        opens = state.start_day + sp.start_month * DAYS_PER_MONTH
        closes = opens + sp.months * DAYS_PER_MONTH if sp.months is not None else math.inf
        if not opens <= credit_day < closes:
            continue
        if sp.event == "multi_year" and outcome.term_months <= 12:
            continue
        count = outcome.amount if outcome.measure in ("references", "referrals", "go_lives") else 1.0
        total += sp.amount_usd * count * discount_factor(outcome.delay_days, rate)
    mean = p * total
    var = p * (1.0 - p) * total * total
    return mean, var
