"""Exact cases of the customer base over its lifetime: lifetime value against its closed form, and
Little's law for the number of customers (arrival rate x mean lifetime)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.result import ReplicationResult
from sim.time.calendar import DAYS_PER_MONTH, Calendar
from sim.validation.core import Check, case, covers, equals, metric_samples, within
from sim.validation.retention import SEED, Seg, Setup, excludes, term_churn

LTV = Setup(
    "exact.ltv.upfront",
    smb=Seg(
        leads_per_month=15.0, base_win_rate=0.8, annual_churn=0.5, list_acv_cv=0.0, list_acv_mean_usd=12_000.0
    ),
    warmup_years=0.0,
    horizon_years=10.0,
    reps=4,
    replications=8,
    seed=SEED + 5,
    costs=(("gross_margin", 1.0), ("discount_rate_annual", 0.0), ("ltv_horizon_years", 40.0)),
)
"""New logos only, p = 0.5, ten years: a customer won in year 1 meets at least nine renewals,
so its payments are truncated by at most (1 − p)^10 = 0.1% (and the truncated expectation is
computed exactly). Lifetime value counted at a gross margin of 1, undiscounted, over 40 years."""


@dataclass(frozen=True)
class LtvStats:
    """Per-customer payments of the first-year cohort of one replication."""

    customers: int
    acv: float
    """Mean booked ACV of the cohort."""
    billed: float
    """Mean total billed per customer: the new deal's booking plus every renewal."""
    renewals: float
    """Mean renewal amount per customer (the in-arrears convention)."""
    expected_payments: float
    """Mean over the cohort of the exact truncated expectation of payments per customer."""


