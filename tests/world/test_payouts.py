"""Payouts of a replication: the incentive policy's live pay state, closed at the end, gives the
same pay as replaying the whole ledger through the payout engine."""

from __future__ import annotations

import pytest

from sim import load_scenario
from sim.plans import compute_payouts
from sim.replication import build_world, run_world
from sim.scenario import with_overrides

SMALL = {
    "company.warmup_years": 1,
    "company.horizon_years": 1,
    "company.segments.smb.starting_customers": 60,
    "company.segments.smb.leads_per_month": 15,
    "company.segments.mid_market.starting_customers": 25,
    "company.segments.mid_market.leads_per_month": 5,
    "company.segments.enterprise.starting_customers": 8,
    "company.segments.enterprise.leads_per_month": 1,
    "company.reps.headcount": 4,
    "company.csms.headcount": 2,
    "company.consultants.headcount": 3,
    "company.marketing.headcount": 1,
}


@pytest.mark.parametrize("plan_index", range(6))
def test_live_pay_state_equals_a_full_replay(scenarios_dir, plan_index: int) -> None:  # type: ignore[no-untyped-def]
    from sim.policy import make_policy

    sc = with_overrides(load_scenario(scenarios_dir / "seed-plans.yaml"), SMALL)
    if plan_index >= len(sc.plans):
        pytest.skip("fewer plans")
    plan = sc.plans[plan_index]
    w = build_world(sc, plan, 1, make_policy(sc, plan.name))
    result = run_world(w, plan)
    replay = compute_payouts(
        w.ledger.events, plan, w.calendar, start_day=w.clock.measure_start, end_day=w.clock.end_day
    )
    assert result.people_pay == pytest.approx(replay.by_person())
    assert result.payouts == pytest.approx(replay.by_component())
