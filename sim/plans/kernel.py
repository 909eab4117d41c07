"""The payout engine's kernel: ledger rows applied to the pay state, compiled with numba.

:func:`apply_rows` reads ledger rows (:data:`sim.ledger.EVENT_DTYPE`) in time order and updates
the state arrays of :class:`sim.plans.engine.PayState`: measure accumulators per person and
period, capped pay used, deals and the pay items waiting on them, pay held under thresholds,
CSM books, payout lines and realised pay. The rules are those of :mod:`sim.plans.engine`'s
docstring (``docs/model.md``, "Pay and decisions"); prices come from :mod:`sim.plans.pricing`,
credits from :mod:`sim.plans.credits`, period closes from :mod:`sim.plans.closes`. The plan's
tables come from :class:`sim.plans.rulebook.Rulebook`; nothing here knows a plan by name.

Two tuples travel through every function:

* ``plan`` = (params, param offsets, rule ints, rule floats, CSR offsets and rules of each
  (role, measure), measure slots, spiff ints, spiff floats, plan ints, month start days, the
  role table of :mod:`sim.plans.quotas`);
* ``st`` = the state arrays, in the order of :data:`STATE`.

Layouts: ``acc[slot, who, t]`` with ``who`` a role's team row (its role code) or ``N_ROLES +
person`` and ``t`` a period column (:func:`period_slot`); ``book[j, w, t]`` (start ARR, negative
movements, all movements) with ``w`` 0 for the team book, ``1 + person`` for a CSM's; items,
lines, deals and held keys one row each, columns below.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.plans.credits import (
    CREDITED_ROLES,
    K_ARR_CHURN,
    K_ARR_NEW,
    K_BOOKING,
    K_CASH,
    K_GO_LIVE,
    K_HIRE,
    K_NON_PAYMENT,
    K_RENEWAL,
    K_REVENUE,
    K_SNAPSHOT,
    K_SUCCESS,
    R_AE,
    R_CSM,
    TEAM,
    booking_roles,
    credits_ae,
    spiff_matches,
    spiff_person,
)
from sim.plans.periods import MONTHS, period_slot
from sim.plans.pricing import commission_term
from sim.plans.quotas import person_quota
from sim.plans.rulebook import (
    CFG_N_SPIFFS,
    RF_CAP,
    RF_CB_SHARE,
    RF_CB_WINDOW,
    RF_QUOTA,
    RF_SUCCESS_DAYS,
    RF_THRESHOLD,
    RI_BONUS,
    RI_CAP,
    RI_CB,
    RI_CB_CHURN,
    RI_CB_FAIL,
    RI_CB_NONPAY,
    RI_PK,
    RI_QSLOT,
    RI_RATIO,
    RI_TEAM,
    RI_TRIGGER,
)
from sim.vocabulary import MEASURES, ROLES

EPS = 1e-9
N_ROLES = len(ROLES)
N_MEASURES = len(MEASURES)

# items: a priced credit whose pay may be released over time, held or clawed back
IT_ROLE, IT_PERSON, IT_RULE, IT_T, IT_CKIND, IT_DEAL, IT_CUST, IT_HELD, IT_HIT = range(9)
IT_NDEAL, IT_NCUST, IT_NHELD = range(9, 12)
N_IT_I = 12
IT_VALUE, IT_RATE, IT_AMOUNT, IT_CDAY, IT_RELEASED, IT_CLAWED, IT_PRICED = range(7)
N_IT_F = 7
# payout lines; LN_COMP: rule index, or -2 - spiff index
LN_PERSON, LN_ROLE, LN_MONTH, LN_COMP, LN_REASON, LN_DEAL, LN_AUX, LN_PK = range(8)
N_LN_I = 8
LN_DAY, LN_VALUE, LN_RATE, LN_AMOUNT, LN_FRAC = range(5)
N_LN_F = 5
REASON_RELEASE, REASON_CLAWBACK, REASON_SPIFF, REASON_CLOSE = range(4)
# deals
DL_ACV, DL_DISCOUNT, DL_DAY, DL_GO_LIVE, DL_SUCCESS, DL_RENEWAL, DL_REVENUE, DL_CASH = range(8)
N_DL_F = 8
DL_EXISTS, DL_CUST, DL_AE_CREDITED, DL_HEAD, DL_TAIL, DL_COUNT = range(6)
N_DL_I = 6
CU_HEAD, CU_TAIL, CU_COUNT = range(3)
N_CU_I = 3
# held keys: the items held under one rule's threshold for one person and period
HK_RULE, HK_PERSON, HK_T, HK_HEAD, HK_TAIL, HK_ALIVE = range(6)
N_HK = 6
# state scalars
SI_ITEMS, SI_LINES, SI_NEXT_CLOSE, SI_ORDER, SI_HKEYS, SI_HELD, SI_CHAIN, SI_N_MONTHS, SI_N_CAL = range(9)
N_SI = 9
SF_LAST_DAY, SF_START_DAY = range(2)
N_SF = 2

STATE = (
    "pe_role", "pe_hired", "pe_left", "order", "acc", "cred", "capu", "book", "bhas", "dl_f", "dl_i",
    "cu_i", "it_i", "it_f", "hk", "hmap", "ln_i", "ln_f", "real", "si", "sf", "drw",
)  # fmt: skip
"""The state arrays of :class:`sim.plans.engine.PayState`, in the order of the ``st`` tuple."""


@njit(cache=True)
def row_bounds(rows):
    """(largest person id, deal, customer and day of ``rows``, whether every day is finite)."""
    top, deal, cust, last = -1, -1, -1, -math.inf
    finite = True
    for i in range(len(rows)):
        r = rows[i]
        top = max(top, r.ae, r.csm, r.consultant, r.marketer, r.sdr, r.person)
        deal = max(deal, r.deal)
        cust = max(cust, r.customer)
        if not math.isfinite(r.day):
            finite = False
        elif r.day > last:
            last = r.day
    return top, deal, cust, last, finite


@njit(cache=True)
def heads(role, day, st):
    """People of ``role`` employed on ``day``."""
    pe_role, pe_hired, pe_left, order = st[0], st[1], st[2], st[3]
    n = 0
    for j in range(st[19][SI_ORDER]):
        p = order[j]
        if pe_role[p] == role and pe_hired[p] <= day < pe_left[p]:
            n += 1
    return n


_EMIT = (
    "void(int64, int64, float64, int64, int64, int64, int64, int64, float64, float64, float64, float64, "
    "float64[::1], int32[:, ::1], float64[:, ::1], float64[:, ::1], int64[::1])"
)


@njit(_EMIT, cache=True)
def emit(
    person, role, day, comp, reason, deal, aux, pk, value, rate, amount, frac, starts, ln_i, ln_f, real, si
):
    """Append a payout line and add it to the person's realised pay of its month."""
    month = np.searchsorted(starts, day, side="right") - 1
    j = si[SI_LINES]
    si[SI_LINES] = j + 1
    ln_i[j, LN_PERSON], ln_i[j, LN_ROLE], ln_i[j, LN_MONTH], ln_i[j, LN_COMP] = person, role, month, comp
    ln_i[j, LN_REASON], ln_i[j, LN_DEAL], ln_i[j, LN_AUX], ln_i[j, LN_PK] = reason, deal, aux, pk
    ln_f[j, LN_DAY], ln_f[j, LN_VALUE], ln_f[j, LN_RATE], ln_f[j, LN_AMOUNT], ln_f[j, LN_FRAC] = (
        day, value, rate, amount, frac
    )  # fmt: skip
    if person >= 0:
        real[person, month] += amount


