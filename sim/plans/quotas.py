"""Per-person quotas: a new hire's ramp and the quota ratchet (``docs/model.md``, "Pay and decisions").

Without a ramp or a ratchet everyone of a role has the plan's quota: ``quota.annual_amount``
split over the period a component reads attainment on. With them, :func:`person_quota` gives
the quota of one person in one period, from the pay state (hire day, credits of the previous
periods): the payout engine's kernel prices credits and closes thresholds with it, and the
valuation of options (:mod:`sim.policy.expected_pay`) reads it where a credit would land, so the
rule is written once. Team components read the role's total against the plan's quota x head
count: ramps and ratchets are per person.

* Ramp: the quota of a period is the full quota x ``min(1, m / ramp_months)``, ``m`` the
  person's completed calendar months of tenure at the period's start (:func:`ramp_share`); 0
  (a period that starts before, or within the first month after, the hire) means no quota.
* Ratchet (Misra & Nair 2011): the quota of period ``i`` is its (ramped) quota x
  ``max(1, 1 + ratchet x (a - 1))``, ``a`` the person's attainment of period ``i - 1`` against
  their quota then (:func:`ratchet_multiplier`); a period without a quota ratchets nothing.

People present when the record starts (hired on the calendar's first day, or never seen hired)
count as fully tenured (:func:`tenure_start`): the world's starting staff are fully ramped.
"""

from __future__ import annotations

import math

from numba import njit

from sim.plans.periods import MONTHS, column_of, month_of
from sim.vocabulary import ROLES

N_ROLES = len(ROLES)

# Columns of a role's row in the role table (Rulebook.ro): its quota, ramp and ratchet, its draw.
(RO_QSLOT, RO_QPK, RO_QUOTA, RO_RAMP_MONTHS, RO_RATCHET, RO_DRAW, RO_DRAW_PK, RO_DRAW_RECOVERABLE,
 RO_DRAW_DAYS, RO_FORGIVE_AFTER, RO_FORGIVE_AT_LEAVING) = range(11)  # fmt: skip
N_RO = 11


@njit(cache=True)
def tenure_start(person, pe_role, pe_hired, first_day):
    """Day ``person``'s tenure counts from: their hire, or -inf for someone present when the record
    starts (hired on its ``first_day``, or never seen hired)."""
    if person >= pe_role.shape[0] or pe_role[person] < 0:
        return -math.inf
    h = pe_hired[person]
    return -math.inf if h <= first_day else h


@njit(cache=True)
def tenure_months(starts, hired, month):
    """Completed calendar months of tenure at the start of ``month`` for someone hired on day
    ``hired`` (a hire on a month's first day completes a month at the next month's start; negative
    before the hire; a very large number for -inf)."""
    if hired == -math.inf:
        return 1 << 30
    mh = month_of(starts, hired)
    return month - mh - (0 if hired <= starts[mh] else 1)


@njit(cache=True)
def ramp_share(ramp_months, tenure):
    """Share of the full quota with ``tenure`` completed months: ``min(1, tenure / ramp_months)``,
    0 before the hire, 1 without a ramp."""
    if ramp_months <= 0:
        return 1.0
    return min(1.0, max(tenure, 0) / ramp_months)


@njit(cache=True)
def ratchet_multiplier(ratchet, attainment):
    """A period's quota over its plan quota after ``attainment`` in the period before:
    ``max(1, 1 + ratchet x (attainment - 1))``."""
    return max(1.0, 1.0 + ratchet * (attainment - 1.0))


@njit(cache=True)
def ramped_quota(ro, base, starts, hired, month):
    """The ramped quota of a period starting at ``month`` (``base`` x :func:`ramp_share`)."""
    return base * ramp_share(ro[RO_RAMP_MONTHS], tenure_months(starts, hired, month))


@njit(cache=True)
def ratchet_step(ratchet, quota, credits, ramped_next):
    """The next period's quota after ``credits`` against ``quota`` in this one: ``ramped_next`` x
    :func:`ratchet_multiplier` (no ratchet after a period without a quota)."""
    if quota <= 0:
        return ramped_next
    return ramped_next * ratchet_multiplier(ratchet, credits / quota)


@njit(cache=True)
def quota_varies(ramp_months, ratchet):
    """Whether a role's quota can differ from the plan's by person and period: it has a ramp or a
    ratchet (its role table row's ``RO_RAMP_MONTHS`` and ``RO_RATCHET``). Without, :func:`person_quota`
    is the plan's quota: callers per credit test this first, as a call that passes the pay state's
    arrays touches the reference count of each."""
    return not (ramp_months <= 0 and ratchet <= 0)


@njit(cache=True)
def person_quota(ro, base, pk, person, idx, starts, pe_role, pe_hired, acc, n_months):
    """Quota of ``person`` in period ``idx`` of kind ``pk`` (0 month, 1 quarter, 2 year), for a
    component whose plan quota per such period is ``base``; ``ro`` is the role's row of the role
    table, ``acc`` the pay state's accumulators (a period not closed yet counts its credits so
    far). Returns ``base`` itself without a ramp or a ratchet; 0 for a period without a quota."""
    if not quota_varies(ro[RO_RAMP_MONTHS], ro[RO_RATCHET]):
        return base
    k = MONTHS[pk]
    hired = tenure_start(person, pe_role, pe_hired, starts[0])
    if ro[RO_RATCHET] <= 0:
        return ramped_quota(ro, base, starts, hired, idx * k)
    first = 0
    if hired != -math.inf:
        first = min(max(month_of(starts, hired) // k, 0), idx)
    q = ramped_quota(ro, base, starts, hired, first * k)
    s, w = int(ro[RO_QSLOT]), N_ROLES + person
    for j in range(first + 1, idx + 1):
        credits = 0.0
        t = column_of((j - 1) * k, pk, n_months)
        if t >= 0 and w < acc.shape[1]:
            credits = acc[s, w, t]
        q = ratchet_step(ro[RO_RATCHET], q, credits, ramped_quota(ro, base, starts, hired, j * k))
    return q
