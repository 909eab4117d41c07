"""The ledger: every business event of one replication, in time order.

The world writes it; the payout engine and the metrics read it. It lives at the top of
the package (not in ``sim.world``) because the payout engine must read it without knowing
anything of the world, and the back-test builds one from a CRM export.

Amounts are US dollars (ACV, ARR deltas, revenue, cash) or counts (``amount=1``). ARR
movements are signed: new and expansion positive, contraction, price erosion and churn
negative, so that start + sum(movements) = end holds to the cent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd

EventKind = Literal[
    # people
    "hire", "leave",
    # bookings (a signed deal; amount = first-year ACV after discount)
    "booking",
    # ARR movements (amount = signed ARR delta)
    "arr_new", "arr_expansion", "arr_upsell", "arr_cross_sell",
    "arr_contraction", "arr_price_erosion", "arr_churn",
    # renewals (amount = ARR renewed; attrs: first_renewal)
    "renewal",
    # implementation
    "go_live", "implementation_success", "implementation_failed",
    # money
    "revenue", "invoice", "cash", "non_payment",
    # advocacy and market
    "reference", "referral", "lead", "champion_move",
    # support
    "tickets",
    # CSM books: ARR of a CSM's accounts at a period start (for book GRR/NRR measures)
    "book_snapshot",
    # SDR hand-offs: a meeting set (lead handed to an AE), an opportunity the AE opened from it
    "meeting", "opportunity",
]

DEAL_KINDS = ("new", "upsell", "cross_sell", "renewal")
ROLE_FIELDS = ("ae", "csm", "consultant", "marketer")


@dataclass(slots=True)
class Event:
    """One ledger line. Unused person fields are -1."""

    day: float
    kind: EventKind
    amount: float = 0.0
    customer: int = -1
    deal: int = -1
    """Booking id linking a deal to its go-live, revenue, renewals and clawback triggers."""
    ae: int = -1
    csm: int = -1
    consultant: int = -1
    marketer: int = -1
    segment: int = -1
    deal_kind: str = ""
    """For bookings: new, upsell, cross_sell or renewal."""
    source: str = ""
    """Lead source of the customer: outbound, marketing, referral or champion."""
    list_price: float = 0.0
    discount: float = 0.0
    term_months: int = 0
    credited: tuple[str, ...] = ()
    """Roles credited for this deal (crediting rules: ae, csm or both)."""
    first_year: bool = False
    """Revenue in the customer's first contract year / a customer's first renewal."""
    role: str = ""
    """For hire/leave/book_snapshot: the person's role."""
    person: int = -1
    """For hire/leave/book_snapshot/lead: the person concerned."""
    forecast_day: float = -1.0
    """For bookings: the close day the rep forecast when the opportunity was opened. For ``cash`` and
    ``non_payment`` events with billing on (``sim/world/billing.py``): the invoice's issue day."""
    quality: float = -1.0
    """For go-lives: implementation quality (0..1)."""
    wait_days: float = -1.0
    """For go-lives: days the project queued before a consultant started it."""
    fit: float = -1.0
    """For new-logo bookings: the lead's ideal-customer-profile fit (0..1)."""
    sdr: int = -1
    """The SDR who set the meeting the deal came from (meetings, opportunities, new-logo bookings,
    their ARR and first-year revenue; -1 when no SDR originated it)."""


@dataclass(slots=True)
class EventBatch:
    """Events of one kind on one day, as columns: what the world's bulk monthly flows record.

    ``columns`` maps :class:`Event` field names to one value per event (an array, or a list for
    strings); fields not given take their defaults. Readers that understand a kind in bulk
    (``Ledger.subscribe(..., batch=...)``) read the columns; the others see the events one by
    one, in row order, exactly as if each had been recorded alone.
    """

    day: float
    kind: EventKind
    columns: dict[str, Sequence[Any] | np.ndarray]
    n: int

    def values(self, name: str) -> list[Any]:
        """One column as Python values (numpy scalars converted)."""
        col = self.columns[name]
        return col.tolist() if isinstance(col, np.ndarray) else list(col)

    def events(self) -> list[Event]:
        """The batch as events, in row order."""
        names = list(self.columns)
        rows = zip(*(self.values(k) for k in names), strict=True)
        return [Event(self.day, self.kind, **dict(zip(names, row, strict=True))) for row in rows]


@dataclass
class Ledger:
    """An append-only list of events with optional live subscribers."""

    events: list[Event] = field(default_factory=list)
    _subscribers: list[Callable[[Event], None]] = field(default_factory=list, repr=False)
    _batch_readers: list[Callable[[EventBatch], None] | None] = field(default_factory=list, repr=False)
    _next_deal: int = 0
    keep: bool = True
    """Keep events in ``events``; when False they only go to the subscribers (a long run whose
    pay and metrics are accumulated live needs not hold millions of events)."""

    def record(self, event: Event) -> Event:
        """Append an event (when ``keep``) and notify subscribers (the incentive policy's pay state)."""
        if self.keep:
            self.events.append(event)
        for fn in self._subscribers:
            fn(event)
        return event

    def record_batch(self, batch: EventBatch) -> None:
        """Record a batch of events of one kind and day (see :class:`EventBatch`)."""
        if batch.n == 0:
            return
        events: list[Event] | None = None
        if self.keep:
            events = batch.events()
            self.events.extend(events)
        for fn, bulk in zip(self._subscribers, self._batch_readers, strict=True):
            if bulk is not None:
                bulk(batch)
                continue
            if events is None:
                events = batch.events()
            for e in events:
                fn(e)

    def subscribe(
        self, fn: Callable[[Event], None], batch: Callable[[EventBatch], None] | None = None
    ) -> None:
        """Call ``fn`` for every event recorded from now on (``batch``, when given, reads a batch
        in one call instead: it must leave the reader as ``fn`` on each event in turn would)."""
        self._subscribers.append(fn)
        self._batch_readers.append(batch)

    def new_deal_id(self) -> int:
        """A fresh booking id."""
        self._next_deal += 1
        return self._next_deal

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def of_kind(self, *kinds: str) -> list[Event]:
        """Events of the given kinds, in order."""
        return [e for e in self.events if e.kind in kinds]

    def frame(self) -> pd.DataFrame:
        """All events as a DataFrame (one row per event)."""
        if not self.events:
            return pd.DataFrame(columns=[f.name for f in fields(Event)])
        return pd.DataFrame([asdict(e) for e in self.events])

    def __getstate__(self) -> dict[str, object]:
        # Subscribers are live callbacks; a pickled ledger carries only its data.
        return {
            "events": self.events, "_subscribers": [], "_batch_readers": [], "_next_deal": self._next_deal,
            "keep": self.keep,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self.events = state["events"]  # type: ignore[assignment]
        self._subscribers = []
        self._batch_readers = []
        self._next_deal = state["_next_deal"]  # type: ignore[assignment]
        self.keep = bool(state.get("keep", True))
