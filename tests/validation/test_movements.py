"""Expansion and contraction as events: the exact cases pass on the world, and fail on a world that
nets a customer's events into one deterministic drift (what the usage drift does) or that ignores the
health tilt of the rates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.world.accounts as accounts
from sim.scenario.company import Customers
from sim.validation import run_case
from sim.validation.movements import TAU, exponential_size_nrr, fixed_size_retention
from sim.world.movements import UNIFORMS, usage_factors


def _show(r: Any) -> str:
    return "\n".join(
        f"{c.name}: {c.expected} vs {c.simulated:.5g} [{c.low:.5g}, {c.high:.5g}]" for c in r.checks
    )


@pytest.mark.parametrize("case_id", ["exact.movements.fixed", "exact.movements.exponential"])
def test_case_passes(case_id: str) -> None:
    r = run_case(case_id)
    assert r.passed, _show(r)


def test_fixed_case_fails_when_events_are_netted_into_a_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    def netted(u, health, er, es, cr, cs, years, customers):  # type: ignore[no-untyped-def]
        return np.exp((er * es - cr * cs) * years)  # the events' mean growth, the same for everyone

    monkeypatch.setattr(accounts, "usage_factors", netted)
    r = run_case("exact.movements.fixed")
    failed = {c.name for c in r.checks if not c.passed}
    assert any(n.startswith("GRR = ") for n in failed), _show(r)
    assert any(n.startswith("GRR of the netted drift") for n in failed), _show(r)
    assert not any(n.startswith("NRR") for n in failed), _show(r)  # the mean is right; the spread is not


def test_exponential_case_fails_without_the_health_tilt(monkeypatch: pytest.MonkeyPatch) -> None:
    real = accounts.usage_factors

    def flat(u, health, *args):  # type: ignore[no-untyped-def]
        return real(u, np.full(len(health), 0.5), *args)

    monkeypatch.setattr(accounts, "usage_factors", flat)
    r = run_case("exact.movements.exponential")
    assert not r.passed, _show(r)


def test_fixed_size_formula_special_cases() -> None:
    p = 0.2
    # no contraction: expansion is capped away in GRR
    grr, nrr = fixed_size_retention(p, 2.0, 0.1, 0.0, 0.15)
    assert grr == pytest.approx(1 - p)
    assert nrr == pytest.approx((1 - p) * math.exp(2.0 * 0.1 * TAU))
    # no expansion: every factor is below 1, so GRR = NRR = (1 - p) E[(1 - c)^N] = (1 - p) exp(-λτc)
    grr, nrr = fixed_size_retention(p, 0.0, 0.1, 1.5, 0.2)
    assert grr == pytest.approx(nrr)
    assert nrr == pytest.approx((1 - p) * math.exp(-1.5 * TAU * 0.2))
    # tiny rates: GRR = (1-p)[1 - P(Ne=0)(P(Nc=1) c + P(Nc=2)(1 - (1-c)^2)) - P(Ne=1)P(Nc=1)(1 - 1.1·0.85)]
    a, b = 1e-3 * TAU, 2e-3 * TAU
    grr, _ = fixed_size_retention(p, 1e-3, 0.1, 2e-3, 0.15)
    p0e, p1e = math.exp(-a), a * math.exp(-a)
    p1c, p2c = b * math.exp(-b), b * b / 2 * math.exp(-b)
    lost = p0e * (p1c * 0.15 + p2c * (1 - 0.85**2)) + p1e * p1c * (1 - 1.1 * 0.85)
    assert grr == pytest.approx((1 - p) * (1 - lost), abs=1e-9)


@given(st.floats(0.0, 3.0), st.floats(0.01, 0.5), st.floats(0.0, 3.0), st.floats(0.01, 0.5))
def test_grr_is_at_most_nrr_and_one_minus_p(le: float, e: float, lc: float, c: float) -> None:
    grr, nrr = fixed_size_retention(0.1, le, e, lc, c)
    assert grr <= nrr + 1e-12
    assert grr <= 0.9 + 1e-12


def test_usage_factors_fixed_sizes_by_hand() -> None:
    cfg = Customers(movement_size_distribution="fixed")
    # counts by inversion: u near 1 gives many events, u near 0 none
    u = np.full((3, UNIFORMS), 0.5)
    u[0, :2] = 0.0, 0.0  # no event
    u[1, :2] = 0.999, 0.0  # expansions only
    u[2, :2] = 0.0, 0.999  # contractions only
    rate = np.full(3, 1.0)
    f = usage_factors(u, np.full(3, 0.5), rate, np.full(3, 0.1), rate, np.full(3, 0.2), 1.0, cfg)
    assert f[0] == 1.0
    n = round(math.log(f[1]) / math.log(1.1))
    assert f[1] == pytest.approx(1.1**n) and n >= 4  # P(N <= 3) < 0.999 at λ = 1
    m = round(math.log(f[2]) / math.log(0.8))
    assert f[2] == pytest.approx(0.8**m) and m >= 4


def test_exponential_nrr_formula_reduces_to_fixed_means() -> None:
    # with no health tilt and a tiny contraction mean the cap does not bind
    got = exponential_size_nrr(0.1, 1.0, 0.1, 0.5, 0.01, 0.7, 0.0)
    assert got == pytest.approx(0.9 * math.exp(TAU * (0.1 - 0.005)), rel=1e-9)
