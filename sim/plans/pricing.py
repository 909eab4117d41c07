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

import numpy as np
from numba import njit
from numpy.typing import NDArray

from sim.plans.components import EPS
from sim.plans.rule import (
    CASH,
    GO_LIVE,
    NOW,
    P_BONUS,
    P_CAP,
    P_CAP_ATTAINMENT,
    P_CB_CHURN,
    P_CB_ON_CHURN,
    P_CB_ON_FAILURE,
    P_CB_ON_NONPAY,
    P_CB_SHARE,
    P_HAS_QUOTA,
    P_INTEGRATE,
    P_MY_MAX_YEARS,
    P_MY_SHARE,
    P_N_TIERS,
    P_QUOTA,
    P_RATIO,
    P_ROLE_QUOTA,
    P_SAME_MEASURE,
    P_SUCCESS_DAYS,
    P_TARGET_USD,
    P_TARGET_VALUE,
    P_THRESHOLD,
    P_TIMING,
    RENEWAL,
    SUCCESS,
    Array,
)
from sim.time.calendar import DAYS_PER_YEAR


@njit(cache=True)
def _bands_at(p: Array) -> int:
    return P_N_TIERS + 1 + 3 * int(p[P_N_TIERS])


@njit(cache=True)
def _curve_at(p: Array) -> int:
    b = _bands_at(p)
    return b + 1 + 2 * int(p[b])


@njit(cache=True)
def tier_integral(p: Array, a0: float, a1: float) -> float:
    """Sum over the tiers of rate x the part of ``[a0, a1]`` inside the tier (like tax brackets)."""
    n = int(p[P_N_TIERS])
    o = P_N_TIERS + 1
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
    n = int(p[P_N_TIERS])
    o = P_N_TIERS + 1
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


@njit(cache=True)
def term_factor(p: Array, term_months: float) -> float:
    """Pay of a booking with a contract of ``term_months`` over the pay of its first year:
    ``1 + later_year_share x (min(term / 12, max_years) - 1)``, at least 1 (1 without a multi-year
    rule, or for a contract of a year or less)."""
    extra = min(term_months / 12.0, p[P_MY_MAX_YEARS]) - 1.0
    if p[P_MY_SHARE] <= 0 or extra <= 0:
        return 1.0
    return 1.0 + p[P_MY_SHARE] * extra


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
    if p[P_RATIO] > 0:
        return 0.0
    share = amount / heads
    top = p[P_CAP_ATTAINMENT]
    if quota < 0:
        quota = p[P_QUOTA]
    if p[P_HAS_QUOTA] == 0 or quota == 0:
        pay = share * p[P_N_TIERS + 1 + 2 * int(p[P_N_TIERS])]
    elif p[P_INTEGRATE] > 0:
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
    if p[P_MY_SHARE] > 0:
        pay *= term_factor(p, term_months)
    if p[P_CAP] < math.inf:
        pay = max(0.0, min(pay, room))
    return pay


@njit(cache=True)
def threshold_gate(
    p: Array, pay: float, amount: float, before: float, held: float, quota: float = -1.0
) -> float:
    """Pay after a threshold, valued myopically: nothing while attainment after the credit stays
    below it; crossing it also unlocks the pay ``held`` so far in the period. ``quota`` as for
    :func:`commission_term` (a period without a quota has no threshold)."""
    thr = p[P_THRESHOLD]
    if thr <= 0 or math.isnan(p[P_ROLE_QUOTA]) or quota == 0:
        return pay
    q = p[P_ROLE_QUOTA] if quota < 0 else quota
    after = before + (max(amount, 0.0) / q if p[P_SAME_MEASURE] > 0 else 0.0)
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
    if p[P_BONUS] > 0:
        att = value / p[P_TARGET_VALUE]
        rate = curve_share(p, att)
        pay = p[P_TARGET_USD] * rate
    else:
        att = value
        rate = p[P_N_TIERS + 1 + 2 * int(p[P_N_TIERS])]
        pay = value * rate
    if att + EPS < p[P_THRESHOLD]:
        return 0.0, rate, att
    return min(pay, p[P_CAP]), rate, att


@njit(cache=True)
def bonus(p: Array, value: float) -> float:
    """A bonus's period-end pay at the measure ``value`` (see :func:`period_end`)."""
    return period_end(p, value)[0]


@njit(cache=True)
def clawback_keep(p: Array, churn: float, non_payment: float, failure: float) -> float:
    """Expected share of the pay kept: ``1 - share x P(any trigger)`` (churn scaled to the window)."""
    if p[P_CB_SHARE] <= 0:
        return 1.0
    p_none = 1.0
    if p[P_CB_ON_CHURN] > 0:
        p_none *= 1.0 - min(max(churn * p[P_CB_CHURN], 0.0), 1.0)
    if p[P_CB_ON_NONPAY] > 0:
        p_none *= 1.0 - min(max(non_payment, 0.0), 1.0)
    if p[P_CB_ON_FAILURE] > 0:
        p_none *= 1.0 - min(max(failure, 0.0), 1.0)
    return 1.0 - p[P_CB_SHARE] * (1.0 - p_none)


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
    t = int(p[P_TIMING])
    if t == NOW:
        return 1.0
    if t == GO_LIVE:
        return discount_factor(go_live_delay, annual_rate)
    if t == SUCCESS:
        return discount_factor(go_live_delay + p[P_SUCCESS_DAYS], annual_rate) * success_probability
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
    is_bonus = p[P_BONUS] > 0
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
