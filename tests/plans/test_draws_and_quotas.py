"""Draws, guarantees, ramped quotas and the quota ratchet in the payout engine, against the
arithmetic written out by hand (``docs/model.md``, "Pay and decisions"), and their properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.ledger import Event
from sim.plans import PayState, compute_payouts
from sim.plans.draws import draw_settle
from sim.plans.quotas import ramp_share, ratchet_multiplier
from sim.scenario.plans import PlanDesign
from sim.time.calendar import DAYS_PER_MONTH, Calendar

CAL = Calendar(1, 36)  # 2025: Jan 0, Feb 31, Mar 59, Apr 90, May 120, Jun 151, Jul 181, ...
YEAR = 365.0
FLAT = [{"from_attainment": 0.0, "rate": 0.10}]
STEEP = [{"from_attainment": 0.0, "rate": 0.10}, {"from_attainment": 1.0, "rate": 0.30}]


def plan(quota: dict[str, Any] | None = None, rates: list[dict[str, float]] = FLAT, **ae: Any) -> PlanDesign:
    """An AE plan: a commission on bookings (a $1M/year quarterly quota when ``quota`` is given)."""
    role: dict[str, Any] = {"components": [{"name": "commission", "measure": "bookings_acv", "rates": rates}]}
    if quota is not None:
        role["quota"] = {"measure": "bookings_acv", "annual_amount": 1_000_000, **quota}
    return PlanDesign.model_validate({"name": "t", "ae": {**role, **ae}})


def booking(day: float, amount: float, deal: int, ae: int) -> Event:
    return Event(day, "booking", amount=amount, deal=deal, customer=deal, ae=ae, deal_kind="new")


def draw_lines(events: list[Event], p: PlanDesign) -> list[float]:
    """``person, day, amount`` of every draw line, one after the other."""
    out = compute_payouts(events, p, CAL, start_day=0.0, end_day=YEAR)
    return [v for x in out.lines if x.component == "draw" for v in (x.person, x.day, x.amount)]


def commissions(events: list[Event], p: PlanDesign) -> list[tuple[int, float]]:
    out = compute_payouts(events, p, CAL, start_day=0.0, end_day=YEAR)
    return [(x.person, x.amount) for x in out.lines if x.component == "commission"]


# ---------------------------------------------------------------------- guarantees and draws
def test_a_new_hire_guarantee_tops_up_pro_rata_for_its_months() -> None:
    # Person 1 is there from the start (past any new-hire window); person 2 is hired on day 45
    # (Feb 15) with a $5,000 monthly guarantee for 3 months: days 45 .. 45 + 3 x 30.4375.
    events = [Event(0, "hire", role="ae", person=1), Event(45, "hire", role="ae", person=2)]
    events += [booking(50, 30_000, 1, 2), booking(70, 80_000, 2, 2), booking(80, 10_000, 3, 1)]
    p = plan(draw={"amount_usd": 5_000, "months": 3})
    end = 45 + 3 * DAYS_PER_MONTH
    # Feb: due 5,000 x 14/28 = 2,500 < 3,000 earned; Mar: 8,000 earned >= 5,000; Apr: nothing
    # earned, a 5,000 top-up on Apr 30 (day 119); May: due 5,000 x (end - 120) / 31, on May 31.
    assert draw_lines(events, p) == pytest.approx([2, 119.0, 5_000.0, 2, 150.0, 5_000.0 * (end - 120) / 31])


def test_a_recoverable_draw_advances_recovers_and_settles_at_leaving() -> None:
    # Monthly $5,000 draw for everyone; earnings Jan 0, Feb 2,000, Mar 12,000, Apr 0; leaves day 100.
    events = [Event(0, "hire", role="ae", person=1), booking(40, 20_000, 1, 1), booking(70, 120_000, 2, 1)]
    events.append(Event(100, "leave", role="ae", person=1))
    p = plan(draw={"amount_usd": 5_000, "recoverable": True})
    april = 5_000 * 10 / 30  # employed 10 of April's 30 days
    # Jan: +5,000 (balance 5,000). Feb: paid max(5,000, 2,000 - 5,000) = 5,000: +3,000 (8,000).
    # Mar: paid max(5,000, 12,000 - 8,000) = 5,000: -7,000 (1,000). Apr: +1,666.67 (2,666.67),
    # then recovered at leaving: -2,666.67. Net of the draw: 0.
    expected = [1, 30.0, 5_000.0, 1, 58.0, 3_000.0, 1, 89.0, -7_000.0, 1, 119.0, april]
    assert draw_lines(events, p) == pytest.approx([*expected, 1, 119.0, -(1_000.0 + april)])
    forgiven = plan(draw={"amount_usd": 5_000, "recoverable": True, "forgive_at_leaving": True})
    assert draw_lines(events, forgiven) == pytest.approx(expected)
    # Written off after two closes outstanding: Feb's close forgives 8,000; March then pays its
    # 12,000 in full; April's advance is recovered at leaving.
    aged = plan(draw={"amount_usd": 5_000, "recoverable": True, "forgive_after_periods": 2})
    assert draw_lines(events, aged) == pytest.approx(
        [1, 30.0, 5_000.0, 1, 58.0, 3_000.0, 1, 119.0, april, 1, 119.0, -april]
    )


def test_draw_lines_are_not_clawbacks_and_name_the_draw() -> None:
    events = [
        Event(0, "hire", role="ae", person=1),
        booking(70, 120_000, 2, 1),
        Event(90, "leave", role="ae", person=1),
    ]
    out = compute_payouts(
        events, plan(draw={"amount_usd": 5_000, "recoverable": True}), CAL, start_day=0, end_day=YEAR
    )
    recovery = [x for x in out.lines if x.component == "draw" and x.amount < 0]
    assert recovery and "recovered" in recovery[0].reason
    assert out.clawback_total() == 0.0
    # Jan +5,000, Feb +5,000, Mar -7,000 (pay 12,000 - 5,000), the 3,000 left recovered at leaving
    assert out.by_component()["ae.draw"] == pytest.approx(0.0)


def test_a_draw_needs_a_recoverable_balance_to_forgive() -> None:
    with pytest.raises(ValueError, match="only a recoverable draw"):
        plan(draw={"amount_usd": 5_000, "forgive_at_leaving": True})


def test_a_component_may_not_be_called_draw_beside_a_draw() -> None:
    with pytest.raises(ValueError, match="'draw' names the draw"):
        PlanDesign.model_validate(
            {
                "name": "t",
                "ae": {
                    "draw": {"amount_usd": 1},
                    "components": [{"name": "draw", "measure": "bookings_acv", "rates": FLAT}],
                },
            }
        )


money = st.floats(-50_000.0, 200_000.0, allow_nan=False)
dues = st.floats(0.0, 50_000.0, allow_nan=False)


@given(dues, money, st.floats(0.0, 100_000.0))
def test_a_guarantee_never_lowers_pay_and_floors_it(due: float, earned: float, extra: float) -> None:
    line, balance = draw_settle(False, due, earned, 0.0)
    assert line >= 0.0 and balance == 0.0
    if due > 0:
        assert earned + line == pytest.approx(max(earned, due))
    # earning more never lowers the period's pay
    more, _ = draw_settle(False, due, earned + extra, 0.0)
    assert earned + extra + more >= earned + line - 1e-9


@given(st.lists(st.tuples(dues, money), min_size=1, max_size=24), st.floats(0.0, 100_000.0))
def test_a_recoverable_balance_is_what_was_advanced_and_never_repaid_twice(
    periods: list[tuple[float, float]], extra: float
) -> None:
    balance, lines = 0.0, 0.0
    for due, earned in periods:
        line, after = draw_settle(True, due, earned, balance)
        more, _ = draw_settle(True, due, earned + extra, balance)
        assert earned + extra + more >= earned + line - 1e-6  # more pay never pays less
        if due > 0:
            assert earned + line >= due - 1e-6  # the draw is paid
        lines += line
        balance = after
        assert balance >= -1e-6  # never repays more than was advanced
        assert balance == pytest.approx(lines, abs=1e-6)  # the balance is the net of the lines


# ---------------------------------------------------------------------- ramped quotas
def test_ramp_share_counts_completed_months() -> None:
    assert [ramp_share(6, m) for m in (-1, 0, 1, 3, 6, 9)] == pytest.approx([0, 0, 1 / 6, 0.5, 1, 1])
    assert ramp_share(0, -3) == 1.0


def test_a_ramped_quota_prices_a_new_hires_commissions() -> None:
    # 300k a quarter each; person 2 hired on day 10 (Jan 11) with a 6-month ramp: Q1 started
    # before the hire (no quota: the first rate, 30,000); Q2 starts after 2 completed months:
    # quota 250k x 2/6 = 83,333: 83,333 x 10% + 216,667 x 30% = 73,333; Q3 (5 months): 208,333:
    # 20,833 + 91,667 x 30% = 48,333; Q4: the full quota, 25,000 + 50,000 x 30% = 40,000.
    events = [Event(0, "hire", role="ae", person=1), Event(10, "hire", role="ae", person=2)]
    events += [booking(20 + 91 * q, 300_000, 10 * q + a, a) for q in range(4) for a in (1, 2)]
    got = commissions(events, plan({"ramp_months": 6}, STEEP))
    assert [a for who, a in got if who == 1] == pytest.approx([40_000.0] * 4)
    q2, q3 = 250_000 / 3, 250_000 * 5 / 6
    assert [a for who, a in got if who == 2] == pytest.approx(
        [30_000.0, 0.1 * q2 + 0.3 * (300_000 - q2), 0.1 * q3 + 0.3 * (300_000 - q3), 40_000.0]
    )


def test_a_ramp_period_without_a_quota_waives_the_threshold() -> None:
    # A 50% threshold: person 2's 50k in Q1 (no quota: hired after it started) is paid at the
    # close; person 1's 50k is 20% of their quota, below the threshold: dropped.
    events = [Event(0, "hire", role="ae", person=1), Event(10, "hire", role="ae", person=2)]
    events += [booking(20, 50_000, 1, 1), booking(20, 50_000, 2, 2)]
    p = PlanDesign.model_validate(
        {
            "name": "t",
            "ae": {
                "quota": {"measure": "bookings_acv", "annual_amount": 1_000_000, "ramp_months": 3},
                "components": [
                    {
                        "name": "commission",
                        "measure": "bookings_acv",
                        "rates": FLAT,
                        "threshold_attainment": 0.5,
                    }
                ],
            },
        }
    )
    assert commissions(events, p) == [(2, pytest.approx(5_000.0))]


# ---------------------------------------------------------------------- the quota ratchet
def test_the_ratchet_raises_the_next_quota_after_overperforming() -> None:
    # 300k every quarter, ratchet 0.5: Q1 at 250k (1.2): 40,000; Q2 quota 250k x (1 + 0.5 x 0.2)
    # = 275k: 27,500 + 25k x 30% = 35,000 (attainment 1.0909); Q3 quota 250k x (1 + 0.5 x
    # 0.0909) = 261,364: 26,136 + 38,636 x 30%; never below 250k.
    events = [Event(0, "hire", role="ae", person=1)] + [booking(20 + 91 * q, 300_000, q, 1) for q in range(3)]
    got = [a for _, a in commissions(events, plan({"ratchet": 0.5}, STEEP))]
    q3 = 250_000 * (1 + 0.5 * (300_000 / 275_000 - 1))
    assert got == pytest.approx([40_000.0, 35_000.0, 0.1 * q3 + 0.3 * (300_000 - q3)])
    state = PayState(plan({"ratchet": 0.5}, STEEP), CAL)
    state.observe_rows(compute_rows(events))
    assert state.quota_of("ae", 1, "quarter", 200.0) == pytest.approx(q3)


def test_a_shortfall_never_lowers_the_quota() -> None:
    events = [Event(0, "hire", role="ae", person=1), booking(20, 100_000, 1, 1), booking(110, 300_000, 2, 1)]
    # Q1 at 0.4 of quota: Q2 keeps 250k, so Q2's 300k pays as without a ratchet.
    assert commissions(events, plan({"ratchet": 1.0}, STEEP)) == commissions(events, plan({}, STEEP))
    assert ratchet_multiplier(1.0, 0.4) == 1.0
    assert ratchet_multiplier(0.5, 1.6) == pytest.approx(1.3)


def compute_rows(events: list[Event]) -> Any:
    from sim.ledger import rows_of

    return rows_of(sorted(events, key=lambda e: e.day))


bookings = st.lists(
    st.tuples(st.floats(0.0, 360.0), st.floats(1_000.0, 400_000.0), st.sampled_from([1, 2])), max_size=12
)


@given(bookings, st.integers(1, 12), st.floats(0.05, 1.0))
def test_a_ramp_never_lowers_and_a_ratchet_never_raises_pay_under_accelerators(
    deals: list[tuple[float, float, int]], ramp: int, ratchet: float
) -> None:
    # With rates rising in attainment, a smaller quota pays at least as much (the ramp) and a
    # larger one at most as much (the ratchet), person by person.
    # Person 2 is hired on day 30 and books from Q2 on, when their ramp gives them a quota (a
    # period without one pays the first rate: no accelerator, so no bound either way).
    events = [Event(0, "hire", role="ae", person=1), Event(30, "hire", role="ae", person=2)]
    events += [booking(max(d, 90.0) if a == 2 else d, x, i, a) for i, (d, x, a) in enumerate(deals)]

    def by_person(p: PlanDesign) -> dict[int, float]:
        out = compute_payouts(events, p, CAL, start_day=0.0, end_day=YEAR).by_person()
        return {int(k.split(":")[1]): v for k, v in out.items()}

    base = by_person(plan({}, STEEP))
    ramped = by_person(plan({"ramp_months": ramp}, STEEP))
    ratcheted = by_person(plan({"ratchet": ratchet}, STEEP))
    for who, paid in base.items():
        assert ramped[who] >= paid - 1e-6
        assert ratcheted[who] <= paid + 1e-6
    assert ramped.get(1) == base.get(1)  # present from the start: fully ramped


monthly = st.lists(st.tuples(st.floats(0.0, 330.0), st.floats(1_000.0, 150_000.0)), max_size=10)


@given(monthly, st.floats(1_000.0, 20_000.0), st.sampled_from(["month", "quarter"]))
def test_in_the_engine_a_guarantee_only_adds_and_a_draw_is_repaid_once(
    deals: list[tuple[float, float]], amount: float, period: str
) -> None:
    # One AE who leaves on day 340: under a guarantee every other line is as without it and the
    # draw lines are top-ups; under a recoverable draw the running sum of its lines (the balance)
    # never goes below 0 and ends at 0 (recovered at leaving).
    events = [Event(0, "hire", role="ae", person=1), Event(340, "leave", role="ae", person=1)]
    events += [booking(d, x, i, 1) for i, (d, x) in enumerate(deals)]

    def lines(draw: dict[str, Any] | None) -> list[Any]:
        p = plan(None, draw={"amount_usd": amount, "period": period, **draw} if draw is not None else None)
        return compute_payouts(events, p, CAL, start_day=0.0, end_day=YEAR).lines

    plain = [x for x in lines(None) if x.component != "base"]
    guaranteed = lines({})
    assert [x for x in guaranteed if x.component not in ("base", "draw")] == plain
    assert all(x.amount > 0 for x in guaranteed if x.component == "draw")
    balance = 0.0
    for x in lines({"recoverable": True}):
        if x.component == "draw":
            balance += x.amount
            assert balance >= -1e-6
    assert balance == pytest.approx(0.0, abs=1e-6)
