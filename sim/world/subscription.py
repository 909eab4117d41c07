"""Subscription billing rules: the anniversary billing day, and churn checked before each bill.

Used by :class:`sim.world.billing.Receivables` when ``company.billing.anchor`` is ``anniversary``
(a term's later invoices fall on the monthly anniversary of the customer's close, the month's last
day when it is shorter) and when ``company.billing.churn_before_each_bill`` is on (every invoice of
a new or renewal term is preceded by a churn check with the segment's churn over the months the
invoice covers; expansion invoices are add-ons to a running term and are not checked).
``docs/model.md``, "World: billing and cash".
"""

from __future__ import annotations

import math

import numpy as np

from sim.scenario.company import Customers
from sim.world.rules import renewal_churn_probability


def anniversary_day(month_starts: np.ndarray, month: int, anchor: float) -> float:
    """The billing day in ``month`` of a customer billed ``anchor`` days into the month of its close:
    that day, or the month's last day when the month is shorter (inf past the calendar)."""
    if month + 1 >= len(month_starts):
        return math.inf
    length = float(month_starts[month + 1] - month_starts[month])
    return float(month_starts[month]) + min(anchor, length - 1.0 + anchor % 1.0)


def lapses(
    u: np.ndarray,
    annual_churn: np.ndarray,
    months: np.ndarray,
    health: np.ndarray,
    checked: np.ndarray,
    customers: Customers,
) -> np.ndarray:
    """Which of the invoices about to be issued are preceded by churn (``checked``: invoices of a
    new or renewal term): ``u < renewal_churn_probability`` over the months each invoice covers."""
    p = renewal_churn_probability(
        annual_churn, months, health, 0.0, customers.renewal_health_sensitivity,
        customers.renewal_price_sensitivity,
    )  # fmt: skip
    return np.asarray(checked & (u < p))
