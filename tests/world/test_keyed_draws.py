"""Draws keyed by entity (``Streams.keyed``): a customer's luck depends on who it is, not on
which other customers exist or where it sits in the book."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.rng import Streams, keyed_uniforms
from sim.world.book import LEAD_KEY, lead_key

KEYS = st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=40, unique=True)


@given(keys=KEYS, seed=st.integers(0, 2**32 - 1), data=st.data())
@settings(max_examples=50, deadline=None)
def test_an_entitys_row_does_not_depend_on_the_other_entities(
    keys: list[int], seed: int, data: st.DataObject
) -> None:
    s = Streams(seed, 3)
    full = s.keyed("customers.events.m7", np.array(keys, dtype=np.uint64), 4)
    order = data.draw(st.permutations(range(len(keys))))
    subset = order[: data.draw(st.integers(1, len(keys)))]
    part = s.keyed("customers.events.m7", np.array([keys[i] for i in subset], dtype=np.uint64), 4)
    assert np.array_equal(part, full[subset])


def test_draws_differ_by_stream_replication_seed_and_salt() -> None:
    keys = np.arange(1000, dtype=np.uint64)
    base = Streams(7, 1).keyed("customers.health.m3", keys, 2)
    for other in (
        Streams(7, 1).keyed("customers.health.m4", keys, 2),
        Streams(7, 2).keyed("customers.health.m3", keys, 2),
        Streams(8, 1).keyed("customers.health.m3", keys, 2),
        Streams(7, 1, salt=5).keyed("customers.health.m3", keys, 2),
    ):
        assert abs(np.corrcoef(base[:, 0], other[:, 0])[0, 1]) < 0.1
        assert not np.any(base == other)


def test_keyed_uniforms_are_uniform_and_independent() -> None:
    """200,000 consecutive keys: each column passes a Kolmogorov-Smirnov test against U(0, 1),
    columns and neighbouring keys are uncorrelated, and no value is 0 or 1."""
    u = keyed_uniforms((0x1234, 0x5678), np.arange(200_000, dtype=np.uint64), 3)
    assert u.min() > 0.0 and u.max() < 1.0
    for c in range(3):
        assert stats.kstest(u[:, c], "uniform").pvalue > 0.001
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.01
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < 0.01


def test_a_generator_without_the_mixing_step_fails_the_check() -> None:
    """The check above has teeth: keys times the golden ratio (a Weyl sequence, the generator
    without its SplitMix64 finaliser) look uniform one by one but neighbouring keys are strongly
    correlated, so it fails."""
    keys = np.arange(200_000, dtype=np.uint64)
    weyl = ((keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)).astype(np.float64) / 2.0**53
    assert stats.kstest(weyl, "uniform").pvalue > 0.001  # uniform marginally ...
    assert abs(np.corrcoef(weyl[:-1], weyl[1:])[0, 1]) > 0.01  # ... but not independent


@pytest.mark.parametrize("segment,source,seq", [(0, 0, 0), (2, 3, 12345), (1, 2, 2**40)])
def test_lead_keys_are_distinct_from_starting_customers_and_from_each_other(
    segment: int, source: int, seq: int
) -> None:
    k = lead_key(segment, source, seq)
    assert k >= LEAD_KEY  # a starting customer's key is its index, far below the tag
    others = {lead_key(s, r, q) for s in range(3) for r in range(4) for q in (0, 1, seq)} - {k}
    assert k not in others
