"""The company's teams beyond sales and CS delivery: product, customer education, customer
marketing, and what advocacy spend and references do (``docs/model.md``, "World: product,
support, education and customer marketing" and "World: advocacy").

Every block is off or neutral by default: with no education or customer-marketing people, no
advocacy budget in the plan and ``reference_win_odds``/``champion_relationship`` at 0 the world
is the model without them.
"""

from __future__ import annotations

from sim.scenario.base import Fraction, NonNegative, NonNegativeInt, Positive, StrictModel


class Product(StrictModel):
    """How the product team's focus (quality work versus features) moves tickets and expansion."""

    tickets_per_focus: NonNegative = 2.0
    """Ticket-rate elasticity of the team's quality focus: tickets x exp(-this x (focus - neutral
    focus)) once the product has caught up (0.15 more of the team on quality: about -26% tickets)."""
    expansion_per_focus: NonNegative = 1.0
    """Expansion-rate elasticity of the features the quality work displaces: upsell and cross-sell
    opportunities x exp(-this x (focus - neutral focus)) once the product has caught up."""
    adjust_per_month: Fraction = 0.15
    """Share of the gap between the product as it is and as the current focus would make it that
    closes each month (a product changes slowly: 0.15 is a half-life of about four months)."""


class Education(StrictModel):
    """Customer education: training and certification for newly live customers."""

    headcount: NonNegativeInt = 0
    """Customer educators (0 = no education team: today's model)."""
    accounts_per_educator_per_month: Positive = 40.0
    """Accounts one educator trains in a month at the neutral effort."""
    health_per_training: NonNegative = 0.01
    """Health added in a month to an eligible account by a month's training (reverts like any health)."""
    eligible_months: Positive = 6.0
    """Months after go-live during which an account is trained."""


class CustomerMarketing(StrictModel):
    """Customer marketing: reference, case-study and event programmes."""

    headcount: NonNegativeInt = 0
    """Customer marketers (0 = no customer-marketing team: today's model)."""
    max_lift: NonNegative = 0.5
    """Most the programmes raise reference and referral rates (0.5: x1.5)."""
    people_scale: Positive = 2.0
    """Customer marketers at the neutral effort at which the lift reaches 1 - 1/e (63%) of
    ``max_lift``: lift = max_lift x (1 - exp(-sum of efforts / people_scale))."""


class Advocacy(StrictModel):
    """What advocacy spend buys and what references and champions bring back."""

    budget_max_lift: NonNegative = 1.0
    """Most an advocacy budget raises an account's reference and referral rates (1.0: x2)."""
    budget_usd_per_account: Positive = 40.0
    """Advocacy spend per account a year at which the lift reaches 63% of ``budget_max_lift``:
    lift = budget_max_lift x (1 - exp(-spend per account / this)) (diminishing returns)."""
    reference_win_odds: float = 0.0
    """Extra log-odds of winning a new-logo deal that a reference is used on (0 = references do
    not change win odds: today's model)."""
    reference_shelf_months: Positive = 12.0
    """Months a reference can be used after it is given."""
    deals_per_reference: Positive = 3.0
    """New-logo deals of its segment one reference can be used on."""
    champion_relationship: NonNegative = 0.0
    """How much the warm-lead probability of a champion who moves follows the relationship the
    account's CSM kept: probability x (1 + this x (advocacy attention - 1)), attention being 1 at
    the neutral split (0 = fixed: today's model)."""
