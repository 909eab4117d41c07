"""Period closes, compiled: bonuses and book-ratio commissions paid at a period's end, and the
pay held under thresholds released or dropped (``docs/model.md``, "Pay and decisions").

Part of the payout engine's kernel (:mod:`sim.plans.kernel` describes the ``plan`` and ``st``
tuples): :func:`advance` closes every period that ended by a day, in calendar order.

Numba's on-disk cache (``cache=True``) is keyed on this file alone, yet the compiled code here
includes the pricing, credit, quota and draw functions it calls (``pricing``, ``credits``,
``quotas``, ``draws``, ``periods``): after a change to those (a new rule, a new slot in
``Rule.params``, a new state array), an old cache of this file would run the old rules. Clear
the caches (``find sim -name '*.nb[ic]' -delete``) when pulling such a change into a tree that
ran before.
"""

from __future__ import annotations

import math

from numba import njit

from sim.plans.credits import M_CO_GRR, M_GRR
from sim.plans.draws import settle_draws
from sim.plans.holds import ratio, release
from sim.plans.layout import (
    EPS,
    HK_ALIVE,
    HK_HEAD,
    HK_PERSON,
    HK_RULE,
    HK_T,
    IT_AMOUNT,
    IT_HELD,
    IT_NHELD,
    N_ROLES,
    REASON_CLOSE,
    SI_HELD,
    SI_HKEYS,
    SI_LINES,
    SI_N_CAL,
    SI_N_MONTHS,
    SI_NEXT_CLOSE,
    emit,
    heads,
)
from sim.plans.periods import MONTHS, period_slot
from sim.plans.pricing import period_end
from sim.plans.quotas import person_quota
from sim.plans.rulebook import (
    CFG_N_RULES,
    RF_QUOTA,
    RF_THRESHOLD,
    RI_CLOSES,
    RI_MEASURE,
    RI_MSLOT,
    RI_PK,
    RI_QSLOT,
    RI_RATIO,
    RI_ROLE,
    RI_TEAM,
)


@njit(cache=True)
def _is_grr(measure):
    """Whether a ratio measure counts only losses (book or company GRR)."""
    return measure in (M_GRR, M_CO_GRR)


@njit(cache=True)
def _close_bonus(g, pk, idx, t, day, plan, st):
    """Pay rule ``g``'s period-end amount to everyone eligible: employed at the close, or
    credited in the period and not gone before it (ascending person id)."""
    rp, poff, ri = plan[0], plan[1], plan[2]
    pe_role, pe_hired, pe_left = st[0], st[1], st[2]
    acc, cred, book, bhas = st[4], st[5], st[7], st[8]
    role = ri[g, RI_ROLE]
    p = rp[poff[g] : poff[g + 1]]
    for person in range(pe_role.shape[0]):
        present = pe_role[person] == role and pe_hired[person] <= day - EPS < pe_left[person]
        if not present and t < cred.shape[2] and cred[role, person, t]:
            present = pe_role[person] < 0 or pe_left[person] >= day
        if not present:
            continue
        if ri[g, RI_RATIO]:
            value = ratio(book, bhas, 0 if ri[g, RI_TEAM] else 1 + person, _is_grr(ri[g, RI_MEASURE]), t)
        else:
            w = role if ri[g, RI_TEAM] else N_ROLES + person
            value = acc[ri[g, RI_MSLOT], w, t]
        if math.isnan(value):
            continue
        pay, rate, att = period_end(p, float(value))
        if pay > EPS:
            emit(person, role, day, g, REASON_CLOSE, -1, idx, pk, value, rate, pay, att,
                 plan[10], st[16], st[17], st[18], st[19])  # fmt: skip


@njit(cache=True)
def _close_threshold(g, pk, idx, t, day, plan, st):
    """Release (attainment reached the threshold) or drop the pay held under rule ``g`` in column
    ``t`` (period ``idx`` of kind ``pk``); a person without a quota in the period (a ramp's first
    periods) has no threshold."""
    ri, rf = plan[2], plan[3]
    acc, it_i, it_f, hk, si = st[4], st[12], st[13], st[14], st[19]
    role = ri[g, RI_ROLE]
    for key in range(si[SI_HKEYS]):
        if hk[key, HK_ALIVE] == 0 or hk[key, HK_RULE] != g or hk[key, HK_T] != t:
            continue
        hk[key, HK_ALIVE] = 0
        qslot = ri[g, RI_QSLOT]
        att = math.inf
        if qslot >= 0:
            quota = rf[g, RF_QUOTA]
            if ri[g, RI_TEAM]:
                w, n = role, max(1, heads(role, day - EPS, st))
            else:
                w, n = N_ROLES + hk[key, HK_PERSON], 1
                quota = person_quota(plan[11][role], quota, pk, hk[key, HK_PERSON], idx, plan[10], st[0],
                                     st[1], acc, si[SI_N_MONTHS])  # fmt: skip
            if quota > 0:
                att = acc[qslot, w, t] / (quota * n)
        it = hk[key, HK_HEAD]
        while it >= 0:
            it_i[it, IT_HELD] = 0
            si[SI_HELD] -= 1
            if att + EPS >= rf[g, RF_THRESHOLD]:
                release(it, day, ri, rf, plan[10], st[9], st[10], it_i, it_f, st[16], st[17], st[18], si)
            else:
                it_f[it, IT_AMOUNT] = 0.0
            it = it_i[it, IT_NHELD]


@njit(cache=True)
def close_due(day, starts, si):
    """Whether a period within the calendar ended on or before ``day`` and is not closed yet
    (:func:`advance` closes nothing otherwise: callers per row test this first, as a call that
    passes ``plan`` and ``st`` touches the reference count of each of their arrays)."""
    return si[SI_NEXT_CLOSE] + 1 < si[SI_N_CAL] and starts[si[SI_NEXT_CLOSE] + 1] <= day


@njit(cache=True)
def advance(day, margin, plan, st):
    """Close every period that ended on or before ``day`` (within the calendar). Returns False,
    having closed nothing more, when the line arrays have fewer free rows than ``margin`` plus
    the pay held (the caller grows them and calls again)."""
    ri, cfg, starts = plan[2], plan[9], plan[10]
    ln_i, si = st[16], st[19]
    n_months = si[SI_N_MONTHS]
    while close_due(day, starts, si):
        if ln_i.shape[0] - si[SI_LINES] < margin + si[SI_HELD]:
            return False
        m = si[SI_NEXT_CLOSE]
        for pk in range(3):
            k = MONTHS[pk]
            if (m + 1) % k:
                continue
            idx = (m + 1) // k - 1
            close_day = starts[m + 1] - 1.0  # dated on the period's last day, inside a window ending with it
            t = period_slot(idx * k, pk, n_months)
            for g in range(cfg[CFG_N_RULES]):
                if ri[g, RI_PK] != pk:
                    continue
                if ri[g, RI_CLOSES] & 1:
                    _close_bonus(g, pk, idx, t, close_day, plan, st)
                if ri[g, RI_CLOSES] & 2:
                    _close_threshold(g, pk, idx, t, close_day, plan, st)
        for pk in range(3):  # after every period's pay of the month: a draw nets all of it
            k = MONTHS[pk]
            if not (m + 1) % k:
                settle_draws(pk, (m + 1) // k - 1, starts[m + 1] - 1.0, plan, st)
        si[SI_NEXT_CLOSE] = m + 1
    return True
