"""Hypothesis properties of the payout engine (issue 4, "Must show")."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import Event
from sim.plans import PayState, compute_payouts
from sim.scenario.plans import PlanDesign
from sim.time.calendar import Calendar

CAL = Calendar(2, 30)
END = CAL.period_bounds(1, "year")[1]  # two fiscal years

TIMINGS = ["on_booking", "at_go_live", "on_revenue", "on_cash", "after_success", "at_renewal"]


@st.composite
def tiers(draw: st.DrawFn, zero: bool = False, rising: bool = False) -> list[dict[str, float]]:
    n = draw(st.integers(1, 3))
    starts = [0.0, *sorted(draw(st.lists(st.floats(0.2, 2.0), min_size=n - 1, max_size=n - 1, unique=True)))]
    rates = [0.0] * n if zero else draw(st.lists(st.floats(0.0, 0.3), min_size=n, max_size=n))
    if rising:
        rates.sort()
    return [{"from_attainment": a, "rate": r} for a, r in zip(starts, rates, strict=True)]


@st.composite
def plans(
    draw: st.DrawFn,
    zero: bool = False,
    clawbacks: bool = True,
    timing: str | None = None,
    rising: bool = False,
) -> PlanDesign:
    comps: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 2))):
        comp: dict[str, Any] = {
            "name": f"c{i}",
            "measure": draw(st.sampled_from(["bookings_acv", "new_logo_acv", "first_year_revenue"])),
            "period": draw(st.sampled_from(["month", "quarter", "year"])),
            "pays": timing or draw(st.sampled_from(TIMINGS)),
            "rates": draw(tiers(zero, rising)),
        }
        if draw(st.booleans()):
            comp["cap_per_period_usd"] = draw(st.floats(1_000, 50_000))
        if draw(st.booleans()):
            comp["discount_bands"] = [
                {"max_discount": 0.1, "multiplier": 1.0},
                {"max_discount": 1.0, "multiplier": draw(st.floats(0, 1))},
            ]
        if clawbacks and draw(st.booleans()):
            comp["clawback"] = {
                "window_days": draw(st.floats(30, 400)),
                "share": draw(st.floats(0, 1)),
                "triggers": draw(
                    st.lists(
                        st.sampled_from(["churn", "non_payment", "failed_implementation"]),
                        min_size=1,
                        max_size=3,
                        unique=True,
                    )
                ),
            }
        comps.append(comp)
    csm_bonus = {
        "name": "b",
        "kind": "bonus",
        "measure": "book_grr",
        "period": "quarter",
        "target_usd": 0.0 if zero else 5_000.0,
        "target_value": 0.9,
        "curve": [{"attainment": 0.9, "payout": 0.0}, {"attainment": 1.1, "payout": 1.5}],
    }
    spiffs = [] if zero else [{"event": "new_logo", "amount_usd": 500.0, "months": 6}]
    return PlanDesign.model_validate(
        {
            "name": "p",
            "ae": {
                "base_salary_annual_usd": 100_000,
                "quota": {"annual_amount": 800_000},
                "components": comps,
                "spiffs": spiffs,
            },
            "csm": {"base_salary_annual_usd": 80_000, "components": [csm_bonus]},
        }
    )


@st.composite
def ledgers(draw: st.DrawFn, churn: bool = True) -> list[Event]:
    events = [Event(0.0, "hire", role="ae", person=p) for p in (1, 2)]
    events.append(Event(0.0, "hire", role="csm", person=9))
    n = draw(st.integers(0, 25))
    for deal in range(1, n + 1):
        day = draw(st.floats(0, END - 1))
        acv = draw(st.floats(1_000, 300_000))
        ae = draw(st.sampled_from([1, 2]))
        kind = draw(st.sampled_from(["new", "new", "upsell", "cross_sell", "renewal"]))
        disc = draw(st.sampled_from([0.0, 0.1, 0.2, 0.3]))
        events.append(
            Event(
                day,
                "booking",
                amount=acv,
                deal=deal,
                customer=deal,
                ae=ae,
                csm=9,
                deal_kind=kind,
                discount=disc,
                term_months=12,
            )
        )
        for m in range(1, 13):
            events.append(
                Event(
                    day + 30.4 * m - 15,
                    "revenue",
                    amount=acv / 12,
                    deal=deal,
                    customer=deal,
                    ae=ae,
                    first_year=True,
                )
            )
        events.append(Event(day + 40, "cash", amount=acv, deal=deal, customer=deal, ae=ae))
        events.append(Event(day + draw(st.floats(5, 60)), "go_live", deal=deal, customer=deal))
        fate = draw(st.sampled_from(["success", "failed", "none"]))
        if fate == "success":
            events.append(Event(day + 150, "implementation_success", deal=deal, customer=deal))
        elif fate == "failed":
            events.append(Event(day + 150, "implementation_failed", deal=deal, customer=deal))
        if churn and draw(st.booleans()):
            events.append(
                Event(day + draw(st.floats(1, 500)), "arr_churn", amount=-acv, customer=deal, csm=9)
            )
        if draw(st.booleans()):
            events.append(
                Event(day + 365, "renewal", amount=acv, deal=deal, customer=deal, csm=9, first_year=True)
            )
        if draw(st.booleans()):
            events.append(Event(day + 60, "non_payment", deal=deal, customer=deal))
    for m in range(24):
        events.append(Event(float(CAL.month_starts[m]), "book_snapshot", amount=1e6, person=9, role="csm"))
    events.sort(key=lambda e: e.day)
    return events


@settings(max_examples=60)
@given(plans(), ledgers())
def test_no_negative_pay_except_bounded_clawbacks(plan: PlanDesign, events: list[Event]) -> None:
    state = PayState(plan, CAL)
    for e in events:
        state.observe(e)
    state.close_until(END)
    for x in state.lines:
        if x.amount < 0:
            assert x.reason.startswith("clawback")
    net: dict[tuple[int, str], float] = defaultdict(float)
    for x in state.lines:
        net[(x.person, x.component)] += x.amount
    assert all(v >= -1e-6 for v in net.values())
    for item in state.items():
        assert item["clawed"] <= item["released"] + 1e-6


@settings(max_examples=60)
@given(plans(timing="on_booking", clawbacks=False), ledgers(churn=False))
def test_caps_hold(plan: PlanDesign, events: list[Event]) -> None:
    out = compute_payouts(events, plan, CAL, start_day=0, end_day=END)
    for comp in plan.ae.components:
        if comp.cap_per_period_usd is None:
            continue
        per: dict[tuple[int, int], float] = defaultdict(float)
        for x in out.lines:
            if x.component == comp.name:
                per[(x.person, CAL.period_of(x.day, comp.period))] += x.amount
        assert all(v <= comp.cap_per_period_usd + 1e-6 for v in per.values())


def _full_deal(day: float, acv: float, deal: int) -> list[Event]:
    """A booking with every later event that releases its pay (go-live, success, revenue...)."""
    kw: dict[str, Any] = {"deal": deal, "customer": deal, "ae": 1}
    out = [
        Event(day, "booking", amount=acv, csm=9, deal_kind="new", term_months=12, **kw),
        Event(day + 10, "go_live", **kw),
        Event(day + 120, "implementation_success", **kw),
        Event(day + 30, "cash", amount=acv, **kw),
        Event(day + 365, "renewal", amount=acv, **kw),
    ]
    out += [
        Event(day + 30.4 * m - 15, "revenue", amount=acv / 12, first_year=True, **kw) for m in range(1, 13)
    ]
    return out


@settings(max_examples=60)
@given(
    plans(clawbacks=False, rising=True),
    ledgers(churn=False),
    st.floats(1_000, 200_000),
    st.floats(0, END - 400),
)
def test_pay_monotone_in_attainment(plan: PlanDesign, events: list[Event], extra: float, day: float) -> None:
    """One more booking (more attainment) never lowers anyone's pay under non-negative rates.

    The extra deal gets every event that releases its pay inside the window (caps count pay
    when it is credited, so a deal whose pay is never released would still use cap room).
    Rates rise with attainment here: a decelerating table read on another measure than the
    quota's (revenue paid at the rate of bookings attainment) rightly pays less per unit as
    attainment grows; integrated tables are monotone either way.
    """
    before = compute_payouts(events, plan, CAL, start_day=0, end_day=END).by_person()
    more = sorted([*events, *_full_deal(day, extra, 999)], key=lambda e: e.day)
    after = compute_payouts(more, plan, CAL, start_day=0, end_day=END).by_person()
    for person, amount in before.items():
        assert after.get(person, 0.0) >= amount - 1e-6


@settings(max_examples=60)
@given(plans(), ledgers(), st.floats(0, END / 2))
def test_lines_sum_to_totals(plan: PlanDesign, events: list[Event], start: float) -> None:
    out = compute_payouts(events, plan, CAL, start_day=start, end_day=END)
    frame = out.frame()
    total = float(frame["amount"].sum()) if len(frame) else 0.0
    assert total == pytest.approx(out.variable_total() + out.base_total(), abs=1e-6)
    assert sum(out.by_role().values()) == pytest.approx(out.variable_total(), abs=1e-6)
    assert sum(out.by_component().values()) == pytest.approx(out.variable_total(), abs=1e-6)
    assert sum(out.by_person().values()) == pytest.approx(out.variable_total(), abs=1e-6)
    assert all(start <= x.day < END for x in out.lines)


@settings(max_examples=40)
@given(plans(zero=True), ledgers())
def test_all_zero_rates_pay_base_only(plan: PlanDesign, events: list[Event]) -> None:
    out = compute_payouts(events, plan, CAL, start_day=0, end_day=END)
    assert out.variable_total() == 0.0
    assert all(x.component == "base" for x in out.lines)
    # Two AEs at 100,000 and one CSM at 80,000 for the whole window.
    assert out.base_total() == pytest.approx((2 * 100_000 + 80_000) * END / 365.25)


@settings(max_examples=60)
@given(tiers(), st.floats(0, 600_000), st.floats(0, 400_000))
def test_price_integrates_tiers_like_brackets(
    rates: list[dict[str, float]], before: float, amount: float
) -> None:
    """``PayState.price`` pays the tiers like tax brackets: each rate on the dollars of the move
    that fall inside its tier (written here as the difference of cumulative bracket pay)."""
    comp = {"name": "c", "measure": "bookings_acv", "rates": rates}
    plan = PlanDesign.model_validate(
        {"name": "p", "ae": {"quota": {"annual_amount": 800_000}, "components": [comp]}}
    )
    state = PayState(plan, CAL)
    if before:
        state.observe(Event(1.0, "booking", amount=before, deal=1, customer=1, ae=1, deal_kind="new"))
    pay, _, _ = state.price("ae", 1, 0, plan.ae.components[0], amount, 2.0, 0.0)
    q = 200_000.0  # quarterly quota
    edges = [r["from_attainment"] * q for r in rates] + [float("inf")]

    def cumulative(x: float) -> float:
        """Pay for the first ``x`` dollars of the quarter."""
        brackets = zip(rates, edges[:-1], edges[1:], strict=True)
        return sum(r["rate"] * min(max(x - lo, 0.0), hi - lo) for r, lo, hi in brackets)

    assert pay == pytest.approx(cumulative(before + amount) - cumulative(before), abs=1e-6)
