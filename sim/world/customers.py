"""Customers: the starting book, a won deal becoming a customer, go-live, the success check, churn.

:class:`Customers` owns the life events of the customer book (``sim/world/book.py``) between
the monthly flows (``sim/world/accounts.py``) and renewals (``sim/world/renewals.py``): it seats
the starting book, turns a won opportunity into a customer (booking, new ARR, invoice, an
implementation project), takes it live when its project ends (starting health, a CSM), checks
the implementation's success ``success_days`` later, and ends customers who churn. It records
the month-start snapshots the metrics read (every customer's ARR, NPS).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.distributions import LogNormal
from sim.ledger import CREDITED_CODE, DEAL_KIND_CODE, K, Ledger
from sim.rng import Streams
from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_YEAR
from sim.world.book import CHURNED, IMPLEMENTING, LIVE, Book, lead_key
from sim.world.lead import Lead
from sim.world.rules import HealthRules
from sim.world.services import Clock, Segments

if TYPE_CHECKING:
    from sim.world.addressable import Organisations
    from sim.world.billing import Receivables
    from sim.world.reps import Opportunity

_NEW = DEAL_KIND_CODE["new"]
_AE_ONLY = CREDITED_CODE[("ae",)]


class CsmBooks(Protocol):
    """The CSMs' books as customers see them: a CSM for a new live customer, a slot freed."""

    def assign(self, segment: int = -1) -> int:
        """A CSM for a new customer of ``segment`` (-1: none has room)."""
        ...

    def release(self, csm: int) -> None:
        """An account of ``csm`` churned."""
        ...

    def release_many(self, csms: np.ndarray) -> None:
        """Accounts of these CSMs churned (one entry per account)."""
        ...


def _not_connected(*_: object) -> None:
    raise RuntimeError("Customers.start_project is not connected (World wires it)")


