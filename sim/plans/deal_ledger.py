"""A deals export as ledger events: each deal's booking, ARR movement, go-live, success, revenue,
cash, renewal and churn, dated from its close, held as compact columns the payout engine reads."""

from __future__ import annotations

import datetime as dt
import functools
import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.ledger import DEAL_KIND_CODE, KIND_CODE, ROLE_CODE, Event, EventKind, blank_rows
from sim.time.calendar import Calendar

ARR_KIND: dict[str, EventKind] = {"new": "arr_new", "upsell": "arr_upsell", "cross_sell": "arr_cross_sell"}

GO_LIVE_DAYS = 30.0

SUCCESS_DAYS = 90.0

CASH_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class Deal:
    """One closed opportunity of the CSV."""

    row: int
    id: str
    owner: str
    amount: float
    close_date: dt.date
    kind: str
    discount: float = 0.0
    term_months: int = 12
    csm: str = ""
    account: str = ""
    go_live_date: dt.date | None = None
    failed: bool = False
    churn_date: dt.date | None = None


_KINDS: tuple[EventKind, ...] = (
    "hire",
    "leave",
    "booking",
    "renewal",
    "arr_new",
    "arr_upsell",
    "arr_cross_sell",
    "go_live",
    "implementation_success",
    "implementation_failed",
    "cash",
    "revenue",
    "arr_churn",
)

_CODE = {k: i for i, k in enumerate(_KINDS)}

_CHUNK = 65_536


