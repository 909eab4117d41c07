"""Every scenario in ``scenarios/`` validates and runs to completion with tiny settings.

The tiny settings shrink the company (a few people, a hundred customers) and the horizon so
that all scenarios together run in well under a minute; they check that each plan design the
library ships is understood by the world and the payout engine end to end, not its numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.scenario import load_scenario

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_FILES = sorted(SCENARIOS_DIR.glob("*.yaml"))
QUESTION_SCENARIOS = (
    "one-step-deeper",
    "revenue-realization",
    "cs-variable-pay",
    "second-order-revenue",
    "cross-sell-crediting",
)

TINY: dict[str, object] = {
    "company.horizon_years": 0.5,
    "company.warmup_years": 0.25,
    "company.reps.headcount": 3,
    "company.csms.headcount": 2,
    "company.consultants.headcount": 1,
    "company.marketing.headcount": 1,
    "company.segments.smb.starting_customers": 40,
    "company.segments.smb.leads_per_month": 10,
    "company.segments.mid_market.starting_customers": 20,
    "company.segments.mid_market.leads_per_month": 6,
    "company.segments.enterprise.starting_customers": 6,
    "company.segments.enterprise.leads_per_month": 2,
    "experiment.max_replications": 2,
    "output.plots": False,
    "output.report": False,
}


def test_library_has_the_question_scenarios() -> None:
    """The five question scenarios and the flagship exist and extend the base company."""
    names = {p.stem for p in SCENARIO_FILES}
    assert {"base-company", "seed-plans", *QUESTION_SCENARIOS} <= names
    for stem in ("seed-plans", *QUESTION_SCENARIOS):
        text = (SCENARIOS_DIR / f"{stem}.yaml").read_text(encoding="utf-8")
        assert "extends: base-company.yaml" in text, stem


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_scenario_validates_with_a_described_question(path: Path) -> None:
    """Each file loads strictly; question scenarios state their question and compare plans."""
    scenario = load_scenario(path)
    assert scenario.plans
    if path.stem in QUESTION_SCENARIOS or path.stem == "seed-plans":
        assert "question" in scenario.description.lower() or path.stem == "seed-plans"
        assert len(scenario.plans) >= 3
        baseline = scenario.experiment.baseline_plan or scenario.plans[0].name
        assert baseline in {p.name for p in scenario.plans}


def test_seed_plans_is_the_flagship() -> None:
    """The flagship compares at least six designs with a precision target on NRR."""
    scenario = load_scenario(SCENARIOS_DIR / "seed-plans.yaml")
    assert len(scenario.plans) >= 6
    assert scenario.experiment.precision.get("nrr") == pytest.approx(0.005)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[p.stem for p in SCENARIO_FILES])
def test_scenario_runs_to_completion_tiny(path: Path) -> None:
    """Two replications of every plan run without failures and report finite core metrics."""
    res = sim.run(path, reps=2, backend="serial", set=TINY)
    assert res.failures == []
    table = res.replications
    plans = [p.name for p in res.scenario.plans]
    assert sorted(table["plan"].unique()) == sorted(plans)
    assert len(table) == 2 * len(plans)
    for metric in ("new_arr", "ending_arr", "payout_cost", "total_comp_cost"):
        values = table[metric].to_numpy(dtype=float)
        assert np.all(np.isfinite(values)), metric
    assert np.all(table["ending_arr"].to_numpy(dtype=float) > 0)
