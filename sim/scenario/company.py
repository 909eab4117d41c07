"""The simulated company: segments, market, headcount and the dynamics of its customers.

These are the *uncertainties about the world* that a plan cannot change directly.
Field names carry their units (``_usd``, ``_days``, ``_months``, ``annual_`` rates as
fractions per year).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.problems import PATH_MARK
from sim.scenario.base import (
    Fraction,
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    StrictModel,
)
from sim.scenario.billing import Billing
from sim.scenario.costs import Costs
from sim.scenario.teams import Advocacy, CustomerMarketing, Education, Product
from sim.scenario.working_days import WorkingDays

SEGMENTS: tuple[str, ...] = ("smb", "mid_market", "enterprise")
SegmentName = Literal["smb", "mid_market", "enterprise"]
LEAD_SOURCES: tuple[str, ...] = ("outbound", "marketing", "referral", "champion")


class Segment(StrictModel):
    """One customer segment: its market, its deals and how its customers behave."""

    starting_customers: NonNegativeInt = 0
    """Customers on the book when the simulation starts (before warm-up)."""
    leads_per_month: NonNegative = 0.0
    """Mean arrivals of outbound and marketing leads per month (Poisson)."""
    self_sourced_leads_per_ae_day: NonNegative = 0.0
    """Leads of this segment each fully ramped AE sources on each of their working days (times their
    monthly prospecting effort; the fraction by a draw); they go to that AE (``sim/world/prospecting.py``).
    0 = none."""
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
    expansion_events_per_year: NonNegative = 0.0
    """Organic expansion events per live customer per year (seats added, a tier up), each growing
    the account's use by a share of it (``expansion_event_size``) and billed at the next renewal's
    true-up (``sim/world/movements.py``); 0 = none."""
    expansion_event_size: NonNegative = 0.1
    """Mean size of an expansion event as a share of the account's use."""
    contraction_events_per_year: NonNegative = 0.0
    """Contraction events per live customer per year (seats dropped, a tier down), each shrinking the
    account's use by a share of it, realised at the next renewal's true-up; 0 = none."""
    contraction_event_size: Fraction = 0.1
    """Mean size of a contraction event as a share of the account's use (at most 0.95 per event)."""
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
    # -- finite market (sim/world/addressable.py); 0 organisations = unlimited, today's model
    addressable_organisations: NonNegativeInt = 0
    """Organisations in the segment that can be sold to (a finite market); 0 = unlimited. When
    finite, outbound and marketing leads arrive at ``leads_per_month`` x the share of organisations
    available (not a customer, not in the pipeline, not cooling off), every lead (referral and
    champion leads too) is one available organisation, and starting customers occupy organisations."""
    cooloff_days: NonNegative = 180.0
    """Days before an organisation that was approached and not won (lead skipped or unserved,
    deal lost, opportunity dropped) can be approached again. Used only with a finite market."""
    churned_cooloff_days: NonNegative | None = 730.0
    """Days before a churned customer's organisation can be approached again (churn at renewal,
    non-payment or a failed implementation); ``null`` = never. Used only with a finite market;
    at least ``cooloff_days``."""

    @model_validator(mode="after")
    def _finite_market(self) -> Segment:
        n = self.addressable_organisations
        if n > 0 and self.starting_customers > n:
            raise ValueError(
                f"{PATH_MARK}addressable_organisations: expected at least starting_customers "
                f"({self.starting_customers}) organisations (or 0 = unlimited), found {n}"
            )
        if self.churned_cooloff_days is not None and self.churned_cooloff_days < self.cooloff_days:
            raise ValueError(
                f"{PATH_MARK}churned_cooloff_days: expected at least cooloff_days "
                f"({self.cooloff_days:g}) or null (never), found {self.churned_cooloff_days:g}"
            )
        return self


class Segments(StrictModel):
    """The three segments; each may be switched off by giving it no leads and no customers."""

    smb: Segment = Field(default_factory=Segment)
    """Small businesses (self-serve and inside sales)."""
    mid_market: Segment = Field(default_factory=Segment)
    """Mid-market customers."""
    enterprise: Segment = Field(default_factory=Segment)
    """Enterprise customers."""


