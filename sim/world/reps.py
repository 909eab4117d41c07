"""Sales reps (AEs): capacity, ramp, attrition and backfill, and the deal decisions of a business day.

Leads are worked in business days (``SalesTeam.day``, called at the start of each day by the
world): the leads that arrived since the last business day are triaged, then the close-timing
decisions due that day are taken and the day's upsell and cross-sell deals close; new-logo deals
close at their (continuous) close times.

* **Triage.** The day's leads (in arrival order) go one by one to the rep with the most free
  opportunity slots (capacity ramps linearly with tenure); a lead no rep has a slot for is lost
  (``leads_lost``). Each rep then decides whether to pursue each lead assigned to them
  (``pursue``) and, if so, on what terms (``deal_terms``: discount x promise x overcommitment,
  :mod:`sim.world.deal_terms`). All of a day's decisions of one kind are put to the policy at
  once (:meth:`sim.policy.protocol.Policy.choose_many`); a skipped lead gives its slot back at the end
  of the triage.
* **Close timing.** When a deal's natural close (after a gamma-distributed cycle) falls within
  two weeks of a quarter end, its rep decides two weeks before that quarter end whether to keep
  it, push it into the next quarter or pull it in at an extra discount (``close_timing``).
* **Close.** A deal is won when the lead's pre-drawn uniform falls below its win probability

      logit(p) = logit(base_win_rate) + win_odds_per_fit * (fit - mean_fit) + source odds
                 + discount * win_odds_per_discount + promise * win_odds_per_promise
                 + overcommit * win_odds_per_overcommit.

Open opportunities of a rep who leaves are lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.ledger import CREDITED_CODE, DEAL_KIND_CODE, K, Ledger
from sim.policy.batch import DecisionBatch
from sim.policy.decisions import Option
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.world.addressable import Organisations
from sim.world.advocacy import with_odds
from sim.world.book import IMPLEMENTING, LIVE, Book
from sim.world.deal_terms import WINDOW_DAYS, DealTerms, sigmoid
from sim.world.forecasts import ForecastCommits
from sim.world.lead import U_PURSUE, U_TERMS, U_TIMING, U_WIN, Lead, LeadColumns
from sim.world.seats import Seats
from sim.world.services import Choices, Clock, PlanFacts, Staff
from sim.world.stuffing import ExpansionTerms


@dataclass(slots=True)
class Opportunity:
    """An opportunity being worked."""

    lead: Lead
    seat: int
    ae: int
    discount: float
    promise: float
    overcommit: float
    p_win: float
    forecast_day: float
    close_day: float
    opened_day: float
    term: int = 0
    """Index of the deal-terms option taken (``DealTerms.terms``)."""


@dataclass(slots=True)
class Timing:
    """A close-timing decision waiting for its day: the deal as it stands (``as_is``) or the
    alternative (``push`` to the next quarter, or ``pull_in`` at an extra discount)."""

    opp: Opportunity
    alternative: str
    alternative_day: float
    alternative_discount: float


def _not_connected(*_: object) -> int:
    raise RuntimeError("SalesTeam is not connected to the customers (World wires it)")


def _no_invoice(*_: object) -> None:
    raise RuntimeError("SalesTeam.invoice is not connected (World wires it)")


class SalesTeam(Seats):
    """The AEs (seats with open-opportunity slots: ``sim.world.seats``) and their opportunities."""

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        book: Book,
        ledger: Ledger,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
        facts: PlanFacts,
        deal_terms: DealTerms,
        organisations: Organisations,
    ) -> None:
        c = company
        b = behaviour.ae
        r = c.reps
        self.book = book
        self.ledger = ledger
        self.choices = choices
        self.company = company
        self.behaviour = behaviour
        self.facts = facts
        self.orgs = organisations
        super().__init__(
            staff,
            clock,
            choices.attrition,
            "ae",
            r.headcount,
            r.max_open_opportunities,
            r.ramp_months * 30.4375,
            r.annual_attrition,
            r.backfill_days,
        )
        self.deal_terms = deal_terms
        self.terms = deal_terms.terms
        self.opportunities_opened = 0
        self.leads_lost = 0
        """Leads no rep had a free slot for."""
        self.won: Callable[[Opportunity], int] = _not_connected
        """A won deal becomes a customer (``Customers.won``)."""
        self.invoice: Callable[[int, int, int, int], None] = _no_invoice
        """Bill a deal: (customer, cents, deal, 1 new / 2 expansion) (``Customers.invoice``)."""
        self.reference: Callable[[int], float] | None = None
        """Log-odds a closing new-logo deal of a segment gains from a reference (``Advocacy.use``);
        None: references do not change win odds."""
        self.opened: Callable[[int, float, float], None] = lambda segment, now, days: None
        """Told of each opportunity opened: (segment, day, days to its natural close) (cost drivers)."""
        self.on_meeting: Callable[[Lead, bool], None] | None = None
        """Told, after each triage, whether each lead an SDR handed over was taken up (``sim.world.sdrs``)."""
        self._inbox: list[Lead] = []
        self._deciding: dict[int, list[Timing]] = {}
        """Close-timing decisions by the business day they are taken."""
        self._expanding: dict[int, list[tuple[float, int, str, int, float, float, float]]] = {}
        """Expansion deals by the business day they close: (close day, customer, kind, ACV cents, p, u,
        the terms' u)."""
        self.forecasts: ForecastCommits | None = None
        """The AEs' forecast commits, told of every booking credited to an AE (``sim/world/forecasts.py``)."""
        self.stuffing: ExpansionTerms | None = None
        """The credited person's over-commitment choice on expansion deals (``sim/world/stuffing.py``)."""
        self._min_fit = b.neutral_pursue_min_fit
        n_terms = len(self.terms)
        self._pursue_rows = np.array([-1, self.deal_terms.neutral], dtype=np.int64)
        """A pursued lead is the deal on the neutral terms; skipping it is no deal."""
        self._pursue_effort = np.array([0.0, b.effort_cost_kusd_per_opportunity])
        self._pursue_labels = (
            Option("skip", (), 0.0, 0.0),
            Option("pursue", (), b.effort_cost_kusd_per_opportunity, 1.0),
        )
        self._fixed_cycle = c.deals.cycle_distribution == "fixed"
        self._cycle_shape = c.deals.cycle_shape
        self._term_rows = np.arange(n_terms, dtype=np.int64)
        self._no_effort = np.zeros(n_terms)
        self._two = np.arange(2, dtype=np.int64)
        self._two_effort = np.zeros(2)

    # ------------------------------------------------------------------ the business day
    def receive(self, lead: Lead) -> None:
        """A lead for the AEs (from the market or an SDR's meeting): triaged at the next business day."""
        self._inbox.append(lead)

    def day(self, day: int) -> None:
        """The business day ``day`` (now): the triage of the leads received, then the close-timing
        decisions due today."""
        if self._inbox:
            leads, self._inbox = self._inbox, []
            self._triage(day, leads)
        if day in self._deciding:
            self._decide_timing(day)
        if self.stuffing is not None:
            self.stuffing.due(day, self._expand)
        if day in self._expanding:
            for _, cust, kind, cents, p_win, u, ut in sorted(self._expanding.pop(day), key=lambda x: x[0]):
                self.expansion_deal(cust, kind, cents, p_win, u, ut)

    def _triage(self, day: int, leads: list[Lead]) -> None:
        """Assign the day's leads to reps, then the pursue and deal-terms decisions of all of them."""
        orgs = self.orgs
        kept: list[Lead] = []
        seats: list[int] = []
        free = self.free
        for lead in leads:
            best = lead.owner if lead.owner >= 0 else (int(free.argmax()) if len(free) else -1)
            if best < 0 or free[best] <= 0:
                self.leads_lost += 1
                orgs.reject(lead)  # finite market: the organisation cools off
                continue
            self.open[best] += 1
            self._refresh(best)
            kept.append(lead)
            seats.append(best)
        taken = [False] * len(kept)
        if kept:
            aes = [self.person[s] for s in seats]
            persons = np.array(aes, dtype=np.int64)
            cols = LeadColumns.of(kept)
            logits = self.deal_terms.lead_logits(cols)
            tables = self.deal_terms.lead_tables(cols, persons, float(day), logits)
            attrs = cols.attrs()
            fits = attrs["fit"]
            every = np.arange(len(kept), dtype=np.int64)
            ask = DecisionBatch(
                "pursue", tables, every, self._pursue_rows, self._pursue_effort,
                (fits >= self._min_fit).astype(np.int64), self._pursue_labels, attrs,
            )  # fmt: skip
            pursue = self.choices.many(ask, np.array([x.u[U_PURSUE] for x in kept]))
            picks = pursue.tolist()  # a day's few leads: lists cost less than numpy's nonzero
            pursued = [i for i, k in enumerate(picks) if k == 1]
            chosen = np.array(pursued, dtype=np.int64)
            for i in [i for i, k in enumerate(picks) if k != 1]:
                self.open[seats[i]] -= 1
                self._refresh(seats[i])
                orgs.reject(kept[i])  # finite market: the organisation cools off
            if pursued:
                ask = DecisionBatch(
                    "deal_terms", tables, chosen, self._term_rows, self._no_effort,
                    np.full(len(chosen), self.deal_terms.neutral, dtype=np.int64), self.deal_terms.labels,
                    attrs,
                )  # fmt: skip
                terms = self.choices.many(ask, np.array([kept[i].u[U_TERMS] for i in pursued]))
                logit = logits.tolist()
                for i, k in zip(pursued, terms.tolist(), strict=True):
                    self._open(day, kept[i], seats[i], aes[i], k, logit[i])
                    taken[i] = True
        if self.on_meeting is not None:
            worked = dict(zip(map(id, kept), taken, strict=True))
            for lead in leads:
                if lead.sdr >= 0:
                    self.on_meeting(lead, worked.get(id(lead), False))

    def _open(self, day: int, lead: Lead, seat: int, ae: int, k: int, logit: float) -> None:
        """An opportunity on term option ``k`` (``logit``: the lead's win log-odds before its terms):
        its natural close, and a close-timing decision when that close falls within two weeks either
        side of a quarter end."""
        now = float(day)
        t = self.terms[k]
        cycle_mean = self.deal_terms.cycle_means[lead.segment][lead.source]
        natural = now + (cycle_mean if self._fixed_cycle else lead.cycle_std * cycle_mean / self._cycle_shape)
        wd = self.clock.workdays
        if wd is not None and self.company.deals.cycle_days == "calendar":
            # calendar days, rolled to a working day
            natural = wd.next_working(ae, natural)
        elif wd is not None:  # the cycle advances on the AE's working days; the close falls in one
            natural = wd.cycle_end(ae, now, natural - now)
        p_win = sigmoid(logit + t.log_odds)
        opp = Opportunity(
            lead, seat, ae, t.discount, t.promise, t.overcommit, p_win, now + cycle_mean, natural, now, k
        )
        self.opportunities_opened += 1
        self.opened(lead.segment, now, natural - now)
        # close timing: decided two weeks before the quarter end, when the rep knows where they
        # stand (Oyer 1998; Larkin 2014), for deals whose natural close falls within two weeks
        # either side of that quarter end; a close after the horizon has no timing choice
        timing = self._timing_choice(opp, now, cycle_mean) if natural < self.clock.end_day else None
        if timing is None:
            self._schedule_close(opp)
        else:
            self._deciding.setdefault(int(timing[0]), []).append(timing[1])

    def _timing_choice(self, opp: Opportunity, now: float, cycle_mean: float) -> tuple[float, Timing] | None:
        """The day of the close-timing decision and its alternative, or None (no choice). The window
        around a quarter end is the larger of two weeks and ``timing_window_cycle_share`` of the deal's
        mean cycle (10 working days and that share of the cycle in working days with a calendar)."""
        natural, discount = opp.close_day, opp.discount
        wd = self.clock.workdays
        q_start, q_end = self.clock.quarter_bounds(natural)
        b = self.behaviour.ae
        pull = min(discount + b.pull_in_discount, 0.95)
        reach = b.timing_window_cycle_share * cycle_mean
        if wd is not None:  # the windows in working days (sim/time/workdays.py)
            k = max(wd.cfg.period_end_working_days, round(reach * wd.week_share))
            late = wd.window_start(q_end, k)
            if natural >= late:  # a push closes on the AE's first working day of the next quarter
                push = wd.next_working(opp.ae, wd.window_end(q_end, 1) - 1.0)
                return max(now, late), Timing(opp, "push", push, discount)
            if natural < wd.window_end(q_start, k):  # a pull-in on their last working day before it
                pull_day = wd.last_working_before(opp.ae, q_start)
                if pull_day > now:
                    return max(now, wd.window_start(q_start, k)), Timing(opp, "pull_in", pull_day, pull)
            return None
        window = max(WINDOW_DAYS, reach)
        if natural >= q_end - window:
            return max(now, q_end - window), Timing(opp, "push", q_end + 1.0, discount)
        if natural < q_start + window and q_start - 1.0 > now:
            return max(now, q_start - window), Timing(opp, "pull_in", q_start - 1.0, pull)
        return None

    def _decide_timing(self, day: int) -> None:
        """The close-timing decisions due today, all pushes at once and all pull-ins at once."""
        now = float(day)
        groups: dict[str, list[Timing]] = {"push": [], "pull_in": []}
        for tm in self._deciding.pop(day):
            opp = tm.opp
            if self.person[opp.seat] != opp.ae or not self.active[opp.seat]:
                self._schedule_close(opp)  # the rep left; the close drops the opportunity
            else:
                groups[tm.alternative].append(tm)
        for alternative, due in groups.items():
            if due:
                self._time_closes(now, alternative, due)

    def _time_closes(self, now: float, alternative: str, due: list[Timing]) -> None:
        dt = self.deal_terms
        b = self.behaviour.ae
        n = len(due)
        leads = [tm.opp.lead for tm in due]
        terms = [tm.opp.term for tm in due]
        cols = LeadColumns.of(leads)
        cols_of: list[tuple[float, float, float, float, float, float, float]] = []
        bases = dt.lead_logits(cols).tolist()
        for tm, base in zip(due, bases, strict=True):  # a row per deal in Python; the columns at once below
            opp = tm.opp
            t = self.terms[opp.term]
            shift = t.promise * b.win_odds_per_promise + t.overcommit * b.win_odds_per_overcommit
            cols_of.append((
                opp.discount, tm.alternative_discount,
                max(opp.close_day - now, 0.0), max(tm.alternative_day - now, 0.0),
                sigmoid(base + opp.discount * b.win_odds_per_discount + shift),
                sigmoid(base + tm.alternative_discount * b.win_odds_per_discount + shift),
                tm.alternative_day - opp.close_day,
            ))  # fmt: skip
        table = np.array(cols_of, dtype=np.float64).reshape(n, 7)
        discounts, delays, p_wins = (np.ascontiguousarray(table[:, j : j + 2]) for j in (0, 2, 4))
        values = np.zeros((n, 2))
        values[:, 1] = table[:, 6]
        persons = np.array([tm.opp.ae for tm in due], dtype=np.int64)
        pulled = alternative == "pull_in"
        tables = dt.timing_tables(cols, terms, persons, now, discounts, delays, p_wins, pulled)
        attrs = cols.attrs()
        attrs["natural_close_day"] = np.array([tm.opp.close_day for tm in due])
        attrs["alternative_close_day"] = np.array([tm.alternative_day for tm in due])
        labels = (Option("as_is", (), 0.0, 0.0), Option(alternative, (), 0.0, 0.0))
        ask = DecisionBatch(
            "close_timing", tables, np.arange(n, dtype=np.int64), self._two, self._two_effort,
            np.zeros(n, dtype=np.int64), labels, attrs, values,
        )  # fmt: skip
        chosen = self.choices.many(ask, np.array([x.u[U_TIMING] for x in leads]))
        for i, j in enumerate(chosen.tolist()):
            opp = due[i].opp
            if j == 1:
                opp.discount = cols_of[i][1]
                opp.close_day = due[i].alternative_day
            opp.p_win = cols_of[i][4 + j]
            self._schedule_close(opp)

    def _schedule_close(self, opp: Opportunity) -> None:
        """The deal closes at its close day (never before now)."""
        env = self.clock.env
        env.call_later(max(opp.close_day - env.now, 0.0), self._close, opp)

    def _close(self, opp: Opportunity) -> None:
        orgs = self.orgs
        if self.person[opp.seat] != opp.ae:
            orgs.reject(opp.lead)  # finite market: the organisation cools off
            return  # the rep left and was replaced; the opportunity was lost
        self.open[opp.seat] -= 1
        self._refresh(opp.seat)
        p_win = opp.p_win
        if self.reference is not None and self.active[opp.seat]:
            p_win = with_odds(p_win, self.reference(opp.lead.segment))
        if not self.active[opp.seat] or opp.lead.u[U_WIN] >= p_win:
            orgs.reject(opp.lead)  # the rep left (the opportunity is lost), or the deal was lost
            return
        cust = self.won(opp)
        if self.forecasts is not None:
            self.forecasts.add(opp.seat, float(self.book.arr_cents[cust]) / 100.0)

    # ------------------------------------------------------------------ expansion deals
    def expansion_later(
        self, day: float, cust: int, kind: str, acv_cents: int, p_win: float, u: float, u_terms: float = 0.5,
        u_timing: float = 0.5,
    ) -> None:  # fmt: skip
        """An upsell/cross-sell opportunity that closes on ``day``'s business day (won when ``u < p_win``),
        unless the credited person may move its close first (``ExpansionTerms.defer``)."""
        deal = (day, cust, kind, acv_cents, p_win, u, u_terms)
        if self.stuffing is not None and self.stuffing.defer(deal, u_timing):
            return
        self._expand(deal)

    def _expand(self, deal: tuple[float, int, str, int, float, float, float]) -> None:
        if deal[0] < self.clock.end_day:
            self._expanding.setdefault(int(deal[0]), []).append(deal)

    def expansion_deal(
        self, cust: int, kind: str, acv_cents: int, p_win: float, u: float, u_terms: float = 0.5
    ) -> None:
        """An upsell/cross-sell opportunity on an account closes now (won when ``u < p_win``; booked
        with the credited person's over-commitment when they have the choice)."""
        book = self.book
        if book.status[cust] not in (IMPLEMENTING, LIVE) or u >= p_win or acv_cents <= 0:
            return
        need = acv_cents
        st = self.stuffing
        if st is not None and st.on[kind]:
            k = st.choose(cust, kind, acv_cents / 100.0, p_win, u_terms)
            if not st.won(k, p_win, u):
                return
            acv_cents = st.book_it(cust, k, acv_cents)
        led = self.ledger
        deal = led.new_deal_id()
        now = self.clock.env.now
        credited = self.facts.credited(kind)
        ae = int(book.ae[cust])
        csm = int(book.csm[cust])
        seg = int(book.segment[cust])
        amount = acv_cents / 100.0
        src = 1 + int(book.source[cust])
        code = CREDITED_CODE[credited]
        term = int(book.term_months[cust])
        led.add(
            K.booking, now, amount, cust, deal, ae, csm, segment=seg, deal_kind=DEAL_KIND_CODE[kind],
            source=src, list_price=need / 100.0, term_months=term, credited=code, forecast_day=now,
        )  # fmt: skip
        led.add(
            K.arr_upsell if kind == "upsell" else K.arr_cross_sell, now, amount, cust, deal, ae, csm,
            segment=seg, deal_kind=DEAL_KIND_CODE[kind], source=src, credited=code,
        )  # fmt: skip
        book.arr_cents[cust] += acv_cents
        book.list_arr_cents[cust] += acv_cents
        self.invoice(cust, acv_cents, deal, 2)
        if self.forecasts is not None and "ae" in credited and ae in self.person:
            self.forecasts.add(self.person.index(ae), amount * self.facts.share(kind, "ae"))

    # ------------------------------------------------------------------ people
    def _seat_refilled(self, old: int, new: int) -> None:
        """The replacement inherits the departed AE's accounts."""
        book = self.book
        ae = book.ae[: book.n]
        ae[ae == old] = new
