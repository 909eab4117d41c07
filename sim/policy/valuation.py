"""Expected-pay valuation: what each option of a decision is worth to the person deciding.

An option earns measure credits that may happen later with some probability
(:class:`~sim.policy.decisions.OutcomeColumn`, one array entry per option). :class:`Valuer` prices
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

All options of a decision are priced in one compiled call (:func:`sim.policy.expected_pay.
expected_pay`) that reads the pay state's arrays. Nothing here knows a plan by name.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.plans.components import SPIFF_EVENT_MEASURE
from sim.plans.engine import PayState
from sim.plans.pricing import discount_factor
from sim.policy.batch import DecisionBatch, OptionTables
from sim.policy.choice import choose_option, choose_options, inverse_cdf, option_utilities, pick
from sim.policy.decisions import MEASURE_CODE, Decision, MeasureOutcome, Option, OptionTable
from sim.policy.expected_pay import expected_pay, expected_pay_many
from sim.vocabulary import COUNT_MEASURES, MEASURES, ROLES

__all__ = ["Valuer", "discount_factor", "value_outcome"]

Array = NDArray[np.float64]
_ROLE = {r: i for i, r in enumerate(ROLES)}
_COUNT = np.array([m in COUNT_MEASURES for m in MEASURES], dtype=np.bool_)
_IDENTITY: dict[int, NDArray[np.int64]] = {}


def _identity(n: int) -> NDArray[np.int64]:
    """``0 .. n - 1`` (cached: decisions have few sizes)."""
    got = _IDENTITY.get(n)
    if got is None:
        got = _IDENTITY[n] = np.arange(n, dtype=np.int64)
    return got


class Valuer:
    """Values decisions against a live :class:`PayState` (one per policy and replication).

    Within one decision scope (the same pay-state version, person and day) it keeps the values
    of the tables already priced, so a decision whose options are rows of another one (pursue a
    lead = the neutral terms of its deal) costs nothing more.
    """

    def __init__(self, state: PayState, annual_time_preference: float, risk_aversion_per_kusd: float) -> None:
        self.state = state
        self.rate = float(annual_time_preference)
        self.risk = float(risk_aversion_per_kusd)
        rb = state.rulebook
        by_rm: list[list[int]] = [[] for _ in range(len(ROLES) * len(MEASURES))]
        for s, (role, sp) in enumerate(rb.spiffs):
            by_rm[_ROLE[role] * len(MEASURES) + MEASURES.index(SPIFF_EVENT_MEASURE[sp.event])].append(s)
        self._sm_off = np.zeros(len(by_rm) + 1, dtype=np.int64)
        self._sm_off[1:] = np.cumsum([len(x) for x in by_rm])
        self._sm_idx = np.array([s for x in by_rm for s in x], dtype=np.int64)
        self._key: tuple[int, str, int, float] | None = None
        self._valued: dict[int, tuple[OptionTable, Array, Array]] = {}
        self._bits: dict[str, int] = {}
        """Per role, the followed ledger's watch bit (None: no ledger, sync always)."""
        self._stack_key: tuple[int, str] | None = None
        self._stacks: dict[int, tuple[OptionTables, Array, Array]] = {}
        """Values of the option-table stacks priced at the current pay-state version, by id."""
        self._codes: dict[tuple[str, ...], tuple[NDArray[np.int64], dict[int, NDArray[np.bool_]]]] = {}
        self._unpaid: dict[
            tuple[int, int, float], tuple[OptionTable, tuple[list[float], list[int], int]]
        ] = {}

    def _sync(self, role: str) -> None:
        """Bring the pay state up to date with every row that can change ``role``'s valuations."""
        st = self.state
        if st._ledger is None:
            st.sync()
        else:
            bit = self._bits.get(role)
            if bit is None:
                bit = self._bits[role] = st.watch_role(role)
            st.sync_for(bit)

    def stack_pay(self, tables: OptionTables) -> tuple[Array, Array]:
        """Expected pay and its standard deviation (USD) of every option of every situation of
        ``tables`` (``[situation, option]``), valued at the current pay state (kept while it holds)."""
        self._sync(tables.role)
        key = (self.state.version, tables.role)
        if key != self._stack_key:
            self._stack_key = key
            self._stacks = {}
        got = self._stacks.get(id(tables))
        if got is not None:
            return got[1], got[2]
        data = tables.data
        n, _, _, m = data.shape
        mean = np.zeros((n, m))
        sd = np.zeros((n, m))
        if data.shape[1] and n:
            codes = self._codes.get(tables.measures)
            if codes is None:
                codes = self._codes[tables.measures] = (
                    np.array([MEASURE_CODE[x] for x in tables.measures], dtype=np.int64),
                    {},
                )
            present = codes[1].get(m)
            if present is None:
                present = codes[1][m] = np.ones((data.shape[1], m), dtype=np.bool_)
            st = self.state
            expected_pay_many(
                data, present, codes[0], _ROLE[tables.role], tables.persons, tables.days, self.rate,
                st.plan_tables, st.state_arrays, self._sm_off, self._sm_idx, _COUNT, mean, sd,
            )  # fmt: skip
        self._stacks[id(tables)] = (tables, mean, sd)
        return mean, sd

    def choose_many(
        self, batch: DecisionBatch, rationality: float, u: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """The options the anchored logit picks for every decision of ``batch`` (see :meth:`choose`)."""
        mean, sd = self.stack_pay(batch.tables)
        out = np.empty(len(batch), dtype=np.int64)
        choose_options(
            mean, sd, batch.which, batch.rows, batch.effort_kusd, self.risk, batch.neutral,
            float(rationality), np.ascontiguousarray(u, dtype=np.float64), out,
        )  # fmt: skip
        return out

    def _unpaid_steps(
        self, table: OptionTable, neutral: int, rationality: float
    ) -> tuple[list[float], list[int], int]:
        """The inverse-CDF steps of a decision whose options earn no credit: their utilities are
        their effort alone, the same for every such decision on ``table`` (kept with it)."""
        key = (id(table), neutral, rationality)
        got = self._unpaid.get(key)
        if got is None or got[0] is not table:
            if len(self._unpaid) >= 64:  # tables made per decision: keep the cache small
                self._unpaid.clear()
            utilities = self._utilities(np.zeros(table.n), np.zeros(table.n), table)  # no pay
            got = self._unpaid[key] = (table, inverse_cdf(utilities, neutral, rationality))
        return got[1]

    def _scope(self, role: str, person: int, day: float) -> None:
        self._sync(role)
        key = (self.state.version, role, person, day)
        if key != self._key:
            self._key = key
            self._valued = {}

    def pay(self, role: str, person: int, day: float, table: OptionTable) -> tuple[Array, Array]:
        """Expected pay and its standard deviation (USD) per option of ``table`` (outcomes of
        one option are perfectly correlated: standard deviations add)."""
        if table.earns_nothing:
            # no option earns a credit: worth nothing whatever the pay state (no sync, no cache)
            return np.zeros(table.n), np.zeros(table.n)
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
            data, present, measures = table.stacked()
            mean = np.zeros(table.n)
            sd = np.zeros(table.n)
            if len(measures):
                st = self.state
                expected_pay(
                    data, present, measures, _ROLE[role], int(person), float(day), self.rate, st.plan_tables,
                    st.state_arrays, self._sm_off, self._sm_idx, _COUNT, mean, sd,
                )  # fmt: skip
        self._valued[id(table)] = (table, mean, sd)
        return mean, sd

    def utility_array(self, decision: Decision) -> Array:
        """Utility in $k of every option: expected pay - risk_aversion / 2 x variance - effort."""
        table = decision.option_table()
        mean, sd = self.pay(decision.role, decision.person, decision.day, table)
        return self._utilities(mean, sd, table)

    def _utilities(self, mean: Array, sd: Array, table: OptionTable) -> Array:
        """:func:`sim.policy.choice.option_utilities` of ``table``'s options priced at ``mean``, ``sd``."""
        out = np.empty(table.n)
        effort = np.ascontiguousarray(table.effort_kusd, dtype=np.float64)
        option_utilities(mean, sd, _identity(table.n), effort, self.risk, out)
        return out

    def utilities(self, decision: Decision) -> list[float]:
        """Utility in $k of every option (see :meth:`utility_array`)."""
        return [float(x) for x in self.utility_array(decision)]

    def choose(self, decision: Decision, rationality: float, u: float) -> int:
        """The option the anchored logit picks at the world's uniform ``u`` (:mod:`sim.policy.choice`)."""
        table = decision.option_table()
        if table.earns_nothing:
            return pick(self._unpaid_steps(table, decision.neutral, rationality), u)
        source = table.source if table.source is not None and table.rows is not None else table
        mean, sd = self.pay(decision.role, decision.person, decision.day, source)
        rows = table.rows if source is not table else _identity(table.n)
        return int(
            choose_option(
                mean, sd, rows, table.effort_kusd, self.risk, decision.neutral, rationality, float(u)
            )
        )


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
