"""The ARR panel's running sums (``sim.calibrate.simulated.running_sums``): compensated sums
within groups, the same whatever the other groups hold."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sim.calibrate.simulated import running_sums


def kahan_by_hand(groups: list[list[float]]) -> list[float]:
    """Each group's running compensated sum, entry by entry (the formula in the docstring)."""
    out: list[float] = []
    for values in groups:
        s = c = 0.0
        for x in values:
            y = x - c
            t = s + y
            c = (t - s) - y
            s = t
            out.append(t)
    return out


def as_arrays(groups: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]]).astype(np.int64)
    return starts, np.array([x for g in groups for x in g], dtype=float)


def test_a_compensated_sum_keeps_what_a_plain_one_loses() -> None:
    # 97 added to 1e16 is lost to rounding (the spacing there is 2); the compensation keeps it
    groups = [[1e16, 97.0, -5e15, -5e15], [98.0, 1.0]]
    got = running_sums(*as_arrays(groups))
    assert got.tolist() == [1e16, 1e16 + 96, 5e15 + 97, 97.0, 98.0, 99.0]
    assert np.cumsum(groups[0])[-1] != 97.0  # a plain running sum ends elsewhere


amounts = st.one_of(
    st.floats(-1e7, 1e7, allow_nan=False),
    st.integers(-(10**9), 10**9).map(lambda c: c / 100.0),  # cents, as ledger amounts are
    st.sampled_from([1e16, -5e15, 0.1, 0.0]),
)


@given(st.lists(st.lists(amounts, min_size=1, max_size=12), min_size=1, max_size=8))
def test_running_sums_are_each_groups_own_compensated_sums(groups: list[list[float]]) -> None:
    got = running_sums(*as_arrays(groups))
    assert got.tolist() == kahan_by_hand(groups)


def test_no_values_no_sums() -> None:
    assert len(running_sums(np.zeros(0, dtype=np.int64), np.zeros(0))) == 0
