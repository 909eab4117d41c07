"""Who decides for the world's people: the decision protocol, the neutral and the incentive policy.

The contract sits at the bottom (:mod:`sim.policy.decisions`, :mod:`sim.policy.batch`,
:mod:`sim.policy.protocol`); the neutral policy answers from fixed behaviour parameters; the
incentive policy (:mod:`sim.policy.incentive`) values every option with the pricing kernel that
pays it (:mod:`sim.policy.valuation`, :mod:`sim.policy.expected_pay`) and chooses with an
anchored logit (:mod:`sim.policy.choice`). ``make_policy`` and ``IncentivePolicy`` are loaded on
first use, so that the world, which needs only the contract, does not import the pay rules.
"""

from typing import TYPE_CHECKING, Any

from sim.policy.batch import DecisionBatch, OptionTables
from sim.policy.decisions import Decision, MeasureOutcome, Option, OptionTable
from sim.policy.neutral import NeutralPolicy
from sim.policy.protocol import Policy

if TYPE_CHECKING:
    from sim.policy.incentive import IncentivePolicy, make_policy

__all__ = [
    "Decision",
    "DecisionBatch",
    "IncentivePolicy",
    "MeasureOutcome",
    "NeutralPolicy",
    "Option",
    "OptionTable",
    "OptionTables",
    "Policy",
    "make_policy",
]


def __getattr__(name: str) -> Any:
    """Lazy exports of the incentive policy (it imports the payout engine and the compiled kernels)."""
    if name in ("IncentivePolicy", "make_policy"):
        from sim.policy import incentive

        return getattr(incentive, name)
    raise AttributeError(f"module 'sim.policy' has no attribute {name!r}")
