"""Payout engine unit tests, with the arithmetic written out."""

from __future__ import annotations

from typing import Any

import pytest

from sim.ledger import Event
from sim.plans import PayState, compute_payouts
from sim.scenario.plans import PlanDesign
from sim.time.calendar import DAYS_PER_YEAR, Calendar

CAL = Calendar(1, 36)  # fiscal year = calendar year 2025: Q1 is days [0, 90)
YEAR = CAL.period_bounds(0, "year")[1]

AE_QUOTA = {"measure": "bookings_acv", "annual_amount": 1_000_000, "period": "quarter"}
TIERED = [{"from_attainment": 0.0, "rate": 0.10}, {"from_attainment": 1.0, "rate": 0.15}]


def plan(ae: dict[str, Any] | None = None, **roles: Any) -> PlanDesign:
    """A plan with the given role plans (``ae`` gets a quarterly $1M/year quota by default)."""
    data: dict[str, Any] = {"name": "t"}
    if ae is not None:
        data["ae"] = {"quota": AE_QUOTA, **ae}
    data.update(roles)
    return PlanDesign.model_validate(data)


def commission(**kw: Any) -> dict[str, Any]:
    return {"name": "commission", "measure": "bookings_acv", "rates": TIERED, **kw}


def booking(day: float, amount: float, deal: int, ae: int = 1, **kw: Any) -> Event:
    kw.setdefault("deal_kind", "new")
    return Event(day, "booking", amount=amount, deal=deal, customer=deal, ae=ae, **kw)


def pay(events: list[Event], p: PlanDesign, start: float = 0.0, end: float = YEAR) -> Any:
    return compute_payouts(events, p, CAL, start_day=start, end_day=end)


def test_tier_boundary_inside_one_deal() -> None:
    # Quarterly quota = 1,000,000 / 4 = 250,000.
    # Deal 1: 200,000 at 10% = 20,000 (attainment 0 -> 0.8).
    # Deal 2: 100,000 crosses 1.0: 50,000 at 10% + 50,000 at 15% = 5,000 + 7,500 = 12,500.
    p = plan({"components": [commission()]})
    out = pay([booking(10, 200_000, 1), booking(20, 100_000, 2)], p)
    amounts = [x.amount for x in out.lines if x.component == "commission"]
    assert amounts == pytest.approx([20_000.0, 12_500.0])
    assert out.variable_total() == pytest.approx(32_500.0)


def test_attainment_resets_next_quarter() -> None:
    # 300,000 in Q1 (1.2 attainment); a further 100,000 in Q2 (day 100) is back at 10%.
    p = plan({"components": [commission()]})
    out = pay([booking(10, 300_000, 1), booking(100, 100_000, 2)], p)
    amounts = [x.amount for x in out.lines if x.component == "commission"]
    # Q1: 250,000 x 10% + 50,000 x 15% = 25,000 + 7,500 = 32,500; Q2: 100,000 x 10% = 10,000.
    assert amounts == pytest.approx([32_500.0, 10_000.0])
    # Attainment samples (4 quarters, one rep): 1.2, 0.4, 0, 0.
    assert sorted(out.attainment()) == pytest.approx([0.0, 0.0, 0.4, 1.2])


def test_discount_band_multiplies_rate() -> None:
    bands = [
        {"max_discount": 0.10, "multiplier": 1.0},
        {"max_discount": 0.20, "multiplier": 0.8},
        {"max_discount": 1.00, "multiplier": 0.5},
    ]
    p = plan({"components": [commission(discount_bands=bands)]})
    out = pay([booking(10, 100_000, 1, discount=0.15), booking(11, 100_000, 2, discount=0.3)], p)
    amounts = [x.amount for x in out.lines if x.component == "commission"]
    # 100,000 x 10% x 0.8 = 8,000; 100,000 x 10% x 0.5 = 5,000.
    assert amounts == pytest.approx([8_000.0, 5_000.0])


@pytest.mark.parametrize(
    ("churn_day", "share", "expected_back"),
    [
        (300.0, 1.0, -10_000.0),  # within 365 days: all 10,000 reversed
        (300.0, 0.5, -5_000.0),  # half share
        (400.0, 1.0, 0.0),  # 390 days after the credit: outside the window
    ],
)
def test_clawback_window_and_share(churn_day: float, share: float, expected_back: float) -> None:
    cb = {"window_days": 365, "share": share, "triggers": ["churn"]}
    p = plan({"components": [commission(clawback=cb)]})
    events = [booking(10, 100_000, 1), Event(churn_day, "arr_churn", amount=-100_000, customer=1)]
    out = pay(events, p, end=2 * YEAR)
    backs = sum(x.amount for x in out.lines if x.amount < 0)
    assert backs == pytest.approx(expected_back)
    assert out.variable_total() == pytest.approx(10_000.0 + expected_back)


