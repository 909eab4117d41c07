"""Metrics of the organisation's levers: first-year retention of new logos, support, advocacy spend
and the total cost of a plan (``docs/metrics.md``, "Organisation").

Pure functions of a replication's :class:`~sim.metrics.Observations` and the metrics already
computed from it.
"""

from __future__ import annotations

import math

import numpy as np

from sim.metrics import NAN, Observations


def first_year_retention(obs: Observations) -> dict[str, float]:
    """``grr_first_year``, ``nrr_first_year``, ``logo_churn_first_year`` of the new logos booked in
    a month ``b`` whose first renewal (at ``b + 12``) the window covers: ARR at ``b + 13`` (after
    that renewal) over the ARR at ``b + 1`` (booked; a failed implementation or a non-payment
    counts as lost), each customer capped at its booked ARR for GRR."""
    out = {"grr_first_year": NAN, "nrr_first_year": NAN, "logo_churn_first_year": NAN}
    cohort = obs.cohort_month
    if cohort is None:
        return out
    w, t = obs.warmup_months, obs.total_months
    snaps = obs.arr_snapshots
    then_all: list[np.ndarray] = []
    now_all: list[np.ndarray] = []
    for b in range(max(w - 1, 0), t - 12):
        a, z = snaps[b + 1], snaps[b + 13]
        who = np.flatnonzero(cohort[: len(a)] == b)
        if not len(who):
            continue
        then_all.append(a[who].astype(np.float64))
        now_all.append(z[who].astype(np.float64))
    if not then_all:
        return out
    then, now = np.concatenate(then_all), np.concatenate(now_all)
    booked = then > 0
    base = float(then[booked].sum())
    if base <= 0:
        return out
    out["grr_first_year"] = float(np.minimum(now, then)[booked].sum() / base)
    out["nrr_first_year"] = float(now[booked].sum() / base)
    out["logo_churn_first_year"] = float((now[booked] <= 0).mean())
    return out


def support_metrics(obs: Observations) -> dict[str, float]:
    """Tickets resolved per year, their mean resolution days and on-time share (a support desk only)."""
    s = obs.tally.support
    years = max((obs.total_months - obs.warmup_months) / 12.0, 1e-9)
    closed = s.get("closed", 0.0)
    if closed <= 0:
        return {}
    return {
        "tickets_resolved_per_year": closed / years,
        "ticket_resolution_days": s["days"] / closed,
        "tickets_on_time_share": s["on_time"] / closed,
    }


def organisation_metrics(obs: Observations, metrics: dict[str, float]) -> dict[str, float]:
    """The metrics of this module, and ``total_cost``: base and variable pay plus the marketing
    programme and advocacy budgets, per year (what a headcount lever costs, salaries included)."""
    out = first_year_retention(obs)
    out.update(support_metrics(obs))
    comp = metrics.get("total_comp_cost", NAN)
    spend = obs.marketing_budget_annual_usd + obs.extra.get("advocacy_spend_usd", 0.0)
    out["total_cost"] = comp + spend if not math.isnan(comp) else NAN
    return out
