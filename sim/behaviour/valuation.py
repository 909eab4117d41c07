"""Expected-pay valuation: what each option of a decision is worth to the person deciding.

An option earns measure credits that may happen later with some probability
(:class:`~sim.decisions.OutcomeColumn`, one array entry per option). :class:`Valuer` prices
them with the person's *own* plan, from the live :class:`~sim.plans.engine.PayState` and
with the one pricing kernel (:mod:`sim.plans.pricing`) that also pays them:

1. every component of the role that pays on the credit's measure prices it where it would
   land: attainment so far in the period of the credit day (a credit whose delay crosses the
   period end meets the next period's attainment), marginal tiers integrated across the
   move, discount bands, the cap room left, a threshold (myopic: no further credits assumed
   in the period) and bonus curves (the change in ``curve(attainment)`` times the target,
   paid at the period close); a credit spread over time (revenue) is cut at period ends;
2. the pay is delayed by the component's ``pays`` timing and discounted at the behaviour's
   ``annual_time_preference``; ``after_success`` is multiplied by the success probability,
   ``on_cash`` by the probability of payment;
3. a clawback multiplies the pay by ``1 - share x P(trigger)`` (churn scaled to the window);
4. spiffs whose event stands for the measure add their amount;
5. the whole is multiplied by the credit's probability; its standard deviation is that of a
   Bernoulli payoff (``sqrt(p (1 - p)) |V|``) for mean-variance risk aversion.

All options of a decision are priced together: the pay state behind a credit day is read
once, and every array operation covers all options. Nothing here knows a plan by name.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from sim.calendar import DAYS_PER_MONTH
from sim.decisions import ROW, Decision, MeasureOutcome, Option, OptionTable, OutcomeColumn
from sim.plans.engine import PayState
from sim.plans.measures import TEAM
from sim.plans.pricing import MEASURE_EVENT, Rule, bonus, discount_factor, mean_discount_factor, price_options
from sim.scenario.plans import Spiff

__all__ = ["MEASURE_EVENT", "Valuer", "credit_pieces", "projected_ratio", "value_outcome"]

Array = NDArray[np.float64]
Geometry = list[tuple[float, float, float]]
"""``(credit day, share of the amount, discount factor)`` per piece of a credit."""

_AMOUNT, _DISCOUNT, _GO_LIVE, _SUCCESS, _RENEWAL, _CASH, _CHURN, _NON_PAYMENT, _FAILURE = (
    ROW[f]
    for f in (
        "amount",
        "discount",
        "go_live_delay_days",
        "success_probability",
        "renewal_delay_days",
        "cash_delay_days",
        "churn_probability",
        "non_payment_probability",
        "failure_probability",
    )
)
_COUNT_MEASURES = frozenset({"references", "referrals", "go_lives"})
_Rules = tuple[tuple[Rule, ...], tuple[Spiff, ...]]


def credit_pieces(
    state: PayState, period: str, day: float, delay: float, spread: float, annual_rate: float
) -> Geometry:
    """How a credit ``delay`` days after ``day`` falls into periods: one piece per period.

    A point credit is one piece. A credit spread evenly over ``spread`` days (revenue) is cut
    at period ends, each piece priced at its own period's attainment and discounted at its
    mean delay.
    """
    t0 = day + max(delay, 0.0)
    if spread <= 0:
        return [(t0, 1.0, float(discount_factor(t0 - day, annual_rate)))]
    t1 = t0 + spread
    out = []
    idx = state.period_of(t0, period)
    while True:
        lo, hi = state.period_bounds(idx, period)
        a, b = max(t0, lo), min(t1, hi)
        if b > a:
            out.append((a, (b - a) / spread, float(mean_discount_factor(a - day, b - a, annual_rate))))
        if hi >= t1:
            return out
        idx += 1


def projected_ratio(state: PayState, person: int, rule: Rule, day: float) -> float:
    """Forecast of a book ratio (GRR/NRR) at the close of the period containing ``day``.

    The ratio to date says little early in a period (no churn has happened yet), so the
    forecast extrapolates the pace so far (up to the latest event the state has seen) and
    blends it with the previous period's final ratio by the share of the period elapsed;
    with neither, the bonus target.
    """
    measure, period = rule.comp.measure, rule.period
    idx = state.period_of(day, period)
    lo, hi = state.period_bounds(idx, period)
    f = min(max((min(day, state.now) - lo) / (hi - lo), 0.0), 1.0)
    now = state.ratio(person, measure, period, idx)
    prev = state.ratio(person, measure, period, idx - 1)
    pace = math.nan
    if not math.isnan(now) and f > 0:
        pace = min(max(1.0 + (now - 1.0) / max(f, 1.0 / 12.0), 0.0), 2.0)
    if math.isnan(pace):
        return prev if not math.isnan(prev) else rule.target_value
    if math.isnan(prev):
        return pace
    return f * pace + (1.0 - f) * prev


@njit(cache=True)
def _groups(delay: Array, spread: Array) -> tuple[NDArray[np.int64], Array, Array]:
    """Options grouped by their credit's (delay, spread): each option's group and the groups'
    keys, in order of first appearance (the options of a decision share few)."""
    n = len(delay)
    group = np.zeros(n, dtype=np.int64)
    kd = np.empty(n)
    ks = np.empty(n)
    k = 0
    for i in range(n):
        found = -1
        for g in range(k):
            if kd[g] == delay[i] and ks[g] == spread[i]:
                found = g
                break
        if found < 0:
            kd[k] = delay[i]
            ks[k] = spread[i]
            found = k
            k += 1
        group[i] = found
    return group, kd[:k], ks[:k]


@njit(cache=True)
def _add_bernoulli(
    mean: Array, sd: Array, probability: Array, present: NDArray[np.bool_], pay: Array
) -> None:
    """Add a credit's expected pay ``p V`` and standard deviation ``sqrt(p (1 - p)) |V|`` (a
    Bernoulli payoff) to each option's totals; an absent credit adds nothing."""
    for i in range(len(mean)):
        if present[i]:
            q = min(max(probability[i], 0.0), 1.0)
            mean[i] += q * pay[i]
            sd[i] += math.sqrt(q * (1.0 - q)) * abs(pay[i])


