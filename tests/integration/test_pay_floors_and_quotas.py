"""Draws, guarantees, ramped quotas and the quota ratchet reach behaviour through the one pay
state and kernel: each changes what people do when it changes what a choice pays them, and
leaves the ledger alone when it cannot change a price."""

from __future__ import annotations

import pytest

from sim.replication import simulate
from sim.result import ReplicationResult
from sim.scenario import Scenario, load_scenario_text

SCENARIO = """
extends: base-company.yaml
name: floors-and-quotas
company:
  horizon_years: 1
  warmup_years: 0.25
  segments:
    smb: {starting_customers: 200, leads_per_month: 40}
    mid_market: {starting_customers: 80, leads_per_month: 16}
    enterprise: {starting_customers: 20, leads_per_month: 3}
  reps: {headcount: 6, annual_attrition: ATTRITION}
  csms: {headcount: 3}
  consultants: {headcount: 2}
behaviour:
  # quitting responds to the level of pay; off, so that only decisions can tell the plans apart
  ae: {pay_attrition_sensitivity: 0.0}
plans:
  - name: accelerated
    based_on: conventional
    ae:
      quota: {measure: bookings_acv, annual_amount: 400000}
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.30}]
  - name: guaranteed
    based_on: accelerated
    ae: {draw: {amount_usd: 8000}}
  - name: new-hire-guarantee
    based_on: accelerated
    ae: {draw: {amount_usd: 8000, months: 3}}
  - name: recoverable
    based_on: accelerated
    ae: {draw: {amount_usd: 8000, recoverable: true}}
  - name: ramped
    based_on: accelerated
    ae: {quota: {measure: bookings_acv, annual_amount: 400000, ramp_months: 6}}
  - name: ratcheted
    based_on: accelerated
    ae: {quota: {measure: bookings_acv, annual_amount: 400000, ratchet: 0.8}}
  - name: flat
    based_on: accelerated
    ae:
      components: [{name: commission, measure: bookings_acv, rates: [{from_attainment: 0.0, rate: 0.12}]}]
  - name: flat-ramped-ratcheted
    based_on: flat
    ae: {quota: {measure: bookings_acv, annual_amount: 400000, ramp_months: 6, ratchet: 0.8}}
experiment: {seed: 11, baseline_plan: accelerated}
"""


def _scenario(repo_root, attrition: float) -> Scenario:  # type: ignore[no-untyped-def]
    text = SCENARIO.replace("ATTRITION", str(attrition))
    return load_scenario_text(text, name="floors-and-quotas", base_dir=repo_root / "scenarios")


@pytest.fixture(scope="module")
def hiring(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    """AEs leave and are replaced: there are new hires to ramp and to guarantee."""
    return _scenario(repo_root, 0.6)


@pytest.fixture(scope="module")
def stable(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    """Nobody leaves: everyone is there from the start, past any new-hire rule."""
    return _scenario(repo_root, 0.0)


_RUNS: dict[tuple[str, str], ReplicationResult] = {}


def run(scenario: Scenario, plan: str) -> ReplicationResult:
    key = (str(scenario.company.reps.annual_attrition), plan)
    if key not in _RUNS:
        _RUNS[key] = simulate(scenario, plan, 0, keep_ledger=True)
    return _RUNS[key]


def test_a_guarantee_that_binds_tops_pay_up_and_blunts_the_incentive(hiring: Scenario) -> None:
    # below the floor a deal is worth only what lifts pay above it: AEs sell less
    a, g = run(hiring, "accelerated"), run(hiring, "guaranteed")
    assert g.payouts["ae.draw"] > 0
    assert g.metrics["new_arr"] < a.metrics["new_arr"]
    assert a.ledger != g.ledger


def test_new_hire_rules_change_nothing_when_nobody_is_new(stable: Scenario) -> None:
    a = run(stable, "accelerated")
    for plan in ("new-hire-guarantee", "ramped"):
        b = run(stable, plan)
        assert a.ledger == b.ledger, plan
        assert a.metrics["payout_cost_ae"] == b.metrics["payout_cost_ae"], plan


def test_a_ramped_quota_changes_new_hires_pay_and_choices(hiring: Scenario) -> None:
    a, r = run(hiring, "accelerated"), run(hiring, "ramped")
    assert r.metrics["payout_cost_ae"] != a.metrics["payout_cost_ae"]
    assert a.ledger != r.ledger  # a smaller quota reaches the accelerator sooner: deals are worth more


def test_a_recoverable_draw_never_written_off_moves_pay_but_not_choices(hiring: Scenario) -> None:
    # every dollar earned below the draw repays the advance: a credit is worth its pay, as without
    a, d = run(hiring, "accelerated"), run(hiring, "recoverable")
    assert d.payouts["ae.draw"] != 0.0
    assert a.ledger == d.ledger


def test_a_quota_ratchet_costs_overperformers_and_changes_their_choices(hiring: Scenario) -> None:
    a, r = run(hiring, "accelerated"), run(hiring, "ratcheted")
    assert r.metrics["payout_cost_ae"] < a.metrics["payout_cost_ae"]
    assert a.ledger != r.ledger


def test_ramps_and_ratchets_change_nothing_where_pay_does_not_read_the_quota(hiring: Scenario) -> None:
    # a flat rate pays the same whatever the quota: same prices, same choices, same pay
    a, b = run(hiring, "flat"), run(hiring, "flat-ramped-ratcheted")
    assert a.ledger == b.ledger
    assert b.metrics["payout_cost_ae"] == pytest.approx(a.metrics["payout_cost_ae"], rel=1e-12)
