"""The payout engine's kernel: ledger rows applied to the pay state, compiled with numba.

:func:`apply_rows` reads ledger rows (:data:`sim.ledger.EVENT_DTYPE`) in time order and updates
the state arrays of :class:`sim.plans.engine.PayState`: measure accumulators per person and
period, capped pay used, deals and the pay items waiting on them, pay held under thresholds,
CSM books, payout lines and realised pay. The rules are those of :mod:`sim.plans.engine`'s
docstring (``docs/model.md``, "Pay and decisions"); prices come from :mod:`sim.plans.pricing`,
credits from :mod:`sim.plans.credits`, period closes from :mod:`sim.plans.closes`. The plan's
tables come from :class:`sim.plans.rulebook.Rulebook`; nothing here knows a plan by name.

Two tuples hold the plan's tables and the state (the per-row steps of :func:`apply_rows` take the
arrays they read instead, state arrays named as in :data:`STATE`; their docstrings give the items):

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

from numba import njit

from sim.plans.credits import (
    K_ARR_CHURN,
    K_BOOKING,
    K_HIRE,
    K_NON_PAYMENT,
    R_AE,
    TEAM,
    spiff_matches,
    spiff_person,
)
from sim.plans.holds import _has_deal, _hold, _link, release
from sim.plans.layout import (
    CU_HEAD,
    DL_CUST,
    DL_DISCOUNT,
    DL_HEAD,
    EPS,
    IT_AMOUNT,
    IT_CDAY,
    IT_CKIND,
    IT_CLAWED,
    IT_CUST,
    IT_DEAL,
    IT_HELD,
    IT_HIT,
    IT_NCUST,
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
    N_MEASURES,
    N_ROLES,
    REASON_CLAWBACK,
    REASON_SPIFF,
    SI_ITEMS,
    SI_N_MONTHS,
    SI_ORDER,
    emit,
)
from sim.plans.periods import MONTHS, period_slot
from sim.plans.pricing import commission_term
from sim.plans.quotas import RO_RAMP_MONTHS, RO_RATCHET, person_quota, quota_varies
from sim.plans.rulebook import (
    CFG_N_SPIFFS,
    RF_CAP,
    RF_CB_SHARE,
    RF_CB_WINDOW,
    RF_QUOTA,
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
)


@njit(cache=True)
def _credit_terms(row, dl_f, dl_i):
    """The discount and customer of a row's credits: the row's own, or its deal's for a row after the
    booking (customer -1 when neither is known). ``dl_f``, ``dl_i``: ``st`` items 9 and 10."""
    d = row.deal
    has_deal = _has_deal(d, dl_i)
    discount = dl_f[d, DL_DISCOUNT] if has_deal and row.kind != K_BOOKING else row.discount
    customer = row.customer if row.customer >= 0 else (dl_i[d, DL_CUST] if has_deal else -1)
    return discount, customer


@njit(cache=True)
def _price_credits(row, day, month, n_cr, credits, discount, customer, members, rp, poff, ri, rf, brm_off,
                   brm_idx, roles, starts, pe_role, pe_hired, pe_left, order, acc, capu, it_i, it_f,
                   si):  # fmt: skip
    """Price each credit of a row under every commission of its (role, measure), for each person it
    pays (the members of the role for a team component): one new item each, at the attainment before
    the row. Takes the arrays it reads (``plan`` items 0-5, 11 and 10; ``st`` items 0-4, 6, 12, 13
    and 19), not the tuples: a call increfs and decrefs every array passed."""
    n_months = si[SI_N_MONTHS]
    term = float(row.term_months) if row.kind == K_BOOKING else 12.0
    for c in range(n_cr):
        cr = credits[c]
        role, person_c, amount = cr.role, cr.person, cr.amount
        k0 = role * N_MEASURES + cr.measure
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
                    if not team and quota_varies(roles[role, RO_RAMP_MONTHS], roles[role, RO_RATCHET]):
                        pk = ri[g, RI_PK]
                        quota = person_quota(roles[role], quota, pk, person, month // MONTHS[pk], starts,
                                             pe_role, pe_hired, acc, n_months)  # fmt: skip
                    before = acc[qslot, w, t] / (quota * n_heads) if quota > 0 else 0.0
                room = rf[g, RF_CAP] - capu[g, person, t] if ri[g, RI_CAP] else math.inf
                share = amount / n_heads
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
                it_i[it, IT_ROLE], it_i[it, IT_PERSON], it_i[it, IT_RULE], it_i[it, IT_T] = role, person, g, t
                it_i[it, IT_CKIND], it_i[it, IT_DEAL], it_i[it, IT_CUST] = row.kind, row.deal, customer
                it_i[it, IT_HELD], it_i[it, IT_HIT] = 0, 0
                it_i[it, IT_NDEAL], it_i[it, IT_NCUST], it_i[it, IT_NHELD] = -1, -1, -1
                it_f[it, IT_VALUE], it_f[it, IT_RATE], it_f[it, IT_AMOUNT] = share, rate, pay
                it_f[it, IT_CDAY] = day
                it_f[it, IT_RELEASED], it_f[it, IT_CLAWED], it_f[it, IT_PRICED] = 0.0, 0.0, 0.0


@njit(cache=True)
def _add_credits(month, n_cr, credits, mslot, acc, cred, si):
    """Add a row's credits to the accumulators of each period kind (after they were priced).
    ``mslot``: ``plan`` item 6; ``acc``, ``cred``, ``si``: ``st`` items 4, 5 and 19."""
    for c in range(n_cr):
        cr = credits[c]
        s = mslot[cr.measure]
        for pk in range(3):
            t = period_slot(month, pk, si[SI_N_MONTHS])
            if cr.person != TEAM:
                acc[s, N_ROLES + cr.person, t] += cr.amount
                cred[cr.role, cr.person, t] = True
            acc[s, cr.role, t] += cr.amount


@njit(cache=True)
def _place_items(first_new, d, customer, day, ri, rf, starts, dl_f, dl_i, cu_i, it_i, it_f, hk, hmap, ln_i,
                 ln_f, real, si):  # fmt: skip
    """Hold or release the items a row priced (``first_new`` on) and index them for release and
    clawback (deal ``d``, ``customer``); forget them when every one was paid in full at once. Takes
    the arrays it reads (``plan`` items 2, 3 and 10; ``st`` items 9-19), not the tuples."""
    linked = False
    for it in range(first_new, si[SI_ITEMS]):
        if it_f[it, IT_AMOUNT] == 0:
            continue
        g = it_i[it, IT_RULE]
        it_f[it, IT_PRICED] = it_f[it, IT_AMOUNT]
        if rf[g, RF_THRESHOLD] > 0:
            it_i[it, IT_HELD] = 1
            _hold(it, hk, hmap, it_i, si)
            linked = True
        else:
            release(it, day, ri, rf, starts, dl_f, dl_i, it_i, it_f, ln_i, ln_f, real, si)
        if d >= 0 and (
            it_i[it, IT_HELD] or it_f[it, IT_RELEASED] < it_f[it, IT_AMOUNT] - EPS or ri[g, RI_CB]
        ):
            _link(dl_i, d, DL_HEAD, it, it_i, IT_NDEAL, si)
            linked = True
        if customer >= 0 and ri[g, RI_CB]:
            _link(cu_i, customer, CU_HEAD, it, it_i, IT_NCUST, si)
            linked = True
    if not linked:  # every item of the row was paid in full at once: nothing refers to them
        si[SI_ITEMS] = first_new


@njit(cache=True)
def _clawback(row, day, ri, rf, starts, dl_i, cu_i, it_i, it_f, ln_i, ln_f, real, si):
    """Reverse ``share`` of what was paid for the credits a trigger event hits within the window.
    Takes the arrays it reads (``plan`` items 2, 3 and 10; ``st`` items 10-13 and 16-19)."""
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
                     f[IT_RATE], -back, 0.0, starts, ln_i, ln_f, real, si)  # fmt: skip
        it = nxt


@njit(cache=True)
def _spiffs(row, day, sp_i, sp_f, cfg, starts, ln_i, ln_f, real, si):
    """Pay the spiffs the row qualifies for. Takes the arrays it reads (``plan`` items 7-10; ``st``
    items 16-19)."""
    for s in range(cfg[CFG_N_SPIFFS]):
        if not spiff_matches(sp_i[s, 1], row) or not sp_f[s, 1] <= day < sp_f[s, 2]:
            continue
        person = spiff_person(sp_i[s, 0], row, cfg)
        if person >= 0:
            amount = sp_f[s, 0]
            emit(person, sp_i[s, 0], day, -2 - s, REASON_SPIFF, -1, -1, -1, 1.0, amount, amount, 1.0,
                 starts, ln_i, ln_f, real, si)  # fmt: skip


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
def _keep_credits(n, credits, mslot, drop_ae):
    """Keep the credits of measures the plan reads (and none to the AE when ``drop_ae``)."""
    kept = 0
    for c in range(n):
        cr = credits[c]
        if mslot[cr.measure] >= 0 and not (drop_ae and cr.role == R_AE):
            to = credits[kept]
            to.role, to.person, to.measure, to.amount = cr.role, cr.person, cr.measure, cr.amount
            kept += 1
    return kept