class Customers:
    """The customer book's life events."""

    def __init__(
        self,
        clock: Clock,
        segments: Segments,
        book: Book,
        ledger: Ledger,
        streams: Streams,
        company: Company,
        rules: HealthRules,
        csms: CsmBooks,
        organisations: Organisations,
        billing: Receivables | None,
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.book = book
        self.ledger = ledger
        self.streams = streams
        self.company = company
        self.rules = rules
        self.csms = csms
        self.orgs = organisations
        self.billing = billing
        """Invoices and collection (``company.billing``); None: one invoice per deal, next month start."""
        self.start_project: Callable[[int, Lead], None] = _not_connected
        """Queue the implementation project of a new customer (``ImplementationTeam.start``)."""
        self._checking: dict[int, list[tuple[float, int]]] = {}
        """Implementation success checks by business day: (check day, customer)."""
        self.arr_snapshots: list[np.ndarray] = []
        """Per-customer ARR (cents) at each month start 0..total_months (empty in the warm-up)."""
        self.nps_by_month: list[float] = []
        """NPS (promoters - detractors, % of paying customers) at each month start."""
        self.final_health = np.zeros(0)
        """Every customer's health at the last snapshot (for the NPS distribution)."""
        self.active_counts: list[int] = []
        """Customers with ARR at each month start 0..total_months (warm-up included)."""

    # ------------------------------------------------------------------ the starting book
    def seed(self, discount: float, owners: list[int]) -> None:
        """The starting book (drawn from stream ``customers.initial``): customers 1-5 years old,
        at the neutral ``discount``, owned by ``owners`` (the AEs), each given a CSM."""
        rng = self.streams("customers.initial")
        c = self.company
        cc = c.customers
        for s, seg in enumerate(self.segments.seg):
            n = seg.starting_customers
            if n == 0:
                continue
            idx = self.book.add(n)
            lst = LogNormal(seg.list_acv_mean_usd, seg.list_acv_cv).sample(rng, n)
            conc = seg.fit_concentration
            fit = rng.beta(max(seg.mean_fit * conc, 1e-3), max((1 - seg.mean_fit) * conc, 1e-3), n)
            u = rng.random((n, 5))
            z = rng.standard_normal((n, 2))
            b = self.book
            b.list_arr_cents[idx] = np.round(lst * 100).astype(np.int64)
            b.arr_cents[idx] = np.round(lst * (1 - discount) * 100).astype(np.int64)
            b.segment[idx] = s
            b.source[idx] = (u[:, 0] >= c.lead_sources.outbound).astype(np.int8)
            b.status[idx] = LIVE
            b.discount[idx] = discount
            b.fit[idx] = fit
            value = np.clip(cc.starting_health_mean + cc.health_per_fit * (fit - 0.5), 0, 1)
            b.value[idx] = value
            b.health[idx] = np.clip(value + 0.1 * z[:, 0], 0, 1)
            b.usage[idx] = np.maximum(0.05, 1 + cc.usage_sd * z[:, 1])
            b.term_months[idx] = seg.contract_term_months
            b.contract_end_month[idx] = 1 + (u[:, 1] * seg.contract_term_months).astype(np.int32)
            b.cohort_day[idx] = -(1.0 + u[:, 2] * 4.0) * DAYS_PER_YEAR  # 1-5 years old: past their first year
            b.golive_day[idx] = b.cohort_day[idx]
            b.champion_since_day[idx] = -u[:, 3] * c.champions.mean_tenure_years * DAYS_PER_YEAR
            if owners:
                b.ae[idx] = np.asarray(owners)[(u[:, 4] * len(owners)).astype(np.int64) % len(owners)]
            b.closer[idx] = b.ae[idx]
            b.renewals[idx] = 1
            for i in idx.tolist():
                b.deal[i] = self.ledger.new_deal_id()
                b.csm[i] = self.csms.assign(s)

    # ------------------------------------------------------------------ a won deal
    def won(self, opp: Opportunity) -> int:
        """A won deal: booking, new ARR, invoice and an implementation project."""
        lead = opp.lead
        book = self.book
        i = book.add_one()
        now = self.clock.env.now
        seg = self.segments.seg[lead.segment]
        list_cents = round(lead.list_acv * (1 + opp.overcommit) * 100)
        cents = round(lead.list_acv * (1 - opp.discount) * (1 + opp.overcommit) * 100)
        deal = self.ledger.new_deal_id()
        month = self.clock.month_of(now)
        usage = max(0.05, 1.0 + self.company.customers.usage_sd * lead.usage_z) / (1 + opp.overcommit)
        book.arr_cents[i] = cents
        book.list_arr_cents[i] = list_cents
        book.segment[i] = lead.segment
        book.source[i] = lead.source
        book.key[i] = lead.key if lead.key >= 0 else lead_key(lead.segment, lead.source, lead.seq)
        book.status[i] = IMPLEMENTING
        book.discount[i] = opp.discount
        book.promise[i] = opp.promise
        book.overcommit[i] = opp.overcommit
        book.fit[i] = lead.fit
        book.term_months[i] = seg.contract_term_months
        book.contract_end_month[i] = month + seg.contract_term_months
        book.cohort_day[i] = now
        book.ae[i] = opp.ae
        book.closer[i] = opp.ae
        book.marketer[i] = lead.marketer
        book.sdr[i] = lead.sdr
        book.deal[i] = deal
        book.referrer[i] = lead.referrer
        book.usage[i] = usage
        book.renewals[i] = 0
        book.champion_since_day[i] = now
        # until go-live the account's health is what it expects to get (NPS, CSM outlook)
        book.value[i] = book.health[i] = self.rules.expected_value_health(
            lead.fit, self.rules.neutral_quality, opp.promise
        )
        amount = cents / 100.0
        led = self.ledger
        for kind in (K.booking, K.arr_new):  # the booking, and the new ARR it brings
            booking = kind == K.booking
            led.add(
                kind, now, amount, i, deal, opp.ae, marketer=lead.marketer, segment=lead.segment,
                deal_kind=_NEW, source=1 + lead.source,
                list_price=round(lead.list_acv * (1 + opp.overcommit), 2) if booking else 0.0,
                discount=opp.discount, term_months=seg.contract_term_months, credited=_AE_ONLY,
                forecast_day=opp.forecast_day if booking else -1.0, fit=lead.fit if booking else -1.0,
                sdr=lead.sdr,
            )  # fmt: skip
        self.orgs.won(lead, i)  # finite market: the organisation is a customer
        self.invoice(i, cents, deal, 1)
        self.start_project(i, lead)
        return i

    def invoice(self, cust: int, cents: int, deal: int, kind: int) -> None:
        """Bill a new (``kind`` 1) or expansion (2) deal; without billing, cash is collected (or
        not) at the next month start (``sim/world/renewals.py``)."""
        if self.billing is not None:  # billing on: the deal's term (or rest of it) at the billing cadence
            self.billing.bill_deal(cust, cents, deal, kind)
            return
        book = self.book
        if book.cash_due_month[cust] < 0:
            book.cash_due_month[cust] = self.clock.month_of(self.clock.env.now) + 1
            book.cash_due_cents[cust] = cents
            book.cash_deal[cust] = deal
            book.cash_kind[cust] = kind
        else:
            book.cash_due_cents[cust] += cents

    # ------------------------------------------------------------------ leaving
    def churn(self, cust: int, deal_kind: str = "") -> None:
        """The customer leaves: its whole ARR as an ``arr_churn`` movement."""
        book = self.book
        if book.status[cust] == CHURNED:
            return
        cents = int(book.arr_cents[cust])
        now = self.clock.env.now
        self.ledger.add(
            K.arr_churn, now, -cents / 100.0, cust, int(book.deal[cust]), int(book.closer[cust]),
            int(book.csm[cust]), int(book.consultant[cust]), int(book.marketer[cust]),
            segment=int(book.segment[cust]), deal_kind=DEAL_KIND_CODE[deal_kind],
            source=1 + int(book.source[cust]),
        )  # fmt: skip
        book.arr_cents[cust] = 0
        book.status[cust] = CHURNED
        self.csms.release(int(book.csm[cust]))
        self.orgs.churned(cust, int(book.segment[cust]))  # finite market: churn cool-off

    def lost(self, customers: np.ndarray) -> None:
        """Customers whose ``arr_churn`` rows were just recorded leave (in that order): no ARR, no
        CSM slot, and their organisation cools off in a finite market."""
        if not len(customers):
            return
        book = self.book
        book.arr_cents[customers] = 0
        book.status[customers] = CHURNED
        self.csms.release_many(book.csm[customers])
        if self.orgs.any:
            for c in customers.tolist():
                self.orgs.churned(c, int(book.segment[c]))

    # ------------------------------------------------------------------ go-live and success
    def go_live(self, cust: int, consultant: int, quality: float, wait: float) -> None:
        """Implementation done: go-live (or failure), starting health, CSM, success check."""
        book = self.book
        now = self.clock.env.now
        book.consultant[cust] = consultant
        book.quality[cust] = quality
        if book.status[cust] != IMPLEMENTING:
            return
        deal = int(book.deal[cust])
        seg = int(book.segment[cust])
        ae = int(book.closer[cust])
        if quality < self.company.consultants.failure_quality:
            self.ledger.add(
                K.implementation_failed,
                now,
                1.0,
                cust,
                deal,
                ae,
                -1,
                consultant,
                segment=seg,
                quality=quality,
            )
            self.churn(cust)
            return
        rules = self.rules
        value = rules.expected_value_health(float(book.fit[cust]), quality, float(book.promise[cust]))
        ttv = now - float(book.cohort_day[cust])
        excess = ttv - rules.calendar_implementation_days(self.segments.seg[seg].implementation_days)
        book.value[cust] = value
        book.health[cust] = rules.starting_health(value, float(book.promise[cust]), excess)
        book.status[cust] = LIVE
        book.golive_day[cust] = now
        csm = self.csms.assign(seg)
        book.csm[cust] = csm
        self.ledger.add(
            K.go_live, now, 1.0, cust, deal, ae, csm, consultant, segment=seg, quality=quality,
            forecast_day=float(book.cohort_day[cust]), wait_days=wait,
        )  # fmt: skip
        at = now + rules.success_days  # checked at the start of the first business day from then on
        self._checking.setdefault(math.ceil(at), []).append((at, cust))

    def success_checks(self, day: int) -> None:
        """The implementations whose success check falls on ``day`` (in the order of their check
        times): an ``implementation_success`` event for each customer live and healthy then."""
        if day not in self._checking:
            return
        due = sorted(self._checking.pop(day), key=lambda x: x[0])
        book = self.book
        cust = np.array([c for _, c in due], dtype=np.int64)
        ok = cust[(book.status[cust] == LIVE) & (book.health[cust] >= self.company.customers.healthy_health)]
        if len(ok):
            self.ledger.extend(
                K.implementation_success, float(day), len(ok), amount=1.0, customer=ok,
                deal=book.deal[ok], ae=book.closer[ok], csm=book.csm[ok], consultant=book.consultant[ok],
                segment=book.segment[ok],
            )  # fmt: skip

    # ------------------------------------------------------------------ what the metrics read
    def cohort_months(self) -> np.ndarray:
        """Month of each customer's first booking (-1 for the starting book)."""
        day = self.book.cohort_day[: self.book.n]
        month = np.searchsorted(np.asarray(self.clock.calendar.month_starts), day, side="right") - 1
        return np.where(day >= 0, month, -1)

    def snapshot(self) -> None:
        """A month start: every customer's ARR (kept for the metrics once the warm-up is over), the
        customers paying, NPS among them and every customer's health."""
        b = self.book
        arr = b.arr_snapshot()
        paying = arr > 0
        self.active_counts.append(int(np.count_nonzero(paying)))
        cc = self.company.customers
        h = b.health[: b.n][paying]
        self.nps_by_month.append(
            100.0 * (float((h > cc.promoter_health).mean()) - float((h < cc.detractor_health).mean()))
            if len(h)
            else math.nan
        )
        if len(self.arr_snapshots) < self.clock.warmup_months:  # metrics read measured months only
            arr = np.zeros(0, dtype=np.int64)
        self.arr_snapshots.append(arr)
        self.final_health = b.health[: b.n].copy()
