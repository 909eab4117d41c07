"""Behaviour that follows the plan's rules: expected-pay valuation, the choice rule, the policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.behaviour.choice import choice_probabilities, choose_index
from sim.behaviour.policy import IncentivePolicy
from sim.behaviour.valuation import Valuer, value_outcome

if TYPE_CHECKING:
    from sim.decisions import Policy
    from sim.scenario.schema import Scenario


def make_policy(scenario: Scenario, plan_name: str) -> Policy:
    """The incentive policy of one plan of a scenario (the world's default policy)."""
    months = round(scenario.company.warmup_years * 12)
    return IncentivePolicy(scenario.behaviour, scenario.plan(plan_name), measure_start_months=months)


__all__ = [
    "IncentivePolicy",
    "Valuer",
    "choice_probabilities",
    "choose_index",
    "make_policy",
    "value_outcome",
]
