"""What one replication returns: small, plain and picklable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReplicationResult:
    """Outcome of one replication of one plan.

    ``metrics`` holds at least every name in ``sim.scenario.experiment.METRICS`` (NaN when
    undefined) and may hold more (per-segment variants such as ``grr_smb``).
    """

    plan: str
    replication: int
    metrics: dict[str, float]
    timeseries: dict[str, list[float]] = field(default_factory=dict)
    """Monthly series over the measured horizon (``month`` index from 0): ``arr``,
    ``arr_smb``..., ``new_arr``, ``bookings``, ``payout_cost``, ``customers``."""
    distributions: dict[str, list[float]] = field(default_factory=dict)
    """Samples for histograms: ``discount``, ``attainment``, ``close_week_of_quarter``,
    ``time_to_value_days``, ``nps``, ``forecast_error``."""
    payouts: dict[str, float] = field(default_factory=dict)
    """Payout cost by ``role.component`` (variable pay net of clawbacks)."""
    people_pay: dict[str, float] = field(default_factory=dict)
    """Variable pay per person (``ae:17``) over the measured horizon, for winners/losers."""
    people: dict[str, list[float]] = field(default_factory=dict)
    """Everyone employed in the replication (``ae:17``): ``[hired day, left day]`` (left ``inf``
    while employed); people on staff at day 0 are the same in replication k of every plan."""
    events_scheduled: int = 0
    wall_seconds: float = 0.0
    ledger: list[Any] | None = None
    """The ledger's events (``sim.ledger.Event``), only when ``simulate(..., keep_ledger=True)``."""
