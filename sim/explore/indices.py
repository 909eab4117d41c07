"""Outcomes of a sample design and their sensitivity indices (SALib).

An *outcome* is one number per sample point: a plan's mean of a metric over the replications
(kind ``value``), or, above all, the paired difference of a plan against the baseline (kind
``difference``: the mean over replications of ``plan_k - baseline_k``, both run on the same
random numbers, so the difference is not swamped by noise).

Every outcome also gets a *noise share*: the variance of a point's mean that comes from the
finite replications (mean within-point variance / replications) over the variance of the point
means across the design. Near 0, the indices describe the parameters; near 1, they mostly
describe replication noise (use more ``--reps``). It needs at least two replications.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.explore.design import MORRIS_LEVELS, Parameter, problem
from sim.explore.extra import require
from sim.rng import stream
from sim.scenario.experiment import METRICS

OUTCOME_METRICS: tuple[str, ...] = METRICS
"""Metrics whose sensitivity is analysed (the documented ones)."""

RESAMPLES = 1000
"""Bootstrap resamples behind SALib's confidence intervals."""


@dataclass(frozen=True)
class Outcome:
    """One number per sample point."""

    kind: str
    """``value`` (a plan's mean) or ``difference`` (plan minus baseline, paired)."""
    plan: str
    metric: str
    y: np.ndarray
    noise_share: float

    @property
    def label(self) -> str:
        """``nrr[cs-nrr-quota − conventional]`` or ``nrr[conventional]``."""
        return f"{self.metric}[{self.plan}]" if self.kind == "value" else f"{self.metric}[{self.plan} − base]"


def cube(samples: pd.DataFrame, points: int, reps: int, plans: Sequence[str], metric: str) -> np.ndarray:
    """``metric`` as an array (point, replication, plan); ``samples`` in runner order (point,
    replication, plan) and complete."""
    col = (
        samples[metric].to_numpy(dtype=float) if metric in samples.columns else np.full(len(samples), np.nan)
    )
    return col.reshape(points, reps, len(plans))


def _noise_share(per_rep: np.ndarray) -> float:
    """Share of the point means' variance due to replication noise (per_rep: point x rep)."""
    reps = per_rep.shape[1]
    if reps < 2:
        return math.nan
    means = per_rep.mean(axis=1)
    between = float(np.var(means, ddof=1)) if len(means) > 1 else math.nan
    within = float(np.mean(np.var(per_rep, axis=1, ddof=1))) / reps
    if not math.isfinite(between) or between <= 0.0:
        return math.nan if within == 0.0 else 1.0
    return min(1.0, within / between)


def outcomes(
    samples: pd.DataFrame,
    points: int,
    reps: int,
    plans: Sequence[str],
    baseline: str,
    metrics: Sequence[str] = OUTCOME_METRICS,
) -> list[Outcome]:
    """Every value and difference outcome of ``metrics`` (differences first)."""
    b = list(plans).index(baseline)
    diffs: list[Outcome] = []
    vals: list[Outcome] = []
    for metric in metrics:
        c = cube(samples, points, reps, plans, metric)
        for j, plan in enumerate(plans):
            vals.append(Outcome("value", plan, metric, c[:, :, j].mean(axis=1), _noise_share(c[:, :, j])))
            if j != b:
                d = c[:, :, j] - c[:, :, b]
                diffs.append(Outcome("difference", plan, metric, d.mean(axis=1), _noise_share(d)))
    return diffs + vals


def analyse(
    method: str,
    params: Sequence[Parameter],
    unit: np.ndarray,
    outcome: Outcome,
    confidence: float,
    seed: int,
) -> list[dict[str, float | str]]:
    """One row per parameter: Morris (mu, mu_star, mu_star_conf, sigma) or Sobol (S1, S1_conf, ST,
    ST_conf) of one outcome; NaN indices (and a note) when the outcome is undefined somewhere."""
    y = outcome.y
    base: dict[str, float | str] = {
        "kind": outcome.kind,
        "plan": outcome.plan,
        "metric": outcome.metric,
        "noise_share": outcome.noise_share,
        "note": "",
    }
    names = (
        ("mu", "mu_star", "mu_star_conf", "sigma")
        if method == "morris"
        else ("S1", "S1_conf", "ST", "ST_conf")
    )
    nan_rows = [{**base, "parameter": p.path, **dict.fromkeys(names, math.nan)} for p in params]
    bad = int((~np.isfinite(y)).sum())
    if bad:
        return [{**r, "note": f"undefined at {bad} of {len(y)} points"} for r in nan_rows]
    if float(np.ptp(y)) == 0.0:  # the same at every point: no parameter moves it
        rows = [{**base, "parameter": p.path, **dict.fromkeys(names, 0.0)} for p in params]
        return [{**r, "note": "constant over the design"} for r in rows]
    rng = stream(seed, 0, "explore.indices.bootstrap")  # SALib's bootstrap resamples of the intervals
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "morris":
            morris = require("SALib.analyze.morris", "incentsim sensitivity")
            si = morris.analyze(
                problem(params),
                unit,
                y,
                num_resamples=RESAMPLES,
                conf_level=confidence,
                num_levels=MORRIS_LEVELS,
                seed=rng,
            )
        else:
            sobol = require("SALib.analyze.sobol", "incentsim sensitivity")
            si = sobol.analyze(
                problem(params),
                y,
                calc_second_order=False,
                num_resamples=RESAMPLES,
                conf_level=confidence,
                seed=rng,
            )
    return [
        {**base, "parameter": p.path, **{n: float(si[n][i]) for n in names}} for i, p in enumerate(params)
    ]


def indices_table(
    method: str,
    params: Sequence[Parameter],
    unit: np.ndarray,
    items: Sequence[Outcome],
    confidence: float,
    seed: int,
) -> pd.DataFrame:
    """``indices.csv``: one row per outcome x parameter."""
    rows = [row for o in items for row in analyse(method, params, unit, o, confidence, seed)]
    first = ["kind", "plan", "metric", "parameter"]
    names = (
        ["mu", "mu_star", "mu_star_conf", "sigma"]
        if method == "morris"
        else ["S1", "S1_conf", "ST", "ST_conf"]
    )
    return pd.DataFrame(rows, columns=[*first, *names, "noise_share", "note"])


def tornado(
    values: np.ndarray, y: np.ndarray, params: Sequence[Parameter], quarter: float = 0.25
) -> pd.DataFrame:
    """Per parameter: the mean outcome over points in the lowest and in the highest quarter of the
    parameter's sampled values (Morris: its lowest and highest grid level), the swing between
    them, sorted by absolute swing. A main-effect picture, whatever the design."""
    rows = []
    for j, p in enumerate(params):
        x = values[:, j]
        lo_cut, hi_cut = np.quantile(x, quarter), np.quantile(x, 1.0 - quarter)
        low = float(np.mean(y[x <= lo_cut])) if np.any(x <= lo_cut) else math.nan
        high = float(np.mean(y[x >= hi_cut])) if np.any(x >= hi_cut) else math.nan
        rows.append({"parameter": p.path, "at_low": low, "at_high": high, "swing": high - low})
    df = pd.DataFrame(rows, columns=["parameter", "at_low", "at_high", "swing"])
    order = df["swing"].abs().fillna(-1.0).sort_values(ascending=False).index
    return df.loc[order].reset_index(drop=True)
