"""CSM and consultant talent (issue 19, item 4): departures, vacancy, backfill and ramp of a bench
of seats (``sim/world/talent.py``), and attrition that follows realised against on-target pay,
end to end through the world."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.replication import simulate
from sim.scenario import Scenario, load_scenario_text, with_overrides
from sim.world.services import CountingEnvironment
from sim.world.talent import Bench


class _Staff:
    """Hires and departures, recorded (the world's ``Staff`` numbers people from 100 here)."""

    def __init__(self) -> None:
        self.left: list[tuple[str, int]] = []
        self.hired: list[tuple[str, float]] = []

    def leave(self, role: str, person: int) -> None:
        self.left.append((role, person))

    def hire(self, role: str, now: float) -> int:
        self.hired.append((role, now))
        return 100 + len(self.hired)


def _bench(multiplier: float, annual: float = 0.5, ramp: float = 30.0) -> tuple[Bench, Any, _Staff]:
    env = CountingEnvironment()
    clock = SimpleNamespace(env=env, end_day=1000.0)
    staff = _Staff()

    def attrition(role: str, persons: np.ndarray, day: float) -> np.ndarray:
        return np.full(len(persons), multiplier)

    bench = Bench(staff, clock, attrition, "csm", [1, 2, 3, 4], annual, 20.0, ramp)  # type: ignore[arg-type]
    return bench, env, staff


def test_a_departure_leaves_the_seat_vacant_until_backfill_then_the_hire_ramps() -> None:
    bench, env, staff = _bench(1.0)
    base = 1.0 - (1.0 - 0.5) ** (1.0 / 12.0)
    u = np.array([base - 1e-9, base + 1e-9, 0.99, base / 2])  # seats 0 and 3 leave
    told: list[tuple[int, int]] = []
    bench.left = lambda seat, person: told.append((seat, person))
    bench.monthly(u)
    assert staff.left == [("csm", 1), ("csm", 4)] and told == [(0, 1), (3, 4)]
    assert bench.vacancy() == pytest.approx(0.5)
    assert bench.strength(0.0).tolist() == [0.0, 1.0, 1.0, 0.0]
    env.run(until=20.0 + 1e-9)  # backfill_days later the seats are refilled by new hires
    assert bench.people == [101, 2, 3, 102] and bench.vacancy() == 0.0
    assert bench.strength(35.0).tolist() == pytest.approx([0.5, 1.0, 1.0, 0.5])  # 15 of 30 ramp days
    assert bench.strength(80.0).tolist() == [1.0, 1.0, 1.0, 1.0]


def test_the_pay_multiplier_scales_the_hazard_and_no_baseline_means_nobody_leaves() -> None:
    base = 1.0 - (1.0 - 0.5) ** (1.0 / 12.0)
    u = np.full(4, 1.5 * base)  # above the baseline hazard, below twice it
    calm, _, calm_staff = _bench(1.0)
    calm.monthly(u)
    assert calm_staff.left == []
    unhappy, _, unhappy_staff = _bench(2.0)  # paid well below target: twice the hazard
    unhappy.monthly(u)
    assert len(unhappy_staff.left) == 4
    off, _, off_staff = _bench(2.0, annual=0.0)
    off.monthly(np.zeros(4))
    assert not off.on and off_staff.left == []


SMALL = """
extends: base-company.yaml
name: talent
company:
  horizon_years: 2
  warmup_years: 0.5
  segments:
    smb: {starting_customers: 300, leads_per_month: 40}
    mid_market: {starting_customers: 150, leads_per_month: 20}
    enterprise: {starting_customers: 40, leads_per_month: 4}
  reps: {headcount: 10}
  csms: {headcount: 24, annual_attrition: 0.25}
  consultants: {headcount: 2, concurrent_projects: 4}
plans:
  - name: csm-paid-as-targeted
    description: CSMs 80/20 on a book-GRR bonus whose target every book meets
    based_on: conventional
    csm:
      base_salary_annual_usd: 80000
      target_variable_annual_usd: 20000
      components:
        - {name: retention, kind: bonus, measure: book_grr, period: year, pays: at_renewal,
           target_usd: 20000, target_value: 0.5,
           curve: [{attainment: 0.0, payout: 1.0}, {attainment: 1.0, payout: 1.0}]}
  - name: csm-target-out-of-reach
    description: the same 80/20 split, the bonus paying only at a book GRR no book reaches
    based_on: csm-paid-as-targeted
    csm:
      components:
        - {name: retention, kind: bonus, measure: book_grr, period: year, pays: at_renewal,
           target_usd: 20000, target_value: 2.0,
           curve: [{attainment: 0.99, payout: 0.0}, {attainment: 1.0, payout: 1.0}]}
experiment:
  replications: 16
  baseline_plan: csm-paid-as-targeted
"""


@pytest.fixture(scope="module")
def talent() -> Scenario:
    from pathlib import Path

    return load_scenario_text(
        SMALL, name="talent", base_dir=Path(__file__).resolve().parents[2] / "scenarios"
    )


def test_csms_paid_below_target_leave_more_and_not_when_pay_does_not_matter(talent: Scenario) -> None:
    """Paired over 16 replications: a CSM plan whose variable cannot be earned raises CSM attrition
    (one-sided paired t-test at 5%); with ``pay_attrition_sensitivity`` 0 the two plans lose
    exactly the same CSMs."""
    reps = range(16)
    a = np.array([simulate(talent, "csm-paid-as-targeted", r).metrics["attrition_csm"] for r in reps])
    b = np.array([simulate(talent, "csm-target-out-of-reach", r).metrics["attrition_csm"] for r in reps])
    d = b - a
    assert d.mean() > 0, d
    assert stats.ttest_1samp(d, 0.0, alternative="greater").pvalue < 0.05, d
    calm = with_overrides(talent, {"behaviour.csm.pay_attrition_sensitivity": 0.0})
    for r in (0, 1):
        x = simulate(calm, "csm-paid-as-targeted", r).metrics
        y = simulate(calm, "csm-target-out-of-reach", r).metrics
        assert x["attrition_csm"] == y["attrition_csm"]
        assert x["vacancy_csm"] == y["vacancy_csm"]
