"""Expected-pay valuation: an option is worth what the person's own plan would pay for it."""

from __future__ import annotations

from typing import Any

import pytest

from sim.ledger import Event
from sim.plans import PayState
from sim.policy.decisions import MeasureOutcome
from sim.policy.valuation import discount_factor, value_outcome
from sim.scenario.plans import PlanDesign
from sim.time.calendar import Calendar

CAL = Calendar(1, 36)  # Q1 = days [0, 90), Q2 = [90, 181)
QUOTA = {"measure": "bookings_acv", "annual_amount": 1_000_000, "period": "quarter"}  # 250k per quarter
TIERED = [{"from_attainment": 0.0, "rate": 0.10}, {"from_attainment": 1.0, "rate": 0.15}]


def ae_plan(**comp: Any) -> PlanDesign:
    c = {"name": "commission", "measure": "bookings_acv", "rates": TIERED, **comp}
    return PlanDesign.model_validate({"name": "t", "ae": {"quota": QUOTA, "components": [c]}})


def state_with(plan: PlanDesign, booked: float, day: float = 10.0) -> PayState:
    st = PayState(plan, CAL)
    st.observe(Event(0.0, "hire", role="ae", person=1))
    if booked:
        st.observe(Event(day, "booking", amount=booked, deal=1, customer=1, ae=1, deal_kind="new"))
    return st


def value(st: PayState, outcome: MeasureOutcome, day: float = 20.0, rate: float = 0.0) -> float:
    return value_outcome(st, "ae", 1, day, outcome, rate)[0]


def test_accelerator_makes_a_booking_worth_more_above_quota() -> None:
    o = MeasureOutcome("bookings_acv", 20_000, delay_days=5)
    below = value(state_with(ae_plan(), 125_000), o)  # attainment 0.5: 20k x 10% = 2,000
    above = value(state_with(ae_plan(), 300_000), o)  # attainment 1.2: 20k x 15% = 3,000
    assert below == pytest.approx(2_000.0)
    assert above == pytest.approx(3_000.0)
    # Straddling the boundary: at 240k, 10k at 10% + 10k at 15% = 2,500.
    assert value(state_with(ae_plan(), 240_000), o) == pytest.approx(2_500.0)


def test_booking_pushed_past_quarter_end_meets_next_quarters_rate() -> None:
    st = state_with(ae_plan(), 300_000)  # 1.2 of the Q1 quota
    now = MeasureOutcome("bookings_acv", 20_000, delay_days=30)  # day 50, Q1: 15%
    pushed = MeasureOutcome("bookings_acv", 20_000, delay_days=80)  # day 100, Q2: reset, 10%
    assert value(st, now) == pytest.approx(3_000.0)
    assert value(st, pushed) == pytest.approx(2_000.0)


def test_clawback_lowers_value_of_high_churn_outcomes() -> None:
    cb = {"window_days": 365, "share": 1.0, "triggers": ["churn"]}
    st = state_with(ae_plan(clawback=cb), 0)
    safe = value(st, MeasureOutcome("bookings_acv", 20_000, churn_probability=0.1))
    risky = value(st, MeasureOutcome("bookings_acv", 20_000, churn_probability=0.5))
    # 2,000 x (1 - 0.1) = 1,800; 2,000 x (1 - 0.5) = 1,000.
    assert safe == pytest.approx(1_800.0)
    assert risky == pytest.approx(1_000.0)
    # Without a clawback churn risk does not matter to the rep.
    plain = state_with(ae_plan(), 0)
    risky_plain = value(plain, MeasureOutcome("bookings_acv", 20_000, churn_probability=0.5))
    assert risky_plain == pytest.approx(2_000.0)


def test_discount_bands_make_deeper_discounts_worth_less() -> None:
    bands = [{"max_discount": 0.1, "multiplier": 1.0}, {"max_discount": 1.0, "multiplier": 0.5}]
    st = state_with(ae_plan(discount_bands=bands), 0)
    # Same win probability and ACV, only the discount differs: 2,000 versus 2,000 x 0.5.
    shallow = value(st, MeasureOutcome("bookings_acv", 20_000, discount=0.1))
    deep = value(st, MeasureOutcome("bookings_acv", 20_000, discount=0.3))
    assert (shallow, deep) == pytest.approx((2_000.0, 1_000.0))


