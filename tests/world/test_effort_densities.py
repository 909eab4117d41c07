"""The effort decision's densities, written with ``scipy.special`` so that no worker imports
``scipy.stats``, against ``scipy.stats`` itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.world.effort import _FIT_GRID, _Z, QUANTILES, _beta_pdf


@settings(max_examples=200, deadline=None)
@given(a=st.floats(1e-3, 50.0), b=st.floats(1e-3, 50.0))
def test_beta_density_is_scipys(a: float, b: float) -> None:
    want = stats.beta.pdf(_FIT_GRID, a, b)
    got = _beta_pdf(_FIT_GRID, a, b)
    assert np.array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-9, atol=1e-300)


def test_beta_density_integrates_to_one() -> None:
    assert np.trapezoid(_beta_pdf(_FIT_GRID, 3.0, 5.0), _FIT_GRID) == pytest.approx(1.0, abs=1e-4)


def test_quantile_points_are_normal_quantiles() -> None:
    assert np.array_equal(_Z, stats.norm.ppf((np.arange(QUANTILES) + 0.5) / QUANTILES))


@pytest.mark.parametrize("shape", [0.7, 1.0, 2.5, 9.0])
def test_close_probability_is_the_gamma_cdf(shape: float) -> None:
    from types import SimpleNamespace

    from sim.world.effort import EffortDecisions

    me = SimpleNamespace(
        company=SimpleNamespace(deals=SimpleNamespace(cycle_distribution="gamma", cycle_shape=shape)),
        segments=SimpleNamespace(seg=[SimpleNamespace(sales_cycle_days=80.0)]),
    )
    days = np.linspace(-5.0, 400.0, 81)
    want = stats.gamma.cdf(np.maximum(days, 0.0), shape, scale=80.0 / shape)
    assert np.array_equal(EffortDecisions._closed_by(me, 0, days), want)  # type: ignore[arg-type]
