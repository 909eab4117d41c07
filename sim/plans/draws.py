"""Draws and guarantees: a floor on each person's variable pay per period (``docs/model.md``,
"Pay and decisions"), settled at the period's close.

:func:`draw_settle` is the rule for one person and one period. The payout engine pays it at
every close (:func:`settle_draws`, called by :func:`sim.plans.closes.advance` after the
period's bonuses and thresholds), and the valuation of options prices it
(:func:`draw_worth`, read by :mod:`sim.policy.expected_pay` at the pay state of the period a
credit lands in): one rule, so a guarantee changes what an extra credit is worth while pay is
below the floor without a second copy of it.

* ``due`` = ``amount_usd`` x the share of the period's days the draw covers (employed, and
  within ``months`` of the hire: :func:`draw_due`); ``earned`` = the variable pay dated in the
  period (the engine's realised pay: commissions, bonuses, spiffs, net of clawbacks).
* Guarantee (non-recoverable): a top-up line of ``max(due - earned, 0)``; nothing is owed.
* Recoverable: the period pays ``max(due, earned - balance)``: a top-up below the draw adds to
  the balance, pay above it repays the balance first (a negative line). Outside the draw's
  months only positive pay repays. A balance outstanding at ``forgive_after_periods``
  consecutive closes is written off; at leaving it is written off or recovered in full.

People need ``hire``/``leave`` events (the world records them): a draw is paid to those the
pay state knows are employed.
"""

from __future__ import annotations

import math

from numba import njit

from sim.plans.layout import EPS, emit
from sim.plans.periods import MONTHS, month_of
from sim.plans.quotas import (
    RO_DRAW,
    RO_DRAW_DAYS,
    RO_DRAW_PK,
    RO_DRAW_RECOVERABLE,
    RO_FORGIVE_AFTER,
    RO_FORGIVE_AT_LEAVING,
    tenure_start,
)

DR_BALANCE, DR_AGE = range(2)
"""Columns of the pay state's ``drw`` array: a person's recoverable balance and the consecutive
closes it has been outstanding."""
N_DR = 2
LN_DRAW = -1
"""Component code of a draw's payout lines (rules are 0.., spiffs -2..)."""
REASON_GUARANTEE, REASON_ADVANCE, REASON_RECOVERY, REASON_LEAVING = range(4, 8)
"""Reason codes of draw lines (after those of :mod:`sim.plans.kernel`)."""
DRAW_TEXT = {
    REASON_GUARANTEE: "top-up to the guarantee of {:,.2f}",
    REASON_ADVANCE: "draw advanced against commission (draw {:,.2f})",
    REASON_RECOVERY: "draw balance recovered from commission",
    REASON_LEAVING: "draw balance recovered at leaving",
}
"""Reason texts of draw lines by code (their ``frac`` field holds the draw owed for the period)."""


@njit(cache=True)
def draw_settle(recoverable, due, earned, balance):
    """``(line, balance after)`` of one period: the draw's line (a top-up, or a negative recovery)
    for ``earned`` variable pay in the period, ``due`` owed by the draw (0 outside it) and the
    recoverable ``balance`` carried in (see the module docstring)."""
    if not recoverable:
        return (max(due - earned, 0.0) if due > 0 else 0.0), 0.0
    if due <= 0:
        back = min(balance, max(earned, 0.0))
        return -back, balance - back
    line = max(due, earned - balance) - earned
    return line, balance + line


@njit(cache=True)
def draw_worth(ro, due, earned, balance, age):
    """What ``earned`` variable pay in a period leaves the person after the draw's settlement: the
    period's pay minus the balance still owed after it, unless this close would write it off
    (``age`` closes outstanding so far). Extra pay ``V`` in the period is worth
    ``draw_worth(E + V) - draw_worth(E)``: ``V`` under a recoverable draw that is not written
    off (pay repays the balance), ``max(E + V, due) - max(E, due)`` under a guarantee."""
    line, after = draw_settle(ro[RO_DRAW_RECOVERABLE] > 0, due, earned, balance)
    owed = after if after > EPS and age + 1 < ro[RO_FORGIVE_AFTER] else 0.0
    return earned + line - owed


