"""What a credit is worth under a draw, a guarantee, a ramped quota and a quota ratchet: the
valuation reads the same rules as the payout engine, at the pay state (hand arithmetic)."""

from __future__ import annotations

from typing import Any

import pytest

from sim.ledger import Event
from sim.plans import PayState
from sim.policy.decisions import MeasureOutcome
from sim.policy.valuation import value_outcome
from sim.scenario.plans import PlanDesign
from sim.time.calendar import Calendar

CAL = Calendar(1, 36)  # 2025: Jan 0, Feb 31, Mar 59, Apr 90, May 120, ..., Jul 181, Oct 273
FLAT = [{"from_attainment": 0.0, "rate": 0.10}]
STEEP = [{"from_attainment": 0.0, "rate": 0.10}, {"from_attainment": 1.0, "rate": 0.30}]


def plan(quota: dict[str, Any] | None = None, rates: list[dict[str, float]] = FLAT, **ae: Any) -> PlanDesign:
    comp: dict[str, Any] = {"name": "commission", "measure": "bookings_acv", "rates": rates}
    comp.update(ae.pop("comp", {}))
    role: dict[str, Any] = {"components": [comp], **ae}
    if quota is not None:
        role["quota"] = {"measure": "bookings_acv", "annual_amount": 1_000_000, **quota}
    return PlanDesign.model_validate({"name": "t", "ae": role})


def state(p: PlanDesign, hired: float, bookings: list[tuple[float, float]]) -> PayState:
    s = PayState(p, CAL)
    s.observe(Event(hired, "hire", role="ae", person=1))
    for i, (day, amount) in enumerate(bookings):
        s.observe(Event(day, "booking", amount=amount, deal=i, customer=i, ae=1, deal_kind="new"))
    return s


def value(s: PayState, amount: float, day: float, **outcome: Any) -> float:
    return value_outcome(s, "ae", 1, day, MeasureOutcome("bookings_acv", amount, **outcome), 0.0)[0]


# ---------------------------------------------------------------------- guarantees and draws
GUARANTEE = {"amount_usd": 5_000, "months": 3}


def test_under_a_guarantee_a_credit_is_worth_only_what_lifts_pay_above_the_floor() -> None:
    # Hired on day 45 with a $5,000 monthly guarantee for 3 months; 3,000 earned in February.
    s = state(plan(draw=GUARANTEE), 45.0, [(50.0, 30_000)])
    # February (due 5,000 x 14/28 = 2,500): already above the floor, 1,000 is worth 1,000.
    assert value(s, 10_000, 52.0) == pytest.approx(1_000.0)
    # April (nothing earned, due 5,000): 1,000 is worth nothing; 6,000 is worth 1,000.
    assert value(s, 10_000, 95.0) == pytest.approx(0.0)
    assert value(s, 60_000, 95.0) == pytest.approx(1_000.0)
    # The same credit pushed into June, past the guarantee, is worth its pay again.
    assert value(s, 10_000, 95.0, delay_days=70) == pytest.approx(1_000.0)
    # Pay released later (at go-live) is not netted against this period's floor.
    late = state(plan(draw=GUARANTEE, comp={"pays": "at_go_live"}), 45.0, [])
    assert value(late, 10_000, 95.0, go_live_delay_days=10) == pytest.approx(1_000.0)


def test_a_recoverable_draw_keeps_the_value_of_a_credit_unless_it_is_written_off() -> None:
    owed = state(plan(draw={**GUARANTEE, "recoverable": True}), 45.0, [])
    assert value(owed, 10_000, 95.0) == pytest.approx(1_000.0)  # it repays the advance: worth its pay
    # Written off at this close (one close outstanding): below the draw, pay only cuts the write-off.
    forgiven = state(plan(draw={**GUARANTEE, "recoverable": True, "forgive_after_periods": 1}), 45.0, [])
    assert value(forgiven, 10_000, 95.0) == pytest.approx(0.0)
    assert value(forgiven, 60_000, 95.0) == pytest.approx(1_000.0)


def test_people_present_from_the_start_are_past_a_new_hire_guarantee() -> None:
    s = state(plan(draw=GUARANTEE), 0.0, [])
    assert value(s, 10_000, 20.0) == pytest.approx(1_000.0)


# ---------------------------------------------------------------------- ramped quotas
def test_a_credit_meets_the_ramped_quota_of_its_period() -> None:
    # Hired day 10, 6-month ramp: Q2 (from day 90) has 2 completed months: quota 250k / 3.
    s = state(plan({"ramp_months": 6}, STEEP), 10.0, [])
    q2 = 250_000 / 3
    assert value(s, 100_000, 95.0) == pytest.approx(0.1 * q2 + 0.3 * (100_000 - q2))
    # In Q1 (no quota yet) the first rate; without a ramp, the full quota.
    assert value(s, 100_000, 20.0) == pytest.approx(10_000.0)
    assert value(state(plan({}, STEEP), 10.0, []), 100_000, 95.0) == pytest.approx(10_000.0)


# ---------------------------------------------------------------------- the quota ratchet
def test_a_credit_pushed_into_the_next_quarter_meets_its_ratcheted_quota() -> None:
    # 300k booked in Q1 (1.2 of 250k), ratchet 0.5: Q2's quota is 275k. A 300k deal pushed into
    # Q2 pays 27,500 + 25,000 x 30% = 35,000 there, and raises Q3's quota from 250k (Q2 so far:
    # nothing) to 250k x (1 + 0.5 x (300/275 - 1)): the rep expects to sell in Q3 what they sold
    # in Q1 (300k), which pays 40,000 at 250k and less at the higher quota.
    s = state(plan({"ratchet": 0.5}, STEEP), 0.0, [(20.0, 300_000)])
    q3 = 250_000 * (1 + 0.5 * (300_000 / 275_000 - 1))
    cost = 40_000 - (0.1 * q3 + 0.3 * (300_000 - q3))
    assert value(s, 300_000, 85.0, delay_days=10) == pytest.approx(35_000.0 - cost)
    without = state(plan({}, STEEP), 0.0, [(20.0, 300_000)])
    assert value(without, 300_000, 85.0, delay_days=10) == pytest.approx(40_000.0)


def test_overperforming_under_a_ratchet_is_worth_less_this_quarter() -> None:
    # Q1 and Q2 300k each (Q2 quota 275k). 20k more in Q2 pays 6,000 at 30% now, and raises
    # Q3's quota from 250k x (1 + 0.5 x (300/275 - 1)) to 250k x (1 + 0.5 x (320/275 - 1)).
    s = state(plan({"ratchet": 0.5}, STEEP), 0.0, [(20.0, 300_000), (110.0, 300_000)])

    def q3_pay(q2_credits: float) -> float:
        q3 = 250_000 * (1 + 0.5 * (q2_credits / 275_000 - 1))
        return 0.1 * q3 + 0.3 * (300_000 - q3)

    assert value(s, 20_000, 150.0) == pytest.approx(6_000.0 - (q3_pay(300_000) - q3_pay(320_000)))
    # A flat rate does not care about the quota: the ratchet changes nothing.
    flat = state(plan({"ratchet": 0.5}), 0.0, [(20.0, 300_000), (110.0, 300_000)])
    assert value(flat, 20_000, 150.0) == pytest.approx(2_000.0)