@dataclass
class DealLedger:
    """The ledger built from deals, with its calendar and who is who.

    Events are kept compactly (day, kind, amount, deal, first-year flag per event: about 30
    bytes each instead of an ``Event`` object) in time order; :meth:`iter_events` builds the
    ``Event`` objects one at a time, so a 200,000-row back-test never holds millions of them.
    """

    calendar: Calendar
    names: dict[int, str]
    """Person id -> name (``ae:Ann``, ``csm:Bob``)."""
    fiscal_start_day: float
    fiscal_end_day: float
    end_day: float
    """First day after the last event (pay of later events is counted until then)."""
    bookings: float
    """Sum of new, upsell and cross-sell ACV."""
    _deals: list[Deal] = field(default_factory=list, repr=False)
    """Deals in ledger order (deal id k is ``_deals[k - 1]``)."""
    _people: list[tuple[str, int]] = field(default_factory=list, repr=False)
    """(role, person id) of the hire/leave events (index into it for those events)."""
    _ids: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    _customers: list[int] = field(default_factory=list, repr=False)
    _day: Any = None
    _kind: Any = None
    _amount: Any = None
    _ref: Any = None
    _first_year: Any = None

    def __len__(self) -> int:
        return len(self._day)

    @property
    def events(self) -> list[Event]:
        """Every event in time order (built on demand; prefer :meth:`iter_events`)."""
        return list(self.iter_events())

    def iter_events(self, skip: frozenset[str] = frozenset()) -> Iterator[Event]:
        """The events in time order (stable: same-day events in the order they were derived),
        leaving out the kinds in ``skip``."""
        import numpy as np

        order = self._order
        if skip:
            codes = np.asarray([_CODE[k] for k in skip if k in _CODE], dtype=np.int8)
            order = order[~np.isin(self._kind[order], codes)]
        deals, people, ids = self._deals, self._people, self._ids
        who = [
            {
                "deal": n,
                "customer": c,
                "ae": ids[("ae", d.owner)],
                "csm": ids[("csm", d.csm)] if d.csm else -1,
                "deal_kind": d.kind,
            }
            for n, (d, c) in enumerate(zip(deals, self._customers, strict=True), start=1)
        ]
        hire, leave, booking = _CODE["hire"], _CODE["leave"], _CODE["booking"]
        for lo in range(0, len(order), _CHUNK):  # Python values for one chunk at a time
            part = order[lo : lo + _CHUNK]
            rows = zip(
                self._day[part].tolist(),
                self._kind[part].tolist(),
                self._amount[part].tolist(),
                self._ref[part].tolist(),
                self._first_year[part].tolist(),
                strict=True,
            )
            for day, c, amount, r, first in rows:
                if c in (hire, leave):
                    role, pid = people[r]
                    yield Event(day, _KINDS[c], role=role, person=pid)
                elif c == booking:
                    d = deals[r - 1]
                    yield Event(
                        day,
                        "booking",
                        amount=amount,
                        list_price=d.amount / (1.0 - d.discount),
                        discount=d.discount,
                        term_months=d.term_months,
                        **who[r - 1],
                    )
                else:
                    yield Event(day, _KINDS[c], amount=amount, first_year=first == 1, **who[r - 1])

    def iter_rows(self, skip: frozenset[str] = frozenset(), chunk: int = _CHUNK) -> Iterator[np.ndarray]:
        """:meth:`rows` in consecutive blocks of at most ``chunk`` rows (a large export never holds
        all its rows at once)."""
        order = self._order
        if skip:
            codes = np.asarray([_CODE[k] for k in skip if k in _CODE], dtype=np.int8)
            order = order[~np.isin(self._kind[order], codes)]
        for lo in range(0, len(order), chunk):
            yield self._rows_at(order[lo : lo + chunk])

    def rows(self, skip: frozenset[str] = frozenset()) -> np.ndarray:
        """The events as ledger rows (:data:`sim.ledger.EVENT_DTYPE`), in the order of
        :meth:`iter_events` (the same events, built in bulk)."""
        order = self._order
        if skip:
            codes = np.asarray([_CODE[k] for k in skip if k in _CODE], dtype=np.int8)
            order = order[~np.isin(self._kind[order], codes)]
        return self._rows_at(order)

    def _rows_at(self, order: np.ndarray) -> np.ndarray:
        """The rows of the events at positions ``order`` (in that order)."""
        code = np.asarray([KIND_CODE[k] for k in _KINDS], dtype=np.int8)[self._kind[order]]
        ref = self._ref[order]
        out = blank_rows(0, 0.0, len(order))
        out["day"] = self._day[order]
        out["kind"] = code
        out["amount"] = self._amount[order]
        people = np.isin(self._kind[order], [_CODE["hire"], _CODE["leave"]])
        if self._people:
            p_role = np.asarray([ROLE_CODE[r] for r, _ in self._people], dtype=np.int8)
            p_id = np.asarray([pid for _, pid in self._people], dtype=np.int32)
            out["role"][people] = p_role[ref[people]]
            out["person"][people] = p_id[ref[people]]
        deal = ~people
        d = ref[deal]
        ae, csm, cust, kind, amount, discount, term = self._deal_columns
        out["deal"][deal] = d
        out["customer"][deal] = cust[d]
        out["ae"][deal] = ae[d]
        out["csm"][deal] = csm[d]
        out["deal_kind"][deal] = kind[d]
        booking = code == KIND_CODE["booking"]
        b = ref[booking]
        out["list_price"][booking] = amount[b] / (1.0 - discount[b])
        out["discount"][booking] = discount[b]
        out["term_months"][booking] = term[b]
        other = deal & ~booking
        out["first_year"][other] = self._first_year[order][other] == 1
        return out

    @functools.cached_property
    def _deal_columns(self) -> tuple[np.ndarray, ...]:
        """Per deal id (0: none): AE, CSM, customer, deal kind, ACV, discount and term."""
        ids = self._ids
        per_deal = [(ids[("ae", x.owner)], ids[("csm", x.csm)] if x.csm else -1) for x in self._deals]
        return (
            np.asarray([-1] + [a for a, _ in per_deal], dtype=np.int32),
            np.asarray([-1] + [c for _, c in per_deal], dtype=np.int32),
            np.asarray([-1, *self._customers], dtype=np.int64),
            np.asarray([0] + [DEAL_KIND_CODE[x.kind] for x in self._deals], dtype=np.int8),
            np.asarray([1.0] + [x.amount for x in self._deals], dtype=np.float64),
            np.asarray([0.0] + [x.discount for x in self._deals], dtype=np.float64),
            np.asarray([0] + [x.term_months for x in self._deals], dtype=np.int16),
        )

    @functools.cached_property
    def _order(self) -> Any:
        return np.argsort(self._day, kind="stable")


