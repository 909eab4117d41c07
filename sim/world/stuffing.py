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
"""

from __future__ import annotations

import numpy as np

from sim.policy.decisions import Decision, Option, OptionTable, OutcomeColumn
from sim.policy.lazy import table_options
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.world.advocacy import with_odds
from sim.world.book import Book
from sim.world.rules import renewal_churn_probability
from sim.world.services import Choices, Clock, PlanFacts, Segments

KINDS = ("upsell", "cross_sell")


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
        """Per kind, whether the credited person has a choice that their pay can move."""

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
