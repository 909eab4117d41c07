"""Exact cases of the customer base (sim.validation.retention and the simulated rate cases).

Each fast case must pass on the world as it is, and the "broken world" tests patch one
mechanism of :mod:`sim.world.customers` (where the world looks it up at run time) and assert
that the relevant case then fails: the cases can tell a right world from a wrong one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.validation as validation
import sim.world.accounts as accounts
import sim.world.renewals as renewals
from sim.validation.core import CaseResult, covers
from sim.validation.lifetime import LITTLE, little_expected, ltv_stats
from sim.validation.retention import (
    CHURN,
    Seg,
    Setup,
    drift_rate,
    excludes,
    naive_term_churn,
    retention_theory,
    term_churn,
)

FAST = [
    "exact.retention.churn",
    "exact.retention.contraction",
    "exact.retention.expansion",
    "exact.retention.segments",
    "exact.rates.monthly_term",
    "exact.ltv.upfront",
    "exact.little.customers",
]
SLOW = ["exact.rates.monthly_term_10pct"]


def _report(r: CaseResult) -> str:
    lines = [f"{r.case}: {'passed' if r.passed else 'FAILED'} in {r.seconds:.1f}s {r.error}"]
    for c in r.checks:
        lines.append(
            f"  {'ok ' if c.passed else 'BAD'} {c.name}: expected {c.expected}, simulated {c.simulated:.6g} "
            f"[{c.low:.6g}, {c.high:.6g}] n={c.n} ({c.detail})"
        )
    return "\n".join(lines)


def test_every_case_of_this_part_is_registered() -> None:
    for cid in FAST + SLOW:
        assert cid in validation.CASES, cid
        assert validation.CASES[cid].slow == (cid in SLOW)


@pytest.mark.parametrize("case_id", FAST)
def test_fast_case_passes(case_id: str) -> None:
    r = validation.run_case(case_id)
    assert r.passed, _report(r)


@pytest.mark.slow
@pytest.mark.parametrize("case_id", SLOW)
def test_slow_case_passes(case_id: str) -> None:
    r = validation.run_case(case_id)
    assert r.passed, _report(r)


# ------------------------------------------------------------------------------ broken worlds
def _failed(case_id: str, *names: str) -> CaseResult:
    """Run a case that must fail; with ``names``, those checks (by prefix) must be among the failures."""
    r = validation.run_case(case_id)
    assert not r.error, r.error
    assert not r.passed, "the case passed on a broken world:\n" + _report(r)
    bad = [c.name for c in r.checks if not c.passed]
    for n in names:
        assert any(b.startswith(n) for b in bad), f"{n!r} should have failed:\n" + _report(r)
    return r


def _naive_monthly(orig: Callable[..., Any]) -> Callable[..., Any]:
    """Churn converted with a/12 a month (simple division) instead of compounding: for a term
    of t months, 1 - (1 - a/12)^t."""

    def broken(annual: Any, term: Any, *args: Any, **kw: Any) -> Any:
        a = np.asarray(annual, dtype=float)
        return orig(1.0 - (1.0 - a / 12.0) ** 12, term, *args, **kw)

    return broken


def _linear(orig: Callable[..., Any]) -> Callable[..., Any]:
    """Churn per term = a × term / 12 (linear pro-rating; right for annual terms only)."""

    def broken(annual: Any, term: Any, *args: Any, **kw: Any) -> Any:
        p = np.minimum(np.asarray(annual, dtype=float) * np.asarray(term) / 12.0, 1.0)
        annual_equiv = 1.0 - (1.0 - p) ** (12.0 / np.asarray(term))
        return orig(annual_equiv, term, *args, **kw)

    return broken


def test_linear_term_conversion_fails_the_monthly_term_case(monkeypatch: pytest.MonkeyPatch) -> None:
    # Renewals.renewals looks renewal_churn_probability up in sim.world.renewals at run time
    monkeypatch.setattr(renewals, "renewal_churn_probability", _linear(renewals.renewal_churn_probability))
    _failed("exact.rates.monthly_term", "12-month logo churn = a", "naive 1 − (1 − a/12)^12")


def test_naive_monthly_rate_fails_the_churn_case(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _naive_monthly(renewals.renewal_churn_probability)
    monkeypatch.setattr(renewals, "renewal_churn_probability", broken)
    _failed("exact.retention.churn", "logo churn = p")


def test_naive_monthly_rate_fails_littles_law(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _naive_monthly(renewals.renewal_churn_probability)
    monkeypatch.setattr(renewals, "renewal_churn_probability", broken)
    _failed("exact.little.customers", "mean customers L = λ·W")


def test_renewal_without_true_up_fails_the_contraction_case(monkeypatch: pytest.MonkeyPatch) -> None:
    orig = renewals.Renewals.renewals

    def no_true_up(self: renewals.Renewals, month: int) -> None:
        b = self.book
        due = np.flatnonzero(b.contract_end_month[: b.n] == month)
        b.usage[due] = 1.0  # usage forgotten: the renewal keeps the old ARR
        orig(self, month)

    monkeypatch.setattr(renewals.Renewals, "renewals", no_true_up)
    _failed("exact.retention.contraction", "NRR = (1−p)·f", "GRR = (1−p)·min(f,1)")


def test_eleven_months_of_drift_fail_the_expansion_case(monkeypatch: pytest.MonkeyPatch) -> None:
    # a year of drift spread over 12/11 of a year: each renewal trues up 11 months' worth
    monkeypatch.setattr(accounts, "DAYS_PER_YEAR", accounts.DAYS_PER_YEAR * 12 / 11)
    _failed("exact.retention.expansion", "NRR = (1−p)·f")


# ------------------------------------------------------------------------------ the formulas
def test_term_conversions() -> None:
    assert term_churn(0.10, 12) == pytest.approx(0.10)
    assert term_churn(0.10, 1) == pytest.approx(0.008742, abs=1e-6)
    assert 1 - (1 - term_churn(0.10, 1)) ** 12 == pytest.approx(0.10)
    assert 1 - (1 - naive_term_churn(0.10, 1)) ** 12 == pytest.approx(0.0955, abs=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    p=st.floats(0.0, 0.9),
    e=st.floats(0.0, 0.5),
    c=st.floats(0.0, 0.5),
    h=st.floats(0.0, 1.0),
    years=st.integers(1, 6),
)
def test_retention_theory_invariants(p: float, e: float, c: float, h: float, years: int) -> None:
    seg = Seg(starting_customers=10, annual_churn=p, annual_expansion=e, annual_contraction=c)
    setup = Setup("t", smb=seg, health=h, horizon_years=years)
    th = retention_theory(setup, seg)
    g = drift_rate(seg, h)
    assert th.logo_churn == pytest.approx(p)
    assert th.grr <= th.nrr + 1e-12 if g >= 0 else th.grr == pytest.approx(th.nrr)
    assert th.grr <= 1 - p + 1e-12
    assert len(th.days) == 12 * years and set(th.days) <= {365.0, 366.0}
    # 2025-2027 windows all hold 365 days; the exact factor then is exp(g·365/365.25)
    if years <= 2:
        assert th.nrr == pytest.approx((1 - p) * math.exp(g * 365 / 365.25))


def test_retention_theory_refuses_what_it_does_not_cover() -> None:
    with pytest.raises(ValueError, match="warm-up"):
        retention_theory(Setup("t", smb=CHURN.smb, warmup_years=0.5), CHURN.smb)
    with pytest.raises(ValueError, match="annual terms"):
        seg = Seg(starting_customers=10, contract_term_months=1)
        retention_theory(Setup("t", smb=seg), seg)


def test_little_expectation_reaches_lambda_w_after_a_long_warm_up() -> None:
    from dataclasses import replace

    lw, short = little_expected(replace(LITTLE, warmup_years=0.5))
    _, long = little_expected(replace(LITTLE, warmup_years=8.0))
    # what remains after a long warm-up is the calendar (arrivals per month follow its days)
    assert abs(long / lw - 1) < 5e-4
    assert abs(short / lw - 1) > 2e-3


def test_ltv_stats_counts_booking_and_renewals_of_the_first_year_cohort() -> None:
    from sim.ledger import Event
    from sim.time.calendar import Calendar

    cal = Calendar(1, 36)
    evs = [
        Event(10.0, "booking", 100.0, customer=0, deal_kind="new"),
        Event(40.0, "booking", 100.0, customer=1, deal_kind="new"),
        Event(400.0, "booking", 100.0, customer=2, deal_kind="new"),  # won after the cohort year
        Event(365.0, "renewal", 100.0, customer=0, deal_kind="renewal"),
        Event(730.0, "renewal", 100.0, customer=0, deal_kind="renewal"),
        Event(800.0, "renewal", 100.0, customer=2, deal_kind="renewal"),
    ]
    s = ltv_stats(evs, cal, 36, p=0.5)
    assert s.customers == 2
    assert s.billed == pytest.approx(200.0)  # (300 + 100) / 2
    assert s.renewals == pytest.approx(100.0)
    # months 0 and 1: renewals possible at 12, 24 (not 36): 1 + 0.5 + 0.25
    assert s.expected_payments == pytest.approx(1.75)


def test_excludes_is_the_complement_of_covers() -> None:
    x = np.array([0.99, 1.01, 1.0, 0.98, 1.02])
    assert covers("c", 1.0, x).passed and not excludes("e", 1.0, x).passed
    assert not covers("c", 1.5, x).passed and excludes("e", 1.5, x).passed
    assert not excludes("e", 1.5, [1.0]).passed  # no interval, no verdict
