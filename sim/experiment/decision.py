"""From paired differences to a decision: trade-offs per dollar, the frontier, the best plan.

Definitions (``docs/metrics.md``, "Decision quantities"; ``docs/experiments.md``, "Ratios"):

* **Trade-off ratio** of plan B against baseline A: the mean paired difference of a cost over
  the mean paired difference of an outcome, ``R = mean(Δcost) / mean(Δoutcome)`` with
  ``Δx_k = x_k(B) - x_k(A)`` over the replications where both are defined. Its interval is the
  **delta method** for a ratio of two means of paired samples::

      Var(R) ≈ (s_c² - 2 R s_co + R² s_o²) / (n · mean(Δo)²)

  with ``s_c², s_o², s_co`` the sample variances and covariance of the paired differences and a
  t quantile with ``n - 1`` degrees of freedom (Bonferroni-adjusted like the differences). The
  ratio is only reported when the outcome's own paired interval excludes zero: otherwise the
  denominator may be zero and no finite interval is honest (``defined`` is False and ``note``
  says why).
* **Payout share of bookings**: per replication ``payout_cost / bookings``; its mean and
  t-interval per plan, and its paired difference against the baseline.
* **Probability best**: a paired bootstrap over replication indices. Each draw resamples the
  replications ``k`` (the same ``k`` for every plan, so common random numbers are kept), takes
  each plan's mean of the objective and records which plan is best; the probability is the
  share of draws a plan wins. The draws come from the named stream ``decision.bootstrap`` of
  the scenario seed (``sim.rng``), so the numbers are reproducible.
* **Frontier** of payout cost against an outcome: a plan is *dominated* when another plan has a
  mean cost no higher and a mean outcome no lower (one of them strictly); *clearly dominated*
  when the paired differences against that plan are in the dominating plan's favour with at
  least one interval excluding zero and neither interval significantly against it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiment import stats
from sim.rng import stream
from sim.vocabulary.metrics import HIGHER_IS_BETTER

DELTA_METHOD = "delta method (paired replications)"
"""How the intervals of trade-off ratios are computed (shown on the page and in tables)."""
BOOTSTRAP_DRAWS = 4000
"""Paired bootstrap draws behind the probability that each plan is best."""
MIN_BOOTSTRAP_REPLICATIONS = 8
"""Fewest paired replications the probability that each plan is best is given for. A bootstrap of
fewer is too coarse to be a probability: it has C(2n-1, n) distinct resamples (10 at n = 3) and
its spread of a mean is sqrt((n-1)/n) of the t-interval's standard error (Efron and Tibshirani,
*An Introduction to the Bootstrap*, 1993, ch. 5), so it overstates how sure the ranking is."""


@dataclass(frozen=True)
class TradeOff:
    """A cost per unit of an outcome: ``cost`` difference over ``outcome`` difference x ``scale``."""

    name: str
    cost: str
    outcome: str
    scale: float
    """Units of the outcome per unit of its metric (100: per percentage point of a ratio)."""
    unit: str
    """What one unit of the denominator is, for labels."""


TRADE_OFFS: tuple[TradeOff, ...] = (
    TradeOff("payout_per_nrr_point", "payout_cost", "nrr", 100.0, "NRR point"),
    TradeOff("payout_per_ending_arr", "payout_cost", "ending_arr", 1.0, "$ of ending ARR"),
    TradeOff("payout_per_new_arr", "payout_cost", "new_arr", 1.0, "$ of new ARR a year"),
    TradeOff("cost_per_nrr_point", "total_cost", "nrr", 100.0, "NRR point"),
)
"""The per-$ trade-offs the decision table shows (``docs/metrics.md``)."""


@dataclass(frozen=True)
class Ratio:
    """A ratio of mean paired differences with its delta-method interval."""

    estimate: float
    low: float
    high: float
    n: int
    defined: bool
    note: str = ""


def _undefined(note: str, n: int, estimate: float = math.nan) -> Ratio:
    return Ratio(estimate, math.nan, math.nan, n, False, note)


def paired_ratio(
    cost_diff: np.ndarray, outcome_diff: np.ndarray, confidence: float = 0.95, scale: float = 1.0
) -> Ratio:
    """``mean(cost_diff) / (scale · mean(outcome_diff))`` and its delta-method interval.

    The arrays are paired differences (plan minus baseline) aligned by replication; pairs where
    either is not finite are dropped. Undefined (with a note) when fewer than two pairs remain
    or when the outcome's paired t-interval includes zero.
    """
    c = np.asarray(cost_diff, dtype=float)
    o = np.asarray(outcome_diff, dtype=float) * scale
    ok = np.isfinite(c) & np.isfinite(o)
    c, o = c[ok], o[ok]
    n = int(c.size)
    if n < 2:
        return _undefined("fewer than two paired replications", n)
    mc, mo = float(c.mean()), float(o.mean())
    outcome = stats.t_interval(o, confidence)
    if not outcome.significant:
        return _undefined("the outcome difference is not significant (its interval includes zero)", n)
    r = mc / mo
    cov = np.cov(c, o, ddof=1)
    var = (cov[0, 0] - 2.0 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * mo * mo)
    half = stats.t_quantile(confidence, n) * math.sqrt(max(var, 0.0))
    return Ratio(r, r - half, r + half, n, True)


def _aligned(replications: pd.DataFrame, plans: Sequence[str], metric: str) -> dict[str, np.ndarray]:
    """``plan -> values of metric`` aligned on the replication indices of all ``plans`` (NaN when
    a plan lacks a replication)."""
    wide = stats._wide(replications, list(plans), [metric])
    return {p: wide[(metric, p)] for p in plans}


TRADE_OFF_COLUMNS = [
    "plan",
    "quantity",
    "cost",
    "outcome",
    "unit",
    "estimate",
    "ci_low",
    "ci_high",
    "defined",
    "note",
    "n",
    "confidence",
    "method",
]


def trade_offs(
    replications: pd.DataFrame,
    plans: Sequence[str],
    baseline: str,
    confidence: float = 0.95,
    quantities: Sequence[TradeOff] = TRADE_OFFS,
) -> pd.DataFrame:
    """Every trade-off ratio of every non-baseline plan (Bonferroni-adjusted like ``compare``)."""
    others = [p for p in plans if p != baseline]
    level = stats.bonferroni_confidence(confidence, len(others))
    rows = []
    for q in quantities:
        if q.cost not in replications.columns or q.outcome not in replications.columns:
            continue
        cost = _aligned(replications, [baseline, *others], q.cost)
        out = _aligned(replications, [baseline, *others], q.outcome)
        for plan in others:
            r = paired_ratio(cost[plan] - cost[baseline], out[plan] - out[baseline], level, q.scale)
            rows.append(
                {
                    "plan": plan,
                    "quantity": q.name,
                    "cost": q.cost,
                    "outcome": q.outcome,
                    "unit": q.unit,
                    "estimate": r.estimate,
                    "ci_low": r.low,
                    "ci_high": r.high,
                    "defined": r.defined,
                    "note": r.note,
                    "n": r.n,
                    "confidence": level,
                    "method": DELTA_METHOD,
                }
            )
    return pd.DataFrame(rows, columns=TRADE_OFF_COLUMNS)


def payout_share(
    replications: pd.DataFrame,
    plans: Sequence[str],
    baseline: str,
    confidence: float = 0.95,
    metric: str = "payout_share_of_bookings",
) -> pd.DataFrame:
    """Per plan: mean payout share of bookings (the metric ``payout_share_of_bookings`` of each
    replication) with its t-interval, and for non-baseline plans the paired difference against
    the baseline."""
    cols = ["plan", "mean", "ci_low", "ci_high", "diff", "diff_low", "diff_high", "significant", "n"]
    if metric not in replications.columns:
        return pd.DataFrame(columns=cols)
    share = _aligned(replications, plans, metric)
    level = stats.bonferroni_confidence(confidence, len(plans) - 1)
    rows = []
    for p in plans:
        iv = stats.t_interval(share[p], confidence)
        d, _ = (
            stats.paired(share[baseline], share[p], level)
            if p != baseline
            else (stats.Interval(math.nan, math.nan, math.nan, 0, math.nan), math.nan)
        )
        rows.append(
            {
                "plan": p,
                "mean": iv.mean,
                "ci_low": iv.low,
                "ci_high": iv.high,
                "diff": d.mean,
                "diff_low": d.low,
                "diff_high": d.high,
                "significant": d.significant,
                "n": iv.n,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def _paired_table(replications: pd.DataFrame, plans: Sequence[str], metric: str) -> np.ndarray:
    """``[plan, replication]`` values of ``metric`` over the replications where every plan has one."""
    if metric not in replications.columns or not plans:
        return np.empty((len(plans), 0))
    vals = _aligned(replications, plans, metric)
    table = np.vstack([vals[p] for p in plans])
    return table[:, np.isfinite(table).all(axis=0)]


def paired_replications(replications: pd.DataFrame, plans: Sequence[str], metric: str) -> int:
    """Replications in which every plan of ``plans`` has a finite ``metric`` (what a paired
    bootstrap over them resamples)."""
    return int(_paired_table(replications, plans, metric).shape[1])


def probability_best(
    replications: pd.DataFrame,
    plans: Sequence[str],
    objective: str,
    seed: int,
    draws: int = BOOTSTRAP_DRAWS,
) -> dict[str, float]:
    """Share of paired bootstrap draws in which each plan has the best mean ``objective``.

    Uses the replications where every plan has a finite value (pairs kept across plans); NaN
    for every plan when fewer than :data:`MIN_BOOTSTRAP_REPLICATIONS` such replications exist
    (:func:`paired_replications`). Ties split the win equally.
    """
    table = _paired_table(replications, plans, objective)
    n = table.shape[1]
    if n < MIN_BOOTSTRAP_REPLICATIONS:
        return {p: math.nan for p in plans}
    sign = 1.0 if HIGHER_IS_BETTER.get(objective, True) else -1.0
    rng = stream(seed, 0, "decision.bootstrap")
    idx = rng.integers(0, n, size=(draws, n))
    means = sign * table[:, idx].mean(axis=2)  # plans x draws
    best = means.max(axis=0)
    winners = np.isclose(means, best[None, :], rtol=0.0, atol=1e-12 * max(1.0, float(np.abs(best).max())))
    wins = (winners / winners.sum(axis=0, keepdims=True)).sum(axis=1) / draws
    return {p: float(w) for p, w in zip(plans, wins, strict=True)}


FRONTIER_COLUMNS = [
    "plan",
    "cost",
    "outcome",
    "cost_mean",
    "outcome_mean",
    "cost_diff",
    "cost_low",
    "cost_high",
    "outcome_diff",
    "outcome_low",
    "outcome_high",
    "dominated",
    "dominated_by",
    "clearly_dominated",
]


def frontier(
    replications: pd.DataFrame,
    plans: Sequence[str],
    baseline: str,
    outcome: str,
    cost: str = "payout_cost",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each plan's mean cost and outcome, its paired differences against the baseline (with
    Bonferroni-adjusted intervals) and whether another plan dominates it (see the module text)."""
    if cost not in replications.columns or outcome not in replications.columns:
        return pd.DataFrame(columns=FRONTIER_COLUMNS)
    up = HIGHER_IS_BETTER.get(outcome, True)
    c = _aligned(replications, plans, cost)
    o = _aligned(replications, plans, outcome)
    level = stats.bonferroni_confidence(confidence, len(plans) - 1)
    mc = {p: float(np.nanmean(c[p])) if np.isfinite(c[p]).any() else math.nan for p in plans}
    mo = {p: float(np.nanmean(o[p])) if np.isfinite(o[p]).any() else math.nan for p in plans}
    rows = []
    for a in plans:
        dom_by, clearly = "", False
        for b in plans:
            if b == a or not all(math.isfinite(v) for v in (mc[a], mc[b], mo[a], mo[b])):
                continue
            gain = (mo[b] - mo[a]) if up else (mo[a] - mo[b])
            saving = mc[a] - mc[b]
            if saving >= 0 and gain >= 0 and (saving > 0 or gain > 0):
                dom_by = dom_by or b
                dc, _ = stats.paired(c[a], c[b], level)  # b - a: negative is a saving
                do, _ = stats.paired(o[a], o[b], level)
                good_o = do.low > 0 if up else do.high < 0
                bad_o = do.high < 0 if up else do.low > 0
                if (dc.high < 0 or good_o) and not (dc.low > 0 or bad_o):
                    clearly, dom_by = True, b
        dc, _ = stats.paired(c[baseline], c[a], level)
        do, _ = stats.paired(o[baseline], o[a], level)
        rows.append(
            {
                "plan": a,
                "cost": cost,
                "outcome": outcome,
                "cost_mean": mc[a],
                "outcome_mean": mo[a],
                "cost_diff": dc.mean if a != baseline else 0.0,
                "cost_low": dc.low if a != baseline else 0.0,
                "cost_high": dc.high if a != baseline else 0.0,
                "outcome_diff": do.mean if a != baseline else 0.0,
                "outcome_low": do.low if a != baseline else 0.0,
                "outcome_high": do.high if a != baseline else 0.0,
                "dominated": bool(dom_by),
                "dominated_by": dom_by,
                "clearly_dominated": clearly,
            }
        )
    return pd.DataFrame(rows, columns=FRONTIER_COLUMNS)
