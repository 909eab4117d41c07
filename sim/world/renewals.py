"""Renewals and cash: customers whose contract ends renew (trued up and repriced) or churn; the
month's invoices (billing off) are paid or not.

Both run at a month start, for every customer due at once; every draw is keyed by the customer
(``Streams.keyed``), so a customer sees the same renewal and payment luck in every plan.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.ledger import DEAL_KIND_CODE, K, Ledger, blank_rows, concat_rows, take_rows
from sim.rng import Streams
from sim.scenario.company import Company
from sim.world.book import CHURNED, IMPLEMENTING, LIVE, Book
from sim.world.rows import renewal_rows
from sim.world.rules import renewal_churn_probability, renewal_price_increase
from sim.world.services import Clock, Segments

Renewed = Callable[[int, float, int, int], None]
"""A renewal billed: (customer, new ARR in dollars, deal, term months) (``Receivables.renewed``)."""


def _not_connected(customers: np.ndarray) -> None:
    raise RuntimeError("Renewals.lost is not connected (World wires it)")


class Renewals:
    """The month's renewals and, without billing, its cash collection."""

    def __init__(
        self,
        clock: Clock,
        segments: Segments,
        book: Book,
        ledger: Ledger,
        streams: Streams,
        company: Company,
        renewed: Renewed | None,
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.book = book
        self.ledger = ledger
        self.streams = streams
        self.company = company
        self.renewed = renewed
        """Billing's renewal hook (None: billing off)."""
        self.lost: Callable[[np.ndarray], None] = _not_connected
        """Customers whose ``arr_churn`` rows were just recorded leave (``Customers.lost``)."""

    def _draws(self, name: str, month: int, customers: np.ndarray, cols: int) -> np.ndarray:
        """This month's uniforms of stream ``customers.<name>``, keyed by the customers."""
        return self.streams.keyed(f"customers.{name}.m{month}", self.book.key[customers], cols)

    def renewals(self, month: int) -> None:
        """Customers whose contract ends at this month start renew (with true-up and pricing) or churn.

        Churn probability: :func:`renewal_churn_probability` with the price increase of a deep
        discount not repeated and referral loyalty. A renewing customer's commitment is trued
        up to its use (unused commitment -> contraction, growth -> expansion). A deep-discount
        customer accepts list price with probability equal to its health (expansion, pricing);
        otherwise it keeps its discount and claws back ``price_erosion_share x discount`` of its
        ARR (price erosion).
        """

        book = self.book
        n = book.n
        st = book.status[:n]
        due = np.flatnonzero(((st == IMPLEMENTING) | (st == LIVE)) & (book.contract_end_month[:n] == month))
        if len(due) == 0:
            return
        u = self._draws("renewal", month, due, 2)
        cc = self.company.customers
        seg = book.segment[due]
        inc = renewal_price_increase(book.discount[due], cc.deep_discount)
        ref = book.referrer[due]
        ref_active = np.zeros(len(due), dtype=bool)
        has = ref >= 0
        ref_status = book.status[ref[has]]
        ref_active[has] = (ref_status == IMPLEMENTING) | (ref_status == LIVE)
        p = renewal_churn_probability(
            self.segments.array("annual_churn")[seg],
            book.term_months[due],
            book.health[due],
            inc,
            cc.renewal_health_sensitivity,
            cc.renewal_price_sensitivity,
            np.where(ref_active, cc.referred_churn_odds, 0.0),
        )
        if self.company.billing.enabled and self.company.billing.churn_before_each_bill:
            p = np.zeros(len(due))  # churn is checked before each bill instead (sim/world/subscription.py)
        churn = u[:, 0] < p
        now = float(self.clock.env.now)
        renewal = DEAL_KIND_CODE["renewal"]
        keep = np.flatnonzero(~churn)
        c = due[keep]
        arr0 = book.arr_cents[c]
        trued = np.rint(arr0 * book.usage[c]).astype(np.int64)  # the commitment trued up to use
        delta = trued - arr0
        book.usage[c] = 1.0
        book.stuffed[c] = 0.0  # the shelfware of a stuffed expansion is trued down
        priced = inc[keep] > 0  # a deep discount not repeated: list price, or price erosion
        accept = priced & (u[keep, 1] < book.health[c])
        up = np.where(accept, np.rint(trued * inc[keep]), 0.0).astype(np.int64)
        cut = np.where(
            priced & ~accept, np.rint(trued * cc.price_erosion_share * book.discount[c]), 0.0
        ).astype(np.int64)
        book.discount[c[accept]] = 0.0
        arr = trued + up - cut
        book.arr_cents[c] = arr
        term = book.term_months[c]
        first = book.renewals[c] == 0
        # the events of each customer in turn: churn, or true-up, pricing, renewal (and churn at zero
        # ARR), gathered as (order key, customer, kind, amount) and written as one block of rows
        slot = 5 * np.arange(len(due))
        gone, kept = due[churn], slot[keep]
        keys, custs = [slot[churn]], [gone]
        kinds, amounts = [np.full(len(gone), K.arr_churn)], [-book.arr_cents[gone] / 100.0]
        empty = arr <= 0
        for mask, kind, amount, step in (
            (delta > 0, K.arr_expansion, delta / 100.0, 1),
            (delta < 0, K.arr_contraction, delta / 100.0, 1),
            (up != 0, K.arr_expansion, up / 100.0, 2),
            (cut != 0, K.arr_price_erosion, -cut / 100.0, 2),
            (np.ones(len(c), dtype=bool), K.renewal, arr / 100.0, 3),
            (empty, K.arr_churn, -arr / 100.0, 4),
        ):
            keys.append(kept[mask] + step)
            custs.append(c[mask])
            kinds.append(np.full(len(keys[-1]), kind))
            amounts.append(amount[mask])
        order = np.argsort(np.concatenate(keys), kind="stable")
        who, kind_of = np.concatenate(custs)[order], np.concatenate(kinds)[order]
        rows = renewal_rows(book, kind_of, now, who, np.concatenate(amounts)[order], renewal)
        is_renewal = rows["kind"] == K.renewal  # in the order of ``c``
        rows["term_months"][is_renewal], rows["first_year"][is_renewal] = term, first
        self.ledger.append_rows(rows)
        self.lost(rows["customer"][rows["kind"] == K.arr_churn])
        if self.renewed is not None:
            for cust, a, t in zip(c.tolist(), arr.tolist(), term.tolist(), strict=True):
                self.renewed(cust, a / 100.0, int(book.deal[cust]), int(t))
        book.renewals[c] += 1
        book.contract_end_month[c] += term

    def collect_cash(self, month: int) -> None:
        """Invoices of new and expansion deals fall due at the month start: cash, or non-payment (cancel)."""

        book = self.book
        n = book.n
        due = np.flatnonzero(book.cash_due_month[:n] == month)
        if len(due) == 0:
            return
        cc = self.company.customers
        u = self._draws("cash", month, due, 1)[:, 0]
        now = float(self.clock.env.now)
        cents, deal, kind = book.cash_due_cents[due], book.cash_deal[due], book.cash_kind[due]
        book.cash_due_month[due] = -1
        book.cash_due_cents[due] = 0
        alive = book.status[due] != CHURNED
        new = kind == 1
        p = cc.non_payment_probability + cc.non_payment_per_overcommit * np.where(
            new, book.overcommit[due], book.stuffed[due]
        )
        unpaid = alive & (u < p)
        rows = blank_rows(K.cash, now, len(due))
        rows["kind"] = np.where(unpaid, K.non_payment, K.cash)
        rows["amount"], rows["customer"], rows["deal"] = cents / 100.0, due, deal
        rows["ae"] = np.where(new, book.closer[due], book.ae[due])
        rows["csm"], rows["segment"], rows["source"] = book.csm[due], book.segment[due], 1 + book.source[due]
        bad = due[unpaid]
        lost = renewal_rows(
            book, K.arr_churn, now, bad, -book.arr_cents[bad] / 100.0, DEAL_KIND_CODE["non_payment"]
        )
        keys = np.concatenate([2 * np.flatnonzero(alive), 2 * np.flatnonzero(unpaid) + 1])
        out = take_rows(concat_rows([take_rows(rows, alive), lost]), np.argsort(keys, kind="stable"))
        self.ledger.append_rows(out)
        self.lost(bad)
