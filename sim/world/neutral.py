"""The neutral policy: people who ignore incentives.

Every decision takes the world's ``Decision.neutral`` option (built from the fixed
behaviour parameters: neutral discount, promise, overcommitment, pursue threshold, speed,
CSM split, marketing volume) and attrition stays at its baseline hazard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.decisions import Decision

if TYPE_CHECKING:
    from sim.ledger import Ledger
    from sim.time.calendar import Calendar


class NeutralPolicy:
    """A :class:`sim.decisions.Policy` with no plan influence."""

    def bind(self, ledger: Ledger, calendar: Calendar, roster: dict[int, str]) -> None:
        """Nothing to bind: the neutral policy does not watch pay."""

    def choose(self, decision: Decision, u: float) -> int:
        """The neutral option."""
        return decision.neutral

    def attrition_multiplier(self, role: str, person: int, day: float) -> float:
        """Baseline attrition (1.0)."""
        return 1.0
