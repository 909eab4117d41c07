"""What a deal on given terms would credit its AE: the columns of a deal-terms option table.

A rep valuing deal terms (discount x promise x overcommitment, or a close-timing choice) needs,
per option, what the deal would credit them in plan-measure vocabulary, expected from the true
model: the booking's ACV with the win probability at the close, first-year revenue spread over
the year after go-live, cash as invoices are paid, the implementation succeeding, the first
renewal. :func:`fill` writes those credits for every option at once into the stacked layout of
:meth:`sim.policy.decisions.OptionTable.stacked` (one column per measure the AE's plan pays on), from a
template of the fields the credits share (discount, success and churn probabilities, delays,
risks). Which fields mean what is :data:`sim.policy.decisions.FIELDS`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.policy.decisions import ROW

ACV, FIRST_YEAR_REVENUE, CASH, SUCCESS, FIRST_RENEWAL = range(5)
CREDIT_OF: dict[str, int] = {
    "bookings_acv": ACV,
    "new_logo_acv": ACV,
    "net_new_arr": ACV,
    "first_year_revenue": FIRST_YEAR_REVENUE,
    "cash_collected": CASH,
    "implementation_success_90d": SUCCESS,
    "first_year_renewals": FIRST_RENEWAL,
}
"""How a deal credits each measure an AE's plan can pay on (measures not here: nothing)."""

_AMOUNT, _PROB, _DELAY, _SPREAD, _GO_LIVE = (
    ROW[f] for f in ("amount", "probability", "delay_days", "spread_days", "go_live_delay_days")
)
_SUCCESS, _CHURN, _NON_PAYMENT = (
    ROW[f] for f in ("success_probability", "churn_probability", "non_payment_probability")
)


@njit(cache=True)
def fill(credits, base, list_acv, discount, overcommit, logit, p_win, delay, go_live, success_days,
         renewal_delay, cash_lag, cash_spread, cash_share, out):  # fmt: skip
    """Write column ``c`` of ``out[c, field, option]`` for each credit kind ``credits[c]``.

    ``base[field, option]`` is the template (discount, success, churn, non-payment, term...); the
    deal's ACV is ``list_acv (1 - discount) (1 + overcommit)``, won ``delay`` days from now with
    probability ``p_win`` (or, when ``logit`` is a number, ``1 / (1 + exp(-(logit + p_win)))``:
    ``p_win`` then holds each option's win log-odds shift); implementation takes ``go_live``
    days and counts as a success ``success_days`` later; the first renewal comes
    ``renewal_delay`` days after the close; cash starts ``cash_lag`` days after it, spread over
    ``cash_spread`` days, ``cash_share`` of the ACV."""
    n = base.shape[1]
    if not np.isnan(logit):
        shift = p_win
        p_win = np.empty(n)
        for i in range(n):
            p_win[i] = 1.0 / (1.0 + np.exp(-(logit + shift[i])))
    for c in range(len(credits)):
        kind = credits[c]
        for f in range(base.shape[0]):  # (element by element: a slice copy costs seconds to compile)
            for i in range(n):
                out[c, f, i] = base[f, i]
        for i in range(n):
            acv = list_acv * (1 - discount[i]) * (1 + overcommit[i])
            col = out[c]
            col[_GO_LIVE, i] = go_live
            col[_SPREAD, i] = 0.0
            if kind == ACV:
                col[_AMOUNT, i], col[_PROB, i], col[_DELAY, i] = acv, p_win[i], delay[i]
            elif kind == FIRST_YEAR_REVENUE:
                col[_AMOUNT, i], col[_PROB, i], col[_DELAY, i] = (
                    list_acv * (1 - discount[i]),
                    p_win[i],
                    delay[i] + go_live,
                )
                col[_SPREAD, i] = 365.0
            elif kind == CASH:
                col[_AMOUNT, i] = acv * cash_share * (1 - base[_NON_PAYMENT, i])
                col[_PROB, i], col[_DELAY, i], col[_SPREAD, i] = p_win[i], delay[i] + cash_lag, cash_spread
            elif kind == SUCCESS:
                col[_AMOUNT, i], col[_PROB, i] = 1.0, p_win[i] * base[_SUCCESS, i]
                col[_DELAY, i] = delay[i] + go_live + success_days
            else:
                col[_AMOUNT, i], col[_PROB, i] = acv / (1 + overcommit[i]), p_win[i] * (1 - base[_CHURN, i])
                col[_DELAY, i] = delay[i] + renewal_delay


@njit(cache=True)
def fill_leads(credits, base, segs, grid, list_acv, discount, overcommit, logits, shift, delays, go_live,
               success_days, renewal_delay, cash_lag, cash_spread, cash_share, out):  # fmt: skip
    """:func:`fill` for a day's leads: lead ``i`` of segment ``segs[i]`` takes the template
    ``base[segs[i], grid[i]]`` (its fit's grid point), its win log-odds ``logits[i]`` plus each
    option's ``shift``, closes ``delays[i]`` days from now; the segment's go-live, renewal and cash
    figures are indexed by segment. Writes ``out[i]``."""
    delay = np.empty(len(discount))
    for i in range(len(segs)):
        s = segs[i]
        delay[:] = delays[i]
        fill(credits, base[s, grid[i]], list_acv[i], discount, overcommit, logits[i], shift, delay,
             go_live[s], success_days, renewal_delay[s], cash_lag[s], cash_spread[s], cash_share[s],
             out[i])  # fmt: skip


@njit(cache=True)
def fill_timing(credits, base, moved, segs, grid, terms, list_acv, discounts, overcommit, p_wins, delays,
                go_live, success_days, renewal_delay, cash_lag, cash_spread, cash_share, out):  # fmt: skip
    """:func:`fill` for deals' close-timing options: deal ``i`` (segment ``segs[i]``, fit grid point
    ``grid[i]``, term option ``terms[i]``) as it stands (template ``base``) and moved (template
    ``moved``), with its two options' ``discounts[i]``, ``p_wins[i]`` and ``delays[i]``. Writes
    ``out[i]``."""
    nf = base.shape[2]
    both = np.empty((nf, 2))
    oc = np.empty(2)
    for i in range(len(segs)):
        s, g, k = segs[i], grid[i], terms[i]
        for f in range(nf):
            both[f, 0] = base[s, g, f, k]
            both[f, 1] = moved[s, g, f, k]
        oc[0] = overcommit[k]
        oc[1] = overcommit[k]
        fill(credits, both, list_acv[i], discounts[i], oc, np.nan, p_wins[i], delays[i], go_live[s],
             success_days, renewal_delay[s], cash_lag[s], cash_spread[s], cash_share[s], out[i])  # fmt: skip


__all__ = ["CREDIT_OF", "fill", "fill_leads", "fill_timing", "np"]
