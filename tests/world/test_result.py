"""What simulate returns: every metric, plain data, and metrics that mean what docs/metrics.md says."""

from __future__ import annotations

import gc
import math
import pickle

import numpy as np
import pytest
from world_fixtures import tiny

from sim.policy import NeutralPolicy
from sim.replication import simulate
from sim.result import ReplicationResult
from sim.scenario.experiment import METRICS


@pytest.fixture(scope="module")
def result() -> ReplicationResult:
    sc = tiny(company__horizon_years=2, company__warmup_years=1)
    return simulate(sc, "base", 0, NeutralPolicy(), keep_ledger=True)


def test_every_metric_is_there_and_plain(result: ReplicationResult) -> None:
    for name in METRICS:
        assert name in result.metrics
    for seg in ("smb", "mid_market", "enterprise"):
        assert f"grr_{seg}" in result.metrics and f"nrr_{seg}" in result.metrics
    assert all(type(v) is float for v in result.metrics.values())
    assert not math.isnan(result.metrics["grr"]) and not math.isnan(result.metrics["payout_cost"])
    clone = pickle.loads(pickle.dumps(result))
    assert clone.timeseries == result.timeseries
    assert result.events_scheduled > 0 and result.wall_seconds > 0


def test_series_cover_the_measured_months(result: ReplicationResult) -> None:
    for key in (
        "arr",
        "arr_smb",
        "arr_mid_market",
        "arr_enterprise",
        "customers",
        "new_arr",
        "bookings",
        "payout_cost",
    ):
        assert len(result.timeseries[key]) == 24, key
    ts = result.timeseries
    assert ts["arr"][-1] == pytest.approx(result.metrics["ending_arr"])
    parts = np.array(ts["arr_smb"]) + np.array(ts["arr_mid_market"]) + np.array(ts["arr_enterprise"])
    assert np.allclose(parts, ts["arr"])
    assert sum(ts["new_arr"]) == pytest.approx(result.metrics["new_arr"] * 2)


def test_ratios_are_ratios(result: ReplicationResult) -> None:
    m = result.metrics
    assert 0 < m["grr"] <= 1
    assert m["nrr"] >= m["grr"]
    assert 0 <= m["logo_churn"] <= 1
    assert 0 <= m["period_end_share"] <= 1 and 0 <= m["second_order_share"] <= 1
    assert -100 <= m["nps"] <= 100
    assert all(0 <= x <= 10 for x in result.distributions["nps"])
    assert m["headwind_usd"] == pytest.approx(
        m["logos_lost_usd"] + m["price_erosion_usd"] + m["contraction_usd"]
    )


def test_cohort_retention_matches_a_hand_computation() -> None:
    from sim.metrics import cohort_retention

    then = np.array([100, 200, 0, 50], dtype=np.int64)
    now = np.array([150, 100, 999, 0], dtype=np.int64)  # grew, shrank, new (excluded), churned
    grr, nrr, churn = cohort_retention(then, now)
    assert grr == pytest.approx((100 + 100 + 0) / 350)
    assert nrr == pytest.approx((150 + 100 + 0) / 350)
    assert churn == pytest.approx(1 / 3)


def test_nps_bands() -> None:
    from sim.metrics import nps_answers

    a = nps_answers(np.array([0.0, 0.44, 0.45, 0.6, 0.76, 1.0]), promoter=0.75, detractor=0.45)
    assert a.tolist() == [0, 5, 7, 7, 9, 10]


def test_a_plan_design_can_be_passed_directly() -> None:
    sc = tiny()
    design = sc.plans[0].model_copy(deep=True)
    design.ae.components[0].rates[0].rate = 0.3
    by_name = simulate(sc, "base", 1, NeutralPolicy())
    by_design = simulate(sc, design, 1, NeutralPolicy())
    assert by_design.timeseries["arr"] == by_name.timeseries["arr"]  # same world (CRN)
    assert by_design.metrics["payout_cost_ae"] > by_name.metrics["payout_cost_ae"]  # its own pay
    with pytest.raises(KeyError):
        simulate(sc, "no-such-plan", 1, NeutralPolicy())
    renamed = design.model_copy(update={"name": "other"})
    assert simulate(sc, renamed, 1).plan == "other"  # default policy built for a design not in the scenario


def test_keeping_the_ledger_changes_nothing_but_memory() -> None:
    from sim.metrics import Tally

    sc = tiny()
    kept = simulate(sc, "base", 6, NeutralPolicy(), keep_ledger=True)
    lean = simulate(sc, "base", 6, NeutralPolicy())
    assert lean.ledger is None and kept.ledger is not None
    assert kept.metrics.keys() == lean.metrics.keys()
    assert all(
        kept.metrics[k] == lean.metrics[k] or (kept.metrics[k] != kept.metrics[k]) for k in kept.metrics
    )
    assert kept.payouts == lean.payouts and kept.distributions == lean.distributions
    # a tally of the kept events equals the live one
    from sim.time.calendar import Calendar

    w = round(sc.company.warmup_years * 12)
    t = w + round(sc.company.horizon_years * 12)
    tally = Tally.of(kept.ledger, Calendar(sc.company.fiscal_year_start_month, t), sc.plans[0], w, t)
    assert tally.discounts == kept.distributions["discount"]
    assert tally.new_arr_by_month == kept.timeseries["new_arr"]
    assert tally.events == len(kept.ledger)


@pytest.mark.parametrize("keep_ledger", [False, True])
def test_a_replication_frees_its_world_before_it_returns(keep_ledger: bool) -> None:
    """The world's teams refer to each other, so only the cyclic collector frees it: simulate and
    history collect it on the way out, and a process running replications back to back holds one
    world at a time (not the ten or so the automatic collections would leave)."""
    from sim.replication import history
    from sim.world.model import World

    def worlds() -> int:
        return sum(isinstance(o, World) for o in gc.get_objects())

    sc = tiny(company__horizon_years=1, company__warmup_years=0)
    gc.collect()
    held = worlds()  # worlds other tests of this process keep
    assert gc.isenabled()
    simulate(sc, "base", 0, NeutralPolicy(), keep_ledger=keep_ledger)
    simulate(sc, "base", 1, NeutralPolicy(), keep_ledger=keep_ledger)
    assert worlds() == held
    history(sc, "base", 2, NeutralPolicy())
    assert worlds() == held and gc.isenabled()
