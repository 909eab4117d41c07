"""The statistical machinery as validation cases: paired t with CRN, A/A coverage, precision loop.

* ``statistics.paired_t``: the paired-difference interval the runner reports
  (:func:`sim.experiment.stats.compare`) equals a hand computation from the replications of a
  small real world, and common random numbers make it tighter than independent streams.
* ``statistics.aa_coverage``: the same plan twice under common random numbers differs by exactly
  zero; the 95% t-interval covers a known mean in 95% of synthetic experiments (within a 99.9%
  binomial band), for a normal and a skewed (lognormal) metric and for an A/A paired difference.
* ``statistics.precision_loop``: the runner's precision loop stops where the t-formula says it
  should, for a synthetic replication function whose paired difference has a known sd.

Synthetic data come from named streams (:func:`sim.rng.stream`), never the global numpy state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.rng import stream
from sim.validation.bands import BASE_COMPANY, find_scenario
from sim.validation.core import CONFIDENCE, Check, case, equals

SEED = 20261123
"""Seed of the synthetic experiments (the project's default experiment seed)."""

SMALL_WORLD: dict[str, Any] = {"company.horizon_years": 1, "company.warmup_years": 0}
"""Overrides making the base company small: one measured year, no warm-up, about 200 customers."""

for _seg, (_customers, _leads) in {"smb": (120, 15), "mid_market": (60, 6), "enterprise": (20, 2)}.items():
    SMALL_WORLD[f"company.segments.{_seg}.starting_customers"] = _customers
    SMALL_WORLD[f"company.segments.{_seg}.leads_per_month"] = _leads

REAL_WORLD = "sim.replication:simulate"

TWO_PLANS = """\
  - name: conventional
    based_on: conventional
  - name: steeper
    based_on: conventional
    description: 12% of bookings to quota, 20% above (the conventional plan pays 10% / 15%)
    ae:
      components:
        - name: commission
          measure: bookings_acv
          period: quarter
          pays: on_booking
          rates:
            - {from_attainment: 0.0, rate: 0.12}
            - {from_attainment: 1.0, rate: 0.20}
"""

SAME_PLAN_TWICE = """\
  - name: conventional
    based_on: conventional
  - name: copy
    based_on: conventional
    description: the same rules under another name
"""


def small_scenario(plans: str, replications: int, *, crn: bool = True, extra: str = "") -> Any:
    """The small base company with these plans (YAML list items) and a fixed replication count."""
    from sim.scenario import load_scenario_text

    text = (
        f"extends: {BASE_COMPANY}\nname: validation-statistics\nplans:\n{plans}\n"
        f"experiment:\n  replications: {replications}\n  max_replications: {replications}\n"
        f"  precision: {{}}\n  common_random_numbers: {'true' if crn else 'false'}\n{extra}"
    )
    path = find_scenario()
    scenario = load_scenario_text(
        text, "validation-statistics.yaml", base_dir=path.parent, overrides=SMALL_WORLD
    )
    scenario.output.timeseries = False
    return scenario


def _run(scenario: Any, replicate: str = REAL_WORLD) -> Any:
    from sim.experiment.runner import run_experiment

    return run_experiment(scenario, replicate=replicate, backend="serial")


def _pairs(
    replications: pd.DataFrame, baseline: str, other: str, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and other plan values of ``metric`` by replication index."""
    a = replications[replications["plan"] == baseline].set_index("replication")[metric].sort_index()
    b = replications[replications["plan"] == other].set_index("replication")[metric].sort_index()
    if not a.index.equals(b.index):
        raise ValueError(f"{metric}: plans have different replications")
    return a.to_numpy(dtype=float), b.to_numpy(dtype=float)


def hand_paired_t(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE
) -> dict[str, float]:
    """Paired t interval of ``b - a`` by hand (plain sums, scipy only for the t quantile).

    ``d_k = b_k - a_k``; ``mean = Σd/n``; ``s² = Σ(d - mean)²/(n - 1)``;
    ``half-width = t(1 - α/2, n - 1)·s/√n``; variance-reduction ratio
    ``(s_a²/n + s_b²/n) / (s²/n)``.
    """
    d = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    n = len(d)
    mean = sum(d) / n
    var = sum((x - mean) ** 2 for x in d) / (n - 1)
    t = float(sps.t.ppf(0.5 + confidence / 2.0, n - 1))
    half = t * math.sqrt(var) / math.sqrt(n)

    def sample_var(xs: Sequence[float] | np.ndarray) -> float:
        m = sum(float(x) for x in xs) / len(xs)
        return sum((float(x) - m) ** 2 for x in xs) / (len(xs) - 1)

    unpaired = sample_var(a) / n + sample_var(b) / n
    ratio = unpaired / (var / n) if var > 0 else math.inf
    return {
        "n": n,
        "mean": mean,
        "sd": math.sqrt(var),
        "t": t,
        "half_width": half,
        "low": mean - half,
        "high": mean + half,
        "variance_reduction": ratio,
        "var_d": var,
    }


def _close(name: str, expected: float, value: float, *, rel: float = 1e-9, detail: str = "") -> Check:
    """``equals`` with a relative tolerance, the expected value shown to about seven digits."""
    tol = rel * abs(expected) + 1e-15
    scale = math.floor(math.log10(abs(expected))) if expected != 0 and math.isfinite(expected) else 0
    digits = min(max(6 - scale, 0), 15)
    why = f"relative tolerance {rel:g}"
    return equals(name, expected, value, tol=tol, digits=digits, detail=f"{why}; {detail}" if detail else why)


PAIRED_METRICS: tuple[str, ...] = ("nrr", "new_arr", "ending_arr", "payout_cost")

PAIRED_REPLICATIONS = 6


@case(
    "statistics.paired_t",
    "Paired-t interval with CRN equals a hand computation; CRN tightens it",
    "mean ± t(0.975, n-1)·s_d/√n of d_k = B_k - A_k (scipy.stats.t.ppf); Var(d) with and without CRN",
)
def _paired_t() -> Sequence[Check]:
    n = PAIRED_REPLICATIONS
    crn = _run(small_scenario(TWO_PLANS, n, crn=True))
    indep = _run(small_scenario(TWO_PLANS, n, crn=False))
    base, other = crn.plans[0], crn.plans[1]
    table = crn.comparison(list(PAIRED_METRICS)).set_index("metric")
    checks: list[Check] = []
    for m in PAIRED_METRICS:
        a, b = _pairs(crn.replications, base, other, m)
        hand = hand_paired_t(a, b)
        row = table.loc[m]
        where = f"n = {hand['n']}, t = {hand['t']:.4f}, s_d = {hand['sd']:.4g}"
        checks.append(_close(f"{m}: mean difference", hand["mean"], float(row["diff"]), detail=where))
        checks.append(_close(f"{m}: half-width", hand["half_width"], float(row["half_width"]), detail=where))
        checks.append(_close(f"{m}: interval low end", hand["low"], float(row["ci_low"])))
        checks.append(
            _close(
                f"{m}: variance-reduction ratio",
                hand["variance_reduction"],
                float(row["variance_reduction"]),
                detail="(s_A²/n + s_B²/n)/(s_d²/n)",
            )
        )
        ia, ib = _pairs(indep.replications, base, other, m)
        var_ind = hand_paired_t(ia, ib)["var_d"]
        ratio = var_ind / hand["var_d"] if hand["var_d"] > 0 else math.inf
        checks.append(
            Check(
                f"{m}: Var(d) independent / Var(d) CRN",
                "> 1",
                ratio,
                n=n,
                passed=bool(ratio > 1.0 and hand["variance_reduction"] > 1.0),
                detail=(
                    f"reported CRN variance-reduction ratio {hand['variance_reduction']:.3g} must also "
                    "exceed 1; independent streams: experiment.common_random_numbers false"
                ),
            )
        )
    return checks


AA_REPLICATIONS = 3

COVERAGE_EXPERIMENTS = 400

NORMAL_N = 4
"""Replications per synthetic normal experiment (small: the t quantile matters most here)."""

SKEWED_N = 20

SKEWED_SIGMA = 0.25
"""Lognormal shape of the skewed metric (skewness 0.78; true t-interval coverage about 0.945 at n = 20)."""

PAIRED_N = 5


def binomial_band(trials: int, p: float = CONFIDENCE, mass: float = 0.999) -> tuple[int, int]:
    """Central ``mass`` range of Binomial(trials, p) as counts ``[lo, hi]``."""
    tail = (1.0 - mass) / 2.0
    lo, hi = sps.binom.ppf([tail, 1.0 - tail], trials, p)
    return int(lo), int(hi)


def coverage_check(name: str, covered: Sequence[bool], detail: str = "") -> Check:
    """Share of intervals that covered the truth, against the 99.9% binomial band around 0.95.

    ``low``/``high`` are the exact (Clopper-Pearson) 95% interval of the share.
    """
    trials = len(covered)
    k = int(sum(bool(c) for c in covered))
    lo, hi = binomial_band(trials)
    cp_low = float(sps.beta.ppf(0.025, k, trials - k + 1)) if k > 0 else 0.0
    cp_high = float(sps.beta.ppf(0.975, k + 1, trials - k)) if k < trials else 1.0
    band = f"0.95 (99.9% band {lo / trials:.3f} to {hi / trials:.3f})"
    return Check(
        name,
        band,
        k / trials,
        cp_low,
        cp_high,
        trials,
        bool(lo <= k <= hi),
        detail or f"{k} of {trials} intervals covered the true value",
    )


def synthetic_coverage(draw: str, n: int, experiments: int = COVERAGE_EXPERIMENTS) -> list[bool]:
    """Whether the 95% t-interval (sim.experiment.stats.t_interval) of ``n`` draws covered the
    true mean, for each of ``experiments`` synthetic experiments.

    ``draw`` is ``"normal"`` (N(0.9, 0.05²), a GRR-like metric), ``"lognormal"``
    (exp(N(0, SKEWED_SIGMA²)), mean exp(σ²/2)) or ``"paired"`` (an A/A difference without common
    random numbers: ``a = c + e_a``, ``b = c + e_b`` with independent noise, true difference 0,
    through :func:`sim.experiment.stats.paired`). Experiment ``k`` draws from
    ``stream(SEED, k, "validation.aa.<draw>")``.
    """
    from sim.experiment import stats

    out = []
    for k in range(experiments):
        rng = stream(SEED, k, f"validation.aa.{draw}")
        if draw == "normal":
            truth = 0.9
            iv = stats.t_interval(rng.normal(truth, 0.05, n), CONFIDENCE)
        elif draw == "lognormal":
            truth = math.exp(SKEWED_SIGMA**2 / 2.0)
            iv = stats.t_interval(rng.lognormal(0.0, SKEWED_SIGMA, n), CONFIDENCE)
        elif draw == "paired":
            truth = 0.0
            common = rng.normal(1.0, 0.1, n)
            a = common + rng.normal(0.0, 0.02, n)
            b = common + rng.normal(0.0, 0.02, n)
            iv, _ratio = stats.paired(a, b, CONFIDENCE)
        else:
            raise ValueError(f"unknown synthetic draw {draw!r}")
        out.append(bool(iv.low <= truth <= iv.high))
    return out


@case(
    "statistics.aa_coverage",
    "A/A: identical plans differ by exactly zero under CRN; 95% t-intervals cover 95%",
    "common random numbers; coverage of mean ± t(0.975, n-1)·s/√n in 400 experiments, Binomial(400, 0.95)",
)
def _aa_coverage() -> Sequence[Check]:
    res = _run(small_scenario(SAME_PLAN_TWICE, AA_REPLICATIONS, crn=True))
    comp = res.comparison()
    defined = comp[comp["n"] > 0]
    diffs = defined["diff"].to_numpy(dtype=float)
    reps = res.replications
    a = reps[reps["plan"] == res.plans[0]].drop(columns="plan").reset_index(drop=True)
    b = reps[reps["plan"] == res.plans[1]].drop(columns="plan").reset_index(drop=True)
    identical = bool(a.equals(b))
    checks = [
        equals(
            "A/A under CRN: largest |difference| over metrics",
            0.0,
            float(np.max(np.abs(diffs))),
            tol=0.0,
            detail=f"{len(diffs)} metrics with a defined difference, {AA_REPLICATIONS} replications, "
            "small real world",
        ),
        equals(
            "A/A under CRN: replication tables identical",
            1.0,
            float(identical),
            tol=0.0,
            digits=0,
            detail="every metric of every replication equal (NaN where undefined in both)",
        ),
        coverage_check(
            f"coverage, normal metric (n = {NORMAL_N})",
            synthetic_coverage("normal", NORMAL_N),
        ),
        coverage_check(
            f"coverage, lognormal metric (n = {SKEWED_N})", synthetic_coverage("lognormal", SKEWED_N)
        ),
        coverage_check(
            f"coverage of 0, A/A paired difference without CRN (n = {PAIRED_N})",
            synthetic_coverage("paired", PAIRED_N),
        ),
    ]
    return checks


PRECISION_START, PRECISION_BATCH, PRECISION_MAX = 10, 5, 400