@njit(cache=True)
def draw_due(ro, hired, tenure_from, left, a, b):
    """The draw owed for the period ``[a, b)``: ``amount_usd`` x the share of its days the person
    was employed (``hired``..``left``) inside the draw's months from ``tenure_from``."""
    lo, hi = max(a, hired), min(b, left)
    if ro[RO_DRAW_DAYS] < math.inf:
        if tenure_from == -math.inf:
            return 0.0
        lo, hi = max(lo, tenure_from), min(hi, tenure_from + ro[RO_DRAW_DAYS])
    if hi <= lo:
        return 0.0
    return ro[RO_DRAW] * (hi - lo) / (b - a)


@njit(cache=True)
def period_pay(real, person, idx, k):
    """Variable pay dated so far in period ``idx`` of ``k`` months (realised pay by month)."""
    if person >= real.shape[0]:
        return 0.0
    total = 0.0
    for m in range(idx * k, (idx + 1) * k):
        total += real[person, m]
    return total


@njit(cache=True)
def draw_context(ro, role, person, day, starts, st):
    """``(due, earned so far, balance, age)`` of ``person``'s draw period containing ``day``."""
    pe_role, pe_hired, pe_left, real, drw = st[0], st[1], st[2], st[18], st[21]
    if person >= pe_role.shape[0] or pe_role[person] != role:
        return 0.0, 0.0, 0.0, 0.0
    k = MONTHS[int(ro[RO_DRAW_PK])]
    idx = month_of(starts, day) // k
    a, b = starts[idx * k], starts[(idx + 1) * k]
    t0 = tenure_start(person, pe_role, pe_hired, starts[0])
    due = draw_due(ro, pe_hired[person], t0, pe_left[person], a, b)
    return due, period_pay(real, person, idx, k), drw[person, DR_BALANCE], drw[person, DR_AGE]


@njit(cache=True)
def settle_draws(pk, idx, day, plan, st):
    """Settle the draws of period ``idx`` of kind ``pk`` for everyone employed in it (ascending
    person id), lines dated ``day`` (the period's last day)."""
    ro, starts = plan[11], plan[10]
    pe_role, pe_hired, pe_left, real, drw = st[0], st[1], st[2], st[18], st[21]
    k = MONTHS[pk]
    a, b = starts[idx * k], starts[(idx + 1) * k]
    for role in range(ro.shape[0]):
        r = ro[role]
        if r[RO_DRAW] <= 0 or r[RO_DRAW_PK] != pk:
            continue
        recoverable = r[RO_DRAW_RECOVERABLE] > 0
        for person in range(pe_role.shape[0]):
            hired, left = pe_hired[person], pe_left[person]
            if pe_role[person] != role or hired >= b or left <= a:
                continue
            due = draw_due(r, hired, tenure_start(person, pe_role, pe_hired, starts[0]), left, a, b)
            earned = period_pay(real, person, idx, k)
            line, after = draw_settle(recoverable, due, earned, drw[person, DR_BALANCE])
            if abs(line) > EPS:
                why = REASON_RECOVERY if line < 0 else (REASON_ADVANCE if recoverable else REASON_GUARANTEE)
                emit(person, role, day, LN_DRAW, why, -1, idx, pk, earned, 0.0, line, due,
                     starts, st[16], st[17], st[18], st[19])  # fmt: skip
            age = drw[person, DR_AGE] + 1.0 if after > EPS else 0.0
            if after <= EPS or age >= r[RO_FORGIVE_AFTER]:
                after, age = 0.0, 0.0  # repaid, or written off
            if left <= b and after > 0:
                if r[RO_FORGIVE_AT_LEAVING] == 0:
                    emit(person, role, day, LN_DRAW, REASON_LEAVING, -1, idx, pk, earned, 0.0, -after, due,
                         starts, st[16], st[17], st[18], st[19])  # fmt: skip
                after, age = 0.0, 0.0
            drw[person, DR_BALANCE], drw[person, DR_AGE] = after, age
