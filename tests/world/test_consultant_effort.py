"""A consultant's effort of working away from the normal pace is per consultant-day (issue 19)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.replication import build_world
from tests.world.world_fixtures import tiny


@pytest.mark.parametrize("concurrent", [1, 3, 10])
def test_effort_per_project_day_is_the_consultant_day_cost_over_concurrent_projects(concurrent: int) -> None:
    s = tiny(
        company__consultants__concurrent_projects=concurrent,
        behaviour__consultant__effort_cost_kusd_per_day=0.05,
        behaviour__consultant__care_effort_cost_kusd_per_day=0.02,
    )
    team = build_world(s, s.plans[0].name, 0).implementation
    speed = np.array(team.speeds)
    neutral = team.speeds[team.neutral]
    expected = np.where(speed > neutral, 0.02, 0.05) / concurrent
    assert team._cost == pytest.approx(expected)
    # a project's effort: that cost x its days x how far the pace is from the normal one
    seg = team.segments.seg[0]
    effort = [o.effort_kusd for o in team._labels_by_segment[0]]
    assert effort == pytest.approx(expected * seg.implementation_days * np.abs(speed - neutral))
