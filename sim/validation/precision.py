"""Validation of the precision loop: with a replication function of known spread, the loop stops at
the replication count the t-formula gives (checked against the exact stopping rule on reference
sequences)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

from sim.rng import Streams, stream
from sim.validation.bands import BASE_COMPANY, find_scenario
from sim.validation.core import CONFIDENCE, Check, case, equals, within
from sim.validation.statistics import PRECISION_BATCH, PRECISION_MAX, PRECISION_START, SEED

PRECISION_SIGMA = 0.05
"""True sd of the paired difference of :func:`known_sd_replicate` (plan 1 against plan 0)."""

PRECISION_TARGET = 0.01

REFERENCE_SEQUENCES = 4000


def _known_sd_nrr(common: float, z: float, position: int) -> float:
    return 1.0 + 0.1 * common + position * PRECISION_SIGMA * z


def _known_sd_draws(seed: int, replication: int, salt: int | None = None) -> tuple[float, float]:
    streams = Streams(seed, replication, salt)
    common = float(streams("validation.precision.common").normal())
    return common, float(streams("validation.precision.noise").normal())


def known_sd_replicate(scenario: Any, plan: str, replication: int) -> Any:
    """A synthetic replication: ``nrr = 1 + 0.1·c + j·σ·z`` for the plan at position ``j``,
    with ``c, z ~ N(0, 1)`` from this replication's streams (shared by plans under common random
    numbers), so the paired difference of plan 1 against plan 0 is ``σ·z``: known sd ``σ``."""
    from sim.result import ReplicationResult

    exp = scenario.experiment
    position = [p.name for p in scenario.plans].index(plan)
    salt = None if exp.common_random_numbers else position + 1
    common, z = _known_sd_draws(exp.seed, replication, salt)
    return ReplicationResult(
        plan=plan, replication=replication, metrics={"nrr": _known_sd_nrr(common, z, position)}
    )


def stop_count(
    differences: np.ndarray, start: int, batch: int, cap: int, target: float, confidence: float = CONFIDENCE
) -> tuple[int, float]:
    """Where the precision rule stops on these paired differences, and the half-width there.

    The smallest ``n`` in ``start, start + batch, ...`` (capped at ``cap``) with
    ``t(1 - α/2, n - 1)·s_n/√n <= target``, ``s_n`` the sd of the first ``n`` differences.
    """
    n = start
    while True:
        d = differences[:n]
        mean = sum(float(x) for x in d) / n
        s = math.sqrt(sum((float(x) - mean) ** 2 for x in d) / (n - 1))
        half = float(sps.t.ppf(0.5 + confidence / 2.0, n - 1)) * s / math.sqrt(n)
        if half <= target or n >= cap:
            return n, half
        n = min(n + batch, cap)


def stop_count_with_true_sd(
    sigma: float, start: int, batch: int, cap: int, target: float, confidence: float = CONFIDENCE
) -> int:
    """The stop count if every ``s_n`` equalled the true ``sigma``."""
    n = start
    while sps.t.ppf(0.5 + confidence / 2.0, n - 1) * sigma / math.sqrt(n) > target and n < cap:
        n = min(n + batch, cap)
    return n


def reference_stop_counts(
    sigma: float,
    start: int,
    batch: int,
    cap: int,
    target: float,
    sequences: int = REFERENCE_SEQUENCES,
    confidence: float = CONFIDENCE,
) -> np.ndarray:
    """Stop counts of the rule on ``sequences`` independent N(0, sigma²) sequences (vectorised),
    drawn from ``stream(SEED, 0, "validation.precision.reference")``."""
    z = sigma * stream(SEED, 0, "validation.precision.reference").normal(size=(sequences, cap))
    s1, s2 = np.cumsum(z, axis=1), np.cumsum(z * z, axis=1)
    grid = [*range(start, cap, batch), cap]
    out = np.full(sequences, cap)
    open_ = np.ones(sequences, dtype=bool)
    for n in grid:
        var = (s2[:, n - 1] - s1[:, n - 1] ** 2 / n) / (n - 1)
        half = sps.t.ppf(0.5 + confidence / 2.0, n - 1) * np.sqrt(np.maximum(var, 0.0)) / math.sqrt(n)
        hit = open_ & (half <= target)
        out[hit] = n
        open_ &= ~hit
    return out


PRECISION_PLANS = """\
  - name: conventional
    based_on: conventional
  - name: other
    based_on: conventional
    ae: {base_salary_annual_usd: 110000}
