"""The pay state's statement: payout lines emitted so far, base salary lines, pay items, quota
attainments, and the reason text of every line. A part of :class:`sim.plans.engine.PayState`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.plans import layout as lay
from sim.plans.draws import DRAW_TEXT, LN_DRAW
from sim.plans.pay_queries import PayQueries
from sim.plans.payouts import BASE, DRAW, LineColumns, PayoutLine, Payouts
from sim.plans.rulebook import RF_CB_WINDOW, Rulebook
from sim.time.calendar import DAYS_PER_YEAR, Calendar
from sim.vocabulary import EVENT_KINDS, MEASURES, MONTHS_PER, PERIODS, ROLES

N_ROLES = lay.N_ROLES
_BASE_REASON = -1
"""Reason code of a base-salary line."""
_CLAWBACK_NAME = {
    "arr_churn": "churn",
    "non_payment": "non_payment",
    "implementation_failed": "failed_implementation",
}


class PayStatement(PayQueries):
    """Lines and attainments of the pay state (mixed into :class:`sim.plans.engine.PayState`)."""

    calendar: Calendar
    cred: NDArray[np.bool_]
    it_f: NDArray[np.float64]
    ln_i: NDArray[np.int32]
    ln_f: NDArray[np.float64]

    def _names(self) -> tuple[list[str], list[str]]:
        """Component names (rules, ``base``, spiffs, ``draw``) and measure names of the lines."""
        rb = self.rulebook
        spiffs = [f"spiff:{sp.event}" for _, sp in rb.spiffs]
        comps = [r.comp.name for r in rb.rules] + [BASE] + spiffs + [DRAW]
        measures = list(MEASURES) + [""] + [sp.event for _, sp in rb.spiffs]
        return comps, measures

    def line_columns(self, start_day: float = -math.inf, end_day: float = math.inf) -> LineColumns:
        """The lines emitted so far dated in ``[start_day, end_day)``, in emission order."""
        n = int(self.si[lay.SI_LINES])
        day = self.ln_f[:n, lay.LN_DAY]
        rows = np.flatnonzero((day >= start_day) & (day < end_day))
        li, lf = self.ln_i, self.ln_f
        comps, measures = self._names()
        n_rules = len(self.rulebook.rules)
        comp = li[rows, lay.LN_COMP]
        spiff = -2 - comp  # the spiff's index on spiff lines
        rule_measure = np.array(
            [MEASURES.index(r.comp.measure) for r in self.rulebook.rules] + [0], dtype=np.int64
        )
        component = np.where(comp >= 0, comp, np.where(comp == LN_DRAW, len(comps) - 1, n_rules + 1 + spiff))
        measure = np.where(
            comp >= 0, rule_measure[np.clip(comp, 0, max(n_rules - 1, 0))], len(MEASURES) + 1 + spiff
        )
        why = np.empty((len(rows), 5), dtype=np.int32)
        for j, col in enumerate((lay.LN_REASON, lay.LN_DEAL, lay.LN_AUX, lay.LN_PK)):
            why[:, j] = li[rows, col]
        why[:, 4] = comp
        return LineColumns(
            person=li[rows, lay.LN_PERSON].astype(np.int32), role=li[rows, lay.LN_ROLE],
            pay_month=li[rows, lay.LN_MONTH].astype(np.int32), day=lf[rows, lay.LN_DAY],
            component=component, measure=measure,
            measure_value=lf[rows, lay.LN_VALUE], rate=lf[rows, lay.LN_RATE], amount=lf[rows, lay.LN_AMOUNT],
            role_names=ROLES, component_names=comps, measure_names=measures, why_i=why,
            why_f=lf[rows, lay.LN_FRAC], render=ReasonText(self.rulebook),
        )  # fmt: skip

    @property
    def lines(self) -> list[PayoutLine]:
        """Every line emitted so far, in emission order."""
        return Payouts(self.line_columns()).lines

    def items(self) -> list[dict[str, float]]:
        """Every pay item still referred to (pending, held or exposed to a clawback): priced,
        released, clawed and remaining amounts."""
        n = int(self.si[lay.SI_ITEMS])
        f = self.it_f[:n]
        return [
            {"priced": a, "released": b, "clawed": c, "amount": d}
            for a, b, c, d in zip(
                f[:, lay.IT_PRICED].tolist(), f[:, lay.IT_RELEASED].tolist(), f[:, lay.IT_CLAWED].tolist(),
                f[:, lay.IT_AMOUNT].tolist(), strict=True,
            )
        ]  # fmt: skip

    def base_columns(self, start_day: float, end_day: float) -> LineColumns:
        """Base salary per person and month, prorated by employment, within the window."""
        starts = np.asarray(self.calendar.month_starts, dtype=np.float64)
        who: list[int] = []
        role_of: list[int] = []
        rates: list[float] = []
        count: list[int] = []
        months, days, values, amounts = (
            [np.zeros(0, dtype=np.int64)],
            [np.zeros(0)],
            [np.zeros(0)],
            [np.zeros(0)],
        )
        for p, (r, hired, left) in sorted(self.people.items()):
            annual = self.plan.role(r).base_salary_annual_usd
            if annual <= 0:
                continue
            lo, hi = max(start_day, hired), min(end_day, left)
            if hi <= lo:
                continue
            # the months from lo's that start before hi, each cut to [lo, hi)
            ms = np.arange(self.calendar.month_of(lo), len(starts) - 1)
            ms = ms[starts[ms] < hi]
            a, b = np.maximum(lo, starts[ms]), np.minimum(hi, starts[ms + 1])
            kept = b > a
            employed = (b - a)[kept]
            who.append(p)
            role_of.append(ROLES.index(r))
            rates.append(annual / DAYS_PER_YEAR)
            count.append(len(employed))
            months.append(ms[kept])
            days.append(a[kept])
            values.append(employed)
            amounts.append(annual * employed / DAYS_PER_YEAR)
        person, role, rate = (np.repeat(x, count) for x in (who, role_of, rates))
        month, day, value, amount = (np.concatenate(x) for x in (months, days, values, amounts))
        comps, measures = self._names()
        n_rules = len(self.rulebook.rules)
        k = len(amount)
        return LineColumns(
            person=np.array(person, dtype=np.int32), role=np.array(role, dtype=np.int64),
            pay_month=np.array(month, dtype=np.int32), day=np.array(day, dtype=np.float64),
            component=np.full(k, n_rules, dtype=np.int64), measure=np.full(k, len(MEASURES), dtype=np.int64),
            measure_value=np.array(value, dtype=np.float64), rate=np.array(rate, dtype=np.float64),
            amount=np.array(amount, dtype=np.float64), role_names=ROLES, component_names=comps,
            measure_names=measures,
            why_i=np.tile(np.array([_BASE_REASON, -1, -1, -1, -1], dtype=np.int32), (k, 1)),
            why_f=np.zeros(k), render=ReasonText(self.rulebook),
        )  # fmt: skip

    def base_lines(self, start_day: float, end_day: float) -> list[PayoutLine]:
        """Base salary lines (see :meth:`base_columns`)."""
        return Payouts(self.base_columns(start_day, end_day)).lines

    def attainments(self, start_day: float, end_day: float) -> list[float]:
        """Quota attainment per person and full quota period inside ``[start_day, end_day)``."""
        out: list[float] = []
        people = self.people
        for r, role in enumerate(ROLES):
            rp = self.plan.role(role)
            if rp.quota is None:
                continue
            pk = rp.quota.period
            s = int(self.rulebook.mslot[MEASURES.index(rp.quota.measure)])
            first = self.period_of(start_day, pk)
            last = self.period_of(end_day, pk)
            for idx in range(first, last + 1):
                a, b = self.period_bounds(idx, pk)
                if a < start_day or b > end_day:
                    continue
                t = self.slot(idx * MONTHS_PER[pk], pk)
                chosen = {
                    p for p, (pr, hired, left) in people.items() if pr == role and hired <= a and left >= b
                }
                if not any(
                    pr == role for pr, _, _ in people.values()
                ):  # no people events: whoever was credited
                    chosen = {int(p) for p in np.flatnonzero(self.cred[r].any(axis=1))}
                for person in sorted(chosen):
                    v = float(self.acc[s, N_ROLES + person, t]) if t >= 0 else 0.0
                    q = self.quota_of(role, person, pk, a)
                    if q:  # a ramp's period without a quota has no attainment
                        out.append(v / q)
        return out


class ReasonText:
    """Writes payout lines' reasons from their codes; holds the plan's tables, not the pay state
    (a large payout table outlives the state that made it)."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook

    def __call__(self, why_i: NDArray[np.integer[Any]], why_f: NDArray[np.float64]) -> list[str]:
        """The reason texts of lines from their codes (see :meth:`PayState.line_columns`)."""
        rb = self.rulebook
        out = []
        for (code, deal, aux, pk, comp), frac in zip(why_i.tolist(), why_f.tolist(), strict=True):
            if code == _BASE_REASON:
                out.append("base salary")
            elif code == lay.REASON_RELEASE:
                kind = EVENT_KINDS[aux]
                text = f"{kind} deal {deal}" if deal >= 0 else kind
                out.append(text + (f" ({frac:.0%} released)" if frac < 1.0 else ""))
            elif code == lay.REASON_CLAWBACK:
                trigger = _CLAWBACK_NAME[EVENT_KINDS[aux]]
                out.append(f"clawback: {trigger} within {rb.rf[comp, RF_CB_WINDOW]:g} days (deal {deal})")
            elif code == lay.REASON_SPIFF:
                out.append(f"spiff {rb.spiffs[-2 - comp][1].event}")
            elif code in DRAW_TEXT:
                out.append(f"{PERIODS[pk]} {aux}: " + DRAW_TEXT[code].format(frac))
            else:
                out.append(f"{PERIODS[pk]} {aux} {rb.rules[comp].comp.kind} at {frac:.3f} of target")
        return out
