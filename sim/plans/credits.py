"""Measure crediting, compiled: which ledger row credits whom with how much of which measure.

This is the one statement of the measure semantics (``docs/metrics.md``): the payout engine's
kernel applies it to whole ledgers, and :mod:`sim.plans.measures` asks it about single events.
Rows are :data:`sim.ledger.EVENT_DTYPE` records; roles, measures and kinds are the codes of
:mod:`sim.vocabulary`. ``cfg`` is a plan's :attr:`sim.plans.rulebook.Rulebook.cfg`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.plans.rulebook import CFG_CROSS_SELL, CFG_HANDOFF_BOOKINGS, CFG_SHARE, CFG_UPSELL
from sim.scenario.plans import SHARE_SCALE
from sim.vocabulary import DEAL_KINDS, EVENT_KINDS, MEASURES, ROLES, SOURCES, SPIFF_EVENTS

TEAM = -1
"""Person of a role-only credit (the role's team total)."""

R_AE, R_CSM, R_CONSULTANT, R_MARKETING, R_PRODUCT, R_SDR = (
    ROLES.index(r) for r in ("ae", "csm", "consultant", "marketing", "product", "sdr")
)
"""Codes of the roles the crediting rules name (a new role paid on team measures needs none)."""
R_SUPPORT, R_EDUCATION, R_CUSTOMER_MARKETING = (
    ROLES.index(r) for r in ("support", "education", "customer_marketing")
)
"""Codes of the roles credited with tickets resolved, 90-day successes and references/referrals."""
N_ROLE_CODES = len(ROLES)
_M = {m: i for i, m in enumerate(MEASURES)}
M_BOOKINGS, M_NEW_LOGO, M_UPSELL, M_CROSS = (_M[m] for m in MEASURES[:4])
M_FYR, M_CASH, M_NNARR = _M["first_year_revenue"], _M["cash_collected"], _M["net_new_arr"]
M_GRR, M_GO_LIVES, M_SUCCESS = _M["book_grr"], _M["go_lives"], _M["implementation_success_90d"]
M_FY_RENEWALS, M_RENEWALS = _M["first_year_renewals"], _M["renewals_arr"]
M_REFERENCES, M_REFERRALS, M_TICKETS, M_LEADS = _M["references"], _M["referrals"], _M["tickets"], _M["leads"]
M_MKT_ACV, M_MEETINGS, M_QOPPS = (
    _M["marketing_sourced_acv"],
    _M["meetings_set"],
    _M["qualified_opportunities"],
)
M_SDR_ACV, M_SDR_FYR = _M["sdr_closed_acv"], _M["sdr_first_year_revenue"]
M_RESOLVED, M_CO_NRR, M_CO_GRR, M_CO_NEW = (
    _M[m] for m in ("tickets_resolved", "company_nrr", "company_grr", "company_new_arr")
)

_K = {k: i for i, k in enumerate(EVENT_KINDS)}
K_HIRE, K_LEAVE, K_BOOKING, K_ARR_NEW, K_ARR_CHURN = (
    _K[k] for k in ("hire", "leave", "booking", "arr_new", "arr_churn")
)
K_RENEWAL, K_GO_LIVE, K_SUCCESS, K_FAILED = (
    _K["renewal"],
    _K["go_live"],
    _K["implementation_success"],
    _K["implementation_failed"],
)
K_REVENUE, K_CASH, K_NON_PAYMENT = _K["revenue"], _K["cash"], _K["non_payment"]
K_REFERENCE, K_REFERRAL, K_LEAD, K_TICKETS = _K["reference"], _K["referral"], _K["lead"], _K["tickets"]
K_SNAPSHOT, K_MEETING, K_OPPORTUNITY = _K["book_snapshot"], _K["meeting"], _K["opportunity"]
K_RESOLVED = _K["tickets_resolved"]
K_FORECAST, M_FORECAST = _K["forecast_miss"], _M["forecast_miss_usd"]

DK_NEW, DK_UPSELL, DK_CROSS, DK_RENEWAL = (
    DEAL_KINDS.index(k) for k in ("new", "upsell", "cross_sell", "renewal")
)
SRC_MARKETING = 1 + SOURCES.index("marketing")
(
    SP_NEW_LOGO,
    SP_MULTI_YEAR,
    SP_UPSELL,
    SP_CROSS,
    SP_REFERENCE,
    SP_REFERRAL,
    SP_GO_LIVE,
    SP_RENEWAL,
    SP_HANDOFF,
) = (SPIFF_EVENTS.index(e) for e in SPIFF_EVENTS)

CREDITED_ROLES = np.array([[-1, -1], [R_AE, -1], [R_CSM, -1], [R_AE, R_CSM], [R_CSM, R_AE]], dtype=np.int64)
"""The roles of each code of :data:`sim.vocabulary.CREDITED`."""
MAX_CREDITS = 16
"""Credits one row can give (a new-logo booking credited to an AE, marketing and an SDR; a new-logo
ARR movement credits every role's team with company new ARR)."""
CREDIT_DTYPE = np.dtype(
    [("role", np.int64), ("person", np.int64), ("measure", np.int64), ("amount", np.float64)]
)
"""One measure credit: role, person (or ``TEAM``), measure and amount. A row's credits are one array
of these (:func:`new_credits`): a compiled call touches the reference count of each array it is
passed, once per row."""


def new_credits() -> np.ndarray:
    """Room for the credits of one row (:data:`MAX_CREDITS` records of :data:`CREDIT_DTYPE`)."""
    return np.empty(MAX_CREDITS, dtype=CREDIT_DTYPE)


@njit(cache=True)
def is_arr(kind):
    """Whether ``kind`` is an ARR movement."""
    return K_ARR_NEW <= kind <= K_ARR_CHURN


@njit(cache=True)
def is_sale(deal_kind):
    """Whether ``deal_kind`` is a sale (new, upsell, cross-sell)."""
    return DK_NEW <= deal_kind <= DK_CROSS


@njit(cache=True)
def booking_roles(deal_kind, credited, cfg):
    """Code (:data:`sim.vocabulary.CREDITED`) of the roles credited for a booking: the row's own
    list when the world filled it, else the plan's crediting rules (the back-test leaves it empty)."""
    if deal_kind == DK_NEW:
        return 1
    if credited != 0:
        return credited
    if deal_kind == DK_UPSELL:
        return cfg[CFG_UPSELL]
    if deal_kind == DK_CROSS:
        return cfg[CFG_CROSS_SELL]
    return 0


@njit(cache=True)
def credits_ae(code):
    """Whether the roles of crediting code ``code`` include the AE."""
    return CREDITED_ROLES[code, 0] == R_AE or CREDITED_ROLES[code, 1] == R_AE


@njit(inline="always", cache=True)  # inlined: no compile per literal role and measure (33 of them)
def _put(out, n, role, person, measure, amount):
    c = out[n]
    c.role, c.person, c.measure, c.amount = role, person, measure, amount
    return n + 1


@njit(cache=True)
def event_credits(row, cfg, out):
    """Every additive measure credit of one ledger row, written to ``out`` (records of
    :data:`CREDIT_DTYPE`: role, person or ``TEAM``, measure, amount; at most :data:`MAX_CREDITS`);
    returns how many. Book ratios are not credits (the CSM books are kept apart)."""
    k = row.kind
    n = 0
    if k == K_BOOKING:
        dk = row.deal_kind
        if not is_sale(dk):
            return 0
        kind_measure = M_NEW_LOGO if dk == DK_NEW else (M_UPSELL if dk == DK_UPSELL else M_CROSS)
        code = booking_roles(dk, row.credited, cfg)
        for j in range(2):
            role = CREDITED_ROLES[code, j]
            person = row.ae if role == R_AE else row.csm
            if role >= 0 and person >= 0:
                amount = row.amount
                if dk != DK_NEW:  # split credit of an expansion deal (full share: the amount itself)
                    amount = amount * (cfg[CFG_SHARE + 2 * (dk == DK_CROSS) + (role == R_CSM)] / SHARE_SCALE)
                n = _put(out, n, role, person, M_BOOKINGS, amount)
                n = _put(out, n, role, person, kind_measure, amount)
        if dk == DK_NEW and row.source == SRC_MARKETING:
            who = row.marketer if row.marketer >= 0 else TEAM
            n = _put(out, n, R_MARKETING, who, M_MKT_ACV, row.amount)
        if dk == DK_NEW and row.sdr >= 0:
            n = _put(out, n, R_SDR, row.sdr, M_SDR_ACV, row.amount)
            if cfg[CFG_HANDOFF_BOOKINGS]:
                n = _put(out, n, R_SDR, row.sdr, M_BOOKINGS, row.amount)
                n = _put(out, n, R_SDR, row.sdr, M_NEW_LOGO, row.amount)
    elif k == K_REVENUE:
        if row.first_year and row.ae >= 0:
            n = _put(out, n, R_AE, row.ae, M_FYR, row.amount)
        if row.first_year and row.sdr >= 0:
            n = _put(out, n, R_SDR, row.sdr, M_SDR_FYR, row.amount)
    elif k == K_CASH:
        if row.ae >= 0 and row.deal_kind != DK_RENEWAL:  # billing on: renewal terms' cash is not a sale
            n = _put(out, n, R_AE, row.ae, M_CASH, row.amount)
    elif is_arr(k):
        if k == K_ARR_NEW:  # company new ARR: a team credit of every role
            for role in range(N_ROLE_CODES):
                n = _put(out, n, role, TEAM, M_CO_NEW, row.amount)
        if row.ae >= 0 and is_sale(row.deal_kind):
            n = _put(out, n, R_AE, row.ae, M_NNARR, row.amount)
        if row.csm >= 0:
            n = _put(out, n, R_CSM, row.csm, M_NNARR, row.amount)
    elif k == K_GO_LIVE:
        if row.consultant >= 0:
            n = _put(out, n, R_CONSULTANT, row.consultant, M_GO_LIVES, 1.0)
    elif k == K_SUCCESS:
        if row.consultant >= 0:
            n = _put(out, n, R_CONSULTANT, row.consultant, M_SUCCESS, 1.0)
        if row.ae >= 0:
            n = _put(out, n, R_AE, row.ae, M_SUCCESS, 1.0)
        n = _put(out, n, R_EDUCATION, TEAM, M_SUCCESS, 1.0)
    elif k == K_RENEWAL:
        if row.first_year and row.consultant >= 0:
            n = _put(out, n, R_CONSULTANT, row.consultant, M_FY_RENEWALS, row.amount)
        if row.first_year and row.ae >= 0:
            n = _put(out, n, R_AE, row.ae, M_FY_RENEWALS, row.amount)
        if row.csm >= 0:
            n = _put(out, n, R_CSM, row.csm, M_RENEWALS, row.amount)
    elif k == K_REFERENCE:
        if row.csm >= 0:
            n = _put(out, n, R_CSM, row.csm, M_REFERENCES, 1.0)
        n = _put(out, n, R_CUSTOMER_MARKETING, TEAM, M_REFERENCES, 1.0)
    elif k == K_REFERRAL:
        if row.csm >= 0:
            n = _put(out, n, R_CSM, row.csm, M_REFERRALS, 1.0)
        n = _put(out, n, R_CUSTOMER_MARKETING, TEAM, M_REFERRALS, 1.0)
    elif k == K_RESOLVED:
        if row.person >= 0:
            n = _put(out, n, R_SUPPORT, row.person, M_RESOLVED, row.amount)
    elif k == K_FORECAST:
        if row.ae >= 0:
            n = _put(out, n, R_AE, row.ae, M_FORECAST, row.amount)
    elif k == K_TICKETS:
        n = _put(out, n, R_PRODUCT, TEAM, M_TICKETS, row.amount)
    elif k == K_MEETING:
        if row.sdr >= 0:
            n = _put(out, n, R_SDR, row.sdr, M_MEETINGS, 1.0)
    elif k == K_OPPORTUNITY:
        if row.sdr >= 0:
            n = _put(out, n, R_SDR, row.sdr, M_QOPPS, 1.0)
    elif k == K_LEAD:
        who = row.marketer if row.marketer >= 0 else row.person
        n = _put(out, n, R_MARKETING, who if who >= 0 else TEAM, M_LEADS, 1.0)
    return n


@njit(cache=True)
def every_credit(rows, cfg):
    """The distinct (kind, role, measure) credited by any of ``rows`` (one row per line of the result)."""
    seen = np.zeros((64, len(CREDITED_ROLES) + 8, 64), dtype=np.bool_)
    out = np.empty(MAX_CREDITS, dtype=CREDIT_DTYPE)
    for i in range(len(rows)):
        for c in range(event_credits(rows[i], cfg, out)):
            seen[rows[i].kind, out[c].role, out[c].measure] = True
    return np.argwhere(seen)


@njit(cache=True)
def spiff_matches(event, row):
    """Whether a ledger row is a qualifying event for a spiff of event code ``event``."""
    k = row.kind
    if event == SP_NEW_LOGO:
        return k == K_BOOKING and row.deal_kind == DK_NEW
    if event == SP_MULTI_YEAR:
        return k == K_BOOKING and is_sale(row.deal_kind) and row.term_months > 12
    if event == SP_UPSELL:
        return k == K_BOOKING and row.deal_kind == DK_UPSELL
    if event == SP_CROSS:
        return k == K_BOOKING and row.deal_kind == DK_CROSS
    if event == SP_REFERENCE:
        return k == K_REFERENCE
    if event == SP_REFERRAL:
        return k == K_REFERRAL
    if event == SP_GO_LIVE:
        return k == K_GO_LIVE
    if event == SP_RENEWAL:
        return k == K_RENEWAL
    if event == SP_HANDOFF:
        return k == K_OPPORTUNITY and row.sdr >= 0
    return False


@njit(cache=True)
def spiff_person(role, row, cfg):
    """Who of ``role`` earns a spiff for this row (-1: nobody)."""
    if role in (R_PRODUCT, R_EDUCATION, R_CUSTOMER_MARKETING):
        return -1
    if row.kind == K_BOOKING and role in (R_AE, R_CSM):
        code = booking_roles(row.deal_kind, row.credited, cfg)
        if role not in (CREDITED_ROLES[code, 0], CREDITED_ROLES[code, 1]):
            return -1
    if role == R_AE:
        return row.ae
    if role == R_CSM:
        return row.csm
    if role == R_CONSULTANT:
        return row.consultant
    if role == R_MARKETING:
        return row.marketer
    if role == R_SUPPORT:
        return row.person if row.kind == K_RESOLVED else -1
    return row.sdr
