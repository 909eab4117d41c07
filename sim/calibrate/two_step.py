"""Stage 1's uncertainty carried into stage 2: the two-step correction of Murphy & Topel (1985).

Stage 2 matches simulated moments ``m(theta2; theta1)`` to the observed ones with the direct
fields ``theta1`` held at their stage-1 estimates. Linearised, ``A d(theta2) = H (d(m_obs) - G1
d(theta1))``, ``G1`` the moments' derivatives to the held fields, so the stage-2 covariance gains
``A^-1 H G1 V1 G1' H' A^-T`` beside the sandwich's ``A^-1 H S H' A^-T`` (Murphy & Topel 1985, eq.
for two-step estimators; ``V1`` the stage-1 covariance). The term in moment space,
``G1 V1 G1'``, is measured directly: each identified direct field is moved by its standard error
(its complement with it: the marketing share is one minus the outbound share) with the same
replications as the estimate (common random numbers), and the outer product of the moments' move
is kept, less the part its replications' noise adds (the move's own sampling covariance), with
what is left made positive semi-definite. ``V1`` is diagonal: stage 1's estimators report
intervals, not their joint covariance.

The cross terms (the observed moments and the direct estimates drawn from the same exports) are
left out: the held fields are the cycle shape (orthogonal to the mean cycle in the gamma
likelihood), the source mix, the cycle and win-odds multipliers of referrals and champions and the
expansion sizes, which move their moments the way they move the observed statistics, so omitting
the (then negative) cross terms errs on the wide side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.calibrate.estimates import DIRECT, Estimate
from sim.calibrate.params import rounded

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class HeldField:
    """An identified direct field stage 2 holds at its stage-1 value, with its standard error."""

    path: str
    value: float
    se: float
    low: float
    high: float
    complement: str = ""
    """A field that is one minus this one (moved with it)."""

    def moved(self) -> dict[str, float]:
        """The field moved up by one standard error (a share near 1: down), with its complement."""
        x = self.value + self.se
        if self.high <= 1.0 and x >= 1.0:  # a share: step down
            x = self.value - self.se
        out = {self.path: rounded(x)}
        if self.complement:
            out[self.complement] = rounded(1.0 - x)
        return out


def held_fields(estimates: Sequence[Estimate]) -> list[HeldField]:
    """The identified direct fields with a finite interval (a field that is another's complement
    is moved with it, not on its own)."""
    direct = [e for e in estimates if e.stage == DIRECT and e.identified and e.has_interval]
    out: list[HeldField] = []
    taken: set[str] = set()
    for e in direct:
        if e.path in taken:
            continue
        se = (e.high - e.low) / (2 * Z95)
        if not (math.isfinite(se) and se > 0):
            continue
        comp = next(
            (
                o.path
                for o in direct
                if o is not e and o.method == e.method and o.path not in taken
                and abs(o.value + e.value - 1.0) < 1e-9 and abs(o.high + e.low - 1.0) < 1e-9
            ),
            "",
        )  # fmt: skip
        taken |= {e.path, comp} - {""}
        out.append(HeldField(e.path, rounded(e.value), se, e.low, e.high, comp))
    return out


def stage_one_covariance(base: np.ndarray, moved: Sequence[np.ndarray]) -> np.ndarray:
    """``G1 V1 G1'`` in moment space: ``base`` the replications x moments at the estimate, ``moved``
    the same replications with each held field moved by its standard error (see the module
    docstring)."""
    k = base.shape[1]
    total = np.zeros((k, k))
    for m in moved:
        d = np.nan_to_num(m - base)  # per replication: common random numbers
        mean = d.mean(axis=0)
        noise = np.cov(d, rowvar=False, ddof=1).reshape(k, k) / d.shape[0] if d.shape[0] > 1 else 0.0
        total += np.outer(mean, mean) - noise
    vals, vecs = np.linalg.eigh((total + total.T) / 2)
    return (vecs * np.maximum(vals, 0.0)) @ vecs.T
