"""What a point keeps of a replication: its metrics, plus outcomes derived from them.

A :class:`~sim.world.result.ReplicationResult` carries series and distributions for reports; an
exploration over hundreds of points keeps only numbers, one row per point x plan x replication.
"""

from __future__ import annotations

import math
from typing import Any

from sim.world.result import ReplicationResult

DERIVED: dict[str, str] = {
    "payout_share_of_bookings": "payout_cost / bookings per year (new, upsell and cross-sell ACV "
    "booked over the measured horizon, per year): what a budget such as "
    "payout_share_of_bookings<=0.12 limits",
}
"""Outcomes computed here from a replication (name -> definition, also in docs/metrics.md)."""


def payout_share_of_bookings(result: ReplicationResult) -> float:
    """Variable pay per year over bookings per year (NaN when nothing was booked)."""
    bookings = result.timeseries.get("bookings") or []
    months = len(bookings)
    payout = result.metrics.get("payout_cost", math.nan)
    if months == 0 or payout is None:
        return math.nan
    per_year = sum(float(b) for b in bookings) * 12.0 / months
    return float(payout) / per_year if per_year > 0 else math.nan


def outcome_row(result: ReplicationResult) -> dict[str, Any]:
    """The numbers a point keeps of one replication: every metric and the derived outcomes."""
    row: dict[str, Any] = {k: (math.nan if v is None else float(v)) for k, v in result.metrics.items()}
    row["payout_share_of_bookings"] = payout_share_of_bookings(result)
    return row