class LeadSourceMix(StrictModel):
    """Share of exogenous leads by source (referral and champion leads arise from customers)."""

    outbound: Fraction = 0.5
    """Share of exogenous leads that are outbound (prospected by sales)."""
    marketing: Fraction = 0.5
    """Share of exogenous leads that marketing sources."""

    @model_validator(mode="after")
    def _sums_to_one(self) -> LeadSourceMix:
        total = self.outbound + self.marketing
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"shares must sum to 1, found {total:g}")
        return self


class Reps(StrictModel):
    """Account executives."""

    headcount: NonNegativeInt = 40
    """Account executives at the start (seats are refilled after attrition)."""
    ramp_months: NonNegative = 4.0
    """Months for a new hire to reach full productivity (linear ramp)."""
    max_open_opportunities: PositiveInt = 12
    """Capacity: opportunities a rep works at once."""
    annual_attrition: Fraction = 0.2
    """Baseline probability a rep leaves within a year (before pay effects)."""
    backfill_days: NonNegative = 60.0
    """Days from a departure to the replacement's start."""
    prospecting_ability_sd: NonNegative = 0.0
    """Spread of AEs' prospecting ability: each AE's self-sourced lead rate is multiplied by
    ``exp(σ z − σ²/2)`` (mean 1; ``z`` standard normal per person, drawn at hire); 0 = everyone alike."""


SdrSource = Literal["outbound", "marketing"]
"""Exogenous lead sources SDRs may work."""


def _outbound_only() -> list[SdrSource]:
    return ["outbound"]


