"""Activity drivers for allocating the company's costs to segments and activities (reporting only).

What people spend their time on, counted over the measured window, so that unit economics
(``sim/economics.py``; ``docs/metrics.md``, "Unit economics") can split a role's cost between
segments and between acquiring, retaining, expanding and upselling:

* **AE pipeline days** by segment: for each opportunity opened in the window, the days from
  opening to its natural close (the time it holds one of the rep's slots);
* **CSM time** by segment and activity (saves, value reviews, expansion, advocacy): each month
  of the window, every CSM's split of time (``CsTeam.shares``, as chosen that month) spread
  evenly over the CSM's live accounts.

Nothing here changes what happens in the world, and nothing is drawn.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.world.services import Clock

ACTIVITIES: tuple[str, ...] = ("saves", "value_reviews", "expansion", "advocacy")
"""CSM activities (the columns of ``CsTeam.shares``)."""


@njit(cache=True)
def _add_rows(target: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``np.add.at(target, index, values)`` for a 2-D ``target`` and 1-D ``index``: the same sums in
    the same order (row by row), without ``add.at``'s per-element cost."""
    for i in range(index.shape[0]):
        t = index[i]
        for j in range(values.shape[1]):
            target[t, j] += values[i, j]


class CostDrivers:
    """Pipeline days and CSM time of the measured window."""

    def __init__(self, clock: Clock, segments: int) -> None:
        self.clock = clock
        self.pipeline_days = np.zeros(segments)
        """AE opportunity-days by segment (opportunities opened in the window)."""
        self.csm_time = np.zeros((segments, len(ACTIVITIES)))
        """CSM-months of time by segment and activity (the months of the window)."""
        self.csm_months = 0.0
        """CSM-months in the window (people on staff, with accounts or not)."""

    def opened(self, segment: int, now: float, days: float) -> None:
        """An AE opened an opportunity of ``segment`` now, closing naturally ``days`` later."""
        if now >= self.clock.measure_start:
            self.pipeline_days[segment] += days

    def csm_month(self, month: int, segment: np.ndarray, rows: np.ndarray, shares: np.ndarray) -> None:
        """The month starting now (``month``): CSM time by segment and activity, from the live
        accounts' ``segment`` and the row of ``shares`` of each one's CSM (``rows``; the last row of
        ``shares`` is the no-CSM row)."""
        if not self.clock.warmup_months <= month < self.clock.total_months:
            return
        n_csms = len(shares) - 1
        self.csm_months += n_csms
        assigned = rows < n_csms
        if n_csms <= 0 or not assigned.any():
            return
        rows, seg = rows[assigned], segment[assigned].astype(np.int64)
        accounts = np.bincount(rows, minlength=n_csms + 1).astype(float)
        _add_rows(self.csm_time, seg, np.ascontiguousarray(shares[rows] / accounts[rows][:, None]))
