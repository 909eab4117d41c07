"""AEs' prospecting ability (``reps.prospecting_ability_sd``) and the close-timing window that grows
with the sales cycle (``behaviour.ae.timing_window_cycle_share``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from world_fixtures import tiny

from sim.policy import NeutralPolicy
from sim.replication import build_world, simulate
from sim.world.reps import WINDOW_DAYS

SELF = {"smb": {"self_sourced_leads_per_ae_day": 0.3}}


def test_no_spread_means_everyone_alike() -> None:
    world = build_world(tiny(company__segments=SELF), "base", 0, NeutralPolicy())
    assert [world.prospecting.ability(p) for p in range(20)] == [1.0] * 20


def test_ability_is_lognormal_with_mean_one_and_fixed_per_person() -> None:
    sc = tiny(company__segments=SELF, company__reps={"prospecting_ability_sd": 0.5})
    world = build_world(sc, "base", 0, NeutralPolicy())
    a = np.array([world.prospecting.ability(p) for p in range(4000)])
    assert a.mean() == pytest.approx(1.0, abs=0.03)
    assert np.log(a).std() == pytest.approx(0.5, abs=0.02)
    again = build_world(sc, "base", 0, NeutralPolicy())
    # drawn from each person's own stream: the order of asking does not matter
    assert [again.prospecting.ability(p) for p in (7, 3, 0)] == [a[7], a[3], a[0]]


def test_ability_scales_self_sourced_leads() -> None:
    lo = tiny(company__segments=SELF, company__reps={"prospecting_ability_sd": 0.0})
    hi = tiny(company__segments=SELF, company__reps={"prospecting_ability_sd": 1.5})
    n_lo = simulate(lo, "base", 1, NeutralPolicy()).metrics["self_sourced_leads"]
    n_hi = simulate(hi, "base", 1, NeutralPolicy()).metrics["self_sourced_leads"]
    assert n_lo > 0 and n_hi != n_lo  # mean 1 across people, but a different draw per AE


def test_timing_window_grows_with_the_cycle() -> None:
    world = build_world(tiny(behaviour__ae={"timing_window_cycle_share": 0.5}), "base", 0, NeutralPolicy())
    sales = world.sales
    _, q_end = world.clock.quarter_bounds(200.0)
    reach = [0.5 * sales.deal_terms.cycle_mean(s, 0) for s in range(3)]
    assert reach[2] > 40.0 > max(reach[0], WINDOW_DAYS)  # enterprise: 60 days, SMB: 15

    def choice(segment: int, natural: float) -> object:
        opp = SimpleNamespace(
            close_day=natural, discount=0.0, ae=0, lead=SimpleNamespace(segment=segment, source=0)
        )
        cycle = sales.deal_terms.cycle_mean(segment, 0)
        return sales._timing_choice(opp, 0.0, cycle)  # type: ignore[arg-type]

    # 40 days before a quarter end: inside half an enterprise cycle, outside two weeks and half an SMB one
    got = choice(2, q_end - 40.0)
    assert got is not None and got[1].alternative == "push" and got[0] == pytest.approx(q_end - reach[2])
    assert choice(0, q_end - 40.0) is None
    # 10 days before: inside two weeks whatever the cycle
    assert choice(0, q_end - 10.0) is not None
