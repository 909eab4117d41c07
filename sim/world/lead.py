"""A lead: one prospective deal with every random number it will use drawn when it arrives.

The market draws leads (sim/world/market.py); SDRs, reps and the implementation team read them.
"""

from __future__ import annotations

from dataclasses import dataclass

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
