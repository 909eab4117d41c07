"""The neutral policy: people who ignore incentives.

Every decision takes the world's ``Decision.neutral`` option (built from the fixed
behaviour parameters: neutral discount, promise, overcommitment, pursue threshold, speed,
CSM split, marketing volume) and attrition stays at its baseline hazard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sim.policy.batch import DecisionBatch
from sim.policy.decisions import Decision
from sim.policy.protocol import one_at_a_time

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.time.calendar import Calendar


class NeutralPolicy:
    """A :class:`sim.policy.protocol.Policy` with no plan influence."""

    def bind(self, ledger: Ledger, calendar: Calendar, roster: dict[int, str]) -> None:
        """Nothing to bind: the neutral policy does not watch pay."""

    def choose(self, decision: Decision, u: float) -> int:
        """The neutral option."""
        return decision.neutral

    def choose_many(self, batch: DecisionBatch, u: NDArray[np.float64]) -> NDArray[np.int64]:
        """Each decision of the batch answered by :meth:`choose` (a subclass that answers some
        decisions otherwise sees every one of them)."""
        return one_at_a_time(self, batch, u)

    def attrition_multipliers(self, role: str, persons: NDArray[np.int64], day: float) -> NDArray[np.float64]:
        """Baseline attrition (1.0 each)."""
        return np.ones(len(persons))

    def measures(self, role: str) -> tuple[str, ...]:
        """None: the neutral policy reads no outcome."""
        return ()
