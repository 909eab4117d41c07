"""Stage 2's machinery on a model whose truth is known exactly: bridges converge, the behaviour
search finds the minimum, the joint sandwich intervals cover the truth at their nominal rate, and
a field the moments do not depend on is reported as not identified.

The "world" here is a smooth function of the fields plus noise drawn per replication (the same
noise at every point: common random numbers), so hundreds of calibrations take seconds and the
coverage of the intervals can be measured instead of hoped for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from scipy import special

from sim.calibrate.estimates import Estimate
from sim.calibrate.fit import Evaluate, Settings, Stage2
from sim.calibrate.nanstats import relative_spread
from sim.calibrate.params import LINEAR, LOG, LOGIT, BehaviourParam, Bridge

WIN = Bridge("company.segments.smb.base_win_rate", "win_rate.{segment}", LOGIT, LOGIT, 1.0, 0.002, 0.998)
VOLUME = Bridge(
    "company.segments.smb.leads_per_month", "opportunities_per_month.{segment}", LOG, LOG, 1.0, 0.01, 1e5
)
LAMBDA = BehaviourParam("behaviour.rationality_per_kusd", 0.02, 8.0, LOG)
PULL = BehaviourParam("behaviour.ae.pull_in_discount", 0.0, 0.2, LINEAR)
IDLE = BehaviourParam("behaviour.risk_aversion_per_kusd", 0.0, 3.0, LINEAR)
NAMES = [
    "win_rate.smb",
    "opportunities_per_month.smb",
    "discount_share.0",
    "discount_share.0.2",
    "late_close_share",
    "early_close_share",
]
SD = np.array([0.006, 0.6, 0.004, 0.004, 0.005, 0.005])
TRUTH = {WIN.path("smb"): 0.3, VOLUME.path("smb"): 40.0, LAMBDA.path: 1.5, PULL.path: 0.05, IDLE.path: 1.0}


def model(x: Mapping[str, float]) -> np.ndarray:
    """The moments' expected values at fields ``x`` (risk aversion moves nothing)."""
    lam, pull = x[LAMBDA.path], x[PULL.path]
    win = special.expit(special.logit(x[WIN.path("smb")]) + 0.25 * math.log(lam))
    return np.array(
        [
            win,
            x[VOLUME.path("smb")] * (0.8 + 0.05 * math.log(lam)),
            0.05 + 0.05 * math.log1p(lam),
            0.02 + 0.06 * lam / (1 + lam) + 0.4 * pull,
            0.15 + 0.5 * pull,
            0.14 - 0.3 * pull + 0.01 * math.log(lam),
        ]
    )


def noise(seed: int, rep: int) -> np.ndarray:
    return np.random.default_rng([seed, rep]).standard_normal(len(NAMES)) * SD


def evaluator(seed: int) -> Evaluate:
    """Replication k at every point sees the same noise (common random numbers for one seed)."""

    def evaluate(points: Sequence[Mapping[str, float]], reps: int, status: str) -> list[np.ndarray]:
        return [np.array([model(p) + noise(seed, k) for k in range(reps)]) for p in points]

    return evaluate


def calibrate_once(dataset: int, behaviour: Sequence[BehaviourParam] = (LAMBDA, PULL)) -> dict[str, Estimate]:
    """One calibration: its own observed history and its own simulation seed."""
    observed = dict(zip(NAMES, model(TRUTH) + noise(100_000 + dataset, 0), strict=True))
    start = {WIN.path("smb"): 0.2, VOLUME.path("smb"): 25.0, LAMBDA.path: 0.5, PULL.path: 0.1, IDLE.path: 0.5}
    settings = Settings(reps=8, final_reps=16, design_points=8, lm_steps=8, bridge_rounds=4, seed=dataset)
    fit = Stage2(
        evaluator(dataset), NAMES, observed, start, [(WIN, "smb"), (VOLUME, "smb")], behaviour, settings
    ).run()
    return {e.path: e for e in fit.estimates}


def test_bridges_and_behaviour_are_found() -> None:
    est = calibrate_once(0)
    for path, truth in TRUTH.items():
        if path in est:
            e = est[path]
            assert e.identified, (path, e.note)
            assert abs(e.value - truth) <= 4 * max(e.high - e.low, 1e-9), (path, e.value, truth)


def test_intervals_cover_the_truth_at_their_nominal_rate() -> None:
    runs = [calibrate_once(d) for d in range(120)]
    for path, truth in TRUTH.items():
        if path == IDLE.path:
            continue
        covered = [r[path].covers(truth) for r in runs if r[path].identified]
        assert len(covered) >= 110, path
        rate = sum(covered) / len(covered)
        # 95% nominal; 120 datasets: the binomial band is about +-4 points
        assert 0.88 <= rate <= 0.995, (path, rate)


def test_a_field_the_moments_ignore_is_not_identified() -> None:
    for d in range(5):
        est = calibrate_once(d, (LAMBDA, PULL, IDLE))
        assert not est[IDLE.path].identified
        assert "standard errors across its whole range" in est[IDLE.path].note
        assert est[LAMBDA.path].identified


@pytest.mark.parametrize("bad", [0.0, 1.0])
def test_scales_refuse_what_they_cannot_hold(bad: float) -> None:
    assert math.isnan(LOGIT.to(bad))
    assert LOGIT.back(LOGIT.to(0.3)) == pytest.approx(0.3)
    assert LOG.back(LOG.to(7.0)) == pytest.approx(7.0)


def test_a_statistics_spread_is_judged_at_the_observed_level() -> None:
    sims = np.array([0.08, 0.1, 0.12, 0.1])
    at_sims = float(np.std(np.log(sims), ddof=1))
    assert relative_spread(LOG, sims, 0.1) == pytest.approx(at_sims)
    assert relative_spread(LOG, sims, 0.2) == pytest.approx(at_sims)  # fewer events nowhere: no credit
    assert relative_spread(LOG, sims, 0.025) == pytest.approx(at_sims * math.sqrt(0.1 / 0.025))
    p = np.array([0.45, 0.5, 0.55, 0.5])
    at_p = float(np.std(special.logit(p), ddof=1))
    assert relative_spread(LOGIT, p, 0.1) == pytest.approx(at_p * math.sqrt(0.25 / 0.09))
    assert relative_spread(LOG, sims, 0.0) == math.inf  # no events observed
    assert relative_spread(LINEAR, sims, 5.0) == 0.0
