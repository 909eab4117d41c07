"""Metrics of one replication, computed from its ledger and its monthly customer snapshots.

Every metric is defined in ``docs/metrics.md``. The functions here are pure: they read an
:class:`Observations` (ledger events, per-customer ARR/health snapshots at each month start,
the calendar and the plan) and return numbers. Flow metrics (new ARR, churn $, expansion $,
payout cost) are **per measured year** (total over the horizon / horizon years); levels
(ending ARR) are at the end of the horizon; ratios (GRR, NRR, logo churn) are means over
the measured years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.scenario.plans import PlanDesign
from sim.tally import Tally
from sim.time.calendar import Calendar
from sim.vocabulary import ROLES, SEGMENTS, SOURCES

SEGMENT_NAMES = SEGMENTS
NAN = float("nan")
POOR_FIT = 0.4
"""New logos with ideal-customer-profile fit below this count as poor-fit deals."""


@dataclass
class MarketObservations:
    """A finite market's state over time (``sim/world/addressable.py``), finite segments only."""

    organisations: dict[str, int]
    """Addressable organisations per finite segment (segment name -> N)."""
    penetration: dict[str, list[float]]
    """Customers / organisations at each month start 0..total_months, per finite segment."""
    available_share: dict[str, list[float]]
    """Available organisations / organisations at each month start 0..total_months."""
    no_organisation: dict[str, float]
    """Referral and champion leads lost for lack of an available organisation, in the measured window."""
    arrivals: dict[str, float]
    """Leads (every source) that took an organisation, in the measured window."""


def market_metrics(obs: Observations) -> dict[str, float]:
    """Market penetration, available share and leads lost for lack of organisations (finite markets)."""
    mk = obs.market
    if mk is None or not mk.organisations:
        return {}
    years = max((obs.total_months - obs.warmup_months) / 12.0, 1e-9)
    t = obs.total_months
    out: dict[str, float] = {}
    customers = 0.0
    for name in SEGMENT_NAMES:
        n = mk.organisations.get(name)
        if n is None:
            for k in ("market_penetration", "available_share", "leads_no_organisation", "market_leads"):
                out[f"{k}_{name}"] = NAN
            continue
        pen = mk.penetration[name]
        out[f"market_penetration_{name}"] = pen[t] if len(pen) > t else NAN
        customers += out[f"market_penetration_{name}"] * n
        av = mk.available_share[name]
        out[f"available_share_{name}"] = av[t] if len(av) > t else NAN
        out[f"leads_no_organisation_{name}"] = mk.no_organisation.get(name, 0.0) / years
        out[f"market_leads_{name}"] = mk.arrivals.get(name, 0.0) / years
    out["market_penetration"] = customers / sum(mk.organisations.values())
    out["leads_no_organisation"] = sum(mk.no_organisation.values()) / years
    return out


@dataclass
class Observations:
    """What a replication leaves behind for its metrics."""

    tally: Tally
    """The ledger, summarised (see :class:`Tally`)."""
    calendar: Calendar
    plan: PlanDesign
    warmup_months: int
    total_months: int
    arr_snapshots: list[np.ndarray]
    """Per-customer ARR in cents at each month start 0..total_months (arrays grow with customers;
    warm-up months may hold empty arrays: metrics read months from ``warmup_months`` on)."""
    nps_by_month: list[float]
    """NPS of paying customers at each month start 0..total_months (see :func:`level_metrics`)."""
    final_health: np.ndarray
    """Every customer's health at the end of the horizon."""
    segment: np.ndarray
    """Segment code (0 smb, 1 mid-market, 2 enterprise) of every customer."""
    promoter_health: float
    detractor_health: float
    marketing_budget_annual_usd: float = 0.0
    forecast_error_cost_per_usd: float = 0.0
    """``company.costs.forecast_error_cost_per_usd`` (what a USD of forecast error costs)."""
    extra: dict[str, float] = field(default_factory=dict)
    market: MarketObservations | None = None
    """Finite markets (None when every segment is unlimited)."""
    cohort_month: np.ndarray | None = None
    """Month of each customer's first booking (-1: on the starting book), for first-year retention."""


def _padded(snaps: list[np.ndarray], m: int, n: int) -> np.ndarray:
    a = snaps[m]
    if len(a) == n:
        return a
    out = np.zeros(n, dtype=a.dtype)
    out[: len(a)] = a
    return out


