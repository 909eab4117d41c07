"""Advocacy: what a budget buys, what references do for new deals, and what champions bring back.

* **Budget** (``plans[].<role>.budget_annual_usd``, per person a year; ``company.advocacy``). A
  CSM's budget is spent on the accounts of the CSM's book (reference calls, customer dinners,
  events, referral asks): with ``s`` dollars per account a year the account's reference and
  referral rates are multiplied by ``1 + budget_max_lift x (1 - exp(-s / budget_usd_per_account))``
  (diminishing returns: Simon and Arndt 1980 found advertising response concave from the first
  dollar). A customer-marketing budget is spent over the whole book the same way. The spend is a
  cost of the plan (``advocacy_spend_usd``).
* **References** (``reference_win_odds``). Every ``reference`` event adds ``deals_per_reference``
  uses to its segment's reference bank, each usable for ``reference_shelf_months``; a new-logo
  deal that closes while its segment's bank has a use takes one (oldest first) and wins with log-odds
  raised by ``reference_win_odds``.
* **Champions** (``champion_relationship``). A champion who moves brings a warm lead with
  probability ``warm_lead_probability x (1 + champion_relationship x (a - 1))`` (clipped to 0..1),
  ``a`` the account's advocacy multiplier relative to the neutral split (the CSM's time on advocacy
  and the budget's lift): a relationship kept warm travels with the champion.

Every piece is off by default (no budget, zero odds and relationship): the world is then the model
without it.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_MONTH
from sim.world.book import Book
from sim.world.services import Clock, PlanFacts


class Advocacy:
    """Budget lifts, the reference banks and the champions' relationship (see the module docstring)."""

    def __init__(self, clock: Clock, book: Book, company: Company, facts: PlanFacts) -> None:
        self.clock = clock
        self.book = book
        self.company = company
        self.csm_budget = facts.budget("csm")
        """Advocacy budget per CSM a year."""
        self.programme_budget = facts.budget("customer_marketing")
        """Programme budget per customer marketer a year."""
        self.bank: list[deque[list[float]]] = [deque() for _ in range(3)]
        """Per segment: [expiry day, uses left] of the references given, oldest first."""
        self.used = 0
        """New-logo deals won or lost with a reference used on them, in the measured window."""

    @property
    def references_on(self) -> bool:
        """Whether references change win odds."""
        return self.company.advocacy.reference_win_odds != 0.0

    def lift(self, spend_per_account: np.ndarray | float) -> np.ndarray:
        """Multiplier of reference and referral rates bought by ``spend_per_account`` a year."""
        a = self.company.advocacy
        s = np.asarray(spend_per_account, dtype=float)
        return np.asarray(1.0 + a.budget_max_lift * (1.0 - np.exp(-s / a.budget_usd_per_account)))

    def csm_lift(self, accounts_per_csm: np.ndarray) -> np.ndarray | None:
        """Per CSM, the lift its budget buys over its book (None without a CSM budget)."""
        if self.csm_budget <= 0:
            return None
        return self.lift(self.csm_budget / np.maximum(accounts_per_csm, 1))

    def programme_lift(self, marketers: int, accounts: int) -> float:
        """The lift a customer-marketing budget buys over the whole book (1 without one)."""
        if self.programme_budget <= 0 or marketers <= 0:
            return 1.0
        return float(self.lift(self.programme_budget * marketers / max(accounts, 1)))

    def spend_per_year(self, csms: int, marketers: int) -> float:
        """Advocacy and programme budgets spent a year."""
        return self.csm_budget * csms + self.programme_budget * marketers

    def warm_probability(self, relative_advocacy: np.ndarray) -> np.ndarray | float:
        """Warm-lead probability of moving champions given their accounts' advocacy attention."""
        ch, a = self.company.champions, self.company.advocacy
        if a.champion_relationship <= 0:
            return ch.warm_lead_probability
        p = ch.warm_lead_probability * (1.0 + a.champion_relationship * (relative_advocacy - 1.0))
        return np.clip(p, 0.0, 1.0)

    def given(self, segments: np.ndarray) -> None:
        """References given now, one entry per reference (its account's segment)."""
        if not self.references_on or not len(segments):
            return
        a = self.company.advocacy
        expiry = float(self.clock.env.now) + a.reference_shelf_months * DAYS_PER_MONTH
        for s, n in zip(*np.unique(segments, return_counts=True), strict=True):
            self.bank[int(s)].append([expiry, float(n) * a.deals_per_reference])

    def use(self, segment: int) -> float:
        """Log-odds a new-logo deal of ``segment`` closing now gains from a reference (0: none left)."""
        if not self.references_on:
            return 0.0
        now = float(self.clock.env.now)
        bank = self.bank[segment]
        while bank and (bank[0][0] <= now or bank[0][1] < 1.0 - 1e-9):
            bank.popleft()
        if not bank:
            return 0.0
        bank[0][1] -= 1.0
        if now >= self.clock.measure_start:
            self.used += 1
        return self.company.advocacy.reference_win_odds


def with_odds(p: float, log_odds: float) -> float:
    """``p`` with ``log_odds`` added to its log-odds."""
    if log_odds == 0.0 or p <= 0.0 or p >= 1.0:
        return p
    return 1.0 / (1.0 + math.exp(-(math.log(p / (1.0 - p)) + log_odds)))
