"""Referred customers' value — Schmitt, Skiera & Van den Bulte (2011).

Schmitt et al. follow about 10,000 customers of a German bank for about three years: customers
acquired through the referral programme have a higher contribution margin (a gap that shrinks
over time) and a higher retention rate (a gap that persists), and are at least 16% more valuable
in the short and the long run than other customers acquired in the same period.

The simulator has no separate margin for referred customers; what sets them apart is emergent:
their leads are won more often and faster (``deals.referral_win_odds``,
``referral_cycle_multiplier``), they churn less while their referrer stays a customer
(``customers.referred_churn_odds``, the Van den Bulte et al. 2018 mechanism) and they carry the fit
and health of the customers who refer. ``finding.schmitt.value`` measures the value of each
customer won in the measured window as the revenue (ARR / 12 per month as a paying customer) of
its first :data:`VALUE_MONTHS` months (customers won too late to be followed that long are left
out), and compares the mean of referred customers with that of the others, per replication.
Numbers and the band: ``docs/validation.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.replication import build_world, collector_off
from sim.scenario import Scenario
from sim.validation.core import Check, case, direction
from sim.validation.findings import (
    CONVENTIONAL,
    _calendar,
    _commission,
    _plan,
    relative_change,
    scenario,
)
from sim.validation.referral_churn import VDB_COMPANY

REPS = 10
SEED = 2011
VALUE_MONTHS = 24
"""Months of revenue counted per customer (Schmitt et al. follow customers for about 33 months)."""
HORIZON_YEARS = 3.5
BAND = (0.08, 0.40)
"""Two-sided band on referred / non-referred value - 1: Schmitt et al.'s 16% ("at least 16% more
valuable"; their short-run gap, including a margin gap the model does not have, is larger), with
room for 16 replications' noise; a model without any referral advantage (0) or one that makes
referred customers twice as valuable fails."""
SOURCE = "Schmitt, Skiera & Van den Bulte (2011), Referral programs and customer value, J. Marketing 75(1)"
DIAGNOSIS = (
    "referred customers' first 24 months of revenue are only about 1% above the others' (interval about "
    "-2% to +5%, 10 replications): the model's only lasting advantage of a referred customer is lower churn "
    "while the referrer stays, which over 12-month terms moves one or two renewals; it has no margin gap "
    "and no better match (a referred lead's fit and ACV are drawn as any other lead's), the two channels "
    "Schmitt et al. describe"
)


@collector_off()  # the world is built, read and dropped in here, as simulate does
def value_by_referral(scn: Scenario, replication: int) -> np.ndarray:
    """Mean revenue of the first :data:`VALUE_MONTHS` months of customers won in the measured window,
    ``[non-referred, referred]`` (NaN for a group without customers), from the world's customer book
    and its monthly ARR snapshots (run as :func:`sim.replication.simulate` runs it)."""
    world = build_world(scn, scn.plans[0], replication)
    world.run()
    book = world.book
    cal, start, end = _calendar(scn)
    snaps = world.customers.arr_snapshots
    totals = np.zeros(2)
    counts = np.zeros(2)
    for c in range(book.n):
        won = float(book.cohort_day[c])
        if not start <= won < end:
            continue
        first = cal.month_of(won) + 1  # the first snapshot after the win (month starts)
        last = first + VALUE_MONTHS
        if last > len(snaps):
            continue  # not followed long enough
        revenue = sum(int(snaps[m][c]) for m in range(first, last) if c < len(snaps[m])) / 100.0 / 12.0
        g = int(book.referrer[c] >= 0)
        totals[g] += revenue
        counts[g] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts > 0, totals / counts, np.nan)


@case(
    "finding.schmitt.value",
    "Schmitt et al.: referred customers are at least 16% more valuable",
    SOURCE,
    slow=True,
    known_failure=DIAGNOSIS,
)
def _schmitt() -> Sequence[Check]:
    company = {**VDB_COMPANY, "horizon_years": HORIZON_YEARS}
    scn = scenario([_plan("conventional", [_commission(CONVENTIONAL)])], seed=SEED, company=company)
    values = np.array([value_by_referral(scn, k) for k in range(REPS)])
    rel = relative_change(values[:, 0], values[:, 1])
    return [
        direction(
            f"revenue of a customer's first {VALUE_MONTHS} months, referred / non-referred - 1",
            rel,
            +1,
            size=BAND,
            expected="> 0 (Schmitt et al.: at least +16%)",
            detail=(
                f"mean value non-referred ${np.nanmean(values[:, 0]):,.0f}, referred "
                f"${np.nanmean(values[:, 1]):,.0f}"
            ),
        )
    ]
