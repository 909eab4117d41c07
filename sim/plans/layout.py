"""The layout of the pay state the kernel updates: the columns of items, payout lines, deals,
customers and held keys, the state scalars, the order of the state arrays (:data:`STATE`), and the
small compiled helpers that read and grow them (row bounds, head counts, emitting a payout line)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

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
