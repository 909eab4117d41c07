"""The incentive-driven policy: every decision valued by the decider's own plan.

:class:`IncentivePolicy` keeps a live :class:`~sim.plans.engine.PayState` subscribed to the
world's ledger, values all options of a decision at once with
:class:`~sim.policy.valuation.Valuer` (with the pricing kernel that pays them) and chooses
with the anchored logit of :mod:`sim.policy.choice`. It never looks at the plan's name,
and it never looks inside the world: only at the decision contexts it is given.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.ledger import Ledger
from sim.plans.components import SPIFF_EVENT_MEASURE, paid_measures, role_spiffs
from sim.plans.engine import PayState
from sim.policy.batch import DecisionBatch
from sim.policy.decisions import Decision
from sim.policy.valuation import Valuer
from sim.scenario.behaviour import Behaviour
from sim.scenario.plans import PlanDesign
from sim.scenario.schema import Scenario
from sim.time.calendar import DAYS_PER_YEAR, Calendar
from sim.vocabulary import ROLES


def role_measures(plan: PlanDesign) -> dict[str, tuple[str, ...]]:
    """Measures each role's plan pays on (components and spiff events), sorted: the only
    outcomes worth describing in that role's decisions (any other outcome, the quota measure
    of a plan that pays on another measure included, is valued at exactly 0)."""
    # every role's plan measures; SDRs also the hand-off fee (a ``handoff`` spiff, sim/plans/components.py)
    handoff = {SPIFF_EVENT_MEASURE[s.event] for s in role_spiffs(plan, "sdr")}
    return {
        role: tuple(sorted(paid_measures(plan.role(role)) | (handoff if role == "sdr" else set())))
        for role in ROLES
    }


def role_rationality(behaviour: Behaviour, plan: PlanDesign, role: str) -> float:
    """λ of ``role`` under ``plan``: ``rationality_per_kusd``, scaled by
    ``stake_reference_variable_usd / V`` when the behaviour gives a reference and the role's plan
    targets variable pay ``V > 0`` (``docs/model.md``, "Stakes judged against variable pay")."""
    lam = behaviour.rationality_per_kusd
    ref = behaviour.stake_reference_variable_usd
    variable = plan.role(role).target_variable_annual_usd
    if ref is None or variable <= 0:
        return lam
    return lam * ref / variable


PAY_ATTRITION = {
    "ae": lambda b: b.ae.pay_attrition_sensitivity,
    "sdr": lambda b: b.sdr.pay_attrition_sensitivity,
    "csm": lambda b: b.csm.pay_attrition_sensitivity,
    "consultant": lambda b: b.consultant.pay_attrition_sensitivity,
}
"""The roles whose people leave, and where their pay-attrition sensitivity is read."""
MIN_TENURE_DAYS = 90.0
"""Pay-driven attrition starts after this many days in the job (before, pay is too noisy)."""
MIN_ATTRITION_MULTIPLIER = 0.25


class IncentivePolicy:
    """Answers the world's decisions by expected pay under ``plan`` (see ``docs/model.md``)."""

    def __init__(self, behaviour: Behaviour, plan: PlanDesign, *, measure_start_months: int = 0) -> None:
        self.behaviour = behaviour
        self.plan = plan
        self.measure_start_months = int(measure_start_months)
        self.state: PayState | None = None
        self.valuer: Valuer | None = None
        """Valuation of decisions against the live state."""
        self.roster: dict[int, str] = {}
        self.decisions = 0
        """Decisions answered."""
        self.deviations = 0
        """Decisions answered with another option than the neutral one."""
        self._measures = role_measures(plan)
        self._lam = {role: role_rationality(behaviour, plan, role) for role in ROLES}

    def bind(self, ledger: Ledger, calendar: Calendar, roster: dict[int, str]) -> None:
        """Subscribe a fresh pay state to the live ledger (events already there are replayed)."""
        start = float(calendar.month_starts[min(self.measure_start_months, len(calendar.month_starts) - 1)])
        self.state = PayState(self.plan, calendar, start_day=start, strict=False)
        self.state.follow(ledger)
        self.roster = roster
        self.valuer = Valuer(
            self.state, self.behaviour.annual_time_preference, self.behaviour.risk_aversion_per_kusd
        )

    def utilities(self, decision: Decision) -> list[float]:
        """Utility in $k of every option: expected pay - risk_aversion / 2 x variance - effort.

        The outcomes of one option come from one deal or project, so their payoffs are treated
        as perfectly correlated (standard deviations add).
        """
        if self.valuer is None:
            raise RuntimeError("IncentivePolicy.bind must be called before choose")
        return self.valuer.utilities(decision)

    def choose(self, decision: Decision, u: float) -> int:
        """Index of the chosen option (anchored logit on utilities; λ = 0 gives the neutral one)."""
        self.decisions += 1
        lam = self._lam.get(decision.role, self.behaviour.rationality_per_kusd)
        if lam <= 0 or len(decision.options) < 2:
            return decision.neutral
        if self.valuer is None:
            raise RuntimeError("IncentivePolicy.bind must be called before choose")
        k = self.valuer.choose(decision, lam, u)
        if k != decision.neutral:
            self.deviations += 1
        return k

    def choose_many(self, batch: DecisionBatch, u: NDArray[np.float64]) -> NDArray[np.int64]:
        """The chosen option of every decision of ``batch``, all valued in one pass (as :meth:`choose`)."""
        n = len(batch)
        self.decisions += n
        lam = self._lam.get(batch.role, self.behaviour.rationality_per_kusd)
        if lam <= 0 or len(batch.rows) < 2:
            return batch.neutral.copy()
        if self.valuer is None:
            raise RuntimeError("IncentivePolicy.bind must be called before choose_many")
        k = self.valuer.choose_many(batch, lam, u)
        self.deviations += int(np.count_nonzero(k != batch.neutral))
        return k

    def measures(self, role: str) -> tuple[str, ...]:
        """The measures ``role``'s plan pays on (components and spiff events)."""
        return self._measures.get(role, ())

    def attrition_multiplier(self, role: str, person: int, day: float) -> float:
        """One person's :meth:`attrition_multipliers`."""
        return float(self.attrition_multipliers(role, np.array([person], dtype=np.int64), day)[0])

    def attrition_multipliers(self, role: str, persons: NDArray[np.int64], day: float) -> NDArray[np.float64]:
        """Attrition hazard multiplier of each of ``persons`` from realised pay versus on-target
        pay, trailing year.

        ``1 + sensitivity x (on-target pay - realised pay) / on-target pay`` over the part of the
        trailing year the person was employed (base counts as paid); at least 0.25. The
        sensitivity is ``behaviour.<role>.pay_attrition_sensitivity`` (AEs, SDRs, CSMs and
        consultants: the roles whose people leave). Other roles, plans without variable pay,
        people with under 90 days' tenure, and λ = 0 (incentives ignored, so two plans give
        identical outcomes): 1.
        """
        out = np.ones(len(persons))
        sensitivity = PAY_ATTRITION.get(role)
        if sensitivity is None or self.state is None or self.behaviour.rationality_per_kusd <= 0:
            return out
        rp = self.plan.role(role)
        if rp.target_variable_annual_usd <= 0 or not len(persons):
            return out
        employed = self.state.employed_days_many(persons, day, DAYS_PER_YEAR)
        tenured = employed >= MIN_TENURE_DAYS
        share = employed[tenured] / DAYS_PER_YEAR
        expected_variable = rp.target_variable_annual_usd * share
        realised = self.state.realised_pay_many(persons[tenured], day, 12)
        shortfall = (expected_variable - realised) / (rp.on_target_earnings_usd * share)
        out[tenured] = np.maximum(MIN_ATTRITION_MULTIPLIER, 1.0 + sensitivity(self.behaviour) * shortfall)
        return out


def make_policy(scenario: Scenario, plan_name: str) -> IncentivePolicy:
    """The incentive policy of one plan of a scenario (the world's default policy)."""
    months = round(scenario.company.warmup_years * 12)
    return IncentivePolicy(scenario.behaviour, scenario.plan(plan_name), measure_start_months=months)
