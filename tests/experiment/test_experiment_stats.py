"""Statistics: hand computations, scipy cross-checks (hypothesis), NaN safety, Bonferroni."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from sim.experiment import stats


def test_t_interval_by_hand() -> None:
    # x = 1, 2, 3, 4: mean 2.5; s^2 = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3; sem = sqrt(5/3) / 2
    # t(0.975, 3) = 3.182446305284263; half-width = 3.182446305 * 0.645497224 = 2.054260...
    iv = stats.t_interval([1.0, 2.0, 3.0, 4.0], 0.95)
    assert iv.n == 4
    assert iv.mean == pytest.approx(2.5)
    assert iv.sd == pytest.approx(math.sqrt(5.0 / 3.0))
    assert iv.half_width == pytest.approx(2.0542603, abs=1e-6)
    assert iv.low == pytest.approx(0.4457397, abs=1e-6)
    assert iv.high == pytest.approx(4.5542603, abs=1e-6)
    assert iv.significant  # the interval excludes 0


def test_percentiles_by_hand() -> None:
    # linear interpolation at positions 0.3, 1.5, 2.7 of the sorted sample 1, 2, 3, 4
    assert stats.percentiles([4.0, 1.0, 3.0, 2.0]) == pytest.approx((1.3, 2.5, 3.7))


def test_paired_by_hand() -> None:
    # differences 1, 2, 3, 4 (same as above); unpaired variance of the estimate:
    # var(a)/4 + var(b)/4 with a = 10, 20, 30, 40 (var 500/3) and b = 11, 22, 33, 44 (var 605/3);
    # paired: var(d)/4 = (5/3)/4, so the ratio is (500 + 605) / 5 = 221
    a = np.array([10.0, 20.0, 30.0, 40.0])
    b = a + np.array([1.0, 2.0, 3.0, 4.0])
    diff, ratio = stats.paired(a, b, 0.95)
    assert diff.mean == pytest.approx(2.5)
    assert diff.half_width == pytest.approx(2.0542603, abs=1e-6)
    assert ratio == pytest.approx(221.0)


def test_nan_safe() -> None:
    iv = stats.t_interval([1.0, math.nan, 2.0, 3.0, 4.0])
    assert iv.n == 4 and iv.half_width == pytest.approx(2.0542603, abs=1e-6)
    a = [0.0, 0.0, math.nan, 0.0, 0.0, 0.0]
    b = [1.0, 2.0, 5.0, 3.0, math.nan, 4.0]
    diff, _ = stats.paired(a, b)
    assert diff.n == 4 and diff.mean == pytest.approx(2.5)
    empty = stats.t_interval([math.nan, math.nan])
    assert empty.n == 0 and math.isnan(empty.mean)
    one = stats.t_interval([3.0])
    assert one.n == 1 and one.mean == 3.0 and math.isnan(one.half_width) and not one.significant


def test_zero_variance_difference() -> None:
    a = [1.0, 2.0, 3.0]
    diff, ratio = stats.paired(a, a)
    assert diff.mean == 0.0 and diff.low == 0.0 and diff.high == 0.0
    assert not diff.significant
    assert ratio == math.inf


def test_bonferroni() -> None:
    assert stats.bonferroni_confidence(0.95, 1) == 0.95
    assert stats.bonferroni_confidence(0.95, 5) == pytest.approx(0.99)


def _table(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [{"plan": p, "replication": k, "m": v} for p, vs in values.items() for k, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_compare_uses_bonferroni_for_more_than_two_plans() -> None:
    d = [1.0, 2.0, 3.0, 4.0]
    two = stats.compare(_table({"a": [0.0] * 4, "b": d}), ["a", "b"], "a", ["m"])
    three = stats.compare(_table({"a": [0.0] * 4, "b": d, "c": d}), ["a", "b", "c"], "a", ["m"])
    assert two["confidence"].tolist() == [0.95]
    assert three["confidence"].tolist() == [0.975, 0.975]
    t975 = sps.t.ppf(1 - 0.025 / 2, 3)
    assert three["half_width"].iloc[0] == pytest.approx(t975 * math.sqrt(5 / 3) / 2)
    assert three["half_width"].iloc[0] > two["half_width"].iloc[0]


def test_compare_aligns_on_replication_index() -> None:
    table = pd.DataFrame(
        {
            "plan": ["a", "a", "a", "b", "b"],
            "replication": [0, 1, 2, 2, 0],
            "m": [1.0, 5.0, 2.0, 4.0, 2.0],
        }
    )
    out = stats.compare(table, ["a", "b"], "a", ["m"])
    # pairs: rep 0 -> 2 - 1 = 1, rep 2 -> 4 - 2 = 2 (rep 1 of b missing)
    assert out["n"].iloc[0] == 2
    assert out["diff"].iloc[0] == pytest.approx(1.5)


def test_summarize_columns() -> None:
    out = stats.summarize(_table({"a": [1.0, 2.0, 3.0, 4.0]}), ["a"], ["m"])
    assert list(out.columns) == ["plan", "metric", "mean", "ci_low", "ci_high", "p10", "p50", "p90", "n"]
    row = out.iloc[0]
    assert (row["p10"], row["p50"], row["p90"]) == pytest.approx((1.3, 2.5, 3.7))


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=2, max_size=40), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_t_interval_matches_scipy(xs: list[float], conf: float) -> None:
    x = np.asarray(xs)
    iv = stats.t_interval(x, conf)
    sem = sps.sem(x)
    if sem == 0.0:
        assert iv.low == iv.high == pytest.approx(x.mean())
        return
    lo, hi = sps.t.interval(conf, x.size - 1, loc=x.mean(), scale=sem)
    assert iv.low == pytest.approx(lo, rel=1e-9, abs=1e-9)
    assert iv.high == pytest.approx(hi, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=3, max_value=30), st.integers(min_value=0, max_value=2**32 - 1))
def test_paired_matches_scipy_ttest_rel(n: int, seed: int) -> None:
    rng = np.random.Generator(np.random.PCG64(seed))
    a = rng.normal(size=n)
    b = a + rng.normal(0.3, 0.5, size=n)
    diff, ratio = stats.paired(a, b, 0.9)
    ci = sps.ttest_rel(b, a).confidence_interval(0.9)
    assert diff.low == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert diff.high == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    expected = (a.var(ddof=1) + b.var(ddof=1)) / np.var(b - a, ddof=1)
    assert ratio == pytest.approx(expected, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_summarize_is_each_columns_interval_and_percentiles(n: int, m: int, seed: int) -> None:
    # columns with and without undefined values side by side: the percentiles of the complete
    # ones are taken together, and must be each column's own, bit for bit
    rng = np.random.Generator(np.random.PCG64(seed))
    table = pd.DataFrame({"plan": rng.choice(["a", "b"], size=n), "replication": np.arange(n)})
    for j in range(m):
        x = rng.normal(size=n) * 10.0 ** rng.integers(-3, 6)
        x[rng.random(n) < rng.choice([0.0, 0.0, 0.3, 1.0])] = rng.choice([np.nan, np.inf, -np.inf])
        table[f"m{j}"] = x
    out = stats.summarize(table, ["a", "b"], confidence=0.9)
    assert len(out) == 2 * m
    for row in out.itertuples():
        values = table.loc[table["plan"] == row.plan, row.metric].to_numpy()
        iv = stats.t_interval(values, 0.9)
        want = (iv.mean, iv.low, iv.high, *stats.percentiles(values), iv.n)
        got = (row.mean, row.ci_low, row.ci_high, row.p10, row.p50, row.p90, row.n)
        assert np.array_equal(np.array(got, dtype=float), np.array(want, dtype=float), equal_nan=True)
