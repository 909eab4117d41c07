"""The statistical machinery cases (paired t with CRN, A/A coverage, precision loop) pass, and
fail when the machinery is deliberately broken (the normal 1.96 for every n; no CRN)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

import sim.experiment.stats as exp_stats
import sim.validation as validation
import sim.validation.precision as vprec
import sim.validation.statistics as vstats
from sim.rng import stream

STATISTICS_CASES = [c.id for c in validation.select(["statistics"])]


def _explain(result: validation.CaseResult) -> str:
    lines = [result.error] if result.error else []
    lines += [
        f"{c.name}: expected {c.expected}, simulated {c.simulated:.6g} "
        f"{'pass' if c.passed else 'FAIL'} ({c.detail})"
        for c in result.checks
    ]
    return "\n".join(lines)


def _failed(result: validation.CaseResult) -> list[str]:
    assert not result.error, result.error
    return [c.name for c in result.checks if not c.passed]


def _normal_quantile(confidence: float, n: int) -> float:
    """The classic mistake: the normal 1.96 whatever the number of replications."""
    return math.nan if n < 2 else float(sps.norm.ppf(0.5 + confidence / 2.0))


_RUNS: dict[tuple[str, str], Any] = {}


@pytest.fixture
def reuse_world_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each small real-world experiment once per test session: a case run with a broken
    statistic reuses the replications of the passing run (same resolved scenario, same world,
    so the same results); a changed scenario (e.g. no CRN) is a new key."""
    real = vstats._run

    def run(scenario: Any, replicate: str = vstats.REAL_WORLD) -> Any:
        key = (scenario.model_dump_json(), replicate)
        if key not in _RUNS:
            _RUNS[key] = real(scenario, replicate)
        return _RUNS[key]

    monkeypatch.setattr(vstats, "_run", run)


def test_the_statistics_cases_are_registered_and_fast() -> None:
    assert STATISTICS_CASES == ["statistics.paired_t", "statistics.aa_coverage", "statistics.precision_loop"]
    assert not any(validation.CASES[c].slow for c in STATISTICS_CASES)


@pytest.mark.parametrize("case_id", STATISTICS_CASES)
@pytest.mark.usefixtures("reuse_world_runs")
def test_statistics_case_passes(case_id: str) -> None:
    result = validation.run_case(case_id)
    assert result.passed, _explain(result)


@pytest.mark.parametrize("case_id", STATISTICS_CASES)
@pytest.mark.usefixtures("reuse_world_runs")
def test_statistics_case_fails_with_the_normal_quantile(
    case_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exp_stats, "t_quantile", _normal_quantile)
    failed = _failed(validation.run_case(case_id))
    if case_id == "statistics.paired_t":
        # every half-width is too narrow by t(0.975, 5) / 1.96 = 1.31; the means stay right
        assert {n for n in failed if n.endswith("half-width")} == {
            f"{m}: half-width" for m in vstats.PAIRED_METRICS
        }
        assert not any(n.endswith("mean difference") for n in failed)
    elif case_id == "statistics.aa_coverage":
        # n = 4: true coverage of mean ± 1.96 s/√n is 2·T3(1.96) - 1 = 0.855, below the band;
        # A/A differences stay exactly zero (no interval involved)
        assert f"coverage, normal metric (n = {vstats.NORMAL_N})" in failed
        assert not any(n.startswith("A/A under CRN") for n in failed)
    else:
        assert "stop count = t-formula on the drawn differences" in failed


def test_aa_case_fails_without_common_random_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    real = vstats.small_scenario

    def independent_streams(plans: str, replications: int, *, crn: bool = True, extra: str = "") -> Any:
        return real(plans, replications, crn=False, extra=extra)  # a world without CRN

    monkeypatch.setattr(vstats, "small_scenario", independent_streams)
    failed = _failed(validation.run_case("statistics.aa_coverage"))
    assert "A/A under CRN: largest |difference| over metrics" in failed
    assert "A/A under CRN: replication tables identical" in failed