def test_probability_and_variance() -> None:
    st = state_with(ae_plan(), 0)
    o = MeasureOutcome("bookings_acv", 20_000, probability=0.25)
    mean, var = value_outcome(st, "ae", 1, 20.0, o, 0.0)
    # V = 2,000; mean = 0.25 x 2,000 = 500; variance = 0.25 x 0.75 x 2,000^2 = 750,000.
    assert mean == pytest.approx(500.0)
    assert var == pytest.approx(750_000.0)


def test_pay_timing_and_time_preference() -> None:
    st = state_with(ae_plan(pays="after_success", rates=[{"from_attainment": 0.0, "rate": 0.10}]), 0)
    o = MeasureOutcome("bookings_acv", 20_000, delay_days=0, go_live_delay_days=30, success_probability=0.8)
    # 2,000 x 0.8, paid 30 + 90 = 120 days later at 15%/year.
    assert value(st, o, rate=0.15) == pytest.approx(2_000 * 0.8 * 1.15 ** (-120 / 365.25))
    assert discount_factor(365.25, 0.15) == pytest.approx(1 / 1.15)


def test_on_revenue_outcome_spread_over_periods() -> None:
    plan = PlanDesign.model_validate(
        {
            "name": "t",
            "ae": {
                "quota": QUOTA,
                "components": [
                    {"name": "rev", "measure": "first_year_revenue", "pays": "on_revenue", "rates": TIERED}
                ],
            },
        }
    )
    st = state_with(plan, 300_000)  # Q1 bookings attainment 1.2
    # 12,000 of revenue evenly over 360 days from day 20: the Q1 part (days 20-90, 70/360 of it)
    # is paid at the Q1 rate (15%, bookings attainment 1.2), the rest in later quarters at 10%:
    # 12,000 x (70/360 x 0.15 + 290/360 x 0.10) = 350 + 966.67 = 1,316.67.
    o = MeasureOutcome("first_year_revenue", 12_000, delay_days=0, spread_days=360)
    assert value(st, o) == pytest.approx(12_000 * (70 / 360 * 0.15 + 290 / 360 * 0.10))


def test_measure_not_in_the_plan_is_worth_nothing() -> None:
    st = state_with(ae_plan(), 0)
    assert value_outcome(st, "ae", 1, 20.0, MeasureOutcome("renewals_arr", 50_000), 0.0) == (0.0, 0.0)


def test_bonus_curve_marginal_value() -> None:
    bonus = {
        "name": "refs",
        "kind": "bonus",
        "measure": "references",
        "period": "quarter",
        "target_usd": 4_000,
        "target_value": 4,
        "curve": [{"attainment": 0.0, "payout": 0.0}, {"attainment": 1.0, "payout": 1.0}],
    }
    plan = PlanDesign.model_validate({"name": "t", "csm": {"components": [bonus]}})
    st = PayState(plan, CAL)
    st.observe(Event(0.0, "hire", role="csm", person=5))
    st.observe(Event(5.0, "reference", customer=1, csm=5))
    # One more reference: attainment 1/4 -> 2/4, bonus +1,000 at the Q1 close.
    v, _ = value_outcome(st, "csm", 5, 20.0, MeasureOutcome("references", 1.0), 0.0)
    assert v == pytest.approx(1_000.0)
    # At target already (4 of 4): the flat curve beyond 1.0 pays nothing more.
    for d in (6.0, 7.0, 8.0):
        st.observe(Event(d, "reference", customer=1, csm=5))
    assert value_outcome(st, "csm", 5, 20.0, MeasureOutcome("references", 1.0), 0.0)[0] == 0.0


def test_spiff_value() -> None:
    plan = PlanDesign.model_validate(
        {
            "name": "t",
            "ae": {
                "quota": QUOTA,
                "components": [{"name": "c", "measure": "bookings_acv", "rates": TIERED}],
                "spiffs": [{"event": "multi_year", "amount_usd": 1_000, "months": 6}],
            },
        }
    )
    st = state_with(plan, 0)
    one = value(st, MeasureOutcome("new_logo_acv", 20_000, term_months=12))
    multi = value(st, MeasureOutcome("new_logo_acv", 20_000, term_months=24))
    assert (one, multi) == (0.0, 1_000.0)


