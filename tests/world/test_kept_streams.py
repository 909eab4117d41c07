"""Keyed streams' keys are kept per process (``sim.rng.STREAMS_KEPT``): a stream drawn again,
from the cache or after it was evicted, gives the draws its SeedSequence gives; every generator
stream is its own, on its own SeedSequence."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import rng
from sim.rng import Streams, seed_sequence, stream, stream_key


def fresh(seed: int, replication: int, name: str, salt: int | None) -> np.random.SeedSequence:
    """The stream's SeedSequence built by hand (the formula of ``sim.rng.seed_sequence``)."""
    key: tuple[int, ...] = (replication, *rng._name_key(name))
    if salt is not None:
        key = (*key, 0x5A17, salt)
    return np.random.SeedSequence(entropy=seed, spawn_key=key)


STREAM = st.tuples(
    st.integers(0, 2**32 - 1),
    st.integers(0, 200),
    st.sampled_from(["customers.health.m3", "people.ae.attrition.m12", "market.smb.arrivals"]),
    st.one_of(st.none(), st.integers(0, 9)),
)


@given(STREAM)
@settings(max_examples=60, deadline=None)
def test_a_kept_stream_draws_what_its_seed_sequence_draws(s: tuple[int, int, str, int | None]) -> None:
    seed, replication, name, salt = s
    by_hand = np.random.Generator(np.random.PCG64(fresh(*s))).random(6)
    for _ in range(2):  # built, then kept
        assert np.array_equal(stream(seed, replication, name, salt).random(6), by_hand)
        words = fresh(*s).generate_state(2, np.uint64)
        assert stream_key(seed, replication, name, salt) == (int(words[0]), int(words[1]))
        assert Streams(seed, replication, salt)._key(name) == (int(words[0]), int(words[1]))


def test_every_generator_is_its_own() -> None:
    a, b = stream(3, 1, "market.smb.arrivals"), stream(3, 1, "market.smb.arrivals")
    first = a.random(4)
    assert np.array_equal(b.random(4), first)  # drawing from one moves the other not at all


def test_a_generator_spawned_from_changes_no_later_stream_of_its_name() -> None:
    """SALib's samplers spawn from the generator they are given; the next study's stream of the
    same name must not start from a spawned sequence."""
    child = stream(4, 0, "explore.sobol.design").spawn(1)[0].random(3)
    again = stream(4, 0, "explore.sobol.design")
    assert again.bit_generator.seed_seq.n_children_spawned == 0
    assert np.array_equal(again.spawn(1)[0].random(3), child)
    assert seed_sequence(4, 0, "explore.sobol.design") is not seed_sequence(4, 0, "explore.sobol.design")


def test_a_stream_evicted_and_built_again_draws_the_same() -> None:
    before = stream(5, 0, "customers.events.m1").random(3)
    key = stream_key(5, 0, "customers.events.m1")
    for i in range(rng.STREAMS_KEPT + 10):  # more streams than are kept: the first ones go
        stream_key(5, 1, f"filler.m{i}")
    assert np.array_equal(stream(5, 0, "customers.events.m1").random(3), before)
    assert stream_key(5, 0, "customers.events.m1") == key
