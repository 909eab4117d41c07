"""Ledger rows written in bulk from the customer book (one row per customer given)."""

from __future__ import annotations

import numpy as np

from sim.ledger import blank_rows
from sim.world.book import Book


def to_cents(x: np.ndarray) -> np.ndarray:
    """``round(v, 2)`` of each value (Python's correctly rounded decimal rounding), in bulk:
    ``rint(100 v) / 100`` is that number except where ``100 v`` lies within rounding error of a
    half cent, and those few are rounded one by one."""
    y = x * 100.0
    out = np.rint(y) / 100.0
    for i in np.flatnonzero(np.abs(np.abs(y - np.trunc(y)) - 0.5) < 1e-6).tolist():
        out[i] = round(float(x[i]), 2)
    return out


def account_rows(book: Book, kind: int, day: float, cust: np.ndarray) -> np.ndarray:
    """Advocacy rows (champion moves, referrals, references): one per entry of ``cust``, credited
    to the account's owner and CSM."""
    out = blank_rows(kind, day, len(cust))
    out["amount"] = 1.0
    out["customer"], out["deal"], out["ae"] = cust, book.deal[cust], book.ae[cust]
    out["csm"], out["segment"] = book.csm[cust], book.segment[cust]
    return out


def renewal_rows(
    book: Book, kind: int | np.ndarray, day: float, cust: np.ndarray, amount: np.ndarray, deal_kind: int
) -> np.ndarray:
    """Rows of a renewal's consequences (ARR movements, the renewal, churn) for ``cust``: credited
    to the AE who closed the customer, its CSM, consultant and marketer (``kind``: one for all,
    or one per row)."""
    out = blank_rows(kind, day, len(cust))
    out["amount"] = amount
    out["customer"], out["deal"], out["ae"] = cust, book.deal[cust], book.closer[cust]
    out["csm"], out["consultant"], out["marketer"] = (
        book.csm[cust],
        book.consultant[cust],
        book.marketer[cust],
    )
    out["segment"], out["source"], out["deal_kind"] = book.segment[cust], 1 + book.source[cust], deal_kind
    return out
