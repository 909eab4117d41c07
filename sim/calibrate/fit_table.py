"""``fit.csv``: one row per moment, the observed value beside the simulated one.

Each row has the observed value and its 95% interval (the spread of that moment across
replications of a history the exports' size under the fitted model), the simulated mean and its
interval, their difference and its interval (``sqrt(1 + 1/R)`` wider: the simulated mean has its
own noise), and whether the difference interval holds 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibrate.fit import Fit
from sim.calibrate.moments import is_histogram
from sim.calibrate.params import is_behaviour_moment, is_bridge_moment

FIT_COLUMNS = (
    "moment",
    "role",
    "observed",
    "observed_low",
    "observed_high",
    "simulated",
    "simulated_low",
    "simulated_high",
    "difference",
    "difference_low",
    "difference_high",
    "z",
    "within_ci",
)


def moment_role(name: str) -> str:
    """``bridge`` (a world field is matched to it), ``behaviour`` (the behaviour search matches it),
    ``distribution`` (a histogram bar, shown) or ``check`` (reported, not matched)."""
    if is_bridge_moment(name):
        return "bridge"
    if is_behaviour_moment(name):
        return "behaviour"
    if is_histogram(name):
        return "distribution"
    return "check"


def fit_table(fit: Fit) -> pd.DataFrame:
    """One row per moment (module docstring)."""
    r = fit.simulated.shape[0]
    t = float(stats.t.ppf(0.975, max(r - 1, 1)))
    rows = []
    for j, name in enumerate(fit.names):
        col = fit.simulated[:, j]
        col = col[np.isfinite(col)]
        obs = float(fit.observed[j])
        mean = float(col.mean()) if len(col) else math.nan
        sd = float(col.std(ddof=1)) if len(col) > 1 else math.nan
        half = t * sd * math.sqrt(1 + 1 / max(len(col), 1))
        diff = obs - mean
        z = diff / (sd * math.sqrt(1 + 1 / len(col))) if sd > 0 else (0.0 if diff == 0 else math.nan)
        rows.append(
            {
                "moment": name,
                "role": moment_role(name),
                "observed": obs,
                "observed_low": obs - t * sd,
                "observed_high": obs + t * sd,
                "simulated": mean,
                "simulated_low": mean - t * sd / math.sqrt(len(col)) if len(col) else math.nan,
                "simulated_high": mean + t * sd / math.sqrt(len(col)) if len(col) else math.nan,
                "difference": diff,
                "difference_low": diff - half,
                "difference_high": diff + half,
                "z": z,
                "within_ci": bool(abs(diff) <= half) if math.isfinite(half) else diff == 0,
            }
        )
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS))
