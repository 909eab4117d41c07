"""Every plan design of the brief's table is expressible in YAML and pays what it says."""

from __future__ import annotations

from typing import Any

import pytest

from sim.ledger import Event
from sim.plans import compute_payouts
from sim.scenario import Scenario
from sim.time.calendar import Calendar

DESIGNS = """
extends: seed-plans.yaml
name: designs
plans:
  - {name: conventional, based_on: conventional}
  - {name: revenue-realization, based_on: revenue-realization}
  - {name: one-step-deeper, based_on: one-step-deeper}
  - {name: clawback, based_on: clawback}
  - {name: cs-nrr-quota, based_on: cs-nrr-quota}
  - {name: pay-twice-cross-sell, based_on: pay-twice-cross-sell}
  - name: upfront-with-spiff
    based_on: conventional
    ae:
      spiffs: [{event: multi_year, amount_usd: 2000, months: 6}]
  - name: deeper-everywhere
    based_on: one-step-deeper
    description: Marketing on closed deals, product on fewer support tickets.
    consultant:
      components:
        - {name: first-year renewals, measure: first_year_renewals, period: year, pays: at_renewal,
           rates: [{from_attainment: 0, rate: 0.02}]}
    marketing:
      base_salary_annual_usd: 110000
      target_variable_annual_usd: 20000
      components:
        - {name: sourced bookings, measure: marketing_sourced_acv, rates: [{from_attainment: 0, rate: 0.02}]}
    product:
      base_salary_annual_usd: 140000
      target_variable_annual_usd: 10000
      components:
        - name: ticket bonus
          kind: bonus
          measure: tickets
          scope: team
          period: quarter
          target_usd: 2500
          target_value: 100
          curve:
            - {attainment: 0.5, payout: 1.5}
            - {attainment: 1.0, payout: 1.0}
            - {attainment: 1.5, payout: 0.0}
  - name: advocacy
    based_on: conventional
    csm:
      base_salary_annual_usd: 85000
      target_variable_annual_usd: 12000
      budget_annual_usd: 5000
      components:
        - name: advocacy quota
          kind: bonus
          measure: references
          period: quarter
          target_usd: 3000
          target_value: 3
          curve: [{attainment: 0, payout: 0}, {attainment: 1, payout: 1}, {attainment: 2, payout: 1.5}]
  - name: cross-sell-csm-only
    based_on: pay-twice-cross-sell
    crediting: {upsell: [csm], cross_sell: [csm]}
"""

CAL = Calendar(2, 24)
AE, CSM, CONS, MKT, PROD = 1, 2, 3, 4, 5


def ledger() -> list[Event]:
    ev = [
        Event(0.0, "hire", role=r, person=p)
        for r, p in (("ae", AE), ("csm", CSM), ("consultant", CONS), ("marketing", MKT), ("product", PROD))
    ]
    common: dict[str, Any] = {"ae": AE, "csm": CSM, "consultant": CONS, "marketer": MKT}
    ev.append(Event(0.0, "book_snapshot", amount=2_000_000, person=CSM, role="csm"))
    ev.append(
        Event(
            10.0,
            "booking",
            amount=100_000,
            deal=1,
            customer=1,
            deal_kind="new",
            source="marketing",
            term_months=24,
            **common,
        )
    )
    ev.append(Event(20.0, "booking", amount=30_000, deal=2, customer=7, deal_kind="cross_sell", **common))
    ev.append(Event(25.0, "booking", amount=20_000, deal=3, customer=8, deal_kind="upsell", **common))
    ev.append(Event(25.0, "arr_upsell", amount=20_000, deal=3, customer=8, deal_kind="upsell", **common))
    ev.append(Event(40.0, "go_live", deal=1, customer=1, **common))
    ev.append(Event(50.0, "reference", customer=9, csm=CSM))
    ev.append(Event(55.0, "reference", customer=10, csm=CSM))
    ev.append(Event(60.0, "tickets", amount=40.0, customer=1))
    ev.append(Event(130.0, "implementation_success", deal=1, customer=1, **common))
    ev.append(Event(375.0, "renewal", amount=100_000, deal=1, customer=1, first_year=True, **common))
    return sorted(ev, key=lambda e: e.day)


@pytest.fixture(scope="module")
def payouts(request: pytest.FixtureRequest) -> dict[str, dict[str, float]]:
    from sim.scenario import load_scenario_text

    root = request.config.rootpath / "scenarios"
    sc: Scenario = load_scenario_text(DESIGNS, name="designs", base_dir=root)
    return {
        p.name: compute_payouts(ledger(), p, CAL, start_day=0, end_day=CAL.end_day).by_component()
        for p in sc.plans
    }


def test_all_designs_validate(payouts: dict[str, dict[str, float]]) -> None:
    assert len(payouts) == 10


def test_upfront_and_spiff(payouts: dict[str, dict[str, float]]) -> None:
    # New 100k + cross-sell 30k credited to the AE (upsell goes to the CSM): 13,000 at 10%.
    assert payouts["conventional"]["ae.commission"] == pytest.approx(13_000.0)
    assert payouts["upfront-with-spiff"]["ae.spiff:multi_year"] == pytest.approx(2_000.0)


def test_one_step_deeper_everywhere(payouts: dict[str, dict[str, float]]) -> None:
    p = payouts["deeper-everywhere"]
    assert p["ae.commission"] == pytest.approx(130_000 * 0.07)
    assert p["ae.implementation success"] == pytest.approx(130_000 * 0.03 * 100 / 130)  # deal 1 only
    assert p["consultant.first-year renewals"] == pytest.approx(100_000 * 0.02)
    assert p["marketing.sourced bookings"] == pytest.approx(100_000 * 0.02)
    # Team tickets in Q1: 40 of a 100 target -> attainment 0.4, flat beyond the first point: 1.5 x 2,500;
    # the other seven quarters have no tickets (attainment 0): 1.5 x 2,500 each.
    assert p["product.ticket bonus"] == pytest.approx(8 * 1.5 * 2_500)


def test_cs_designs(payouts: dict[str, dict[str, float]]) -> None:
    # Advocacy: 2 references of 3 in Q1: curve 2/3 -> 2,000.
    assert payouts["advocacy"]["csm.advocacy quota"] == pytest.approx(2_000.0)
    # NRR: (2,000,000 + 20,000) / 2,000,000 = 1.01 over the first fiscal year; attainment 1.01/1.05.
    share = (1.01 / 1.05 - 0.9) / 0.1
    assert payouts["cs-nrr-quota"]["csm.nrr bonus"] == pytest.approx(20_000 * share)


def test_cross_sell_crediting(payouts: dict[str, dict[str, float]]) -> None:
    ae_only = payouts["conventional"]
    both = payouts["pay-twice-cross-sell"]
    csm_only = payouts["cross-sell-csm-only"]
    assert "csm.cross-sell commission" not in ae_only
    assert both["csm.cross-sell commission"] == pytest.approx(30_000 * 0.05)
    assert both["ae.commission"] == pytest.approx(150_000 * 0.10)  # new + cross-sell + upsell
    assert csm_only["csm.cross-sell commission"] == pytest.approx(30_000 * 0.05)
    assert csm_only["ae.commission"] == pytest.approx(100_000 * 0.10)  # new only
