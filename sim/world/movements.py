"""Organic expansion and contraction as events, for every live customer at once.

Each month, for the month just ended (``dt`` days), a live customer of segment ``s`` with health
``h`` has ``N_e ~ Poisson(λ_e · m_e(h) · dt / 365.25)`` expansion events and ``N_c ~
Poisson(λ_c · m_c(h) · dt / 365.25)`` contraction events (``λ`` the segment's
``expansion_events_per_year`` / ``contraction_events_per_year``; ``m_e(h) = exp(k (h − 0.5))``,
``m_c(h) = exp(−k (h − 0.5))`` with ``k = customers.movement_health_sensitivity``). Each event
multiplies the account's use by ``1 + X`` (expansion) or ``1 − Y`` (contraction), ``X`` and ``Y``
the segment's mean size (``fixed``) or exponential with that mean (``Y`` at most 0.95). Use is
billed at the next renewal's true-up (``sim/world/renewals.py``), so a customer's expansion and
contraction of one contract term meet in one true-up, and the cohort GRR sees the contraction that
another customer's expansion does not offset. ``docs/model.md`` ("World: customers") and the exact
cases ``exact.movements.*`` (``docs/validation.md``).

Draws: eight uniforms per customer and month (``u``; count and sizes, keyed by the customer), so a
customer's events are the same in every plan.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.company import Customers
from sim.world.rules import poisson_inv

MAX_SIZED = 3
"""Events per month and kind with their own size draw; a fourth or later event of the same month
repeats a size (with monthly rates below 0.25 that is under 2e-4 of the customer-months)."""
UNIFORMS = 2 + 2 * MAX_SIZED
"""Columns of uniforms a customer-month uses: two counts, then the sizes of each kind."""


def any_events(rates: np.ndarray) -> bool:
    """True when some segment has expansion or contraction events."""
    return bool(np.any(rates > 0))


def usage_factors(
    u: np.ndarray,
    health: np.ndarray,
    expand_rate: np.ndarray,
    expand_size: np.ndarray,
    contract_rate: np.ndarray,
    contract_size: np.ndarray,
    years: float,
    customers: Customers,
) -> np.ndarray:
    """The factor each customer's use is multiplied by this month (module docstring).

    Per customer: ``u`` (``UNIFORMS`` columns), health, and its segment's rates per year and mean
    sizes; ``years`` is the month's length in years.
    """
    k = customers.movement_health_sensitivity
    tilt = np.exp(k * (health - 0.5)) if k > 0 else np.ones(len(health))
    n_e = poisson_inv(u[:, 0], expand_rate * tilt * years)
    n_c = poisson_inv(u[:, 1], contract_rate / tilt * years)
    fixed = customers.movement_size_distribution == "fixed"
    factor = np.ones(len(health))
    for n, size, first, sign in ((n_e, expand_size, 2, 1.0), (n_c, contract_size, 2 + MAX_SIZED, -1.0)):
        some = np.flatnonzero(n)
        if not len(some):
            continue
        if fixed:
            step = 1.0 + sign * np.minimum(size[some], 0.95 if sign < 0 else np.inf)
            factor[some] *= step ** n[some]
            continue
        draws = -np.log1p(-u[some, first : first + MAX_SIZED]) * size[some, None]
        if sign < 0:
            draws = np.minimum(draws, 0.95)
        for j, c in enumerate(some.tolist()):
            x = draws[j, np.arange(int(n[c])) % MAX_SIZED]
            factor[c] *= float(np.prod(1.0 + sign * x))
    return factor
