"""What a point keeps of a replication: its metrics.

A :class:`~sim.result.ReplicationResult` carries series and distributions for reports; an
exploration over hundreds of points keeps only numbers, one row per point x plan x replication.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sim.vocabulary.metrics import HIGHER_IS_BETTER

if TYPE_CHECKING:  # the experiment layer hands replications over; explore never imports the world
    from sim.result import ReplicationResult

DIRECTIONS: dict[str, bool] = HIGHER_IS_BETTER
"""Outcomes with a better direction (True: higher is better): what can be an objective."""


def outcome_row(result: ReplicationResult) -> dict[str, Any]:
    """The numbers a point keeps of one replication: every metric."""
    return {k: (math.nan if v is None else float(v)) for k, v in result.metrics.items()}
