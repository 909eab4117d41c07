"""Expected pay of every option of a decision, compiled: one call per decision.

:func:`expected_pay` is the arithmetic of :class:`sim.policy.valuation.Valuer` over numpy
arrays: the options' measure credits (an :class:`sim.policy.decisions.OptionTable`, stacked), the
decider's live pay state (the ``st`` arrays of :class:`sim.plans.engine.PayState`) and the
plan's tables (its ``plan`` tuple), priced with the kernel that pays them
(:mod:`sim.plans.pricing`). For each credit and each component of the decider's role that pays
on its measure:

1. the credit lands ``delay`` days after the decision (cut at period ends when it is spread
   over ``spread`` days: revenue), each piece priced at the pay state of its period and
   discounted at its mean delay (:func:`credit_pieces`);
2. the pay state behind a piece: head count, quota attainment before it, cap room, threshold
   attainment and the pay held under it (commission); measure so far, bonus at it and the
   discount to the period close (bonus; a book ratio is forecast by :func:`projected_ratio`);
3. the kernel's price, times the clawback and timing factors; spiffs whose event stands for
   the measure add their amount; the whole is a Bernoulli payoff of the credit's probability
   (``p V`` and ``sqrt(p (1 - p)) |V|``, added over the option's credits).

Equations: ``docs/model.md`` ("Pay and decisions").
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.plans.credits import M_CO_GRR, M_GRR, SP_MULTI_YEAR
from sim.plans.draws import draw_context, draw_worth
from sim.plans.holds import held_amount, ratio
from sim.plans.layout import N_MEASURES, N_ROLES, SF_LAST_DAY, SI_N_MONTHS, heads
from sim.plans.periods import column_of
from sim.plans.pricing import (
    bonus,
    clawback_keep,
    commission_term,
    discount_factor,
    mean_discount_factor,
    threshold_gate,
    timing_factor,
)
from sim.plans.quotas import (
    RO_DRAW,
    RO_RAMP_MONTHS,
    RO_RATCHET,
    person_quota,
    quota_varies,
    ramped_quota,
    ratchet_step,
    tenure_start,
)
from sim.plans.rule import NOW, P_TARGET_VALUE, P_TIMING
from sim.plans.rulebook import (
    RF_CAP,
    RF_QUOTA,
    RF_ROLE_QUOTA,
    RF_THRESHOLD,
    RI_BONUS,
    RI_CAP,
    RI_MEASURE,
    RI_MONTHS,
    RI_MSLOT,
    RI_PK,
    RI_QSLOT,
    RI_RATIO,
    RI_TEAM,
)
from sim.policy.decisions import ROW

F_AMOUNT, F_PROB, F_DELAY, F_SPREAD, F_DISCOUNT = (
    ROW[f] for f in ("amount", "probability", "delay_days", "spread_days", "discount")
)
F_GO_LIVE, F_SUCCESS, F_RENEWAL, F_CASH = (
    ROW[f] for f in ("go_live_delay_days", "success_probability", "renewal_delay_days", "cash_delay_days")
)
F_CHURN, F_NON_PAYMENT, F_FAILURE, F_TERM = (
    ROW[f] for f in ("churn_probability", "non_payment_probability", "failure_probability", "term_months")
)


@njit(cache=True)
def credit_pieces(starts, months, day, delay, spread, rate, out, at):
    """How a credit ``delay`` days after ``day`` falls into periods of ``months`` months: one piece
    per period (a point credit is one piece); writes each piece's credit day, share of the
    amount and discount factor to ``out[0]``, ``out[1]`` and ``out[2]`` from column ``at`` on (they
    must hold them all), returns how many. Takes the whole ``out`` and an offset, not views: a
    view and each array passed cost a reference count per call."""
    t0 = day + max(delay, 0.0)
    if spread <= 0:
        out[0, at], out[1, at], out[2, at] = t0, 1.0, discount_factor(t0 - day, rate)
        return 1
    t1 = t0 + spread
    idx = (np.searchsorted(starts, t0, side="right") - 1) // months
    n = 0
    while True:
        lo, hi = starts[idx * months], starts[(idx + 1) * months]
        a, b = max(t0, lo), min(t1, hi)
        if b > a:
            out[0, at + n], out[1, at + n], out[2, at + n] = (
                a,
                (b - a) / spread,
                mean_discount_factor(a - day, b - a, rate),
            )
            n += 1
        if hi >= t1:
            break
        idx += 1
    return n


@njit(cache=True)
def projected_ratio(g, who_book, day, plan, st):
    """Forecast of a book ratio (GRR/NRR) at the close of the period containing ``day``.

    The ratio to date says little early in a period (no churn has happened yet), so the
    forecast extrapolates the pace so far (up to the latest event the state has read) and
    blends it with the previous period's final ratio by the share of the period elapsed; with
    neither, the bonus target (``rule params`` slot of the target value)."""
    ri, starts = plan[2], plan[10]
    book, bhas, si, sf = st[7], st[8], st[19], st[20]
    months = ri[g, RI_MONTHS]
    idx = (np.searchsorted(starts, day, side="right") - 1) // months
    lo, hi = starts[idx * months], starts[(idx + 1) * months]
    f = min(max((min(day, sf[SF_LAST_DAY]) - lo) / (hi - lo), 0.0), 1.0)
    grr = ri[g, RI_MEASURE] == M_GRR or ri[g, RI_MEASURE] == M_CO_GRR
    n_months = si[SI_N_MONTHS]
    t_now = column_of(idx * months, ri[g, RI_PK], n_months)
    t_prev = column_of((idx - 1) * months, ri[g, RI_PK], n_months) if idx >= 1 else -1
    w_ok = who_book < book.shape[1]
    now = ratio(book, bhas, who_book, grr, t_now) if t_now >= 0 and w_ok else math.nan
    prev = ratio(book, bhas, who_book, grr, t_prev) if t_prev >= 0 and w_ok else math.nan
    pace = math.nan
    if not math.isnan(now) and f > 0:
        pace = min(max(1.0 + (now - 1.0) / max(f, 1.0 / 12.0), 0.0), 2.0)
    if math.isnan(pace):
        if not math.isnan(prev):
            return prev
        return plan[0][plan[1][g] + P_TARGET_VALUE]
    if math.isnan(prev):
        return pace
    return f * pace + (1.0 - f) * prev


@njit(cache=True)
def _period_pay(p, credits, quota, cap):
    """What one period's ``credits`` pay a person with ``quota`` from a fresh period (no discount,
    one-year terms, the full cap, threshold applied): the ratchet's forecast of the next period."""
    pay = commission_term(p, credits, 0.0, 1.0, cap, 0.0, 12.0, quota)
    return threshold_gate(p, pay, credits, 0.0, 0.0, quota)


