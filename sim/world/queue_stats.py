"""The implementation queue measured over the window: waits, P(wait), busy slots and the backlog.

Projects are counted when they start service (their wait is then known); levels (busy slots,
projects waiting) are integrated over time inside the measured window ``[start, end)``. Read by
``ImplementationTeam.queue_metrics`` into the replication's metrics (``docs/metrics.md``,
"Implementation queue"); the Erlang C cases compare them with the formulas (``docs/validation.md``).
"""

from __future__ import annotations

import math


class QueueStats:
    """Accumulators of one queue over the window ``[start, end)`` (days)."""

    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.started_projects = 0
        self.waited = 0
        self.wait_days = 0.0
        self.busy_area = 0.0
        """Integral of busy slots over the window (slot-days)."""
        self.queue_area = 0.0
        """Integral of projects waiting over the window (project-days)."""
        self._last = start

    def level(self, now: float, busy: int, waiting: int) -> None:
        """The levels are about to change at ``now``: add the area since the last change."""
        lo, hi = max(self._last, self.start), min(now, self.end)
        if hi > lo:
            self.busy_area += busy * (hi - lo)
            self.queue_area += waiting * (hi - lo)
        self._last = max(self._last, now)

    def started(self, now: float, wait: float) -> None:
        """A project starts service at ``now`` after waiting ``wait`` days."""
        if self.start <= now < self.end:
            self.started_projects += 1
            self.wait_days += wait
            self.waited += wait > 1e-9

    def metrics(self, now: float, busy: int, waiting: int, slots: int) -> dict[str, float]:
        """``implementation_wait_days``, ``implementation_wait_share``, ``implementation_queue_mean``,
        ``consultant_utilisation`` (NaN without consultants or projects)."""
        self.level(now, busy, waiting)
        days = self.end - self.start
        n = self.started_projects
        return {
            "implementation_wait_days": self.wait_days / n if n else math.nan,
            "implementation_wait_share": self.waited / n if n else math.nan,
            "implementation_queue_mean": self.queue_area / days if slots > 0 and days > 0 else math.nan,
            "consultant_utilisation": self.busy_area / (slots * days) if slots > 0 and days > 0 else math.nan,
        }
