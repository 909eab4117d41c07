"""An estimate of one scenario field: its value, 95% interval, how it was made and whether the
data identify it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

DIRECT, BRIDGED, BEHAVIOUR, COUNT, REPORTED = "direct", "bridged", "behaviour", "count", "reported"
"""Stages: read off the data by a regression or likelihood (stage 1); a world field matched to its
observed statistic by simulation (stage 2, indirect inference); a behaviour field by simulated
method of moments (stage 2); a count or a mode taken as is; a statistic reported, not a field."""


@dataclass
class Estimate:
    """One estimated field (a dotted scenario path, as ``--set`` takes it)."""

    path: str
    value: float
    low: float = math.nan
    """Lower end of the 95% interval (NaN: none)."""
    high: float = math.nan
    stage: str = DIRECT
    method: str = ""
    """The estimator and its library (``logistic regression (statsmodels GLM, binomial)``)."""
    n: int = 0
    """Observations behind it."""
    identified: bool = True
    note: str = ""
    """Why it is not identified, or what to know about it."""

    @property
    def has_interval(self) -> bool:
        """Whether the estimate carries a finite interval."""
        return math.isfinite(self.low) and math.isfinite(self.high)

    def covers(self, truth: float) -> bool:
        """Whether ``truth`` lies in the 95% interval."""
        return self.has_interval and self.low <= truth <= self.high

    def row(self) -> dict[str, Any]:
        """A flat dict for tables."""
        return asdict(self)


def clip_interval(est: Estimate, lo: float, hi: float) -> Estimate:
    """``est`` with its value and interval kept within the field's bounds ``[lo, hi]``."""
    est.value = min(max(est.value, lo), hi)
    if est.has_interval:
        est.low, est.high = max(est.low, lo), min(est.high, hi)
    return est


def unidentified(path: str, value: float, why: str, stage: str = DIRECT, method: str = "") -> Estimate:
    """An estimate the data cannot make (``value``: what the calibrated scenario keeps)."""
    return Estimate(path, value, stage=stage, method=method, identified=False, note=why)