@njit(cache=True)
def _contexts(g, role, persons, owner, days, n_pieces, rate, ratchet, plan, st, ctx):
    """The pay state behind each of ``n_pieces`` credits to rule ``g`` (piece ``j``: person
    ``persons[owner[j]]``, day ``days[j]``), into ``ctx[j]``.

    Bonus: (measure so far, bonus at it, discount to the period close). Commission: (head count,
    attainment before, cap room, threshold attainment before, pay held under it, the person's
    quota); with ``ratchet`` also (credits so far, the next period's ramped quota, the credits
    expected next period, the discount to its middle from the credit day, the next period's pay at
    them without this credit); the expected credits are 0 when the ratchet does not apply.
    All pieces in one call: passing ``plan`` and ``st`` costs a reference count per array."""
    rp, poff, ri, rf, starts, roles = plan[0], plan[1], plan[2], plan[3], plan[10], plan[11]
    acc, capu, si = st[4], st[6], st[19]
    n_months = si[SI_N_MONTHS]
    months = ri[g, RI_MONTHS]
    team = ri[g, RI_TEAM] == 1
    for j in range(n_pieces):
        person, cd = persons[owner[j]], days[j]
        month = np.searchsorted(starts, cd, side="right") - 1
        t = column_of(month, ri[g, RI_PK], n_months)
        if ri[g, RI_BONUS]:
            if ri[g, RI_RATIO]:
                current = projected_ratio(g, 0 if team else 1 + person, cd, plan, st)
            else:
                w = role if team else N_ROLES + person
                current = acc[ri[g, RI_MSLOT], w, t] if t >= 0 and w < acc.shape[1] else 0.0
            close = starts[(month // months + 1) * months]
            ctx[j, 0], ctx[j, 1], ctx[j, 2] = (
                current,
                bonus(rp[poff[g] : poff[g + 1]], float(current)),
                discount_factor(close - cd, rate),
            )
            continue
        n = max(1, heads(role, cd, st)) if team else 1
        qslot, pk = ri[g, RI_QSLOT], ri[g, RI_PK]
        w = role if team else N_ROLES + person
        ok = t >= 0 and w < acc.shape[1]
        quota = rf[g, RF_QUOTA]
        if qslot >= 0 and not team and quota_varies(roles[role, RO_RAMP_MONTHS], roles[role, RO_RATCHET]):
            quota = person_quota(roles[role], quota, pk, person, month // months, starts, st[0], st[1],
                                 acc, n_months)  # fmt: skip
        done = acc[qslot, w, t] if qslot >= 0 and ok else 0.0
        before = done / (quota * n) if quota > 0 else 0.0
        room = math.inf
        if ri[g, RI_CAP]:
            room = rf[g, RF_CAP] - (capu[g, person, t] if t >= 0 and person < capu.shape[1] else 0.0)
        gate, held = 0.0, 0.0
        if rf[g, RF_THRESHOLD] > 0 and not math.isnan(rf[g, RF_ROLE_QUOTA]):
            gate = before
            held = held_amount(g, person, t, st)
        ctx[j, 0], ctx[j, 1], ctx[j, 2], ctx[j, 3], ctx[j, 4], ctx[j, 5], ctx[j, 8] = (
            float(n), before, room, gate, held, quota, 0.0
        )  # fmt: skip
        if ratchet > 0:
            idx = month // months
            prev = column_of((idx - 1) * months, pk, n_months) if idx >= 1 else -1
            expected = acc[qslot, w, prev] if prev >= 0 and w < acc.shape[1] else 0.0
            hired = tenure_start(person, st[0], st[1], starts[0])
            ramped = ramped_quota(roles[role], rf[g, RF_QUOTA], starts, hired, (idx + 1) * months)
            lo, hi = starts[(idx + 1) * months], starts[(idx + 2) * months]
            p = rp[poff[g] : poff[g + 1]]
            ctx[j, 6], ctx[j, 7], ctx[j, 8] = done, ramped, expected
            ctx[j, 9] = discount_factor(0.5 * (lo + hi) - cd, rate)
            ctx[j, 10] = _period_pay(p, expected, ratchet_step(ratchet, quota, done, ramped), rf[g, RF_CAP])


@njit(cache=True)
def _group(data, c, group, g_key, n_groups):
    """Group each situation's options by their column-``c`` credit's (delay, spread), in order of
    first appearance: ``group[s, i]`` is option ``i``'s group, ``g_key[s, :, q]`` group ``q``'s
    (delay, spread), ``n_groups[s]`` how many."""
    for s in range(data.shape[0]):
        k = 0
        for i in range(data.shape[3]):
            found = -1
            for q in range(k):
                if g_key[s, 0, q] == data[s, c, F_DELAY, i] and g_key[s, 1, q] == data[s, c, F_SPREAD, i]:
                    found = q
                    break
            if found < 0:
                g_key[s, 0, k], g_key[s, 1, k] = data[s, c, F_DELAY, i], data[s, c, F_SPREAD, i]
                found = k
                k += 1
            group[s, i] = found
        n_groups[s] = k


@njit(cache=True)
def _piece_bound(data):
    """Pieces the credits of any one column of all situations of ``data`` can fall into, under any
    rule: per option 2 plus one per 28 days of spread (periods are at least 28 days a month)."""
    total = 0
    for s in range(data.shape[0]):
        most = 0
        for c in range(data.shape[1]):
            b = 0
            for i in range(data.shape[3]):
                spread = data[s, c, F_SPREAD, i]
                b += 2 + (int(spread / 28.0) if spread > 0 else 0)
            most = max(most, b)
        total += most
    return total


@njit(cache=True)
def _rule_ratchet(g, role, ri, roles):
    """The quota ratchet the valuation of rule ``g`` forecasts: the role's, for a commission on its
    quota's own measure; 0 otherwise."""
    if ri[g, RI_BONUS] == 1 or ri[g, RI_TEAM] or ri[g, RI_QSLOT] < 0 or ri[g, RI_QSLOT] != ri[g, RI_MSLOT]:
        return 0.0  # the ratchet's forecast reads a commission on the quota's own measure
    return roles[role, RO_RATCHET]


@njit(cache=True)
def _rule_pieces(months, days, rate, starts, ws):
    """The pieces the credit of each group of options (:func:`_group`) falls into under a rule of
    ``months``-month periods (:func:`credit_pieces`; situation ``s`` dated ``days[s]``): each piece's
    day, share and discount factor, its situation and each group's first piece, into ``ws``.
    Returns how many."""
    g_key, n_groups, starts_of, owner, pieces = ws[1], ws[2], ws[3], ws[4], ws[5]
    m = 0
    for s in range(n_groups.shape[0]):
        for q in range(n_groups[s]):
            starts_of[s, q] = m
            got = credit_pieces(starts, months, days[s], g_key[s, 0, q], g_key[s, 1, q], rate, pieces, m)
            for j in range(m, m + got):
                owner[j] = s
            m += got
        starts_of[s, n_groups[s]] = m
    return m


@njit(cache=True)
def _price_rule(g, rp, poff, ri, rf, ratchet, rate, data, c, total, now, ws):
    """Add what rule ``g`` pays for column ``c``'s credit of each option of each situation to
    ``total[s]`` (present value, after timing and clawback, before the credit's probability), and to
    ``now[s]`` when it is paid at the credit. Under a quota ratchet (``ratchet``: :func:`_rule_ratchet`)
    a commission on the quota's measure also subtracts what the credit takes from the next period's
    pay by raising its quota (see ``docs/model.md``). ``ws``: the options' groups (:func:`_group`),
    their pieces (:func:`_rule_pieces`) and the pay state behind each (:func:`_contexts`). Takes the
    plan's arrays it reads, not the ``plan`` and ``st`` tuples: a call counts a reference per array."""
    group, starts_of, pieces, ctx = ws[0], ws[3], ws[5], ws[6]
    piece_frac, piece_df = pieces[1], pieces[2]
    p = rp[poff[g] : poff[g + 1]]
    is_bonus = ri[g, RI_BONUS] == 1
    paid_now = not is_bonus and p[P_TIMING] == NOW
    for s in range(data.shape[0]):
        for i in range(data.shape[3]):
            q = group[s, i]
            raw = 0.0
            ratcheted = 0.0
            for j in range(starts_of[s, q], starts_of[s, q + 1]):
                x = data[s, c, F_AMOUNT, i] * piece_frac[j]
                if is_bonus:
                    raw += (bonus(p, ctx[j, 0] + x) - ctx[j, 1]) * ctx[j, 2] * piece_df[j]
                else:
                    pay = commission_term(p, x, ctx[j, 1], ctx[j, 0], ctx[j, 2], data[s, c, F_DISCOUNT, i],
                                          data[s, c, F_TERM, i], ctx[j, 5])  # fmt: skip
                    raw += threshold_gate(p, pay, x, ctx[j, 3], ctx[j, 4], ctx[j, 5]) * piece_df[j]
                    if ctx[j, 8] > 0:  # the ratchet: the next period's pay at its quota after this credit
                        step = ratchet_step(ratchet, ctx[j, 5], ctx[j, 6] + x, ctx[j, 7])
                        after = _period_pay(p, ctx[j, 8], step, rf[g, RF_CAP])
                        ratcheted += (after - ctx[j, 10]) * ctx[j, 9] * piece_df[j]
            if raw != 0.0:
                raw *= clawback_keep(p, data[s, c, F_CHURN, i], data[s, c, F_NON_PAYMENT, i],
                                     data[s, c, F_FAILURE, i])  # fmt: skip
                if not is_bonus:
                    raw *= timing_factor(
                        p, rate, data[s, c, F_GO_LIVE, i], data[s, c, F_SUCCESS, i], data[s, c, F_RENEWAL, i],
                        data[s, c, F_CASH, i], data[s, c, F_NON_PAYMENT, i],
                    )  # fmt: skip
            total[s, i] += raw + ratcheted
            if paid_now:
                now[s, i] += raw


@njit(cache=True)
def _under_draw(ro, role, persons, days, data, c, starts, st, total, now):
    """Pay ``now`` (paid at the credit) of each option's column ``c`` as worth under the role's draw
    (:func:`sim.plans.draws.draw_worth` at the draw period of the credit day, given the variable
    pay dated there so far and the balance): under a guarantee it is worth only what lifts the
    period's pay above the floor. Every situation (``persons[s]`` on ``days[s]``) in one call."""
    for s in range(data.shape[0]):
        for i in range(data.shape[3]):
            v = now[s, i]
            if v != 0.0:
                due, earned, balance, age = draw_context(
                    ro, role, persons[s], days[s] + max(data[s, c, F_DELAY, i], 0.0), starts, st
                )
                worth = draw_worth(ro, due, earned + v, balance, age)
                total[s, i] += (worth - draw_worth(ro, due, earned, balance, age)) - v


@njit(cache=True)
def expected_pay(data, present, measures, role, person, day, rate, plan, st, sm_off, sm_idx, count, mean, sd):
    """Expected pay and its standard deviation (USD) of every option (added to ``mean`` and ``sd``).

    ``data[c, field, option]`` holds column ``c``'s credit (fields: :data:`sim.policy.decisions.FIELDS`),
    ``present[c, option]`` whether the option has it, ``measures[c]`` its measure code.
    ``sm_off``/``sm_idx``: the spiffs of each (role, measure) (CSR); ``count[m]``: whether a spiff
    on measure ``m`` pays per unit of the credit's amount."""
    persons, days = np.full(1, person), np.full(1, day)
    expected_pay_many(data[None], present, measures, role, persons, days, rate, plan, st, sm_off, sm_idx,
                      count, mean[None], sd[None])  # fmt: skip


@njit(cache=True)
def expected_pay_many(data, present, measures, role, persons, days, rate, plan, st, sm_off, sm_idx, count,
                      mean, sd):  # fmt: skip
    """:func:`expected_pay` of a stack of option tables (``data[s]`` is person ``persons[s]``'s on
    ``days[s]``), into ``mean[s]`` and ``sd[s]``: the pay state is read once for all of them.

    The situations go through each rule together: a call that passes ``plan`` and ``st`` touches
    the reference count of each of their arrays, which cost more than the pricing when done per
    situation."""
    brm_off, brm_idx, ri, sp_i, sp_f, ro = plan[4], plan[5], plan[2], plan[7], plan[8], plan[11][role]
    n_sit, n = data.shape[0], data.shape[3]
    total, now = np.empty((n_sit, n)), np.empty((n_sit, n))
    bound = _piece_bound(data)
    ws = (
        np.empty((n_sit, n), dtype=np.int64),  # group of each option
        np.empty((n_sit, 2, n)),  # (delay, spread) of each group
        np.empty(n_sit, dtype=np.int64),  # groups
        np.empty((n_sit, n + 1), dtype=np.int64),  # first piece of each group
        np.empty(bound, dtype=np.int64),  # situation of each piece
        np.empty((3, bound)),  # day, share and discount factor of each piece
        np.empty((bound, 11)),  # pay state of each piece (_contexts)
    )
    for c in range(data.shape[1]):
        k0 = role * N_MEASURES + measures[c]
        if brm_off[k0] == brm_off[k0 + 1] and sm_off[k0] == sm_off[k0 + 1]:
            continue  # nothing of the role pays on this measure: worth nothing
        total[:, :] = 0.0
        now[:, :] = 0.0
        grouped = False
        for jj in range(brm_off[k0], brm_off[k0 + 1]):
            g = brm_idx[jj]
            if ri[g, RI_RATIO] and not ri[g, RI_BONUS]:
                continue  # a commission on a book ratio pays at the close, not per credit
            if not grouped:
                _group(data, c, ws[0], ws[1], ws[2])
                grouped = True
            ratchet = _rule_ratchet(g, role, ri, plan[11])
            m = _rule_pieces(ri[g, RI_MONTHS], days, rate, plan[10], ws)
            _contexts(g, role, persons, ws[4], ws[5][0], m, rate, ratchet, plan, st, ws[6])
            _price_rule(g, plan[0], plan[1], ri, plan[3], ratchet, rate, data, c, total, now, ws)
        for jj in range(sm_off[k0], sm_off[k0 + 1]):
            sp = sm_idx[jj]
            for s in range(n_sit):
                for i in range(n):
                    credit_day = days[s] + max(data[s, c, F_DELAY, i], 0.0)
                    live = sp_f[sp, 1] <= credit_day < sp_f[sp, 2]
                    if sp_i[sp, 1] == SP_MULTI_YEAR:
                        live = live and data[s, c, F_TERM, i] > 12
                    if live:
                        units = data[s, c, F_AMOUNT, i] if count[measures[c]] else 1.0
                        paid = sp_f[sp, 0] * units * discount_factor(data[s, c, F_DELAY, i], rate)
                        total[s, i] += paid
                        now[s, i] += paid
        if ro[RO_DRAW] > 0:
            _under_draw(ro, role, persons, days, data, c, plan[10], st, total, now)
        for s in range(n_sit):
            for i in range(n):
                if present[c, i]:
                    q = min(max(data[s, c, F_PROB, i], 0.0), 1.0)
                    mean[s, i] += q * total[s, i]
                    sd[s, i] += math.sqrt(q * (1.0 - q)) * abs(total[s, i])
