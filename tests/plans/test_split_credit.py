"""Split credit of expansion deals (``crediting.upsell_shares`` / ``cross_sell_shares``): one rule,
read by the payout engine (through the compiled credit rule) and by the world's valuation of
CSM work, with the arithmetic written out."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sim.ledger import Event
from sim.plans import compute_payouts
from sim.plans.measures import credits_of
from sim.scenario.plans import Crediting, PlanDesign
from sim.time.calendar import Calendar

CAL = Calendar(1, 36)
YEAR = CAL.period_bounds(0, "year")[1]
FLAT = [{"from_attainment": 0.0, "rate": 0.10}]
AE = {
    "quota": {"measure": "bookings_acv", "annual_amount": 1_000_000},
    "components": [{"name": "commission", "measure": "bookings_acv", "rates": FLAT}],
}
CSM = {
    "components": [
        {"name": "x", "measure": "cross_sell_acv", "rates": [{"from_attainment": 0.0, "rate": 0.05}]}
    ]
}


def design(**crediting: Any) -> PlanDesign:
    return PlanDesign.model_validate({"name": "t", "ae": AE, "csm": CSM, "crediting": crediting})


def cross_sell(amount: float) -> Event:
    return Event(10, "booking", amount=amount, deal=1, customer=1, ae=1, csm=5, deal_kind="cross_sell")


def test_the_engine_pays_each_role_on_its_share() -> None:
    full = design(cross_sell=["ae", "csm"])
    split = design(cross_sell=["ae", "csm"], cross_sell_shares={"ae": 0.5, "csm": 0.3})
    ev = [cross_sell(40_000)]
    # full credit ("paying twice"): AE 40,000 x 10% = 4,000, CSM 40,000 x 5% = 2,000
    assert compute_payouts(ev, full, CAL, start_day=0, end_day=YEAR).by_role() == pytest.approx(
        {"ae": 4_000.0, "csm": 2_000.0}
    )
    # split: AE 20,000 x 10% = 2,000, CSM 12,000 x 5% = 600
    assert compute_payouts(ev, split, CAL, start_day=0, end_day=YEAR).by_role() == pytest.approx(
        {"ae": 2_000.0, "csm": 600.0}
    )


def test_credits_carry_the_share_and_new_logos_are_never_split() -> None:
    c = design(upsell=["ae", "csm"], upsell_shares={"csm": 0.25}).crediting
    up = Event(3, "booking", amount=8_000, deal=2, customer=2, ae=1, csm=5, deal_kind="upsell")
    got = {(x.role, x.measure): x.amount for x in credits_of(up, c)}
    assert got == {
        ("ae", "bookings_acv"): 8_000.0,  # not named: in full
        ("ae", "upsell_acv"): 8_000.0,
        ("csm", "bookings_acv"): 2_000.0,
        ("csm", "upsell_acv"): 2_000.0,
    }
    new = Event(3, "booking", amount=8_000, deal=3, customer=3, ae=1, deal_kind="new")
    assert {x.amount for x in credits_of(new, c)} == {8_000.0}


def test_shares_name_credited_roles_only_and_are_kept_to_a_millionth() -> None:
    with pytest.raises(ValidationError, match="csm is not credited for cross-sell"):
        Crediting.model_validate({"cross_sell": ["ae"], "cross_sell_shares": {"csm": 0.5}})
    c = Crediting.model_validate({"upsell": ["ae", "csm"], "upsell_shares": {"ae": 1 / 3}})
    assert c.share("upsell", "ae") == 0.333333
    assert c.share("upsell", "csm") == 1.0
    assert c.share("cross_sell", "csm") == 0.0  # not credited at all


def test_the_engine_pays_a_multi_year_booking_on_its_contract_years() -> None:
    tcv = {
        **AE,
        "components": [{**AE["components"][0], "multi_year": {"later_year_share": 0.5, "max_years": 3}}],
    }
    p = PlanDesign.model_validate({"name": "t", "ae": tcv})
    ev = [
        Event(10, "booking", amount=50_000, deal=1, customer=1, ae=1, deal_kind="new", term_months=36),
        Event(20, "booking", amount=50_000, deal=2, customer=2, ae=1, deal_kind="new", term_months=12),
        Event(30, "booking", amount=50_000, deal=3, customer=3, ae=1, deal_kind="new", term_months=60),
    ]
    out = compute_payouts(ev, p, CAL, start_day=0, end_day=YEAR)
    # 10% of 50,000 = 5,000 a year; 3 years: 5,000 x (1 + 0.5 x 2) = 10,000; 1 year: 5,000;
    # 5 years counted as 3 (max_years): 10,000
    assert [x.amount for x in out.lines if x.component == "commission"] == pytest.approx(
        [10_000, 5_000, 10_000]
    )
