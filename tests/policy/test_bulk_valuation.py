"""All options of a decision valued at once equal each outcome valued on its own.

:class:`sim.policy.valuation.Valuer` prices every option of a decision in one pass: options
grouped by their credit's timing, credits cut into pieces at period ends, the pay state behind
each piece read once per decision scope, values of tables already priced reused (a table
taken from another). ``value_outcome`` prices one outcome through a one-option table, so none
of that grouping or caching is involved. On random plans (any component the schema can
express, spiffs), random ledgers and random decisions the two must agree: utility = expected
pay - risk_aversion / 2 x variance - effort, with the standard deviations of one option's
outcomes added. Also: a table made of rows of another values exactly as those rows, and a
change of the pay state between two decisions on the same day is seen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, get_args

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import Event, Ledger
from sim.plans.components import SPIFF_EVENT_MEASURE, paid_measures
from sim.policy.decisions import Decision, MeasureOutcome, Option, OptionTable
from sim.policy.incentive import IncentivePolicy
from sim.policy.valuation import Valuer, value_outcome
from sim.scenario.behaviour import Behaviour
from sim.scenario.plans import MEASURES, PlanDesign, SpiffEvent
from sim.time.calendar import Calendar

CAL = Calendar(1, 36)
AES, CSMS, CONSULTANTS = (1, 2), (11, 12), (21,)
ROLE_OF = {**{p: "ae" for p in AES}, **{p: "csm" for p in CSMS}, **{p: "consultant" for p in CONSULTANTS}}
NOT_VALUED = (
    "tickets",
    "leads",
    "marketing_sourced_acv",
    "meetings_set",
    "qualified_opportunities",
    "sdr_closed_acv",
    "sdr_first_year_revenue",
    "tickets_resolved",
    "company_nrr",
    "company_grr",
    "company_new_arr",
)
"""Measures no AE, CSM or consultant decision describes (product, marketing, SDR, support and
company-wide measures)."""
VALUED_MEASURES = tuple(m for m in MEASURES if m not in NOT_VALUED)

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
        "pays": draw(
            st.sampled_from(
                ["on_booking", "at_go_live", "on_revenue", "on_cash", "at_renewal", "after_success"]
            )
        ),
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
            "triggers": draw(
                st.lists(
                    st.sampled_from(["churn", "non_payment", "failed_implementation"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            ),
        }
    return c


@st.composite
def role_plans(draw: st.DrawFn) -> dict[str, Any]:
    quota = draw(st.booleans())
    rp: dict[str, Any] = {"target_variable_annual_usd": draw(st.floats(0.0, 100_000))}
    if quota:
        rp["quota"] = {
            "measure": draw(st.sampled_from(MEASURES)),
            "annual_amount": draw(st.floats(1e4, 2e6)),
            "period": draw(st.sampled_from(["month", "quarter", "year"])),
        }
    n = draw(st.integers(1, 3))
    rp["components"] = [draw(components(quota, i)) for i in range(n)]
    rp["spiffs"] = [
        {
            "event": draw(st.sampled_from([e for e in get_args(SpiffEvent) if e != "handoff"])),
            "amount_usd": draw(st.floats(1.0, 5_000)),
            "start_month": draw(st.floats(0.0, 6.0)),
            "months": draw(st.one_of(st.none(), st.floats(0.5, 12.0))),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return rp


@st.composite
def plans(draw: st.DrawFn) -> PlanDesign:
    return PlanDesign.model_validate(
        {
            "name": "random",
            "ae": draw(role_plans()),
            "csm": draw(role_plans()),
            "consultant": draw(role_plans()),
            "crediting": {
                "upsell": draw(st.sampled_from([["csm"], ["ae"], ["ae", "csm"]])),
                "cross_sell": draw(st.sampled_from([["csm"], ["ae"], ["ae", "csm"]])),
            },
        }
    )


@st.composite
def events(draw: st.DrawFn, day: float, deal: int) -> Event:
    """One ledger event that moves some measure of some person."""
    kind: Any = draw(
        st.sampled_from(
            [
                "booking",
                "booking",
                "booking",
                "revenue",
                "cash",
                "book_snapshot",
                "arr_churn",
                "arr_contraction",
                "go_live",
                "implementation_success",
                "renewal",
                "reference",
                "referral",
                "leave",
            ]
        )
    )
    ae, csm, con = draw(st.sampled_from(AES)), draw(st.sampled_from(CSMS)), CONSULTANTS[0]
    amount = draw(st.floats(1_000, 200_000))
    if kind == "booking":
        return Event(
            day,
            "booking",
            amount=amount,
            deal=deal,
            customer=deal,
            ae=ae,
            csm=csm,
            deal_kind=draw(st.sampled_from(["new", "upsell", "cross_sell"])),
            discount=draw(st.sampled_from([0.0, 0.1, 0.2, 0.3])),
            term_months=12,
        )
    if kind == "book_snapshot":
        return Event(day, "book_snapshot", amount=amount * 10, person=csm)
    if kind in ("arr_churn", "arr_contraction"):
        return Event(
            day,
            kind,
            amount=-amount / 10,
            customer=draw(st.integers(0, deal)),
            csm=csm,
            ae=ae,
            deal_kind="new",
        )
    if kind == "leave":
        return Event(day, "leave", role="ae", person=AES[-1])
    return Event(
        day,
        kind,
        amount=amount,
        deal=draw(st.integers(0, deal)),
        customer=0,
        ae=ae,
        csm=csm,
        consultant=con,
        first_year=draw(st.booleans()),
        deal_kind="new",
    )


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
        Option(
            f"o{i}",
            tuple(draw(st.lists(st.sampled_from(pool), min_size=i > 0, max_size=3))),
            draw(st.floats(0, 2)),
        )
        for i in range(n)
    )
    return Decision("test", day, ROLE_OF[person], person, opts, draw(st.integers(0, n - 1)))


def bound(plan: PlanDesign, rate: float, risk: float) -> tuple[IncentivePolicy, Ledger]:
    pol = IncentivePolicy(
        Behaviour(rationality_per_kusd=1.0, annual_time_preference=rate, risk_aversion_per_kusd=risk),
        plan,
        measure_start_months=1,
    )
    ledger = Ledger()
    pol.bind(ledger, CAL, dict(ROLE_OF))
    for p, role in ROLE_OF.items():
        ledger.record(Event(0.0, "hire", role=role, person=p))
    return pol, ledger


def one_by_one(pol: IncentivePolicy, d: Decision) -> tuple[list[float], list[float]]:
    """Utility of each option of ``d`` from its outcomes valued one at a time with ``value_outcome``
    (expected pays summed, standard deviations summed), and the size of the terms behind it
    (the scale of a relative tolerance)."""
    assert pol.state is not None
    rate, risk = pol.behaviour.annual_time_preference, pol.behaviour.risk_aversion_per_kusd
    utilities, scales = [], []
    for opt in d.options:
        mean = sd = size = 0.0
        for o in opt.outcomes:
            m, var = value_outcome(pol.state, d.role, d.person, d.day, o, rate)
            mean += m
            sd += math.sqrt(var)
            size += abs(m)
        penalty = 0.5 * risk * (sd / 1000) ** 2
        utilities.append(mean / 1000 - penalty - opt.effort_kusd)
        scales.append(size / 1000 + penalty + opt.effort_kusd)
    return utilities, scales


def assert_utilities_match(bulk: Sequence[float], ref: Sequence[float], scale: Sequence[float]) -> None:
    """Equal to 1e-9 of the size of the terms (NaN only where the reference is NaN)."""
    assert len(bulk) == len(ref)
    for i, (x, y, s) in enumerate(zip(bulk, ref, scale, strict=True)):
        if math.isnan(y):
            assert math.isnan(x), f"option {i}: {x} where the reference is NaN"
        else:
            assert abs(x - y) <= 1e-9 * s, f"option {i}: bulk {x!r} != one by one {y!r}"


@st.composite
def shaped(draw: st.DrawFn, d: Decision, sources: Sequence[Decision]) -> Decision:
    """``d`` as the world may hand it over: options only, a table, a table builder, or options
    made of rows of an earlier decision's table (``-1``: an option without outcomes)."""
    form = draw(st.sampled_from(["options", "table", "builder", "taken"]))
    if form == "table":
        return Decision(d.kind, d.day, d.role, d.person, d.options, d.neutral, table=d.option_table())
    if form == "builder":
        opts = d.options
        return Decision(
            d.kind, d.day, d.role, d.person, opts, d.neutral, table=lambda: OptionTable.from_options(opts)
        )
    if form == "taken" and sources:
        src = draw(st.sampled_from(sources))
        assert isinstance(src.table, OptionTable)
        rows = draw(st.lists(st.integers(-1, len(src.options) - 1), min_size=1, max_size=5))
        effort = [draw(st.floats(0, 2)) for _ in rows]
        opts = tuple(
            Option(f"row {r}", src.options[r].outcomes if r >= 0 else (), e)
            for r, e in zip(rows, effort, strict=True)
        )
        return Decision(d.kind, d.day, src.role, src.person, opts, 0, table=src.table.take(rows, effort))
    return d