@njit(cache=True)
def _has_deal(d, dl_i):
    return 0 <= d < dl_i.shape[0] and dl_i[d, DL_EXISTS] == 1


@njit(cache=True)
def release(it, day, plan, st):
    """Pay what item ``it``'s timing makes due by ``day``."""
    ri, rf = plan[2], plan[3]
    dl_f, dl_i, it_i, it_f = st[9], st[10], st[12], st[13]
    ii = it_i[it]
    if ii[IT_HELD]:
        return
    g = ii[IT_RULE]
    trigger = ri[g, RI_TRIGGER]
    d = ii[IT_DEAL]
    pay_day = day
    frac = 1.0
    if trigger < 0 or not _has_deal(d, dl_i) or ii[IT_CKIND] == trigger:
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
    f = it_f[it]
    due = min(f[IT_AMOUNT], f[IT_PRICED] * frac) - f[IT_RELEASED]
    if due <= EPS:
        return
    f[IT_RELEASED] += due
    emit(ii[IT_PERSON], ii[IT_ROLE], pay_day, g, REASON_RELEASE, d, ii[IT_CKIND], -1, f[IT_VALUE], f[IT_RATE],
         due, frac, plan[10], st[16], st[17], st[18], st[19])  # fmt: skip


@njit(cache=True)
def _release_deal(d, day, plan, st):
    """Release the pay of every item of deal ``d`` with something left to pay or claw back."""
    ri = plan[2]
    dl_i, it_i, it_f = st[10], st[12], st[13]
    if d < 0 or d >= dl_i.shape[0]:
        return
    it = dl_i[d, DL_HEAD]
    while it >= 0:
        f = it_f[it]
        if it_i[it, IT_HELD] or f[IT_RELEASED] < f[IT_AMOUNT] - EPS or ri[it_i[it, IT_RULE], RI_CB]:
            release(it, day, plan, st)
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
def _hold(it, st):
    """Put item ``it`` under its rule's threshold (its held key: rule, person, period)."""
    hk, hmap, it_i, si = st[14], st[15], st[12], st[19]
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


