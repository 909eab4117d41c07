"""The simulated company: segments, market, headcount and the dynamics of its customers.

These are the *uncertainties about the world* that a plan cannot change directly.
Field names carry their units (``_usd``, ``_days``, ``_months``, ``annual_`` rates as
fractions per year).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.base import (
    Fraction,
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    StrictModel,
)

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
SegmentName = Literal["smb", "mid_market", "enterprise"]
LEAD_SOURCES: tuple[str, ...] = ("outbound", "marketing", "referral", "champion")


class Segment(StrictModel):
    """One customer segment: its market, its deals and how its customers behave."""

    starting_customers: NonNegativeInt = 0
    """Customers on the book when the simulation starts (before warm-up)."""
    leads_per_month: NonNegative = 0.0
    """Mean arrivals of outbound and marketing leads per month (Poisson)."""
    list_acv_mean_usd: Positive = 20_000.0
    """Mean list annual contract value of a new deal (lognormal)."""
    list_acv_cv: NonNegative = 0.5
    """Coefficient of variation of the list ACV."""
    mean_fit: Fraction = 0.6
    """Mean ideal-customer-profile fit of arriving leads (Beta distributed, 0..1)."""
    fit_concentration: Positive = 6.0
    """Beta concentration (alpha + beta) of lead fit; higher is tighter around the mean."""
    base_win_rate: Fraction = 0.25
    """Win probability of a pursued lead of average fit with no discount and neutral promises."""
    sales_cycle_days: Positive = 60.0
    """Mean days from pursuit to close decision (gamma distributed)."""
    contract_term_months: PositiveInt = 12
    """Default contract term in months."""
    annual_churn: Fraction = 0.10
    """Probability that an average-health customer churns at an annual renewal."""
    annual_contraction: Fraction = 0.05
    """Mean share of ARR lost by an average-health renewing customer (downsell)."""
    annual_expansion: NonNegative = 0.05
    """Organic growth of ARR per year (seats added by the customer's own growth)."""
    upsell_opportunities_per_year: NonNegative = 0.2
    """Upsell opportunities per customer per year (more of the same product)."""
    cross_sell_opportunities_per_year: NonNegative = 0.1
    """Cross-sell opportunities per customer per year (another product)."""
    upsell_size: NonNegative = 0.2
    """Mean upsell ACV as a share of the account's ARR."""
    cross_sell_size: NonNegative = 0.3
    """Mean cross-sell ACV as a share of the account's ARR."""
    implementation_days: Positive = 45.0
    """Mean consultant working days an implementation needs at standard quality."""
    tickets_per_month: NonNegative = 2.0
    """Mean support tickets per customer per month at product quality 1."""


class Segments(StrictModel):
    """The three segments; each may be switched off by giving it no leads and no customers."""

    smb: Segment = Field(default_factory=Segment)
    mid_market: Segment = Field(default_factory=Segment)
    enterprise: Segment = Field(default_factory=Segment)


class LeadSourceMix(StrictModel):
    """Share of exogenous leads by source (referral and champion leads arise from customers)."""

    outbound: Fraction = 0.5
    marketing: Fraction = 0.5

    @model_validator(mode="after")
    def _sums_to_one(self) -> LeadSourceMix:
        total = self.outbound + self.marketing
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"shares must sum to 1, found {total:g}")
        return self


class Reps(StrictModel):
    """Account executives."""

    headcount: NonNegativeInt = 40
    ramp_months: NonNegative = 4.0
    """Months for a new hire to reach full productivity (linear ramp)."""
    max_open_opportunities: PositiveInt = 12
    """Capacity: opportunities a rep works at once."""
    annual_attrition: Fraction = 0.2
    """Baseline probability a rep leaves within a year (before pay effects)."""
    backfill_days: NonNegative = 60.0
    """Days from a departure to the replacement's start."""


class Consultants(StrictModel):
    """Implementation consultants (a shared pool; projects queue)."""

    headcount: NonNegativeInt = 8
    concurrent_projects: PositiveInt = 3
    """Projects one consultant runs at once."""
    duration_shape: Positive = 4.0
    """Gamma shape of implementation durations (mean = segment implementation_days x speed)."""
    quality_noise_sd: NonNegative = 0.1
    """Standard deviation of the (one-sided) quality loss of a project around its speed-driven level."""
    failure_quality: Fraction = 0.3
    """Quality below which an implementation fails (the customer cancels at go-live)."""


class Csms(StrictModel):
    """Customer success managers."""

    headcount: NonNegativeInt = 20
    max_accounts: PositiveInt = 200
    """Accounts one CSM can carry; beyond it, accounts go unassigned (no CSM attention)."""


class Marketing(StrictModel):
    """Marketing: lead volume and fit respond to how marketing is paid."""

    headcount: NonNegativeInt = 5
    annual_program_budget_usd: NonNegative = 1_000_000.0


