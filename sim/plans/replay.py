"""Ledger rows applied to the pay state, in order: the payout engine's main loop, compiled.

:func:`apply_rows` is ``PayState.observe`` over many rows: people, the CSM books, deals, the
credits of each row (priced, accumulated, held or released), releases of pay waiting on the
row, spiffs and clawbacks, with the periods that ended closed first (:mod:`sim.plans.closes`).
The ``plan`` and ``st`` tuples are described in :mod:`sim.plans.kernel`. Every call of a compiled
function that receives them increfs and decrefs each of their arrays (about 34) and numba's
refcount pruning does not remove that across calls: the tuples are unpacked once per call here,
and the per-row and per-item steps take the arrays they read (a row's credits, priced, added and
placed; a deal's releases; spiffs; clawbacks); the period closes, which take the tuples, are called
only when one is due (:func:`sim.plans.closes.close_due`), and a deal's releases only when it has
pay waiting (:func:`sim.plans.holds.deal_head`). The update of a row's deal (a booking opens it;
go-lives, successes, renewals, revenue and cash date or add to it) is written in the loop itself:
even inlined, a helper taking ``dl_f`` and ``dl_i`` kept a reference count on them per row.

Numba's on-disk cache (``cache=True``) is keyed on this file alone, yet the compiled code here
includes the pricing, credit, quota and draw functions it calls (``pricing``, ``credits``,
``quotas``, ``draws``, ``periods``): after a change to those (a new rule, a new slot in
``Rule.params``, a new state array), an old cache of this file would run the old rules. Clear
the caches (``find sim -name '*.nb[ic]' -delete``) when pulling such a change into a tree that
ran before.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.plans.closes import advance, close_due
from sim.plans.credits import (
    CREDIT_DTYPE,
    K_ARR_CHURN,
    K_BOOKING,
    K_CASH,
    K_FAILED,
    K_GO_LIVE,
    K_HIRE,
    K_LEAVE,
    K_NON_PAYMENT,
    K_RENEWAL,
    K_REVENUE,
    K_SNAPSHOT,
    K_SUCCESS,
    MAX_CREDITS,
    booking_roles,
    credits_ae,
    event_credits,
    is_arr,
)
from sim.plans.holds import _book, _has_deal, _release_deal, deal_head
from sim.plans.kernel import (
    _add_credits,
    _clawback,
    _credit_terms,
    _keep_credits,
    _people,
    _place_items,
    _price_credits,
    _spiffs,
)
from sim.plans.layout import (
    DL_ACV,
    DL_AE_CREDITED,
    DL_CASH,
    DL_CUST,
    DL_DAY,
    DL_DISCOUNT,
    DL_EXISTS,
    DL_GO_LIVE,
    DL_RENEWAL,
    DL_REVENUE,
    DL_SUCCESS,
    EPS,
    SF_LAST_DAY,
    SI_CHAIN,
    SI_HKEYS,
    SI_ITEMS,
    SI_LINES,
)
from sim.plans.periods import month_of
from sim.plans.rulebook import CFG_N_SPIFFS


@njit(cache=True)
def apply_rows(rows, lo, hi, strict, margin, plan, st):
    """Apply ledger rows ``lo .. hi - 1`` in order (``PayState.observe`` on each). Returns the index
    of the first row not applied: ``hi`` when all were; earlier when the item or line arrays have
    fewer than ``margin`` free rows (grow them and call again from there); ``-1 - i`` when row ``i``
    is older than the state's last day and ``strict`` (nothing of it applied)."""
    rp, poff, ri, rf, brm_off, brm_idx, mslot, sp_i, sp_f, cfg, starts, roles = plan
    pe_role, pe_hired, pe_left, order, acc, cred, capu = st[0], st[1], st[2], st[3], st[4], st[5], st[6]
    dl_f, dl_i, cu_i, it_i, it_f, hk, hmap = st[9], st[10], st[11], st[12], st[13], st[14], st[15]
    ln_i, ln_f, real, si, sf = st[16], st[17], st[18], st[19], st[20]
    credits = np.empty(MAX_CREDITS, dtype=CREDIT_DTYPE)
    members = np.empty(pe_role.shape[0] + 1, dtype=np.int64)
    for i in range(lo, hi):
        if (
            it_i.shape[0] - si[SI_ITEMS] < margin
            or ln_i.shape[0] - si[SI_LINES] < margin + si[SI_CHAIN]
            or hk.shape[0] - si[SI_HKEYS] < margin
        ):
            return i
        row = rows[i]
        k = row.kind
        day = row.day
        if k in (K_HIRE, K_LEAVE):
            _people(row, st)
            continue
        if strict and day + EPS < sf[SF_LAST_DAY]:
            return -1 - i
        if day > sf[SF_LAST_DAY]:
            if close_due(day, starts, si) and not advance(day, margin, plan, st):
                return i
            sf[SF_LAST_DAY] = day
        month = month_of(starts, day)
        if k == K_SNAPSHOT or is_arr(k):
            _book(row, month, st)
        d = row.deal
        has_deal = _has_deal(d, dl_i)  # before the row; a booking opens its deal, below
        # the row's deal (here, not in a helper taking dl_f and dl_i: that counted references per row)
        if k == K_BOOKING:
            if d >= 0:
                dl_f[d, DL_ACV], dl_f[d, DL_DISCOUNT], dl_f[d, DL_DAY] = row.amount, row.discount, day
                dl_f[d, DL_GO_LIVE], dl_f[d, DL_SUCCESS], dl_f[d, DL_RENEWAL] = math.nan, math.nan, math.nan
                dl_f[d, DL_REVENUE], dl_f[d, DL_CASH] = 0.0, 0.0
                dl_i[d, DL_EXISTS], dl_i[d, DL_CUST] = 1, row.customer
                dl_i[d, DL_AE_CREDITED] = credits_ae(booking_roles(row.deal_kind, row.credited, cfg))
        elif has_deal:
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
        n_cr = event_credits(row, cfg, credits)
        # revenue, cash and ARR of an expansion deal the AE is not credited for credit no AE
        drop_ae = k != K_BOOKING and has_deal and dl_i[d, DL_AE_CREDITED] == 0
        n_cr = _keep_credits(n_cr, credits, mslot, drop_ae)
        if n_cr:  # priced at the attainment before the row, then accumulated, then held or released
            first_new = si[SI_ITEMS]
            discount, customer = _credit_terms(row, dl_f, dl_i)
            _price_credits(row, day, month, n_cr, credits, discount, customer, members, rp, poff, ri, rf,
                           brm_off, brm_idx, roles, starts, pe_role, pe_hired, pe_left, order, acc, capu,
                           it_i, it_f, si)  # fmt: skip
            _add_credits(month, n_cr, credits, mslot, acc, cred, si)
            _place_items(first_new, d, customer, day, ri, rf, starts, dl_f, dl_i, cu_i, it_i, it_f, hk, hmap,
                         ln_i, ln_f, real, si)  # fmt: skip
        if k in (K_GO_LIVE, K_SUCCESS, K_RENEWAL, K_REVENUE, K_CASH) and deal_head(d, dl_i) >= 0:
            _release_deal(d, day, ri, rf, starts, dl_f, dl_i, it_i, it_f, ln_i, ln_f, real, si)
        if cfg[CFG_N_SPIFFS]:
            _spiffs(row, day, sp_i, sp_f, cfg, starts, ln_i, ln_f, real, si)
        if k in (K_ARR_CHURN, K_NON_PAYMENT, K_FAILED):
            _clawback(row, day, ri, rf, starts, dl_i, cu_i, it_i, it_f, ln_i, ln_f, real, si)
    return hi