@njit(cache=True)
def _price_credit(row, day, month, role, person_c, measure, amount, discount, customer, members, plan, st):
    """Price one credit under every commission of its (role, measure), for each person it pays
    (the members of the role for a team component): one item each, at the attainment before."""
    rp, poff, ri, rf, brm_off, brm_idx = plan[0], plan[1], plan[2], plan[3], plan[4], plan[5]
    pe_role, pe_hired, pe_left, order = st[0], st[1], st[2], st[3]
    acc, capu, it_i, it_f, si = st[4], st[6], st[12], st[13], st[19]
    n_months = si[SI_N_MONTHS]
    k0 = role * N_MEASURES + measure
    for jj in range(brm_off[k0], brm_off[k0 + 1]):
        g = brm_idx[jj]
        if ri[g, RI_BONUS] or ri[g, RI_RATIO]:
            continue
        team = ri[g, RI_TEAM] == 1
        t = period_slot(month, ri[g, RI_PK], n_months)
        n_people = 0
        n_heads = 1
        if team:
            for j in range(si[SI_ORDER]):
                q = order[j]
                if pe_role[q] == role and pe_hired[q] <= day < pe_left[q]:
                    members[n_people] = q
                    n_people += 1
            n_heads = max(1, n_people)
            if n_people == 0 and person_c != TEAM:
                members[0] = person_c
                n_people = 1
        elif person_c == TEAM:
            continue
        else:
            members[0] = person_c
            n_people = 1
        qslot = ri[g, RI_QSLOT]
        p = rp[poff[g] : poff[g + 1]]
        for j in range(n_people):
            person = members[j]
            before = 0.0
            quota = rf[g, RF_QUOTA]
            if qslot >= 0:
                w = role if team else N_ROLES + person
                if not team:
                    pk = ri[g, RI_PK]
                    quota = person_quota(plan[11][role], quota, pk, person, month // MONTHS[pk], plan[10],
                                         pe_role, pe_hired, acc, n_months)  # fmt: skip
                before = acc[qslot, w, t] / (quota * n_heads) if quota > 0 else 0.0
            room = rf[g, RF_CAP] - capu[g, person, t] if ri[g, RI_CAP] else math.inf
            share = amount / n_heads
            term = float(row.term_months) if row.kind == K_BOOKING else 12.0
            pay = commission_term(p, float(amount), before, float(n_heads), room, float(discount), term,
                                  quota)  # fmt: skip
            rate = 0.0
            if pay <= 0:
                pay = 0.0
            else:
                rate = pay / share if share else 0.0
            if ri[g, RI_CAP]:
                capu[g, person, t] += pay
            it = si[SI_ITEMS]
            si[SI_ITEMS] = it + 1
            ii = it_i[it]
            ii[IT_ROLE], ii[IT_PERSON], ii[IT_RULE], ii[IT_T] = role, person, g, t
            ii[IT_CKIND], ii[IT_DEAL], ii[IT_CUST], ii[IT_HELD], ii[IT_HIT] = (
                row.kind,
                row.deal,
                customer,
                0,
                0,
            )
            ii[IT_NDEAL], ii[IT_NCUST], ii[IT_NHELD] = -1, -1, -1
            f = it_f[it]
            f[IT_VALUE], f[IT_RATE], f[IT_AMOUNT], f[IT_CDAY] = share, rate, pay, day
            f[IT_RELEASED], f[IT_CLAWED], f[IT_PRICED] = 0.0, 0.0, 0.0


