"""Pay waiting on something, compiled: items released when their deal reaches the event their rule
pays on, CSM books and the ratios measured on them, and pay held under a threshold until the
period closes."""

from __future__ import annotations

import math

from numba import njit

from sim.plans.credits import (
    K_ARR_NEW,
    K_GO_LIVE,
    K_RENEWAL,
    K_REVENUE,
    K_SNAPSHOT,
    K_SUCCESS,
    R_CSM,
)
from sim.plans.layout import (
    DL_ACV,
    DL_CASH,
    DL_EXISTS,
    DL_GO_LIVE,
    DL_HEAD,
    DL_RENEWAL,
    DL_REVENUE,
    DL_SUCCESS,
    EPS,
    HK_ALIVE,
    HK_HEAD,
    HK_PERSON,
    HK_RULE,
    HK_T,
    HK_TAIL,
    IT_AMOUNT,
    IT_CKIND,
    IT_DEAL,
    IT_HELD,
    IT_NDEAL,
    IT_NHELD,
    IT_PERSON,
    IT_PRICED,
    IT_RATE,
    IT_RELEASED,
    IT_ROLE,
    IT_RULE,
    IT_T,
    IT_VALUE,
    REASON_RELEASE,
    SI_CHAIN,
    SI_HELD,
    SI_HKEYS,
    SI_N_MONTHS,
    emit,
)
from sim.plans.periods import period_slot
from sim.plans.rulebook import (
    RF_SUCCESS_DAYS,
    RI_CB,
    RI_TRIGGER,
)


@njit(cache=True)
def _has_deal(d, dl_i):
    return 0 <= d < dl_i.shape[0] and dl_i[d, DL_EXISTS] == 1


@njit(cache=True)
def release(it, day, ri, rf, starts, dl_f, dl_i, it_i, it_f, ln_i, ln_f, real, si):
    """Pay what item ``it``'s timing makes due by ``day``. Takes the arrays it reads, not the
    ``plan`` and ``st`` tuples: a call increfs and decrefs every array passed, and this runs per
    item of a deal at each of the deal's events."""
    if it_i[it, IT_HELD]:
        return
    g = it_i[it, IT_RULE]
    trigger = ri[g, RI_TRIGGER]
    d = it_i[it, IT_DEAL]
    pay_day = day
    frac = 1.0
    if trigger < 0 or not _has_deal(d, dl_i) or it_i[it, IT_CKIND] == trigger:
        frac = 1.0
    elif trigger == K_GO_LIVE:
        frac = 0.0 if math.isnan(dl_f[d, DL_GO_LIVE]) else 1.0
    elif trigger == K_SUCCESS:
        frac = 0.0 if math.isnan(dl_f[d, DL_SUCCESS]) else 1.0
        if not math.isnan(dl_f[d, DL_GO_LIVE]):
            pay_day = max(day, dl_f[d, DL_GO_LIVE] + rf[g, RF_SUCCESS_DAYS])
    elif trigger == K_RENEWAL:
        frac = 0.0 if math.isnan(dl_f[d, DL_RENEWAL]) else 1.0
    else:
        acv = dl_f[d, DL_ACV]
        done = dl_f[d, DL_REVENUE] if trigger == K_REVENUE else dl_f[d, DL_CASH]
        frac = 1.0 if acv <= 0 else min(1.0, done / acv)
    due = min(it_f[it, IT_AMOUNT], it_f[it, IT_PRICED] * frac) - it_f[it, IT_RELEASED]
    if due <= EPS:
        return
    it_f[it, IT_RELEASED] += due
    emit(it_i[it, IT_PERSON], it_i[it, IT_ROLE], pay_day, g, REASON_RELEASE, d, it_i[it, IT_CKIND], -1,
         it_f[it, IT_VALUE], it_f[it, IT_RATE], due, frac, starts, ln_i, ln_f, real, si)  # fmt: skip


@njit(cache=True)
def deal_head(d, dl_i):
    """The first item waiting on deal ``d`` (-1: none, or ``d`` is not a deal row). Callers per row
    test it before :func:`_release_deal`: a call that passes a dozen arrays touches the reference
    count of each, and most deals have nothing waiting."""
    return dl_i[d, DL_HEAD] if 0 <= d < dl_i.shape[0] else -1


