"""Rate conversion: an annual churn rate is not twelve times a monthly one.

The world converts a renewal-term churn probability from the segment's annual probability
with ``1 - (1 - p_annual) ** (term / 12)`` (:func:`sim.world.rules.renewal_churn_probability`);
these cases check that conversion against the compound-interest identity.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.validation.core import Check, case, equals


def monthly_from_annual(p_annual: float) -> float:
    """The monthly probability that compounds to ``p_annual`` over twelve months."""
    return 1.0 - (1.0 - p_annual) ** (1.0 / 12.0)


@case(
    "exact.rates.monthly_annual",
    "Monthly vs annual churn conversion",
    "compounding: (1 - m)^12 = 1 - a; a 10% annual churn is 0.874% a month, not 0.833%",
)
def _monthly_annual() -> Sequence[Check]:
    from sim.world.rules import renewal_churn_probability

    def at_term(p: float, months: int) -> float:
        # neutral health (0.5), no price increase: the base conversion only
        return float(renewal_churn_probability(p, months, 0.5, 0.0, 0.0, 0.0))

    out = [
        equals("10%/yr as a monthly rate (formula)", 0.00874, monthly_from_annual(0.10), tol=5e-6, digits=5),
        equals(
            "10%/yr on a 1-month term (world)",
            monthly_from_annual(0.10),
            at_term(0.10, 1),
            tol=1e-9,
            digits=6,
            detail="sim.world.rules.renewal_churn_probability; naive 0.10/12 = 0.008333",
        ),
        equals("10%/yr on a 12-month term (world)", 0.10, at_term(0.10, 12), tol=1e-9, digits=6),
        equals("10%/yr on a 24-month term (world)", 0.19, at_term(0.10, 24), tol=1e-9, digits=6),
        equals("30%/yr on a 6-month term (world)", 1 - 0.7**0.5, at_term(0.30, 6), tol=1e-9, digits=6),
    ]
    return out


@case(
    "exact.rates.monthly_term",
    "Monthly contracts through the simulator: 12-month logo churn of a 30% annual rate",
    "12 monthly renewals at 1 - (1 - a)^(1/12) compound to a = 0.30, not 1 - (1 - a/12)^12 = 0.2620",
)
def _monthly_term() -> Sequence[Check]:
    from sim.validation.retention import monthly_term_checks, monthly_term_setup

    return monthly_term_checks(monthly_term_setup(0.30, customers=2000, replications=8, years=2.0))


@case(
    "exact.rates.monthly_term_10pct",
    "Monthly contracts through the simulator: 12-month logo churn of a 10% annual rate",
    "12 monthly renewals at 0.874% compound to a = 0.10, not 1 - (1 - 0.10/12)^12 = 0.0955",
    slow=True,
)
def _monthly_term_10pct() -> Sequence[Check]:
    from sim.validation.retention import monthly_term_checks, monthly_term_setup

    return monthly_term_checks(monthly_term_setup(0.10, customers=10_000, replications=30, years=2.0))