def test_clawback_other_trigger_does_nothing() -> None:
    cb = {"window_days": 365, "share": 1.0, "triggers": ["non_payment"]}
    p = plan({"components": [commission(clawback=cb)]})
    events = [booking(10, 100_000, 1), Event(50, "arr_churn", amount=-100_000, customer=1)]
    assert pay(events, p).variable_total() == pytest.approx(10_000.0)
    events.append(Event(60, "non_payment", deal=1, customer=1))
    assert pay(events, p).variable_total() == pytest.approx(0.0)


def test_after_success_paid_only_on_success() -> None:
    comp = {
        "name": "success",
        "measure": "bookings_acv",
        "pays": "after_success",
        "success_days": 90,
        "rates": [{"from_attainment": 0.0, "rate": 0.03}],
    }
    p = plan({"components": [comp]})
    events = [
        booking(10, 100_000, 1),
        booking(12, 50_000, 2),
        Event(40, "go_live", deal=1, customer=1),
        Event(45, "go_live", deal=2, customer=2),
        Event(100, "implementation_failed", deal=2, customer=2),
        Event(125, "implementation_success", deal=1, customer=1),
    ]
    out = pay(events, p)
    lines = [x for x in out.lines if x.component == "success"]
    # Only deal 1: 100,000 x 3% = 3,000, dated max(125, 40 + 90) = 130.
    assert [x.amount for x in lines] == pytest.approx([3_000.0])
    assert lines[0].day == pytest.approx(130.0)


def test_on_revenue_paid_month_by_month() -> None:
    comp = commission(pays="on_revenue", rates=[{"from_attainment": 0.0, "rate": 0.10}])
    p = plan({"components": [comp]})
    events = [booking(5, 120_000, 1)]
    for m in range(12):
        events.append(
            Event(
                float(CAL.month_starts[m]) + 14,
                "revenue",
                amount=10_000,
                deal=1,
                customer=1,
                ae=1,
                first_year=True,
            )
        )
    out = pay(events, p)
    lines = [x for x in out.lines if x.component == "commission"]
    # 120,000 x 10% = 12,000, released 10,000/120,000 = 1/12 per revenue month: 1,000 each.
    assert [x.amount for x in lines] == pytest.approx([1_000.0] * 12)
    assert [x.pay_month for x in lines] == list(range(12))


def test_at_go_live_waits_for_go_live() -> None:
    p = plan({"components": [commission(pays="at_go_live")]})
    events = [booking(5, 100_000, 1), Event(70, "go_live", deal=1, customer=1, consultant=9)]
    lines = [x for x in pay(events, p).lines if x.component == "commission"]
    assert [(x.day, round(x.amount, 6)) for x in lines] == [(70.0, 10_000.0)]
    assert pay(events[:1], p).variable_total() == 0.0


def test_cap_per_period() -> None:
    p = plan({"components": [commission(cap_per_period_usd=25_000)]})
    out = pay([booking(10, 200_000, 1), booking(20, 100_000, 2), booking(100, 100_000, 3)], p)
    amounts = [x.amount for x in out.lines if x.component == "commission"]
    # Q1: 20,000 then 12,500 capped to the 5,000 left; Q2 restarts: 10,000.
    assert amounts == pytest.approx([20_000.0, 5_000.0, 10_000.0])


def test_threshold_pays_at_close_only_when_met() -> None:
    p = plan({"components": [commission(threshold_attainment=0.5)]})
    # Rep 1: 100,000 = 0.4 of 250,000: nothing. Rep 2: 150,000 = 0.6: 15,000 at the Q1 close.
    out = pay([booking(10, 100_000, 1, ae=1), booking(11, 150_000, 2, ae=2)], p)
    lines = [x for x in out.lines if x.component == "commission"]
    q1_last_day = CAL.period_bounds(0, "quarter")[1] - 1.0  # pay at the close, dated on the last day
    assert [(x.person, x.day, round(x.amount, 6)) for x in lines] == [(2, q1_last_day, 15_000.0)]


def test_grr_bonus_curve() -> None:
    bonus = {
        "name": "retention",
        "kind": "bonus",
        "measure": "book_grr",
        "period": "year",
        "target_usd": 12_000,
        "target_value": 0.90,
        "curve": [
            {"attainment": 0.9, "payout": 0.0},
            {"attainment": 1.0, "payout": 1.0},
            {"attainment": 1.1, "payout": 1.5},
        ],
    }
    p = plan(csm={"components": [bonus]})
    events = [
        Event(0, "hire", role="csm", person=7),
        Event(0, "book_snapshot", amount=1_000_000, person=7, role="csm"),
        Event(50, "arr_churn", amount=-50_000, customer=3, csm=7),
        Event(60, "arr_upsell", amount=80_000, customer=4, csm=7),
        Event(200, "book_snapshot", amount=1_030_000, person=7, role="csm"),
    ]
    out = pay(events, p, end=YEAR)
    lines = [x for x in out.lines if x.component == "retention"]
    # GRR = (1,000,000 - 50,000) / 1,000,000 = 0.95; attainment = 0.95 / 0.90 = 1.0556;
    # curve share = 1 + 0.5 x 0.0556 = 1.02778; bonus = 12,000 x 1.02778 = 12,333.33.
    assert len(lines) == 1
    assert lines[0].measure_value == pytest.approx(0.95)
    assert lines[0].amount == pytest.approx(12_000 * (1 + 0.5 * (0.95 / 0.90 - 1.0) / 0.1))


