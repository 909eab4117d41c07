"""Exact cases for expansion and contraction as events (``sim/world/movements.py``).

The company of :mod:`sim.validation.retention` (a starting book, annual terms, health pinned,
every other feature off), with the netted usage drift switched off (``customers.usage_drift:
false``) and expansion and contraction events switched on. A customer of the yearly cohort renews
once in the year; its true-up multiplies ARR by the product of its events over the twelve monthly
windows before the renewal (365 days in 2025–2027), so with counts ``N_e ~ Poisson(λ_e τ)``,
``N_c ~ Poisson(λ_c τ)``, ``τ = 365 / 365.25``, and churn ``p`` independent of everything:

* fixed sizes ``e``, ``c``: ``NRR = (1 − p) · exp(τ (λ_e e − λ_c c))`` (``E[(1 + e)^N] = exp(λτe)``)
  and ``GRR = (1 − p) · Σ_{i,j} P(N_e = i) P(N_c = j) · min(1, (1 + e)^i (1 − c)^j)``;
* exponential sizes with means ``μ_e``, ``μ_c`` (contraction capped at 0.95), health ``h`` and
  sensitivity ``k``: ``NRR = (1 − p) · exp(τ (λ_e e^{k(h−½)} μ_e − λ_c e^{−k(h−½)} μ_c (1 − e^{−0.95/μ_c})))``
  (compound Poisson: ``E[Π(1 + X_i)] = exp(λτ E[X])``).

The netted drift of the same mean growth ``g = λ_e e − λ_c c`` would give
``GRR = (1 − p) · min(1, e^{gτ})``: the fixed-size case must exclude it (the drift's GRR is the
issue's "about 3 points too high"). Derivation and numbers: ``docs/validation.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

from sim.result import ReplicationResult
from sim.validation.core import Check, case, covers, metric_samples
from sim.validation.retention import SEED, Seg, Setup, excludes, term_churn

TAU = 365.0 / 365.25
"""Years of events behind each renewal's true-up (twelve monthly windows of 2025–2027)."""
CAP = 0.95
"""Largest share of use one contraction event takes (``sim/world/movements.py``)."""


def fixed_size_retention(p: float, rate_e: float, e: float, rate_c: float, c: float) -> tuple[float, float]:
    """(GRR, NRR) of the yearly cohort with fixed-size events (module docstring)."""
    pe = sps.poisson(rate_e * TAU)
    pc = sps.poisson(rate_c * TAU)
    top = int(max(pe.ppf(1 - 1e-14), pc.ppf(1 - 1e-14))) + 2
    i = np.arange(top + 1)
    joint = np.outer(pe.pmf(i), pc.pmf(i))
    factor = np.outer((1 + e) ** i, (1 - c) ** i)
    grr = (1 - p) * float(np.sum(joint * np.minimum(factor, 1.0)))
    nrr = (1 - p) * math.exp(TAU * (rate_e * e - rate_c * c))
    return grr, nrr


def exponential_size_nrr(
    p: float, rate_e: float, mu_e: float, rate_c: float, mu_c: float, health: float, k: float
) -> float:
    """NRR with exponential sizes, health-dependent rates and the contraction cap (module docstring)."""
    tilt = math.exp(k * (health - 0.5))
    shrink = mu_c * (1 - math.exp(-CAP / mu_c))
    return (1 - p) * math.exp(TAU * (rate_e * tilt * mu_e - rate_c / tilt * shrink))


def run_events(setup: Setup, events: dict[str, float], customers: dict[str, Any]) -> list[ReplicationResult]:
    """The replications of ``setup`` with the smb segment's ``events`` and ``customers`` settings,
    the drift switched off, under the neutral policy."""
    from sim.policy.neutral import NeutralPolicy
    from sim.replication import simulate
    from sim.scenario.load import validate_data

    data = setup.scenario_data()
    data["company"]["segments"]["smb"].update(events)
    data["company"]["customers"].update({"usage_drift": False, **customers})
    sc = validate_data(data, f"validation:{setup.name}")
    return [simulate(sc, sc.plans[0].name, r, NeutralPolicy()) for r in range(setup.replications)]


