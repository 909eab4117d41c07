"""Stage 1, accounts and people: what the ARR history and the people table say directly.

* expansion deal sizes: upsell and cross-sell ACV over the account's ARR the month before
  (exponential in the world: the mean, with a t-interval);
* the expansion win rate: the won share of upsell and cross-sell opportunities, when the export
  has lost ones (Wilson interval);
* starting book: accounts with ARR in the window's first month, per segment;
* account survival: Kaplan-Meier curves per segment (lifelines), for the fit report;
* AE attrition: an exponential hazard over the AEs' months in the window, right-censored at
  the window end (lifelines ``ExponentialFitter``), as an annual probability;
* AE ramp: opportunities opened per month against months of tenure, a linear ramp to a plateau
  (nonlinear least squares, scipy ``curve_fit``), for AEs hired in the window;
* AE headcount: AEs employed when the window starts.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.calibrate.crm import AE, Crm, add_months, days
from sim.calibrate.direct import MIN_ROWS, Z95
from sim.calibrate.estimates import BRIDGED, COUNT, Estimate, unidentified
from sim.scenario.schema import Scenario

DAYS_PER_MONTH = 365.25 / 12


def _seg(path: str, s: str) -> str:
    return f"company.segments.{s}.{path}"


def expansion_sizes(crm: Crm, segments: list[str]) -> list[Estimate]:
    """Mean upsell and cross-sell ACV as a share of the account's ARR the month before the close."""
    o = crm.opportunities
    o = o[
        o["won"]
        & o["type"].isin(("upsell", "cross_sell"))
        & (o["closed"] >= crm.start)
        & (o["closed"] < crm.end)
    ]
    arr = crm.arr.set_index(["account", "month"])["arr"]
    before = add_months(o["closed"], -1).astype("datetime64[s]")  # the month start before the close
    prior = arr.reindex(pd.MultiIndex.from_arrays([o["account"].to_numpy(), before])).to_numpy()
    ratio = o["amount"].to_numpy() / prior
    out: list[Estimate] = []
    for kind in ("upsell", "cross_sell"):
        for s in segments:
            r = ratio[
                ((o["type"] == kind) & (o["segment"] == s)).to_numpy() & np.isfinite(ratio) & (prior > 0)
            ]
            if len(r) < MIN_ROWS:
                continue
            # the world draws a deal's size as ARR x size x Exp(1): the exact interval of an exponential mean
            m, n = float(r.mean()), len(r)
            out.append(
                Estimate(
                    _seg(f"{kind}_size", s),
                    m,
                    2 * n * m / float(stats.chi2.ppf(0.975, 2 * n)),
                    2 * n * m / float(stats.chi2.ppf(0.025, 2 * n)),
                    "direct",
                    f"mean {kind} ACV over the account's ARR the month before (exponential interval)",
                    len(r),
                )
            )
    return out


def expansion_win_rate(crm: Crm, scenario: Scenario) -> Estimate:
    """The won share of expansion opportunities (only when lost ones are exported)."""
    from statsmodels.stats.proportion import proportion_confint

    o = crm.opportunities
    o = o[o["type"].isin(("upsell", "cross_sell")) & (o["closed"] >= crm.start) & (o["closed"] < crm.end)]
    path, current = "company.deals.expansion_win_rate", scenario.company.deals.expansion_win_rate
    won, n = int(o["won"].sum()), len(o)
    if n - won == 0 or n < MIN_ROWS:
        return unidentified(
            path,
            current,
            "no lost upsell or cross-sell opportunities in the export: only the "
            "product of opportunity rate and win rate is seen",
        )
    lo, hi = proportion_confint(won, n, 0.05, method="wilson")
    return Estimate(
        path,
        won / n,
        float(lo),
        float(hi),
        "direct",
        "won share of upsell and cross-sell opportunities (Wilson interval)",
        n,
        note="at the book's average health",
    )


def starting_book(crm: Crm, segments: list[str]) -> list[Estimate]:
    """Accounts with ARR in the window's first month, per segment."""
    first = crm.arr[(crm.arr["month"] == crm.start) & (crm.arr["arr"] > 0)]
    counts = first.groupby("segment").size()
    return [
        Estimate(
            _seg("starting_customers", s),
            float(counts.get(s, 0)),
            stage=COUNT,
            n=int(counts.get(s, 0)),
            method="accounts with ARR in the window's first month",
        )
        for s in segments
    ]


def survival_curves(crm: Crm, segments: list[str]) -> dict[str, pd.DataFrame]:
    """Kaplan-Meier survival of accounts by months since first ARR, per segment (lifelines)."""
    from lifelines import KaplanMeierFitter

    a = crm.arr[crm.arr["arr"] > 0]
    g = a.groupby("account").agg(first=("month", "min"), last=("month", "max"), segment=("segment", "first"))
    end = np.datetime64(crm.end, "M") - np.timedelta64(1, "M")
    months = (
        np.asarray(g["last"], dtype="datetime64[M]") - np.asarray(g["first"], dtype="datetime64[M]")
    ).astype(int) + 1
    churned = np.asarray(g["last"], dtype="datetime64[M]") < end
    out: dict[str, pd.DataFrame] = {}
    for s in segments:
        m = (g["segment"] == s).to_numpy()
        if m.sum() < MIN_ROWS:
            continue
        kmf = KaplanMeierFitter().fit(months[m], churned[m])
        frame = pd.concat([kmf.survival_function_, kmf.confidence_interval_], axis=1)
        frame.columns = ["survival", "low", "high"]
        out[s] = frame
    return out