class Customers(StrictModel):
    """How customer health, renewals and advocacy work."""

    health_reversion_per_month: Fraction = 0.1
    """Share of the gap to the account's value-driven target closed each month."""
    health_noise_per_month: NonNegative = 0.03
    """Standard deviation of monthly health shocks."""
    renewal_health_sensitivity: NonNegative = 4.0
    """Log-odds change of churn per unit of health below/above 0.5."""
    renewal_price_sensitivity: NonNegative = 3.0
    """Log-odds change of churn per unit of price increase at renewal (e.g. an expiring discount)."""
    promoter_health: Fraction = 0.75
    """Health above which a customer is a promoter (NPS 9-10)."""
    detractor_health: Fraction = 0.45
    """Health below which a customer is a detractor (NPS 0-6)."""
    referrals_per_promoter_per_year: NonNegative = 0.15
    """Referral leads per promoter per year, before CSM advocacy effort."""
    references_per_promoter_per_year: NonNegative = 0.3
    """References or reviews given per promoter per year, before CSM advocacy effort."""
    usage_sd: NonNegative = 0.1
    """Standard deviation of a customer's realised usage share around its expected usage."""
    starting_health_mean: Fraction = 0.6
    """Mean health (and value-driven target health) of an average new or starting customer."""
    health_per_fit: NonNegative = 0.3
    """Target-health change per unit of fit above 0.5 (poor-fit customers get less value)."""
    health_per_quality: NonNegative = 0.4
    """Starting/target health change per unit of implementation quality above 0.8."""
    health_per_wait_month: NonNegative = 0.02
    """Starting health lost per month of waiting in the implementation queue."""
    healthy_health: Fraction = 0.5
    """Health at or above which a live customer counts as healthy (implementation success)."""
    deep_discount: Fraction = 0.2
    """Discount at or above which the vendor does not repeat it at renewal (asks list price)."""
    price_erosion_share: Fraction = 0.5
    """Share of its discount a customer claws back as a price cut when it refuses the list price."""
    referred_churn_odds: float = -0.5
    """Churn log-odds of a referred customer while its referrer is still a customer."""
    non_payment_probability: Fraction = 0.01
    """Probability a new deal's first invoice is never paid (the customer is cancelled)."""
    non_payment_per_overcommit: NonNegative = 0.08
    """Extra non-payment probability per unit of overcommitment."""


class Champions(StrictModel):
    """Champions change jobs; the account suffers and the new employer becomes a warm lead."""

    mean_tenure_years: Positive = 2.5
    health_shock: Fraction = 0.2
    """Health lost by the account when its champion leaves."""
    warm_lead_probability: Fraction = 0.5
    """Probability the champion's new company becomes a lead."""


class Support(StrictModel):
    """Support and product quality."""

    product_quality: Positive = 1.0
    """Ticket-rate divisor: 2.0 halves tickets."""
    health_per_ticket: NonNegative = 0.01
    """Health lost per ticket above the segment's mean rate."""
    tickets_per_quality_gap: NonNegative = 1.0
    """Ticket-rate increase per unit of implementation quality below 1."""
    product_headcount: NonNegativeInt = 1
    """People on the product team (paid on the team tickets/retention measures)."""


class Deals(StrictModel):
    """How fit, source and account teams move win rates and sales cycles."""

    win_odds_per_fit: NonNegative = 3.0
    """Log-odds of winning per unit of fit above the segment's mean fit."""
    referral_win_odds: float = 0.8
    """Extra log-odds of winning a referred lead."""
    champion_win_odds: float = 0.5
    """Extra log-odds of winning a lead brought by a former champion."""
    referral_cycle_multiplier: Positive = 0.6
    champion_cycle_multiplier: Positive = 0.7
    cycle_shape: Positive = 2.0
    """Gamma shape of sales-cycle lengths."""
    expansion_win_rate: Fraction = 0.4
    """Win probability of an upsell/cross-sell opportunity at average health."""
    expansion_cycle_days: Positive = 30.0
    expansion_rate_with_ae: NonNegative = 1.25
    """Opportunity-rate multiplier when the plan credits AEs for the deal kind (AEs prospect)."""
    both_credited_win_odds: float = 0.3
    """Extra log-odds of winning when both AE and CSM are credited (two people push)."""
    win_odds_per_health: NonNegative = 2.0
    """Log-odds of winning an expansion deal per unit of account health above 0.5."""


class Company(StrictModel):
    """A simulated B2B SaaS company."""

    name: str = "company"
    horizon_years: Positive = 5.0
    """Measured simulation length after warm-up."""
    warmup_years: NonNegative = 1.0
    """Simulated time before measurement starts, so the starting book is not an artefact."""
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    segments: Segments = Field(default_factory=Segments)
    lead_sources: LeadSourceMix = Field(default_factory=LeadSourceMix)
    reps: Reps = Field(default_factory=Reps)
    consultants: Consultants = Field(default_factory=Consultants)
    csms: Csms = Field(default_factory=Csms)
    marketing: Marketing = Field(default_factory=Marketing)
    customers: Customers = Field(default_factory=Customers)
    champions: Champions = Field(default_factory=Champions)
    support: Support = Field(default_factory=Support)
    deals: Deals = Field(default_factory=Deals)

    @model_validator(mode="after")
    def _health_bands(self) -> Company:
        if self.customers.detractor_health > self.customers.promoter_health:
            raise ValueError(
                "@customers.detractor_health: expected at most customers.promoter_health "
                f"({self.customers.promoter_health:g}), found {self.customers.detractor_health:g}"
            )
        return self
