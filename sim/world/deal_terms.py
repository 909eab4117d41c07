"""Deal terms, and what a deal on given terms would credit its AE: the options of a lead's decisions.

A rep chooses a lead's terms among the joint options discount x promise x overcommitment
(``behaviour.ae``); each shifts the win log-odds by

    discount * win_odds_per_discount + promise * win_odds_per_promise + overcommit * win_odds_per_overcommit

on top of the lead's own ``logit(base_win_rate) + win_odds_per_fit * (fit - mean_fit) + source odds``.
:class:`DealTerms` holds the options and builds, for a whole day's leads at once, the table of
what each option would credit the AE in plan-measure vocabulary (expected from the true model:
win probability, go-live, the implementation's success, the first renewal, cash;
:func:`sim.world.deal_outlook.fill`), and the two-option tables of close-timing decisions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from sim.policy.batch import OptionTables
from sim.policy.decisions import FIELDS, ROW, Option, OutcomeColumn
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.world.billing import cash_outlook
from sim.world.deal_outlook import CREDIT_OF, fill_leads, fill_timing
from sim.world.lead import LeadColumns
from sim.world.rules import HealthRules, renewal_churn_probability, renewal_price_increase
from sim.world.services import Segments

WINDOW_DAYS = 14.0
"""Close-timing window: the last two weeks of a quarter and the first two of the next (new deals,
``sim/world/reps.py``, and expansion deals, ``sim/world/stuffing.py``)."""
FIT_GRID = 200
"""Resolution of the fit grid on which deal-outcome expectations are cached."""


def logit(p: float) -> float:
    """``log(p / (1 - p))``, with ``p`` kept inside (0, 1)."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    """``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + math.exp(-x))


def _nearest(options: list[float], target: float) -> float:
    return min(options, key=lambda v: abs(v - target)) if options else target


def _not_connected(*_: object) -> NoReturn:
    raise RuntimeError("DealTerms.go_live_all is not connected (World wires it)")


@dataclass(slots=True)
class TermOption:
    """One joint deal-terms option and its win log-odds shift."""

    discount: float
    promise: float
    overcommit: float
    log_odds: float
    label: str


