"""The pricing kernel (``sim.plans.pricing``) against formulas written out by hand.

Every expected value here is computed in the test from the plan's numbers (brackets as a
cumulative pay function, ``np.interp`` for curves, closed forms for discounting), never by
calling the kernel again. Rules are compiled from small role plans as a scenario would
give them.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.plans.pricing import (
    band_multiplier,
    bonus,
    clawback_keep,
    commission,
    curve_share,
    discount_factor,
    mean_discount_factor,
    period_end,
    price_options,
    rate_in_force,
    threshold_gate,
    tier_integral,
    timing_factor,
)
from sim.plans.rule import Rule
from sim.scenario.plans import RolePlan

YEAR = 365.25
INF = math.inf
TIERS = [
    {"from_attainment": 0.0, "rate": 0.10},
    {"from_attainment": 1.0, "rate": 0.15},
    {"from_attainment": 1.5, "rate": 0.20},
]
Q = 250_000.0  # quarterly quota of a 1M annual quota


def rule(quota: float | None = 1_000_000.0, quota_measure: str = "bookings_acv", **comp: Any) -> Rule:
    """The rule of a one-component role plan (a quarterly bookings commission unless told)."""
    c: dict[str, Any] = {"name": "c", "measure": "bookings_acv", **comp}
    if c.get("kind", "commission") == "commission":
        c.setdefault("rates", TIERS if quota is not None else [{"from_attainment": 0.0, "rate": 0.10}])
    rp: dict[str, Any] = {"components": [c]}
    if quota is not None:
        rp["quota"] = {"measure": quota_measure, "annual_amount": quota}
    return Rule.compile(RolePlan.model_validate(rp), 0)


def cumulative(tiers: list[dict[str, float]], x: float) -> float:
    """Pay per unit of quota for the first ``x`` of attainment, tiers as tax brackets."""
    starts = [t["from_attainment"] for t in tiers]
    ends = [*starts[1:], INF]
    brackets = zip(tiers, starts, ends, strict=True)
    return sum(t["rate"] * min(max(x - lo, 0.0), hi - lo) for t, lo, hi in brackets)


@st.composite
def tier_lists(draw: st.DrawFn) -> list[dict[str, float]]:
    n = draw(st.integers(1, 4))
    starts = [0.0, *sorted(draw(st.sets(st.floats(0.05, 3.0), min_size=n - 1, max_size=n - 1)))]
    return [{"from_attainment": a, "rate": draw(st.floats(0.0, 0.5))} for a in starts]


attainments = st.floats(0.0, 4.0)


# ---------------------------------------------------------------------- tiers
@settings(max_examples=50)
@given(tier_lists(), attainments, attainments)
def test_tier_integral_is_the_bracket_sum(tiers: list[dict[str, float]], a: float, b: float) -> None:
    p = rule(rates=tiers).params
    a0, a1 = min(a, b), max(a, b)
    expected = cumulative(tiers, a1) - cumulative(tiers, a0)
    assert tier_integral(p, a0, a1) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    if a1 > a0:
        assert tier_integral(p, a1, a0) == 0.0  # a backwards move pays nothing


def test_tier_integral_by_hand() -> None:
    p = rule().params
    assert tier_integral(p, 0.9, 1.1) == pytest.approx(0.1 * 0.10 + 0.1 * 0.15)
    assert tier_integral(p, 0.5, 2.0) == pytest.approx(0.5 * 0.10 + 0.5 * 0.15 + 0.5 * 0.20)
    assert tier_integral(p, 1.2, 1.2) == 0.0


def test_rate_in_force_at_tier_boundaries() -> None:
    p = rule().params
    assert rate_in_force(p, 0.0) == 0.10
    assert rate_in_force(p, -0.3) == 0.10  # below the first tier: the first rate
    assert rate_in_force(p, 0.999) == 0.10
    assert rate_in_force(p, 1.0) == 0.15
    assert rate_in_force(p, 1.0 - 1e-10) == 0.15  # within EPS (1e-9) of a boundary: reached
    assert rate_in_force(p, 1.0 - 1e-8) == 0.10
    assert rate_in_force(p, 1.5 - 1e-10) == 0.20
    assert rate_in_force(p, 1.49) == 0.15
    assert rate_in_force(p, 9.0) == 0.20


@settings(max_examples=50)
@given(tier_lists(), st.floats(-0.5, 4.0))
def test_rate_in_force_is_the_last_tier_reached(tiers: list[dict[str, float]], a: float) -> None:
    reached = [t["rate"] for t in tiers if t["from_attainment"] <= a + 1e-9]
    assert rate_in_force(rule(rates=tiers).params, a) == (reached[-1] if reached else tiers[0]["rate"])


# ---------------------------------------------------------------------- bands and curves
def test_band_multiplier() -> None:
    bands = [
        {"max_discount": 0.1, "multiplier": 1.0},
        {"max_discount": 0.2, "multiplier": 0.8},
        {"max_discount": 0.3, "multiplier": 0.5},
    ]
    p = rule(discount_bands=bands).params
    assert band_multiplier(p, 0.0) == 1.0
    assert band_multiplier(p, 0.1) == 1.0
    assert band_multiplier(p, 0.1 + 1e-10) == 1.0  # within EPS of the band's edge
    assert band_multiplier(p, 0.15) == 0.8  # the first band covering the discount
    assert band_multiplier(p, 0.2) == 0.8
    assert band_multiplier(p, 0.3) == 0.5
    assert band_multiplier(p, 0.31) == 0.0  # beyond every band: not paid
    assert band_multiplier(p, 0.9) == 0.0
    plain = rule().params
    assert [band_multiplier(plain, d) for d in (0.0, 0.3, 1.0)] == [1.0, 1.0, 1.0]  # no bands


def test_curve_share_by_hand() -> None:
    curve = [
        {"attainment": 0.5, "payout": 0.0},
        {"attainment": 1.0, "payout": 1.0},
        {"attainment": 1.5, "payout": 2.0},
    ]
    p = rule(kind="bonus", measure="references", curve=curve, target_usd=1_000).params
    assert curve_share(p, 0.0) == 0.0  # flat before the first point
    assert curve_share(p, 0.75) == pytest.approx(0.5)
    assert curve_share(p, 1.0) == pytest.approx(1.0)
    assert curve_share(p, 1.25) == pytest.approx(1.5)
    assert curve_share(p, 3.0) == 2.0  # flat beyond the last point


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 3.0)),
        min_size=1,
        max_size=5,
        unique_by=lambda xy: xy[0],
    ),
    st.floats(-1.0, 5.0),
)
def test_curve_share_is_linear_between_points_and_flat_beyond(
    points: list[tuple[float, float]], a: float
) -> None:
    points.sort()
    xs, ys = [x for x, _ in points], [y for _, y in points]
    if any(b - x < 1e-6 for x, b in itertools.pairwise(xs)):
        return  # np.interp's slope on near-vertical segments is itself inexact
    curve = [{"attainment": x, "payout": y} for x, y in points]
    p = rule(kind="bonus", measure="references", curve=curve, target_usd=1_000).params
    assert curve_share(p, a) == pytest.approx(float(np.interp(a, xs, ys)), rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------- discounting
@settings(max_examples=50)
@given(st.floats(-50.0, 2_000.0), st.floats(0.0, 0.5))
def test_discount_factor_closed_form(days: float, r: float) -> None:
    expected = (1 + r) ** (-days / YEAR) if days > 0 else 1.0
    assert discount_factor(days, r) == pytest.approx(expected, rel=1e-12)
    assert discount_factor(YEAR, 0.15) == pytest.approx(1 / 1.15)


@settings(max_examples=50)
@given(st.floats(0.0, 800.0), st.one_of(st.just(0.0), st.floats(1e-6, 800.0)), st.floats(0.001, 0.5))
def test_mean_discount_factor_is_the_average_over_the_span(start: float, span: float, r: float) -> None:
    # The mean of (1 + r)^(-t / year) over [start, start + span], by the midpoint rule.
    t = start + span * (np.arange(10_000) + 0.5) / 10_000
    expected = float(np.mean((1 + r) ** (-t / YEAR)))
    assert mean_discount_factor(start, span, r) == pytest.approx(expected, rel=1e-8)
    assert mean_discount_factor(start, span, 0.0) == 1.0


# ---------------------------------------------------------------------- commission
def test_commission_without_quota_pays_the_first_rate_whatever_the_attainment() -> None:
    p = rule(quota=None).params
    assert commission(p, 20_000.0, 0.0, 1.0, INF, 0.0) == pytest.approx(2_000.0)
    assert commission(p, 20_000.0, 5.0, 1.0, INF, 0.0) == pytest.approx(2_000.0)
    assert commission(p, 20_000.0, 0.0, 4.0, INF, 0.0) == pytest.approx(500.0)  # a team of 4 shares it
    assert commission(p, -20_000.0, 0.0, 1.0, INF, 0.0) == 0.0


def test_commission_integrates_tiers_on_its_own_measure() -> None:
    p = rule().params
    # 225k of 250k booked (0.9): 25k at 10% + 25k at 15%.
    assert commission(p, 50_000.0, 0.9, 1.0, INF, 0.0) == pytest.approx(2_500.0 + 3_750.0)
    # Team of 4 at 0.95 of the team quota (1M): 50k at 10% + 50k at 15%, shared by 4.
    assert commission(p, 100_000.0, 0.95, 4.0, INF, 0.0) == pytest.approx((5_000.0 + 7_500.0) / 4)
    assert commission(p, -50_000.0, 0.9, 1.0, INF, 0.0) == 0.0  # negative credits pay nothing


def test_commission_on_another_measure_pays_the_tier_in_force() -> None:
    p = rule(measure="first_year_revenue").params  # revenue paid at the rate of bookings attainment
    assert commission(p, 50_000.0, 0.99, 1.0, INF, 0.0) == pytest.approx(5_000.0)  # no integration
    assert commission(p, 50_000.0, 1.0, 1.0, INF, 0.0) == pytest.approx(7_500.0)
    assert commission(p, 50_000.0, 1.0, 5.0, INF, 0.0) == pytest.approx(1_500.0)  # team share x rate
    assert commission(p, -50_000.0, 1.0, 1.0, INF, 0.0) == 0.0


def test_commission_bands_and_cap() -> None:
    bands = [{"max_discount": 0.1, "multiplier": 1.0}, {"max_discount": 0.3, "multiplier": 0.5}]
    p = rule(discount_bands=bands, cap_per_period_usd=10_000).params
    assert commission(p, 20_000.0, 0.0, 1.0, 10_000.0, 0.2) == pytest.approx(1_000.0)
    assert commission(p, 20_000.0, 0.0, 1.0, 10_000.0, 0.4) == 0.0  # beyond every band
    assert commission(p, 20_000.0, 0.0, 1.0, 600.0, 0.0) == pytest.approx(600.0)  # the cap's room left
    assert commission(p, 20_000.0, 0.0, 1.0, 0.0, 0.0) == 0.0
    assert commission(p, 20_000.0, 0.0, 1.0, -50.0, 0.0) == 0.0  # an overdrawn cap pays nothing


def test_commission_on_a_book_ratio_pays_nothing_per_credit() -> None:
    p = rule(quota=None, measure="book_nrr", rates=[{"from_attainment": 0.0, "rate": 1_000.0}]).params
    assert commission(p, 0.05, 0.0, 1.0, INF, 0.0) == 0.0


@settings(max_examples=50)
@given(
    tier_lists(),
    attainments,
    st.floats(-50_000.0, 600_000.0),
    st.integers(1, 6),
    st.floats(0.0, 0.5),
    st.one_of(st.none(), st.floats(100.0, 50_000.0)),
    st.floats(0.0, 1.0),
)
def test_commission_by_hand(
    tiers: list[dict[str, float]],
    a0: float,
    amount: float,
    heads: int,
    discount: float,
    cap: float | None,
    used: float,
) -> None:
    """Brackets in dollars of the team quota, shared by the heads, x the band, within the cap."""
    bands = [{"max_discount": 0.2, "multiplier": 1.0}, {"max_discount": 0.4, "multiplier": 0.6}]
    p = rule(rates=tiers, discount_bands=bands, cap_per_period_usd=cap).params
    room = INF if cap is None else cap * (1 - used)
    team_quota = Q * heads
    pay = (cumulative(tiers, a0 + max(amount, 0.0) / team_quota) - cumulative(tiers, a0)) * team_quota / heads
    pay *= 1.0 if discount <= 0.2 else 0.6 if discount <= 0.4 else 0.0
    pay = max(0.0, min(pay, room))
    got = commission(p, amount, a0, float(heads), room, discount)
    assert got == pytest.approx(pay, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------- threshold
def test_threshold_gate() -> None:
    p = rule(threshold_attainment=0.5).params  # quarterly quota 250k
    assert threshold_gate(p, 100.0, 25_000.0, 0.3, 40.0) == 0.0  # 0.3 -> 0.4: still below
    assert threshold_gate(p, 100.0, 25_000.0, 0.45, 40.0) == 140.0  # 0.45 -> 0.55: unlocks the held 40
    assert threshold_gate(p, 100.0, 25_000.0, 0.6, 40.0) == 100.0  # already above: nothing more
    assert threshold_gate(p, 100.0, 25_000.0 - 0.0001, 0.4, 40.0) == 140.0  # lands within EPS of it
    assert threshold_gate(p, 100.0, -25_000.0, 0.45, 40.0) == 0.0  # a negative credit moves nothing
    other = rule(measure="first_year_revenue", threshold_attainment=0.5).params
    assert threshold_gate(other, 100.0, 1e9, 0.45, 40.0) == 0.0  # revenue does not move bookings
    assert threshold_gate(other, 100.0, 1e9, 0.55, 40.0) == 100.0
    plain = rule().params
    assert threshold_gate(plain, 100.0, 25_000.0, 0.0, 40.0) == 100.0  # no threshold
    no_quota = rule(quota=None, threshold_attainment=0.5).params
    assert threshold_gate(no_quota, 100.0, 25_000.0, 0.0, 40.0) == 100.0  # nothing to read it on


# ---------------------------------------------------------------------- period end
CURVE = [
    {"attainment": 0.5, "payout": 0.0},
    {"attainment": 1.0, "payout": 1.0},
    {"attainment": 1.5, "payout": 2.0},
]


def test_period_end_of_a_bonus() -> None:
    bonus_rule = {
        "kind": "bonus",
        "measure": "bookings_acv",
        "curve": CURVE,
        "target_usd": 10_000,
        "target_value": 100_000,
    }
    p = rule(**bonus_rule).params
    assert period_end(p, 75_000.0) == pytest.approx((5_000.0, 0.5, 0.75))
    assert period_end(p, 125_000.0) == pytest.approx((15_000.0, 1.5, 1.25))
    assert bonus(p, 75_000.0) == pytest.approx(5_000.0)
    gated = rule(**bonus_rule, threshold_attainment=0.8).params
    assert period_end(gated, 75_000.0) == pytest.approx((0.0, 0.5, 0.75))  # below the threshold
    assert period_end(gated, 80_000.0) == pytest.approx((6_000.0, 0.6, 0.8))
    capped = rule(**bonus_rule, cap_per_period_usd=12_000).params
    assert period_end(capped, 200_000.0) == pytest.approx((12_000.0, 2.0, 2.0))
    assert bonus(capped, 200_000.0) == pytest.approx(12_000.0)


def test_period_end_of_a_ratio_commission() -> None:
    ratio = {"measure": "book_nrr", "rates": [{"from_attainment": 0.0, "rate": 1_000.0}]}
    p = rule(quota=None, **ratio).params
    assert period_end(p, 1.05) == pytest.approx((1_050.0, 1_000.0, 1.05))
    gated = rule(quota=None, threshold_attainment=1.0, **ratio).params
    assert period_end(gated, 0.98) == pytest.approx((0.0, 1_000.0, 0.98))
    assert period_end(gated, 1.02) == pytest.approx((1_020.0, 1_000.0, 1.02))
    capped = rule(quota=None, cap_per_period_usd=1_030.0, **ratio).params
    assert period_end(capped, 1.05) == pytest.approx((1_030.0, 1_000.0, 1.05))


# ---------------------------------------------------------------------- clawback and timing
TRIGGERS = ("churn", "non_payment", "failed_implementation")


@settings(max_examples=40)
@given(
    st.floats(0.0, 1.0), st.floats(1.0, 800.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0)
)
def test_clawback_keep_for_every_trigger_combination(
    share: float, window: float, churn: float, nonpay: float, fail: float
) -> None:
    scaled_churn = churn * min(1.0, window / 365.0)  # churn is per year: scaled to the window
    chance = {"churn": scaled_churn, "non_payment": nonpay, "failed_implementation": fail}
    for n in range(1, 4):
        for triggers in itertools.combinations(TRIGGERS, n):
            cb = {"window_days": window, "share": share, "triggers": list(triggers)}
            p = rule(clawback=cb).params
            p_none = math.prod(1 - chance[t] for t in triggers)
            expected = 1 - share * (1 - p_none)
            assert clawback_keep(p, churn, nonpay, fail) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert clawback_keep(rule().params, churn, nonpay, fail) == 1.0  # no clawback


def test_clawback_keep_by_hand() -> None:
    p = rule(clawback={"window_days": 182.5, "share": 0.5, "triggers": ["churn", "non_payment"]}).params
    # P(no trigger) = (1 - 0.4 x 0.5) x (1 - 0.1) = 0.72; keep 1 - 0.5 x 0.28 = 0.86.
    assert clawback_keep(p, 0.4, 0.1, 0.9) == pytest.approx(0.86)
    assert clawback_keep(p, -0.4, -0.1, 0.9) == 1.0  # probabilities are clipped to [0, 1]


@settings(max_examples=40)
@given(
    st.one_of(st.just(0.0), st.floats(1e-4, 0.5)),
    st.floats(0.0, 400.0),
    st.floats(0.0, 1.0),
    st.floats(0.0, 1_000.0),
    st.floats(0.0, 200.0),
    st.floats(0.0, 1.0),
    st.integers(1, 200),
)
def test_timing_factor_per_pay_timing(
    r: float, go_live: float, success: float, renewal: float, cash: float, nonpay: float, days: int
) -> None:
    def df(d: float) -> float:
        return (1 + r) ** (-d / YEAR) if d > 0 else 1.0

    # Mean discount over the year after go-live: the integral of (1 + r)^(-t) over one year.
    over_year = df(go_live) * r / ((1 + r) * math.log(1 + r)) if r > 0 else 1.0
    expected = {
        "on_booking": 1.0,
        "at_go_live": df(go_live),
        "after_success": df(go_live + days) * success,
        "at_renewal": df(renewal),
        "on_cash": df(cash) * (1 - nonpay),
        "on_revenue": over_year,
    }
    for pays, want in expected.items():
        p = rule(pays=pays, success_days=days).params
        got = timing_factor(p, r, go_live, success, renewal, cash, nonpay)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-15), pays


def test_a_timing_on_the_measures_own_event_adds_no_delay() -> None:
    args = (0.15, 100.0, 0.5, 365.0, 60.0, 0.3)
    for measure, pays in (
        ("go_lives", "at_go_live"),
        ("cash_collected", "on_cash"),
        ("first_year_revenue", "on_revenue"),
        ("renewals_arr", "at_renewal"),
    ):
        assert timing_factor(rule(quota=None, measure=measure, pays=pays).params, *args) == 1.0
    delayed = timing_factor(rule(quota=None, pays="on_cash").params, *args)
    assert delayed == pytest.approx(1.15 ** (-60 / YEAR) * 0.7)


# ---------------------------------------------------------------------- price_options
def _price(
    p: np.ndarray,
    amount: list[float],
    group: list[int],
    starts: list[int],
    frac: list[float],
    df: list[float],
    ctx: list[tuple[float, ...]],
    *,
    rate: float = 0.15,
    discount: float = 0.0,
    go_live: float = 100.0,
    churn: float = 0.2,
) -> np.ndarray:
    n = len(amount)

    def full(x: float) -> np.ndarray:
        return np.full(n, x)

    return price_options(
        p,
        rate,
        np.array(amount),
        full(discount),
        np.array(group, dtype=np.int64),
        np.array(starts, dtype=np.int64),
        np.array(frac),
        np.array(df),
        np.array(ctx, dtype=np.float64),
        full(go_live),
        full(1.0),
        full(365.0),
        full(30.0),
        full(churn),
        full(0.0),
        full(0.0),
    )


def test_price_options_spread_commission_is_the_sum_of_its_pieces() -> None:
    cb = {"window_days": 365, "share": 0.5, "triggers": ["churn"]}
    p = rule(pays="at_go_live", clawback=cb).params
    # Options 0 and 1 share a credit spread over two quarters (40% at 0.9 of Q1's quota, 60% in
    # Q2 from 0); option 2 is a point credit in Q1 (its own group, one piece).
    ctx_q1 = (1.0, 0.9, INF, 0.0, 0.0)
    ctx_q2 = (1.0, 0.0, INF, 0.0, 0.0)
    out = _price(
        p,
        [100_000.0, 10_000.0, 50_000.0],
        [0, 0, 1],
        [0, 2, 3],
        [0.4, 0.6, 1.0],
        [0.99, 0.97, 0.995],
        [ctx_q1, ctx_q2, ctx_q1],
    )
    keep = 1 - 0.5 * 0.2
    timing = 1.15 ** (-100 / YEAR)
    # Option 0: 40k from 225k booked: 25k at 10% + 15k at 15%; 60k at 10% in Q2.
    big = ((2_500 + 2_250) * 0.99 + 6_000 * 0.97) * keep * timing
    # Option 1: 4k at 10% in Q1, 6k at 10% in Q2.
    small = (400 * 0.99 + 600 * 0.97) * keep * timing
    # Option 2: 50k from 225k: 25k at 10% + 25k at 15%.
    point = (2_500 + 3_750) * 0.995 * keep * timing
    assert out.tolist() == pytest.approx([big, small, point], rel=1e-12)


def test_price_options_threshold_and_cap_per_piece() -> None:
    p = rule(threshold_attainment=0.5, cap_per_period_usd=5_000).params
    # Piece 1 (Q1): attainment 0.45, 30k moves it to 0.57 > 0.5: unlocks 800 held, cap room 1,000.
    # Piece 2 (Q2): from 0, 20k moves it to 0.08: below the threshold, nothing.
    ctx = [(1.0, 0.45, 1_000.0, 0.45, 800.0), (1.0, 0.0, 5_000.0, 0.0, 0.0)]
    out = _price(p, [50_000.0], [0], [0, 2], [0.6, 0.4], [1.0, 0.9], ctx, rate=0.0, churn=0.0)
    assert out.tolist() == pytest.approx([min(30_000 * 0.10, 1_000.0) + 800.0])


def test_price_options_bonus_pays_the_change_of_the_curve_at_the_close() -> None:
    p = rule(
        kind="bonus", measure="references", curve=CURVE, target_usd=8_000, target_value=4.0, pays="at_renewal"
    ).params
    # 2 references so far (0.5: nothing yet), the close is discounted by 0.98; one option adds 1
    # reference (0.75: 0.5 x 8k), the other 4 over two quarters (2 in each: Q1 reaches 1.0, Q2 0.5).
    ctx_now = (2.0, 0.0, 0.98)
    ctx_next = (0.0, 0.0, 0.95)
    out = _price(
        p,
        [1.0, 4.0],
        [0, 1],
        [0, 1, 3],
        [1.0, 0.5, 0.5],
        [1.0, 0.99, 0.9],
        [ctx_now, ctx_now, ctx_next],
        churn=0.0,
    )
    # A bonus's timing is the close (no pays timing on top); the second quarter's 2 of 4 pay 0.
    assert out.tolist() == pytest.approx([4_000 * 0.98, 8_000 * 0.98 * 0.99 + 0.0])
