"""Sums of the measured window by customer segment: what unit economics and the segment bridges need.

:class:`SegmentTally` is fed by :class:`sim.tally.Tally` with the ledger rows dated in the measured
window (in ledger order, so a sum is the same number however the rows were batched). Read by
``sim/economics.py`` (``docs/metrics.md``, "Unit economics" and "Movements by segment").
"""

from __future__ import annotations

import numpy as np

from sim.code_sets import ARR_MOVEMENTS, credits_an_ae
from sim.ledger import DEAL_KIND_CODE, KIND_CODE, SOURCE_CODE, take_rows
from sim.vocabulary import DEAL_KINDS, EVENT_KINDS, SEGMENTS, SOURCES

N_SEGMENTS = len(SEGMENTS)
_K = KIND_CODE
_DK_NEW = DEAL_KIND_CODE["new"]
_DK_RENEWAL = DEAL_KIND_CODE["renewal"]


class SegmentTally:
    """Per-segment sums of ledger rows in the measured window."""

    def __init__(self) -> None:
        self.movements = np.zeros((len(EVENT_KINDS), N_SEGMENTS))
        """Signed ARR movements (``arr_*`` kinds; other rows stay 0) by kind and segment."""
        self.renewed = np.zeros(N_SEGMENTS)
        """ARR renewed (``renewal`` amounts)."""
        self.new_by_source = np.zeros((len(SOURCES) + 1, N_SEGMENTS))
        """New-logo ARR (``arr_new``) by source code (0 none, 1 + position in ``SOURCES``)."""
        self.new_logos = np.zeros(N_SEGMENTS)
        """New-logo bookings."""
        self.ae_bookings = np.zeros((len(DEAL_KINDS), N_SEGMENTS))
        """Bookings ACV credited to AEs (new logos, and expansion deals crediting AEs) by deal kind."""
        self.marketing_leads = np.zeros(N_SEGMENTS)
        """Marketing-sourced leads (``lead`` events)."""
        self.sdr_meetings = np.zeros(N_SEGMENTS)
        """Meetings SDRs set (``meeting`` events)."""

    def observe_rows(self, r: np.ndarray) -> None:
        """Add rows dated in the measured window (in ledger order)."""
        seg = r["segment"].astype(np.int64)
        ok = (seg >= 0) & (seg < N_SEGMENTS)
        if not ok.any():
            return
        if not ok.all():
            r, seg = take_rows(r, ok), seg[ok]
        k = r["kind"].astype(np.int64)
        amount = r["amount"]
        arr = ARR_MOVEMENTS(r["kind"])
        np.add.at(self.movements, (k[arr], seg[arr]), amount[arr])
        renewal = k == _K["renewal"]
        np.add.at(self.renewed, seg[renewal], amount[renewal])
        new = k == _K["arr_new"]
        np.add.at(self.new_by_source, (r["source"][new].astype(np.int64), seg[new]), amount[new])
        booking = (k == _K["booking"]) & (r["deal_kind"] != _DK_RENEWAL)
        dk = r["deal_kind"].astype(np.int64)
        np.add.at(self.new_logos, seg[booking & (dk == _DK_NEW)], 1.0)
        ae = booking & credits_an_ae(r)
        np.add.at(self.ae_bookings, (dk[ae], seg[ae]), amount[ae])
        lead = (k == _K["lead"]) & (r["source"] == SOURCE_CODE["marketing"])
        np.add.at(self.marketing_leads, seg[lead], 1.0)
        np.add.at(self.sdr_meetings, seg[k == _K["meeting"]], 1.0)

    def movement(self, kind: str) -> np.ndarray:
        """Signed sums of one ARR movement kind by segment."""
        return self.movements[_K[kind]]
