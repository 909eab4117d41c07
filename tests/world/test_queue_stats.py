"""Queue metrics of the implementation team (``sim/world/queue_stats.py``) by hand, and in a world."""

from __future__ import annotations

import math

import pytest

from sim.replication import simulate
from sim.world.queue_stats import QueueStats
from tests.world.world_fixtures import tiny


def test_levels_and_waits_by_hand() -> None:
    q = QueueStats(10.0, 20.0)
    q.level(5.0, 1, 0)  # before the window: no area
    q.started(5.0, 0.0)  # before the window: not counted
    q.level(12.0, 1, 0)  # 1 busy over [10, 12)
    q.started(12.0, 3.0)
    q.level(15.0, 2, 1)  # 2 busy, 1 waiting over [12, 15)
    q.started(15.0, 0.0)
    m = q.metrics(25.0, 3, 0, 4)  # 3 busy over [15, 20) (clipped at the end)
    assert m["consultant_utilisation"] == pytest.approx((1 * 2 + 2 * 3 + 3 * 5) / (4 * 10))
    assert m["implementation_queue_mean"] == pytest.approx(3 / 10)
    assert m["implementation_wait_days"] == pytest.approx(1.5)
    assert m["implementation_wait_share"] == pytest.approx(0.5)


def test_no_consultants_gives_undefined_metrics() -> None:
    m = QueueStats(0.0, 10.0).metrics(10.0, 0, 0, 0)
    assert all(math.isnan(v) for v in m.values())


def test_world_reports_queue_metrics() -> None:
    m = simulate(tiny(), "base", 0).metrics
    assert 0.0 < m["consultant_utilisation"] <= 1.0
    assert 0.0 <= m["implementation_wait_share"] <= 1.0
    assert m["implementation_wait_days"] >= 0.0
    none = simulate(tiny(company__consultants__headcount=0), "base", 0).metrics
    assert math.isnan(none["consultant_utilisation"])
