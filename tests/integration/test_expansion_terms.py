"""Licence stuffing and close timing on expansion deals follow the credited person's pay (issue 19,
item 7).

The small company of ``test_behaviour_follows_rules`` with an over-commitment choice on expansion
deals (``behaviour.ae.expansion_overcommit_options``). Whoever the crediting rules name decides:
an AE paid on bookings over-commits cross-sells, one paid on new logos only does not; a CSM paid
on upsell ACV over-commits upsells; with ``behaviour.ae.expansion_timing`` an AE with an accelerator
on bookings moves cross-sell closes to quarter ends. Paired one-sided tests over replications.
"""

from __future__ import annotations

import pytest

from sim.replication import simulate
from sim.scenario import Scenario, load_scenario_text, with_overrides
from tests.integration.test_behaviour_follows_rules import SMALL, _assert_direction, _paired

PLANS = """
  - name: new-logos-only
    description: AEs paid on new logos only; cross-sells credited to them earn nothing
    based_on: flat
    ae:
      components:
        - name: commission
          measure: new_logo_acv
          rates: [{from_attainment: 0.0, rate: 0.10}]
  - name: accelerated-new-logos
    description: the accelerated plan on new logos only (cross-sells credited to AEs earn nothing)
    based_on: flat
    ae:
      components:
        - name: commission
          measure: new_logo_acv
          rates: [{from_attainment: 0.0, rate: 0.10}, {from_attainment: 1.0, rate: 0.40}]
  - name: csm-on-upsell
    description: the flat plan, CSMs paid 10% of the upsell ACV credited to them
    based_on: flat
    csm:
      target_variable_annual_usd: 12000
      components:
        - {name: upsell, measure: upsell_acv, rates: [{from_attainment: 0.0, rate: 0.10}]}
"""


@pytest.fixture(scope="module")
def stuffing(repo_root) -> Scenario:  # type: ignore[no-untyped-def]
    text = SMALL.replace("experiment:", PLANS.lstrip("\n") + "experiment:")
    s = load_scenario_text(text, name="stuffing", base_dir=repo_root / "scenarios")
    return with_overrides(s, {"behaviour.ae.expansion_overcommit_options": [0.0, 0.5]})


def test_pay_on_cross_sell_bookings_buys_overcommitted_cross_sells(stuffing: Scenario) -> None:
    _assert_direction(
        _paired(stuffing, "new-logos-only", "flat", "expansion_overcommit_share", 4),
        +1,
        "share of expansion ACV beyond need, AE paid on bookings vs on new logos only",
    )


@pytest.mark.slow
def test_stuffed_licences_are_trued_down_at_renewal(stuffing: Scenario) -> None:
    # the shelfware comes back as contraction when the customer renews on what it uses
    _assert_direction(
        _paired(stuffing, "new-logos-only", "flat", "contraction_usd", 10), +1, "contraction at renewal"
    )


def test_without_pay_on_what_expansions_credit_nobody_overcommits(stuffing: Scenario) -> None:
    for k in range(2):
        m = simulate(stuffing, "new-logos-only", k).metrics
        assert m["expansion_overcommit_share"] == 0.0
    # and the choice changes nothing when there is one option: the world is the model without it
    one = with_overrides(stuffing, {"behaviour.ae.expansion_overcommit_options": [0.0]})
    none = with_overrides(stuffing, {"behaviour.ae.expansion_overcommit_options": []})
    a = simulate(one, "flat", 0, keep_ledger=True)
    b = simulate(none, "flat", 0, keep_ledger=True)
    assert a.ledger == b.ledger
    assert a.metrics["expansion_overcommit_share"] == 0.0


def test_a_csm_paid_on_upsell_overcommits_upsells(stuffing: Scenario) -> None:
    _assert_direction(
        _paired(stuffing, "flat", "csm-on-upsell", "expansion_overcommit_share", 4),
        +1,
        "share of expansion ACV beyond need, CSM paid on upsell vs not",
    )


TIMING = {
    "behaviour.ae.expansion_timing": True,
    # more cross-sells than the base company, so a few replications resolve the quarter-end shift
    "company.segments.smb.cross_sell_opportunities_per_year": 0.4,
    "company.segments.mid_market.cross_sell_opportunities_per_year": 0.6,
    "company.segments.enterprise.cross_sell_opportunities_per_year": 1.0,
}


@pytest.mark.slow
def test_an_accelerator_on_cross_sell_bookings_moves_cross_sells_to_quarter_ends(stuffing: Scenario) -> None:
    s = with_overrides(stuffing, {**TIMING, "behaviour.ae.expansion_overcommit_options": []})
    _assert_direction(
        _paired(s, "accelerated-new-logos", "accelerated", "expansion_period_end_share", 10),
        +1,
        "quarter-end share of expansion ACV, accelerator on bookings vs on new logos only",
    )


def test_without_pay_on_cross_sells_no_close_is_moved(stuffing: Scenario) -> None:
    base = with_overrides(stuffing, {"behaviour.ae.expansion_overcommit_options": []})
    on = with_overrides(base, TIMING)
    off = with_overrides(on, {"behaviour.ae.expansion_timing": False})
    a = simulate(on, "accelerated-new-logos", 0, keep_ledger=True)
    b = simulate(off, "accelerated-new-logos", 0, keep_ledger=True)
    assert a.ledger == b.ledger
