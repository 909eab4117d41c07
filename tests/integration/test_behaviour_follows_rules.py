"""Behaviour follows the plan's rules, end to end through the world (issue 4, "Must show").

A small company and the incentive policy (``sim.policy.make_policy``, the world's default).
Directional findings are checked on paired differences over replications under common random
numbers: the mean difference must have the expected sign and a one-sided paired t-test must
reject "no effect" at 5%. Each plan below differs from its comparison only in the rule tested.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.replication import simulate
from sim.scenario import Scenario, load_scenario_text, with_overrides

SMALL = """
extends: base-company.yaml
name: rules
company:
  horizon_years: 2
  warmup_years: 0.5
  segments:
    smb: {starting_customers: 300, leads_per_month: 40}
    mid_market: {starting_customers: 150, leads_per_month: 20}
    enterprise: {starting_customers: 40, leads_per_month: 4}
  reps: {headcount: 10}
  csms: {headcount: 5}
  consultants: {headcount: 2, concurrent_projects: 4}
behaviour:
  # a small effort cost of deviating from the normal pace, so that the consultant plans'
  # incentives are visible in a few replications (the default is 0.05 $k per day)
  consultant: {effort_cost_kusd_per_day: 0.005}
plans:
  - name: flat
    based_on: conventional
    ae:
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.10}]
  - name: accelerated
    description: the flat plan plus a steep accelerator above a quarterly quota
    based_on: flat
    ae:
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.40}]
  - name: clawback
    description: the flat plan, clawed back in full when the customer churns within a year
    based_on: flat
    ae:
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.10}]
          clawback: {window_days: 365, share: 1.0, triggers: [churn]}
  - name: per-go-live
    based_on: flat
    consultant:
      target_variable_annual_usd: 30000
      components:
        - {name: go-lives, measure: go_lives, period: quarter, pays: at_go_live,
           rates: [{from_attainment: 0.0, rate: 1500}]}
  - name: on-renewal
    based_on: flat
    consultant:
      target_variable_annual_usd: 30000
      components:
        - {name: renewals, measure: first_year_renewals, period: year, pays: at_renewal,
           rates: [{from_attainment: 0.0, rate: 0.10}]}
  - name: flat-product-bonus
    description: the flat plan plus a product bonus on tickets (a role with no decisions)
    based_on: flat
    product:
      target_variable_annual_usd: 20000
      components:
        - {name: tickets, kind: bonus, measure: tickets, period: year, pays: on_booking,
           target_usd: 20000, target_value: 5000,
           curve: [{attainment: 0.5, payout: 1.5}, {attainment: 1.5, payout: 0.0}]}
  - name: flat-ae-ticket-rate
    description: the flat plan plus an AE rate on a measure AEs cannot move (tickets)
    based_on: flat
    ae:
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.10}]
        - name: tickets
          measure: tickets
          scope: team
          rates: [{from_attainment: 0.0, rate: 5}]
experiment: {seed: 7, baseline_plan: flat}
"""

PAY_METRICS = (
    "payout_cost", "total_comp_cost", "cost_of_sales", "cac", "crc", "cec", "cuc",
    "ote_attainment", "pay_spread",
)  # fmt: skip
"""Metrics of pay (what a plan pays, not what people do): they differ between plans whatever the behaviour."""


@pytest.fixture(scope="module")
def rules(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    return load_scenario_text(SMALL, name="rules", base_dir=repo_root / "scenarios")


def _paired(scenario: Scenario, a: str, b: str, metric: str, reps: int) -> np.ndarray:
    """Per-replication differences ``b - a`` of a metric."""
    return np.array(
        [
            simulate(scenario, b, k).metrics[metric] - simulate(scenario, a, k).metrics[metric]
            for k in range(reps)
        ]
    )


def _assert_direction(diffs: np.ndarray, sign: int, what: str) -> None:
    d = sign * diffs
    assert d.mean() > 0, f"{what}: expected sign {sign:+d}, mean difference {diffs.mean():.5g}"
    p = stats.ttest_1samp(d, 0.0, alternative="greater").pvalue
    assert p < 0.05, f"{what}: paired differences {diffs} not significant (p={p:.3f})"


def _non_pay(metrics: dict[str, float]) -> dict[str, float]:
    return {
        k: v
        for k, v in metrics.items()
        if not any(k.startswith(p) for p in PAY_METRICS) and not k.startswith("payout")
    }


def test_lambda_zero_gives_identical_behaviour_across_plans(rules: Scenario) -> None:
    s = with_overrides(rules, {"behaviour.rationality_per_kusd": 0.0})
    for plan in ("accelerated", "clawback", "per-go-live"):
        a = simulate(s, "flat", 0, keep_ledger=True)
        b = simulate(s, plan, 0, keep_ledger=True)
        assert a.ledger == b.ledger, plan
        assert _non_pay(a.metrics) == pytest.approx(_non_pay(b.metrics), nan_ok=True), plan
        assert a.metrics["payout_cost"] != b.metrics["payout_cost"], plan


@pytest.mark.parametrize("plan", ["flat-product-bonus", "flat-ae-ticket-rate"])
def test_choices_change_only_with_own_expected_pay(rules: Scenario, plan: str) -> None:
    # Another role's rates (product has no decisions) or a rate on a measure the AE cannot
    # move leave every choice, and so the whole ledger, identical; only pay differs.
    # Rep attrition responds to the level of realised pay (a rate on tickets raises it), so
    # that response is switched off here: the claim is about decisions, not about quitting.
    s = with_overrides(rules, {"behaviour.ae.pay_attrition_sensitivity": 0.0})
    a = simulate(s, "flat", 1, keep_ledger=True)
    b = simulate(s, plan, 1, keep_ledger=True)
    assert a.ledger == b.ledger
    if plan == "flat-product-bonus":  # the product bonus is paid: the plans really differ
        assert a.metrics["payout_cost_product"] != b.metrics["payout_cost_product"]


def test_incentives_do_change_behaviour(rules: Scenario) -> None:
    # the converse, so the identities above cannot pass by the policy ignoring plans
    a = simulate(rules, "flat", 1, keep_ledger=True)
    b = simulate(rules, "accelerated", 1, keep_ledger=True)
    assert a.ledger != b.ledger


@pytest.mark.slow
def test_convex_accelerator_bunches_closes_at_quarter_end_with_deeper_discounts(
    rules: Scenario,
) -> None:
    _assert_direction(
        _paired(rules, "flat", "accelerated", "period_end_share", 6),
        +1,
        "share of new ACV closed in the last two weeks of a quarter",
    )
    _assert_direction(
        _paired(rules, "flat", "accelerated", "period_end_discount", 6),
        +1,
        "mean discount of deals closed in the last two weeks of a quarter",
    )


@pytest.mark.slow
def test_clawback_on_early_churn_lowers_poor_fit_share(rules: Scenario) -> None:
    _assert_direction(
        _paired(rules, "flat", "clawback", "poor_fit_share", 16), -1, "share of new logos with poor fit"
    )


@pytest.mark.slow
def test_go_live_pay_shortens_implementations_and_lowers_quality(rules: Scenario) -> None:
    _assert_direction(
        _paired(rules, "on-renewal", "per-go-live", "implementation_quality", 10),
        -1,
        "implementation quality, per go-live vs on first-year renewal",
    )
    _assert_direction(
        _paired(rules, "on-renewal", "per-go-live", "implementation_days_mean", 10),
        -1,
        "implementation duration, per go-live vs on first-year renewal",
    )
