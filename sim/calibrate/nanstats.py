"""Statistics over simulated replications that may leave a moment undefined (NaN), and the spread
of a bridged field's statistic at the observed level."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.calibrate.params import Scale


def nan_sd(x: np.ndarray) -> np.ndarray:
    """Sample standard deviation of each column over its defined values (NaN with fewer than two)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    mean = np.where(ok, x, 0.0).sum(axis=0) / np.maximum(n, 1)
    ss = np.where(ok, (x - mean) ** 2, 0.0).sum(axis=0)
    return np.where(n > 1, np.sqrt(ss / np.maximum(n - 1, 1)), np.nan)


def nan_mean(x: np.ndarray, axis: int | None = None) -> Any:
    """``numpy.nanmean`` without its warning for an all-NaN column (whose mean is NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=axis)


def relative_spread(scale: Scale, values: np.ndarray, observed: float) -> float:
    """The standard deviation on ``scale`` of a statistic across simulated histories (``values``),
    carried to the ``observed`` level; 0 on a linear scale (its interval needs no transformation).

    A statistic on a log or logit scale is a rate or a share of events: its variance is about
    proportional to the level (Poisson) or to ``p (1 - p)`` (binomial), so its standard deviation
    on its scale is about proportional to ``sqrt(scale.slope(level))`` in both cases. Judged only at
    the simulated level, a field whose estimate came out too high (more events, less spread) would
    pass the rule exactly when it is wrong; so the larger of the two spreads is returned (infinite
    when the observed level has no value on the scale: no events).
    """
    if scale.name == "linear":
        return 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.array([scale.to(float(v)) for v in values])
    if not (np.all(np.isfinite(g)) and len(g) > 1) or not math.isfinite(scale.to(observed)):
        return math.inf
    spread = float(np.std(g, ddof=1))
    level = float(np.mean(values))
    return spread * max(1.0, math.sqrt(scale.slope(observed) / scale.slope(level)))