"""


@case(
    "statistics.precision_loop",
    "The precision loop stops at the replication count the t-formula gives",
    "smallest n in start + k·batch with t(0.975, n-1)·s_n/√n <= target; known sd σ = 0.05, target 0.01",
)
def _precision_loop() -> Sequence[Check]:
    from sim.experiment.runner import PRECISION_MET, Runner
    from sim.scenario import load_scenario_text

    text = (
        f"extends: {BASE_COMPANY}\nname: validation-precision\nplans:\n{PRECISION_PLANS}\n"
        f"experiment:\n  replications: {PRECISION_START}\n  batch_size: {PRECISION_BATCH}\n"
        f"  max_replications: {PRECISION_MAX}\n  precision: {{nrr: {PRECISION_TARGET}}}\n"
    )
    scenario = load_scenario_text(text, "validation-precision.yaml", base_dir=find_scenario().parent)
    scenario.output.timeseries = False
    runner = Runner(scenario, replicate=known_sd_replicate, backend="serial")
    res = runner.run()
    counts = res.replications.groupby("plan").size()
    n_run = int(counts.max())
    seed = scenario.experiment.seed
    diffs = np.empty(PRECISION_MAX)
    for k in range(PRECISION_MAX):
        common, z = _known_sd_draws(seed, k)
        diffs[k] = _known_sd_nrr(common, z, 1) - _known_sd_nrr(common, z, 0)
    n_hand, half_hand = stop_count(diffs, PRECISION_START, PRECISION_BATCH, PRECISION_MAX, PRECISION_TARGET)
    n_sigma = stop_count_with_true_sd(
        PRECISION_SIGMA, PRECISION_START, PRECISION_BATCH, PRECISION_MAX, PRECISION_TARGET
    )
    ref = reference_stop_counts(
        PRECISION_SIGMA, PRECISION_START, PRECISION_BATCH, PRECISION_MAX, PRECISION_TARGET
    )
    lo, hi = (float(q) for q in np.quantile(ref, [0.005, 0.995]))
    precision = res.metadata["precision"]
    rule = (
        f"start {PRECISION_START}, batch {PRECISION_BATCH}, target ±{PRECISION_TARGET}, σ = {PRECISION_SIGMA}"
    )
    return [
        equals(
            "stop count = t-formula on the drawn differences",
            float(n_hand),
            float(n_run),
            tol=0.0,
            digits=0,
            detail=f"{rule}; both plans ran {counts.to_dict()}",
        ),
        equals(
            "half-width at the stop (runner vs hand)",
            half_hand,
            float(precision["half_widths"]["nrr"]),
            tol=1e-12,
            digits=6,
        ),
        equals(
            "precision status 'met'",
            1.0,
            float(precision["status"] == PRECISION_MET),
            tol=0.0,
            digits=0,
            detail=f"status {precision['status']!r} after {precision['rounds']} rounds",
        ),
        within(
            "stop count vs the true sd (99% range of the rule)",
            [float(n_run)],
            lo,
            hi,
            digits=0,
            detail=(
                f"t-formula with s = σ: n = {n_sigma}; over {REFERENCE_SEQUENCES} simulated sequences "
                f"median {float(np.median(ref)):.0f}, mean {float(ref.mean()):.1f}"
            ),
        ),
    ]