@settings(max_examples=50, deadline=None)
@given(plans(), st.sampled_from([0.0, 0.15]), st.sampled_from([0.0, 0.3]), st.data())
def test_bulk_utilities_equal_one_outcome_at_a_time(
    plan: PlanDesign, rate: float, risk: float, data: st.DataObject
) -> None:
    pol, ledger = bound(plan, rate, risk)
    assert pol.valuer is not None
    day = 1.0
    deal = 0
    sources: list[Decision] = []
    for _ in range(data.draw(st.integers(1, 5))):
        for _ in range(data.draw(st.integers(0, 8))):
            day += data.draw(st.sampled_from([0.0, 3.0, 20.0]))
            ledger.record(data.draw(events(day, deal)))
            deal += 1
        # Several decisions on one day and state share the valuer's caches (also across people);
        # tables taken from an earlier round's decision are valued after the state changed.
        for _ in range(data.draw(st.integers(1, 3))):
            plain = data.draw(decisions(day, plan))
            d = data.draw(shaped(plain, sources))
            ref, scale = one_by_one(pol, d)
            assert_utilities_match(pol.utilities(d), ref, scale)
            if data.draw(st.booleans()):  # the state moves on the same day: the same decision again
                ledger.record(data.draw(events(day, deal)))
                deal += 1
                ref, scale = one_by_one(pol, d)
                assert_utilities_match(pol.utilities(d), ref, scale)
            sources.append(
                Decision(plain.kind, day, plain.role, plain.person, plain.options, table=plain.option_table())
            )
            if data.draw(st.booleans()):  # valued now: a table taken from it later reuses the values
                pol.utilities(sources[-1])


