"""Building blocks of pay rules: marginal rate tiers, bonus curves, discount bands, timing.

Pure functions over the plan schema (``sim.scenario.plans``). Everything here is generic:
nothing knows a plan by name, so any plan a designer writes is priced by the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from sim.calendar import MONTHS_PER
from sim.scenario.plans import Component, CurvePoint, DiscountBand, PlanDesign, RolePlan, Spiff, Tier

TIMING_TRIGGER: dict[str, str | None] = {
    "on_booking": None,
    "at_go_live": "go_live",
    "after_success": "implementation_success",
    "at_renewal": "renewal",
    "on_revenue": "revenue",
    "on_cash": "cash",
}
"""Ledger event kind that releases pay held under each ``pays`` timing (None: paid at credit)."""

CLAWBACK_TRIGGER: dict[str, str] = {
    "churn": "arr_churn",
    "non_payment": "non_payment",
    "failed_implementation": "implementation_failed",
}
"""Ledger event kind behind each clawback trigger."""

SPIFF_EVENT_MEASURE: dict[str, str] = {
    "new_logo": "new_logo_acv",
    "multi_year": "new_logo_acv",
    "upsell": "upsell_acv",
    "cross_sell": "cross_sell_acv",
    "reference": "references",
    "referral": "referrals",
    "go_live": "go_lives",
    "renewal": "renewals_arr",
    "handoff": "qualified_opportunities",
}
"""The measure whose outcomes stand for a spiff's event when an option is valued."""

EPS = 1e-9


def tier_bounds(tiers: Sequence[Tier]) -> list[tuple[float, float, float]]:
    """``(lower, upper, rate)`` of each marginal tier (the last one is open-ended)."""
    out = []
    for i, t in enumerate(tiers):
        hi = tiers[i + 1].from_attainment if i + 1 < len(tiers) else math.inf
        out.append((float(t.from_attainment), float(hi), float(t.rate)))
    return out


def rate_at(tiers: Sequence[Tier], attainment: float) -> float:
    """The marginal rate in force at ``attainment``."""
    rate = float(tiers[0].rate)
    for t in tiers:
        if attainment + EPS >= t.from_attainment:
            rate = float(t.rate)
    return rate


def tier_integral(bounds: Sequence[tuple[float, float, float]], a0: float, a1: float) -> float:
    """Sum over tiers ``(lo, hi, rate)`` of rate x the part of ``[a0, a1]`` inside the tier.

    The one implementation of the marginal-tier integral: the payout engine and the fast
    valuer both call it, so their floating-point results agree bit for bit.
    """
    total = 0.0
    for lo, hi, rate in bounds:
        overlap = (a1 if a1 < hi else hi) - (a0 if a0 > lo else lo)
        if overlap > 0:
            total += overlap * rate
    return total


def marginal_pay(tiers: Sequence[Tier], a0: float, a1: float, quota: float) -> float:
    """Pay for moving attainment from ``a0`` to ``a1`` (a1 >= a0) through marginal tiers.

    Each tier pays its rate on the part of the move that falls inside it, like tax
    brackets; ``quota`` converts attainment back to measure units.
    """
    return tier_integral(tier_bounds(tiers), a0, a1) * quota


def curve_share(curve: Sequence[CurvePoint], attainment: float) -> float:
    """Share of a bonus target paid at ``attainment``: linear between points, flat beyond."""
    xs = [float(p.attainment) for p in curve]
    ys = [float(p.payout) for p in curve]
    if attainment <= xs[0]:
        return ys[0]
    if attainment >= xs[-1]:
        return ys[-1]
    for (x0, y0), (x1, y1) in pairwise(zip(xs, ys, strict=True)):
        if x0 <= attainment <= x1:
            return y0 + (y1 - y0) * (attainment - x0) / (x1 - x0)
    return ys[-1]  # pragma: no cover - unreachable: the loop covers [xs[0], xs[-1]]


def discount_multiplier(bands: Sequence[DiscountBand], discount: float) -> float:
    """Rate multiplier for a deal's discount: the first band whose ``max_discount`` covers it.

    No bands: 1. A discount deeper than every band: 0 (the plan pays nothing for it).
    """
    if not bands:
        return 1.0
    for b in bands:
        if discount <= b.max_discount + EPS:
            return float(b.multiplier)
    return 0.0


def period_quota(role_plan: RolePlan, period: str) -> float | None:
    """The role's quota for one period of length ``period`` (annual amount split evenly)."""
    if role_plan.quota is None:
        return None
    return float(role_plan.quota.annual_amount) * MONTHS_PER[period] / 12.0


def uses_attainment_integration(role_plan: RolePlan, comp: Component) -> bool:
    """Whether the component's tiers are read on its own measure (integrated like brackets).

    When the component pays on a different measure than the quota (e.g. revenue paid at a
    rate set by bookings attainment), the rate is the tier in force at the current quota
    attainment instead.
    """
    return role_plan.quota is not None and role_plan.quota.measure == comp.measure


def role_spiffs(plan: PlanDesign, role: str) -> list[Spiff]:
    """The role's spiffs, plus for ``sdr`` the plan's hand-off fee (``crediting.handoff.fee_usd``)
    as a ``handoff`` spiff: one rule, so the payout engine and the valuation price it alike."""
    spiffs = list(plan.role(role).spiffs)
    fee = plan.crediting.handoff.fee_usd
    if role == "sdr" and fee > 0:
        spiffs.append(Spiff(event="handoff", amount_usd=fee))
    return spiffs


def paid_measures(role_plan: RolePlan) -> frozenset[str]:
    """Measures on which some component or spiff of the role pays: the only measures whose
    outcomes the valuation can find worth anything (an outcome on any other measure, a quota
    measure no component pays on included, is valued at exactly 0, so a world need not
    describe it)."""
    return frozenset(
        {c.measure for c in role_plan.components} | {SPIFF_EVENT_MEASURE[s.event] for s in role_plan.spiffs}
    )