def deals_to_events(deals: list[Deal], fiscal_year_start_month: int) -> DealLedger:
    """Turn deals into ledger events on a fiscal calendar starting at the first deal's fiscal year."""
    import numpy as np

    first = min(d.close_date for d in deals)
    last = max(d.close_date for d in deals)
    y = first.year if first.month >= fiscal_year_start_month else first.year - 1
    months = (last.year - y) * 12 + last.month - fiscal_year_start_month + 1
    years = max(1, math.ceil(months / 12))
    cal = Calendar(fiscal_year_start_month, 12 * years + 36, start_year=y)
    fiscal_end = cal.period_bounds(years - 1, "year")[1]
    names: dict[int, str] = {}
    ids: dict[tuple[str, str], int] = {}

    def person(role: str, name: str) -> int:
        key = (role, name)
        if key not in ids:
            ids[key] = len(ids) + 1
            names[ids[key]] = f"{role}:{name}"
        return ids[key]

    for d in sorted(deals, key=lambda d: d.owner):
        person("ae", d.owner)
    for d in sorted(deals, key=lambda d: d.csm):
        if d.csm:
            person("csm", d.csm)
    accounts: dict[str, int] = {}
    day: array[float] = array("d")
    kind: array[int] = array("b")
    amount: array[float] = array("d")
    ref: array[int] = array("l")
    first_year: array[int] = array("b")

    def add(at: float, k: EventKind, value: float, r: int, fy: bool = False) -> None:
        day.append(at)
        kind.append(_CODE[k])
        amount.append(value)
        ref.append(r)
        first_year.append(fy)

    people: list[tuple[str, int]] = []
    for pid, name in names.items():
        role = name.split(":", 1)[0]
        people.append((role, pid))
        add(0.0, "hire", 0.0, len(people) - 1)
        add(fiscal_end, "leave", 0.0, len(people) - 1)
    bookings = 0.0
    ordered = sorted(deals, key=lambda d: (d.close_date, d.row))
    customers: list[int] = []
    day_of: dict[dt.date, float] = {}

    def day_at(date: dt.date) -> float:
        got = day_of.get(date)
        if got is None:
            got = day_of[date] = cal.day_of(date)
        return got

    for deal_id, d in enumerate(ordered, start=1):
        customers.append(accounts.setdefault(d.account, len(accounts) + 1))
        at = day_at(d.close_date)
        churn = day_at(d.churn_date) if d.churn_date else math.inf
        add(at, "booking", d.amount, deal_id)
        if d.kind == "renewal":
            add(at, "renewal", d.amount, deal_id)
        else:
            bookings += d.amount
            add(at, ARR_KIND[d.kind], d.amount, deal_id)
            live = day_at(d.go_live_date) if d.go_live_date else at + GO_LIVE_DAYS
            add(live, "go_live", 0.0, deal_id)
            add(
                live + SUCCESS_DAYS,
                "implementation_failed" if d.failed else "implementation_success",
                0.0,
                deal_id,
            )
            add(at + CASH_DAYS, "cash", d.amount, deal_id)
            for m in range(min(12, d.term_months)):
                rday = day_at(add_months(d.close_date, m))
                if rday >= churn:
                    break
                add(rday, "revenue", d.amount / 12, deal_id, True)
            renew = float(day_at(add_months(d.close_date, d.term_months)))
            if renew < churn:
                add(renew, "renewal", d.amount, deal_id, True)
        if d.churn_date:
            add(churn, "arr_churn", -d.amount, deal_id)
    days = np.frombuffer(day, dtype=np.float64).copy()
    end = max(fiscal_end, float(days.max()) + 1.0)
    return DealLedger(
        cal,
        names,
        0.0,
        fiscal_end,
        end,
        bookings,
        ordered,
        people,
        ids,
        customers,
        days,
        np.frombuffer(kind, dtype=np.int8).copy(),
        np.frombuffer(amount, dtype=np.float64).copy(),
        np.asarray(ref, dtype=np.int64),
        np.frombuffer(first_year, dtype=np.int8).copy(),
    )


def add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    day = min(
        d.day,
        [31, 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
            m - 1
        ],
    )
    return dt.date(y, m, day)
