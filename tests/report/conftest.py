"""Shared fixtures of the report tests: results folders from tiny real runs (serial backend)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.report import write_report

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

TINY: dict[str, object] = {
    "company.horizon_years": 1,
    "company.warmup_years": 0,
    "company.segments.smb.starting_customers": 100,
    "company.segments.mid_market.starting_customers": 50,
    "company.segments.enterprise.starting_customers": 20,
    "company.segments.smb.leads_per_month": 20,
    "company.segments.mid_market.leads_per_month": 8,
    "company.segments.enterprise.leads_per_month": 2,
    "company.reps.headcount": 5,
    "company.csms.headcount": 3,
    "company.consultants.headcount": 2,
    "experiment.max_replications": 2,
}
"""Overrides shrinking the base company to a few hundred customers and one measured year."""


@pytest.fixture
def tiny() -> dict[str, object]:
    """A copy of :data:`TINY` for a test to extend."""
    return dict(TINY)


@pytest.fixture
def scenarios() -> Path:
    """The repository's scenarios folder."""
    return SCENARIOS


def tiny_run(scenario: str, out: Path) -> sim.Results:
    """Run a scenario file with the tiny company, 2 replications per plan, into ``out``."""
    return sim.run(SCENARIOS / scenario, reps=2, backend="serial", out=out, set=dict(TINY))


@pytest.fixture(scope="session")
def seed_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder of scenarios/seed-plans.yaml (six plans) with its report written."""
    out = tmp_path_factory.mktemp("report") / "seed-plans"
    res = tiny_run("seed-plans.yaml", out)
    write_report(out, res)
    return out


@pytest.fixture(scope="session")
def single_plan_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder of scenarios/base-company.yaml (one plan) with its report written from disk."""
    out = tmp_path_factory.mktemp("report") / "base-company"
    tiny_run("base-company.yaml", out)
    write_report(out)
    return out