@settings(max_examples=30, deadline=None)
@given(plans(), st.data())
def test_a_taken_table_values_as_the_rows_of_its_source(plan: PlanDesign, data: st.DataObject) -> None:
    """Options made of rows of another table are worth exactly those rows (reused, and priced
    afresh from the taken columns); an option of row -1 is worth nothing before its effort."""
    rate, risk = 0.15, 0.3
    pol, ledger = bound(plan, rate, risk)
    state = pol.state
    assert state is not None
    for i in range(data.draw(st.integers(0, 6))):
        ledger.record(data.draw(events(3.0 * i + 1.0, i)))
    d = data.draw(decisions(25.0, plan))
    src = d.option_table()
    rows = data.draw(st.lists(st.integers(-1, src.n - 1), min_size=1, max_size=8))
    effort = [data.draw(st.floats(0, 2)) for _ in rows]
    taken = src.take(rows, effort)
    who = (d.role, d.person, d.day)
    # The taken table first (it values its source), each in a valuer of its own.
    mean_t, sd_t = Valuer(state, rate, risk).pay(*who, taken)
    mean_s, sd_s = Valuer(state, rate, risk).pay(*who, src)
    assert mean_t.tolist() == [mean_s[r] if r >= 0 else 0.0 for r in rows]
    assert sd_t.tolist() == [sd_s[r] if r >= 0 else 0.0 for r in rows]
    # The taken columns hold the source rows' outcomes, and priced anew they are worth the same.
    rebuilt = OptionTable(taken.columns, np.asarray(effort))
    for i, r in enumerate(rows):
        assert rebuilt.outcomes(i) == (src.outcomes(r) if r >= 0 else ())
    mean_r, sd_r = Valuer(state, rate, risk).pay(*who, rebuilt)
    assert mean_r.tolist() == mean_t.tolist()
    assert sd_r.tolist() == sd_t.tolist()
    u = Valuer(state, rate, risk).utilities(Decision("t", d.day, d.role, d.person, (), table=taken))
    for i, r in enumerate(rows):
        if r < 0:
            assert u[i] == -effort[i]
        else:
            sd_k = sd_s[r] / 1000
            assert u[i] == pytest.approx(mean_s[r] / 1000 - 0.5 * risk * sd_k * sd_k - effort[i], rel=1e-12)