@njit(cache=True)
def _credit(row, day, month, n_cr, c_role, c_person, c_measure, c_amount, members, plan, st):
    """Price every credit of the row (at the attainment before it), add the credits to the
    accumulators, then hold or release the priced items and index them for release and clawback."""
    ri, rf, mslot = plan[2], plan[3], plan[6]
    dl_f, dl_i, cu_i, it_i, it_f, si = st[9], st[10], st[11], st[12], st[13], st[19]
    acc, cred = st[4], st[5]
    d = row.deal
    has_deal = _has_deal(d, dl_i)
    discount = dl_f[d, DL_DISCOUNT] if has_deal and row.kind != K_BOOKING else row.discount
    customer = row.customer if row.customer >= 0 else (dl_i[d, DL_CUST] if has_deal else -1)
    first_new = si[SI_ITEMS]
    for c in range(n_cr):
        _price_credit(row, day, month, c_role[c], c_person[c], c_measure[c], c_amount[c], discount, customer,
                      members, plan, st)  # fmt: skip
    for c in range(n_cr):
        s = mslot[c_measure[c]]
        for pk in range(3):
            t = period_slot(month, pk, si[SI_N_MONTHS])
            if c_person[c] != TEAM:
                acc[s, N_ROLES + c_person[c], t] += c_amount[c]
                cred[c_role[c], c_person[c], t] = True
            acc[s, c_role[c], t] += c_amount[c]
    linked = False
    for it in range(first_new, si[SI_ITEMS]):
        f = it_f[it]
        if f[IT_AMOUNT] == 0:
            continue
        g = it_i[it, IT_RULE]
        f[IT_PRICED] = f[IT_AMOUNT]
        if rf[g, RF_THRESHOLD] > 0:
            it_i[it, IT_HELD] = 1
            _hold(it, st)
            linked = True
        else:
            release(it, day, plan, st)
        if d >= 0 and (it_i[it, IT_HELD] or f[IT_RELEASED] < f[IT_AMOUNT] - EPS or ri[g, RI_CB]):
            _link(dl_i, d, DL_HEAD, it, it_i, IT_NDEAL, si)
            linked = True
        if customer >= 0 and ri[g, RI_CB]:
            _link(cu_i, customer, CU_HEAD, it, it_i, IT_NCUST, si)
            linked = True
    if not linked:  # every item of the row was paid in full at once: nothing refers to them
        si[SI_ITEMS] = first_new


@njit(cache=True)
def _clawback(row, day, plan, st):
    """Reverse ``share`` of what was paid for the credits a trigger event hits within the window."""
    ri, rf = plan[2], plan[3]
    dl_i, cu_i, it_i, it_f = st[10], st[11], st[12], st[13]
    k = row.kind
    by_customer = k == K_ARR_CHURN or row.deal < 0
    if by_customer:
        if row.customer < 0 or row.customer >= cu_i.shape[0]:
            return
        it = cu_i[row.customer, CU_HEAD]
    else:
        if row.deal >= dl_i.shape[0]:
            return
        it = dl_i[row.deal, DL_HEAD]
    column = (
        ri[:, RI_CB_CHURN]
        if k == K_ARR_CHURN
        else (ri[:, RI_CB_NONPAY] if k == K_NON_PAYMENT else ri[:, RI_CB_FAIL])
    )
    while it >= 0:
        ii = it_i[it]
        nxt = ii[IT_NCUST] if by_customer else ii[IT_NDEAL]
        g = ii[IT_RULE]
        f = it_f[it]
        if (
            ri[g, RI_CB]
            and not ii[IT_HIT]
            and column[g] == 1
            and not day - f[IT_CDAY] > rf[g, RF_CB_WINDOW] + EPS
        ):
            ii[IT_HIT] = 1
            share = rf[g, RF_CB_SHARE]
            back = min(share * f[IT_RELEASED], f[IT_RELEASED] - f[IT_CLAWED])
            f[IT_AMOUNT] = f[IT_RELEASED] + (f[IT_AMOUNT] - f[IT_RELEASED]) * (1.0 - share)
            if back > EPS:
                f[IT_CLAWED] += back
                emit(ii[IT_PERSON], ii[IT_ROLE], day, g, REASON_CLAWBACK, ii[IT_DEAL], k, -1, f[IT_VALUE],
                     f[IT_RATE], -back, 0.0, plan[10], st[16], st[17], st[18], st[19])  # fmt: skip
        it = nxt