@njit(cache=True)
def _release_deal(d, day, ri, rf, starts, dl_f, dl_i, it_i, it_f, ln_i, ln_f, real, si):
    """Release the pay of every item of deal ``d`` with something left to pay or claw back."""
    it = deal_head(d, dl_i)
    while it >= 0:
        if (
            it_i[it, IT_HELD]
            or it_f[it, IT_RELEASED] < it_f[it, IT_AMOUNT] - EPS
            or ri[it_i[it, IT_RULE], RI_CB]
        ):
            release(it, day, ri, rf, starts, dl_f, dl_i, it_i, it_f, ln_i, ln_f, real, si)
        it = it_i[it, IT_NDEAL]


@njit(cache=True)
def ratio(book, bhas, w, grr, t):
    """Book GRR (``grr``) or NRR of book ``w`` in period column ``t`` so far (NaN without a snapshot)."""
    if t >= book.shape[2] or not bhas[w, t] or book[0, w, t] <= 0:
        return math.nan
    move = book[1, w, t] if grr else book[2, w, t]
    return (book[0, w, t] + move) / book[0, w, t]


@njit(cache=True)
def _book(row, month, st):
    """Book GRR/NRR state: the first snapshot of a period sets its start ARR, movements add."""
    cred, book, bhas, si = st[5], st[7], st[8], st[19]
    snap = row.kind == K_SNAPSHOT
    csm = row.person if snap else row.csm
    if csm < 0 or row.kind == K_ARR_NEW:
        return
    w = 1 + csm
    for pk in range(3):
        t = period_slot(month, pk, si[SI_N_MONTHS])
        if snap:
            if not bhas[w, t]:
                bhas[w, t] = True
                bhas[0, t] = True  # the team's (the company's) book: every CSM's book summed
                book[0, w, t], book[1, w, t], book[2, w, t] = row.amount, 0.0, 0.0
                book[0, 0, t] += row.amount
                cred[R_CSM, csm, t] = True
        elif bhas[w, t]:
            book[2, w, t] += row.amount
            book[2, 0, t] += row.amount
            if row.amount < 0:
                book[1, w, t] += row.amount
                book[1, 0, t] += row.amount


@njit(cache=True)
def _link(table, r, at, it, it_i, col, si):
    """Append item ``it`` to the list whose head, tail and count are ``table[r, at:at + 3]`` (next
    pointers in column ``col`` of the items)."""
    it_i[it, col] = -1
    if table[r, at + 1] < 0:
        table[r, at] = it
    else:
        it_i[table[r, at + 1], col] = it
    table[r, at + 1] = it
    table[r, at + 2] += 1
    si[SI_CHAIN] = max(si[SI_CHAIN], table[r, at + 2])


@njit(cache=True)
def _hold(it, hk, hmap, it_i, si):
    """Put item ``it`` under its rule's threshold (its held key: rule, person, period). ``hk``,
    ``hmap``, ``it_i``, ``si``: ``st`` items 14, 15, 12 and 19."""
    g, person, t = it_i[it, IT_RULE], it_i[it, IT_PERSON], it_i[it, IT_T]
    key = hmap[g, person, t]
    if key < 0:
        key = si[SI_HKEYS]
        si[SI_HKEYS] = key + 1
        hmap[g, person, t] = key
        hk[key, HK_RULE], hk[key, HK_PERSON], hk[key, HK_T] = g, person, t
        hk[key, HK_HEAD], hk[key, HK_TAIL], hk[key, HK_ALIVE] = -1, -1, 1
    it_i[it, IT_NHELD] = -1
    if hk[key, HK_TAIL] < 0:
        hk[key, HK_HEAD] = it
    else:
        it_i[hk[key, HK_TAIL], IT_NHELD] = it
    hk[key, HK_TAIL] = it
    si[SI_HELD] += 1


@njit(cache=True)
def held_amount(g, person, t, st):
    """Pay held so far under rule ``g``'s threshold for ``person`` in period column ``t``."""
    hk, hmap, it_i, it_f = st[14], st[15], st[12], st[13]
    if t < 0 or t >= hmap.shape[2] or person >= hmap.shape[1]:
        return 0.0
    key = hmap[g, person, t]
    if key < 0 or hk[key, HK_ALIVE] == 0:
        return 0.0
    total = 0.0
    it = hk[key, HK_HEAD]
    while it >= 0:
        total += it_f[it, IT_AMOUNT]
        it = it_i[it, IT_NHELD]
    return total