def test_grr_bonus_values_saved_arr_against_the_projected_ratio() -> None:
    bonus = {
        "name": "grr",
        "kind": "bonus",
        "measure": "book_grr",
        "period": "year",
        "target_usd": 12_000,
        "target_value": 0.9,
        "curve": [
            {"attainment": 0.9, "payout": 0.0},
            {"attainment": 1.0, "payout": 1.0},
            {"attainment": 1.1, "payout": 1.5},
        ],
    }
    plan = PlanDesign.model_validate({"name": "t", "csm": {"components": [bonus]}})
    st = PayState(plan, CAL)
    st.observe(Event(0.0, "hire", role="csm", person=5))
    st.observe(Event(0.0, "book_snapshot", amount=1_000_000, person=5, role="csm"))
    st.observe(Event(45.0, "arr_churn", amount=-20_000, customer=3, csm=5))
    # 45 of 365 days elapsed, GRR so far 0.98: pace forecast 1 - 0.02 / (45/365) = 0.8378,
    # attainment 0.8378 / 0.9 = 0.931 (on the 0 -> 1 slope between 0.9 and 1.0).
    # Saving 1% of the book: attainment +0.01/0.9, bonus +12,000 x 10 x 0.01/0.9 = 1,333.33.
    year = CAL.period_bounds(0, "year")[1]
    f = 45 / year
    projected = 1 - 0.02 / f
    assert 0.9 < projected / 0.9 < 1.0
    v, _ = value_outcome(st, "csm", 5, 45.0, MeasureOutcome("book_grr", 0.01, delay_days=100), 0.0)
    assert v == pytest.approx(12_000 * 10 * 0.01 / 0.9)
    # Far above target (flat top of the curve) saving more is worth nothing.
    rich = PayState(plan, CAL)
    rich.observe(Event(0.0, "book_snapshot", amount=1_000_000, person=5, role="csm"))
    rich.observe(Event(45.0, "reference", customer=1, csm=5))  # time passes, no churn: forecast 1.0
    assert value_outcome(rich, "csm", 5, 45.0, MeasureOutcome("book_grr", 0.01), 0.0)[0] == 0.0


def test_outcomes_beyond_the_calendar_are_priced() -> None:
    """A year of revenue after a close near the end of the run runs past the simulated months."""
    short = Calendar(1, 3)
    plan = PlanDesign.model_validate(
        {
            "name": "t",
            "ae": {
                "quota": QUOTA,
                "components": [
                    {
                        "name": "rev",
                        "measure": "first_year_revenue",
                        "pays": "on_revenue",
                        "period": "year",
                        "rates": TIERED,
                    }
                ],
            },
        }
    )
    st = PayState(plan, short)
    o = MeasureOutcome("first_year_revenue", 12_000, delay_days=2_000, spread_days=365)
    assert value_outcome(st, "ae", 1, 80.0, o, 0.0)[0] == pytest.approx(1_200.0)


def test_a_credit_spread_over_no_time_at_all_is_worth_nothing() -> None:
    """A spread so short that it covers no day (``t0 + spread == t0``) falls into no period: it
    pays nothing, for a commission and for a bonus, instead of failing to price."""
    o = MeasureOutcome("bookings_acv", 1_000.0, delay_days=100.0, spread_days=1e-20)
    assert value_outcome(state_with(ae_plan(), 0.0), "ae", 1, 20.0, o, 0.1) == (0.0, 0.0)
    bonus = PlanDesign.model_validate(
        {
            "name": "b",
            "ae": {
                "components": [
                    {
                        "name": "bonus",
                        "measure": "bookings_acv",
                        "kind": "bonus",
                        "target_usd": 10_000,
                        "target_value": 100_000,
                        "curve": [{"attainment": 0, "payout": 0}, {"attainment": 1, "payout": 1}],
                    }
                ]
            },
        }
    )
    assert value_outcome(state_with(bonus, 0.0), "ae", 1, 20.0, o, 0.1) == (0.0, 0.0)