TIERED_PLAN = PlanDesign.model_validate(
    {
        "name": "p",
        "ae": {
            "quota": {"measure": "bookings_acv", "annual_amount": 1_000_000, "period": "quarter"},
            "components": [
                {
                    "name": "c",
                    "measure": "bookings_acv",
                    "rates": [{"from_attainment": 0.0, "rate": 0.1}, {"from_attainment": 1.0, "rate": 0.2}],
                }
            ],
        },
    }
)


def test_state_changes_on_the_same_day_are_seen() -> None:
    """A credit recorded between two valuations of the same table on the same day moves its
    value (and that of a table taken from it); another person on that day keeps their own."""
    pol, ledger = bound(TIERED_PLAN, 0.0, 0.0)
    assert pol.valuer is not None and pol.state is not None
    table = OptionTable.from_options([Option("a"), Option("b", (MeasureOutcome("bookings_acv", 10_000),))])
    d = Decision("t", 40.0, "ae", 1, (), table=table)
    taken = Decision("t", 40.0, "ae", 1, (), table=table.take([1, -1], [0.0, 0.5]))
    other = Decision("t", 40.0, "ae", 2, (), table=table)
    version = pol.state.version
    assert pol.utilities(d) == pytest.approx([0.0, 1.0])  # 10k at 10%, in $k
    assert pol.utilities(taken) == pytest.approx([1.0, -0.5])
    ledger.record(Event(40.0, "booking", amount=300_000, deal=1, customer=1, ae=1, deal_kind="new"))
    assert pol.utilities(d) == pytest.approx([0.0, 2.0])  # above quota: 20%
    assert pol.state.version != version  # the valuation read the new row
    assert pol.utilities(taken) == pytest.approx([2.0, -0.5])
    assert pol.utilities(other) == pytest.approx([0.0, 1.0])  # AE 2 booked nothing
    assert pol.utilities(d) == pytest.approx([0.0, 2.0])
    with_options = Decision("t", 40.0, "ae", 1, (Option("a"), Option("b", table.outcomes(1))))
    assert one_by_one(pol, with_options)[0] == pytest.approx([0.0, 2.0])


