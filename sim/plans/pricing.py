"""The pricing kernel: what a credit pays under one component's rules.

Every price in incentsim comes from here. The payout engine (:mod:`sim.plans.engine`) prices
the credits it observes, the valuation of options (:mod:`sim.policy.valuation`) prices
the credits every option of a decision *would* earn, and the back-test replays a ledger
through the engine: one set of formulas, so a plan rule is written once.

A :class:`Rule` holds the constants of one component (tiers as brackets, discount bands,
bonus curve, cap, threshold, pay timing, clawback), packed once into a float vector
(:attr:`Rule.params`). The functions take the pay state as numbers (attainment so far, head
count, cap room, pay held under a threshold). They are compiled with numba: the engine
calls the scalar functions once per credit at machine speed, and :func:`price_options`
prices every option of a decision in one call. Nothing here reads a ledger, a pay state or
the world, and nothing knows a plan by name. The formulas are in ``docs/model.md`` ("Pay
and decisions"); ``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from sim.plans.components import EPS, TIMING_TRIGGER, period_quota, uses_attainment_integration
from sim.scenario.plans import Component, RolePlan
from sim.time.calendar import DAYS_PER_YEAR
from sim.vocabulary import MONTHS_PER, RATIO_MEASURES

Array = NDArray[np.float64]

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
"""The ledger event that credits each measure (a pay timing on the same event adds no delay)."""

# What the pay of a credit waits for after the credit (Rule.timing).
NOW, GO_LIVE, SUCCESS, RENEWAL, CASH, REVENUE = range(6)
_TIMING_CODE = {
    "at_go_live": GO_LIVE,
    "after_success": SUCCESS,
    "at_renewal": RENEWAL,
    "on_cash": CASH,
    "on_revenue": REVENUE,
}

# Layout of Rule.params: fixed slots, then tiers (lo, hi, rate), bands (max, multiplier) and
# curve points (attainment, payout), each block preceded by its length.
_BONUS, _RATIO, _HAS_QUOTA, _INTEGRATE, _QUOTA, _CAP, _THRESHOLD, _ROLE_QUOTA = range(8)
_SAME_MEASURE, _TARGET_VALUE, _TARGET_USD, _TIMING, _SUCCESS_DAYS = range(8, 13)
_CB_SHARE, _CB_CHURN, _CB_ON_CHURN, _CB_ON_NONPAY, _CB_ON_FAILURE = range(13, 18)
_CAP_ATTAINMENT, _MY_SHARE, _MY_MAX_YEARS = range(18, 21)
_N_TIERS = 21
P_TARGET_VALUE, P_TIMING = _TARGET_VALUE, _TIMING
"""Slots of a rule's bonus target value (what a book-ratio forecast falls back to) and pay timing."""


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """The constants of one component of one role's plan, compiled for pricing."""

    comp: Component
    index: int
    """Position of the component in its role plan (the engine's component index)."""
    bonus: bool
    ratio: bool
    """Pays on a book ratio (GRR/NRR): a commission on a ratio pays at the close, not per credit."""
    period: str
    months: int
    team: bool
    quota_measure: str | None
    quota: float
    """Per-person quota of one period of the component (1 without a quota)."""
    cap: float | None
    """Pay cap per person and period: the smaller of ``cap_per_period_usd`` and the period's share
    of ``cap_share_of_ote`` x on-target earnings (None: uncapped)."""
    threshold: float
    role_quota: float | None
    target_value: float
    timing: int
    clawback: bool
    params: Array
    """Everything the kernel reads, packed (see the layout above)."""

    @classmethod
    def compile(cls, role_plan: RolePlan, index: int) -> Rule:
        """The rule of component ``index`` of ``role_plan``."""
        comp = role_plan.components[index]
        trigger = TIMING_TRIGGER[comp.pays]
        timing = (
            NOW if trigger is None or MEASURE_EVENT.get(comp.measure) == trigger else _TIMING_CODE[comp.pays]
        )
        cb = comp.clawback
        role_quota = period_quota(role_plan, comp.period)
        quota = role_quota or 1.0
        starts = [float(t.from_attainment) for t in comp.rates]
        head = [0.0] * _N_TIERS
        head[_BONUS] = float(comp.kind == "bonus")
        head[_RATIO] = float(comp.measure in RATIO_MEASURES)
        head[_HAS_QUOTA] = float(role_plan.quota is not None)
        head[_INTEGRATE] = float(uses_attainment_integration(role_plan, comp))
        head[_QUOTA] = quota
        cap = effective_cap(role_plan, comp)
        head[_CAP] = cap if cap is not None else math.inf
        head[_CAP_ATTAINMENT] = comp.cap_attainment if comp.cap_attainment is not None else math.inf
        head[_MY_SHARE] = comp.multi_year.later_year_share if comp.multi_year is not None else 0.0
        head[_MY_MAX_YEARS] = comp.multi_year.max_years if comp.multi_year is not None else 1.0
        head[_THRESHOLD] = float(comp.threshold_attainment)
        head[_ROLE_QUOTA] = role_quota if role_quota is not None else math.nan
        head[_SAME_MEASURE] = float(role_plan.quota is not None and role_plan.quota.measure == comp.measure)
        head[_TARGET_VALUE] = float(comp.target_value)
        head[_TARGET_USD] = float(comp.target_usd)
        head[_TIMING] = float(timing)
        head[_SUCCESS_DAYS] = float(comp.success_days)
        if cb is not None:
            head[_CB_SHARE] = cb.share
            head[_CB_CHURN] = min(1.0, cb.window_days / 365.0)
            head[_CB_ON_CHURN] = float("churn" in cb.triggers)
            head[_CB_ON_NONPAY] = float("non_payment" in cb.triggers)
            head[_CB_ON_FAILURE] = float("failed_implementation" in cb.triggers)
        ends = [*starts[1:], math.inf] if starts else []
        params = [
            *head,
            float(len(starts)),
            *starts,
            *ends,
            *(float(t.rate) for t in comp.rates),
            float(len(comp.discount_bands)),
            *(float(b.max_discount) for b in comp.discount_bands),
            *(float(b.multiplier) for b in comp.discount_bands),
            float(len(comp.curve)),
            *(float(p.attainment) for p in comp.curve),
            *(float(p.payout) for p in comp.curve),
        ]
        return cls(
            comp=comp,
            index=index,
            bonus=comp.kind == "bonus",
            ratio=comp.measure in RATIO_MEASURES,
            period=comp.period,
            months=MONTHS_PER[comp.period],
            team=comp.scope == "team",
            quota_measure=role_plan.quota.measure if role_plan.quota is not None else None,
            quota=quota,
            cap=cap,
            threshold=float(comp.threshold_attainment),
            role_quota=role_quota,
            target_value=float(comp.target_value),
            timing=timing,
            clawback=cb is not None,
            params=np.array(params, dtype=np.float64),
        )


