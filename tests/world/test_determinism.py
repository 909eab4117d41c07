"""Same inputs, same result; common random numbers across plans that do not change behaviour."""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import astuple

import pytest
from world_fixtures import TINY, tiny

from sim.policy import NeutralPolicy
from sim.policy.decisions import Decision
from sim.replication import simulate
from sim.result import ReplicationResult


def _metrics_equal(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def _run_tiny(replication: int) -> ReplicationResult:
    return simulate(tiny(), "base", replication, NeutralPolicy(), keep_ledger=True)


def test_same_inputs_same_result_in_process() -> None:
    a = _run_tiny(2)
    b = _run_tiny(2)
    assert _metrics_equal(a.metrics, b.metrics)
    assert a.timeseries == b.timeseries
    assert a.ledger is not None and b.ledger is not None
    assert [astuple(e) for e in a.ledger] == [astuple(e) for e in b.ledger]
    c = _run_tiny(3)
    assert not _metrics_equal(a.metrics, c.metrics)  # another replication differs


def test_same_inputs_same_result_across_processes() -> None:
    here = _run_tiny(1)
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        there = pool.apply(_run_tiny, (1,))
    assert _metrics_equal(here.metrics, there.metrics)
    assert here.distributions == there.distributions
    assert here.ledger is not None and there.ledger is not None
    assert [astuple(e) for e in here.ledger] == [astuple(e) for e in there.ledger]


def _with_rate(rate: float, crn: bool = True):  # type: ignore[no-untyped-def]
    import copy

    data = copy.deepcopy(TINY)
    p2 = copy.deepcopy(data["plans"][0])
    p2["name"] = "richer"
    p2["ae"]["components"][0]["rates"][0]["rate"] = rate
    data["plans"].append(p2)
    data["experiment"]["common_random_numbers"] = crn
    from sim.scenario import Scenario

    return Scenario.model_validate(data)


def test_payout_rate_change_leaves_every_draw_identical() -> None:
    sc = _with_rate(0.25)
    a = simulate(sc, "base", 4, NeutralPolicy(), keep_ledger=True)
    b = simulate(sc, "richer", 4, NeutralPolicy(), keep_ledger=True)
    assert a.ledger is not None and b.ledger is not None
    assert [astuple(e) for e in a.ledger] == [astuple(e) for e in b.ledger]
    assert a.timeseries["arr"] == b.timeseries["arr"]
    assert a.metrics["grr"] == b.metrics["grr"] and a.metrics["new_arr"] == b.metrics["new_arr"]
    assert a.metrics["payout_cost_ae"] < b.metrics["payout_cost_ae"]  # only pay differs


def test_without_common_random_numbers_plans_see_different_luck() -> None:
    sc = _with_rate(0.25, crn=False)
    a = simulate(sc, "base", 4, NeutralPolicy(), keep_ledger=True)
    b = simulate(sc, "richer", 4, NeutralPolicy(), keep_ledger=True)
    assert a.timeseries["arr"] != b.timeseries["arr"]


class DeepDiscounter(NeutralPolicy):
    """Neutral except that every deal gets the deepest discount on offer."""

    def choose(self, decision: Decision, u: float) -> int:
        if decision.kind == "deal_terms":
            return max(range(len(decision.options)), key=lambda i: (decision.options[i].value, -i))
        return decision.neutral


def test_behaviour_change_keeps_the_market_and_the_starting_book_luck() -> None:
    sc = tiny()
    a = simulate(sc, "base", 5, NeutralPolicy(), keep_ledger=True)
    b = simulate(sc, "base", 5, DeepDiscounter(), keep_ledger=True)
    assert a.ledger is not None and b.ledger is not None
    leads_a = [(e.day, e.segment, e.marketer) for e in a.ledger if e.kind == "lead"]
    leads_b = [(e.day, e.segment, e.marketer) for e in b.ledger if e.kind == "lead"]
    assert leads_a and leads_a == leads_b
    # deals differ (deeper discounts), but the customers of the starting book (ids 0..59) live
    # exactly the same lives: every ARR movement, renewal and champion move is identical
    assert [e.discount for e in a.ledger if e.kind == "booking" and e.deal_kind == "new"] != [
        e.discount for e in b.ledger if e.kind == "booking" and e.deal_kind == "new"
    ]
    kinds = (
        "arr_churn",
        "arr_expansion",
        "arr_contraction",
        "arr_upsell",
        "arr_cross_sell",
        "renewal",
        "champion_move",
        "reference",
    )

    def lives(r: ReplicationResult) -> list[tuple[float, str, int, float]]:
        assert r.ledger is not None
        return [
            (e.day, e.kind, e.customer, e.amount)
            for e in r.ledger
            if e.kind in kinds and 0 <= e.customer < 60
        ]

    assert len(lives(a)) > 20
    assert lives(a) == lives(b)


@pytest.mark.parametrize("bad", [-1, 99])
def test_policy_answers_are_checked(bad: int) -> None:
    class Bad(NeutralPolicy):
        def choose(self, decision: Decision, u: float) -> int:
            return bad

    with pytest.raises(ValueError, match="policy chose option"):
        simulate(tiny(), "base", 0, Bad())


def test_the_environment_counts_scheduled_events() -> None:
    from sim.world.services import CountingEnvironment

    env = CountingEnvironment()

    def proc() -> object:
        for _ in range(10):
            yield env.timeout(1.0)

    env.process(proc())
    env.run()
    assert env.scheduled == 12  # 10 timeouts + the process's start and end events
    assert env.scheduled == 12  # reading does not consume the counter


def test_a_call_later_fires_where_the_timeout_it_replaces_would() -> None:
    """``call_later`` and ``timeout`` share SimPy's queue and event counter: calls and timeouts
    scheduled in any mix fire in time order, ties in the order they were scheduled."""
    from sim.world.services import CountingEnvironment

    env = CountingEnvironment()
    fired: list[str] = []
    for i, delay in enumerate([3.0, 1.0, 3.0, 0.0, 1.0, 2.5]):
        if i % 2:
            env.call_later(delay, fired.append, f"call{i}")
        else:
            ev = env.timeout(delay)
            ev.callbacks.append(lambda _ev, i=i: fired.append(f"timeout{i}"))
    assert env.scheduled == 6
    env.advance(2.0)
    assert fired == ["call3", "call1", "timeout4"]  # 1.0: call1 was scheduled first
    assert env.now == 2.0
    env.call_later(0.5, fired.append, "late")  # from now (2.5), after call5 scheduled for 2.5 earlier
    env.run()
    assert fired == ["call3", "call1", "timeout4", "call5", "late", "timeout0", "timeout2"]
    assert env.now == 3.0
    with pytest.raises(ValueError, match="negative delay"):
        env.call_later(-1.0, fired.append, "never")


def test_a_call_fired_by_advance_sees_its_own_time_and_can_schedule_more() -> None:
    """``advance`` fires a call the way SimPy's ``step`` fires a timeout: the clock at the call's
    time, and what the call schedules before ``until`` fires in the same advance."""
    from sim.world.services import CountingEnvironment

    env = CountingEnvironment()
    seen: list[tuple[str, float]] = []

    def chain(name: str, again: float | None) -> None:
        seen.append((name, env.now))
        if again is not None:
            env.call_later(again, chain, name + "+", None)

    env.call_later(0.25, chain, "a", 0.5)
    env.timeout(0.5).callbacks.append(lambda _ev: seen.append(("timeout", env.now)))
    env.call_later(1.5, chain, "b", None)
    env.advance(1.0)
    assert seen == [("a", 0.25), ("timeout", 0.5), ("a+", 0.75)]
    assert env.now == 1.0
    env.advance(2.0)
    assert seen[-1] == ("b", 1.5)
