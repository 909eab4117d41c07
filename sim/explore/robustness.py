"""How robust the choice of plan is: the best plan at each sample point, the probability each plan
is best over the uncertainties, and where the ranking flips (scenario discovery with PRIM).

* Best at a point: the plan with the best mean of the scenario's objective over the point's
  replications (``experiment.objective``; the better direction from ``HIGHER_IS_BETTER``). Ties go
  to the plan listed first. The lead over the runner-up is *decisive* when the paired t-interval of
  ``best_k - second_k`` over the replications excludes zero (at least two replications).
* Probability best: the share of sample points where a plan is best, with a percentile interval
  from a block bootstrap over the design's independent blocks (a Morris trajectory, a Sobol base
  sample with its cross points), so the dependence inside a block is respected.
* Flip regions: PRIM (Friedman & Fisher 1999) as implemented in ema_workbench, on the parameter
  values of the sample points, for "the most often best plan is not best" and for each other plan
  that is best somewhere: the box of the parameter space where that happens, in words.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.decision import MIN_BOOTSTRAP_REPLICATIONS
from sim.experiment.stats import t_interval
from sim.explore.design import Parameter
from sim.explore.extra import require
from sim.explore.indices import cube
from sim.rng import stream
from sim.vocabulary.metrics import HIGHER_IS_BETTER

BOOTSTRAP = 2000
PRIM_DENSITY = 0.8
"""A flip box is reported as found when at least this share of the points inside it flip."""
MIN_CASES = 3
"""Fewest points of an event (a plan best) before PRIM looks for its region."""


def best_per_point(
    samples: pd.DataFrame, points: int, reps: int, plans: Sequence[str], objective: str, confidence: float
) -> pd.DataFrame:
    """Per point: best plan, runner-up, the lead (in the objective's units, positive = better) and
    whether the paired lead is decisive."""
    c = cube(samples, points, reps, plans, objective)
    sign = 1.0 if HIGHER_IS_BETTER[objective] else -1.0
    score = sign * c  # larger is better
    means = score.mean(axis=1)
    rows = []
    for i in range(points):
        m = np.where(np.isfinite(means[i]), means[i], -np.inf)
        order = np.argsort(-m, kind="stable")
        best, second = int(order[0]), int(order[1]) if len(plans) > 1 else int(order[0])
        lead = t_interval(score[i, :, best] - score[i, :, second], confidence) if len(plans) > 1 else None
        rows.append(
            {
                "point": i,
                "best": plans[best] if math.isfinite(m[best]) else "",
                "runner_up": plans[second] if len(plans) > 1 else "",
                "lead": lead.mean if lead is not None else math.nan,
                "decisive": bool(lead is not None and lead.n >= 2 and lead.low > 0.0),
            }
        )
    return pd.DataFrame(rows, columns=["point", "best", "runner_up", "lead", "decisive"])


MIN_BLOCKS = MIN_BOOTSTRAP_REPLICATIONS
"""Fewest independent blocks (Morris trajectories, Sobol base samples) the interval of ``p_best`` is
given for: a bootstrap over fewer has too few distinct resamples to be an interval (3 over 2
blocks), the floor the decision's bootstrap over replications has."""


def probability_best(
    best: pd.DataFrame, plans: Sequence[str], blocks: np.ndarray, confidence: float, seed: int
) -> pd.DataFrame:
    """Per plan: share of points where it is best, its block-bootstrap interval (NaN with fewer
    than :data:`MIN_BLOCKS` blocks), and the share of points where it is best decisively."""
    names = best["best"].to_numpy()
    decisive = best["decisive"].to_numpy(dtype=bool)
    unique = np.unique(blocks)
    members = [np.flatnonzero(blocks == b) for b in unique]
    enough = len(unique) >= MIN_BLOCKS
    if enough:  # the block bootstrap of P(best)'s interval
        draws = stream(seed, 0, "explore.robustness.bootstrap").integers(
            0, len(unique), size=(BOOTSTRAP, len(unique))
        )
    alpha = (1.0 - confidence) / 2.0
    per_block_n = np.array([len(m) for m in members], dtype=float)
    rows = []
    for plan in plans:
        hit = (names == plan).astype(float)
        low = high = math.nan
        if enough:
            per_block_hits = np.array([hit[m].sum() for m in members])
            boot = per_block_hits[draws].sum(axis=1) / per_block_n[draws].sum(axis=1)
            low, high = float(np.quantile(boot, alpha)), float(np.quantile(boot, 1.0 - alpha))
        rows.append(
            {
                "plan": plan,
                "p_best": float(hit.mean()) if len(hit) else math.nan,
                "ci_low": low,
                "ci_high": high,
                "p_best_decisive": float((hit.astype(bool) & decisive).mean()) if len(hit) else math.nan,
                "points": len(hit),
                "blocks": len(unique),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Region:
    """A PRIM box: where an event happens, in words."""

    event: str
    """What the box describes (``"cs-nrr-quota is best"``, ``"conventional is not best"``)."""
    share: float
    """Share of all points where the event happens."""
    coverage: float = math.nan
    """Share of the event's points inside the box."""
    density: float = math.nan
    """Share of the box's points where the event happens."""
    limits: list[dict[str, Any]] = field(default_factory=list)
    """Restricted parameters: ``{"parameter", "low", "high", "qp"}`` (None: not restricted)."""
    found: bool = False
    note: str = ""

    def words(self) -> str:
        """One sentence: the event, its share, and the box."""
        head = f"{self.event} at {self.share:.0%} of sample points"
        if not self.limits:
            return f"{head}; {self.note or 'no region of the parameters describes where'}."
        quality = f"coverage {self.coverage:.0%}, density {self.density:.0%}"
        weak = "" if self.found else f" (a weak box: density below {PRIM_DENSITY:.0%})"
        return f"{head}; mostly where {describe_limits(self.limits)} ({quality}){weak}."

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``flips.json``)."""
        return {
            "event": self.event,
            "share": self.share,
            "coverage": self.coverage,
            "density": self.density,
            "found": self.found,
            "limits": self.limits,
            "note": self.note,
            "words": self.words(),
        }


def describe_limits(limits: Sequence[dict[str, Any]]) -> str:
    """``a < 0.41 and 3.2 < b < 5.0``."""
    parts = []
    for lim in limits:
        lo, hi, name = lim["low"], lim["high"], lim["parameter"]
        if lo is not None and hi is not None:
            parts.append(f"{lo:.3g} ≤ {name} ≤ {hi:.3g}")
        elif lo is not None:
            parts.append(f"{name} ≥ {lo:.3g}")
        else:
            parts.append(f"{name} ≤ {hi:.3g}")
    return " and ".join(parts)


def _prim_threshold(prim_class: Any) -> dict[str, float]:
    """The ``threshold`` argument ema_workbench's ``Prim`` needs, if any.

    ema_workbench before 3.0 requires a threshold and uses it twice: a case of interest is a
    point with ``y >= threshold``, and a box whose final mean is below it is replaced by an
    unpeeled "dump box". 3.0 (Python 3.12 and later) has no threshold, and every 1 is a case of
    interest. A threshold just above 0 counts the 1s alone, and it never returns a dump box. So
    both versions return the peeled box, and :func:`prim_region` judges its density itself
    (at least ``PRIM_DENSITY``, else the densest box is reported as weak)."""
    return {"threshold": 1e-9} if "threshold" in inspect.signature(prim_class.__init__).parameters else {}


def prim_region(values: np.ndarray, params: Sequence[Parameter], event: np.ndarray, label: str) -> Region:
    """The PRIM box of ``event`` (bool per point) over the parameter values."""
    share = float(event.mean()) if len(event) else math.nan
    region = Region(label, share)
    if event.sum() < MIN_CASES or (~event).sum() < MIN_CASES:
        region.note = "too few points on one side for PRIM" if 0 < event.sum() < len(event) else ""
        if event.all():
            region.note = "everywhere in the sampled ranges"
        elif not event.any():
            region.note = "nowhere in the sampled ranges"
        return region
    prim = require("ema_workbench.analysis.prim", "incentsim sensitivity")
    x = pd.DataFrame(values, columns=[p.path for p in params])
    with warnings.catch_warnings():  # ema_workbench's own deprecation notices (pandas), not ours
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        finder = prim.Prim(x, event.astype(int), mass_min=0.05, **_prim_threshold(prim.Prim))
        box = finder.find_box()
    if box is None:  # no point left to peel (cannot happen with both sides present; ema_workbench 3 types it)
        return region
    traj = box.peeling_trajectory
    ok = traj[traj["density"] >= PRIM_DENSITY]
    # the box that best balances coverage and density (their harmonic mean) among the dense ones
    balance = 2 * ok["coverage"] * ok["density"] / (ok["coverage"] + ok["density"])
    pick = balance.idxmax() if len(ok) else traj["density"].idxmax()
    region.found = bool(len(ok))
    row = traj.loc[pick]
    region.coverage, region.density = float(row["coverage"]), float(row["density"])
    lims = box.box_lims[int(pick)]
    start = box.box_lims[0]
    qps = getattr(box, "p_values", None)  # ema_workbench 3 renamed ``qp``
    qps = box.qp if qps is None else qps
    qp = qps[int(pick)] if int(pick) < len(qps) else {}
    for p in params:
        lo, hi = float(lims[p.path].iloc[0]), float(lims[p.path].iloc[1])
        lo0, hi0 = float(start[p.path].iloc[0]), float(start[p.path].iloc[1])
        if lo <= lo0 and hi >= hi0:
            continue
        q = qp.get(p.path) if isinstance(qp, dict) else None
        region.limits.append(
            {
                "parameter": p.path,
                "low": lo if lo > lo0 else None,
                "high": hi if hi < hi0 else None,
                "qp": [float(v) for v in q] if q is not None else None,
            }
        )
    return region


def flip_regions(
    values: np.ndarray, params: Sequence[Parameter], best: pd.DataFrame, plans: Sequence[str]
) -> list[Region]:
    """Where the most often best plan is not best, and where each other plan is best."""
    names = best["best"].to_numpy()
    counts = {p: int((names == p).sum()) for p in plans}
    leader = max(plans, key=lambda p: counts[p])
    regions = [prim_region(values, params, names != leader, f"{leader} is not the best plan")]
    for plan in plans:
        if plan != leader and counts[plan] > 0:
            regions.append(prim_region(values, params, names == plan, f"{plan} is the best plan"))
    return regions
