"""The customer book: one row per customer in numpy arrays.

ARR is held as int64 cents so that start + movements = end holds to the cent. Health is a
0..1 score; ``value`` is the health an account reverts to (set by fit, implementation
quality and the promise/delivery gap). ``usage`` is seats used over seats committed: a
commitment above use (an oversold deal) turns into contraction at renewal, growth above it
into expansion.
"""

from __future__ import annotations

import numpy as np

SEGMENT_NAMES: tuple[str, ...] = ("smb", "mid_market", "enterprise")
SOURCE_NAMES: tuple[str, ...] = ("outbound", "marketing", "referral", "champion")

NONE, IMPLEMENTING, LIVE, CHURNED = 0, 1, 2, 3
"""Values of ``Book.status``."""

_FIELDS: dict[str, tuple[type, float]] = {
    "arr_cents": (np.int64, 0),
    "list_arr_cents": (np.int64, 0),
    "segment": (np.int8, -1),
    "source": (np.int8, -1),
    "status": (np.int8, NONE),
    "health": (np.float64, 0.0),
    "value": (np.float64, 0.0),
    "usage": (np.float64, 1.0),
    "discount": (np.float64, 0.0),
    "promise": (np.float64, 0.0),
    "overcommit": (np.float64, 0.0),
    "stuffed": (np.float64, 0.0),
    "fit": (np.float64, 0.5),
    "quality": (np.float64, 1.0),
    "term_months": (np.int16, 12),
    "contract_end_month": (np.int32, -1),
    "cohort_day": (np.float64, 0.0),
    "golive_day": (np.float64, np.inf),
    "champion_since_day": (np.float64, 0.0),
    "csm": (np.int32, -1),
    "ae": (np.int32, -1),
    "closer": (np.int32, -1),
    "consultant": (np.int32, -1),
    "marketer": (np.int32, -1),
    "sdr": (np.int32, -1),
    "deal": (np.int32, -1),
    "referrer": (np.int32, -1),
    "renewals": (np.int16, 0),
    "cash_due_month": (np.int32, -1),
    "cash_due_cents": (np.int64, 0),
    "cash_deal": (np.int32, -1),
    "cash_kind": (np.int8, 0),
    "key": (np.uint64, 0),
}

LEAD_KEY = 1 << 60
"""Tag of the entity key of a customer won from a lead (starting customers: their index)."""


def lead_key(segment: int, source: int, seq: int) -> int:
    """The entity key of the customer a lead becomes: its (segment, source) stream and position
    there, the same whichever plan wins it and in whatever order customers were won."""
    return LEAD_KEY | (segment << 56) | (source << 52) | seq


class Book:
    """Growable column store of customers (index = customer id, never reused)."""

    arr_cents: np.ndarray
    list_arr_cents: np.ndarray
    segment: np.ndarray
    source: np.ndarray
    status: np.ndarray
    health: np.ndarray
    value: np.ndarray
    usage: np.ndarray
    discount: np.ndarray
    promise: np.ndarray
    overcommit: np.ndarray
    stuffed: np.ndarray
    """Over-commitment of the account's last expansion deal until the renewal trues it down
    (``sim/world/stuffing.py``)."""
    fit: np.ndarray
    quality: np.ndarray
    term_months: np.ndarray
    contract_end_month: np.ndarray
    cohort_day: np.ndarray
    golive_day: np.ndarray
    champion_since_day: np.ndarray
    csm: np.ndarray
    ae: np.ndarray
    """Account owner among AEs (reassigned to a departed rep's replacement)."""
    closer: np.ndarray
    """The AE who closed the customer's first deal (credited for that deal's consequences)."""
    consultant: np.ndarray
    marketer: np.ndarray
    sdr: np.ndarray
    """The SDR who set the meeting the customer's first deal came from (-1: none)."""
    deal: np.ndarray
    referrer: np.ndarray
    renewals: np.ndarray
    cash_due_month: np.ndarray
    cash_due_cents: np.ndarray
    cash_deal: np.ndarray
    cash_kind: np.ndarray
    key: np.ndarray
    """Entity key of each customer: what its own monthly draws are keyed by (``Streams.keyed``)."""

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self.capacity = max(16, int(capacity))
        for name, (dtype, fill) in _FIELDS.items():
            setattr(self, name, np.full(self.capacity, fill, dtype=dtype))

    def _grow(self, need: int) -> None:
        new_cap = max(need, self.capacity * 2)
        for name, (dtype, fill) in _FIELDS.items():
            old = getattr(self, name)
            arr: np.ndarray = np.full(new_cap, fill, dtype=dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)
        self.capacity = new_cap

    def add(self, count: int) -> np.ndarray:
        """Reserve ``count`` new rows and return their indices (keyed by index: ``key``)."""
        if self.n + count > self.capacity:
            self._grow(self.n + count)
        idx = np.arange(self.n, self.n + count)
        self.n += count
        self.key[idx] = idx  # a customer's draws are keyed by its index unless a lead keys it
        return idx

    def add_one(self) -> int:
        """Reserve one new row and return its index (keyed by index: ``key``)."""
        if self.n + 1 > self.capacity:
            self._grow(self.n + 1)
        i = self.n
        self.n += 1
        self.key[i] = i
        return i

    def active(self) -> np.ndarray:
        """Indices of customers who pay (implementing or live)."""
        s = self.status[: self.n]
        return np.flatnonzero((s == IMPLEMENTING) | (s == LIVE))

    def live(self) -> np.ndarray:
        """Indices of live customers (implementation done, not churned)."""
        return np.flatnonzero(self.status[: self.n] == LIVE)

    def total_arr_cents(self) -> int:
        """Sum of ARR over all customers (churned customers hold 0)."""
        return int(self.arr_cents[: self.n].sum())

    def arr_snapshot(self) -> np.ndarray:
        """A copy of every customer's ARR in cents (for cohort GRR/NRR)."""
        return self.arr_cents[: self.n].copy()
