"""Vocabulary of pay rules: pay timings, clawback triggers, spiff events, quotas per period.

Pure functions over the plan schema (``sim.scenario.plans``). Everything here is generic:
nothing knows a plan by name. What a credit pays (tiers, bands, curves, caps) is priced in
one place, :mod:`sim.plans.pricing`.
"""

from __future__ import annotations

from sim.scenario.plans import Component, PlanDesign, RolePlan, Spiff
from sim.vocabulary import MONTHS_PER

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
