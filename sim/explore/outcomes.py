"""What a point keeps of a replication: its metrics, plus outcomes derived from them.

A :class:`~sim.world.result.ReplicationResult` carries series and distributions for reports; an
exploration over hundreds of points keeps only numbers, one row per point x plan x replication.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sim.scenario.experiment import HIGHER_IS_BETTER

if TYPE_CHECKING:  # the experiment layer hands replications over; explore never imports the world
    from sim.world.result import ReplicationResult

DERIVED: dict[str, str] = {
    "payout_share_of_bookings": "payout_cost / bookings per year (new, upsell and cross-sell ACV "
    "booked over the measured horizon, per year): what a budget such as "
    "payout_share_of_bookings<=0.12 limits",
}
"""Outcomes computed here from a replication (name -> definition, also in docs/metrics.md)."""

DIRECTIONS: dict[str, bool] = {**HIGHER_IS_BETTER, "payout_share_of_bookings": False}
"""Outcomes with a better direction (True: higher is better): what can be an objective."""


def payout_share(payout_cost: float | None, bookings: Sequence[float]) -> float:
    """Variable pay per year over bookings per year, from the monthly ``bookings`` series (NaN
    when nothing was booked)."""
    months = len(bookings)
    if months == 0 or payout_cost is None or not math.isfinite(payout_cost):
        return math.nan
    per_year = sum(float(b) for b in bookings) * 12.0 / months
    return float(payout_cost) / per_year if per_year > 0 else math.nan


def payout_share_of_bookings(result: ReplicationResult) -> float:
    """:func:`payout_share` of one replication."""
    return payout_share(result.metrics.get("payout_cost", math.nan), result.timeseries.get("bookings") or [])


def outcome_row(result: ReplicationResult) -> dict[str, Any]:
    """The numbers a point keeps of one replication: every metric and the derived outcomes."""
    row: dict[str, Any] = {k: (math.nan if v is None else float(v)) for k, v in result.metrics.items()}
    row["payout_share_of_bookings"] = payout_share_of_bookings(result)
    return row