def test_precision_case_fails_when_the_loop_ignores_the_target(monkeypatch: pytest.MonkeyPatch) -> None:
    real = exp_stats.precision_half_widths

    def optimistic(*args, **kwargs):  # type: ignore[no-untyped-def]
        return {m: hw / 2.0 for m, hw in real(*args, **kwargs).items()}  # a loop that stops too soon

    monkeypatch.setattr(exp_stats, "precision_half_widths", optimistic)
    failed = _failed(validation.run_case("statistics.precision_loop"))
    assert "stop count = t-formula on the drawn differences" in failed


# --------------------------------------------------------------------------------------- helpers
@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=3, max_value=25), st.integers(min_value=0, max_value=10_000))
def test_hand_paired_t_matches_scipy(n: int, k: int) -> None:
    rng = stream(3, k, "validation.tests.paired")
    a = rng.normal(size=n)
    b = a + rng.normal(0.2, 0.5, size=n)
    hand = vstats.hand_paired_t(list(a), list(b))
    ci = sps.ttest_rel(b, a).confidence_interval(0.95)
    assert hand["low"] == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert hand["high"] == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    assert hand["variance_reduction"] == pytest.approx(
        (a.var(ddof=1) + b.var(ddof=1)) / np.var(b - a, ddof=1), rel=1e-9
    )


def test_stop_count_by_hand() -> None:
    # alternating ±a: for even n the sd is a·√(n/(n-1)), so the half-width is t·a/√(n-1)
    a, target = 0.05, 0.02
    d = np.array([a * (-1.0) ** k for k in range(400)])
    n, half = vprec.stop_count(d, 10, 2, 400, target)
    assert half == pytest.approx(sps.t.ppf(0.975, n - 1) * a / math.sqrt(n - 1))
    assert half <= target < sps.t.ppf(0.975, n - 3) * a / math.sqrt(n - 3)
    capped = sps.t.ppf(0.975, 11) * a / math.sqrt(11)
    assert vprec.stop_count(d, 10, 2, 12, target) == (12, pytest.approx(capped))


def test_vectorised_reference_agrees_with_the_scalar_rule() -> None:
    args = (0.05, 10, 5, 200, 0.01)
    counts = vprec.reference_stop_counts(*args, sequences=40)
    z = 0.05 * stream(vstats.SEED, 0, "validation.precision.reference").normal(size=(40, 200))
    assert [vprec.stop_count(z[i], 10, 5, 200, 0.01)[0] for i in range(40)] == counts.tolist()
    assert vprec.stop_count_with_true_sd(*args) == 100  # t(0.975, 99)·0.05/√100 = 0.00992


def test_known_sd_replicate_has_the_known_paired_difference() -> None:
    sc = vstats.small_scenario(vstats.SAME_PLAN_TWICE, 2)
    first, second = sc.plans[0].name, sc.plans[1].name
    d = np.array(
        [
            vprec.known_sd_replicate(sc, second, k).metrics["nrr"]
            - vprec.known_sd_replicate(sc, first, k).metrics["nrr"]
            for k in range(2000)
        ]
    )
    assert abs(d.mean()) < 4 * vprec.PRECISION_SIGMA / math.sqrt(2000)
    assert d.std(ddof=1) == pytest.approx(vprec.PRECISION_SIGMA, rel=0.05)


def test_binomial_band_is_the_central_999_permille() -> None:
    lo, hi = vstats.binomial_band(400)
    assert sps.binom.cdf(lo - 1, 400, 0.95) <= 0.0005 < sps.binom.cdf(lo, 400, 0.95)
    assert sps.binom.sf(hi, 400, 0.95) <= 0.0005 < sps.binom.sf(hi - 1, 400, 0.95)
    assert not vstats.coverage_check("c", [True] * (lo - 1) + [False] * (401 - lo)).passed
    assert vstats.coverage_check("c", [True] * lo + [False] * (400 - lo)).passed