def effective_cap(role_plan: RolePlan, comp: Component) -> float | None:
    """A component's pay cap per period: ``cap_per_period_usd`` and ``cap_share_of_ote`` x the
    role's on-target earnings x the period's share of a year, whichever is smaller."""
    caps = []
    if comp.cap_per_period_usd is not None:
        caps.append(float(comp.cap_per_period_usd))
    if comp.cap_share_of_ote is not None:
        caps.append(comp.cap_share_of_ote * role_plan.on_target_earnings_usd * MONTHS_PER[comp.period] / 12.0)
    return min(caps) if caps else None


# ---------------------------------------------------------------------- building blocks
@njit(cache=True)
def _bands_at(p: Array) -> int:
    return _N_TIERS + 1 + 3 * int(p[_N_TIERS])


@njit(cache=True)
def _curve_at(p: Array) -> int:
    b = _bands_at(p)
    return b + 1 + 2 * int(p[b])


@njit(cache=True)
def tier_integral(p: Array, a0: float, a1: float) -> float:
    """Sum over the tiers of rate x the part of ``[a0, a1]`` inside the tier (like tax brackets)."""
    n = int(p[_N_TIERS])
    o = _N_TIERS + 1
    total = 0.0
    for i in range(n):
        lo, hi, rate = p[o + i], p[o + n + i], p[o + 2 * n + i]
        overlap = (a1 if a1 < hi else hi) - (a0 if a0 > lo else lo)
        if overlap > 0:
            total += overlap * rate
    return total


