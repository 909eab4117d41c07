"""What the metrics need from a ledger, accumulated as it grows: the tally of one replication.

:class:`Tally` follows the world's ledger and reads the rows it has not seen yet in bulk (at
month starts and at the end), so a replication needs not keep its events. Everything it keeps
is defined in ``docs/metrics.md`` through the metrics computed from it (:mod:`sim.metrics`).
Sums run in ledger order (``_running``), so a total is the same number whichever way the rows
were read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from sim.code_sets import ARR_MOVEMENTS, CodeSet, credits_an_ae
from sim.ledger import DEAL_KIND_CODE, KIND_CODE, ROLE_CODE, SOURCE_NAME, Event, Ledger, rows_of, take_rows
from sim.scenario.plans import PlanDesign
from sim.segment_tally import SegmentTally
from sim.time.calendar import Calendar
from sim.vocabulary import EVENT_KINDS, MONTHS_PER

COUNTED = (
    "go_live",
    "implementation_success",
    "implementation_failed",
    "referral",
    "reference",
    "champion_move",
    "non_payment",
    "renewal",
)
_K = KIND_CODE
_COUNTED_CODES = CodeSet(_K[k] for k in COUNTED if k != "go_live")
"""Counted kinds other than go-lives (those are read with their quality and timing)."""
_DK_NEW, _DK_RENEWAL = DEAL_KIND_CODE["new"], DEAL_KIND_CODE["renewal"]
_SALES_DK = CodeSet(DEAL_KIND_CODE[k] for k in ("new", "upsell", "cross_sell"))


READ_EVERY_ROWS = 32_768
"""A followed tally reads its ledger at a month start once this many rows wait (and when the result
is built, :meth:`Tally.sync`): fewer, larger reads than one a month, the same sums (every sum is
in row order), at most about 4 MB of rows held for it."""


def _running(total: float, values: NDArray[np.float64]) -> float:
    """``total`` plus ``values`` added one at a time, in order (as a loop would)."""
    if not len(values):
        return total
    return float(np.cumsum(np.concatenate(([total], values)))[-1])


class CashTally:
    """Amounts billed, collected and written off per month (whole run), and the receivables area.

    With ``invoiced`` the billed amounts are the ``invoice`` events (credit notes negative);
    without (billing off: one invoice per deal) they are the new, upsell and cross-sell bookings.
    ``ar_area`` is the integral of receivables over the measured window ``[start, end)`` in
    dollar-days: receivables at the window start x its length, plus each later change x the
    days left in the window.
    """

    def __init__(
        self, start: float, end: float, starts: list[float], total_months: int, invoiced: bool
    ) -> None:
        self.start, self.end, self._starts, self.invoiced = start, end, np.asarray(starts), invoiced
        n = total_months + 1
        self.billed = np.zeros(n)
        self.collected = np.zeros(n)
        self.written_off = np.zeros(n)
        self.receivable_before = 0.0
        """Receivables at the window start (billed - collected - written off before it)."""
        self.ar_area = 0.0
        self.lag_sum = 0.0
        """Sum of amount x (cash day - invoice day) of collections in the window (billing on)."""
        self.lag_weight = 0.0

    def observe_rows(self, rows: np.ndarray) -> None:
        """Count the invoice, booking, cash and non-payment rows of ``rows``."""
        k = rows["kind"]
        booking = k == _K["booking"]
        billed = (k == _K["invoice"]) if self.invoiced else booking & _SALES_DK(rows["deal_kind"])
        paid = (k == _K["cash"]) | (k == _K["non_payment"])
        sel = billed | paid
        if not sel.any():
            return
        r = take_rows(rows, sel)
        sign = np.where(billed[sel], 1.0, -1.0)
        day, amount = r["day"], r["amount"]
        m = np.clip(np.searchsorted(self._starts, day, side="right") - 1, 0, len(self.billed) - 1)
        is_billed = sign > 0
        cash = r["kind"] == _K["cash"]
        np.add.at(self.billed, m[is_billed], amount[is_billed])  # in row order
        np.add.at(self.collected, m[cash], amount[cash])
        off = ~is_billed & ~cash
        np.add.at(self.written_off, m[off], amount[off])
        before = day < self.start
        self.receivable_before = _running(self.receivable_before, (sign * amount)[before])
        inside = ~before & (day < self.end)
        self.ar_area = _running(self.ar_area, (sign * amount * (self.end - day))[inside])
        lag = inside & cash & (r["forecast_day"] >= 0)
        self.lag_sum = _running(self.lag_sum, (amount * (day - r["forecast_day"]))[lag])
        self.lag_weight = _running(self.lag_weight, amount[lag])


class Tally:
    """Everything the metrics need from the ledger, read in bulk as the ledger grows.

    The world makes it :meth:`follow` its live ledger, so a replication needs not keep its
    events; :meth:`of` builds one from a finished list of events.
    """

    def __init__(
        self,
        calendar: Calendar,
        plan: PlanDesign,
        warmup_months: int,
        total_months: int,
        invoiced: bool = False,
    ) -> None:
        self.calendar = calendar
        self.start = float(calendar.month_starts[warmup_months])
        self.end = float(calendar.month_starts[total_months])
        self.warmup_months = warmup_months
        self.total_months = total_months
        self._starts = np.asarray(calendar.month_starts, dtype=np.float64)
        self.events = 0
        """Events observed (whole run)."""
        self.sums: dict[str, float] = defaultdict(float)
        """Signed ARR movements in the window by kind."""
        self.new_by_source: dict[str, float] = defaultdict(float)
        self.new_logo_arr: list[float] = []
        self.discounts: list[float] = []
        self.period_end_discounts: list[float] = []
        self.fits: list[float] = []
        self.qualities: list[float] = []
        self.impl_days: list[float] = []
        self.close_weeks: list[float] = []
        self.forecast_errors: list[float] = []
        self.new_acv = 0.0
        self.period_end_acv = 0.0
        self.settled = 0
        """AE-quarters of forecast commits settled in the window."""
        self.forecast = np.zeros(3)
        """AEs' forecast commits in the window: the sums of |bookings - commit| and of bookings of
        the quarters settled, and of the commits made."""
        self.expansion = np.zeros(4)
        """Expansion bookings in the window: ACV booked, ACV beyond the customer's need, that beyond
        the need booked in the last two weeks of a quarter, and all ACV booked then
        (``sim/world/stuffing.py``)."""
        self.quarter_hits = 0
        self.ttv: list[float] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.renewed = 0.0
        months = max(total_months - warmup_months, 0)
        self._new_arr_by_month = np.zeros(months)
        self._bookings_by_month = np.zeros(months)
        q = plan.ae.quota
        self.quota = q
        self.hired: dict[int, float] = {}
        self.left: dict[int, float] = {}
        self.credit: dict[tuple[int, int], float] = defaultdict(float)
        self.sdr: dict[str, float] = defaultdict(float)
        """SDR flows in the window: meetings, opportunities, pipeline, sourced new ARR and logos."""
        self.sdr_meeting_fits: list[float] = []
        self.sdr_new_fits: list[float] = []
        self.support: dict[str, float] = defaultdict(float)
        """Support desk in the window: tickets closed, closed x resolution days, closed on time."""
        self.cash = CashTally(self.start, self.end, self._starts.tolist(), total_months, invoiced)
        """Billing, collections and receivables (see :func:`sim.metrics.cash_metrics`)."""
        self.by_segment = SegmentTally()
        """Sums of the window by segment (unit economics, ``sim/economics.py``)."""
        self._ledger: Ledger | None = None
        self.cursor = 0
        """Row number of the followed ledger read up to."""

    @property
    def new_arr_by_month(self) -> list[float]:
        """New ARR per measured month."""
        return self._new_arr_by_month.tolist()

    @property
    def bookings_by_month(self) -> list[float]:
        """Sales bookings (new, upsell, cross-sell) per measured month."""
        return self._bookings_by_month.tolist()

    @classmethod
    def of(
        cls,
        events: Iterable[Event],
        calendar: Calendar,
        plan: PlanDesign,
        warmup_months: int,
        total_months: int,
        invoiced: bool = False,
    ) -> Tally:
        """A tally of a finished list of events."""
        t = cls(calendar, plan, warmup_months, total_months, invoiced)
        t.observe_rows(rows_of(list(events)))
        return t

    def follow(self, ledger: Ledger) -> None:
        """Read ``ledger`` from now on (:meth:`sync` reads the rows recorded since; the rows
        already there are read at once)."""
        self._ledger = ledger
        self.cursor = ledger.end - len(ledger)
        ledger.follow(self, READ_EVERY_ROWS)
        self.sync()

    def sync(self) -> None:
        """Count the rows of the followed ledger not read yet."""
        led = self._ledger
        if led is None or self.cursor >= led.end:
            return
        rows = led.rows_since(self.cursor)
        self.cursor = led.end
        self.observe_rows(rows)

    def observe(self, e: Event) -> None:
        """Count one ledger event."""
        self.observe_rows(rows_of([e]))

    def _month(self, day: NDArray[np.float64]) -> NDArray[np.int64]:
        return np.searchsorted(self._starts, day, side="right") - 1

    def observe_rows(self, rows: np.ndarray) -> None:
        """Count ledger rows (in time order)."""
        if not len(rows):
            return
        self.events += len(rows)
        k = rows["kind"]
        ae_role = rows["role"] == ROLE_CODE["ae"]
        for p, d in zip(rows["person"][(k == _K["hire"]) & ae_role].tolist(),
                        rows["day"][(k == _K["hire"]) & ae_role].tolist(), strict=True):  # fmt: skip
            self.hired[p] = d
        for p, d in zip(rows["person"][(k == _K["leave"]) & ae_role].tolist(),
                        rows["day"][(k == _K["leave"]) & ae_role].tolist(), strict=True):  # fmt: skip
            self.left[p] = d
        booking = k == _K["booking"]
        self._quota_credit(rows, booking)
        self.cash.observe_rows(rows)
        day = rows["day"]
        inside = (day >= self.start) & (day < self.end + 1e-9)
        if not inside.any():
            return
        r = rows if inside.all() else take_rows(rows, inside)  # a month inside the window: no copy
        self.by_segment.observe_rows(r)
        self._sdr_rows(r)
        k = r["kind"]
        self._arr_rows(r, ARR_MOVEMENTS(k))
        self._booking_rows(r, (k == _K["booking"]) & (r["deal_kind"] != _DK_RENEWAL))
        self._go_live_rows(take_rows(r, k == _K["go_live"]))
        counted = _COUNTED_CODES(k)
        for code, n in zip(*np.unique(k[counted], return_counts=True), strict=True):
            self.counts[EVENT_KINDS[int(code)]] += int(n)
        renewal = k == _K["renewal"]
        self.renewed = _running(self.renewed, r["amount"][renewal])
        self.forecast[2] = _running(self.forecast[2], r["amount"][k == _K["forecast_commit"]])
        settled = take_rows(r, k == _K["forecast_miss"])
        if len(settled):
            self.forecast[0] = _running(self.forecast[0], settled["amount"])
            self.forecast[1] = _running(self.forecast[1], settled["list_price"])
            self.settled += len(settled)
        tickets = r["amount"][k == _K["tickets"]]
        self.counts["tickets"] += sum(int(x) for x in tickets.tolist())
        resolved = take_rows(r, k == _K["tickets_resolved"])
        if len(resolved):
            closed = resolved["amount"]
            self.support["closed"] = _running(self.support["closed"], closed)
            self.support["days"] = _running(self.support["days"], closed * resolved["wait_days"])
            self.support["on_time"] = _running(self.support["on_time"], closed * resolved["quality"])

    def _quota_credit(self, rows: np.ndarray, booking: NDArray[np.bool_]) -> None:
        """Bookings that count toward the AE quota, by (AE, quota period)."""
        q = self.quota
        if q is None or q.measure not in ("bookings_acv", "new_logo_acv", "net_new_arr"):
            return
        dk = rows["deal_kind"]
        sel = booking & credits_an_ae(rows)
        if q.measure == "new_logo_acv":
            sel &= dk == _DK_NEW
        if not sel.any():
            return
        per = MONTHS_PER[q.period]
        period = self._month(rows["day"][sel]) // per
        credit = self.credit
        for ae, p, amount in zip(rows["ae"][sel].tolist(), period.tolist(), rows["amount"][sel].tolist(),
                                 strict=True):  # fmt: skip
            credit[(ae, p)] += amount

    def _sdr_rows(self, r: np.ndarray) -> None:
        """Events an SDR originated (meeting, opportunity, new-logo booking and its ARR)."""
        sel = r["sdr"] >= 0
        if not sel.any():
            return
        s = take_rows(r, sel)
        k = s["kind"]
        meeting, opp = k == _K["meeting"], k == _K["opportunity"]
        self.sdr["meetings"] += int(meeting.sum())
        self.sdr_meeting_fits.extend(s["fit"][meeting].tolist())
        self.sdr["opportunities"] += int(opp.sum())
        self.sdr["pipeline"] = _running(self.sdr["pipeline"], s["list_price"][opp])
        self.sdr["new_arr"] = _running(self.sdr["new_arr"], s["amount"][k == _K["arr_new"]])
        new = (k == _K["booking"]) & (s["deal_kind"] == _DK_NEW)
        self.sdr["new_logos"] += int(new.sum())
        fits = s["fit"][new]
        self.sdr_new_fits.extend(fits[fits >= 0].tolist())

    def _arr_rows(self, r: np.ndarray, sel: NDArray[np.bool_]) -> None:
        if not sel.any():
            return
        a = take_rows(r, sel)
        kinds = a["kind"]
        for code in np.unique(kinds).tolist():
            name = EVENT_KINDS[code]
            self.sums[name] = _running(self.sums[name], a["amount"][kinds == code])
        new = take_rows(a, kinds == _K["arr_new"])
        if not len(new):
            return
        for src in np.unique(new["source"]).tolist():
            name = SOURCE_NAME[src]
            of_src = new["amount"][new["source"] == src]
            self.new_by_source[name] = _running(self.new_by_source[name], of_src)
        self.new_logo_arr.extend(new["amount"].tolist())
        m = self._month(new["day"]) - self.warmup_months
        ok = (m >= 0) & (m < len(self._new_arr_by_month))
        np.add.at(self._new_arr_by_month, m[ok], new["amount"][ok])

    def _booking_rows(self, r: np.ndarray, sel: NDArray[np.bool_]) -> None:
        if not sel.any():
            return
        b = take_rows(r, sel)
        day = b["day"]
        month = self._month(day)
        m = month - self.warmup_months
        ok = (m >= 0) & (m < len(self._bookings_by_month))
        np.add.at(self._bookings_by_month, m[ok], b["amount"][ok])
        new = b["deal_kind"] == _DK_NEW
        if not new.all():
            self._expansion_rows(take_rows(b, ~new & ok), month[~new & ok])
        if not new.any():
            return
        n = take_rows(b, new)
        day, month = day[new], month[new]
        amount = n["amount"]
        self.new_acv = _running(self.new_acv, amount)
        self.discounts.extend(n["discount"].tolist())
        qm = (month // 3) * 3
        q_start, q_end = self._starts[qm], self._starts[qm + 3]
        self.close_weeks.extend(((day - q_start) // 7).astype(np.int64).astype(np.float64).tolist())
        fits = n["fit"]
        self.fits.extend(fits[fits >= 0].tolist())
        window = {
            float(e): self.calendar.period_end_window_start(float(e)) for e in np.unique(q_end).tolist()
        }
        late = day >= np.array([window[float(e)] for e in q_end.tolist()])
        self.period_end_acv = _running(self.period_end_acv, amount[late])
        self.period_end_discounts.extend(n["discount"][late].tolist())
        fd = n["forecast_day"]
        told = fd >= 0
        self.forecast_errors.extend((day - fd)[told].tolist())
        self.quarter_hits += int((month[told] // 3 == self._month(fd[told]) // 3).sum())

    def _expansion_rows(self, e: np.ndarray, month: NDArray[np.int64]) -> None:
        """Upsell and cross-sell bookings: booked, beyond the need (``list_price``), at quarter end."""
        if not len(e):
            return
        amount = e["amount"]
        beyond = np.maximum(amount - e["list_price"], 0.0)
        q_end = self._starts[(month // 3) * 3 + 3]
        late = e["day"] >= np.array([self.calendar.period_end_window_start(float(x)) for x in q_end.tolist()])
        booked, over, over_late, booked_late = self.expansion
        self.expansion[:] = (
            _running(booked, amount), _running(over, beyond), _running(over_late, beyond[late]),
            _running(booked_late, amount[late]),
        )  # fmt: skip

    def _go_live_rows(self, g: np.ndarray) -> None:
        if not len(g):
            return
        self.counts["go_live"] += len(g)
        q = g["quality"]
        self.qualities.extend(q[q >= 0].tolist())
        fd, wait, day = g["forecast_day"], g["wait_days"], g["day"]
        both = (wait >= 0) & (fd >= 0)
        self.impl_days.extend((day - fd - wait)[both].tolist())
        self.ttv.extend((day - fd)[fd >= 0].tolist())


__all__ = ["COUNTED", "CashTally", "Tally", "math"]
