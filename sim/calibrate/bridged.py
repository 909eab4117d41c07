"""A bridged world field's estimate: its interval and whether the exports identify it.

The interval is the joint sandwich's (:mod:`sim.calibrate.errors`) on the field's scale; for a rate
of counted events (upsells, cross-sells, departures per year) it also holds the exact Poisson
(Garwood) interval of the observed count, carried to the field through its statistic's response.
A field is not identified when its statistic stays far from the observed one, when its interval
is wider than the estimate (a log-odds slope: than one unit), or when a statistic of
many observations is too skewed between histories for a linearised interval; a rate or share of
events needs at least :data:`~sim.calibrate.params.MIN_EVENTS` observed events (:mod:`sim.calibrate.fit`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from sim.calibrate.estimates import BRIDGED, Estimate
from sim.calibrate.nanstats import nan_mean, nan_sd, relative_spread
from sim.calibrate.params import LOG, Bridge

MAX_SPREAD = 0.25
"""A bridged field is identified only when its statistic, on its scale (log or logit), varies by at
most this much between histories of the exports' size at the observed level
(:func:`~sim.calibrate.nanstats.relative_spread`): a statistic made of a few events (upsells,
departures) is too skewed for a linearised interval."""


def bridge_estimate(
    b: Bridge,
    segment: str,
    value: float,
    observed: Mapping[str, float],
    names: Sequence[str],
    final: np.ndarray,
    se: float,
    own: float,
    t95: float,
    reps: int,
    own_t: float = math.inf,
) -> Estimate:
    """A bridged field's estimate at ``value`` with its 95% interval (``se`` on the field's scale, from
    the joint sandwich) and whether the exports identify it. ``final``: the replications at the
    estimate (columns: the moments ``names``); ``own``: d(its moment)/d(field) in the
    moment's units per unit of the field's scale, measured to ``own_t`` standard errors (common random
    numbers across ``final``'s replications); ``reps``: replications the field was matched with.

    The standard error is divided by ``sqrt(1 - (t95 / own_t)^2)`` (Fieller 1954): the field is the
    gap of its statistic over a derivative the simulations know only to ``own_t``, and the set of
    fields the gap cannot reject is that much wider than the delta method's (unbounded when the
    derivative is not told from 0 at 95%: then not identified)."""
    path, j = b.path(segment), list(names).index(b.moment_name(segment))
    obs_j = float(observed[b.moment_name(segment)])
    r = final.shape[0]
    fieller = 1 - (t95 / own_t) ** 2 if own_t > 0 else -1.0
    se = se / math.sqrt(fieller) if fieller > 0 else math.inf
    sd = float(nan_sd(final[:, j : j + 1])[0])
    g = b.scale.to(value)
    lo, hi = (
        sorted((b.scale.back(g - t95 * se), b.scale.back(g + t95 * se)))
        if math.isfinite(se)
        else (math.nan, math.nan)
    )
    method = "indirect inference: simulated statistic matched to the observed one"
    if b.events and b.moment_scale == LOG and math.isfinite(se):  # a rate of counted events
        n = float(observed.get(b.events_name(segment), math.nan))
        slope = own * b.moment_scale.slope(float(nan_mean(final[:, j])))
        if n > 0 and slope:
            glo, ghi = _garwood_log(n, reps)
            ends = sorted((b.scale.back(g + glo / slope), b.scale.back(g + ghi / slope)))
            lo, hi = min(lo, ends[0]), max(hi, ends[1])
            method += "; interval also holds the exact Poisson (Garwood) interval of the observed count"
    lo, hi = max(lo, b.low), min(hi, b.high)
    miss = (obs_j - float(nan_mean(final[:, j]))) / (sd * math.sqrt(1 + 1 / r)) if sd > 0 else 0.0
    moment = b.moment_name(segment)
    note, ok = f"matched to {moment} (d moment / d field {own:.3g} on their scales)", True
    if abs(miss) > 3.0:
        note, ok = (
            f"not matched: {moment} stays {miss:+.1f} standard errors from the observed value",
            False,
        )
    elif not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo > (b.max_width or abs(value)):
        limit = (
            f"{b.max_width:g} (a log-odds slope, as stage 1 judges one)" if b.max_width else "the estimate"
        )
        note, ok = f"{note}; its 95% interval is wider than {limit}", False
    elif not b.events and (spread := relative_spread(b.moment_scale, final[:, j], obs_j)) > MAX_SPREAD:
        note += f"; its statistic varies by {spread:.2g} on its scale between histories (over {MAX_SPREAD:g})"
        ok = False
    return Estimate(
        path,
        value,
        lo,
        hi,
        BRIDGED,
        method,
        r,
        identified=ok,
        note=note,
    )


def _garwood_log(n: float, reps: int) -> tuple[float, float]:
    """The exact (Garwood) 95% interval of a Poisson count ``n`` as log ratios to ``n``, widened by
    ``sqrt(1 + 1/reps)`` for the simulated side the field was matched with."""
    k = math.sqrt(1 + 1 / max(reps, 1))
    lo = float(stats.chi2.ppf(0.025, 2 * n)) / 2 if n > 0 else 0.0
    hi = float(stats.chi2.ppf(0.975, 2 * n + 2)) / 2
    return k * math.log(max(lo, 1e-12) / n), k * math.log(hi / n)