@njit(cache=True)
def rate_in_force(p: Array, attainment: float) -> float:
    """The marginal rate of the highest tier that ``attainment`` has reached."""
    n = int(p[_N_TIERS])
    o = _N_TIERS + 1
    rate = p[o + 2 * n]
    for i in range(n):
        if attainment + EPS >= p[o + i]:
            rate = p[o + 2 * n + i]
    return rate


@njit(cache=True)
def band_multiplier(p: Array, discount: float) -> float:
    """Rate multiplier of the first discount band covering ``discount``: 0 beyond every band
    (the plan pays nothing for it), 1 without bands."""
    b = _bands_at(p)
    n = int(p[b])
    if n == 0:
        return 1.0
    for i in range(n):
        if discount <= p[b + 1 + i] + EPS:
            return p[b + 1 + n + i]
    return 0.0


@njit(cache=True)
def curve_share(p: Array, attainment: float) -> float:
    """Share of the bonus target paid at ``attainment``: linear between points, flat beyond."""
    c = _curve_at(p)
    n = int(p[c])
    xs = c + 1
    ys = c + 1 + n
    if attainment <= p[xs]:
        return p[ys]
    if attainment >= p[xs + n - 1]:
        return p[ys + n - 1]
    for i in range(n - 1):
        x0, x1 = p[xs + i], p[xs + i + 1]
        if x0 <= attainment <= x1:
            y0, y1 = p[ys + i], p[ys + i + 1]
            return y0 + (y1 - y0) * (attainment - x0) / (x1 - x0)
    return p[ys + n - 1]


@njit(cache=True)
def discount_factor(days: float, annual_rate: float) -> float:
    """Present value of $1 paid ``days`` from now at an annual rate (1 for days <= 0)."""
    if days <= 0 or annual_rate <= 0:
        return 1.0
    return math.exp(-days * math.log1p(annual_rate) / DAYS_PER_YEAR)


@njit(cache=True)
def mean_discount_factor(start: float, span: float, annual_rate: float) -> float:
    """Mean present value of $1 paid evenly over ``[start, start + span]`` days from now."""
    if annual_rate <= 0:
        return 1.0
    if span <= 0:
        return discount_factor(start, annual_rate)
    k = math.log1p(annual_rate) / DAYS_PER_YEAR
    lo = max(start, 0.0)
    return math.exp(-k * lo) * -math.expm1(-k * span) / (k * span)


# ---------------------------------------------------------------------- prices
@njit(cache=True)
def term_factor(p: Array, term_months: float) -> float:
    """Pay of a booking with a contract of ``term_months`` over the pay of its first year:
    ``1 + later_year_share x (min(term / 12, max_years) - 1)``, at least 1 (1 without a multi-year
    rule, or for a contract of a year or less)."""
    extra = min(term_months / 12.0, p[_MY_MAX_YEARS]) - 1.0
    if p[_MY_SHARE] <= 0 or extra <= 0:
        return 1.0
    return 1.0 + p[_MY_SHARE] * extra


@njit(cache=True)
def commission(
    p: Array, amount: float, attainment: float, heads: float, room: float, discount: float
) -> float:
    """:func:`commission_term` of a credit whose contract is a year (or not a booking)."""
    return commission_term(p, amount, attainment, heads, room, discount, 12.0)


