"""The comparison of golden samples, on synthetic samples (no simulation)."""

from __future__ import annotations

import math
from pathlib import Path

import golden
import numpy as np
import pytest

N = 16


def normal(seed: int, n: int = N, mean: float = 100.0, sd: float = 10.0) -> list[float]:
    return [float(x) for x in np.random.default_rng(seed).normal(mean, sd, n)]


def family(seed: int, metrics: int, n: int = N) -> dict[str, dict[str, list[float]]]:
    rng = np.random.default_rng(seed)
    return {
        "plan": {f"m{i}": [float(x) for x in rng.normal(10.0 * (i + 1), 1.0 + i, n)] for i in range(metrics)}
    }


def test_identical_samples_are_identical() -> None:
    s = {"a": {"x": normal(1), "y": [math.nan] * N, "z": [0.0] * N}}
    report = golden.compare(s, {"a": {k: list(v) for k, v in s["a"].items()}})
    assert report.identical and report.ok
    assert "identical" in report.headline()


def test_one_ulp_is_not_identical_but_within_tolerance() -> None:
    old = normal(2)
    new = list(old)
    new[3] = math.nextafter(new[3], math.inf)
    assert golden.digest({"p": {"m": old}}) != golden.digest({"p": {"m": new}})
    report = golden.compare({"p": {"m": old}}, {"p": {"m": new}})
    assert not report.identical and report.ok
    assert report.rows[0].comparison.status == "within-tolerance"


def test_same_distribution_new_draws_passes() -> None:
    report = golden.compare(family(3, 40), family(4, 40))
    assert not report.identical
    assert report.ok, report.render()


def test_false_alarm_rate_is_at_most_the_family_alpha() -> None:
    """A/A checks of 20-metric families on fresh draws: about FAMILY_ALPHA of them may fail
    by chance (Holm controls the family-wise error), so 25 checks should see at most one."""
    trials = 25
    failures = sum(not golden.compare(family(1000 + t, 20), family(5000 + t, 20)).ok for t in range(trials))
    assert failures <= 1


def test_shift_of_a_third_of_an_sd_on_shared_draws_fails() -> None:
    """Draws shared (the same replications, a small independent jitter), mean shifted by
    3 SD/sqrt(n): the paired test sees it; Welch alone cannot at this n."""
    rng = np.random.default_rng(5)
    old = normal(6)
    sd = float(np.std(old, ddof=1))
    new = [x + 3 * sd / math.sqrt(N) + rng.normal(0, sd / 20) for x in old]
    s_old, s_new = {"p": {"m": old, **family(7, 20)["plan"]}}, {"p": {"m": new, **family(7, 20)["plan"]}}
    report = golden.compare(s_old, s_new)
    assert not report.ok
    assert [r.metric for r in report.moved] == ["m"]
    assert report.moved[0].rejected == ["paired"]
    assert golden.compare(s_old, s_new, paired=False).ok


def test_shift_of_two_sds_on_new_draws_fails_among_forty_metrics() -> None:
    """Fresh draws (nothing shared): a 2-SD shift of one metric among 40 fails the Welch gate."""
    old, new = family(8, 40), family(9, 40)
    new["plan"]["m0"] = [x + 2.0 for x in new["plan"]["m0"]]  # m0 has SD 1
    for paired in (True, False):
        report = golden.compare(old, new, paired=paired)
        assert not report.ok
        assert [r.metric for r in report.moved] == ["m0"]
        assert "welch" in report.moved[0].rejected
        assert "m0" in report.table()


def test_much_larger_sd_fails_on_spread() -> None:
    """SD x6, mean unchanged: the Brown-Forsythe test flags it (a robust spread test has little
    power at n=16, so only a large change of spread alone is caught)."""
    old, new = family(10, 1), family(11, 1)
    mean = float(np.mean(new["plan"]["m0"]))
    new["plan"]["m0"] = [mean + 6.0 * (x - mean) for x in new["plan"]["m0"]]
    report = golden.compare(old, new, paired=False)
    assert [r.metric for r in report.moved] == ["m0"]
    assert "spread" in report.moved[0].rejected


