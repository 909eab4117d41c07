"""A pay component compiled for the kernel: :class:`Rule`, its parameter vector's layout (fixed
slots, then tiers, discount bands and curve points), what its pay waits for, and the cap in force."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.plans.components import TIMING_TRIGGER, period_quota, uses_attainment_integration
from sim.scenario.plans import Component, RolePlan
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
    "forecast_miss_usd": "forecast_miss",
}
"""The ledger event that credits each measure (a pay timing on the same event adds no delay)."""

# What the pay of a credit waits for after the credit (Rule.timing).
NOW, GO_LIVE, SUCCESS, RENEWAL, CASH, REVENUE = range(6)

TIMING_CODE = {
    "at_go_live": GO_LIVE,
    "after_success": SUCCESS,
    "at_renewal": RENEWAL,
    "on_cash": CASH,
    "on_revenue": REVENUE,
}

# Layout of Rule.params: fixed slots, then tiers (lo, hi, rate), bands (max, multiplier) and
# curve points (attainment, payout), each block preceded by its length.
P_BONUS, P_RATIO, P_HAS_QUOTA, P_INTEGRATE, P_QUOTA, P_CAP, P_THRESHOLD, P_ROLE_QUOTA = range(8)

P_SAME_MEASURE, P_TARGET_VALUE, P_TARGET_USD, P_TIMING, P_SUCCESS_DAYS = range(8, 13)

P_CB_SHARE, P_CB_CHURN, P_CB_ON_CHURN, P_CB_ON_NONPAY, P_CB_ON_FAILURE = range(13, 18)

P_CAP_ATTAINMENT, P_MY_SHARE, P_MY_MAX_YEARS = range(18, 21)

P_N_TIERS = 21


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
            NOW if trigger is None or MEASURE_EVENT.get(comp.measure) == trigger else TIMING_CODE[comp.pays]
        )
        cb = comp.clawback
        role_quota = period_quota(role_plan, comp.period)
        quota = role_quota or 1.0
        starts = [float(t.from_attainment) for t in comp.rates]
        head = [0.0] * P_N_TIERS
        head[P_BONUS] = float(comp.kind == "bonus")
        head[P_RATIO] = float(comp.measure in RATIO_MEASURES)
        head[P_HAS_QUOTA] = float(role_plan.quota is not None)
        head[P_INTEGRATE] = float(uses_attainment_integration(role_plan, comp))
        head[P_QUOTA] = quota
        cap = effective_cap(role_plan, comp)
        head[P_CAP] = cap if cap is not None else math.inf
        head[P_CAP_ATTAINMENT] = comp.cap_attainment if comp.cap_attainment is not None else math.inf
        head[P_MY_SHARE] = comp.multi_year.later_year_share if comp.multi_year is not None else 0.0
        head[P_MY_MAX_YEARS] = comp.multi_year.max_years if comp.multi_year is not None else 1.0
        head[P_THRESHOLD] = float(comp.threshold_attainment)
        head[P_ROLE_QUOTA] = role_quota if role_quota is not None else math.nan
        head[P_SAME_MEASURE] = float(role_plan.quota is not None and role_plan.quota.measure == comp.measure)
        head[P_TARGET_VALUE] = float(comp.target_value)
        head[P_TARGET_USD] = float(comp.target_usd)
        head[P_TIMING] = float(timing)
        head[P_SUCCESS_DAYS] = float(comp.success_days)
        if cb is not None:
            head[P_CB_SHARE] = cb.share
            head[P_CB_CHURN] = min(1.0, cb.window_days / 365.0)
            head[P_CB_ON_CHURN] = float("churn" in cb.triggers)
            head[P_CB_ON_NONPAY] = float("non_payment" in cb.triggers)
            head[P_CB_ON_FAILURE] = float("failed_implementation" in cb.triggers)
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
