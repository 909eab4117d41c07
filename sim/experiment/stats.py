"""Statistics of a Monte Carlo experiment: t-intervals, paired differences, Bonferroni.

Definitions (see ``docs/experiments.md``):

* t-interval of a mean: ``mean ± t(1 - α/2, n - 1) · s / √n`` with ``s`` the sample standard
  deviation (``ddof=1``) and ``α = 1 - confidence``.
* paired difference of plan B against baseline A over the replications where both are defined:
  ``d_k = B_k - A_k``; its t-interval as above. With common random numbers replication ``k`` of
  both plans shares its randomness, so ``Var(d)`` is much smaller than ``Var(A) + Var(B)``.
* Bonferroni: with ``m > 1`` non-baseline plans each interval uses confidence ``1 - α/m``, so that
  all ``m`` intervals of one metric hold together with probability at least ``1 - α``.
* variance-reduction ratio: the variance of the unpaired difference estimate
  ``s_A²/n_A + s_B²/n_B`` over that of the paired one ``s_d²/n``.

Everything is NaN-safe: a metric undefined in a replication (NaN) is left out of that
metric's statistics (and out of the pairs it belongs to); ``n`` reports what was used.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit

PERCENTILES: tuple[int, ...] = (10, 50, 90)


@dataclass(frozen=True)
class Interval:
    """A mean (or mean difference) with its confidence interval."""

    mean: float
    low: float
    high: float
    n: int
    sd: float

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN when undefined)."""
        return (self.high - self.low) / 2.0

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return bool(self.low > 0.0 or self.high < 0.0)


@functools.lru_cache(maxsize=256)
def t_quantile(confidence: float, n: int) -> float:
    """The two-sided t critical value ``t(1 - α/2, n - 1)`` for ``n`` observations (kept: a summary
    asks for the same few thousands of times, and scipy takes about 50 µs for each)."""
    if n < 2:
        return math.nan
    return float(stdtrit(n - 1, 0.5 + confidence / 2.0))  # scipy.stats.t.ppf computes the same


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Mean and two-sided t confidence interval of the finite values in ``values``."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, math.nan)
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, n, math.nan)
    sd = float(x.std(ddof=1))
    half = t_quantile(confidence, n) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, sd)


def bonferroni_confidence(confidence: float, comparisons: int) -> float:
    """Per-interval confidence ``1 - α/m`` for ``m`` simultaneous comparisons (``m <= 1``: unchanged)."""
    if comparisons <= 1:
        return confidence
    return 1.0 - (1.0 - confidence) / comparisons