class Valuer:
    """Values decisions against a live :class:`PayState` (one per policy and replication).

    Within one decision scope (the same pay-state version, person and day) it keeps the pay
    state read behind each (component, credit day), how credits fall into periods, and the
    values of tables already priced, so a decision whose options are rows of another one
    (pursue a lead = the neutral terms of its deal) costs nothing more.
    """

    def __init__(self, state: PayState, annual_time_preference: float, risk_aversion_per_kusd: float) -> None:
        self.state = state
        self.rate = annual_time_preference
        self.risk = risk_aversion_per_kusd
        self._rules: dict[tuple[str, str], _Rules] = {}
        self._key: tuple[int, str, int, float] | None = None
        self._ctx: dict[tuple[int, float], tuple[float, ...]] = {}
        self._geometry: dict[tuple[str, float, float], Geometry] = {}
        self._valued: dict[int, tuple[OptionTable, Array, Array]] = {}

    def rules(self, role: str, measure: str) -> _Rules:
        """The compiled components and the spiffs of ``role`` that pay for ``measure``."""
        key = (role, measure)
        got = self._rules.get(key)
        if got is None:
            comps, spiffs = self.state.pay_rules(role, measure)
            got = self._rules[key] = (
                tuple(self.state.rule(role, ci) for ci, _ in comps),
                tuple(spiffs),
            )
        return got

    # ------------------------------------------------------------------ decision scope
    def _scope(self, role: str, person: int, day: float) -> None:
        self.state.sync()
        key = (self.state.version, role, person, day)
        if key != self._key:
            self._key = key
            self._ctx = {}
            self._geometry = {}
            self._valued = {}

    def _pieces(self, period: str, day: float, delay: float, spread: float) -> Geometry:
        key = (period, delay, spread)
        got = self._geometry.get(key)
        if got is None:
            got = self._geometry[key] = credit_pieces(self.state, period, day, delay, spread, self.rate)
        return got

    def _context(self, role: str, person: int, r: Rule, day: float) -> tuple[float, ...]:
        """The pay state behind a credit to ``r`` on ``day``.

        Bonus: (measure so far, bonus at it, discount to the period close). Commission: (head
        count, attainment before, cap room, threshold attainment before, pay held under it).
        """
        key = (r.index, day)
        got = self._ctx.get(key)
        if got is not None:
            return got
        state = self.state
        if r.bonus:
            who = TEAM if r.team else person
            if r.ratio:
                current = projected_ratio(state, who, r, day)
            else:
                current = state.measure_to_date(role, who, r.comp.measure, r.period, day)
            close = state.period_bounds(state.period_of(day, r.period), r.period)[1]
            got = (current, bonus(r.params, float(current)), discount_factor(close - day, self.rate))
        else:
            n = state.heads(r, role, day)
            before = held = 0.0
            if r.threshold > 0 and r.role_quota is not None:
                before = state.attainment_of(role, person, r.comp, day)
                held = state.held_amount(role, r.index, person, day)
            got = (
                float(n),
                state.attainment_before(r, role, person, day, n),
                state.cap_room(r, role, person, day),
                before,
                held,
            )
        self._ctx[key] = got
        return got

    def _priced(self, role: str, person: int, day: float, r: Rule, col: OutcomeColumn) -> Array:
        """What ``r`` pays for each option's credit (present value, after timing and clawback,
        before the credit's probability): the credit's pieces and the pay state of their days
        are read here, the prices come from the kernel in one call."""
        group, key_delay, key_spread = _groups(col.delay_days, col.spread_days)
        starts = [0]
        fracs: list[float] = []
        dfs: list[float] = []
        ctxs: list[tuple[float, ...]] = []
        for d, s in zip(key_delay.tolist(), key_spread.tolist(), strict=True):
            for credit_day, frac, df in self._pieces(r.period, day, d, s):
                fracs.append(frac)
                dfs.append(df)
                ctxs.append(self._context(role, person, r, credit_day))
            starts.append(len(fracs))
        data = col.data
        return price_options(
            r.params,
            self.rate,
            data[_AMOUNT],
            data[_DISCOUNT],
            group,
            np.array(starts, dtype=np.int64),
            np.array(fracs),
            np.array(dfs),
            np.array(ctxs, dtype=np.float64).reshape(len(ctxs), 3 if r.bonus else 5),
            data[_GO_LIVE],
            data[_SUCCESS],
            data[_RENEWAL],
            data[_CASH],
            data[_CHURN],
            data[_NON_PAYMENT],
            data[_FAILURE],
        )

    def _column(self, role: str, person: int, day: float, col: OutcomeColumn) -> Array | None:
        """Pay (present value, before the credit's probability) of one column; None: worth nothing."""
        comps, spiffs = self.rules(role, col.measure)
        if not comps and not spiffs:
            return None
        total = np.zeros(len(col.amount))
        for r in comps:
            if r.ratio and not r.bonus:
                continue  # a commission on a book ratio pays at the close, not per credit
            total += self._priced(role, person, day, r, col)
        if spiffs:
            credit_day = day + np.maximum(col.delay_days, 0.0)
            count = col.amount if col.measure in _COUNT_MEASURES else 1.0
            pv = np.array([discount_factor(float(x), self.rate) for x in col.delay_days])
            for sp in spiffs:
                opens = self.state.start_day + sp.start_month * DAYS_PER_MONTH
                closes = opens + sp.months * DAYS_PER_MONTH if sp.months is not None else math.inf
                live = (credit_day >= opens) & (credit_day < closes)
                if sp.event == "multi_year":
                    live &= col.term_months > 12
                total += np.where(live, sp.amount_usd * count * pv, 0.0)
        return total

    def pay(self, role: str, person: int, day: float, table: OptionTable) -> tuple[Array, Array]:
        """Expected pay and its standard deviation (USD) per option of ``table`` (outcomes of
        one option are perfectly correlated: standard deviations add)."""
        self._scope(role, person, day)
        got = self._valued.get(id(table))
        if got is not None:
            return got[1], got[2]
        if table.source is not None and table.rows is not None:
            mean_s, sd_s = self.pay(role, person, day, table.source)
            rows = table.rows
            mean = np.where(rows >= 0, mean_s[np.maximum(rows, 0)], 0.0)
            sd = np.where(rows >= 0, sd_s[np.maximum(rows, 0)], 0.0)
        else:
            mean = np.zeros(table.n)
            sd = np.zeros(table.n)
            for col in table.columns:
                total = self._column(role, person, day, col)
                if total is not None:
                    _add_bernoulli(mean, sd, col.probability, col.present, total)
        self._valued[id(table)] = (table, mean, sd)
        return mean, sd

    def utilities(self, decision: Decision) -> list[float]:
        """Utility in $k of every option: expected pay - risk_aversion / 2 x variance - effort."""
        table = decision.option_table()
        mean, sd = self.pay(decision.role, decision.person, decision.day, table)
        mean_k, sd_k = mean / 1000.0, sd / 1000.0
        u = mean_k - 0.5 * self.risk * sd_k * sd_k - table.effort_kusd
        return [float(x) for x in u]


def value_outcome(
    state: PayState,
    role: str,
    person: int,
    day: float,
    outcome: MeasureOutcome,
    annual_time_preference: float,
) -> tuple[float, float]:
    """Expected present value (USD) of the pay one ``outcome`` earns ``person``, and its variance.

    ``day`` is the decision day; the credit lands ``outcome.delay_days`` later (spread evenly
    over ``spread_days`` when given). The same prices as :class:`Valuer` (a one-option table).
    """
    valuer = Valuer(state, annual_time_preference, 0.0)
    mean, sd = valuer.pay(role, person, day, OptionTable.from_options([Option("", (outcome,))]))
    return float(mean[0]), float(sd[0]) ** 2
