"""The fast valuation gives exactly the utilities (so the choices) of the straightforward one.

Random plans (any component the schema can express, spiffs), random ledgers and random
decisions; the policy's fast path (:class:`sim.behaviour.fast.FastValuer`, used by
``choose``) must agree bit for bit with ``IncentivePolicy.reference_utilities`` (one
``value_outcome`` per outcome), also when several decisions share a day and state and when
the state changes between decisions on the same day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.behaviour import IncentivePolicy
from sim.behaviour.choice import choose_index
from sim.calendar import Calendar
from sim.decisions import Decision, MeasureOutcome, Option
from sim.ledger import Event, Ledger
from sim.plans.components import SPIFF_EVENT_MEASURE, paid_measures
from sim.scenario.behaviour import Behaviour
from sim.scenario.plans import MEASURES, PlanDesign

CAL = Calendar(1, 36)
AES, CSMS, CONSULTANTS = (1, 2), (11, 12), (21,)
ROLE_OF = {**{p: "ae" for p in AES}, **{p: "csm" for p in CSMS}, **{p: "consultant" for p in CONSULTANTS}}
VALUED_MEASURES = (
    "bookings_acv", "new_logo_acv", "upsell_acv", "cross_sell_acv", "first_year_revenue", "cash_collected",
    "net_new_arr", "book_grr", "book_nrr", "go_lives", "implementation_success_90d", "first_year_renewals",
    "renewals_arr", "references", "referrals",
)

small = st.floats(0.0, 1.0)


@st.composite
def components(draw: st.DrawFn, quota: bool, i: int) -> dict[str, Any]:
    """Any component the schema accepts (commission or bonus, every timing and modifier)."""
    kind = draw(st.sampled_from(["commission", "commission", "bonus"]))
    c: dict[str, Any] = {
        "name": f"c{i}",
        "measure": draw(st.sampled_from(VALUED_MEASURES)),
        "kind": kind,
        "scope": draw(st.sampled_from(["individual", "individual", "team"])),
        "period": draw(st.sampled_from(["month", "quarter", "year"])),
        "pays": draw(st.sampled_from(
            ["on_booking", "at_go_live", "on_revenue", "on_cash", "at_renewal", "after_success"])),
        "success_days": draw(st.integers(1, 200)),
    }
    if kind == "commission":
        n = draw(st.integers(1, 3)) if quota else 1
        starts = [0.0, *sorted(draw(st.sets(st.floats(0.05, 2.0), min_size=n - 1, max_size=n - 1)))]
        c["rates"] = [{"from_attainment": a, "rate": draw(st.floats(0.01, 0.3))} for a in starts]
    else:
        xs = sorted(draw(st.sets(st.floats(0.0, 1.5), min_size=1, max_size=4)))
        c["curve"] = [{"attainment": x, "payout": draw(st.floats(0.0, 2.0))} for x in xs]
        c["target_usd"] = draw(st.floats(1_000, 30_000))
        c["target_value"] = draw(st.sampled_from([0.9, 1.0, 50_000.0, 3.0]))
    if draw(st.booleans()):
        c["threshold_attainment"] = draw(st.floats(0.0, 0.6))
    if draw(st.booleans()):
        c["cap_per_period_usd"] = draw(st.floats(100.0, 20_000))
    if draw(st.booleans()):
        ms = sorted(draw(st.sets(st.floats(0.0, 1.0), min_size=1, max_size=3)))
        c["discount_bands"] = [{"max_discount": m, "multiplier": draw(st.floats(0.0, 1.5))} for m in ms]
    if draw(st.booleans()):
        c["clawback"] = {
            "window_days": draw(st.floats(1.0, 800.0)),
            "share": draw(small),
            "triggers": draw(st.lists(st.sampled_from(["churn", "non_payment", "failed_implementation"]),
                                      min_size=1, max_size=3, unique=True)),
        }
    return c


@st.composite
def role_plans(draw: st.DrawFn) -> dict[str, Any]:
    quota = draw(st.booleans())
    rp: dict[str, Any] = {"target_variable_annual_usd": draw(st.floats(0.0, 100_000))}
    if quota:
        rp["quota"] = {"measure": draw(st.sampled_from(MEASURES)), "annual_amount": draw(st.floats(1e4, 2e6)),
                       "period": draw(st.sampled_from(["month", "quarter", "year"]))}
    n = draw(st.integers(1, 3))
    rp["components"] = [draw(components(quota, i)) for i in range(n)]
    rp["spiffs"] = [
        {"event": draw(st.sampled_from(["new_logo", "multi_year", "upsell", "cross_sell", "reference",
                                        "referral", "go_live", "renewal"])),
         "amount_usd": draw(st.floats(1.0, 5_000)),
         "start_month": draw(st.floats(0.0, 6.0)),
         "months": draw(st.one_of(st.none(), st.floats(0.5, 12.0)))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    return rp


@st.composite
def plans(draw: st.DrawFn) -> PlanDesign:
    return PlanDesign.model_validate({
        "name": "random",
        "ae": draw(role_plans()),
        "csm": draw(role_plans()),
        "consultant": draw(role_plans()),
        "crediting": {"upsell": draw(st.sampled_from([["csm"], ["ae"], ["ae", "csm"]])),
                      "cross_sell": draw(st.sampled_from([["csm"], ["ae"], ["ae", "csm"]]))},
    })


@st.composite
def events(draw: st.DrawFn, day: float, deal: int) -> Event:
    """One ledger event that moves some measure of some person."""
    kind: Any = draw(st.sampled_from([
        "booking", "booking", "booking", "revenue", "cash", "book_snapshot", "arr_churn", "arr_contraction",
        "go_live", "implementation_success", "renewal", "reference", "referral", "leave",
    ]))
    ae, csm, con = draw(st.sampled_from(AES)), draw(st.sampled_from(CSMS)), CONSULTANTS[0]
    amount = draw(st.floats(1_000, 200_000))
    if kind == "booking":
        return Event(day, "booking", amount=amount, deal=deal, customer=deal, ae=ae, csm=csm,
                     deal_kind=draw(st.sampled_from(["new", "upsell", "cross_sell"])),
                     discount=draw(st.sampled_from([0.0, 0.1, 0.2, 0.3])), term_months=12)
    if kind == "book_snapshot":
        return Event(day, "book_snapshot", amount=amount * 10, person=csm)
    if kind in ("arr_churn", "arr_contraction"):
        return Event(day, kind, amount=-amount / 10, customer=draw(st.integers(0, deal)), csm=csm,
                     ae=ae, deal_kind="new")
    if kind == "leave":
        return Event(day, "leave", role="ae", person=AES[-1])
    return Event(day, kind, amount=amount, deal=draw(st.integers(0, deal)), customer=0, ae=ae, csm=csm,
                 consultant=con, first_year=draw(st.booleans()), deal_kind="new")


@st.composite
def outcomes(draw: st.DrawFn, measures: Sequence[str]) -> MeasureOutcome:
    return MeasureOutcome(
        draw(st.sampled_from(measures)),
        draw(st.sampled_from([1.0, 0.01, -0.02, 5_000.0, 20_000.0, 80_000.0])),
        draw(st.sampled_from([1.0, 0.0, 0.3, 0.8, 1.2, -0.1])),
        draw(st.sampled_from([0.0, 10.0, 45.0, 200.0, -5.0])),
        draw(st.sampled_from([0.0, 0.0, 365.0, 40.0])),
        draw(st.sampled_from([0.0, 0.1, 0.2, 0.3])),
        draw(st.sampled_from([30.0, 90.0])),
        draw(small),
        draw(st.sampled_from([365.0, 730.0])),
        draw(st.sampled_from([30.0, 60.0])),
        draw(small),
        draw(small),
        draw(small),
        draw(st.sampled_from([0, 12, 24, 36])),
    )


@st.composite
def decisions(draw: st.DrawFn, day: float, plan: PlanDesign) -> Decision:
    person = draw(st.sampled_from(sorted(ROLE_OF)))
    rp = plan.role(ROLE_OF[person])
    # Mostly measures the person's plan pays on (the others are worth exactly 0).
    paid = sorted({c.measure for c in rp.components} | {SPIFF_EVENT_MEASURE[s.event] for s in rp.spiffs})
    measures = paid * (3 * len(VALUED_MEASURES)) + list(VALUED_MEASURES) if paid else list(VALUED_MEASURES)
    n = draw(st.integers(2, 6))
    # Options drawn from a small pool so that options of one decision share credits.
    pool = draw(st.lists(outcomes(measures), min_size=1, max_size=4))
    opts = tuple(
        Option(f"o{i}", tuple(draw(st.lists(st.sampled_from(pool), min_size=i > 0, max_size=3))),
               draw(st.floats(0, 2)))
        for i in range(n)
    )
    return Decision("test", day, ROLE_OF[person], person, opts, draw(st.integers(0, n - 1)))


def bound(plan: PlanDesign, rate: float, risk: float) -> tuple[IncentivePolicy, Ledger]:
    pol = IncentivePolicy(
        Behaviour(rationality_per_kusd=1.0, annual_time_preference=rate, risk_aversion_per_kusd=risk), plan,
        measure_start_months=1,
    )
    ledger = Ledger()
    pol.bind(ledger, CAL, dict(ROLE_OF))
    for p, role in ROLE_OF.items():
        ledger.record(Event(0.0, "hire", role=role, person=p))
    return pol, ledger


@settings(max_examples=100, deadline=None)
@given(plans(), st.sampled_from([0.0, 0.15]), st.sampled_from([0.0, 0.3]), st.data())
def test_fast_utilities_equal_reference(
    plan: PlanDesign, rate: float, risk: float, data: st.DataObject
) -> None:
    pol, ledger = bound(plan, rate, risk)
    assert pol.valuer is not None
    day = 1.0
    deal = 0
    for _ in range(data.draw(st.integers(1, 6))):
        for _ in range(data.draw(st.integers(0, 8))):
            day += data.draw(st.sampled_from([0.0, 3.0, 20.0]))
            ledger.record(data.draw(events(day, deal)))
            deal += 1
        # Two decisions on the same day and state share the fast caches; a third follows a new event.
        for _ in range(data.draw(st.integers(1, 3))):
            d = data.draw(decisions(day, plan))
            ref = pol.reference_utilities(d)
            fast = pol.valuer.utilities(d)
            assert _same(fast, ref)
            for u in (0.05, 0.5, 0.95):
                assert pol.choose(d, u) == choose_index(ref, d.neutral, 1.0, u)
            for o in [o for opt in d.options for o in opt.outcomes]:
                assert _same(pol.valuer.value(d.role, d.person, d.day, o), _reference_value(pol, d, o))


def _same(a: Sequence[float], b: Sequence[float]) -> bool:
    """Bit-for-bit equal floats (NaN equal to NaN)."""
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b, strict=True)
    )


def _reference_value(pol: IncentivePolicy, d: Decision, o: MeasureOutcome) -> tuple[float, float]:
    from sim.behaviour.valuation import value_outcome

    assert pol.state is not None
    return value_outcome(pol.state, d.role, d.person, d.day, o, pol.behaviour.annual_time_preference)


def test_fast_path_sees_state_changes_on_the_same_day() -> None:
    """A credit recorded between two decisions on the same day moves the second one's value."""
    plan = PlanDesign.model_validate({"name": "p", "ae": {
        "quota": {"measure": "bookings_acv", "annual_amount": 1_000_000, "period": "quarter"},
        "components": [{"name": "c", "measure": "bookings_acv", "rates": [
            {"from_attainment": 0.0, "rate": 0.1}, {"from_attainment": 1.0, "rate": 0.2}]}],
    }})
    pol, ledger = bound(plan, 0.0, 0.0)
    assert pol.valuer is not None
    d = Decision("t", 40.0, "ae", 1, (Option("a"), Option("b", (MeasureOutcome("bookings_acv", 10_000),))))
    before = pol.valuer.utilities(d)
    ledger.record(Event(40.0, "booking", amount=300_000, deal=1, customer=1, ae=1, deal_kind="new"))
    after = pol.valuer.utilities(d)
    assert before[1] == pytest.approx(1.0)  # 10k at 10%, in $k
    assert after[1] == pytest.approx(2.0)  # above quota: 20%
    assert after == pol.reference_utilities(d)


