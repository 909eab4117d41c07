"""Named random streams: every random draw in incentsim comes from here.

A stream is identified by ``(scenario seed, replication index, stream name)`` and built with
:class:`numpy.random.SeedSequence`, so it does not depend on worker, batch, backend or on how
many other streams exist. Plans share streams (common random numbers): replication ``k`` of
every plan sees the same market and the same customer luck wherever behaviour does not
differ. Names are dotted by where they sit (``"market.smb.arrivals"``), as in Starsim, so
adding a stream never shifts another.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
from numba import njit


def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


STREAMS_KEPT = 8_192
"""Keyed streams whose keys a process keeps (about 3 MB): a process that runs replication ``k`` of
several plans, or of several calibration points, derives each keyed stream's key once."""


def seed_sequence(seed: int, replication: int, name: str, salt: int | None = None) -> np.random.SeedSequence:
    """The SeedSequence of one named stream (``salt`` breaks common random numbers); a new object
    at every call (a generator built on it may spawn from it: SALib's samplers do)."""
    if seed < 0 or replication < 0:
        raise ValueError("seed and replication must be non-negative")
    key: tuple[int, ...] = (replication, *_name_key(name))
    if salt is not None:
        key = (*key, 0x5A17, salt)
    return np.random.SeedSequence(entropy=seed, spawn_key=key)


@functools.lru_cache(maxsize=STREAMS_KEPT)
def stream_key(seed: int, replication: int, name: str, salt: int | None = None) -> tuple[int, int]:
    """The two 64-bit words of a keyed stream (:func:`keyed_uniforms`): the first state words of
    its SeedSequence (kept, :data:`STREAMS_KEPT`)."""
    state = seed_sequence(seed, replication, name, salt).generate_state(2, np.uint64)
    return int(state[0]), int(state[1])


def stream(seed: int, replication: int, name: str, salt: int | None = None) -> np.random.Generator:
    """A fresh generator for one named stream."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, replication, name, salt)))


class Streams:
    """The streams of one replication, created on first use and cached by name.

    ``salt`` is ``None`` for common random numbers; a test-only switch passes a per-plan
    salt so that plans see independent randomness.
    """

    def __init__(self, seed: int, replication: int, salt: int | None = None) -> None:
        self.seed = seed
        self.replication = replication
        self.salt = salt
        self._cache: dict[str, np.random.Generator] = {}
        self.keyed_names: set[str] = set()
        """Names of the keyed streams used so far."""

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            gen = stream(self.seed, self.replication, name, self.salt)
            self._cache[name] = gen
        return gen

    def keyed(self, name: str, keys: np.ndarray, cols: int) -> np.ndarray:
        """Uniforms in (0, 1), one row of ``cols`` per entity key: the draws of stream ``name``
        that belong to each entity (see :func:`keyed_uniforms`)."""
        self.keyed_names.add(name)
        return keyed_uniforms(self._key(name), keys, cols)

    def _key(self, name: str) -> tuple[int, int]:
        return stream_key(self.seed, self.replication, name, self.salt)

    @property
    def names(self) -> list[str]:
        """Names of the streams used so far (sorted)."""
        return sorted(self._cache)


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@njit(cache=True)
def _mix(z):  # type: ignore[no-untyped-def]
    """The SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit words whose
    outputs pass BigCrush for consecutive inputs."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def _keyed(k0, k1, entities, cols, out):  # type: ignore[no-untyped-def]
    for i in range(len(entities)):
        e = _mix(entities[i] ^ k0)
        for c in range(cols):
            h = _mix(e + ((np.uint64(c + 1) * _GOLDEN) ^ k1))
            out[i, c] = (np.float64(h >> _S11) + 0.5) * (1.0 / 9007199254740992.0)


def keyed_uniforms(key: tuple[int, int], entities: np.ndarray, cols: int) -> np.ndarray:
    """Uniforms in (0, 1) of shape ``(len(entities), cols)``: row ``i`` depends only on the
    stream ``key`` (two 64-bit words from the stream's ``SeedSequence``) and on ``entities[i]``.

    A counter-based generator: the draw of entity ``e`` in column ``c`` is the SplitMix64
    finaliser applied to ``mix(e ^ k0) + (c + 1) x golden ratio ^ k1``, its top 53 bits read as
    ``(bits + 0.5) / 2^53``. So an entity keeps its own luck whatever other entities exist, in
    whatever order they were created: a plan that wins different deals shifts no other
    customer's draws (common random numbers by entity, not by position).
    """
    out = np.empty((len(entities), cols))
    _keyed(np.uint64(key[0]), np.uint64(key[1]), np.asarray(entities, dtype=np.uint64), int(cols), out)
    return out