class Sdrs(StrictModel):
    """Sales/business development reps (``sim/world/sdrs.py``). Off by default (no SDRs): leads of
    every source then go straight to the AEs, as before.

    With SDRs, leads of the ``sources`` they work go first to the SDR with the most free slots
    (capacity ramps linearly with tenure; a lead no SDR has room for is lost); the SDR works it
    ``work_days`` and then either disqualifies it or sets a meeting (hands it to an AE), a decision
    valued by the SDR's own plan (``behaviour.sdr``)."""

    headcount: NonNegativeInt = 0
    """SDRs at the start (0 = no SDRs: today's model)."""
    sources: list[SdrSource] = Field(default_factory=_outbound_only)
    """Lead sources the SDRs work (the others go straight to AEs)."""
    max_open_leads: PositiveInt = 20
    """Capacity: leads one fully ramped SDR works at once."""
    work_days: Positive = 7.0
    """Days an SDR works a lead (research, outreach) before qualifying it out or setting a meeting."""
    ramp_months: NonNegative = 2.0
    """Months for a new SDR to reach full capacity (linear ramp)."""
    annual_attrition: Fraction = 0.35
    """Baseline probability an SDR leaves within a year."""
    backfill_days: NonNegative = 45.0
    """Days from a departure to the replacement's start."""

    @field_validator("sources")
    @classmethod
    def _distinct_sources(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each source may be listed once")
        return v


class Consultants(StrictModel):
    """Implementation consultants (a shared pool; projects queue)."""

    headcount: NonNegativeInt = 8
    """Implementation consultants (a pool; projects queue for them)."""
    concurrent_projects: PositiveInt = 3
    """Projects one consultant runs at once."""
    duration_shape: Positive = 4.0
    """Gamma shape of implementation durations (mean = segment implementation_days x speed)."""
    quality_noise_sd: NonNegative = 0.1
    """Standard deviation of the (one-sided) quality loss of a project around its speed-driven level."""
    failure_quality: Fraction = 0.3
    """Quality below which an implementation fails (the customer cancels at go-live)."""
    value_per_care: NonNegative = 0.0
    """Health target (value) a customer gains per unit of duration multiplier above the neutral
    pace: the adoption work of a careful implementation (training users, configuring their
    workflows) beyond the technical quality, which saturates at 1 (0 = none: today's model)."""
    annual_attrition: Fraction = 0.0
    """Baseline probability a consultant leaves within a year (0 = nobody leaves: today's model)."""
    backfill_days: NonNegative = 60.0
    """Days from a consultant's departure to the replacement's start."""
    ramp_months: NonNegative = 2.0
    """Months for a new consultant to run ``concurrent_projects`` projects (linear ramp from one)."""


class Csms(StrictModel):
    """Customer success managers."""

    headcount: NonNegativeInt = 20
    """Customer success managers (each owns a book of accounts)."""
    max_accounts: PositiveInt = 200
    """Accounts one CSM can carry; beyond it, accounts go unassigned (no CSM attention)."""
    segment_max_accounts: dict[SegmentName, PositiveInt] = Field(default_factory=dict)
    """Coverage per segment: accounts one CSM of that segment carries at most (instead of
    ``max_accounts``); CSMs are split across segments in proportion to expected accounts over
    coverage. A plan may override it (``plans[].staffing.csm_max_accounts``)."""
    attention_elasticity: NonNegative = 0.0
    """How a CSM's attention per account thins with the size of the book: the effects of the time
    split are x (attention_reference_accounts / accounts)^this, at most x3 (0 = attention does not
    depend on book size: today's model; 0.5 = square-root dilution)."""
    attention_reference_accounts: Positive = 150.0
    """Book size at which the time split's effects are as ``behaviour.csm`` states them."""
    annual_attrition: Fraction = 0.0
    """Baseline probability a CSM leaves within a year (0 = nobody leaves: today's model)."""
    backfill_days: NonNegative = 60.0
    """Days a departed CSM's book waits (no attention) for the replacement."""
    ramp_months: NonNegative = 3.0
    """Months for a new CSM's attention to reach full strength (linear ramp)."""
    departure_health_shock: Fraction = 0.05
    """Health each account of a departing CSM's book loses (the relationship that leaves)."""


class Marketing(StrictModel):
    """Marketing: lead volume and fit respond to how marketing is paid."""

    headcount: NonNegativeInt = 5
    """Marketers (their lead volume and fit respond to their plan)."""
    annual_program_budget_usd: NonNegative = 1_000_000.0
    """Marketing programme spend per year (counts in CAC)."""


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
    usage_drift: bool = True
    """Usage drifts every month with health at the segment's ``annual_expansion`` and
    ``annual_contraction`` (one netted drift per customer). False: only the segments' expansion and
    contraction events (and ``usage_sd``) move usage."""
    movement_size_distribution: Literal["fixed", "exponential"] = "exponential"
    """Sizes of expansion and contraction events: always the segment's mean, or exponential with it."""
    movement_health_sensitivity: NonNegative = 0.0
    """Log change of the expansion-event rate per unit of health above 0.5 (the contraction rate
    changes by the opposite); 0 = events independent of health."""
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
    """Mean time a champion stays at a customer before changing jobs (exponential)."""
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
    """People on the product team (their focus, quality work versus features, follows their plan)."""
    headcount: NonNegativeInt = 0
    """Support agents resolving tickets (0 = no support desk: resolution time plays no role, as
    before)."""
    tickets_per_agent_per_month: Positive = 400.0
    """Tickets one agent resolves in a month at the neutral pace (about 20 a working day)."""
    resolution_days: Positive = 1.0
    """Mean days to resolve a ticket when the desk is idle; with utilisation u the mean is
    resolution_days / pace / (1 - u) (u at most 0.95)."""
    sla_days: Positive = 2.0
    """Days within which a ticket counts as resolved on time."""
    health_per_late_ticket: NonNegative = 0.01
    """Health an account loses per ticket resolved later than ``sla_days``."""
    reopen_per_pace: NonNegative = 0.3
    """Share of tickets reopened per unit of pace above the neutral pace (rushed answers come back
    next month as new tickets)."""


class Deals(StrictModel):
    """How fit, source and account teams move win rates and sales cycles."""

    win_odds_per_fit: NonNegative = 3.0
    """Log-odds of winning per unit of fit above the segment's mean fit."""
    referral_win_odds: float = 0.8
    """Extra log-odds of winning a referred lead."""
    champion_win_odds: float = 0.5
    """Extra log-odds of winning a lead brought by a former champion."""
    referral_cycle_multiplier: Positive = 0.6
    """Sales-cycle length multiplier of referred leads (below 1: faster)."""
    champion_cycle_multiplier: Positive = 0.7
    """Sales-cycle length multiplier of leads brought by a former champion."""
    cycle_shape: Positive = 2.0
    """Gamma shape of sales-cycle lengths."""
    cycle_distribution: Literal["gamma", "fixed"] = "gamma"
    """Sales-cycle length: gamma with ``cycle_shape`` around the segment's ``sales_cycle_days``, or
    always exactly that many days (a fixed decision delay)."""
    cycle_days: Literal["working", "calendar"] = "working"
    """With ``company.working_days``: the cycle advances on the AE's working days (``working``), or
    runs in calendar days and the close is rolled to the AE's next working day (``calendar``)."""
    expansion_win_rate: Fraction = 0.4
    """Win probability of an upsell/cross-sell opportunity at average health."""
    expansion_cycle_days: Positive = 30.0
    """Mean days from an expansion opportunity to its close (uniform 0 to twice this)."""
    expansion_rate_with_ae: NonNegative = 1.25
    """Opportunity-rate multiplier when the plan credits AEs for the deal kind (AEs prospect)."""
    both_credited_win_odds: float = 0.3
    """Extra log-odds of winning when both AE and CSM are credited (two people push)."""
    win_odds_per_health: NonNegative = 2.0
    """Log-odds of winning an expansion deal per unit of account health above 0.5."""


class Company(StrictModel):
    """A simulated B2B SaaS company."""

    name: str = "company"
    """Name of the simulated company (shown in the report)."""
    horizon_years: Positive = 5.0
    """Measured simulation length after warm-up."""
    warmup_years: NonNegative = 1.0
    """Simulated time before measurement starts, so the starting book is not an artefact."""
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    """Calendar month (1-12) the fiscal year starts in; quarters and years follow it."""
    segments: Segments = Field(default_factory=Segments)
    """Customer segments: SMB, mid-market, enterprise."""
    lead_sources: LeadSourceMix = Field(default_factory=LeadSourceMix)
    """Where exogenous leads come from."""
    reps: Reps = Field(default_factory=Reps)
    """Account executives."""
    consultants: Consultants = Field(default_factory=Consultants)
    """Implementation consultants."""
    csms: Csms = Field(default_factory=Csms)
    """Customer success managers."""
    marketing: Marketing = Field(default_factory=Marketing)
    """Marketing team and programme budget."""
    customers: Customers = Field(default_factory=Customers)
    """Customer health, renewal and expansion."""
    champions: Champions = Field(default_factory=Champions)
    """Champions and their job moves."""
    support: Support = Field(default_factory=Support)
    """Support tickets and product quality."""
    deals: Deals = Field(default_factory=Deals)
    """Win rates and sales cycles."""
    sdrs: Sdrs = Field(default_factory=Sdrs)
    """SDRs qualifying leads for the AEs (none by default)."""
    billing: Billing = Field(default_factory=Billing)
    """Invoicing and cash collection (off by default)."""
    working_days: WorkingDays | None = None
    """Weekends, holidays and vacations (``sim/time/workdays.py``); absent = every day is a working day."""
    product: Product = Field(default_factory=Product)
    """How the product team's focus moves tickets and expansion."""
    education: Education = Field(default_factory=Education)
    """Customer education (none by default)."""
    customer_marketing: CustomerMarketing = Field(default_factory=CustomerMarketing)
    """Customer marketing programmes (none by default)."""
    advocacy: Advocacy = Field(default_factory=Advocacy)
    """What advocacy budgets, references and champions' relationships do."""
    costs: Costs = Field(default_factory=Costs)
    """What people and programmes cost beyond pay, and how revenue is valued (unit economics only)."""

    @model_validator(mode="after")
    def _health_bands(self) -> Company:
        if self.customers.detractor_health > self.customers.promoter_health:
            raise ValueError(
                f"{PATH_MARK}customers.detractor_health: expected at most customers.promoter_health "
                f"({self.customers.promoter_health:g}), found {self.customers.detractor_health:g}"
            )
        return self
