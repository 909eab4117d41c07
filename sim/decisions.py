"""Decision points: what the world asks, what the options are, and the Policy that answers.

The world builds a context for every decision (who decides, when, and each option's
consequences expressed in the vocabulary of plan *measures*); a :class:`Policy` returns the
index of the chosen option. The world never looks at a plan; a policy never looks at the
world's internals. ``sim.world.neutral.NeutralPolicy`` answers from fixed behaviour
parameters; ``sim.behaviour.IncentivePolicy`` values each option with the payout engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sim.calendar import Calendar
    from sim.ledger import Ledger


@dataclass(slots=True)
class MeasureOutcome:
    """What an option would credit to the deciding person, if it happens.

    ``amount`` is in the measure's unit (dollars, a count, or a ratio change for book
    GRR/NRR). Times are days from the decision.
    """

    measure: str
    amount: float
    probability: float = 1.0
    """Probability the measure is credited at all (e.g. the win probability)."""
    delay_days: float = 0.0
    """Days until the measure is credited (the close day for a booking)."""
    spread_days: float = 0.0
    """The measure is realised evenly over this span after ``delay_days`` (revenue)."""
    discount: float = 0.0
    """Discount of the deal behind the measure (for discount-linked rates)."""
    go_live_delay_days: float = 0.0
    """Days from credit to go-live (for ``pays: at_go_live``)."""
    success_probability: float = 1.0
    """Probability the implementation counts as a success (for ``pays: after_success``)."""
    renewal_delay_days: float = 365.0
    """Days from credit to the first renewal (for ``pays: at_renewal``)."""
    cash_delay_days: float = 30.0
    """Days from credit to cash collection (for ``pays: on_cash``)."""
    churn_probability: float = 0.0
    """Probability the customer churns within a year of credit (clawback trigger)."""
    failure_probability: float = 0.0
    """Probability the implementation fails (clawback trigger)."""
    non_payment_probability: float = 0.0
    """Probability the customer does not pay (clawback trigger)."""
    term_months: int = 0
    """Contract term of the deal behind the measure (for multi-year spiffs); 0 = unknown."""


@dataclass(slots=True)
class Option:
    """One option of a decision: its consequences for the decider's pay, and its effort."""

    label: str
    outcomes: tuple[MeasureOutcome, ...] = ()
    effort_kusd: float = 0.0
    """Effort cost in thousands of dollars of pay-equivalent."""
    value: float = 0.0
    """The option's own parameter (a discount, a speed multiplier), for neutral policies."""


@dataclass(slots=True, frozen=True)
class Decision:
    """A decision put to one person."""

    kind: str
    """``pursue``, ``deal_terms``, ``close_timing``, ``implementation_speed``, ``csm_split``,
    ``marketing_volume``."""
    day: float
    role: str
    person: int
    options: tuple[Option, ...]
    neutral: int = 0
    """Index of the option a person who ignores incentives would take."""
    attrs: dict[str, float] = field(default_factory=dict)
    """Situation details (fit, segment, list price...) for policies and logs."""


@runtime_checkable
class Policy(Protocol):
    """Answers the world's decisions. One instance serves one replication."""

    def bind(self, ledger: Ledger, calendar: Calendar, roster: dict[int, str]) -> None:
        """Called once before the simulation runs: the live ledger, the calendar and the
        person-id -> role map (people hired later are added to the same dict)."""

    def choose(self, decision: Decision, u: float) -> int:
        """Index of the chosen option. ``u`` is a uniform(0, 1) draw from the world's
        stream for this decision, so choices are reproducible and common across plans."""

    def attrition_multiplier(self, role: str, person: int, day: float) -> float:
        """Multiplier on a person's baseline attrition hazard (1.0 = no pay effect)."""
