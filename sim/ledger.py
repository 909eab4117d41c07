"""The ledger: every business event of one replication, in time order, stored as columns.

The world writes it; the payout engine and the metrics read it. It lives at the top of
the package (not in ``sim.world``) because the payout engine must read it without knowing
anything of the world, and the back-test builds one from a CRM export.

Amounts are US dollars (ACV, ARR deltas, revenue, cash) or counts (``amount=1``). ARR
movements are signed: new and expansion positive, contraction, price erosion and churn
negative, so that start + sum(movements) = end holds to the cent.

Storage is one numpy structured array (:data:`EVENT_DTYPE`, names as integer codes from
:mod:`sim.vocabulary`): recording an event is one row write, a month's bulk flow is one
column write per field, and readers consume the rows they have not seen yet in bulk
(:meth:`Ledger.rows_since`). :class:`Event` is the same row as an object, for people and tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.vocabulary import CREDITED, DEAL_KINDS, EVENT_KINDS, ROLES, SOURCES, EventKind

if TYPE_CHECKING:  # pandas only for frame(): a worker process never imports it
    import pandas as pd

__all__ = ["EVENT_DTYPE", "EVENT_KINDS", "Event", "EventBatch", "EventKind", "K", "Ledger"]

DEAL_KIND_CODE = {k: i for i, k in enumerate(DEAL_KINDS)}
SOURCE_CODE = {"": 0, **{s: i + 1 for i, s in enumerate(SOURCES)}}
"""Ledger code of a source: 0 for none, else 1 + its position in ``SOURCES``."""
SOURCE_NAME = ("", *SOURCES)
ROLE_CODE = {"": 0, **{r: i + 1 for i, r in enumerate(ROLES)}}
"""Ledger code of a role: 0 for none, else 1 + its position in ``ROLES``."""
ROLE_NAME = ("", *ROLES)
CREDITED_CODE = {c: i for i, c in enumerate(CREDITED)}
_CODES: dict[str, Mapping[Any, int]] = {
    "deal_kind": DEAL_KIND_CODE, "source": SOURCE_CODE, "role": ROLE_CODE, "credited": CREDITED_CODE,
}  # fmt: skip


class _Kinds:
    """Ledger codes of the event kinds as attributes (``K.booking``)."""

    def __init__(self) -> None:
        for i, k in enumerate(EVENT_KINDS):
            setattr(self, k, i)

    def __getattr__(self, name: str) -> int:  # for type checkers; every kind is set above
        raise AttributeError(name)


K = _Kinds()
KIND_CODE = {k: i for i, k in enumerate(EVENT_KINDS)}

EVENT_DTYPE = np.dtype(
    [
        ("day", np.float64),
        ("kind", np.int8),
        ("amount", np.float64),
        ("customer", np.int64),
        ("deal", np.int64),
        ("ae", np.int32),
        ("csm", np.int32),
        ("consultant", np.int32),
        ("marketer", np.int32),
        ("sdr", np.int32),
        ("person", np.int32),
        ("segment", np.int8),
        ("deal_kind", np.int8),
        ("source", np.int8),
        ("role", np.int8),
        ("credited", np.int8),
        ("first_year", np.bool_),
        ("term_months", np.int16),
        ("discount", np.float64),
        ("list_price", np.float64),
        ("forecast_day", np.float64),
        ("quality", np.float64),
        ("wait_days", np.float64),
        ("fit", np.float64),
    ]
)
"""One ledger row: the fields of :class:`Event`, strings as codes (kind: ``EVENT_KINDS``,
deal kind: ``DEAL_KINDS``, source and role: 1 + position, 0 for none, credited: ``CREDITED``)."""
ROW_FIELDS: tuple[str, ...] = tuple(EVENT_DTYPE.names or ())
DEFAULT_ROW = (
    0.0, 0, 0.0, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, False, 0, 0.0, 0.0, -1.0, -1.0, -1.0, -1.0,
)  # fmt: skip
"""The row of an event with every optional field at its default."""
_DEFAULTS = np.array([DEFAULT_ROW], dtype=EVENT_DTYPE)[0]
_ROW_BYTES = np.dtype((np.void, EVENT_DTYPE.itemsize))
"""A ledger row as one opaque item. numpy copies a structured array field by field; through this
view it copies each row's bytes at once, about ten times faster for a month's rows."""
_BLANK = np.array([DEFAULT_ROW] * 4096, dtype=EVENT_DTYPE).view(_ROW_BYTES)


def take_rows(rows: np.ndarray, which: np.ndarray) -> np.ndarray:
    """``rows[which]`` (a boolean mask or indices), bytes of whole rows at a time."""
    return rows.view(_ROW_BYTES)[which].view(EVENT_DTYPE)


def concat_rows(parts: Sequence[np.ndarray]) -> np.ndarray:
    """``np.concatenate(parts)`` of ledger rows, bytes of whole rows at a time."""
    return np.concatenate([p.view(_ROW_BYTES) for p in parts]).view(EVENT_DTYPE)


def _blank(n: int) -> np.ndarray:
    """``n`` rows of :data:`DEFAULT_ROW` as opaque items (a shared view: copy before writing)."""
    global _BLANK
    if n > len(_BLANK):
        _BLANK = np.array([DEFAULT_ROW] * max(n, 2 * len(_BLANK)), dtype=EVENT_DTYPE).view(_ROW_BYTES)
    return _BLANK[:n]


def blank_rows(kind: int | np.ndarray, day: float, n: int) -> np.ndarray:
    """``n`` ledger rows of one kind (or one kind per row) and day, every other field at its default."""
    out = _blank(n).copy().view(EVENT_DTYPE)
    out["kind"] = kind
    out["day"] = day
    return out


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

    def row(self) -> tuple[Any, ...]:
        """The event as a ledger row (:data:`EVENT_DTYPE`)."""
        return (
            self.day, KIND_CODE[self.kind], self.amount, self.customer, self.deal, self.ae, self.csm,
            self.consultant, self.marketer, self.sdr, self.person, self.segment,
            DEAL_KIND_CODE[self.deal_kind], SOURCE_CODE[self.source], ROLE_CODE[self.role],
            CREDITED_CODE[tuple(self.credited)], self.first_year, self.term_months, self.discount,
            self.list_price, self.forecast_day, self.quality, self.wait_days, self.fit,
        )  # fmt: skip


def events_of(rows: np.ndarray) -> list[Event]:
    """Ledger rows as :class:`Event` objects (in row order)."""
    if len(rows) == 0:
        return []
    cols = {name: rows[name].tolist() for name in ROW_FIELDS}
    kinds = [EVENT_KINDS[k] for k in cols["kind"]]
    dks = [DEAL_KINDS[k] for k in cols["deal_kind"]]
    srcs = [SOURCE_NAME[k] for k in cols["source"]]
    roles = [ROLE_NAME[k] for k in cols["role"]]
    cred = [CREDITED[k] for k in cols["credited"]]
    return [
        Event(
            day, kind, amount, customer, deal, ae, csm, consultant, marketer, segment, dk, src, lp, disc,
            term, cr, fy, role, person, fd, q, wt, fit, sdr,
        )
        for (day, kind, amount, customer, deal, ae, csm, consultant, marketer, sdr, person, segment, dk, src,
             role, cr, fy, term, disc, lp, fd, q, wt, fit) in zip(
            cols["day"], kinds, cols["amount"], cols["customer"], cols["deal"], cols["ae"], cols["csm"],
            cols["consultant"], cols["marketer"], cols["sdr"], cols["person"], cols["segment"], dks, srcs,
            roles, cred, cols["first_year"], cols["term_months"], cols["discount"], cols["list_price"],
            cols["forecast_day"], cols["quality"], cols["wait_days"], cols["fit"], strict=True,
        )
    ]  # fmt: skip


def events_of_kinds(rows: np.ndarray, *kinds: str) -> list[Event]:
    """The rows of the given kinds as :class:`Event` objects (in row order); no other row becomes one."""
    return events_of(rows[np.isin(rows["kind"], [KIND_CODE[k] for k in kinds])])


def rows_of(events: Sequence[Event]) -> np.ndarray:
    """Events as ledger rows (a structured array, in the given order)."""
    return np.array([e.row() for e in events], dtype=EVENT_DTYPE)


@dataclass(slots=True)
class EventBatch:
    """Events of one kind on one day, as columns: what the world's bulk monthly flows record.

    ``columns`` maps :class:`Event` field names to one value per event (an array, or a list of
    strings for ``deal_kind``/``source``/``role``); fields not given take their defaults.
    """

    day: float
    kind: EventKind
    columns: Mapping[str, Sequence[Any] | np.ndarray]
    n: int

    def rows(self) -> np.ndarray:
        """The batch as ledger rows."""
        out = blank_rows(KIND_CODE[self.kind], self.day, self.n)
        for name, col in self.columns.items():
            table = _CODES.get(name)
            if table is not None and not (isinstance(col, np.ndarray) and col.dtype.kind in "iu"):
                col = np.array([table[x] for x in col], dtype=np.int8)
            out[name] = col
        return out

    def events(self) -> list[Event]:
        """The batch as events, in row order."""
        return events_of(self.rows())


class Ledger:
    """Append-only rows in time order, read in bulk by the readers that follow it.

    Each reader keeps a cursor (a row number) and asks for :meth:`rows_since` its cursor. With
    ``keep`` false, rows every reader has read are dropped by :meth:`compact` (a long run needs
    not hold millions of rows). ``watch`` lets a reader that must be current before it answers
    (the incentive policy's pay state) know cheaply whether rows of the kinds it cares about have
    arrived since it last read (:attr:`dirty`).
    """

    def __init__(self, keep: bool = True, capacity: int = 4096) -> None:
        self._rows = np.zeros(max(int(capacity), 16), dtype=EVENT_DTYPE)
        self._n = 0
        """Rows held in ``_rows``."""
        self._base = 0
        """Row number of ``_rows[0]`` (rows before it were dropped)."""
        self.keep = keep
        """Keep every row (``events``); when False, rows all readers have read are dropped."""
        self._readers: list[tuple[Any, int]] = []
        """The readers, each with the rows that must wait before :meth:`sync_readers` has it read."""
        self._watch = [0] * len(EVENT_KINDS)
        self._watchers = 0
        self.dirty = 0
        """Bits of the watchers (:meth:`watch`) whose kinds were recorded since they last read."""
        self._next_deal = 0

    # ------------------------------------------------------------------ writing
    def _reserve(self, count: int) -> int:
        n = self._n
        if n + count > len(self._rows):
            bigger = np.zeros(max(2 * len(self._rows), n + count), dtype=EVENT_DTYPE)
            bigger.view(_ROW_BYTES)[:n] = self._rows.view(_ROW_BYTES)[:n]
            self._rows = bigger
        self._n = n + count
        return n

    def add(
        self,
        kind: int,
        day: float,
        amount: float = 0.0,
        customer: int = -1,
        deal: int = -1,
        ae: int = -1,
        csm: int = -1,
        consultant: int = -1,
        marketer: int = -1,
        sdr: int = -1,
        person: int = -1,
        segment: int = -1,
        deal_kind: int = 0,
        source: int = 0,
        role: int = 0,
        credited: int = 0,
        first_year: bool = False,
        term_months: int = 0,
        discount: float = 0.0,
        list_price: float = 0.0,
        forecast_day: float = -1.0,
        quality: float = -1.0,
        wait_days: float = -1.0,
        fit: float = -1.0,
    ) -> None:
        """Record one event from its fields as codes (the world's fast path; see :data:`EVENT_DTYPE`)."""
        n = self._n
        if n >= len(self._rows):
            self._reserve(1)
            self._n = n
        self._rows[n] = (
            day, kind, amount, customer, deal, ae, csm, consultant, marketer, sdr, person, segment,
            deal_kind, source, role, credited, first_year, term_months, discount, list_price,
            forecast_day, quality, wait_days, fit,
        )  # fmt: skip
        self._n = n + 1
        self.dirty |= self._watch[kind]

    def extend(self, kind: int, day: float, n: int, **columns: Any) -> None:
        """Record ``n`` events of one kind and day, each field one column (scalars repeat)."""
        if n <= 0:
            return
        at = self._reserve(n)
        block = self._rows[at : at + n]
        block.view(_ROW_BYTES)[:] = _blank(n)  # written in place: no rows built, then copied
        block["kind"] = kind
        block["day"] = day
        for name, col in columns.items():
            block[name] = col
        self.dirty |= self._watch[kind]

    def append_rows(self, rows: np.ndarray) -> None:
        """Record ready-made rows (in time order, after every row already held)."""
        if len(rows) == 0:
            return
        at = self._reserve(len(rows))
        self._rows.view(_ROW_BYTES)[at : at + len(rows)] = rows.view(_ROW_BYTES)
        if self._watchers:
            kinds = rows["kind"]
            # a short block's kinds are cheaper to collect in Python than with np.unique
            for k in set(kinds.tolist()) if len(kinds) < 64 else np.unique(kinds).tolist():
                self.dirty |= self._watch[k]

    def record(self, event: Event) -> Event:
        """Record one event given as an object."""
        at = self._reserve(1)
        self._rows[at] = event.row()
        self.dirty |= self._watch[KIND_CODE[event.kind]]
        return event

    def record_batch(self, batch: EventBatch) -> None:
        """Record a batch of events of one kind and day (see :class:`EventBatch`)."""
        if batch.n:
            self.append_rows(batch.rows())

    def new_deal_id(self) -> int:
        """A fresh booking id."""
        self._next_deal += 1
        return self._next_deal

    # ------------------------------------------------------------------ reading
    @property
    def end(self) -> int:
        """Row number after the last row recorded."""
        return self._base + self._n

    def rows_since(self, cursor: int) -> np.ndarray:
        """The rows from row number ``cursor`` on (a view: read it before recording more)."""
        if cursor < self._base:
            raise ValueError(f"rows before {self._base} were dropped; a reader asked from {cursor}")
        return self._rows[cursor - self._base : self._n]

    def follow(self, reader: Any, batch_rows: int = 0) -> None:
        """Register a reader (an object with an int ``cursor`` and a ``sync()`` that reads up to the
        end) so that :meth:`compact` keeps its rows. :meth:`sync_readers` has it read once at least
        ``batch_rows`` rows wait (0: every time)."""
        self._readers.append((reader, max(int(batch_rows), 0)))

    def sync_readers(self) -> None:
        """Let every reader with enough rows waiting read them (then :meth:`compact` can drop the
        rows every reader has read)."""
        end = self.end
        for reader, batch in self._readers:
            if batch == 0 or end - reader.cursor >= batch:
                reader.sync()

    def watch(self, kinds: Sequence[int]) -> int:
        """A watcher bit, set in :attr:`dirty` whenever an event of one of ``kinds`` is recorded."""
        bit = 1 << self._watchers
        self._watchers += 1
        for k in kinds:
            self._watch[k] |= bit
        return bit

    def compact(self) -> None:
        """Drop rows every reader has read (only when ``keep`` is False)."""
        if self.keep or not self._readers:
            return
        low = min(r.cursor for r, _ in self._readers)
        drop = low - self._base
        if drop <= 0:
            return
        rest = self._n - drop
        raw = self._rows.view(_ROW_BYTES)
        raw[:rest] = raw[drop : self._n]
        self._n = rest
        self._base = low

    @property
    def rows(self) -> np.ndarray:
        """Every row held (all rows when ``keep``)."""
        return self._rows[: self._n]

    @property
    def events(self) -> list[Event]:
        """The rows held, as :class:`Event` objects."""
        return events_of(self.rows)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return self._n

    def of_kind(self, *kinds: str) -> list[Event]:
        """Events of the given kinds, in order."""
        return events_of_kinds(self.rows, *kinds)

    def frame(self) -> pd.DataFrame:
        """All events as a DataFrame (one row per event)."""
        import pandas as pd

        evs = self.events
        if not evs:
            return pd.DataFrame(columns=[f.name for f in fields(Event)])
        return pd.DataFrame([asdict(e) for e in evs])

    def __getstate__(self) -> dict[str, object]:
        # Readers are live objects; a pickled ledger carries only its rows.
        return {"rows": self.rows.copy(), "base": self._base, "next_deal": self._next_deal, "keep": self.keep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        rows = state["rows"]
        self.__init__(keep=bool(state.get("keep", True)), capacity=max(len(rows), 16))  # type: ignore[misc]
        self._rows[: len(rows)] = rows
        self._n = len(rows)
        self._base = int(state["base"])
        self._next_deal = int(state["next_deal"])
