"""New plan rules reach behaviour through the one pricing kernel: an attainment cap changes what
people do when it changes their pay, and changes nothing when it never binds."""

from __future__ import annotations

import pytest

from sim.replication import simulate
from sim.scenario import Scenario, load_scenario_text

SMALL = """
extends: base-company.yaml
name: plan-features
company:
  horizon_years: 1
  warmup_years: 0.25
  segments:
    smb: {starting_customers: 200, leads_per_month: 40}
    mid_market: {starting_customers: 80, leads_per_month: 16}
    enterprise: {starting_customers: 20, leads_per_month: 3}
  reps: {headcount: 6}
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
  - name: capped-never-binds
    based_on: accelerated
    ae:
      components:
        - name: commission
          measure: bookings_acv
          cap_attainment: 1000.0
          cap_share_of_ote: 1000.0
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.30}]
  - name: capped-at-quota
    based_on: accelerated
    ae:
      components:
        - name: commission
          measure: bookings_acv
          cap_attainment: 1.0
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.30}]
experiment: {seed: 11, baseline_plan: accelerated}
"""


@pytest.fixture(scope="module")
def features(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    return load_scenario_text(SMALL, name="plan-features", base_dir=repo_root / "scenarios")


def test_a_cap_that_never_binds_changes_nothing(features: Scenario) -> None:
    a = simulate(features, "accelerated", 0, keep_ledger=True)
    b = simulate(features, "capped-never-binds", 0, keep_ledger=True)
    assert a.ledger == b.ledger
    assert a.metrics["payout_cost"] == b.metrics["payout_cost"]


def test_an_attainment_cap_at_quota_changes_pay_and_behaviour(features: Scenario) -> None:
    a = simulate(features, "accelerated", 0, keep_ledger=True)
    b = simulate(features, "capped-at-quota", 0, keep_ledger=True)
    assert b.metrics["payout_cost_ae"] < a.metrics["payout_cost_ae"]  # pay above quota is gone
    assert a.ledger != b.ledger  # and AEs decide differently: their valuation uses the same kernel


SPLIT = """
extends: base-company.yaml
name: split-credit
company:
  horizon_years: 1
  warmup_years: 0.25
  segments:
    smb: {starting_customers: 200, leads_per_month: 30}
    mid_market: {starting_customers: 80, leads_per_month: 12}
    enterprise: {starting_customers: 20, leads_per_month: 2}
  reps: {headcount: 6}
  csms: {headcount: 3}
  consultants: {headcount: 2}
behaviour:
  ae: {pay_attrition_sensitivity: 0.0}
plans:
  - name: full
    based_on: conventional
    csm:
      base_salary_annual_usd: 85000
      target_variable_annual_usd: 15000
      components:
        - {name: cross-sell commission, measure: cross_sell_acv, rates: [{from_attainment: 0.0, rate: 0.05}]}
    crediting: {upsell: [ae, csm], cross_sell: [ae, csm]}
  - name: csm-share
    based_on: full
    crediting: {cross_sell_shares: {csm: 0.2}}
  - name: ae-share
    based_on: full
    crediting: {cross_sell_shares: {ae: 0.2}}
experiment: {seed: 5, baseline_plan: full}
"""


@pytest.fixture(scope="module")
def split(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    return load_scenario_text(SPLIT, name="split-credit", base_dir=repo_root / "scenarios")


def test_a_split_changes_the_work_of_the_role_whose_pay_it_changes(split: Scenario) -> None:
    full = simulate(split, "full", 0, keep_ledger=True)
    csm = simulate(split, "csm-share", 0, keep_ledger=True)
    assert csm.metrics["payout_cost_csm"] < full.metrics["payout_cost_csm"]
    assert full.ledger != csm.ledger  # CSMs value cross-sell work at a fifth: they spend time elsewhere


def test_a_split_of_another_roles_credit_leaves_the_work_alone(split: Scenario) -> None:
    # AEs make no choice that their cross-sell share prices (and their quitting is switched off)
    full = simulate(split, "full", 0, keep_ledger=True)
    ae = simulate(split, "ae-share", 0, keep_ledger=True)
    assert ae.metrics["payout_cost_ae"] < full.metrics["payout_cost_ae"]
    assert full.ledger == ae.ledger


MULTI_YEAR = """
extends: base-company.yaml
name: multi-year
company:
  horizon_years: 1
  warmup_years: 0.25
  segments:
    smb: {starting_customers: 200, leads_per_month: 30}
    mid_market: {starting_customers: 80, leads_per_month: 12, contract_term_months: 36}
    enterprise: {starting_customers: 20, leads_per_month: 2, contract_term_months: 36}
  reps: {headcount: 6}
  csms: {headcount: 3}
  consultants: {headcount: 2}
behaviour:
  ae: {pay_attrition_sensitivity: 0.0}
plans:
  - name: acv
    based_on: conventional
    ae:
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.15}]
  - name: tcv
    based_on: acv
    ae:
      components:
        - name: commission
          measure: bookings_acv
          multi_year: {later_year_share: 0.5, max_years: 3}
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.15}]
  - name: tcv-one-year
    based_on: acv
    ae:
      components:
        - name: commission
          measure: bookings_acv
          multi_year: {later_year_share: 0.5, max_years: 1}
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.15}]
experiment: {seed: 3, baseline_plan: acv}
"""


@pytest.fixture(scope="module")
def multi_year(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    return load_scenario_text(MULTI_YEAR, name="multi-year", base_dir=repo_root / "scenarios")


def test_pay_on_contract_years_changes_pay_and_deals(multi_year: Scenario) -> None:
    acv = simulate(multi_year, "acv", 0, keep_ledger=True)
    tcv = simulate(multi_year, "tcv", 0, keep_ledger=True)
    assert tcv.metrics["payout_cost_ae"] > acv.metrics["payout_cost_ae"]
    assert acv.ledger != tcv.ledger  # AEs value three-year deals at twice the pay: they choose otherwise


def test_a_multi_year_rule_that_counts_one_year_changes_nothing(multi_year: Scenario) -> None:
    acv = simulate(multi_year, "acv", 0, keep_ledger=True)
    one = simulate(multi_year, "tcv-one-year", 0, keep_ledger=True)
    assert acv.ledger == one.ledger
    assert acv.metrics["payout_cost_ae"] == one.metrics["payout_cost_ae"]