@njit(cache=True)
def commission_term(
    p: Array,
    amount: float,
    attainment: float,
    heads: float,
    room: float,
    discount: float,
    term_months: float,
    quota: float = -1.0,
) -> float:
    """Pay for crediting ``amount`` of the component's measure, before any threshold.

    ``attainment`` is the quota attainment of the period before the credit (of the role for a
    team component, whose credit is shared by ``heads`` people), ``room`` what the cap leaves
    in the period, ``quota`` the person's quota of the period (:mod:`sim.plans.quotas`; 0 in a
    ramp's period without one: the first rate; negative: the plan's quota of the period).
    Tiers integrate across the move when they are read on the component's own measure;
    otherwise the tier in force applies (the first tier without a quota). Attainment beyond the
    attainment cap earns nothing (the part of a credit above it, or a whole credit made once
    attainment has reached it). Negative credits pay nothing; discount bands multiply,
    and so does a booking's contract term under a multi-year rule (:func:`term_factor`); the cap
    truncates. A commission on a book ratio pays nothing per credit (it pays at the close:
    :func:`period_end`).
    """
    if p[_RATIO] > 0:
        return 0.0
    share = amount / heads
    top = p[_CAP_ATTAINMENT]
    if quota < 0:
        quota = p[_QUOTA]
    if p[_HAS_QUOTA] == 0 or quota == 0:
        pay = share * p[_N_TIERS + 1 + 2 * int(p[_N_TIERS])]
    elif p[_INTEGRATE] > 0:
        q = quota * heads
        a1 = attainment + max(amount, 0.0) / q
        pay = tier_integral(p, attainment, a1 if a1 < top else top) * (q / heads)
    elif attainment + EPS >= top:
        pay = 0.0
    else:
        pay = share * rate_in_force(p, attainment)
    if pay <= 0:
        return 0.0
    pay *= band_multiplier(p, discount)
    if p[_MY_SHARE] > 0:
        pay *= term_factor(p, term_months)
    if p[_CAP] < math.inf:
        pay = max(0.0, min(pay, room))
    return pay


@njit(cache=True)
def threshold_gate(
    p: Array, pay: float, amount: float, before: float, held: float, quota: float = -1.0
) -> float:
    """Pay after a threshold, valued myopically: nothing while attainment after the credit stays
    below it; crossing it also unlocks the pay ``held`` so far in the period. ``quota`` as for
    :func:`commission_term` (a period without a quota has no threshold)."""
    thr = p[_THRESHOLD]
    if thr <= 0 or math.isnan(p[_ROLE_QUOTA]) or quota == 0:
        return pay
    q = p[_ROLE_QUOTA] if quota < 0 else quota
    after = before + (max(amount, 0.0) / q if p[_SAME_MEASURE] > 0 else 0.0)
    if after + EPS < thr:
        return 0.0
    if before + EPS < thr:
        return pay + held
    return pay


@njit(cache=True)
def period_end(p: Array, value: float) -> tuple[float, float, float]:
    """``(pay, rate, attainment)`` paid at a period's close for the period's ``value``.

    A bonus pays ``target_usd x curve(value / target_value)`` (its rate is the curve share); a
    commission on a book ratio pays ``value x`` its first rate (its attainment is the ratio).
    Nothing below the threshold; at most the cap.
    """
    if p[_BONUS] > 0:
        att = value / p[_TARGET_VALUE]
        rate = curve_share(p, att)
        pay = p[_TARGET_USD] * rate
    else:
        att = value
        rate = p[_N_TIERS + 1 + 2 * int(p[_N_TIERS])]
        pay = value * rate
    if att + EPS < p[_THRESHOLD]:
        return 0.0, rate, att
    return min(pay, p[_CAP]), rate, att


@njit(cache=True)
def bonus(p: Array, value: float) -> float:
    """A bonus's period-end pay at the measure ``value`` (see :func:`period_end`)."""
    return period_end(p, value)[0]