def _aes(crm: Crm) -> pd.DataFrame:
    return crm.people[crm.people["role"] == AE]


def headcount(crm: Crm) -> Estimate:
    """AEs employed when the window starts (the people table; else the owners of new deals closed in
    the window's first quarter)."""
    ppl = _aes(crm)
    if len(ppl):
        on = (ppl["hire"] <= crm.start) & (ppl["leave"].isna() | (ppl["leave"] > crm.start))
        return Estimate(
            "company.reps.headcount",
            float(on.sum()),
            stage=COUNT,
            n=len(ppl),
            method="AEs employed on the window's first day (people table)",
        )
    nb = crm.new_business()
    first = nb[nb["closed"] < add_months(crm.start, 3)]
    return Estimate(
        "company.reps.headcount",
        float(first["owner"].nunique()),
        stage=COUNT,
        n=len(first),
        method="owners of new deals closed in the window's first quarter (no people table)",
    )


def attrition(crm: Crm, scenario: Scenario) -> Estimate:
    """AE attrition as an annual probability from an exponential hazard (lifelines)."""
    from lifelines import ExponentialFitter

    path, current = "company.reps.annual_attrition", scenario.company.reps.annual_attrition
    ppl = _aes(crm)
    if not len(ppl):
        return unidentified(path, current, "no people table: hires and departures are not seen")
    start = np.maximum(days(ppl["hire"]), days(np.array([crm.start])))
    stop = np.fmin(days(ppl["leave"]), days(np.array([crm.end])))
    left = (days(ppl["leave"]) < days(np.array([crm.end]))) & ~np.isnan(days(ppl["leave"]))
    keep = stop > start
    if keep.sum() < 5 or left[keep].sum() == 0:
        return unidentified(path, current, "no AE left during the window", method="exponential hazard")
    ef = ExponentialFitter().fit((stop - start)[keep] / 365.25, left[keep])
    lam = 1.0 / float(ef.lambda_)
    se = float(ef.summary.loc["lambda_", "se(coef)"]) / float(ef.lambda_) ** 2
    lo, hi = max(lam - Z95 * se, 0.0), lam + Z95 * se
    return Estimate(
        path,
        -math.expm1(-lam),
        -math.expm1(-lo),
        -math.expm1(-hi),
        BRIDGED,
        "exponential hazard of AE departures over AE-years in the window (lifelines)",
        int(left[keep].sum()),
        note=f"stage 2's starting value (pay shortfalls move departures); "
        f"{float(((stop - start)[keep]).sum() / 365.25):.1f} AE-years",
    )


def ramp(crm: Crm, scenario: Scenario) -> Estimate:
    """Months to full productivity: opportunities opened per AE-month = plateau x min(1, tenure / ramp)."""
    path, current = "company.reps.ramp_months", scenario.company.reps.ramp_months
    ppl = _aes(crm)
    hired = ppl[(ppl["hire"] > crm.start) & (ppl["hire"] < crm.end)]
    if len(hired) < 3:
        return unidentified(path, current, "fewer than 3 AEs hired in the window: ramp not seen")
    o = crm.opportunities
    o = o[(o["type"] == "new") & o["created"].notna()]
    counts = o.groupby([o["owner"], np.asarray(o["created"], dtype="datetime64[M]")]).size()
    tenure, y = [], []
    end = np.datetime64(crm.end, "M")
    for name, hire, leave in zip(ppl["name"], ppl["hire"], ppl["leave"], strict=True):
        h = np.datetime64(hire, "M")
        last = min(end, np.datetime64(leave, "M") if not pd.isna(leave) else end)
        for m in np.arange(max(h, np.datetime64(crm.start, "M")), last, dtype="datetime64[M]"):
            tenure.append(float((m - h).astype(int)) + 0.5)
            y.append(float(counts.get((name, m.astype("datetime64[s]")), 0)))
    t, yy = np.array(tenure), np.array(y)

    def f(x: np.ndarray, plateau: float, months: float) -> np.ndarray:
        return plateau * np.minimum(1.0, x / max(months, 1e-3))

    try:
        (p, r), cov = optimize.curve_fit(
            f, t, yy, p0=(max(yy.mean(), 0.1), max(current, 1.0)), bounds=([0.0, 0.1], [np.inf, 36.0])
        )
    except (RuntimeError, ValueError):
        return unidentified(
            path, current, "the ramp curve could not be fitted", method="nonlinear least squares"
        )
    se = float(math.sqrt(cov[1, 1])) if np.isfinite(cov[1, 1]) else math.nan
    ramp_note = (
        "reported, not used: the world ramps an AE's capacity (open opportunities), which a CRM's "
        f"volumes show only when AEs are at capacity; {len(hired)} AEs hired in the window"
    )
    return Estimate(
        path,
        float(r),
        max(float(r) - Z95 * se, 0.0),
        float(r) + Z95 * se,
        "direct",
        "opportunities opened per AE-month against tenure: linear ramp to a plateau (scipy curve_fit)",
        len(hired),
        identified=False,
        note=f"{ramp_note}; plateau {p:.1f} opportunities a month",
    )