def ltv_stats(
    events: Sequence[Any], cal: Calendar, total_months: int, p: float, cohort_months: int = 12
) -> LtvStats:
    """Payments of customers won in the first ``cohort_months`` months, from the ledger."""
    end = float(cal.month_starts[cohort_months])
    first: dict[int, float] = {}
    month0: dict[int, int] = {}
    for e in events:
        if e.kind == "booking" and e.deal_kind == "new" and e.day < end:
            first[e.customer] = e.amount
            month0[e.customer] = cal.month_of(e.day)
    renew: dict[int, float] = dict.fromkeys(first, 0.0)
    for e in events:
        if e.kind == "renewal" and e.customer in renew:
            renew[e.customer] += e.amount
    if not first:
        return LtvStats(0, math.nan, math.nan, math.nan, math.nan)
    ids = list(first)
    acv = np.array([first[c] for c in ids])
    ren = np.array([renew[c] for c in ids])
    # renewals at months m0 + 12k while m0 + 12k <= total_months - 1 (the last month's renewals)
    k = np.array([(total_months - 1 - month0[c]) // 12 for c in ids])
    expected = (1 - (1 - p) ** (k + 1)) / p
    return LtvStats(
        len(ids), float(acv.mean()), float((acv + ren).mean()), float(ren.mean()), float(expected.mean())
    )


@case(
    "exact.ltv.upfront",
    "Customer lifetime value with constant churn, annual upfront billing",
    "E[total billed] = ACV/p (payments at the start of each contract year; in arrears ACV·(1 − p)/p)",
)
def _ltv() -> Sequence[Check]:
    w = LTV
    seg = w.smb
    p = seg.annual_churn
    cal, _, total = w.calendar()
    results = w.run(keep_ledger=True)
    stats = [ltv_stats(r.ledger or [], cal, total, p) for r in results]
    acv = seg.list_acv_mean_usd
    billed = np.array([s.billed for s in stats])
    renewals = np.array([s.renewals for s in stats])
    trunc = float(np.mean([s.expected_payments for s in stats])) * acv
    n = int(np.mean([s.customers for s in stats]))
    about = f"p={p:g}, ACV={acv:,.0f}, first-year cohort of ~{n} customers per replication"
    return [
        equals("booked ACV (constant)", acv, float(np.mean([s.acv for s in stats])), tol=0.01, digits=2),
        equals(
            "truncation: exact truncated E / (ACV/p) − 1",
            0.0,
            trunc / (acv / p) - 1,
            tol=1e-3,
            digits=5,
            detail="Σ_{k≤K}(1−p)^k with K = renewals before the horizon",
        ),
        covers("total billed per customer = ACV/p", acv / p, billed, digits=1, detail=about),
        covers(
            "renewals only (in arrears) = ACV·(1−p)/p", acv * (1 - p) / p, renewals, digits=1, detail=about
        ),
        excludes("ACV·(1−p)/p is not the upfront value", acv * (1 - p) / p, billed, digits=1),
        covers(
            "metric ltv = margin · ACV · Σ_{k<40} NRR^k = ACV/p here (margin 1, undiscounted)",
            acv / p,
            metric_samples(results, "ltv"),
            digits=1,
            detail="sim.economics.lifetime_years with NRR = 1 − p; the 40-year truncation is 0.5^40",
        ),
    ]


LITTLE_RATE = 15.0
"""New customers per month (30 leads a month, won with probability 0.5)."""

LITTLE_CHURN = 0.5

LITTLE = Setup(
    "exact.little.customers",
    smb=Seg(
        leads_per_month=2 * LITTLE_RATE,
        base_win_rate=0.5,
        annual_churn=LITTLE_CHURN,
        starting_customers=round(LITTLE_RATE * (12 / LITTLE_CHURN - 1)),
    ),
    warmup_years=2.0,
    horizon_years=3.0,
    reps=5,
    replications=8,
    seed=SEED + 6,
)
"""λ = 15 customers a month, W = 12/p = 24 months: L = 360 customers. The starting book holds
λ·(12/p − 1) customers, the steady-state count just after a month's renewals (a month's
churners equal its λ arrivals), with renewals spread over months 1–12; two years of warm-up
leave the expectation within 0.2% of λ·W (computed exactly by :func:`little_expected`)."""


def little_expected(setup: Setup) -> tuple[float, float]:
    """(λ·W, exact expectation of the mean snapshot count over the window).

    A customer won in month ``m0`` is counted at snapshots ``m0+1 … m0+12K`` (``K`` renewals
    until it churns; the snapshot at a renewal month precedes the renewal), so
    ``P(counted j months later) = (1 − p)^(⌈j/12⌉ − 1)`` and ``W = Σ_j = 12/p`` months. Wins
    in month ``k`` number ``λ_day · days(k)`` on average. A starting customer with renewal
    month ``c`` (uniform on 1..12) is counted at snapshot ``m`` after surviving the renewals
    ``c, c+12, … ≤ m−1``.
    """
    seg = setup.smb
    p = term_churn(seg.annual_churn, 12)
    cal, warm, total = setup.calendar()
    ms = cal.month_starts
    lam_day = seg.leads_per_month * seg.base_win_rate / DAYS_PER_MONTH
    vals = []
    for m in range(warm + 1, total + 1):
        arrivals = sum(
            lam_day * float(ms[m - j + 1] - ms[m - j]) * (1 - p) ** (math.ceil(j / 12) - 1)
            for j in range(1, m + 1)
        )
        starters = seg.starting_customers / 12 * sum((1 - p) ** len(range(c, m, 12)) for c in range(1, 13))
        vals.append(arrivals + starters)
    lam_month = seg.leads_per_month * seg.base_win_rate
    return lam_month * 12 / p, float(np.mean(vals))


@dataclass(frozen=True)
class LittleStats:
    """One replication's customer base over the measured window."""

    mean_customers: float
    arrival_rate: float
    """New customers per month in the window."""
    churn_per_renewal: float
    """Churns at renewal / renewals due in the window."""
    leads_lost: float


def little_stats(result: ReplicationResult, cal: Calendar, warm: int, total: int) -> LittleStats:
    """Time-average customers (``timeseries['customers']``), arrival rate and churn rate."""
    t0, t1 = float(cal.month_starts[warm]), float(cal.month_starts[total])
    new = churned = renewed = 0
    for e in result.ledger or []:
        if not t0 <= e.day < t1:
            continue
        if e.kind == "booking" and e.deal_kind == "new":
            new += 1
        elif e.kind == "renewal":
            renewed += 1
        elif e.kind == "arr_churn" and e.deal_kind == "renewal":
            churned += 1
    due = churned + renewed
    return LittleStats(
        float(np.mean(result.timeseries["customers"])),
        new / (total - warm),
        churned / due if due else math.nan,
        result.metrics["leads_lost"],
    )


@case(
    "exact.little.customers",
    "Little's law for the customer base in steady state",
    "L = λ·W: mean customers = new customers a month × 12/p months (Little 1961)",
)
def _little() -> Sequence[Check]:
    w = LITTLE
    seg = w.smb
    p = seg.annual_churn
    lam = seg.leads_per_month * seg.base_win_rate
    lw, exact = little_expected(w)
    cal, warm, total = w.calendar()
    stats = [little_stats(r, cal, warm, total) for r in w.run(keep_ledger=True)]
    mean_l = np.array([s.mean_customers for s in stats])
    lam_hat = np.array([s.arrival_rate for s in stats])
    w_hat = 12.0 / np.array([s.churn_per_renewal for s in stats])
    about = (
        f"λ = {lam:g}/month (leads {seg.leads_per_month:g} × win {seg.base_win_rate:g}), W = 12/{p:g} months"
    )
    return [
        equals(
            "leads lost (max over replications)",
            0.0,
            max(s.leads_lost for s in stats),
            tol=0.0,
            digits=0,
            detail="every lead is pursued: wins are an independent thinning of the Poisson leads",
        ),
        equals(
            "warm-up: exact E[L] of this start / λ·W − 1",
            0.0,
            exact / lw - 1,
            tol=2e-3,
            digits=5,
            detail=f"exact expectation over the window {exact:.1f} vs λ·W {lw:.1f}",
        ),
        # premises and the sample-path identity: tolerance bands (several sampling SDs wide),
        # so that only the headline formula carries the 5% chance of a false alarm
        within(
            "arrival rate λ (customers/month), ±5%",
            lam_hat,
            0.95 * lam,
            1.05 * lam,
            detail=f"expected {lam:g}: leads × base_win_rate",
        ),
        within("churn per renewal p, ±5%", 12.0 / w_hat, 0.95 * p, 1.05 * p, detail=f"expected {p:g}"),
        covers("mean customers L = λ·W", lw, mean_l, digits=1, detail=about),
        within(
            "L / (λ̂·Ŵ) with simulated λ and W = 12/p̂, ±4%",
            mean_l / (lam_hat * w_hat),
            0.96,
            1.04,
            digits=4,
            detail="λ̂: new customers per month in the window; p̂: churns / renewals due",
        ),
    ]