def paired(
    baseline: Sequence[float] | np.ndarray, other: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> tuple[Interval, float]:
    """Paired difference ``other - baseline`` (aligned by position) and the variance-reduction ratio.

    Pairs where either value is not finite are dropped. The ratio is
    ``(s_A²/n_A + s_B²/n_B) / (s_d²/n)`` using each plan's own finite values for the unpaired
    part; it is ``inf`` when the paired variance is zero and the unpaired is not, NaN when both are.
    """
    a = np.asarray(baseline, dtype=float)
    b = np.asarray(other, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples need equal length, found {a.size} and {b.size}")
    ok = np.isfinite(a) & np.isfinite(b)
    diff = t_interval(b[ok] - a[ok], confidence)
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    if diff.n < 2 or fa.size < 2 or fb.size < 2:
        return diff, math.nan
    unpaired = float(fa.var(ddof=1) / fa.size + fb.var(ddof=1) / fb.size)
    paired_var = diff.sd**2 / diff.n
    if paired_var == 0.0:
        return diff, (math.inf if unpaired > 0.0 else math.nan)
    return diff, unpaired / paired_var


def percentiles(values: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    """P10, P50, P90 of the finite values (linear interpolation, numpy's default)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return tuple(math.nan for _ in PERCENTILES)
    return tuple(float(v) for v in np.percentile(x, PERCENTILES))


def metric_columns(replications: pd.DataFrame) -> list[str]:
    """The metric columns of a replications table (everything but ``plan`` and ``replication``)."""
    return [c for c in replications.columns if c not in ("plan", "replication")]


def summarize(
    replications: pd.DataFrame,
    plans: Sequence[str],
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per plan and metric: mean, t-interval, P10/P50/P90 and n (``summary.csv``)."""
    metrics = list(metrics) if metrics is not None else metric_columns(replications)
    rows = []
    for plan in plans:
        table = replications.loc[replications["plan"] == plan, metrics].to_numpy(dtype=float)
        # the percentiles of the columns with no undefined value in one call (the same numbers as
        # column by column: numpy sorts and interpolates each column alone)
        full = np.isfinite(table).all(axis=0)
        at_once = np.percentile(table[:, full], PERCENTILES, axis=0).T.tolist() if len(table) else []
        column_of = np.cumsum(full) - 1
        for j, metric in enumerate(metrics):
            values = np.ascontiguousarray(table[:, j])
            iv = t_interval(values, confidence)
            p10, p50, p90 = at_once[column_of[j]] if full[j] and len(table) else percentiles(values)
            rows.append(
                {
                    "plan": plan,
                    "metric": metric,
                    "mean": iv.mean,
                    "ci_low": iv.low,
                    "ci_high": iv.high,
                    "p10": p10,
                    "p50": p50,
                    "p90": p90,
                    "n": iv.n,
                }
            )
    return pd.DataFrame(
        rows, columns=["plan", "metric", "mean", "ci_low", "ci_high", "p10", "p50", "p90", "n"]
    )


def _wide(
    replications: pd.DataFrame, plans: Sequence[str], metrics: Sequence[str]
) -> dict[tuple[str, str], np.ndarray]:
    """``(metric, plan) -> values`` aligned on the replication indices of all the plans (missing ->
    NaN; a pair is compared on the indices where both are finite)."""
    rows = replications[replications["plan"].isin(plans)]
    idx = pd.Index(sorted(set(rows["replication"].tolist())))
    out: dict[tuple[str, str], np.ndarray] = {}
    for plan in plans:
        one = rows[rows["plan"] == plan].set_index("replication")
        one = one.reindex(idx)
        for metric in metrics:
            out[(metric, plan)] = (
                one[metric].to_numpy(dtype=float) if metric in one.columns else np.full(len(idx), np.nan)
            )
    return out


COMPARISON_COLUMNS = [
    "plan",
    "metric",
    "baseline",
    "diff",
    "ci_low",
    "ci_high",
    "significant",
    "half_width",
    "variance_reduction",
    "n",
    "confidence",
]


def compare(
    replications: pd.DataFrame,
    plans: Sequence[str],
    baseline: str,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Paired differences of every other plan against ``baseline`` (``comparison.csv``).

    With more than one non-baseline plan the intervals are Bonferroni-adjusted (the
    ``confidence`` column gives the level used per interval).
    """
    metrics = list(metrics) if metrics is not None else metric_columns(replications)
    others = [p for p in plans if p != baseline]
    level = bonferroni_confidence(confidence, len(others))
    rows = []
    wide = _wide(replications, [baseline, *others], metrics)
    for plan in others:
        for metric in metrics:
            a, b = wide[(metric, baseline)], wide[(metric, plan)]
            iv, ratio = paired(a, b, level)
            rows.append(
                {
                    "plan": plan,
                    "metric": metric,
                    "baseline": baseline,
                    "diff": iv.mean,
                    "ci_low": iv.low,
                    "ci_high": iv.high,
                    "significant": iv.significant,
                    "half_width": iv.half_width,
                    "variance_reduction": ratio,
                    "n": iv.n,
                    "confidence": level,
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def precision_half_widths(
    replications: pd.DataFrame,
    plans: Sequence[str],
    baseline: str,
    metrics: Sequence[str],
    confidence: float = 0.95,
) -> dict[str, float]:
    """Largest paired half-width (over non-baseline plans) per metric.

    Comparisons with fewer than two valid pairs (a plan whose replications all failed, a metric
    undefined for a plan) have no half-width and are skipped; NaN when no comparison has one.
    """
    out: dict[str, float] = {}
    if not metrics or len(plans) < 2:
        return out
    table = compare(replications, plans, baseline, metrics, confidence)
    for metric in metrics:
        hw = table.loc[table["metric"] == metric, "half_width"].to_numpy(dtype=float)
        hw = hw[np.isfinite(hw)]
        out[metric] = float(hw.max()) if hw.size else math.nan
    return out
