"""Sample designs over the scenario's uncertainties, and their values.

SALib builds every design on the unit hypercube (each uncertainty a uniform quantile ``u`` in
0..1); :func:`values` turns quantiles into parameter values through each distribution's inverse
CDF (scipy), so Morris and Sobol work with every distribution the same way. Designs are seeded
from the scenario seed (``sim.rng``), so the same scenario gives the same points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from sim.explore.extra import require
from sim.rng import stream
from sim.scenario.paths import resolve_field
from sim.scenario.schema import Scenario
from sim.scenario.uncertainties import Uncertainty

METHODS: tuple[str, ...] = ("morris", "sobol")
MORRIS_LEVELS = 4
"""Grid levels of a Morris trajectory (quantiles 0, 1/3, 2/3 and 1 of each range)."""


@dataclass(frozen=True)
class Parameter:
    """One uncertainty as a dimension of the design."""

    path: str
    spec: Uncertainty
    integer: bool
    nominal: float
    """The scenario's own value of the field."""

    def value(self, u: np.ndarray) -> np.ndarray:
        """Parameter values at quantiles ``u`` (0..1) of its distribution."""
        s = self.spec
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.integer:  # whole numbers low..high, equally likely
            lo, hi = int(s.low), int(s.high)
            return np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)
        if s.distribution == "uniform":
            return s.low + u * (s.high - s.low)
        if s.distribution == "log_uniform":
            return np.exp(math.log(s.low) + u * (math.log(s.high) - math.log(s.low)))
        if s.distribution == "triangular":
            assert s.mode is not None
            c = (s.mode - s.low) / (s.high - s.low)
            return np.asarray(sps.triang.ppf(u, c, loc=s.low, scale=s.high - s.low), dtype=float)
        assert s.mean is not None and s.sd is not None
        a, b = (s.low - s.mean) / s.sd, (s.high - s.mean) / s.sd
        out = sps.truncnorm.ppf(u, a, b, loc=s.mean, scale=s.sd)
        return np.clip(np.asarray(out, dtype=float), s.low, s.high)


def parameters(scenario: Scenario, only: Sequence[str] | None = None) -> list[Parameter]:
    """The design's dimensions: every uncertainty of ``scenario`` (or the ones in ``only``)."""
    chosen = list(scenario.uncertainties) if not only else list(only)
    out = []
    for path in chosen:
        spec = scenario.uncertainties[path]
        ref = resolve_field(scenario, path)
        out.append(Parameter(path, spec, ref.kind == "integer", float(ref.value)))
    return out


def problem(params: Sequence[Parameter]) -> dict[str, object]:
    """SALib's problem definition on the unit hypercube."""
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": [[0.0, 1.0]] * len(params)}


def design_rng(scenario: Scenario, method: str) -> np.random.Generator:
    """The generator of a design: a named stream of the scenario seed."""
    return stream(scenario.experiment.seed, 0, f"explore.{method}.design")


def unit_design(scenario: Scenario, params: Sequence[Parameter], method: str, samples: int) -> np.ndarray:
    """Quantiles of every sample point, shape (points, parameters).

    Morris: ``samples`` trajectories of ``len(params) + 1`` points on a 4-level grid. Sobol
    (Saltelli's scheme, first and total order): ``samples * (len(params) + 2)`` points, ``samples``
    a power of two.
    """
    rng = design_rng(scenario, method)
    if method == "morris":
        morris = require("SALib.sample.morris", "incentsim sensitivity")
        return np.asarray(morris.sample(problem(params), samples, num_levels=MORRIS_LEVELS, seed=rng))
    if method == "sobol":
        sobol = require("SALib.sample.sobol", "incentsim sensitivity")
        return np.asarray(sobol.sample(problem(params), samples, calc_second_order=False, seed=rng))
    raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")


def values(params: Sequence[Parameter], unit: np.ndarray) -> np.ndarray:
    """Parameter values of a unit design (same shape)."""
    return np.column_stack([p.value(unit[:, j]) for j, p in enumerate(params)]) if len(params) else unit


def overrides(params: Sequence[Parameter], row: np.ndarray) -> Mapping[str, float | int]:
    """The dotted-path overrides of one sample point."""
    return {p.path: (int(v) if p.integer else float(v)) for p, v in zip(params, row, strict=True)}
