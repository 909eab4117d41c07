"""The contract between the world and whoever decides for its people: the :class:`Policy` protocol.

The world builds a context for every decision (who decides, when, and each option's
consequences in the vocabulary of plan measures: :mod:`sim.policy.decisions`), alone or in a
batch (:mod:`sim.policy.batch`); a policy returns the chosen option. The world never looks at a
plan; a policy never looks at the world's internals. :class:`sim.policy.neutral.NeutralPolicy`
answers from fixed behaviour parameters; :class:`sim.policy.incentive.IncentivePolicy` values
each option with the pricing kernel that pays it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sim.policy.batch import DecisionBatch
from sim.policy.decisions import Decision

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.time.calendar import Calendar


@runtime_checkable
class Policy(Protocol):
    """Answers the world's decisions. One instance serves one replication."""

    def bind(self, ledger: Ledger, calendar: Calendar, roster: dict[int, str]) -> None:
        """Called once before the simulation runs: the live ledger, the calendar and the
        person-id -> role map (people hired later are added to the same dict)."""

    def choose(self, decision: Decision, u: float) -> int:
        """Index of the chosen option. ``u`` is a uniform(0, 1) draw from the world's
        stream for this decision, so choices are reproducible and common across plans."""

    def choose_many(self, batch: DecisionBatch, u: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index of the chosen option of every decision of ``batch`` (``u[j]``: decision ``j``'s
        uniform draw, as in :meth:`choose`); the same answers as :meth:`choose` on each
        ``batch.decision(j)`` (:func:`one_at_a_time` is that rule)."""

    def attrition_multipliers(self, role: str, persons: NDArray[np.int64], day: float) -> NDArray[np.float64]:
        """Multiplier on the baseline attrition hazard of each of ``persons`` (1.0 = no pay effect)."""

    def measures(self, role: str) -> tuple[str, ...]:
        """The measures whose outcomes this policy reads in ``role``'s decisions: the world
        describes only those (any other outcome is worth nothing to it)."""


def one_at_a_time(policy: Policy, batch: DecisionBatch, u: NDArray[np.float64]) -> NDArray[np.int64]:
    """A batch answered decision by decision with ``policy.choose`` (for policies that value one
    :class:`Decision` at a time)."""
    return np.array(
        [policy.choose(batch.decision(j), float(u[j])) for j in range(len(batch))], dtype=np.int64
    )
