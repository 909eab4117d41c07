"""One replication's world: its components wired, and the clock that drives them.

:class:`World` builds the services of one replication (SimPy environment and fiscal calendar,
named random streams, the ledger, the staff roster, the customer book, the policy as
:class:`~sim.world.services.Choices`) and the teams, each given only the services it uses, then
connects the teams' acts to each other (a won deal becomes a customer, a finished project goes
live, a churned customer frees its CSM slot...). It never reads a plan: what it must know of the
plan's organisation comes as :class:`~sim.world.services.PlanFacts`, and everything about pay
reaches it through the policy. :func:`sim.replication.simulate` builds one, runs it and turns
its ledger into payouts and metrics.

Time: the world advances business day by business day (:meth:`World.run`); at each month start
the month's work comes first (snapshots, the month's flows, renewals, people, monthly
decisions), then the day's sales work; SimPy runs the continuous-time agents in between.
"""

from __future__ import annotations

import math

import numpy as np

from sim.ledger import Ledger
from sim.metrics import MarketObservations
from sim.policy.protocol import Policy
from sim.rng import Streams
from sim.scenario.schema import Scenario
from sim.time.calendar import Calendar
from sim.time.workdays import WorkCalendar
from sim.vocabulary import SEGMENTS
from sim.world.accounts import Accounts
from sim.world.addressable import Organisations
from sim.world.advocacy import Advocacy
from sim.world.billing import Receivables
from sim.world.book import Book
from sim.world.cost_drivers import CostDrivers
from sim.world.csms import CsTeam
from sim.world.customers import Customers
from sim.world.deal_terms import DealTerms
from sim.world.effects import TeamEffects
from sim.world.effort import EffortDecisions
from sim.world.forecasts import ForecastCommits
from sim.world.implementation import ImplementationTeam
from sim.world.market import Market
from sim.world.marketing import Marketers
from sim.world.prospecting import Prospecting
from sim.world.renewals import Renewals
from sim.world.reps import SalesTeam
from sim.world.rules import HealthRules
from sim.world.sdrs import SdrTeam
from sim.world.services import Choices, Clock, CountingEnvironment, PlanFacts, Segments, Staff
from sim.world.standards import WorkingStandards
from sim.world.stuffing import ExpansionTerms
from sim.world.support import SupportDesk
from sim.world.teams import CustomerMarketingTeam, EducationTeam, ProductTeam


