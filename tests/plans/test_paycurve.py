"""Pay curves (``sim.plans.paycurve``) and the new kernel rules (attainment caps, caps as a share
of OTE, decelerators) against pay written out by hand from the plan's numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.plans.paycurve import ote_table, role_curve
from sim.plans.pricing import commission
from sim.plans.rule import Rule
from sim.scenario.plans import RolePlan

QUOTA = 1_000_000.0  # per year: 250k a quarter


def role(components: list[dict[str, Any]], quota: float | None = QUOTA, **kw: Any) -> RolePlan:
    rp: dict[str, Any] = {"base_salary_annual_usd": 100_000, "target_variable_annual_usd": 100_000, **kw}
    rp["components"] = components
    if quota is not None:
        rp["quota"] = {"measure": "bookings_acv", "annual_amount": quota}
    return RolePlan.model_validate(rp)


def comm(rates: list[tuple[float, float]], **kw: Any) -> dict[str, Any]:
    return {
        "name": "c",
        "measure": "bookings_acv",
        "rates": [{"from_attainment": a, "rate": r} for a, r in rates],
        **kw,
    }


def brackets(rates: list[tuple[float, float]], a: float) -> float:
    """Pay per unit of quota for attainment ``a``, the tiers as tax brackets."""
    out = 0.0
    for i, (lo, r) in enumerate(rates):
        hi = rates[i + 1][0] if i + 1 < len(rates) else math.inf
        out += max(0.0, min(a, hi) - lo) * r
    return out


TIERS = [(0.0, 0.10), (1.0, 0.15), (1.5, 0.05)]  # an accelerator, then a decelerator


@given(st.floats(min_value=0.0, max_value=2.5))
def test_tiers_with_an_accelerator_and_a_decelerator(a: float) -> None:
    (curve,) = role_curve(role([comm(TIERS)]), [a]).values()
    assert curve[0] == pytest.approx(brackets(TIERS, a) * QUOTA, rel=1e-9, abs=1e-6)


@given(st.floats(min_value=0.0, max_value=2.5), st.floats(min_value=0.3, max_value=2.0))
def test_attainment_cap_stops_pay_at_the_cap(a: float, cap: float) -> None:
    (curve,) = role_curve(role([comm(TIERS, cap_attainment=cap)]), [a]).values()
    assert curve[0] == pytest.approx(brackets(TIERS, min(a, cap)) * QUOTA, rel=1e-9, abs=1e-6)


def test_attainment_cap_in_the_kernel_for_a_single_credit() -> None:
    # a quarter's quota is 250k: a 300k credit from 100% pays 10%... up to the 150% cap only
    r = Rule.compile(role([comm(TIERS, cap_attainment=1.5)]), 0)
    pay = commission(r.params, 300_000.0, 1.0, 1.0, math.inf, 0.0)
    assert pay == pytest.approx(0.5 * 250_000 * 0.15)
    assert commission(r.params, 10_000.0, 1.6, 1.0, math.inf, 0.0) == 0.0
    # a commission paid on another measure than the quota's: the tier in force, nothing past the cap
    other = role([{**comm(TIERS, cap_attainment=1.5), "measure": "first_year_revenue"}])
    p = Rule.compile(other, 0).params
    assert commission(p, 1_000.0, 1.2, 1.0, math.inf, 0.0) == pytest.approx(150.0)
    assert commission(p, 1_000.0, 1.5, 1.0, math.inf, 0.0) == 0.0


@given(st.floats(min_value=0.0, max_value=2.5), st.floats(min_value=0.05, max_value=1.0))
def test_cap_as_a_share_of_ote(a: float, share: float) -> None:
    rp = role([comm(TIERS, cap_share_of_ote=share)])
    (curve,) = role_curve(rp, [a]).values()
    per_quarter_cap = share * 200_000 / 4
    expected = 4 * min(brackets(TIERS, a) * QUOTA / 4, per_quarter_cap)
    assert curve[0] == pytest.approx(expected, rel=1e-9, abs=1e-6)
    both = Rule.compile(role([comm(TIERS, cap_share_of_ote=share, cap_per_period_usd=1_000.0)]), 0)
    assert both.cap == pytest.approx(min(per_quarter_cap, 1_000.0))


def test_threshold_pays_nothing_below_and_everything_above() -> None:
    rp = role([comm([(0.0, 0.10)], threshold_attainment=0.5)])
    (curve,) = role_curve(rp, [0.0, 0.25, 0.49, 0.5, 0.8]).values()
    assert curve.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.05 * QUOTA, 0.08 * QUOTA])


def test_a_bonus_curve() -> None:
    bonus = {
        "name": "b",
        "kind": "bonus",
        "measure": "book_nrr",
        "period": "year",
        "target_usd": 20_000,
        "target_value": 1.05,
        "curve": [{"attainment": 0.9, "payout": 0.0}, {"attainment": 1.0, "payout": 1.0},
                  {"attainment": 1.1, "payout": 2.0}],
    }  # fmt: skip
    (curve,) = role_curve(role([bonus], quota=None), [0.5, 0.95, 1.05, 2.0]).values()
    assert curve.tolist() == pytest.approx([0.0, 10_000.0, 30_000.0, 40_000.0])


def test_ote_table_and_components_not_on_attainment() -> None:
    rp = role(
        [comm(TIERS), {"name": "g", "measure": "go_lives", "rates": [{"from_attainment": 0, "rate": 500}]}]
    )
    assert list(role_curve(rp, [1.0])) == ["c"]  # pay per go-live is not a function of attainment
    table = ote_table(rp)
    assert table == pytest.approx({a: 100_000 + brackets(TIERS, a) * QUOTA for a in (0.5, 1.0, 1.5, 2.0)})
    assert not role_curve(role([comm([(0.0, 0.1)])], quota=None), [1.0])  # no quota: no curve


def test_attainment_cap_needs_a_quota_and_a_commission() -> None:
    with pytest.raises(ValidationError, match="needs a quota"):
        role([comm([(0.0, 0.1)], cap_attainment=2.0)], quota=None)
    bonus = {"name": "b", "kind": "bonus", "measure": "bookings_acv", "target_usd": 1, "cap_attainment": 2.0,
             "curve": [{"attainment": 1.0, "payout": 1.0}]}  # fmt: skip
    with pytest.raises(ValidationError, match="curve's last point"):
        role([bonus])


def test_curves_are_monotone_in_attainment() -> None:
    grid = np.linspace(0.0, 2.5, 26)
    (curve,) = role_curve(role([comm(TIERS, cap_attainment=2.0, threshold_attainment=0.3)]), grid).values()
    assert np.all(np.diff(curve) >= -1e-6 * curve.max())


@given(st.integers(min_value=0, max_value=120), st.floats(min_value=0.0, max_value=1.0),
       st.floats(min_value=1.0, max_value=5.0))  # fmt: skip
def test_multi_year_pays_later_contract_years_at_their_share(
    term: int, share: float, max_years: float
) -> None:
    from sim.plans.pricing import commission_term, term_factor

    rp = role([comm([(0.0, 0.10)], multi_year={"later_year_share": share, "max_years": max_years})])
    p = Rule.compile(rp, 0).params
    years = min(term / 12, max_years)
    expected = 1.0 + share * max(0.0, years - 1.0)
    assert term_factor(p, float(term)) == pytest.approx(expected)
    # a 100k booking from zero attainment: 10% of it, times the contract factor
    assert commission_term(p, 100_000.0, 0.0, 1.0, math.inf, 0.0, float(term)) == pytest.approx(
        10_000.0 * expected
    )
    # without the rule, or for a year's contract, the term changes nothing
    plain = Rule.compile(role([comm([(0.0, 0.10)])]), 0).params
    assert commission_term(plain, 100_000.0, 0.0, 1.0, math.inf, 0.0, float(term)) == pytest.approx(10_000.0)


def test_multi_year_pay_is_capped_like_any_pay() -> None:
    from sim.plans.pricing import commission_term

    rp = role([comm([(0.0, 0.10)], multi_year={"later_year_share": 1.0}, cap_per_period_usd=25_000)])
    p = Rule.compile(rp, 0).params
    assert commission_term(p, 100_000.0, 0.0, 1.0, 25_000.0, 0.0, 36.0) == pytest.approx(
        25_000.0
    )  # not 30,000


def test_multi_year_only_on_bookings() -> None:
    with pytest.raises(ValidationError, match="only a commission on bookings"):
        role(
            [{**comm([(0.0, 0.1)]), "measure": "first_year_revenue", "multi_year": {"later_year_share": 0.5}}]
        )