@njit(cache=True)
def clawback_keep(p: Array, churn: float, non_payment: float, failure: float) -> float:
    """Expected share of the pay kept: ``1 - share x P(any trigger)`` (churn scaled to the window)."""
    if p[_CB_SHARE] <= 0:
        return 1.0
    p_none = 1.0
    if p[_CB_ON_CHURN] > 0:
        p_none *= 1.0 - min(max(churn * p[_CB_CHURN], 0.0), 1.0)
    if p[_CB_ON_NONPAY] > 0:
        p_none *= 1.0 - min(max(non_payment, 0.0), 1.0)
    if p[_CB_ON_FAILURE] > 0:
        p_none *= 1.0 - min(max(failure, 0.0), 1.0)
    return 1.0 - p[_CB_SHARE] * (1.0 - p_none)


@njit(cache=True)
def timing_factor(
    p: Array,
    annual_rate: float,
    go_live_delay: float,
    success_probability: float,
    renewal_delay: float,
    cash_delay: float,
    non_payment: float,
) -> float:
    """Present value x probability of the pay being released, per $1 priced at the credit.

    Paid at credit: 1. At go-live / renewal / on cash: discounted to that day (on cash also
    times the probability of payment). After success: discounted to go-live + ``success_days``
    times the success probability. On revenue: the mean discount over the year after go-live.
    """
    t = int(p[_TIMING])
    if t == NOW:
        return 1.0
    if t == GO_LIVE:
        return discount_factor(go_live_delay, annual_rate)
    if t == SUCCESS:
        return discount_factor(go_live_delay + p[_SUCCESS_DAYS], annual_rate) * success_probability
    if t == RENEWAL:
        return discount_factor(renewal_delay, annual_rate)
    if t == CASH:
        return discount_factor(cash_delay, annual_rate) * (1.0 - non_payment)
    return mean_discount_factor(go_live_delay, DAYS_PER_YEAR, annual_rate)


@njit(cache=True)
def price_options(
    p: Array,
    annual_rate: float,
    amount: Array,
    discount: Array,
    group: NDArray[np.int64],
    piece_start: NDArray[np.int64],
    piece_frac: Array,
    piece_df: Array,
    piece_ctx: Array,
    go_live_delay: Array,
    success_probability: Array,
    renewal_delay: Array,
    cash_delay: Array,
    churn: Array,
    non_payment: Array,
    failure: Array,
) -> Array:
    """What one component pays for each option's credit: present value after timing and
    clawback, before the credit's probability.

    Option ``i``'s credit falls into the pieces ``piece_start[g] .. piece_start[g + 1]`` of its
    group ``g = group[i]`` (one piece per period a spread credit touches): a share
    ``piece_frac`` of the amount, discounted by ``piece_df``, priced at the pay state
    ``piece_ctx`` of the piece's credit day (bonus: measure so far, bonus at it, discount to the
    close; commission: head count, attainment, cap room, threshold attainment, pay held).
    """
    n = len(amount)
    out = np.zeros(n)
    is_bonus = p[_BONUS] > 0
    for i in range(n):
        g = group[i]
        raw = 0.0
        for j in range(piece_start[g], piece_start[g + 1]):
            x = amount[i] * piece_frac[j]
            c = piece_ctx[j]
            if is_bonus:
                raw += (bonus(p, c[0] + x) - c[1]) * c[2] * piece_df[j]
            else:
                pay = commission(p, x, c[1], c[0], c[2], discount[i])
                raw += threshold_gate(p, pay, x, c[3], c[4]) * piece_df[j]
        if raw != 0.0:
            raw *= clawback_keep(p, churn[i], non_payment[i], failure[i])
            if not is_bonus:
                raw *= timing_factor(
                    p,
                    annual_rate,
                    go_live_delay[i],
                    success_probability[i],
                    renewal_delay[i],
                    cash_delay[i],
                    non_payment[i],
                )
        out[i] = raw
    return out
