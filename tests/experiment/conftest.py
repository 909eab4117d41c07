"""Shared fixtures of the experiment tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sim.scenario import Scenario, load_scenario_text

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
HERE = Path(__file__).resolve().parent


def make_scenario(plans: str, experiment: str = "", extra: str = "") -> Scenario:
    """A scenario extending base-company.yaml with the given plans and experiment YAML blocks."""
    text = f"extends: base-company.yaml\nname: test-exp\nplans:\n{plans}\n"
    if experiment:
        text += f"experiment:\n{experiment}\n"
    text += extra
    return load_scenario_text(text, "test.yaml", base_dir=SCENARIOS)


THREE_PLANS = """\
  - name: conventional
    based_on: conventional
  - name: richer
    based_on: conventional
    ae: {base_salary_annual_usd: 110000}
  - name: leaner
    based_on: conventional
    ae: {base_salary_annual_usd: 90000}
"""


@pytest.fixture
def scenario_factory() -> Callable[..., Scenario]:
    return make_scenario


@pytest.fixture
def three_plan_scenario() -> Scenario:
    return make_scenario(THREE_PLANS, "  replications: 6\n  max_replications: 6\n  precision: {}")