def test_options_landing_in_different_periods_meet_each_periods_state() -> None:
    """One table, credits in two quarters: each priced at its own quarter's attainment, a
    revenue credit spread over both cut at the quarter end (hand numbers, no time preference)."""
    pol, ledger = bound(TIERED_PLAN, 0.0, 0.0)
    ledger.record(Event(10.0, "booking", amount=300_000, deal=1, customer=1, ae=1, deal_kind="new"))
    q1_end = CAL.period_bounds(0, "quarter")[1]  # Q1 attainment 1.2 (20%), Q2 0 (10%)
    later = q1_end - 20.0 + 10.0  # 10 days into Q2
    d = Decision(
        "t",
        20.0,
        "ae",
        1,
        (
            Option("now", (MeasureOutcome("bookings_acv", 10_000, delay_days=5.0),)),
            Option("next quarter", (MeasureOutcome("bookings_acv", 10_000, delay_days=later),)),
            Option("now again", (MeasureOutcome("bookings_acv", 10_000, delay_days=5.0),)),
            # 12k evenly over 2 x 50 days from 50 days before the quarter end: half in each quarter.
            Option(
                "spread",
                (MeasureOutcome("bookings_acv", 12_000, delay_days=q1_end - 20.0 - 50.0, spread_days=100.0),),
            ),
            Option("point", (MeasureOutcome("bookings_acv", 12_000, delay_days=q1_end - 20.0 - 50.0),)),
        ),
    )
    assert pol.utilities(d) == pytest.approx([2.0, 1.0, 2.0, 6.0 * 0.2 + 6.0 * 0.1, 2.4])


THRESHOLD_PLAN = PlanDesign.model_validate(
    {
        "name": "threshold",
        "ae": {
            "quota": {"measure": "bookings_acv", "annual_amount": 1_000_000, "period": "quarter"},
            "components": [
                {
                    "name": "held",
                    "measure": "bookings_acv",
                    "threshold_attainment": 0.5,
                    "cap_per_period_usd": 15_000,
                    "rates": [{"from_attainment": 0.0, "rate": 0.1}, {"from_attainment": 1.0, "rate": 0.2}],
                },
                {
                    "name": "team",
                    "measure": "new_logo_acv",
                    "scope": "team",
                    "pays": "on_cash",
                    "rates": [{"from_attainment": 0.0, "rate": 0.05}],
                },
            ],
        },
    }
)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(1_000, 150_000), max_size=6),
    st.lists(st.sampled_from([5_000.0, 40_000.0, 90_000.0, 160_000.0]), min_size=2, unique=True),
    st.floats(0.0, 80.0),
)
def test_thresholds_caps_and_teams_in_bulk_as_one_by_one(
    booked: list[float], amounts: list[float], delay: float
) -> None:
    """Held pay unlocked by crossing a threshold, cap room used up, team head counts."""
    pol, ledger = bound(THRESHOLD_PLAN, 0.15, 0.2)
    for i, a in enumerate(booked):
        ledger.record(Event(5.0 + i, "booking", amount=a, deal=i, customer=i, ae=1, deal_kind="new"))
    d = Decision(
        "t",
        12.0,
        "ae",
        1,
        tuple(
            Option(
                f"o{i}",
                (
                    MeasureOutcome("bookings_acv", a, 0.7, delay),
                    MeasureOutcome("new_logo_acv", a, 0.7, delay, cash_delay_days=45.0),
                ),
            )
            for i, a in enumerate(amounts)
        ),
    )
    ref, scale = one_by_one(pol, d)
    assert_utilities_match(pol.utilities(d), ref, scale)
    assert len(set(ref)) == len(amounts)  # distinct deals are worth different pay: not a vacuous check


@settings(max_examples=30, deadline=None)
@given(plans(), st.data())
def test_outcomes_on_unpaid_measures_are_worth_exactly_nothing(plan: PlanDesign, data: st.DataObject) -> None:
    """``paid_measures`` is exact: a world may leave every other measure out of its options."""
    pol, ledger = bound(plan, 0.15, 0.3)
    assert pol.state is not None
    for i in range(data.draw(st.integers(0, 6))):
        ledger.record(data.draw(events(3.0 * i + 1.0, i)))
    person = data.draw(st.sampled_from(sorted(ROLE_OF)))
    role = ROLE_OF[person]
    paid = paid_measures(plan.role(role))
    o = data.draw(outcomes(VALUED_MEASURES))
    mean, var = value_outcome(pol.state, role, person, 20.0, o, 0.15)
    if o.measure not in paid:
        assert (mean, var) == (0.0, 0.0)
    assert paid == {c.measure for c in plan.role(role).components} | {
        SPIFF_EVENT_MEASURE[s.event] for s in plan.role(role).spiffs
    }