def cohort_retention(
    arr_then: np.ndarray, arr_now: np.ndarray, mask: np.ndarray | None = None
) -> tuple[float, float, float]:
    """(GRR, NRR, logo churn) of the cohort of customers with ARR at ``then``.

    NRR = sum(ARR now) / sum(ARR then); GRR caps each customer at its old ARR; logo churn
    is the share of the cohort with no ARR now.
    """
    cohort = arr_then > 0
    if mask is not None:
        cohort &= mask
    base = float(arr_then[cohort].sum())
    if base <= 0:
        return NAN, NAN, NAN
    now = arr_now[cohort].astype(np.float64)
    then = arr_then[cohort].astype(np.float64)
    return (
        float(np.minimum(now, then).sum() / base),
        float(now.sum() / base),
        float((now <= 0).sum() / cohort.sum()),
    )


def retention_metrics(obs: Observations) -> dict[str, float]:
    """GRR, NRR and logo churn per measured year (mean), rolling, and per segment."""
    n = len(obs.segment)
    w, t = obs.warmup_months, obs.total_months
    out: dict[str, float] = {}
    years = [(w + 12 * k, w + 12 * (k + 1)) for k in range((t - w) // 12)]
    masks: dict[str, np.ndarray | None] = {"": None}
    for s, name in enumerate(SEGMENT_NAMES):
        masks[f"_{name}"] = obs.segment == s
    for suffix, mask in masks.items():
        vals = [
            cohort_retention(_padded(obs.arr_snapshots, a, n), _padded(obs.arr_snapshots, b, n), mask)
            for a, b in years
        ]
        for k, key in enumerate(("grr", "nrr", "logo_churn")):
            xs = [v[k] for v in vals if not math.isnan(v[k])]
            out[f"{key}{suffix}"] = float(np.mean(xs)) if xs else NAN
        if suffix == "":
            for i, v in enumerate(vals):
                out[f"grr_year{i + 1}"], out[f"nrr_year{i + 1}"] = v[0], v[1]
    rolling = [
        cohort_retention(_padded(obs.arr_snapshots, a, n), _padded(obs.arr_snapshots, a + 12, n))
        for a in range(w, t - 11)
    ]
    for k, key in enumerate(("grr_rolling", "nrr_rolling")):
        xs = [v[k] for v in rolling if not math.isnan(v[k])]
        out[key] = float(np.mean(xs)) if xs else NAN
    return out


def flow_metrics(obs: Observations) -> dict[str, float]:
    """ARR movements, bookings, sources, discounts, timing and implementation, per measured year."""
    t = obs.tally
    years = max((obs.total_months - obs.warmup_months) / 12.0, 1e-9)
    sums, new_by_source, counts = t.sums, t.new_by_source, t.counts
    discounts, slip, ttv, new_logo_arr = t.discounts, t.forecast_errors, t.ttv, t.new_logo_arr
    n_new, new_acv, period_end_acv, hit = len(t.discounts), t.new_acv, t.period_end_acv, t.quarter_hits
    new_arr = sums["arr_new"]
    booked_beyond = t.expansion[1]
    out = {
        "new_arr": new_arr / years,
        "bookings": float(np.sum(t.bookings_by_month)) / years,
        "gross_churn_usd": -sums["arr_churn"] / years,
        "logos_lost_usd": -sums["arr_churn"] / years,
        "price_erosion_usd": -sums["arr_price_erosion"] / years,
        "contraction_usd": -sums["arr_contraction"] / years,
        "headwind_usd": -(sums["arr_churn"] + sums["arr_price_erosion"] + sums["arr_contraction"]) / years,
        "expansion_organic_usd": sums["arr_expansion"] / years,
        "upsell_usd": sums["arr_upsell"] / years,
        "cross_sell_usd": sums["arr_cross_sell"] / years,
        "expansion_usd": (sums["arr_expansion"] + sums["arr_upsell"] + sums["arr_cross_sell"]) / years,
        "tailwind_usd": (sums["arr_expansion"] + sums["arr_upsell"] + sums["arr_cross_sell"]) / years,
        "mean_discount": float(np.mean(discounts)) if discounts else NAN,
        "period_end_discount": float(np.mean(t.period_end_discounts)) if t.period_end_discounts else NAN,
        "mean_fit_new": float(np.mean(t.fits)) if t.fits else NAN,
        "poor_fit_share": float(np.mean(np.asarray(t.fits) < POOR_FIT)) if t.fits else NAN,
        "implementation_quality": float(np.mean(t.qualities)) if t.qualities else NAN,
        "implementation_days_mean": float(np.mean(t.impl_days)) if t.impl_days else NAN,
        "period_end_share": period_end_acv / new_acv if new_acv > 0 else NAN,
        "second_order_share": (new_by_source["referral"] + new_by_source["champion"]) / new_arr
        if new_arr > 0
        else NAN,
        "time_to_value_days": float(np.mean(ttv)) if ttv else NAN,
        "new_logos": n_new / years,
        "expansion_overcommit_share": booked_beyond / t.expansion[0] if t.expansion[0] > 0 else NAN,
        "expansion_overcommit_period_end_share": t.expansion[2] / booked_beyond if booked_beyond > 0 else NAN,
        "expansion_period_end_share": t.expansion[3] / t.expansion[0] if t.expansion[0] > 0 else NAN,
        "forecast_error_usd": t.forecast[0] / years if t.settled else NAN,
        "forecast_error_cost_usd": (obs.forecast_error_cost_per_usd * t.forecast[0] / years)
        if t.settled
        else NAN,
        "forecast_commit_error_share": t.forecast[0] / t.forecast[1] if t.forecast[1] > 0 else NAN,
        "forecast_commit_ratio": t.forecast[2] / t.forecast[1] if t.forecast[1] > 0 else NAN,
        "forecast_slip_days": float(np.mean(slip)) if slip else NAN,
        "forecast_quarter_hit": hit / len(slip) if slip else NAN,
        "implementation_success_rate": counts["implementation_success"] / counts["go_live"]
        if counts["go_live"]
        else NAN,
        "implementation_failures": counts["implementation_failed"] / years,
        "referrals_per_year": counts["referral"] / years,
        "references_per_year": counts["reference"] / years,
        "champion_moves_per_year": counts["champion_move"] / years,
        "tickets_per_year": counts["tickets"] / years,
        "mean_new_logo_arr": float(np.mean(new_logo_arr)) if new_logo_arr else NAN,
    }
    for s in SOURCES:
        out[f"new_arr_{s}"] = new_by_source[s] / years
    return out


def level_metrics(obs: Observations) -> dict[str, float]:
    """Ending ARR (total and per segment), customers and NPS."""
    n = len(obs.segment)
    final = _padded(obs.arr_snapshots, obs.total_months, n)
    out = {"ending_arr": float(final.sum()) / 100.0, "ending_customers": float((final > 0).sum())}
    for s, name in enumerate(SEGMENT_NAMES):
        out[f"ending_arr_{name}"] = float(final[obs.segment == s].sum()) / 100.0
    scores = [x for x in obs.nps_by_month[obs.warmup_months : obs.total_months + 1] if not math.isnan(x)]
    out["nps"] = float(np.mean(scores)) if scores else NAN
    return out


def nps_answers(health: np.ndarray, promoter: float, detractor: float) -> np.ndarray:
    """NPS answers 0..10 from health: detractors 0-6, passives 7-8, promoters 9-10 (linear in each band)."""
    h = np.clip(np.asarray(health, dtype=float), 0, 1)
    det = 6.0 * h / max(detractor, 1e-9)
    pas = 7.0 + 1.999 * (h - detractor) / max(promoter - detractor, 1e-9)
    pro = 9.0 + (h - promoter) / max(1 - promoter, 1e-9)
    return np.floor(np.where(h < detractor, det, np.where(h > promoter, np.minimum(pro, 10.0), pas)))


def attainment_samples(obs: Observations) -> list[float]:
    """Quota attainment per AE per full measured quota period (AEs employed all period)."""
    q = obs.plan.ae.quota
    if q is None:
        return []
    cal = obs.calendar
    per = {"month": 1, "quarter": 3, "year": 12}[q.period]
    quota = q.annual_amount * per / 12.0
    start_p = -(-obs.warmup_months // per)
    end_p = obs.total_months // per
    hired, left, credit = obs.tally.hired, obs.tally.left, obs.tally.credit
    out = []
    for p in range(start_p, end_p):
        a, b = cal.period_bounds(p, q.period)
        for person, h in hired.items():
            if h <= a and left.get(person, math.inf) >= b:
                out.append(credit[(person, p)] / quota)
    return out


def distributions(obs: Observations) -> dict[str, list[float]]:
    """Samples for histograms over the measured horizon."""
    t = obs.tally
    disc, week, ttv, fe = t.discounts, t.close_weeks, t.ttv, t.forecast_errors
    final_a = obs.arr_snapshots[obs.total_months]
    nps = nps_answers(
        obs.final_health[: len(final_a)][final_a > 0], obs.promoter_health, obs.detractor_health
    )
    return {
        "discount": disc,
        "attainment": attainment_samples(obs),
        "close_week_of_quarter": week,
        "time_to_value_days": ttv,
        "nps": nps.tolist(),
        "forecast_error": fe,
    }


def timeseries(obs: Observations) -> dict[str, list[float]]:
    """Monthly series over the measured horizon: ARR (end of month), new ARR, bookings, customers."""
    n = len(obs.segment)
    w, t = obs.warmup_months, obs.total_months
    out: dict[str, list[float]] = {
        "arr": [],
        "customers": [],
        "new_arr": [0.0] * (t - w),
        "bookings": [0.0] * (t - w),
    }
    for name in SEGMENT_NAMES:
        out[f"arr_{name}"] = []
    for m in range(w + 1, t + 1):
        a = _padded(obs.arr_snapshots, m, n)
        out["arr"].append(float(a.sum()) / 100.0)
        out["customers"].append(float((a > 0).sum()))
        for s, name in enumerate(SEGMENT_NAMES):
            out[f"arr_{name}"].append(float(a[obs.segment == s].sum()) / 100.0)
    out["new_arr"] = list(obs.tally.new_arr_by_month)
    out["bookings"] = list(obs.tally.bookings_by_month)
    if obs.market is not None:  # finite markets: month-end penetration and available share
        mk = obs.market
        for name in mk.organisations:
            out[f"market_penetration_{name}"] = [float(x) for x in mk.penetration[name][w + 1 : t + 1]]
            out[f"available_share_{name}"] = [float(x) for x in mk.available_share[name][w + 1 : t + 1]]
    return out


def cost_metrics(obs: Observations, payouts: Any, flows: dict[str, float]) -> dict[str, float]:
    """Payout cost by role, total comp and cost of sales (per measured year). Fully loaded unit
    economics (CAC, CRC, CEC, CUC, LTV) are in :mod:`sim.economics`."""
    years = max((obs.total_months - obs.warmup_months) / 12.0, 1e-9)
    out: dict[str, float] = {}
    if payouts is None:
        for k in (
            "payout_cost",
            *(f"payout_cost_{r}" for r in ROLES),
            "total_comp_cost",
            "cost_of_sales",
            "payout_share_of_bookings",
        ):
            out[k] = NAN
        return out
    by_role = payouts.by_role()
    out["payout_cost"] = payouts.variable_total() / years
    for r in ROLES:
        out[f"payout_cost_{r}"] = by_role.get(r, 0.0) / years
    out["total_comp_cost"] = (payouts.variable_total() + payouts.base_total()) / years
    new = flows["new_arr"]
    out["cost_of_sales"] = out["payout_cost"] / new if new > 0 else NAN
    booked = flows.get("bookings", NAN)
    out["payout_share_of_bookings"] = out["payout_cost"] / booked if booked > 0 else NAN
    return out


def sdr_metrics(obs: Observations, payouts: Any, flows: dict[str, float]) -> dict[str, float]:
    """SDR volume, acceptance, pipeline, sourced new ARR and fit, and cost per qualified
    opportunity (per measured year; only when the company has SDRs)."""
    if "sdr_leads_worked" not in obs.extra:
        return {}
    t = obs.tally
    years = max((obs.total_months - obs.warmup_months) / 12.0, 1e-9)
    meetings, opps = t.sdr["meetings"], t.sdr["opportunities"]
    out = {
        "sdr_meetings": meetings / years,
        "sdr_opportunities": opps / years,
        "sdr_acceptance_rate": opps / meetings if meetings else NAN,
        "sdr_pipeline_acv": t.sdr["pipeline"] / years,
        "sdr_win_rate": t.sdr["new_logos"] / opps if opps else NAN,
        "new_arr_sdr": t.sdr["new_arr"] / years,
        "new_arr_not_sdr": flows["new_arr"] - t.sdr["new_arr"] / years,
        "sdr_new_logos": t.sdr["new_logos"] / years,
        "mean_fit_meetings": float(np.mean(t.sdr_meeting_fits)) if t.sdr_meeting_fits else NAN,
        "mean_fit_sdr_new": float(np.mean(t.sdr_new_fits)) if t.sdr_new_fits else NAN,
    }
    if payouts is None:
        out.update({"sdr_cost": NAN, "sdr_cost_per_opportunity": NAN})
        return out
    variable = payouts.by_role().get("sdr", 0.0)
    cost = variable + payouts.base_by_role().get("sdr", 0.0)
    out["sdr_cost"] = cost / years
    out["sdr_cost_per_opportunity"] = cost / opps if opps else NAN
    return out


def renewed_arr(obs: Observations) -> float:
    """ARR renewed per measured year."""
    years = max((obs.total_months - obs.warmup_months) / 12.0, 1e-9)
    return obs.tally.renewed / years


def cash_metrics(obs: Observations) -> dict[str, float]:
    """Billing and collection over the measured window (``docs/metrics.md``, "Cash").

    ``dso`` (days sales outstanding, average-balance method): time-average receivables over the
    window / (amount billed in the window / days in the window). ``collection_ratio``: collected /
    billed; ``bad_debt_rate``: written off (``non_payment``) / billed; ``collection_days_mean``:
    amount-weighted mean days from invoice to cash (billing on only).
    """
    c = obs.tally.cash
    w, t = obs.warmup_months, obs.total_months
    years = max((t - w) / 12.0, 1e-9)
    days = c.end - c.start
    billed = sum(c.billed[w:t])
    collected = sum(c.collected[w:t])
    written = sum(c.written_off[w:t])
    avg_ar = c.receivable_before + c.ar_area / days if days > 0 else NAN
    out = {
        "billed_usd": billed / years,
        "cash_collected_usd": collected / years,
        "bad_debt_usd": written / years,
        "collection_ratio": collected / billed if billed > 0 else NAN,
        "bad_debt_rate": written / billed if billed > 0 else NAN,
        "receivables_mean_usd": avg_ar,
        "dso": avg_ar / (billed / days) if billed > 0 and days > 0 else NAN,
        "collection_days_mean": c.lag_sum / c.lag_weight if c.lag_weight > 0 else NAN,
    }
    for k in range((t - w) // 12):
        a, b = w + 12 * k, w + 12 * (k + 1)
        bk = sum(c.billed[a:b])
        out[f"collection_ratio_year{k + 1}"] = sum(c.collected[a:b]) / bk if bk > 0 else NAN
    return out


def cash_series(obs: Observations, payouts: Any) -> dict[str, list[float]]:
    """Monthly cash over the measured window: ``billed``, ``cash_collected`` and ``cash_balance``.

    ``cash_balance`` at the end of measured month j = sum over measured months <= j of (cash
    collected - compensation paid, base salary and variable pay net of clawbacks, dated in that month).
    """
    c = obs.tally.cash
    w, t = obs.warmup_months, obs.total_months
    paid = payouts.paid_by_month(w, t - w) if payouts is not None else [0.0] * (t - w)
    balance, running = [], 0.0
    for j in range(t - w):
        running += c.collected[w + j] - paid[j]
        balance.append(running)
    return {
        "billed": [float(x) for x in c.billed[w:t]],
        "cash_collected": [float(x) for x in c.collected[w:t]],
        "cash_balance": balance,
    }


def all_metrics(obs: Observations, payouts: Any = None) -> dict[str, float]:
    """Every metric of ``sim.scenario.experiment.METRICS`` plus the extras documented in docs/metrics.md."""
    ret = retention_metrics(obs)
    flows = flow_metrics(obs)
    flows["renewed_arr"] = renewed_arr(obs)
    levels = level_metrics(obs)
    out = {**ret, **flows, **levels}
    out.update(cost_metrics(obs, payouts, flows))
    out.update(sdr_metrics(obs, payouts, flows))
    att = attainment_samples(obs)
    out["attainment_mean"] = float(np.mean(att)) if att else NAN
    out["share_at_quota"] = float(np.mean(np.asarray(att) >= 1.0)) if att else NAN
    out.update(market_metrics(obs))
    out.update(cash_metrics(obs))
    out.update(obs.extra)
    return out
