"""The CSM-time driver adds each account's share of its CSM's month exactly as ``np.add.at`` would."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.world.cost_drivers import ACTIVITIES, CostDrivers, _add_rows


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 400), st.integers(1, 4))
def test_add_rows_is_add_at_bit_for_bit(seed: int, n: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    index = rng.integers(0, groups, n)
    values = rng.normal(size=(n, 4)) * 10.0 ** rng.integers(-8, 8, size=(n, 1))
    start = rng.normal(size=(groups, 4))
    expected, got = start.copy(), start.copy()
    np.add.at(expected, index, values)
    _add_rows(got, index, values)
    assert got.tobytes() == expected.tobytes()


def test_csm_month_spreads_each_csm_split_over_their_accounts() -> None:
    clock = SimpleNamespace(warmup_months=1, total_months=4, measure_start=30.0)
    drivers = CostDrivers(clock, 3)  # type: ignore[arg-type]
    shares = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.25, 0.25, 0.5], [0.0, 0.0, 0.0, 0.0]])  # last: no CSM
    segment = np.array([0, 2, 2, 1, 0])
    rows = np.array([0, 0, 1, 2, 1])  # CSM 0 has two accounts, CSM 1 two, one account has no CSM
    drivers.csm_month(0, segment, rows, shares)  # a warm-up month: not counted
    assert drivers.csm_months == 0 and not drivers.csm_time.any()
    drivers.csm_month(1, segment, rows, shares)
    assert drivers.csm_months == 2
    expected = np.zeros((3, len(ACTIVITIES)))  # every account of a CSM gets half their month
    for s, r in zip(segment.tolist(), rows.tolist(), strict=True):
        if r < 2:
            expected[s] += shares[r] / 2
    np.testing.assert_allclose(drivers.csm_time, expected)
    np.testing.assert_allclose(drivers.csm_time.sum(), 2.0)  # each CSM's month, spread in full
