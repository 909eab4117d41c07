"""Invoices and cash collection (the ``billing`` section of the company, off by default).

When billing is on, every contract period of every customer is cut into invoices at the billing
frequency (a new deal's term from its booking day, each renewal's term from the renewal, an
expansion pro rata over the months left in the current term). The invoices live in numpy arrays
(one row per invoice) and one clock advances them in bulk: at each time something falls due it

* **issues** the invoices whose issue day has come (``invoice`` event; an invoice of a customer
  already gone is never issued), drawing for each one whether it defaults and its payment delay;
* **settles** the issued invoices whose settlement day has come: ``cash`` at
  ``issue + payment_terms_days + delay``; for a defaulting invoice ``non_payment`` at
  ``issue + payment_terms_days + default_recognised_after_days`` (the customer is cancelled and
  clawbacks with trigger non_payment apply); an invoice of a cancelled customer (it defaulted
  before, or its implementation failed) is voided by a credit note (an ``invoice`` event with the
  negative amount).

Every draw is positional by customer: the uniforms of the invoices a customer is issued in month
``m`` are row ``customer`` of the stream ``billing.m<m>.b<block>`` (customers in blocks of
``BLOCK``; column = the invoice's rank among the customer's invoices that month), so a customer
sees the same payment luck under every plan (common random numbers).

Equations: ``docs/model.md`` ("World: billing and cash").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import gammaincinv

from sim.ledger import DEAL_KIND_CODE, K
from sim.time.calendar import DAYS_PER_MONTH
from sim.vocabulary import SEGMENTS
from sim.world.book import CHURNED
from sim.world.subscription import anniversary_day, lapses

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.rng import Streams
    from sim.scenario.billing import Billing
    from sim.scenario.company import Company
    from sim.world.book import Book
    from sim.world.services import Clock

PERIOD_MONTHS: dict[str, int] = {"annual_upfront": 12, "quarterly": 3, "monthly": 1}
"""Months of ARR billed per invoice at each billing frequency."""

NEW, EXPANSION, RENEWAL = 1, 2, 3
"""Invoice kinds (``World.invoice`` passes 1 for a new deal and 2 for an expansion)."""
KIND_NAMES: dict[int, str] = {NEW: "new", EXPANSION: "expansion", RENEWAL: "renewal"}
"""``deal_kind`` of the invoice, cash and non-payment events of each invoice kind."""

SCHEDULED, OPEN, DONE = 0, 1, 2
BLOCK = 4096
"""Customers per uniform block (one stream per month and block)."""
SLOTS = 8
"""Invoices per customer and month with their own uniforms (more reuse them cyclically)."""
EPS = 1e-9

_COLUMNS: dict[str, type] = {
    "cust": np.int64,
    "deal": np.int64,
    "kind": np.int8,
    "cents": np.int64,
    "months": np.int16,
    "first": np.bool_,
    "issue_day": np.float64,
    "settle_day": np.float64,
    "defaults": np.bool_,
    "state": np.int8,
    "next_day": np.float64,
}


def split_cents(total_cents: int, months: int, period_months: int) -> list[tuple[int, int]]:
    """Cut ``total_cents`` for ``months`` of service into invoices of ``period_months`` each.

    Returns ``(months_covered, cents)`` per invoice; the last invoice covers what is left. The
    cents are the differences of ``round(total x months_so_far / months)``, so they sum to
    ``total_cents`` exactly whatever the frequency.
    """
    months = max(int(months), 1)
    p = max(int(period_months), 1)
    out: list[tuple[int, int]] = []
    done, billed = 0, 0
    while done < months:
        cover = min(p, months - done)
        done += cover
        upto = round(total_cents * done / months)
        out.append((cover, upto - billed))
        billed = upto
    return out


def collection_delay_days(u: np.ndarray, cfg: Billing) -> np.ndarray:
    """Days paid after the due date for uniforms ``u`` (inversion, so common random numbers hold).

    fixed: the mean; exponential: ``-mean x ln(1 - u)``; gamma(shape k, scale mean/k):
    ``P^-1(k, u) x mean / k`` (``P`` the regularised lower incomplete gamma function).
    """
    mean = float(cfg.collection_delay_mean_days)
    u = np.asarray(u, dtype=float)
    if mean <= 0 or cfg.collection_delay_distribution == "fixed":
        return np.full(u.shape, mean)
    if cfg.collection_delay_distribution == "exponential":
        return np.asarray(-mean * np.log1p(-np.minimum(u, 1.0 - 1e-16)))
    k = float(cfg.collection_delay_gamma_shape)
    return np.asarray(gammaincinv(k, u) * mean / k)


def mean_collection_days(cfg: Billing) -> float:
    """Expected days from an invoice to its cash (terms + mean delay)."""
    return float(cfg.payment_terms_days + cfg.collection_delay_mean_days)


def cash_outlook(cfg: Billing, term_months: int) -> tuple[float, float, float]:
    """What a rep can expect of a new deal's cash when it is booked (valuing ``cash_collected``).

    ``(lag_days, spread_days, share_of_acv)``: the first cash ``lag_days`` after booking, the first
    term's invoices arriving evenly over ``spread_days`` after it, and the first term's cash as a
    share of the ACV (equal invoices, each paid unless it or an earlier one defaults; before the
    first-invoice risk). Billing off: ``(30, 0, 1)`` (the single
    invoice, settled at the next month start).
    """
    if not cfg.enabled:
        return 30.0, 0.0, 1.0
    p = PERIOD_MONTHS[cfg.frequency]
    term = max(int(term_months), 1)
    n = math.ceil(term / p)
    keep = 1.0 - cfg.default_probability  # invoice j is paid if it and the j - 1 before it do not default
    share = term / 12.0 * sum(keep**j for j in range(1, n + 1)) / n
    return mean_collection_days(cfg), max(term - p, 0) * DAYS_PER_MONTH, share


class Receivables:
    """The invoices of one replication and the clock that issues and settles them."""

    def __init__(
        self,
        clock: Clock,
        book: Book,
        ledger: Ledger,
        streams: Streams,
        company: Company,
        churn: Callable[[int, str], None],
    ) -> None:
        self.clock = clock
        self.book = book
        self.ledger = ledger
        self.streams = streams
        self.cfg = company.billing
        self.customers_cfg = company.customers
        self.churn = churn
        """Ends a customer (``customers`` ends it: its ARR, CSM slot and organisation)."""
        self.period_months = PERIOD_MONTHS[self.cfg.frequency]
        self.churn_rates = np.array([getattr(company.segments, n).annual_churn for n in SEGMENTS])
        """Annual churn by segment code (``churn_before_each_bill``)."""
        self.n = 0
        self.capacity = 256
        for name, dtype in _COLUMNS.items():
            setattr(self, name, np.zeros(self.capacity, dtype=dtype))
        self.cancelled = np.zeros(0, dtype=bool)
        """Customers whose remaining invoices are void (they defaulted)."""
        self._anchor = np.zeros(0)
        """Day of the month (from its start) each customer is billed on (``anchor: anniversary``)."""
        self._slot_month = np.zeros(0, dtype=np.int64)
        self._slot_count = np.zeros(0, dtype=np.int64)
        self._blocks: dict[tuple[int, int], np.ndarray] = {}
        self._wakes: set[float] = set()
        self.voided_cents = 0
        """Cents of invoices voided by credit notes (customers cancelled before paying)."""

    # ------------------------------------------------------------------ arrays
    cust: np.ndarray
    deal: np.ndarray
    kind: np.ndarray
    cents: np.ndarray
    months: np.ndarray
    first: np.ndarray
    issue_day: np.ndarray
    settle_day: np.ndarray
    defaults: np.ndarray
    state: np.ndarray
    next_day: np.ndarray
    """The day the invoice next needs the clock: its issue day (scheduled), its settlement day
    (open), inf (done)."""

    def _reserve(self, count: int) -> np.ndarray:
        if self.n + count > self.capacity:
            live = np.flatnonzero(self.state[: self.n] != DONE)
            for name in _COLUMNS:  # drop settled rows before growing
                arr = getattr(self, name)
                arr[: len(live)] = arr[live]
            self.n = len(live)
            if self.n + count > self.capacity // 2:
                new_cap = max(self.capacity * 2, self.n + count)
                for name, dtype in _COLUMNS.items():
                    arr = np.zeros(new_cap, dtype=dtype)
                    arr[: self.n] = getattr(self, name)[: self.n]
                    setattr(self, name, arr)
                self.capacity = new_cap
        idx = np.arange(self.n, self.n + count)
        self.n += count
        return idx

    def _customers(self, need: int) -> None:
        if need > len(self.cancelled):
            size = max(need, 2 * len(self.cancelled), 64)
            for name in ("cancelled", "_slot_month", "_slot_count", "_anchor"):
                old = getattr(self, name)
                arr = np.zeros(size, dtype=old.dtype)
                arr[: len(old)] = old
                if name == "_slot_month":
                    arr[len(old) :] = -1
                setattr(self, name, arr)

    # ------------------------------------------------------------------ billing contract periods
    def bill(self, cust: int, cents: int, deal: int, kind: int, months: int) -> None:
        """Invoice ``cents`` of ARR for ``months`` of service starting now.

        The first invoice is issued now; the next ones at the month starts ``period_months``
        apart. The period's amount is ``cents x months / 12``, split by :func:`split_cents`.
        """
        now = float(self.clock.env.now)
        month = self.clock.month_of(now)
        total = round(int(cents) * max(int(months), 1) / 12)
        parts = split_cents(total, months, self.period_months)
        idx = self._reserve(len(parts))
        starts = self.clock.calendar.month_starts
        anniversary = self.cfg.anchor == "anniversary"
        if anniversary:
            self._customers(cust + 1)
            if kind == NEW:  # the close fixes the day of the month the customer is billed on
                self._anchor[cust] = now - float(starts[month])
            now = max(now, anniversary_day(starts, month, float(self._anchor[cust])))
        for j, (i, (cover, amount)) in enumerate(zip(idx.tolist(), parts, strict=True)):
            m = month + j * self.period_months
            self.cust[i] = cust
            self.deal[i] = deal
            self.kind[i] = kind
            self.cents[i] = amount
            self.months[i] = cover
            self.first[i] = j == 0 and kind in (NEW, EXPANSION)
            if anniversary:
                later = anniversary_day(starts, m, float(self._anchor[cust]))
            else:
                later = float(starts[m]) if m < len(starts) else math.inf
            self.issue_day[i] = now if j == 0 else later
            self.next_day[i] = self.issue_day[i]
            self.settle_day[i] = math.inf
            self.defaults[i] = False
            self.state[i] = SCHEDULED
        self._wake(now)

    def seed(self) -> None:
        """The starting book: invoices of each starting customer's current term still to be issued
        (with ``period_months`` below the term, the rest of the term; annual billing of a 12-month
        term was paid before day 0). Issued from the month starts ``>= 0`` of the term's cadence."""
        book = self.book
        starts = self.clock.calendar.month_starts
        for c in book.active().tolist():
            term = int(book.term_months[c])
            begin = int(book.contract_end_month[c]) - term
            total = round(int(book.arr_cents[c]) * term / 12)
            done = 0
            for cover, amount in split_cents(total, term, self.period_months):
                m = begin + done
                done += cover
                if m < 0 or m >= len(starts):
                    continue
                i = int(self._reserve(1)[0])
                self.cust[i] = c
                self.deal[i] = int(book.deal[c])
                self.kind[i] = RENEWAL
                self.cents[i] = amount
                self.months[i] = cover
                self.first[i] = False
                self.issue_day[i] = self.next_day[i] = float(starts[m])
                self.settle_day[i] = math.inf
                self.defaults[i] = False
                self.state[i] = SCHEDULED
        self._wake(float(self.clock.env.now))

    def bill_deal(self, cust: int, cents: int, deal: int, kind: int) -> None:
        """A new deal (``kind`` 1: its whole term) or an expansion (2: the months left in the term)."""
        book = self.book
        term = int(book.term_months[cust])
        if kind == NEW:
            months = term
        else:
            months = int(book.contract_end_month[cust]) - self.clock.month_of(float(self.clock.env.now))
            if months <= 0:
                months = term
        self.bill(cust, cents, deal, kind, months)

    def renewed(self, cust: int, amount: float, deal: int, term_months: int) -> None:
        """A renewal of ``amount`` dollars of ARR starts a new term: bill it (``invoice_renewals``)."""
        if self.cfg.invoice_renewals and amount > 0 and cust >= 0:
            self.bill(cust, round(amount * 100), deal, RENEWAL, term_months or 12)

    # ------------------------------------------------------------------ the clock
    def _wake(self, day: float) -> None:
        """Make sure the clock runs at ``day`` (or earlier)."""
        if day == math.inf or any(t <= day + EPS for t in self._wakes):
            return
        now = float(self.clock.env.now)
        day = max(day, now)
        if day >= self.clock.end_day:
            return
        self._wakes.add(day)
        self.clock.env.call_later(day - now, self._tick, day)

    def _tick(self, day: float) -> None:
        self._wakes.discard(day)
        now = float(self.clock.env.now)
        while True:
            n = self.n
            due = np.flatnonzero(self.next_day[:n] <= now + EPS)
            if not len(due):
                break
            st = self.state[due]
            issue = due[st == SCHEDULED]
            if len(issue):
                self._issue(issue, now)
            settle = due[st == OPEN]
            if len(settle):
                self._settle(settle, now)
        self._wake(float(self.next_day[: self.n].min(initial=math.inf)))

    def _uniforms(self, cust: np.ndarray, month: int) -> np.ndarray:
        """Two uniforms (default, delay) per invoice issued to ``cust`` in ``month`` (positional)."""
        self._customers(int(cust.max()) + 1)
        churn_check = self.cfg.churn_before_each_bill
        out = np.empty((len(cust), 3 if churn_check else 2))
        for j, c in enumerate(cust.tolist()):
            if self._slot_month[c] != month:
                self._slot_month[c] = month
                self._slot_count[c] = 0
            slot = int(self._slot_count[c]) % SLOTS
            self._slot_count[c] += 1
            b = c // BLOCK
            block = self._blocks.get((month, b))
            if block is None:
                if self._blocks and min(k[0] for k in self._blocks) < month:
                    self._blocks = {k: v for k, v in self._blocks.items() if k[0] >= month}
                block = self.streams(f"billing.m{month}.b{b}").random((BLOCK, SLOTS, 2))
                if churn_check:  # the churn checks' uniforms from their own stream (others unchanged)
                    extra = self.streams(f"billing.churn.m{month}.b{b}").random((BLOCK, SLOTS, 1))
                    block = np.concatenate([block, extra], axis=2)
                self._blocks[(month, b)] = block
            out[j] = block[c % BLOCK, slot]
        return out

    def _issue(self, idx: np.ndarray, now: float) -> None:
        book = self.book
        cfg = self.cfg
        cust = self.cust[idx]
        gone = book.status[cust] == CHURNED
        self.state[idx[gone]] = DONE  # service not delivered: never issued
        self.next_day[idx[gone]] = math.inf
        idx, cust = idx[~gone], cust[~gone]
        if not len(idx):
            return
        u = self._uniforms(cust, self.clock.month_of(now))
        if cfg.churn_before_each_bill:
            idx, cust, u = self._churn_before_bill(idx, cust, u, now)
            if not len(idx):
                return
        cc = self.customers_cfg
        first = self.first[idx]
        p_first = np.where(
            first,
            cc.non_payment_probability
            + cc.non_payment_per_overcommit
            * np.where(self.kind[idx] == NEW, book.overcommit[cust], book.stuffed[cust]),
            0.0,
        )
        p = 1.0 - (1.0 - cfg.default_probability) * (1.0 - np.clip(p_first, 0.0, 1.0))
        defaults = u[:, 0] < p
        delay = collection_delay_days(u[:, 1], cfg)
        due = now + cfg.payment_terms_days
        self.defaults[idx] = defaults
        self.settle_day[idx] = np.where(defaults, due + cfg.default_recognised_after_days, due + delay)
        self.state[idx] = OPEN
        self.next_day[idx] = self.settle_day[idx]
        for i in idx.tolist():
            self._record(i, now, K.invoice, int(self.cents[i]))

    def _churn_before_bill(
        self, idx: np.ndarray, cust: np.ndarray, u: np.ndarray, now: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Churn checked before the bills of a subscription (``sim/world/subscription.py``); a churned
        customer is billed nothing more."""
        book = self.book
        rates = self.churn_rates[book.segment[cust]]
        checked = self.kind[idx] != EXPANSION
        gone = lapses(u[:, 2], rates, self.months[idx], book.health[cust], checked, self.customers_cfg)
        self.state[idx[gone]] = DONE
        self.next_day[idx[gone]] = math.inf
        for c in cust[gone].tolist():
            if book.status[c] != CHURNED:
                self.churn(c, "renewal")
        return idx[~gone], cust[~gone], u[~gone]

    def _settle(self, idx: np.ndarray, now: float) -> None:
        book = self.book
        idx = idx[np.argsort(self.settle_day[idx], kind="stable")]
        self.state[idx] = DONE
        self.next_day[idx] = math.inf
        self._customers(int(self.cust[idx].max()) + 1)
        for i in idx.tolist():
            c = int(self.cust[i])
            cents = int(self.cents[i])
            if book.status[c] == CHURNED and (self.cancelled[c] or not math.isfinite(book.golive_day[c])):
                self.voided_cents += cents
                self._record(i, now, K.invoice, -cents)
            elif self.defaults[i]:
                self.cancelled[c] = True
                self._record(i, now, K.non_payment, cents)
                self.churn(c, "non_payment")
            else:
                self._record(i, now, K.cash, cents)

    def _record(self, i: int, now: float, kind: int, cents: int) -> None:
        """An ``invoice``, ``cash`` or ``non_payment`` row of invoice ``i``."""
        book = self.book
        c = int(self.cust[i])
        k = int(self.kind[i])
        self.ledger.add(
            kind, now, cents / 100.0, c, int(self.deal[i]),
            int(book.ae[c]) if k == EXPANSION else int(book.closer[c]), int(book.csm[c]),
            segment=int(book.segment[c]), deal_kind=DEAL_KIND_CODE[KIND_NAMES[k]],
            source=1 + int(book.source[c]), term_months=int(self.months[i]),
            forecast_day=-1.0 if kind == K.invoice else float(self.issue_day[i]),
        )  # fmt: skip

    # ------------------------------------------------------------------ inspection
    def open_cents(self) -> int:
        """Receivables now: cents of issued invoices not yet settled."""
        n = self.n
        return int(self.cents[:n][self.state[:n] == OPEN].sum())