@njit(cache=True)
def _spiffs(row, day, plan, st):
    sp_i, sp_f, cfg = plan[7], plan[8], plan[9]
    for s in range(cfg[CFG_N_SPIFFS]):
        if not spiff_matches(sp_i[s, 1], row) or not sp_f[s, 1] <= day < sp_f[s, 2]:
            continue
        person = spiff_person(sp_i[s, 0], row, cfg)
        if person >= 0:
            amount = sp_f[s, 0]
            emit(person, sp_i[s, 0], day, -2 - s, REASON_SPIFF, -1, -1, -1, 1.0, amount, amount, 1.0,
                 plan[10], st[16], st[17], st[18], st[19])  # fmt: skip


@njit(cache=True)
def _people(row, st):
    """A hire or a leave (a person seen first in a leave was there from the start)."""
    pe_role, pe_hired, pe_left, order, si = st[0], st[1], st[2], st[3], st[19]
    p = row.person
    if pe_role[p] < 0:
        order[si[SI_ORDER]] = p
        si[SI_ORDER] += 1
        pe_role[p], pe_hired[p] = row.role - 1, -math.inf
    if row.kind == K_HIRE:
        pe_role[p], pe_hired[p], pe_left[p] = row.role - 1, row.day, math.inf
    else:
        pe_left[p] = row.day


@njit(cache=True)
def _deal(row, day, cfg, st):
    """A booking opens its deal; go-lives, successes, renewals, revenue and cash update it."""
    dl_f, dl_i = st[9], st[10]
    d = row.deal
    k = row.kind
    if k == K_BOOKING:
        if d >= 0:
            df = dl_f[d]
            df[DL_ACV], df[DL_DISCOUNT], df[DL_DAY] = row.amount, row.discount, day
            df[DL_GO_LIVE], df[DL_SUCCESS], df[DL_RENEWAL] = math.nan, math.nan, math.nan
            df[DL_REVENUE], df[DL_CASH] = 0.0, 0.0
            dl_i[d, DL_EXISTS], dl_i[d, DL_CUST] = 1, row.customer
            dl_i[d, DL_AE_CREDITED] = credits_ae(booking_roles(row.deal_kind, row.credited, cfg))
    elif _has_deal(d, dl_i):
        if k == K_GO_LIVE:
            dl_f[d, DL_GO_LIVE] = day
        elif k == K_SUCCESS:
            dl_f[d, DL_SUCCESS] = day
        elif k == K_RENEWAL:
            if math.isnan(dl_f[d, DL_RENEWAL]):
                dl_f[d, DL_RENEWAL] = day
        elif k == K_REVENUE:
            dl_f[d, DL_REVENUE] += row.amount
        elif k == K_CASH:
            dl_f[d, DL_CASH] += row.amount


@njit(cache=True)
def _keep_credits(n, c_role, c_person, c_measure, c_amount, mslot, drop_ae):
    """Keep the credits of measures the plan reads (and none to the AE when ``drop_ae``)."""
    kept = 0
    for c in range(n):
        if mslot[c_measure[c]] >= 0 and not (drop_ae and c_role[c] == R_AE):
            c_role[kept], c_person[kept], c_measure[kept], c_amount[kept] = (
                c_role[c],
                c_person[c],
                c_measure[c],
                c_amount[c],
            )
            kept += 1
    return kept


__all__ = ["CREDITED_ROLES", "R_AE", "TEAM", "emit", "heads", "held_amount", "release"]
