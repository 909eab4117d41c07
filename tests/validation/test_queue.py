"""The implementation queue as M/M/c (Erlang C) and Little's law for its backlog.

The cases (``sim.validation.queue``) must pass on the world as it is, and must fail when the
world's queue is deliberately broken: one consultant slot fewer than the scenario says, or
gamma(4) instead of exponential implementation durations.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.ledger import Event
from sim.validation import run_case
from sim.validation.core import CaseResult
from sim.validation.erlang import MMc, erlang_b, erlang_c, erlang_c_direct
from sim.validation.queue import FAST
from sim.validation.queue_world import queue_stats


def _report(res: CaseResult) -> str:
    lines = [f"{res.case}: {res.error}" if res.error else res.case]
    for c in res.checks:
        verdict = "pass" if c.passed else "FAIL"
        lines.append(
            f"  [{verdict}] {c.name}: expected {c.expected}, simulated {c.simulated:.4g} "
            f"[{c.low:.4g}, {c.high:.4g}] n={c.n} {c.detail}"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------- the cases pass
@pytest.mark.parametrize(
    "case_id",
    [
        "exact.queue.erlang_c",
        "exact.little.backlog",
        pytest.param("exact.queue.erlang_c_heavy", marks=pytest.mark.slow),
    ],
)
def test_queue_case_passes(case_id: str) -> None:
    res = run_case(case_id)
    assert res.passed, _report(res)


# ---------------------------------------------------------------------------- the formulas
def test_erlang_textbook_values() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)  # (1/2) / (1 + 1 + 1/2)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)  # M/M/2 at rho = 1/2
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    # M/M/3 with a = 2: [8/6 * 3] / [1 + 2 + 2 + 4] = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(10, 8.0) == pytest.approx(0.40918, abs=5e-5)
    assert erlang_c(4, 4.0) == 1.0  # unstable: everyone waits


def test_mmc_means() -> None:
    q = MMc(1, 0.5, 1.0)  # M/M/1, rho = 0.5: Wq = rho / (mu - lam) = 1, Lq = rho^2 / (1 - rho) = 0.5
    assert q.wq == pytest.approx(1.0)
    assert q.lq == pytest.approx(0.5)
    q2 = MMc(2, 1.0, 1.0)  # M/M/2, a = 1: C = 1/3, Wq = (1/3) / (2 - 1)
    assert q2.a == pytest.approx(1.0)
    assert q2.rho == pytest.approx(0.5)
    assert q2.wq == pytest.approx(1 / 3)
    assert math.isinf(MMc(2, 2.0, 1.0).wq)


def test_erlang_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        erlang_c(0, 0.5)
    with pytest.raises(ValueError):
        erlang_b(3, -1.0)
    with pytest.raises(ValueError):
        erlang_c_direct(3, 3.0)


def test_erlang_is_stable_for_large_teams() -> None:
    # factorials of 500 overflow a float; the recursion does not
    c = erlang_c(500, 480.0)
    assert 0.0 < c < 1.0
    assert c == pytest.approx(erlang_c_direct(500, 480.0), rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 80), st.floats(0.0, 0.999))
def test_erlang_c_properties(c: int, rho: float) -> None:
    a = rho * c
    p = erlang_c(c, a)
    assert 0.0 <= p <= 1.0
    assert p >= erlang_b(c, a) - 1e-12  # waiting is likelier than blocking
    assert p == pytest.approx(erlang_c_direct(c, a), rel=1e-9, abs=1e-12)
    assert erlang_c(c + 1, a) <= p + 1e-12  # one more server never makes waiting likelier
    assert erlang_c(c, min(a * 1.01 + 1e-6, c)) >= p - 1e-12  # more load never makes it less likely


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 60))
def test_erlang_c_tends_to_one_at_full_load(c: int) -> None:
    near = [erlang_c(c, c * (1 - eps)) for eps in (1e-2, 1e-4, 1e-6)]
    assert near[0] <= near[1] <= near[2]
    assert near[2] > 1 - 1e-3


# ---------------------------------------------------------------------------- the measurement
def _project(booked: float, wait: float, duration: float) -> list[Event]:
    return [
        Event(booked, "booking", 1000.0, deal_kind="new"),
        Event(booked + wait + duration, "go_live", 1.0, forecast_day=booked, wait_days=wait),
    ]


def test_queue_stats_by_hand() -> None:
    # window [10, 20): three projects booked inside, one before (waiting into the window)
    events = [
        *_project(5.0, 7.0, 1.0),  # waits 5..12: 2 days inside the window, not an arrival of it
        *_project(10.0, 0.0, 4.0),  # no wait, in service 10..14
        *_project(12.0, 2.0, 2.0),  # waits 12..14, in service 14..16
        *_project(16.0, 6.0, 1.0),  # waits 16..22: 4 days inside the window
    ]
    events.sort(key=lambda e: e.day)
    s = queue_stats(events, 10.0, 20.0)
    assert s.arrivals == 3
    assert s.arrival_rate == pytest.approx(0.3)
    assert s.share_waited == pytest.approx(2 / 3)
    assert s.mean_wait == pytest.approx((0 + 2 + 6) / 3)
    assert s.mean_service == pytest.approx((4 + 2 + 1) / 3)
    assert s.time_avg_waiting == pytest.approx((2 + 2 + 4) / 10)
    assert s.time_avg_in_service == pytest.approx((1 + 4 + 2 + 0) / 10)  # 12..13, 10..14, 14..16
    assert s.missing == 0
    # a booking whose project never went live is counted as missing
    late = [*events, Event(19.0, "booking", 1.0, deal_kind="new")]
    assert queue_stats(late, 10.0, 20.0).missing == 1


def test_scenario_switches_are_what_the_derivation_needs() -> None:
    sc = FAST.scenario()
    c = sc.company
    assert c.consultants.headcount * c.consultants.concurrent_projects == FAST.theory.c
    assert c.consultants.duration_shape == 1.0
    assert c.consultants.quality_noise_sd == 0.0 and c.consultants.failure_quality == 0.0
    assert all(getattr(c.segments, s).starting_customers == 0 for s in ("smb", "mid_market", "enterprise"))
    assert c.segments.mid_market.leads_per_month == 0 and c.segments.enterprise.leads_per_month == 0
    assert c.deals.win_odds_per_fit == 0 and sc.behaviour.ae.neutral_pursue_min_fit == 0
    assert c.customers.referrals_per_promoter_per_year == 0 and c.champions.warm_lead_probability == 0
    assert c.customers.non_payment_probability == 0
    # the first renewal (every customer leaves there) comes long after any plausible go-live
    assert c.segments.smb.contract_term_months * 30.4 > 30 * c.segments.smb.implementation_days


# ------------------------------------------------------------------- deliberately broken worlds
def test_erlang_c_case_fails_with_one_slot_fewer(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.world import implementation

    original = implementation.ImplementationTeam.__init__

    def one_fewer(self: Any, *args: Any) -> None:
        original(self, *args)
        self.slots -= 1  # projects start while fewer than this many are in progress

    monkeypatch.setattr(implementation.ImplementationTeam, "__init__", one_fewer)
    res = run_case("exact.queue.erlang_c")
    assert not res.passed, _report(res)
    failed = {c.name for c in res.checks if not c.passed}
    assert "P(wait) = C(c,a)" in failed, _report(res)
    assert "mean wait Wq = C/(cμ−λ) (days)" in failed, _report(res)


def test_erlang_c_case_fails_with_gamma4_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.world import lead

    original = lead.LeadStream._refill

    def gamma4(self: Any) -> None:
        original(self)
        draws = self.rng.standard_gamma(4.0, len(self._buf)) / 4.0  # mean 1, CV² 1/4
        for one, x in zip(self._buf, draws.tolist(), strict=True):
            one.impl_std = x

    monkeypatch.setattr(lead.LeadStream, "_refill", gamma4)
    res = run_case("exact.queue.erlang_c")
    assert not res.passed, _report(res)
    failed = {c.name for c in res.checks if not c.passed}
    assert "duration CV² (exponential: 1)" in failed, _report(res)
    # less variable service means shorter waits (M/G/c: roughly (1 + CV²)/2 of Erlang C's)
    wait = next(c for c in res.checks if c.name.startswith("mean wait"))
    assert wait.high < float(wait.expected), _report(res)
    assert np.isfinite(wait.simulated)


def test_sampling_the_pool_does_not_change_the_world() -> None:
    """The case reads the pool from a process of its own: the world's events must be the same
    as in a plain ``simulate`` run (same go-lives, same waits)."""
    from dataclasses import replace

    from sim.policy.neutral import NeutralPolicy
    from sim.replication import simulate
    from sim.validation.queue_world import simulate_queue

    setup = replace(FAST, window_years=1.0, warmup_years=0.5, replications=1)
    sc = setup.scenario()
    plain = simulate(sc, sc.plans[0].name, 0, NeutralPolicy(), keep_ledger=True)
    assert plain.ledger is not None
    t0, t1 = setup.window(sc)
    expected = queue_stats(plain.ledger, t0, t1, plain.metrics["leads_lost"])
    (sampled,) = simulate_queue(setup)
    assert sampled.arrivals == expected.arrivals > 50
    assert sampled.mean_wait == expected.mean_wait
    assert sampled.time_avg_waiting == expected.time_avg_waiting
    # and the grid reading agrees with the ledger's intervals
    assert sampled.sampled_waiting == pytest.approx(expected.time_avg_waiting, rel=0.1, abs=0.05)
    assert sampled.sampled_in_service == pytest.approx(expected.time_avg_in_service, rel=0.05)
