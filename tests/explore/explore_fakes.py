"""Fake replication functions for the exploration tests (module-level, so they pickle by reference).

``ishigami``: the Ishigami function (Ishigami & Homma 1990) of three behaviour parameters, each
uniform on [0, 2*pi] in the scenario and shifted to [-pi, pi]; a fourth declared uncertainty
(``behaviour.ae.win_odds_per_discount``) is read by nothing. Its Sobol indices are known in closed
form (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
"""

from __future__ import annotations

import math

from sim.result import ReplicationResult
from sim.rng import Streams
from sim.scenario.experiment import METRICS
from sim.scenario.schema import Scenario

A, B = 7.0, 0.1
X_PATHS = (
    "behaviour.rationality_per_kusd",
    "behaviour.risk_aversion_per_kusd",
    "behaviour.annual_time_preference",
)
UNUSED = "behaviour.ae.win_odds_per_discount"


def ishigami_value(x1: float, x2: float, x3: float) -> float:
    """sin x1 + a sin^2 x2 + b x3^4 sin x1."""
    return math.sin(x1) + A * math.sin(x2) ** 2 + B * x3**4 * math.sin(x1)


def analytic_indices() -> tuple[list[float], list[float]]:
    """(S1, ST) of the Ishigami function for a = 7, b = 0.1."""
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def _xs(scenario: Scenario) -> tuple[float, float, float]:
    b = scenario.behaviour
    x = (b.rationality_per_kusd, b.risk_aversion_per_kusd, b.annual_time_preference)
    return (x[0] - math.pi, x[1] - math.pi, x[2] - math.pi)


def ishigami(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """nrr = Ishigami(x) for every plan, plus the plan's ``ae.base_salary_annual_usd`` / 1e6 times x1
    (so a plan's paired difference against another depends on x1 only); noise-free."""
    x1, x2, x3 = _xs(scenario)
    salary = scenario.plan(plan).ae.base_salary_annual_usd
    metrics = {m: 1.0 for m in METRICS}
    metrics["nrr"] = ishigami_value(x1, x2, x3) + salary / 1e6 * x1
    metrics["payout_cost"] = salary
    return ReplicationResult(plan=plan, replication=replication, metrics=metrics)


def noisy_ishigami(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`ishigami` plus common noise per replication (the same at every point and plan)."""
    r = ishigami(scenario, plan, replication)
    r.metrics["nrr"] += 0.5 * float(Streams(scenario.experiment.seed, replication)("fake.noise").normal())
    return r


CALLS = [0]
INTERRUPT_AT = 30


def interrupting(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`ishigami`, but the ``INTERRUPT_AT``-th call in this process is interrupted (as by
    Ctrl-C); serial backend only."""
    CALLS[0] += 1
    if CALLS[0] == INTERRUPT_AT:
        raise KeyboardInterrupt
    return ishigami(scenario, plan, replication)


def rate_world(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """A toy for the optimiser: a plan's first commission rate r (``ae.components.0.rates.0.rate``)
    sets ``nrr = 1 + 0.1 * (1 - exp(-r / 0.05)) - 0.5 * (r - 0.12)^2`` (saturating, with an
    interior optimum near r = 0.177) and ``payout_cost = 1e6 * r`` (linear), plus noise common to
    every plan of a replication (so paired differences are exact)."""
    r = scenario.plan(plan).ae.components[0].rates[0].rate
    common = float(Streams(scenario.experiment.seed, replication)("fake.noise").normal())
    metrics = {m: 1.0 for m in METRICS}
    metrics["nrr"] = 1.0 + 0.1 * (1.0 - math.exp(-r / 0.05)) - 0.5 * (r - 0.12) ** 2 + 0.01 * common
    metrics["payout_cost"] = 1e6 * r
    return ReplicationResult(
        plan=plan, replication=replication, metrics=metrics, timeseries={"bookings": [1e6 / 12] * 12}
    )


def rate_optimum() -> float:
    """The r in [0, 0.3] maximising the toy's nrr (golden-section search, to 1e-9)."""
    f = lambda r: 0.1 * (1.0 - math.exp(-r / 0.05)) - 0.5 * (r - 0.12) ** 2  # noqa: E731
    lo, hi = 0.0, 0.3
    g = (math.sqrt(5) - 1) / 2
    while hi - lo > 1e-9:
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        lo, hi = (a, hi) if f(a) < f(b) else (lo, b)
    return (lo + hi) / 2


def slow_rate_world(scenario: Scenario, plan: str, replication: int) -> ReplicationResult:
    """:func:`rate_world` after a pause (for the kill -9 test)."""
    import time

    time.sleep(0.05)
    return rate_world(scenario, plan, replication)
