"""Shared fixtures of the experiment tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from experiment_helpers import THREE_PLANS, make_scenario

from sim.scenario import Scenario


@pytest.fixture
def scenario_factory() -> Callable[..., Scenario]:
    return make_scenario


@pytest.fixture
def three_plan_scenario() -> Scenario:
    return make_scenario(THREE_PLANS, "  replications: 6\n  max_replications: 6\n  precision: {}")
