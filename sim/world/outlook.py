"""What a change in the book's health or expansion is worth in company retention: the arithmetic
the world's teams use to describe options credited on company GRR/NRR (``company_grr``,
``company_nrr``), from the true model (``docs/model.md``, "Company-wide measures").

A health change ``dh`` that an account keeps until its next renewal (decayed by the months to
that renewal at the health reversion rate, as the CSMs' own outlook does) changes its churn
probability there (``renewal_churn_probability``); the change in ARR kept over the next twelve
months, over the book's ARR, is the change of the company's retention ratio. An expansion
multiplier changes the expected upsell and cross-sell ARR of the next twelve months.
"""

from __future__ import annotations

import numpy as np

from sim.policy.decisions import MeasureOutcome
from sim.scenario.company import Company
from sim.world.book import Book
from sim.world.rules import renewal_churn_probability
from sim.world.services import Segments


class Outlook:
    """The book's retention outlook at one moment (built once per decision round)."""

    def __init__(self, book: Book, segments: Segments, company: Company, month: int) -> None:
        self.company = company
        live = book.live()
        self.live = live
        self.arr = book.arr_cents[live].astype(np.float64) / 100.0
        self.total = float(self.arr.sum())
        cc = company.customers
        months_to = book.contract_end_month[live] - month
        self.soon = months_to <= 12
        self.decay = (1.0 - cc.health_reversion_per_month) ** np.maximum(months_to, 0)
        self.h = book.health[live]
        self.seg = book.segment[live]
        d = book.discount[live]
        self.inc = np.where(d >= cc.deep_discount, d / np.maximum(1 - d, 1e-9), 0.0)
        self.churn_seg = segments.array("annual_churn")[self.seg]
        self.term = book.term_months[live]
        self.p0 = self._churn(np.zeros_like(self.h))
        rate = segments.array
        self.expansion_arr = float(
            (
                self.arr
                * (
                    rate("upsell_opportunities_per_year")[self.seg] * rate("upsell_size")[self.seg]
                    + rate("cross_sell_opportunities_per_year")[self.seg] * rate("cross_sell_size")[self.seg]
                )
            ).sum()
            * company.deals.expansion_win_rate
        )
        """Expected upsell and cross-sell ARR of the next twelve months at today's rates."""

    def _churn(self, dh: np.ndarray) -> np.ndarray:
        cc = self.company.customers
        return renewal_churn_probability(
            self.churn_seg, self.term, np.clip(self.h + dh, 0.0, 1.0), self.inc,
            cc.renewal_health_sensitivity, cc.renewal_price_sensitivity,
        )  # fmt: skip

    def kept(self, dh: np.ndarray | float) -> float:
        """Change of ARR kept at the renewals of the next twelve months from a health change ``dh``
        (per live account, or one for all) held until the renewal."""
        if self.total <= 0:
            return 0.0
        dh_arr = np.broadcast_to(np.asarray(dh, dtype=float), self.h.shape) * self.decay
        p = self._churn(dh_arr)
        return float((self.arr * (self.p0 - p))[self.soon].sum())

    def kept_flow(self, per_month: np.ndarray | float) -> float:
        """:meth:`kept` of a health change of ``per_month`` a month sustained until each renewal
        (health reverting at ``r`` a month reaches ``per_month x (1 - (1 - r)^T) / r`` after T months)."""
        r = max(self.company.customers.health_reversion_per_month, 1e-9)
        flow = np.broadcast_to(np.asarray(per_month, dtype=float), self.h.shape)
        return self.kept(flow * (1.0 - self.decay) / r / np.maximum(self.decay, 1e-12))

    def ratio(self, kept: float, expansion: float = 0.0) -> tuple[float, float]:
        """(GRR change, NRR change) of ``kept`` more ARR kept and ``expansion`` more expansion ARR."""
        if self.total <= 0:
            return 0.0, 0.0
        return kept / self.total, (kept + expansion) / self.total


def company_ratio_outcomes(measures: tuple[str, ...], grr: float, nrr: float) -> list[MeasureOutcome]:
    """What an option moves of the company-wide ratio measures a role is paid on (credited at
    the half-year, when a ratio's period closes on average)."""
    return [
        MeasureOutcome(m, x, 1.0, 180.0)
        for m, x in (("company_grr", grr), ("company_nrr", nrr))
        if m in measures
    ]
