"""Over-commitment on expansion deals ("licence stuffing"): the credited person's choice at the close.

A won upsell or cross-sell deal of ``S`` (the licences the customer needs) may be booked with
over-commitment ``o`` (``behaviour.ae.expansion_overcommit_options``; neutral and win odds as for
new-business deal terms): ACV ``S (1 + o)``, won with the log-odds shifted by
``o x win_odds_per_overcommit`` (the customer pushes back), its invoice unpaid with probability
``non_payment_probability + non_payment_per_overcommit x o`` (a customer who refuses to pay
cancels, as for a new deal), and the customer's use unchanged, so the shelfware is trued down at
the next renewal (a contraction).
Whoever the crediting rules name decides (the AE when credited, else the CSM), valuing each option
with their own plan (``Decision`` ``expansion_terms``); a person whose plan pays on nothing the
deal credits books what the customer needs, without being asked.

With ``behaviour.ae.expansion_timing`` the credited person may also move a close across a quarter
end as AEs time new deals (:meth:`ExpansionTerms.timing`): pull a deal closing in the first two
weeks of a quarter to the day before it at ``pull_in_discount`` off its ACV, or push one closing
in the last two weeks past the quarter end (Decision ``expansion_timing``; calendar days only).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.policy.decisions import Decision, Option, OptionTable, OutcomeColumn
from sim.policy.lazy import table_options
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.world.advocacy import with_odds
from sim.world.book import Book
from sim.world.deal_terms import WINDOW_DAYS
from sim.world.rules import renewal_churn_probability
from sim.world.services import Choices, Clock, PlanFacts, Segments

KINDS = ("upsell", "cross_sell")
Deal = tuple[float, int, str, int, float, float, float]
"""An expansion deal waiting to close: (close day, customer, kind, ACV cents, p, u, terms' u)."""


class ExpansionTerms:
    """The over-commitment options of expansion deals and the credited person's choice."""

    def __init__(
        self,
        book: Book,
        clock: Clock,
        segments: Segments,
        company: Company,
        behaviour: Behaviour,
        choices: Choices,
        facts: PlanFacts,
    ) -> None:
        self.book = book
        self.clock = clock
        self.segments = segments
        self.company = company
        self.choices = choices
        self.facts = facts
        b = behaviour.ae
        self.options = np.array(b.expansion_overcommit_options or [0.0], dtype=float)
        self.neutral = int(np.argmin(np.abs(self.options - b.neutral_overcommit)))
        self.odds = self.options * b.win_odds_per_overcommit
        self.labels = tuple(Option(f"overcommit {o:g}", (), 0.0, o) for o in self.options.tolist())
        self.decider: dict[str, str | None] = {}
        self.measures: dict[str, tuple[str, ...]] = {}
        for kind in KINDS:
            credited = facts.credited(kind)
            role = "ae" if "ae" in credited else ("csm" if "csm" in credited else None)
            paid = choices.measures(role) if role is not None else ()
            self.decider[kind] = role
            self.measures[kind] = tuple(
                m for m in ("bookings_acv", f"{kind}_acv", "net_new_arr") if m in paid
            )
        self.on = {kind: len(self.options) > 1 and bool(self.measures[kind]) for kind in KINDS}
        """Per kind, whether the credited person has an over-commitment choice their pay can move."""
        self.timing_on = {
            kind: b.expansion_timing and bool(self.measures[kind]) and clock.workdays is None
            for kind in KINDS
        }
        """Per kind, whether the credited person may move the close across a quarter end (calendar
        days only: with working days the choice is off)."""
        self.pull_in = b.pull_in_discount
        self._pending: dict[int, list[tuple[Deal, float, float, bool]]] = {}
        """Deals held for their close-timing choice, by the business day it is due."""
        self._two = tuple(Option(x, (), 0.0, 0.0) for x in ("as_is", "moved"))

    def choose(self, cust: int, kind: str, need_usd: float, p_win: float, u: float) -> int:
        """The over-commitment option of a deal of ``need_usd`` the neutral terms would win
        (``p_win``: its win probability; ``u``: the decision's uniform)."""
        if not self.on[kind]:
            return self.neutral
        role = self.decider[kind]
        book = self.book
        person = int(book.ae[cust]) if role == "ae" else int(book.csm[cust])
        if role is None or person < 0:
            return self.neutral
        table = self._table(cust, kind, role, need_usd, p_win)
        d = Decision(
            "expansion_terms", float(self.clock.env.now), role, person,
            table_options(lambda: table, self.labels), self.neutral,
            {"customer": float(cust), "upsell": float(kind == "upsell")}, table,
        )  # fmt: skip
        return self.choices.one(d, u)

    def defer(self, deal: Deal, u: float) -> bool:
        """Hold ``deal`` (close day, customer, kind, ACV cents, p, u, terms' u) for a close-timing
        choice when its credited person has one (True), with ``u`` the choice's uniform."""
        close, kind = deal[0], deal[2]
        timing = self.timing(float(self.clock.env.now), close) if self.timing_on[kind] else None
        if timing is None:
            return False
        self._pending.setdefault(int(timing[0]), []).append((deal, u, timing[1], timing[2]))
        return True

    def due(self, day: int, expand: Callable[[Deal], None]) -> None:
        """The close-timing choices due on business day ``day``: each deal, moved or not, to ``expand``."""
        for deal, u, other, pulled in self._pending.pop(day, ()):
            close, cust, kind, cents = deal[0], deal[1], deal[2], deal[3]
            if self.choose_timing(cust, kind, cents / 100.0, close, other, pulled, u):
                cents = round(cents * (1.0 - self.pull_in)) if pulled else cents
                deal = (other, cust, kind, cents, deal[4], deal[5], deal[6])
            expand(deal)

    def timing(self, now: float, close: float) -> tuple[float, float, bool] | None:
        """The day a close-timing choice is made for a deal closing on ``close``, the day it would
        close instead and whether that is a pull-in (None: no choice), as for new deals: within two
        weeks before a quarter end it may be pushed past it, within two weeks after a quarter start
        pulled to the day before it (``SalesTeam._timing_choice``)."""
        q_start, q_end = self.clock.quarter_bounds(close)
        if close >= q_end - WINDOW_DAYS:
            return max(now, q_end - WINDOW_DAYS), q_end + 1.0, False
        if close < q_start + WINDOW_DAYS and q_start - 1.0 > now:
            return max(now, q_start - WINDOW_DAYS), q_start - 1.0, True
        return None

    def choose_timing(
        self, cust: int, kind: str, need_usd: float, close: float, other: float, pulled: bool, u: float
    ) -> bool:
        """Whether the credited person moves the deal of ``need_usd`` from ``close`` to ``other``
        (a pull-in at ``pull_in_discount`` off its ACV)."""
        role = self.decider[kind]
        book = self.book
        person = int(book.ae[cust]) if role == "ae" else int(book.csm[cust])
        if role is None or person < 0:
            return False
        now = float(self.clock.env.now)
        share = self.facts.share(kind, role)
        amount = np.array([need_usd, need_usd * (1.0 - self.pull_in if pulled else 1.0)]) * share
        delay = np.array([max(close - now, 0.0), max(other - now, 0.0)])
        cc = self.company.customers
        cols = tuple(
            OutcomeColumn.build(
                m, 2, amount=amount, delay_days=delay, non_payment_probability=cc.non_payment_probability
            )
            for m in self.measures[kind]
        )
        table = OptionTable(cols, np.zeros(2))
        d = Decision(
            "expansion_timing", now, role, person, table_options(lambda: table, self._two), 0,
            {"customer": float(cust), "pull_in": float(pulled)}, table,
        )  # fmt: skip
        return self.choices.one(d, u) == 1

    def won(self, k: int, p_win: float, u_win: float) -> bool:
        """Whether the deal is won at option ``k`` (the same draw ``u_win`` as at the neutral terms)."""
        if k == self.neutral:
            return u_win < p_win
        return u_win < with_odds(p_win, float(self.odds[k] - self.odds[self.neutral]))

    def book_it(self, cust: int, k: int, need_cents: int) -> int:
        """ACV cents booked at option ``k`` for ``need_cents`` of licences needed; the customer's use
        stays what it was plus the need, so the rest is trued down at renewal."""
        o = float(self.options[k])
        if o == 0.0:
            return need_cents
        book = self.book
        cents = round(need_cents * (1.0 + o))
        old = float(book.arr_cents[cust])
        book.usage[cust] = book.usage[cust] * (old + need_cents) / max(old + cents, 1.0)
        book.stuffed[cust] = o
        return cents

    def _table(self, cust: int, kind: str, role: str, need: float, p_win: float) -> OptionTable:
        """What each option credits the decider: the deal's ACV (their share of it) if it is still
        won, with the non-payment and churn risks a clawback prices; a CSM's net new ARR loses the
        shelfware at the renewal, an AE's does not (renewals are not sales)."""
        book = self.book
        cc = self.company.customers
        seg = self.segments.seg[int(book.segment[cust])]
        o = self.options
        n = len(o)
        shifted = [with_odds(p_win, float(x - self.odds[self.neutral])) for x in self.odds.tolist()]
        keep = np.minimum(np.array(shifted) / max(p_win, 1e-12), 1.0)
        nonpay = cc.non_payment_probability + cc.non_payment_per_overcommit * o
        churn = float(
            renewal_churn_probability(
                seg.annual_churn, float(book.term_months[cust]), float(book.health[cust]), 0.0,
                cc.renewal_health_sensitivity, cc.renewal_price_sensitivity,
            )
        )  # fmt: skip
        share = self.facts.share(kind, role)
        cols = []
        for m in self.measures[kind]:
            booked = need * (1.0 + o) if (m != "net_new_arr" or role == "ae") else np.full(n, need)
            cols.append(
                OutcomeColumn.build(
                    m, n, amount=booked * share, probability=keep,
                    non_payment_probability=nonpay, churn_probability=churn,
                    term_months=int(book.term_months[cust]),
                )
            )  # fmt: skip
        return OptionTable(tuple(cols), np.zeros(n))
