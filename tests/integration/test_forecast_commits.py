"""Forecast commits follow the AE's pay (issue 19, item 7).

The small company of ``test_behaviour_follows_rules`` whose AEs commit a forecast each quarter
(``behaviour.ae.forecast_commit_options``) with the optimism of sales forecasts as the neutral
commit (1.3 x the honest expectation). A bonus that falls with the miss (``forecast_miss_usd``)
moves commits toward the expectation (paired, one-sided); with no pay on the miss, or with
incentives ignored, commits stay where they were. The forecast error itself falls little here (a
rep's quarter in this small company misses its expectation by about 60% either way; 30 paired
replications do not resolve it: docs/model.md, "Forecast commits").
"""

from __future__ import annotations

import pytest

from sim.replication import simulate
from sim.scenario import Scenario, load_scenario_text, with_overrides
from tests.integration.test_behaviour_follows_rules import SMALL, _assert_direction, _paired

PLANS = """
  - name: flat-forecast-bonus
    description: the flat plan plus a quarterly bonus that falls with the forecast miss
    based_on: flat
    ae:
      components:
        - name: commission
          measure: bookings_acv
          rates: [{from_attainment: 0.0, rate: 0.10}]
        - name: forecast accuracy
          kind: bonus
          measure: forecast_miss_usd
          period: quarter
          target_usd: 10000
          target_value: 50000
          curve:
            - {attainment: 0.0, payout: 2.0}
            - {attainment: 1.0, payout: 1.0}
            - {attainment: 2.0, payout: 0.0}
"""
COMMITS = {
    "behaviour.ae.forecast_commit_options": [1.0, 1.15, 1.3],
    "behaviour.ae.neutral_forecast_commit": 1.3,
    "company.costs.forecast_error_cost_per_usd": 0.1,
}


@pytest.fixture(scope="module")
def forecasting(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    text = SMALL.replace("experiment:", PLANS.lstrip("\n") + "experiment:")
    s = load_scenario_text(text, name="forecasting", base_dir=repo_root / "scenarios")
    return with_overrides(s, COMMITS)


def test_pay_on_forecast_accuracy_moves_commits_to_the_expectation(forecasting: Scenario) -> None:
    d = _paired(forecasting, "flat", "flat-forecast-bonus", "forecast_commit_ratio", 6)
    _assert_direction(d, -1, "forecast commits over bookings, paid on accuracy vs not")


def test_without_pay_on_the_miss_commits_stay_at_the_neutral(forecasting: Scenario) -> None:
    m = simulate(forecasting, "flat", 0).metrics
    # every commit is 1.3 x the expectation: the error is what that optimism gives, and it is priced
    assert m["forecast_error_usd"] > 0
    assert m["forecast_error_cost_usd"] == pytest.approx(0.1 * m["forecast_error_usd"])
    s0 = with_overrides(forecasting, {"behaviour.rationality_per_kusd": 0.0})
    a = simulate(s0, "flat", 0, keep_ledger=True)
    b = simulate(s0, "flat-forecast-bonus", 0, keep_ledger=True)
    assert a.ledger == b.ledger


def test_no_commit_options_no_forecast(forecasting: Scenario) -> None:
    s = with_overrides(forecasting, {"behaviour.ae.forecast_commit_options": []})
    m = simulate(s, "flat-forecast-bonus", 0).metrics
    assert m["forecast_error_usd"] != m["forecast_error_usd"]  # NaN: nothing committed