def test_constant_metric_must_match() -> None:
    ok = golden.compare_metric([0.0] * N, [0.0] * N)
    assert ok.status == "identical"
    near = golden.compare_metric([1e6] * N, [1e6 * (1 + 1e-13)] * N)
    assert near.status == "within-tolerance"
    assert golden.compare_metric([5.0] * N, [5.0] * (N - 1) + [5.0 + 1e-12]).status == "within-tolerance"
    moved = golden.compare_metric([5.0] * N, [5.0 + 1e-6] * N, paired=False)
    assert moved.status == "constant-changed" and moved.hard_failure
    report = golden.compare({"p": {"c": [5.0] * N}}, {"p": {"c": [5.0 + 1e-6] * N}})
    assert not report.ok and "constant-changed" in report.table()


def test_constant_on_one_side_only_is_tested() -> None:
    c = golden.compare_metric([0.0] * N, [0.0] * (N - 1) + [3.0], paired=False)
    assert c.status == "tested" and c.pvalues["welch"] > 0.01
    c = golden.compare_metric([0.0] * N, normal(12), paired=False)
    assert c.pvalues["welch"] < 1e-10


def test_nan_handling() -> None:
    nan = math.nan
    assert golden.compare_metric([nan] * N, [nan] * N).status == "identical"
    assert golden.compare_metric([nan] * N, [float("nan")] * N).status == "identical"
    one_side = golden.compare_metric([nan] * N, normal(13))
    assert one_side.status == "defined-on-one-side" and one_side.hard_failure
    assert golden.compare_metric(normal(13), [nan] * N).hard_failure
    # a metric now and then undefined: the count of undefined replications is tested
    old = normal(14)
    old[2] = nan
    new = normal(15)
    new[9] = new[11] = nan
    c = golden.compare_metric(old, new)
    assert c.status == "tested" and c.pvalues["undefined"] > 0.5
    assert golden.compare({"p": {"m": old}}, {"p": {"m": new}}).ok
    # undefined far more often: Fisher's exact test fails it
    rare = normal(16)
    rare[0] = nan
    often = [nan] * (N - 3) + normal(17, n=3)
    report = golden.compare({"p": {"m": rare}}, {"p": {"m": often}})
    assert not report.ok and report.moved[0].rejected == ["undefined"]


def test_missing_metric_or_plan_fails_extra_metric_is_a_note() -> None:
    old = {"p": {"a": normal(18), "b": normal(19)}}
    report = golden.compare(old, {"p": {"a": normal(18)}})
    assert not report.ok and report.moved[0].metric == "b"
    report = golden.compare(old, {"q": {"a": normal(18), "b": normal(19)}})
    assert not report.ok and any("missing" in n for n in report.notes)
    report = golden.compare(old, {"p": {**old["p"], "c": normal(20)}})
    assert report.ok and not report.identical and "c" in report.notes[0]


def test_duplicate_tests_count_once() -> None:
    x, y = normal(21), normal(22)
    one = golden.compare({"p": {"a": x}}, {"p": {"a": y}})
    three = golden.compare({"p": {"a": x, "b": x}, "q": {"a": x}}, {"p": {"a": y, "b": y}, "q": {"a": y}})
    assert three.family_size == one.family_size == 3


def test_holm() -> None:
    assert golden.holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert golden.holm([]) == []


def test_snapshot_round_trip_is_exact(tmp_path: Path) -> None:
    config = golden.GoldenConfig(
        "x", seed=1, replications=[0, 1, 2], overrides={"company.horizon_years": 1.0}
    )
    samples = {
        "p": {"a": [0.1, 1 / 3, -0.0], "b": [math.nan, math.inf, -math.inf], "c": [1e-310, 2.0**60, 7.0]},
        "q": {"a": [1.0, 2.0, 3.0], "b": [math.nan] * 3, "c": [0.0] * 3},
    }
    snap = golden.Snapshot.make(config, samples)
    path = tmp_path / "x.json"
    snap.write(path)
    back = golden.Snapshot.read(path)
    assert back.config == config
    assert back.digest == snap.digest == golden.digest(back.samples)
    assert golden.compare(snap, back.samples).identical
    assert back.render() == path.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary file left behind
