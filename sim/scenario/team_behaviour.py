"""Behaviour of the teams whose choices are monthly efforts: product, support, customer education
and customer marketing (``docs/model.md``, "World: product, support, education and customer
marketing"). Each person chooses one option a month; the neutral option is what a person who
ignores incentives does; deviating from it costs effort in either direction, so the plan decides
the direction.
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.base import Fraction, NonNegative, Positive, StrictModel


class ProductBehaviour(StrictModel):
    """The product team: the share of engineering spent on quality work (fewer tickets) rather
    than features (more expansion)."""

    focus_options: list[Fraction] = Field(default_factory=lambda: [0.2, 0.35, 0.5])
    """Shares of the team's time on quality work on offer."""
    neutral_focus: Fraction = 0.35
    """Quality focus under the neutral policy (nearest option chosen)."""
    effort_cost_kusd_per_month: NonNegative = 0.5
    """Effort, in $k of pay-equivalent a month per unit of focus away from the neutral focus
    (re-planning a roadmap costs either way)."""


class SupportBehaviour(StrictModel):
    """Support agents: the pace at which they close tickets (faster closes more, and more come back)."""

    pace_options: list[Positive] = Field(default_factory=lambda: [0.8, 1.0, 1.25])
    """Resolution-pace multipliers on offer (above 1: faster, with more reopened tickets)."""
    neutral_pace: Positive = 1.0
    """Pace under the neutral policy (nearest option chosen)."""
    effort_cost_kusd_per_month: NonNegative = 0.2
    """Effort, in $k of pay-equivalent a month per unit of pace away from the neutral pace."""


class TeamEffortBehaviour(StrictModel):
    """A programme team (customer education, customer marketing): how hard it works this month."""

    effort_options: list[Positive] = Field(default_factory=lambda: [0.75, 1.0, 1.25])
    """Effort multipliers on offer (the team's output scales with them)."""
    neutral_effort: Positive = 1.0
    """Effort under the neutral policy (nearest option chosen)."""
    effort_cost_kusd_per_month: NonNegative = 0.4
    """Effort, in $k of pay-equivalent a month per unit of effort away from the neutral effort."""
