"""Named random streams: every random draw in incentsim comes from here.

A stream is identified by ``(scenario seed, replication index, stream name)`` and built with
:class:`numpy.random.SeedSequence`, so it does not depend on worker, batch, backend or on how
many other streams exist. Plans share streams (common random numbers): replication ``k`` of
every plan sees the same market and the same customer luck wherever behaviour does not
differ. Names are dotted by where they sit (``"market.smb.arrivals"``), as in Starsim, so
adding a stream never shifts another.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def seed_sequence(seed: int, replication: int, name: str, salt: int | None = None) -> np.random.SeedSequence:
    """The SeedSequence of one named stream (``salt`` breaks common random numbers)."""
    if seed < 0 or replication < 0:
        raise ValueError("seed and replication must be non-negative")
    key: tuple[int, ...] = (replication, *_name_key(name))
    if salt is not None:
        key = (*key, 0x5A17, salt)
    return np.random.SeedSequence(entropy=seed, spawn_key=key)


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

    def __call__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            gen = stream(self.seed, self.replication, name, self.salt)
            self._cache[name] = gen
        return gen

    @property
    def names(self) -> list[str]:
        """Names of the streams used so far (sorted)."""
        return sorted(self._cache)
