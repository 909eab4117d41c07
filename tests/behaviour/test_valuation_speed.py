"""Speed of option valuation (run on demand: ``pytest -m benchmark -s``)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from sim.behaviour import IncentivePolicy, make_policy
from sim.calendar import Calendar
from sim.decisions import Decision, MeasureOutcome, Option
from sim.ledger import Event, Ledger


def _decision(day: float) -> Decision:
    """A deal-terms decision like the world's: 4 discounts x 3 promises x 2 commitments."""
    opts = []
    for d in (0.0, 0.1, 0.2, 0.3):
        for promise in (0.0, 0.5, 1.0):
            for over in (0.0, 0.25):
                acv = 40_000 * (1 - d) * (1 + over)
                p = min(0.2 + d + 0.1 * promise, 0.9)
                outs = (
                    MeasureOutcome("bookings_acv", acv, p, 60.0, discount=d, go_live_delay_days=30,
                                   churn_probability=0.1 + 0.1 * promise),
                    MeasureOutcome("first_year_revenue", acv, p, 90.0, 365.0, discount=d,
                                   churn_probability=0.1 + 0.1 * promise),
                )
                opts.append(Option(f"{d}/{promise}/{over}", outs, 0.0, d))
    return Decision("deal_terms", day, "ae", 1, tuple(opts), 4)


@pytest.mark.benchmark
@pytest.mark.parametrize("plan", ["conventional", "revenue-realization", "clawback"])
def test_valuation_speed(plan: str, scenario_from_text: Any) -> None:
    sc = scenario_from_text("extends: seed-plans.yaml\nname: bench\n")
    pol = make_policy(sc, plan)
    assert isinstance(pol, IncentivePolicy)
    ledger = Ledger()
    pol.bind(ledger, Calendar(2, 60), {1: "ae"})
    ledger.record(Event(0.0, "hire", role="ae", person=1))
    for k in range(40):
        ledger.record(Event(5.0 * k, "booking", amount=30_000, deal=k, customer=k, ae=1, deal_kind="new"))
    n = 2_000
    t0 = time.perf_counter()
    for i in range(n):
        pol.choose(_decision(200.0 + i * 0.01), (i % 97) / 97)
    dt = time.perf_counter() - t0
    options = n * 24
    print(f"{plan}: {dt / n * 1e6:.0f} us per 24-option decision, {dt / options * 1e6:.1f} us per option")
    assert dt / options < 1e-3


@pytest.mark.benchmark
@pytest.mark.parametrize("plan", ["conventional", "revenue-realization", "clawback"])
def test_fast_valuation_per_option(plan: str, scenario_from_text: Any) -> None:
    """µs per option of the fast path (what ``choose`` uses) against the reference valuation."""
    sc = scenario_from_text("extends: seed-plans.yaml\nname: bench\n")
    pol = make_policy(sc, plan)
    assert isinstance(pol, IncentivePolicy)
    ledger = Ledger()
    pol.bind(ledger, Calendar(2, 60), {1: "ae"})
    ledger.record(Event(0.0, "hire", role="ae", person=1))
    for k in range(40):
        ledger.record(Event(5.0 * k, "booking", amount=30_000, deal=k, customer=k, ae=1, deal_kind="new"))
    assert pol.valuer is not None
    decisions = [_decision(200.0 + i * 0.01) for i in range(1_000)]
    options = len(decisions) * 24
    times = {}
    for name, fn in (("reference", pol.reference_utilities), ("fast", pol.valuer.utilities)):
        best = math.inf
        for _ in range(3):
            t0 = time.process_time()
            for d in decisions:
                fn(d)
            best = min(best, time.process_time() - t0)
        times[name] = best / options * 1e6
    print(f"{plan}: reference {times['reference']:.2f} us/option, fast {times['fast']:.2f} us/option "
          f"({times['reference'] / times['fast']:.1f}x)")
    assert all(pol.valuer.utilities(d) == pol.reference_utilities(d) for d in decisions[:20])
    assert times["fast"] < times["reference"]


@pytest.mark.benchmark
@pytest.mark.parametrize("plan", ["conventional", "revenue-realization"])
def test_incentive_over_neutral_replication_time(plan: str, repo_root: Path) -> None:
    """CPU seconds of one seed-plans replication with the incentive policy and the neutral one."""
    from sim import load_scenario
    from sim.world import NeutralPolicy, simulate

    sc = load_scenario(repo_root / "scenarios" / "seed-plans.yaml")
    months = round(sc.company.warmup_years * 12)
    cpu = {}
    metrics = {}
    for kind in ("neutral", "reference", "incentive"):
        policy = (
            NeutralPolicy() if kind == "neutral"
            else IncentivePolicy(
                sc.behaviour, sc.plan(plan), measure_start_months=months, fast=kind == "incentive"
            )
        )
        t0 = time.process_time()
        metrics[kind] = simulate(sc, plan, 0, policy=policy).metrics
        cpu[kind] = time.process_time() - t0
    ratio = cpu["incentive"] / cpu["neutral"]
    ref_ratio = cpu["reference"] / cpu["neutral"]
    print(f"{plan}: neutral {cpu['neutral']:.2f} s, incentive {cpu['incentive']:.2f} s (ratio {ratio:.2f}); "
          f"with the reference valuation {cpu['reference']:.2f} s (ratio {ref_ratio:.2f})")
    fast, ref = metrics["incentive"], metrics["reference"]
    differ = sorted(
        k for k, v in fast.items() if v != ref.get(k) and not (math.isnan(v) and math.isnan(ref[k]))
    )
    assert not differ  # same choices, so the same replication