def test_base_prorated_by_hire_and_leave() -> None:
    p = plan(csm={"base_salary_annual_usd": 100_000})
    events = [
        Event(0, "hire", role="csm", person=3),
        Event(100, "hire", role="csm", person=4),
        Event(200, "leave", role="csm", person=3),
    ]
    out = pay(events, p)
    # Person 3: 200 days; person 4: YEAR - 100 days; 100,000 / 365.25 per day.
    expected = 100_000 / DAYS_PER_YEAR * (200 + YEAR - 100)
    assert out.base_total() == pytest.approx(expected)
    assert out.variable_total() == 0.0


def test_base_lines_are_each_months_employed_days() -> None:
    """A base line per person and calendar month of employment inside the window: the month's
    employed days at annual / 365.25 a day, dated at the later of the month's start and the hire."""
    p = plan(csm={"base_salary_annual_usd": 100_000}, ae={"base_salary_annual_usd": 80_000})
    events = [
        Event(0, "hire", role="csm", person=3),
        Event(45.5, "hire", role="ae", person=1),
        Event(100, "hire", role="csm", person=4),
        Event(200, "leave", role="csm", person=3),
    ]
    start, end = 20.0, 250.0
    out = pay(events, p, start=start, end=end)
    got = sorted((x.person, x.day, x.measure_value, x.amount) for x in out.lines if x.component == "base")
    starts = [float(s) for s in CAL.month_starts]
    want = []
    people = ((1, 80_000, 45.5, end), (3, 100_000, 0.0, 200.0), (4, 100_000, 100.0, end))
    for person, annual, hired, left in people:
        lo, hi = max(start, hired), min(end, left)
        for m in range(len(starts) - 1):
            a, b = max(lo, starts[m]), min(hi, starts[m + 1])
            if b > a:
                want.append((person, a, b - a, annual * (b - a) / DAYS_PER_YEAR))
    assert got == sorted(want)  # exact: the same sums in the same order
    assert len({x[0] for x in got}) == 3 and len(got) > 12


def test_crediting_upsell_and_pay_twice() -> None:
    csm_comp = {"name": "x", "measure": "cross_sell_acv", "rates": [{"from_attainment": 0.0, "rate": 0.05}]}
    ev = [booking(10, 40_000, 1, ae=1, csm=5, deal_kind="cross_sell")]
    only_ae = plan(
        {"components": [commission()]}, csm={"components": [csm_comp]}, crediting={"cross_sell": ["ae"]}
    )
    both = plan(
        {"components": [commission()]},
        csm={"components": [csm_comp]},
        crediting={"cross_sell": ["ae", "csm"]},
    )
    # AE only: 40,000 x 10% = 4,000. Both: + CSM 40,000 x 5% = 2,000.
    assert pay(ev, only_ae).by_role() == pytest.approx({"ae": 4_000.0})
    assert pay(ev, both).by_role() == pytest.approx({"ae": 4_000.0, "csm": 2_000.0})


def test_spiff_window() -> None:
    p = plan(
        {
            "components": [commission()],
            "spiffs": [{"event": "multi_year", "amount_usd": 1_000, "start_month": 0, "months": 3}],
        }
    )
    ev = [
        booking(10, 50_000, 1, term_months=24),
        booking(20, 50_000, 2, term_months=12),
        booking(120, 50_000, 3, term_months=36),
    ]
    spiffs = [x for x in pay(ev, p).lines if x.component.startswith("spiff")]
    # Only the 24-month deal inside the first 3 months earns the spiff.
    assert [(x.day, x.amount) for x in spiffs] == [(10.0, 1_000.0)]


def test_warmup_excluded_but_builds_attainment() -> None:
    p = plan({"components": [commission()]})
    # Window starts day 30: deal 1 (day 10) is warm-up but lifts Q1 attainment to 0.8.
    out = pay([booking(10, 200_000, 1), booking(40, 100_000, 2)], p, start=30)
    assert out.variable_total() == pytest.approx(12_500.0)


def test_out_of_order_events_rejected() -> None:
    st = PayState(plan({"components": [commission()]}), CAL)
    st.observe(booking(10, 1.0, 1))
    with pytest.raises(ValueError, match="out of order"):
        st.observe(booking(5, 1.0, 2))
