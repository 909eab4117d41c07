"""A lead: one prospective deal with every random number it will use drawn when it arrives.

Every lead draws all of its own random numbers (fit, list ACV, win uniform, cycle length,
decision uniforms, implementation noise) from its (segment, source) stream (:class:`LeadStream`),
in fixed batches, so that what happens to one deal never shifts the draws of another. The market
hands leads out (sim/world/market.py); SDRs, reps and the implementation team read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.distributions import LogNormal
from sim.scenario.company import Segment

BATCH = 256
"""Leads drawn per batch from a stream (fixed, so lead k always gets the same numbers)."""

# Columns of the per-lead uniform block.
U_WIN, U_PURSUE, U_TERMS, U_TIMING, U_SPEED, U_THIN, U_MARKETER, U_USAGE = range(8)
N_UNIFORMS = 8


@dataclass(slots=True)
class Lead:
    """One lead with all its pre-drawn randomness."""

    segment: int
    source: int
    fit: float
    list_acv: float
    cycle_std: float
    """Standard-gamma draw (shape = deals.cycle_shape) scaled later to the cycle length."""
    impl_std: float
    """Standard-gamma draw (shape = consultants.duration_shape) for the implementation."""
    quality_z: float
    u: list[float]
    marketer: int = -1
    referrer: int = -1
    org: int = -1
    """Organisation of a finite market the lead is (-1: unlimited market; sim/world/addressable.py)."""
    seq: int = -1
    """Position of the lead in its (segment, source) stream (keys per-lead draws of other streams)."""
    usage_z: float = 0.0
    """The standard normal of ``u[U_USAGE]`` (the won customer's usage draw)."""
    sdr: int = -1
    """The SDR who set the meeting (-1: the lead went straight to an AE; sim/world/sdrs.py)."""
    owner: int = -1
    """The AE seat that sourced the lead itself and works it (-1: triaged to the freest AE;
    sim/world/prospecting.py)."""
    key: int = -1
    """Entity key of the customer the lead becomes, when not its stream position's (self-sourced)."""


@dataclass(slots=True, frozen=True)
class LeadColumns:
    """Some leads as columns (entry ``i``: lead ``i``), what their option tables and decisions read."""

    segment: np.ndarray
    source: np.ndarray
    fit: np.ndarray
    list_acv: np.ndarray

    @classmethod
    def of(cls, leads: list[Lead]) -> LeadColumns:
        """The columns of ``leads`` (in order)."""
        return cls(
            np.array([x.segment for x in leads], dtype=np.int64),
            np.array([x.source for x in leads], dtype=np.int64),
            np.array([x.fit for x in leads], dtype=np.float64),
            np.array([x.list_acv for x in leads], dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.segment)

    def attrs(self) -> dict[str, np.ndarray]:
        """The leads' attributes as a decision batch carries them (every one a float column)."""
        return {
            "segment": self.segment.astype(np.float64),
            "fit": self.fit,
            "list_acv": self.list_acv,
            "source": self.source.astype(np.float64),
        }


class LeadStream:
    """Batches of leads for one (segment, source) drawn from one named stream."""

    def __init__(
        self, rng: np.random.Generator, segment: int, source: int, seg: Segment, cycle_shape: float,
        duration_shape: float,
    ) -> None:  # fmt: skip
        self.segment = segment
        self.source = source
        self.rng = rng
        self.cycle_shape = cycle_shape
        """Shape of the sales cycle's gamma (``deals.cycle_shape``)."""
        self.duration_shape = duration_shape
        """Shape of the implementation duration's gamma (``consultants.duration_shape``)."""
        conc = seg.fit_concentration
        self.alpha = max(seg.mean_fit * conc, 1e-3)
        self.beta = max((1 - seg.mean_fit) * conc, 1e-3)
        self.acv = LogNormal(seg.list_acv_mean_usd, seg.list_acv_cv)
        """List ACV of a lead (the segment's mean and coefficient of variation)."""
        self._buf: list[Lead] = []
        self._pos = 0
        self.drawn = 0
        """Leads handed out so far (the next lead's ``seq``)."""

    def _refill(self) -> None:
        rng = self.rng
        fit = rng.beta(self.alpha, self.beta, BATCH).tolist()
        acv = self.acv.sample(rng, BATCH).tolist() if self.acv.cv > 0 else [self.acv.mean] * BATCH
        cyc = rng.standard_gamma(self.cycle_shape, BATCH).tolist()
        impl = rng.standard_gamma(self.duration_shape, BATCH).tolist()
        qz = np.abs(rng.standard_normal(BATCH)).tolist()
        draws = rng.random((BATCH, N_UNIFORMS))
        us = draws.tolist()
        zs = ndtri(draws[:, U_USAGE]).tolist()
        self._buf = [
            Lead(self.segment, self.source, fit[i], acv[i], cyc[i], impl[i], qz[i], us[i], usage_z=zs[i])
            for i in range(BATCH)
        ]
        self._pos = 0

    def next(self) -> Lead:
        """The next lead of this stream."""
        if self._pos >= len(self._buf):
            self._refill()
        lead = self._buf[self._pos]
        self._pos += 1
        self.drawn += 1
        lead.seq = self.drawn - 1
        return lead
