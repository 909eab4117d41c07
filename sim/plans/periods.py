"""Where a day falls in the pay state's calendar: its month and the accumulator column of its
month, quarter or year (the layout of :mod:`sim.plans.kernel`'s ``acc`` arrays).

Compiled with numba; shared by the payout engine's kernel, the per-person quotas
(:mod:`sim.plans.quotas`), the draws (:mod:`sim.plans.draws`) and the valuation of options.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MONTHS = (1, 3, 12)
"""Months per period kind (0 month, 1 quarter, 2 year)."""


@njit(cache=True)
def month_of(starts, day):
    """Index of the month containing ``day`` (``starts``: month start days)."""
    return np.searchsorted(starts, day, side="right") - 1


@njit(cache=True)
def period_slot(month, pk, n_months):
    """Accumulator column of the period of kind ``pk`` (0 month, 1 quarter, 2 year) of a month."""
    if pk == 0:
        return month
    if pk == 1:
        return n_months + month // 3
    return n_months + (n_months + 2) // 3 + month // 12


@njit(cache=True)
def column_of(month, pk, n_months):
    """:func:`period_slot`, or -1 for a month past the layout (no credit can be there yet)."""
    if month >= n_months or month < 0:
        return -1
    return period_slot(month, pk, n_months)