THRESHOLD_PLAN = PlanDesign.model_validate({"name": "threshold", "ae": {
    "quota": {"measure": "bookings_acv", "annual_amount": 1_000_000, "period": "quarter"},
    "components": [
        {"name": "held", "measure": "bookings_acv", "threshold_attainment": 0.5, "cap_per_period_usd": 15_000,
         "rates": [{"from_attainment": 0.0, "rate": 0.1}, {"from_attainment": 1.0, "rate": 0.2}]},
        {"name": "team", "measure": "new_logo_acv", "scope": "team", "pays": "on_cash",
         "rates": [{"from_attainment": 0.0, "rate": 0.05}]},
    ],
}})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1_000, 150_000), max_size=6),
       st.lists(st.sampled_from([5_000.0, 40_000.0, 90_000.0, 160_000.0]), min_size=2, unique=True),
       st.floats(0.0, 80.0))
def test_fast_prices_thresholds_caps_and_teams_like_the_reference(
    booked: list[float], amounts: list[float], delay: float
) -> None:
    """Held pay unlocked by crossing a threshold, cap room used up, team head counts."""
    pol, ledger = bound(THRESHOLD_PLAN, 0.15, 0.2)
    assert pol.valuer is not None
    for i, a in enumerate(booked):
        ledger.record(Event(5.0 + i, "booking", amount=a, deal=i, customer=i, ae=1, deal_kind="new"))
    d = Decision("t", 12.0, "ae", 1, tuple(
        Option(f"o{i}", (MeasureOutcome("bookings_acv", a, 0.7, delay),
                         MeasureOutcome("new_logo_acv", a, 0.7, delay, cash_delay_days=45.0)))
        for i, a in enumerate(amounts)
    ))
    ref = pol.reference_utilities(d)
    assert _same(pol.valuer.utilities(d), ref)
    assert len(set(ref)) == len(amounts)  # distinct deals are worth different pay: not a vacuous check


@settings(max_examples=30, deadline=None)
@given(plans(), st.data())
def test_outcomes_on_unpaid_measures_are_worth_exactly_nothing(plan: PlanDesign, data: st.DataObject) -> None:
    """``paid_measures`` is exact: a world may leave every other measure out of its options."""
    pol, ledger = bound(plan, 0.15, 0.3)
    for i in range(data.draw(st.integers(0, 6))):
        ledger.record(data.draw(events(3.0 * i + 1.0, i)))
    person = data.draw(st.sampled_from(sorted(ROLE_OF)))
    role = ROLE_OF[person]
    paid = paid_measures(plan.role(role))
    o = data.draw(outcomes(VALUED_MEASURES))
    mean, var = _reference_value(pol, Decision("t", 20.0, role, person, ()), o)
    if o.measure not in paid:
        assert (mean, var) == (0.0, 0.0)
    assert paid == {c.measure for c in plan.role(role).components} | {
        SPIFF_EVENT_MEASURE[s.event] for s in plan.role(role).spiffs}
