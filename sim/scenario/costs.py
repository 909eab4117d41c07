"""The cost model: what people and programmes cost the company, and how revenue is valued.

Used only to report unit economics (``sim/economics.py``; definitions in ``docs/metrics.md``,
"Cost"): nothing here changes what anyone in the world does. Pay itself (base and
variable) comes from the plan and the payout engine; this block adds what a plan does not pay but
the company does: benefits and payroll taxes on pay, first-line managers, non-quota support staff
(sales engineers, sales operations, enablement), tooling, and the gross margin and discount rate
that turn revenue into value. Defaults and their sources: ``docs/calibration.md``, "Cost model".
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.base import Fraction, NonNegative, Positive, StrictModel


class RoleCost(StrictModel):
    """What one head of a role costs beyond its pay (all per year, fully loaded)."""

    tooling_per_head_annual_usd: NonNegative = 0.0
    """Software seats, data, travel and expenses per head per year."""
    heads_per_manager: NonNegative = 0.0
    """People one first-line manager leads (span of control); 0 = no managers counted."""
    manager_annual_cost_usd: NonNegative = 0.0
    """Fully loaded cost of one first-line manager per year (pay, benefits, tooling)."""
    support_heads_per_head: NonNegative = 0.0
    """Non-quota support staff per head (sales engineers, sales operations, enablement, deal desk)."""
    support_annual_cost_usd: NonNegative = 0.0
    """Fully loaded cost of one support head per year."""


def _ae_costs() -> RoleCost:
    return RoleCost(
        tooling_per_head_annual_usd=15_000.0,
        heads_per_manager=8.0,
        manager_annual_cost_usd=350_000.0,
        support_heads_per_head=0.5,
        support_annual_cost_usd=220_000.0,
    )


def _people_costs(tooling: float, span: float, manager: float) -> RoleCost:
    return RoleCost(
        tooling_per_head_annual_usd=tooling, heads_per_manager=span, manager_annual_cost_usd=manager
    )


class RoleCosts(StrictModel):
    """Per-role costs beyond pay (``sim/economics.py``)."""

    ae: RoleCost = Field(default_factory=_ae_costs)
    """Account executives: sales tooling, a manager per eight reps, half a sales engineer or
    operations head per rep."""
    sdr: RoleCost = Field(default_factory=lambda: _people_costs(10_000.0, 10.0, 250_000.0))
    """SDRs: tooling, a manager per ten."""
    csm: RoleCost = Field(default_factory=lambda: _people_costs(8_000.0, 8.0, 250_000.0))
    """CSMs: tooling, a manager per eight."""
    consultant: RoleCost = Field(default_factory=lambda: _people_costs(6_000.0, 8.0, 250_000.0))
    """Implementation consultants (a cost of service, not of sales)."""
    marketing: RoleCost = Field(default_factory=lambda: _people_costs(10_000.0, 6.0, 300_000.0))
    """Marketers (their programme spend is ``company.marketing.annual_program_budget_usd``)."""
    product: RoleCost = Field(default_factory=lambda: _people_costs(6_000.0, 0.0, 0.0))
    """The product team (a cost of service)."""
    support: RoleCost = Field(default_factory=lambda: _people_costs(5_000.0, 10.0, 200_000.0))
    """Support agents (a cost of service): help-desk seats, a manager per ten."""
    education: RoleCost = Field(default_factory=lambda: _people_costs(6_000.0, 8.0, 220_000.0))
    """Customer educators (a cost of service): training platform seats, a manager per eight."""
    customer_marketing: RoleCost = Field(default_factory=lambda: _people_costs(10_000.0, 6.0, 300_000.0))
    """Customer marketers: tooling and a manager per six, as marketers (their programme spend is the
    plan's ``customer_marketing.budget_annual_usd``, counted in ``advocacy_spend_usd``)."""


class LeadCosts(StrictModel):
    """What generating one exogenous lead of a segment costs (per lead, US dollars)."""

    smb: NonNegative = 0.0
    """Per SMB lead."""
    mid_market: NonNegative = 0.0
    """Per mid-market lead."""
    enterprise: NonNegative = 0.0
    """Per enterprise lead."""


class Costs(StrictModel):
    """The cost model of unit economics (reporting only: it changes no behaviour)."""

    benefits_load: NonNegative = 0.30
    """Benefits, payroll taxes and overhead as a share of pay (base and variable) of every role."""
    roles: RoleCosts = Field(default_factory=RoleCosts)
    """What one head of each role costs beyond pay."""
    cs_program_annual_usd: NonNegative = 0.0
    """Customer-success programme spend per year (events, content, digital success), counted in
    the cost to retain."""
    demand_generation_per_lead_usd: LeadCosts = Field(default_factory=LeadCosts)
    """Cost of generating one exogenous lead by segment (list building, paid media, events, content,
    agencies: the spend behind ``segments.<s>.leads_per_month``, which the world takes as given),
    counted in acquisition cost at ``12 x leads_per_month`` leads a year; 0 = not counted."""
    forecast_error_cost_per_usd: NonNegative = 0.0
    """What the company loses per USD of absolute error of its AEs' quarterly forecast commits
    (capacity, spend and hiring planned on bookings that do not come, or missing for those that
    do); 0 = not priced (``forecast_error_cost_usd`` is then 0)."""
    gross_margin: Fraction = 0.78
    """Subscription gross margin: the share of revenue left after hosting, support and other costs
    of service (lifetime value is counted in gross margin)."""
    discount_rate_annual: NonNegative = 0.10
    """Annual rate lifetime value is discounted at."""
    ltv_horizon_years: Positive = 10.0
    """Years of a customer's life counted in lifetime value."""
