"""How the company invoices its customers and collects cash (``company.billing``; the world's side
is ``sim/world/billing.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from sim.problems import PATH_MARK
from sim.scenario.base import Fraction, NonNegative, Positive, StrictModel


class Billing(StrictModel):
    """Invoicing and collection (``sim/world/billing.py``). Off by default: each new or expansion
    deal is then billed once at booking and settled (cash or non-payment) at the next month start.

    When ``enabled``, every contract period of every customer is invoiced at ``frequency`` (a new
    deal's term from booking, each renewal's term, an expansion pro rata over the months left in
    the term); an invoice is paid ``payment_terms_days + delay`` after it is issued, the delay drawn
    from ``collection_delay_distribution`` with mean ``collection_delay_mean_days``, or defaults
    (never paid: ``non_payment``, the customer is cancelled) with probability
    ``1 - (1 - default_probability) x (1 - p_first)``, where ``p_first`` is the company's
    ``customers.non_payment_probability`` (+ ``non_payment_per_overcommit`` x over-commitment for a
    new deal) on the first invoice of a new or expansion deal and 0 on every other invoice.
    """

    enabled: bool = False
    """Bill contract periods and collect invoices after terms and delays (else today's single
    invoice per deal, settled at the next month start)."""
    frequency: Literal["annual_upfront", "quarterly", "monthly"] = "annual_upfront"
    """Invoice cadence within a contract period: a year (annual_upfront: each contract year billed in
    advance), 3 months or 1 month of ARR per invoice."""
    payment_terms_days: NonNegative = 30.0
    """Days from an invoice to its due date (net 30 = 30)."""
    collection_delay_distribution: Literal["fixed", "exponential", "gamma"] = "exponential"
    """Distribution of the days a customer pays after the due date (fixed = always the mean)."""
    collection_delay_mean_days: NonNegative = 15.0
    """Mean days paid after the due date."""
    collection_delay_gamma_shape: Positive = 2.0
    """Shape of the gamma delay (its coefficient of variation is 1/sqrt(shape))."""
    default_probability: Fraction = 0.0
    """Probability any one invoice is never paid (on top of the first-invoice non-payment risk)."""
    default_recognised_after_days: NonNegative = 60.0
    """Days after the due date at which an unpaid invoice is written off (the ``non_payment``
    event: the customer is cancelled and clawbacks with trigger non_payment apply)."""
    invoice_renewals: bool = True
    """Invoice renewal terms too (else only a new deal's first term, expansions and the rest of the
    starting customers' current terms are billed)."""
    anchor: Literal["month_start", "anniversary"] = "month_start"
    """When a term's later invoices are issued: at month starts (``month_start``), or on the monthly
    anniversary of the customer's close (``anniversary``: the same day of the month, the month's last
    day when it is shorter)."""
    churn_before_each_bill: bool = False
    """Check churn before every invoice, the first included (a subscription that may lapse before
    each bill), with the segment's churn probability over the months the invoice covers; renewals
    then churn nobody. False: churn is decided at renewals. Needs ``enabled``."""

    @model_validator(mode="after")
    def _needs_billing(self) -> Billing:
        if self.churn_before_each_bill and not self.enabled:
            raise ValueError(
                f"{PATH_MARK}churn_before_each_bill: expected enabled: true (churn is checked before "
                "each invoice, and there are invoices only with billing on)"
            )
        return self