class World:
    """The components of one replication, wired."""

    def __init__(
        self,
        scenario: Scenario,
        facts: PlanFacts,
        replication: int,
        policy: Policy,
        salt: int | None,
        keep_ledger: bool = True,
    ) -> None:
        c = scenario.company
        b = scenario.behaviour
        self.company = c
        self.replication = replication
        # services
        self.streams = Streams(scenario.experiment.seed, replication, salt=salt)
        self.env = CountingEnvironment()
        warmup = round(c.warmup_years * 12)
        total = warmup + max(1, round(c.horizon_years * 12))
        self.calendar = Calendar(c.fiscal_year_start_month, total)
        self.ledger = Ledger(keep=keep_ledger)
        self.staff = Staff(self.ledger, self.env, dict(facts.headcount_change))
        workdays: WorkCalendar | None = None
        if c.working_days is not None:  # sim/time/workdays.py; None: every day is a working day
            workdays = WorkCalendar(self.calendar, c.working_days, self.streams, self.staff.roster)
            self.calendar.workdays = workdays
        self.clock = Clock(self.env, self.calendar, warmup, workdays)
        self.segments = Segments([getattr(c.segments, s) for s in SEGMENTS])
        self.choices = Choices(policy)
        self.rules = HealthRules(c, b, facts.success_days, workdays)
        starting = sum(s.starting_customers for s in self.segments.seg)
        leads = sum(s.leads_per_month for s in self.segments.seg)
        self.book = Book(int(starting * 1.5 + leads * total * 0.2) + 64)
        self.orgs = Organisations(self.clock, self.segments, self.book, self.ledger, self.streams)
        """Finite markets (segments with addressable_organisations > 0; sim/world/addressable.py)."""
        clock, staff, segs, book, led = self.clock, self.staff, self.segments, self.book, self.ledger
        choices, streams = self.choices, self.streams
        # teams (in the order their people are hired: person ids follow it)
        self.deal_terms = DealTerms(segs, c, b, self.rules, choices.measures("ae"))
        self.sales = SalesTeam(clock, staff, book, led, choices, c, b, facts, self.deal_terms, self.orgs)
        self.prospecting = Prospecting(clock, segs, streams, c, len(self.sales.person))
        """The AEs' self-sourced leads (none unless a segment has them; sim/world/prospecting.py)."""
        self.effort = EffortDecisions(clock, segs, c, b, self.deal_terms, choices, facts, self.prospecting)
        """The AEs' monthly prospecting effort (sim/world/effort.py)."""
        self.cs = CsTeam(clock, staff, segs, book, led, choices, c, b, facts)
        self.implementation = ImplementationTeam(clock, staff, segs, book, choices, self.rules, c, b)
        available = self.orgs.available_share
        self.marketers = Marketers(clock, staff, segs, choices, c, b, self.deal_terms, available)
        self.product = ProductTeam(clock, staff, book, segs, choices, c, b)
        """The product team's focus (quality work versus features; ``sim/world/teams.py``)."""
        self.market = Market(clock, segs, streams, led, c, self.marketers, self.orgs)
        self.sdrs = SdrTeam(
            clock, staff, segs, streams, led, choices, c, b, facts, self.rules, self.deal_terms, self.orgs
        )
        """SDRs (none unless company.sdrs.headcount > 0; sim/world/sdrs.py)."""
        self.support = SupportDesk(clock, staff, book, segs, led, choices, c, b)
        """Support agents (none unless company.support.headcount > 0; sim/world/support.py)."""
        self.education = EducationTeam(clock, staff, book, segs, choices, c, b, self.rules)
        d0, p0, o0 = self.deal_terms.neutral_terms
        self.customer_marketing = CustomerMarketingTeam(
            clock, staff, book, segs, choices, c, b,
            lambda s: self.deal_terms.expected_win(s, segs.seg[s].mean_fit, 2, d0, p0, o0),
        )  # fmt: skip
        self._add_plan_staff()
        self.standards = WorkingStandards(self.implementation, clock, choices, b.consultant.standard_months)
        """Consultants' working standards (when their plan pays on what projects earn)."""
        policy.bind(self.ledger, self.calendar, staff.roster)
        self.customers = Customers(clock, segs, book, led, streams, c, self.rules, self.cs, self.orgs, None)
        self.billing: Receivables | None = (
            Receivables(clock, book, led, streams, c, self.customers.churn) if c.billing.enabled else None
        )
        """Invoices and collection (``company.billing``); None: one invoice per deal, next month start."""
        self.customers.billing = self.billing
        self.accounts = Accounts(clock, segs, book, led, streams, c, b, facts, self.cs)
        renewed = None if self.billing is None else self.billing.renewed
        self.renewals = Renewals(clock, segs, book, led, streams, c, renewed)
        self.stuffing = ExpansionTerms(book, clock, segs, c, b, choices, facts)
        self.forecasts = ForecastCommits(clock, led, choices, b, len(self.sales.person))
        """The AEs' quarterly forecast commits (``sim/world/forecasts.py``; on with options)."""
        """The credited person's over-commitment on expansion deals (``sim/world/stuffing.py``)."""
        self.advocacy = Advocacy(clock, book, c, facts)
        """Advocacy budgets, reference banks, champions' relationships (``sim/world/advocacy.py``)."""
        self.drivers = CostDrivers(clock, len(SEGMENTS))
        """Time spent by segment and activity, for unit economics (reporting only)."""
        self._connect()

    def _add_plan_staff(self) -> None:
        """The people the plan adds to each role, hired after every team's starting people (so the
        people every plan has keep their ids), in role order."""
        c, staff = self.company, self.staff
        teams = (
            ("ae", c.reps.headcount, self.sales.grow),
            ("csm", c.csms.headcount, self.cs.grow),
            ("consultant", c.consultants.headcount, self.implementation.grow),
            ("marketing", c.marketing.headcount, self.marketers.grow),
            ("product", c.support.product_headcount, self.product.grow),
            ("sdr", c.sdrs.headcount, self.sdrs.grow),
            ("support", c.support.headcount, self.support.grow),
            ("education", c.education.headcount, self.education.grow),
            ("customer_marketing", c.customer_marketing.headcount, self.customer_marketing.grow),
        )
        for role, company, grow in teams:
            extra = staff.extras(role, company)
            if extra:
                grow(extra)

    def _connect(self) -> None:
        """Who hears of whose acts."""
        sales, customers, market = self.sales, self.customers, self.market
        self.deal_terms.go_live_all = self.implementation.expected_days_all
        sales.won = customers.won
        sales.invoice = customers.invoice
        sales.opened = self.drivers.opened
        customers.start_project = self.implementation.start
        self.implementation.went_live = customers.go_live
        self.accounts.endogenous_lead = market.endogenous_lead
        self.accounts.expansion_later = sales.expansion_later
        if self.forecasts.on:
            sales.forecasts = self.forecasts
        st = self.stuffing
        if any(st.on.values()) or any(st.timing_on.values()):
            sales.stuffing = st
            self.accounts.stuffing_on = lambda kind: st.on[kind] or st.timing_on[kind]
        self.renewals.lost = customers.lost
        market.to_sales = sales.receive
        self.prospecting.receive = sales.receive
        market.to_sdrs = self.sdrs.receive
        market.sdr_sources = self.sdrs.sources
        self.sdrs.to_sales = sales.receive
        if self.sdrs.person:
            sales.on_meeting = self.sdrs.meeting_worked
        self.accounts.effects = TeamEffects(
            self.product, self.support, self.education, self.customer_marketing, self.advocacy, self.cs
        )
        if self.advocacy.references_on:
            sales.reference = self.advocacy.use

    # ------------------------------------------------------------------ the clock
    def _day(self, day: int) -> None:
        """The business day ``day`` (now): implementation success checks, the market's arrivals, the
        SDRs' and the AEs' work."""
        self.customers.success_checks(day)
        self.market.day(day)
        if self.sdrs.person:
            self.sdrs.day(day)
        if self.prospecting.on:
            self.prospecting.day(day, self.sales.person, self.sales.active, self.sales.ramp())
        self.sales.day(day)

    def _month(self, m: int) -> None:
        """At each month start: snapshot the book (before anything of that day), then the flows of
        the month just ended, cash, renewals, people, and this month's decisions."""
        if self.orgs.any:
            self.orgs.record(float(self.env.now))
        self.ledger.sync_readers()  # the readers read (the tally once enough wait); rows all read can go
        self.ledger.compact()
        self.customers.snapshot()
        self.cs.snapshots()
        if m > 0:
            self.accounts.month(m)
        self.renewals.collect_cash(m)
        self.renewals.renewals(m)
        draws = self.streams
        self.sales.monthly_people(m, draws(f"people.ae.attrition.m{m}").random(len(self.sales.person)))
        if self.cs.bench.on:
            self.cs.monthly_people(draws(f"people.csm.attrition.m{m}").random(len(self.cs.people)))
        if self.implementation.bench.on:
            n = len(self.implementation.people)
            self.implementation.monthly_people(draws(f"people.consultant.attrition.m{m}").random(n))
        if self.forecasts.on and self.clock.quarter_bounds(float(self.env.now))[0] == float(self.env.now):
            n = len(self.sales.person)
            self.forecasts.quarter(
                self.sales.person, self.sales.active, draws(f"decisions.ae_forecast.m{m}").random(n)
            )
        if self.effort.on:
            sales = self.sales
            u = draws(f"decisions.ae_effort.m{m}").random(len(sales.person))
            self.effort.decide(m, sales.person, sales.active, sales.ramp(), u)
        self.cs.decide(m, draws(f"decisions.csm.m{m}").random(max(len(self.cs.people), 1)))
        live = self.book.live()
        rows = self.cs.csm_rows(self.book.csm[live])
        self.drivers.csm_month(m, self.book.segment[live], rows, self.cs.shares)
        self.marketers.decide(
            m, draws(f"decisions.marketing.m{m}").random(max(len(self.marketers.people), 1))
        )
        if self.sdrs.person:
            self.sdrs.monthly_people(m, draws(f"people.sdr.attrition.m{m}").random(len(self.sdrs.person)))
        for team in (self.product, self.support, self.education, self.customer_marketing):
            if team.people and self.choices.measures(team.role):
                team.decide(m, draws(f"decisions.{team.role}.m{m}").random(len(team.people)))
            else:
                team.decide(m, np.zeros(0))
        if self.standards.on and m % self.standards.months == 0:
            n = len(self.implementation.people)
            self.standards.decide(m, draws(f"decisions.consultant.m{m}").random(n))

    def run(self) -> None:
        """Run the replication to the end of the horizon: business day by business day (the month's
        work first on a month start), SimPy running the continuous-time agents in between."""
        self.customers.seed(self.deal_terms.neutral_terms[0], self.sales.person)
        if self.billing is not None:
            self.billing.seed()
        self.start_arr_cents = self.book.total_arr_cents()
        self.market.start()
        env = self.env
        starts = self.calendar.month_starts
        total = self.clock.total_months
        m = 0
        for day in range(math.ceil(self.clock.end_day)):
            if day > env.now:
                env.advance(day)  # every event before the day starts
            if m < total and day == starts[m]:
                self._month(m)
                m += 1
            self._day(day)
        env.run(until=self.clock.end_day)
        # the horizon ends at a month start: the last snapshot, then the last month's flows
        # (which move no ARR: revenue, tickets, advocacy) so that they are in the ledger
        self.customers.snapshot()
        self.accounts.month(total)

    # ------------------------------------------------------------------ what the metrics read
    def market_observations(self) -> MarketObservations | None:
        """The finite markets' state (None when every segment is unlimited); call once, at the end."""
        return self.orgs.observations()

    def counts(self) -> dict[str, float]:
        """Whole-run counters for the replication's extras (see ``docs/metrics.md``)."""
        snaps = self.customers.arr_snapshots
        return {
            "leads_lost": float(self.sales.leads_lost),
            "decisions": float(self.choices.count),
            "opportunities": float(self.sales.opportunities_opened),
            "starting_arr": self.start_arr_cents / 100.0,
            "measure_start_arr": float(snaps[self.clock.warmup_months].sum()) / 100.0,
            **self.sdrs.extra_metrics(),
            "references_used_per_year": self.advocacy.used / self.clock.measured_years,
            "advocacy_spend_usd": self.advocacy.spend_per_year(
                len(self.cs.people), len(self.customer_marketing.people)
            ),
            **self.implementation.queue_metrics(),
            **self.effort.extra_metrics(),
        }