P = 0.15
FIXED = Setup("exact.movements.fixed", smb=Seg(starting_customers=4000, annual_churn=P), seed=SEED + 11)
FIXED_EVENTS = {
    "expansion_events_per_year": 2.0,
    "expansion_event_size": 0.10,
    "contraction_events_per_year": 1.0,
    "contraction_event_size": 0.15,
}


@case(
    "exact.movements.fixed",
    "Expansion and contraction events of fixed size: GRR and NRR summed over the Poisson counts",
    "GRR = (1−p)·Σ P(i)P(j)·min(1,(1+e)^i(1−c)^j), NRR = (1−p)·exp(τ(λe·e − λc·c))",
)
def _fixed() -> Sequence[Check]:
    ev = FIXED_EVENTS
    le, e = ev["expansion_events_per_year"], ev["expansion_event_size"]
    lc, c = ev["contraction_events_per_year"], ev["contraction_event_size"]
    results = run_events(FIXED, ev, {"movement_size_distribution": "fixed"})
    p = term_churn(P, 12)
    grr, nrr = fixed_size_retention(p, le, e, lc, c)
    drift_grr = (1 - p) * min(1.0, math.exp((le * e - lc * c) * TAU))
    about = f"p={p:g}, λe={le:g}/yr × {e:g}, λc={lc:g}/yr × {c:g}, h=0.5, τ={TAU:.6f} y"
    g = metric_samples(results, "grr")
    return [
        covers("logo churn = p", p, metric_samples(results, "logo_churn"), detail=about),
        covers("GRR = (1−p)·E[min(1, (1+e)^Ne (1−c)^Nc)]", grr, g, detail=about),
        covers("NRR = (1−p)·exp(τ(λe·e − λc·c))", nrr, metric_samples(results, "nrr"), detail=about),
        excludes(
            "GRR of the netted drift with the same mean growth, (1−p)·min(1, e^{gτ})",
            drift_grr,
            g,
            detail="a drift per customer nets expansion against contraction before the true-up",
        ),
    ]


EXPONENTIAL = Setup(
    "exact.movements.exponential",
    smb=Seg(starting_customers=4000, annual_churn=P),
    health=0.7,
    seed=SEED + 12,
)
EXPONENTIAL_EVENTS = {
    "expansion_events_per_year": 1.5,
    "expansion_event_size": 0.12,
    "contraction_events_per_year": 1.2,
    "contraction_event_size": 0.2,
}
SENSITIVITY = 2.0


@case(
    "exact.movements.exponential",
    "Expansion and contraction events of exponential size with health-dependent rates: NRR",
    "NRR = (1−p)·exp(τ(λe·e^{k(h−½)}·μe − λc·e^{−k(h−½)}·μc(1 − e^{−0.95/μc}))) (compound Poisson)",
)
def _exponential() -> Sequence[Check]:
    ev = EXPONENTIAL_EVENTS
    le, me = ev["expansion_events_per_year"], ev["expansion_event_size"]
    lc, mc = ev["contraction_events_per_year"], ev["contraction_event_size"]
    results = run_events(
        EXPONENTIAL,
        ev,
        {"movement_size_distribution": "exponential", "movement_health_sensitivity": SENSITIVITY},
    )
    p = term_churn(P, 12)
    h = EXPONENTIAL.health
    nrr = exponential_size_nrr(p, le, me, lc, mc, h, SENSITIVITY)
    flat = exponential_size_nrr(p, le, me, lc, mc, 0.5, SENSITIVITY)
    about = f"p={p:g}, λe={le:g}/yr × Exp({me:g}), λc={lc:g}/yr × Exp({mc:g}), h={h:g}, k={SENSITIVITY:g}"
    n = metric_samples(results, "nrr")
    return [
        covers("logo churn = p", p, metric_samples(results, "logo_churn"), detail=about),
        covers("NRR = (1−p)·exp(τ(λe'·μe − λc'·E[min(Y, 0.95)]))", nrr, n, detail=about),
        excludes("NRR without the health tilt (rates at h = ½)", flat, n, detail="k ignored"),
    ]