class DealTerms:
    """The deal-terms options of the scenario's AEs and the option tables built from them."""

    def __init__(
        self,
        segments: Segments,
        company: Company,
        behaviour: Behaviour,
        rules: HealthRules,
        measures: tuple[str, ...],
    ) -> None:
        self.segments = segments
        self.company = company
        self.behaviour = behaviour
        self.rules = rules
        self.go_live_all: Callable[[float], np.ndarray] = _not_connected
        """Expected days from booking to go-live of every segment (index: segment) at a speed
        (``ImplementationTeam.expected_days_all``)."""
        c = company
        b = behaviour.ae
        self.neutral_terms = (
            _nearest(list(b.discount_options), b.neutral_discount),
            _nearest(list(b.promise_options), b.neutral_promise),
            _nearest(list(b.overcommit_options), b.neutral_overcommit),
        )
        """The (discount, promise, overcommitment) on offer nearest the neutral ones."""
        self.terms: list[TermOption] = [
            TermOption(
                d,
                p,
                o,
                d * b.win_odds_per_discount + p * b.win_odds_per_promise + o * b.win_odds_per_overcommit,
                f"discount {d:g} promise {p:g} overcommit {o:g}",
            )
            for d in b.discount_options or [0.0]
            for p in b.promise_options or [0.0]
            for o in b.overcommit_options or [0.0]
        ]
        self.discount = np.array([t.discount for t in self.terms])
        self.promise = np.array([t.promise for t in self.terms])
        self.overcommit = np.array([t.overcommit for t in self.terms])
        self.log_odds = np.array([t.log_odds for t in self.terms])
        nd = self.neutral_terms
        self.neutral = int(
            np.argmin(
                [
                    abs(t.discount - nd[0]) * 100 + abs(t.promise - nd[1]) * 10 + abs(t.overcommit - nd[2])
                    for t in self.terms
                ]
            )
        )
        """The term option a rep who ignores incentives offers."""
        seg_list = segments.seg
        self.base_logit = [logit(s.base_win_rate) for s in seg_list]
        dd = c.deals
        self.source_odds = [0.0, 0.0, dd.referral_win_odds, dd.champion_win_odds]
        self.source_cycle = [1.0, 1.0, dd.referral_cycle_multiplier, dd.champion_cycle_multiplier]
        self._base_logit = np.array(self.base_logit)
        self._mean_fit = np.array([s.mean_fit for s in seg_list])
        self._source_odds = np.array(self.source_odds)
        self.cycle_means = [[s.sales_cycle_days * m for m in self.source_cycle] for s in seg_list]
        """Mean sales cycle in days by segment and source (:meth:`cycle_mean`)."""
        self._cycle_means = np.array(self.cycle_means)
        cust = c.customers
        self._nonpay = cust.non_payment_probability + cust.non_payment_per_overcommit * self.overcommit
        cash = [cash_outlook(c.billing, s.contract_term_months) for s in seg_list]
        self._cash_lag = np.array([x[0] for x in cash])
        self._cash_spread = np.array([x[1] for x in cash])
        self._cash_share = np.array([x[2] for x in cash])
        self._renewal_delay = np.array([s.contract_term_months * 30.4375 for s in seg_list])
        grid = np.arange(FIT_GRID + 1) / FIT_GRID
        pulled = np.minimum(self.discount + b.pull_in_discount, 0.95)
        codes = range(len(seg_list))
        self._full_base = np.stack(
            [self._base_data(s, grid, self.discount, self.promise, self._nonpay) for s in codes]
        )
        """Base data of the full table of terms (``[segment, fit grid point, field, option]``; the fit
        enters as the nearest grid point, far below the noise of any decision)."""
        self._pulled_base = np.stack(
            [self._base_data(s, grid, pulled, self.promise, self._nonpay) for s in codes]
        )
        """The same terms pulled in (the extra discount of a pull-in)."""
        self.measures = tuple(m for m in measures if m in CREDIT_OF)
        """The measures a deal credits that the AE's plan pays on: the columns of a terms table."""
        self._credits = np.array([CREDIT_OF[m] for m in self.measures], dtype=np.int64)
        self.labels = tuple(Option(t.label, (), 0.0, t.discount) for t in self.terms)
        """The term options as labels (their value: the discount)."""

    # ------------------------------------------------------------------ the win model
    def lead_logit(self, segment: int, fit: float, source: int) -> float:
        """Win log-odds of a lead before its terms."""
        return (
            self.base_logit[segment]
            + self.company.deals.win_odds_per_fit * (fit - self.segments.seg[segment].mean_fit)
            + self.source_odds[source]
        )

    def cycle_mean(self, segment: int, source: int) -> float:
        """Mean sales cycle in days of a lead of this segment and source."""
        return self.cycle_means[segment][source]

    def expected_win(
        self, segment: int, fit: float, source: int, discount: float, promise: float, overcommit: float
    ) -> float:
        """Win probability of a lead under given terms (the formula in the module docstring)."""
        b = self.behaviour.ae
        return sigmoid(
            self.lead_logit(segment, fit, source)
            + discount * b.win_odds_per_discount
            + promise * b.win_odds_per_promise
            + overcommit * b.win_odds_per_overcommit
        )

    def neutral_outlook(self, segment: int, fit: float) -> tuple[float, float]:
        """(implementation success probability, first-renewal churn probability) of a deal on the
        neutral terms (for an SDR valuing a meeting)."""
        col = self._full_base[segment, round(fit * FIT_GRID)][:, self.neutral]
        return float(col[ROW["success_probability"]]), float(col[ROW["churn_probability"]])

    # ------------------------------------------------------------------ option tables
    def lead_logits(self, leads: LeadColumns) -> np.ndarray:
        """:meth:`lead_logit` of each lead (the same sums, in the same order, as columns)."""
        seg = leads.segment
        w = self.company.deals.win_odds_per_fit
        return self._base_logit[seg] + w * (leads.fit - self._mean_fit[seg]) + self._source_odds[leads.source]

    def lead_tables(
        self, leads: LeadColumns, persons: np.ndarray, day: float, logits: np.ndarray | None = None
    ) -> OptionTables:
        """Every deal-terms option of each lead (worked by ``persons``, deciding on ``day``): what
        the deal would credit the AE, closing after the lead's mean sales cycle. ``logits``: the
        leads' :meth:`lead_logits`, when the caller has them."""
        n = len(leads)
        segs = leads.segment
        grid = np.rint(leads.fit * FIT_GRID).astype(np.int64)  # round half to even, as round()
        acv = leads.list_acv
        logit = self.lead_logits(leads) if logits is None else logits
        delays = self._cycle_means[segs, leads.source]
        go_live = self.go_live_all(1.0)
        data = np.empty((n, len(self._credits), len(FIELDS), len(self.terms)))
        fill_leads(
            self._credits, self._full_base, segs, grid, acv, self.discount, self.overcommit, logit,
            self.log_odds, delays, go_live, self.rules.success_days, self._renewal_delay, self._cash_lag,
            self._cash_spread, self._cash_share, data,
        )  # fmt: skip
        days = np.full(n, float(day))
        return OptionTables("ae", np.asarray(persons, dtype=np.int64), days, data, self.measures)

    def timing_tables(
        self,
        leads: LeadColumns,
        terms: Sequence[int],
        persons: np.ndarray,
        day: float,
        discounts: np.ndarray,
        delays: np.ndarray,
        p_wins: np.ndarray,
        pulled: bool,
    ) -> OptionTables:
        """Close-timing options of deals on term options ``terms``: row ``i`` of ``discounts``,
        ``delays`` (days from ``day`` to the close) and ``p_wins`` holds deal ``i``'s two options,
        the deal as it stands and either the same deal pushed or (``pulled``) pulled in at the
        extra discount."""
        n = len(leads)
        data = np.empty((n, len(self._credits), len(FIELDS), 2))
        segs = leads.segment
        grid = np.rint(leads.fit * FIT_GRID).astype(np.int64)
        acv = leads.list_acv
        go_live = self.go_live_all(1.0)
        fill_timing(
            self._credits, self._full_base, self._pulled_base if pulled else self._full_base, segs, grid,
            np.asarray(terms, dtype=np.int64), acv, discounts, self.overcommit, p_wins, delays, go_live,
            self.rules.success_days, self._renewal_delay, self._cash_lag, self._cash_spread, self._cash_share,
            data,
        )  # fmt: skip
        days = np.full(n, float(day))
        return OptionTables("ae", np.asarray(persons, dtype=np.int64), days, data, self.measures)

    def _base_data(
        self, segment: int, fit: np.ndarray, discount: np.ndarray, promise: np.ndarray, nonpay: np.ndarray
    ) -> np.ndarray:
        """The fields a deal's credits share whatever the measure and the day (terms, timing, risks:
        ``sim.policy.decisions.FIELDS``), as ``[fit, field, option]`` for the fits and term arrays given:
        the implementation's success probability and the first renewal's churn probability follow
        the value the account is expected to get (fit, neutral quality, the promise gap)."""
        seg = self.segments.seg[segment]
        cc = self.company.customers
        rules = self.rules
        gap = 0.5 * self.behaviour.ae.promise_health_gap * promise
        healthy = (
            cc.starting_health_mean
            + cc.health_per_fit * (fit - 0.5)
            + cc.health_per_quality * (rules.neutral_quality - 0.8)
        )
        value = np.clip(np.clip(healthy, 0.0, 1.0)[:, None] - gap, 0.0, 1.0)
        start = np.clip(value - gap, 0.0, 1.0)
        success = rules.success_probabilities(start, value)
        increase = renewal_price_increase(discount, cc.deep_discount)
        churn = renewal_churn_probability(
            seg.annual_churn, seg.contract_term_months, value, increase, cc.renewal_health_sensitivity,
            cc.renewal_price_sensitivity,
        )  # fmt: skip
        cash_lag, cash_spread = float(self._cash_lag[segment]), float(self._cash_spread[segment])
        one = OutcomeColumn.build(
            "", len(discount), discount=discount, renewal_delay_days=seg.contract_term_months * 30.4375,
            cash_delay_days=cash_lag + cash_spread / 2, failure_probability=rules.neutral_failure,
            non_payment_probability=nonpay, term_months=seg.contract_term_months,
        ).data  # fmt: skip
        out = np.repeat(one[None], len(fit), axis=0)
        out[:, ROW["success_probability"]] = success
        out[:, ROW["churn_probability"]] = churn
        return out
