"""Unit economics of one replication: fully loaded costs, CAC, CRC, CEC, CUC, payback and lifetime value.

Pure functions of what a finished replication leaves behind: the pay of the measured window (the
payout engine's base and variable pay by role), the roster (head-years by role), the window's sums by
segment (:class:`sim.segment_tally.SegmentTally`), the time people spent by segment and activity
(:class:`sim.world.cost_drivers.CostDrivers`), the retention metrics and the company's cost model
(``company.costs``, :mod:`sim.scenario.costs`). Every metric is defined in ``docs/metrics.md``
(sections "Cost" and "Movements"); money is per measured year.

How costs are allocated (``docs/metrics.md`` gives the reasons):

* a role's **loaded cost** = (base + variable pay) x (1 + benefits load) + head-years x (tooling +
  support heads x their cost + manager cost / span);
* **acquisition** (CAC): the AEs' loaded cost in the share of AE-credited bookings that are new logos
  (by segment in proportion to pipeline days), SDRs (by meetings), marketing people and programme
  spend (by marketing leads), the CSMs' advocacy time (referrals are leads) and the demand generation
  behind the segment's exogenous leads (``costs.demand_generation_per_lead_usd``);
* **retention** (CRC): the CSMs' saves time and the customer-success programme spend;
* **expansion** (CEC): the CSMs' value-review time (adoption drives organic growth);
* **upsell** (CUC): the CSMs' expansion time and the AEs' loaded cost in the share of AE-credited
  bookings that are upsell or cross-sell;
* consultants, the product team, support agents and customer educators are a cost of service, and
  customer marketers and the plans' advocacy budgets a cost of advocacy (in ``loaded_cost``, not in
  a ratio).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.ledger import DEAL_KIND_CODE, SOURCE_CODE
from sim.scenario.company import Company
from sim.segment_tally import SegmentTally
from sim.time.calendar import DAYS_PER_YEAR
from sim.vocabulary import ROLES, SEGMENTS

if TYPE_CHECKING:
    from sim.world.cost_drivers import CostDrivers

NAN = math.nan
Roster = Mapping[int, tuple[str, float, float]]
_NEW, _UPSELL, _CROSS = DEAL_KIND_CODE["new"], DEAL_KIND_CODE["upsell"], DEAL_KIND_CODE["cross_sell"]
_SECOND_ORDER = (SOURCE_CODE["referral"], SOURCE_CODE["champion"])
MOVEMENTS: dict[str, tuple[str, ...]] = {
    "logos_lost_usd": ("arr_churn",),
    "price_erosion_usd": ("arr_price_erosion",),
    "contraction_usd": ("arr_contraction",),
    "headwind_usd": ("arr_churn", "arr_price_erosion", "arr_contraction"),
    "expansion_organic_usd": ("arr_expansion",),
    "upsell_usd": ("arr_upsell",),
    "cross_sell_usd": ("arr_cross_sell",),
    "tailwind_usd": ("arr_expansion", "arr_upsell", "arr_cross_sell"),
}
"""The headwind/tailwind bridge by segment: metric -> ARR movement kinds (headwinds as positive $)."""
HEADWINDS = frozenset({"logos_lost_usd", "price_erosion_usd", "contraction_usd", "headwind_usd"})


def head_years(roster: Roster, start: float, end: float) -> dict[str, float]:
    """Person-years employed inside ``[start, end)`` by role."""
    out: dict[str, float] = {}
    for role, hired, left in roster.values():
        days = max(0.0, min(left, end) - max(hired, start))
        out[role] = out.get(role, 0.0) + days / DAYS_PER_YEAR
    return out


def loaded_costs(
    company: Company, base: Mapping[str, float], variable: Mapping[str, float], heads: Mapping[str, float]
) -> dict[str, float]:
    """Fully loaded cost of each role over the window (pay and head-years given over the same window)."""
    costs = company.costs
    out: dict[str, float] = {}
    for role in ROLES:
        rc = getattr(costs.roles, role)
        hy = heads.get(role, 0.0)
        per_head = rc.tooling_per_head_annual_usd + rc.support_heads_per_head * rc.support_annual_cost_usd
        if rc.heads_per_manager > 0:
            per_head += rc.manager_annual_cost_usd / rc.heads_per_manager
        pay = base.get(role, 0.0) + variable.get(role, 0.0)
        out[role] = pay * (1.0 + costs.benefits_load) + hy * per_head
    return out


def lifetime_years(nrr: float, term_months: int, discount_rate: float, horizon_years: float) -> float:
    """Discounted revenue-years of a new dollar of ARR: ``(T/12) Σ_{n<N} x^n`` with
    ``x = (NRR / (1 + r))^(T/12)`` and ``N = ⌈12 K / T⌉`` contract terms of ``T`` months over ``K``
    years (a term's ARR is constant and its revenue counted at its start; ARR a year on is NRR times
    today's)."""
    if not math.isfinite(nrr) or nrr < 0:
        return NAN
    t = term_months / 12.0
    n = math.ceil(horizon_years / t - 1e-12)
    x = (nrr / (1.0 + discount_rate)) ** t
    if abs(x - 1.0) < 1e-12:
        return t * n
    return t * (1.0 - x**n) / (1.0 - x)


def _split(total: float, weights: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (else ``fallback``; else evenly)."""
    for w in (weights, fallback):
        s = float(np.sum(w))
        if s > 0:
            return total * np.asarray(w, dtype=float) / s
    return np.full(len(weights), total / max(len(weights), 1))


def _per_logo(values: np.ndarray, logos: np.ndarray) -> float:
    """Mean of per-segment values weighted by new logos (segments where the value is defined)."""
    ok = np.isfinite(values) & (logos > 0)
    return float(np.sum(values[ok] * logos[ok]) / logos[ok].sum()) if ok.any() else NAN


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 and math.isfinite(a) else NAN


def mean_arr_by_segment(
    snapshots: list[np.ndarray], segment: np.ndarray, first: int, last: int
) -> np.ndarray:
    """Mean over the month starts ``first..last`` of ARR (dollars) by segment."""
    out = np.zeros(len(SEGMENTS))
    months = 0
    for m in range(first, last + 1):
        a = snapshots[m]
        if not len(a):
            continue
        out += np.bincount(segment[: len(a)], weights=a.astype(float), minlength=len(SEGMENTS)) / 100.0
        months += 1
    return out / max(months, 1)


def unit_economics(
    company: Company,
    payouts: Any,
    roster: Roster,
    seg: SegmentTally,
    drivers: CostDrivers,
    retention: Mapping[str, float],
    mean_arr: np.ndarray,
    start: float,
    end: float,
    years: float,
) -> dict[str, float]:
    """The unit-economics and segment-bridge metrics (module docstring; ``docs/metrics.md``) of the
    window ``[start, end)`` (days) of ``years`` measured years (months / 12, as every flow metric)."""
    years = max(years, 1e-9)
    costs = company.costs
    out: dict[str, float] = {}
    for metric, kinds in MOVEMENTS.items():
        sign = -1.0 if metric in HEADWINDS else 1.0
        by_seg = sign * np.sum([seg.movement(k) for k in kinds], axis=0) / years
        for s, name in enumerate(SEGMENTS):
            out[f"{metric}_{name}"] = float(by_seg[s])
    new_arr = seg.movement("arr_new") / years
    logos = seg.new_logos / years
    renewed = seg.renewed / years
    organic = seg.movement("arr_expansion") / years
    upsold = (seg.movement("arr_upsell") + seg.movement("arr_cross_sell")) / years
    second = np.sum([seg.new_by_source[c] for c in _SECOND_ORDER], axis=0) / years
    for s, name in enumerate(SEGMENTS):
        out[f"new_arr_{name}"] = float(new_arr[s])
        out[f"new_logos_{name}"] = float(logos[s])
    if payouts is None:
        return out
    heads = head_years(roster, start, end)
    loaded = {
        r: v / years
        for r, v in loaded_costs(company, payouts.base_by_role(), payouts.by_role(), heads).items()
    }
    for r in ROLES:
        if heads.get(r, 0.0) > 0:
            out[f"loaded_cost_{r}"] = loaded[r]
    programme = company.marketing.annual_program_budget_usd
    per_lead = costs.demand_generation_per_lead_usd
    demand = np.array(
        [12.0 * getattr(company.segments, s).leads_per_month * getattr(per_lead, s) for s in SEGMENTS]
    )
    advocacy = retention.get("advocacy_spend_usd", 0.0)  # plans' advocacy budgets (sim/world/advocacy.py)
    out["loaded_cost"] = (
        sum(loaded.values()) + programme + costs.cs_program_annual_usd + float(demand.sum()) + advocacy
    )
    # acquisition, retention, expansion and upsell cost by segment
    ae_new = seg.ae_bookings[_NEW]
    ae_exp = seg.ae_bookings[_UPSELL] + seg.ae_bookings[_CROSS]
    total_ae = float(ae_new.sum() + ae_exp.sum())
    new_share = float(ae_new.sum()) / total_ae if total_ae > 0 else 1.0
    csm_frac = drivers.csm_time / drivers.csm_time.sum() if drivers.csm_time.sum() > 0 else None
    csm = loaded["csm"]
    zero = np.zeros(len(SEGMENTS))

    def csm_part(activity: int) -> np.ndarray:
        return csm * csm_frac[:, activity] if csm_frac is not None else zero

    acquisition = (
        _split(loaded["ae"] * new_share, drivers.pipeline_days, ae_new)
        + _split(loaded["sdr"], seg.sdr_meetings, seg.new_logos)
        + _split(loaded["marketing"] + programme, seg.marketing_leads, seg.new_logos)
        + csm_part(3)
        + demand
    )
    retention_cost = csm_part(0) + _split(costs.cs_program_annual_usd, seg.renewed, seg.renewed)
    expansion_cost = csm_part(1)
    upsell_cost = csm_part(2) + _split(loaded["ae"] * (1.0 - new_share), ae_exp, ae_exp)
    gm, rate, horizon = costs.gross_margin, costs.discount_rate_annual, costs.ltv_horizon_years
    ltv = np.full(len(SEGMENTS), NAN)
    ltv2 = np.full(len(SEGMENTS), NAN)
    for s, name in enumerate(SEGMENTS):
        term = getattr(company.segments, name).contract_term_months
        acv = _ratio(float(new_arr[s]), float(logos[s]))
        life = lifetime_years(retention.get(f"nrr_{name}", NAN), term, rate, horizon)
        ltv[s] = gm * acv * life
        rho = _ratio(float(second[s]), float(mean_arr[s]))
        ltv2[s] = ltv[s] * (1.0 + rho * life) if math.isfinite(rho) else NAN
        cac = _ratio(float(acquisition[s]), float(logos[s]))
        ratio = _ratio(float(acquisition[s]), float(new_arr[s]))
        out.update(
            {
                f"acquisition_cost_{name}": float(acquisition[s]),
                f"cac_{name}": cac,
                f"cac_ratio_{name}": ratio,
                f"payback_months_{name}": 12.0 * ratio / gm if gm > 0 else NAN,
                f"crc_{name}": _ratio(float(retention_cost[s]), float(renewed[s])),
                f"cec_{name}": _ratio(float(expansion_cost[s]), float(organic[s])),
                f"cuc_{name}": _ratio(float(upsell_cost[s]), float(upsold[s])),
                f"ltv_{name}": float(ltv[s]),
                f"ltv_second_order_{name}": float(ltv2[s]),
                f"ltv_to_cac_{name}": _ratio(float(ltv[s]), cac),
            }
        )
    n_logos = float(logos.sum())
    cac_all = _ratio(float(acquisition.sum()), n_logos)
    ratio_all = _ratio(float(acquisition.sum()), float(new_arr.sum()))
    ltv_all, ltv2_all = _per_logo(ltv, logos), _per_logo(ltv2, logos)
    out.update(
        {
            "acquisition_cost": float(acquisition.sum()),
            "retention_cost": float(retention_cost.sum()),
            "expansion_cost": float(expansion_cost.sum()),
            "upsell_cost": float(upsell_cost.sum()),
            "cac": cac_all,
            "cac_ratio": ratio_all,
            "payback_months": 12.0 * ratio_all / gm if gm > 0 else NAN,
            "crc": _ratio(float(retention_cost.sum()), float(renewed.sum())),
            "cec": _ratio(float(expansion_cost.sum()), float(organic.sum())),
            "cuc": _ratio(float(upsell_cost.sum()), float(upsold.sum())),
            "ltv": ltv_all,
            "ltv_second_order": ltv2_all,
            "ltv_to_cac": _ratio(ltv_all, cac_all),
        }
    )
    # one NaN object for every undefined value, as the other metrics (results compare equal)
    return {k: NAN if math.isnan(v) else v for k, v in out.items()}
