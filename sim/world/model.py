"""One replication of one plan: the wiring of market, reps, implementation, CSMs and customers.

:func:`simulate` is a pure function of (scenario, plan, replication, policy): it builds its
own ``simpy.Environment``, draws every random number from named streams
(``sim.rng.Streams``) and returns a small, picklable :class:`ReplicationResult`.

Every ledger event is recorded at the simulation time it happens (``env.now``), so the
ledger is in time order. Monthly flows (revenue, tickets, advocacy, champion moves,
renewals, cash) are processed in bulk at each month start for the month just ended.
"""

from __future__ import annotations

import gc
import math
import time
import zlib

import numpy as np
from scipy.special import ndtr

from sim.decision_batch import DecisionBatch
from sim.decisions import Decision, Policy
from sim.ledger import CREDITED_CODE, DEAL_KIND_CODE, ROLE_CODE, SOURCE_CODE, K, Ledger
from sim.metrics import Observations, Tally, all_metrics, cash_series, distributions, timeseries
from sim.plans import PayState, payouts_from_state
from sim.plans.components import SPIFF_EVENT_MEASURE, paid_measures, role_spiffs
from sim.rng import Streams
from sim.scenario.company import SEGMENTS
from sim.scenario.plans import PlanDesign
from sim.scenario.schema import Scenario
from sim.time.calendar import DAYS_PER_YEAR, Calendar
from sim.time.workdays import WorkCalendar
from sim.world import customers as cust_dyn
from sim.world.billing import Receivables
from sim.world.csms import CsTeam
from sim.world.customers import (
    CHURNED,
    IMPLEMENTING,
    LIVE,
    Book,
    lead_key,
)
from sim.world.implementation import ImplementationTeam
from sim.world.lead import Lead
from sim.world.market import Market
from sim.world.reps import Opportunity, SalesTeam
from sim.world.result import ReplicationResult
from sim.world.sdrs import SdrTeam
from sim.world.services import Clock, CountingEnvironment, Segments, Staff

_NEW = DEAL_KIND_CODE["new"]
_AE_ONLY = CREDITED_CODE[("ae",)]
_MARKETING_SOURCE = SOURCE_CODE["marketing"]
_MARKETING_ROLE = ROLE_CODE["marketing"]


def role_measures(plan: PlanDesign) -> dict[str, tuple[str, ...]]:
    """Measures each role's plan pays on (components and spiff events), sorted: the only
    outcomes worth describing in that role's decisions (any other outcome, the quota measure
    of a plan that pays on another measure included, is valued at exactly 0)."""
    out = {
        role: tuple(sorted(paid_measures(plan.role(role))))
        for role in ("ae", "csm", "consultant", "marketing", "product")
    }
    # SDRs: their plan's measures and the hand-off fee (a ``handoff`` spiff, sim/plans/components.py)
    out["sdr"] = tuple(
        sorted(paid_measures(plan.sdr) | {SPIFF_EVENT_MEASURE[s.event] for s in role_spiffs(plan, "sdr")})
    )
    return out


def _nearest(options: list[float], target: float) -> float:
    return min(options, key=lambda v: abs(v - target)) if options else target


class World:
    """The state of one replication."""

    def __init__(
        self,
        scenario: Scenario,
        plan: PlanDesign,
        replication: int,
        policy: Policy,
        salt: int | None,
        keep_ledger: bool = True,
    ) -> None:
        self.scenario = scenario
        self.company = scenario.company
        self.behaviour = scenario.behaviour
        self.plan = plan
        self.replication = replication
        self.policy = policy
        self.streams = Streams(scenario.experiment.seed, replication, salt=salt)
        self.env = CountingEnvironment()
        c = self.company
        self.warmup_months = round(c.warmup_years * 12)
        self.horizon_months = max(1, round(c.horizon_years * 12))
        self.total_months = self.warmup_months + self.horizon_months
        self.calendar = Calendar(c.fiscal_year_start_month, self.total_months)
        self.ledger = Ledger(keep=keep_ledger)
        self.staff = Staff(self.ledger, self.env)
        self.tally = Tally(
            self.calendar, plan, self.warmup_months, self.total_months, invoiced=c.billing.enabled
        )
        self.tally.follow(self.ledger)  # metrics accumulate as the ledger grows
        self.roster = self.staff.roster
        self.workdays: WorkCalendar | None = None
        """Working days (``company.working_days``; sim/time/workdays.py); None: every day is a working day."""
        if c.working_days is not None:
            self.workdays = WorkCalendar(self.calendar, c.working_days, self.streams, self.roster)
            self.calendar.workdays = self.workdays
        self.clock = Clock(self.env, self.calendar, self.warmup_months, self.workdays)
        self.measure_start = self.clock.measure_start
        self.end_day = self.clock.end_day
        self.segments = Segments([getattr(c.segments, s) for s in SEGMENTS])
        self.segment_names = self.segments.names
        self.seg = self.segments.seg
        self.role_measures = role_measures(plan)
        self.crediting: dict[str, tuple[str, ...]] = {
            "upsell": tuple(plan.crediting.upsell),
            "cross_sell": tuple(plan.crediting.cross_sell),
        }
        self.expansion_rate_mult = {
            k: (c.deals.expansion_rate_with_ae if "ae" in v else 1.0) for k, v in self.crediting.items()
        }
        ab = self.behaviour.ae
        self.neutral_terms = (
            _nearest(list(ab.discount_options), ab.neutral_discount),
            _nearest(list(ab.promise_options), ab.neutral_promise),
            _nearest(list(ab.overcommit_options), ab.neutral_overcommit),
        )
        days = [
            comp.success_days
            for r in ("ae", "consultant")
            for comp in plan.role(r).components
            if comp.pays == "after_success" or comp.measure == "implementation_success_90d"
        ]
        self.success_days = float(days[0]) if days else 90.0
        self.neutral_quality = self.expected_quality(self.behaviour.consultant.neutral_speed)
        self.neutral_failure = self.failure_probability(self.behaviour.consultant.neutral_speed)
        starting = sum(s.starting_customers for s in self.seg)
        self.book = Book(
            int(starting * 1.5 + sum(s.leads_per_month for s in self.seg) * self.total_months * 0.2) + 64
        )
        self.sales = SalesTeam(self)
        self.cs = CsTeam(self)
        self.implementation = ImplementationTeam(self)
        self.marketers = [self.staff.hire("marketing", 0.0) for _ in range(c.marketing.headcount)]
        self.product_team = [self.staff.hire("product", 0.0) for _ in range(c.support.product_headcount)]
        self.market = Market(self)
        self.sdrs = SdrTeam(self)
        """SDRs (none unless company.sdrs.headcount > 0; sim/world/sdrs.py)."""
        self.arr_snapshots: list[np.ndarray] = []
        """Per-customer ARR (cents) at each month start 0..total_months."""
        self.nps_by_month: list[float] = []
        """NPS (promoters - detractors, % of paying customers) at each month start."""
        self.final_health = np.zeros(0)
        """Every customer's health at the end (for the NPS distribution)."""
        self.active_counts: list[int] = []
        """Customers with ARR at each month start 0..total_months (warm-up included)."""
        self.decisions = 0
        self._checking: dict[int, list[tuple[float, int]]] = {}
        """Implementation success checks by business day: (check day, customer)."""
        policy.bind(self.ledger, self.calendar, self.roster)
        self.pay_state = self._live_pay_state()
        self.billing: Receivables | None = (
            Receivables(self.clock, self.book, self.ledger, self.streams, c, self.churn)
            if c.billing.enabled
            else None
        )
        """Invoices and collection (``company.billing``); None: one invoice per deal, next month start."""

    def _live_pay_state(self) -> PayState:
        """The plan's pay state, kept live on the ledger: the policy's own when it keeps one for
        this plan and window (the incentive policy does), else a fresh one subscribed here."""
        live = getattr(self.policy, "state", None)
        if isinstance(live, PayState) and live.plan is self.plan and live.start_day == self.measure_start:
            return live
        state = PayState(self.plan, self.calendar, start_day=self.measure_start)
        state.follow(self.ledger)
        return state

    # ------------------------------------------------------------------ helpers
    def choose(self, decision: Decision, u: float) -> int:
        """Ask the policy; check the answer."""
        self.decisions += 1
        k = self.policy.choose(decision, u)
        if not 0 <= k < len(decision.options):
            raise ValueError(f"policy chose option {k} of {len(decision.options)} for {decision.kind}")
        return k

    def choose_many(self, batch: DecisionBatch, u: np.ndarray) -> np.ndarray:
        """Ask the policy for a batch of decisions; check the answers."""
        self.decisions += len(batch)
        k = np.asarray(self.policy.choose_many(batch, u), dtype=np.int64)
        n = len(batch.rows)
        if k.shape != (len(batch),) or (len(k) and (k.min() < 0 or k.max() >= n)):
            bad = k[(k < 0) | (k >= n)] if k.shape == (len(batch),) else k
            raise ValueError(f"policy chose option {bad[:1].tolist()} of {n} for {batch.kind}")
        return k

    def record_lead(self, lead: Lead) -> None:
        """A marketing lead (``lead`` event credited to its marketer)."""
        self.ledger.add(
            K.lead, self.env.now, 1.0, marketer=lead.marketer, person=lead.marketer, segment=lead.segment,
            source=_MARKETING_SOURCE, role=_MARKETING_ROLE, list_price=round(lead.list_acv, 2),
        )  # fmt: skip

    def expected_quality(self, speed: float) -> float:
        """Mean implementation quality at a speed (one-sided half-normal noise)."""
        q = 1.0 - self.behaviour.consultant.quality_per_speed * (1.0 - speed)
        return min(max(q - self.company.consultants.quality_noise_sd * math.sqrt(2 / math.pi), 0.0), 1.0)

    def expected_value_health(self, fit: float, quality: float, promise: float) -> float:
        """Health an account reverts to: fit, implementation quality and the promise gap."""
        cc = self.company.customers
        v = (
            cc.starting_health_mean
            + cc.health_per_fit * (fit - 0.5)
            + cc.health_per_quality * (quality - 0.8)
            - 0.5 * self.behaviour.ae.promise_health_gap * promise
        )
        return min(max(v, 0.0), 1.0)

    def starting_health(self, value: float, promise: float, excess_ttv_days: float) -> float:
        """Health at go-live: value less the promise/delivery gap and a late-value penalty."""
        cc = self.company.customers
        h = (
            value
            - 0.5 * self.behaviour.ae.promise_health_gap * promise
            - cc.health_per_wait_month * max(excess_ttv_days, 0.0) / 30.4375
        )
        return min(max(h, 0.0), 1.0)

    def success_probability(self, start_health: float, value: float | None = None) -> float:
        """Probability a live customer is healthy ``success_days`` after go-live (normal approx.)."""
        cc = self.company.customers
        v = start_health if value is None else value
        months = self.success_days / 30.4375
        mean = v + (start_health - v) * (1 - cc.health_reversion_per_month) ** months
        sd = cc.health_noise_per_month * math.sqrt(months) + 0.05
        return 0.5 * (1 + math.erf((mean - cc.healthy_health) / (sd * math.sqrt(2))))

    def success_probabilities(self, start_health: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`success_probability`."""
        cc = self.company.customers
        months = self.success_days / 30.4375
        mean = value + (start_health - value) * (1 - cc.health_reversion_per_month) ** months
        sd = cc.health_noise_per_month * math.sqrt(months) + 0.05
        return np.asarray(ndtr((mean - cc.healthy_health) / sd))

    def failure_probability(self, speed: float) -> float:
        """Probability an implementation at this speed falls below the failure quality."""
        cc = self.company.consultants
        q0 = 1.0 - self.behaviour.consultant.quality_per_speed * (1.0 - speed)
        if cc.quality_noise_sd <= 0:
            return 1.0 if q0 < cc.failure_quality else 0.0
        x = (q0 - cc.failure_quality) / cc.quality_noise_sd
        return 1.0 if x <= 0 else float(math.erfc(x / math.sqrt(2)))

    # ------------------------------------------------------------------ customers
    def new_customer(self, opp: Opportunity) -> int:
        """A won deal: booking, new ARR, invoice and an implementation project."""
        lead = opp.lead
        book = self.book
        i = book.add_one()
        now = self.env.now
        seg = self.seg[lead.segment]
        list_cents = round(lead.list_acv * (1 + opp.overcommit) * 100)
        cents = round(lead.list_acv * (1 - opp.discount) * (1 + opp.overcommit) * 100)
        deal = self.ledger.new_deal_id()
        month = self.clock.month_of(now)
        usage = max(0.05, 1.0 + self.company.customers.usage_sd * lead.usage_z) / (1 + opp.overcommit)
        book.arr_cents[i] = cents
        book.list_arr_cents[i] = list_cents
        book.segment[i] = lead.segment
        book.source[i] = lead.source
        book.key[i] = lead_key(lead.segment, lead.source, lead.seq)
        book.status[i] = IMPLEMENTING
        book.discount[i] = opp.discount
        book.promise[i] = opp.promise
        book.overcommit[i] = opp.overcommit
        book.fit[i] = lead.fit
        book.term_months[i] = seg.contract_term_months
        book.contract_end_month[i] = month + seg.contract_term_months
        book.cohort_day[i] = now
        book.ae[i] = opp.ae
        book.closer[i] = opp.ae
        book.marketer[i] = lead.marketer
        book.sdr[i] = lead.sdr
        book.deal[i] = deal
        book.referrer[i] = lead.referrer
        book.usage[i] = usage
        book.renewals[i] = 0
        book.champion_since_day[i] = now
        # until go-live the account's health is what it expects to get (NPS, CSM outlook)
        book.value[i] = book.health[i] = self.expected_value_health(
            lead.fit, self.neutral_quality, opp.promise
        )
        amount = cents / 100.0
        led = self.ledger
        for kind in (K.booking, K.arr_new):  # the booking, and the new ARR it brings
            booking = kind == K.booking
            led.add(
                kind, now, amount, i, deal, opp.ae, marketer=lead.marketer, segment=lead.segment,
                deal_kind=_NEW, source=1 + lead.source,
                list_price=round(lead.list_acv * (1 + opp.overcommit), 2) if booking else 0.0,
                discount=opp.discount, term_months=seg.contract_term_months, credited=_AE_ONLY,
                forecast_day=opp.forecast_day if booking else -1.0, fit=lead.fit if booking else -1.0,
                sdr=lead.sdr,
            )  # fmt: skip
        self.market.orgs.won(lead, i)  # finite market: the organisation is a customer
        self.invoice(i, cents, deal, 1)
        self.implementation.start(i, lead)
        return i

    def invoice(self, cust: int, cents: int, deal: int, kind: int) -> None:
        """Bill a new or expansion deal; cash is collected (or not) at the next month start."""
        if self.billing is not None:  # billing on: the deal's term (or rest of it) at the billing cadence
            self.billing.bill_deal(cust, cents, deal, kind)
            return
        book = self.book
        if book.cash_due_month[cust] < 0:
            book.cash_due_month[cust] = self.clock.month_of(self.env.now) + 1
            book.cash_due_cents[cust] = cents
            book.cash_deal[cust] = deal
            book.cash_kind[cust] = kind
        else:
            book.cash_due_cents[cust] += cents

    def churn(self, cust: int, deal_kind: str = "") -> None:
        """The customer leaves: its whole ARR as an ``arr_churn`` movement."""
        book = self.book
        if book.status[cust] == CHURNED:
            return
        cents = int(book.arr_cents[cust])
        self.ledger.add(
            K.arr_churn, self.env.now, -cents / 100.0, cust, int(book.deal[cust]), int(book.closer[cust]),
            int(book.csm[cust]), int(book.consultant[cust]), int(book.marketer[cust]),
            segment=int(book.segment[cust]), deal_kind=DEAL_KIND_CODE[deal_kind],
            source=1 + int(book.source[cust]),
        )  # fmt: skip
        book.arr_cents[cust] = 0
        book.status[cust] = CHURNED
        self.cs.release(int(book.csm[cust]))
        self.market.orgs.churned(cust, int(book.segment[cust]))  # finite market: churn cool-off

    def lost(self, customers: np.ndarray) -> None:
        """Customers whose ``arr_churn`` rows were just recorded leave (in that order): no ARR, no
        CSM slot, and their organisation cools off in a finite market."""
        if not len(customers):
            return
        book = self.book
        book.arr_cents[customers] = 0
        book.status[customers] = CHURNED
        self.cs.release_many(book.csm[customers])
        if self.market.orgs.any:
            for c in customers.tolist():
                self.market.orgs.churned(c, int(book.segment[c]))

    def go_live(self, cust: int, consultant: int, quality: float, wait: float) -> None:
        """Implementation done: go-live (or failure), starting health, CSM, success check."""
        book = self.book
        now = self.env.now
        book.consultant[cust] = consultant
        book.quality[cust] = quality
        if book.status[cust] != IMPLEMENTING:
            return
        deal = int(book.deal[cust])
        seg = int(book.segment[cust])
        ae = int(book.closer[cust])
        if quality < self.company.consultants.failure_quality:
            self.ledger.add(
                K.implementation_failed,
                now,
                1.0,
                cust,
                deal,
                ae,
                -1,
                consultant,
                segment=seg,
                quality=quality,
            )
            self.churn(cust)
            return
        value = self.expected_value_health(float(book.fit[cust]), quality, float(book.promise[cust]))
        ttv = now - float(book.cohort_day[cust])
        excess = ttv - self.seg[seg].implementation_days * (
            1.0 if self.workdays is None else self.workdays.calendar_per_working_day("consultant")
        )  # with working days, implementation_days are working days: their mean calendar span
        book.value[cust] = value
        book.health[cust] = self.starting_health(value, float(book.promise[cust]), excess)
        book.status[cust] = LIVE
        book.golive_day[cust] = now
        csm = self.cs.assign(seg)
        book.csm[cust] = csm
        self.ledger.add(
            K.go_live, now, 1.0, cust, deal, ae, csm, consultant, segment=seg, quality=quality,
            forecast_day=float(book.cohort_day[cust]), wait_days=wait,
        )  # fmt: skip
        at = now + self.success_days  # checked at the start of the first business day from then on
        self._checking.setdefault(math.ceil(at), []).append((at, cust))

    def _success_checks(self, day: int) -> None:
        """The implementations whose success check falls on ``day`` (in the order of their check
        times): an ``implementation_success`` event for each customer live and healthy then."""
        due = sorted(self._checking.pop(day), key=lambda x: x[0])
        book = self.book
        cust = np.array([c for _, c in due], dtype=np.int64)
        ok = cust[(book.status[cust] == LIVE) & (book.health[cust] >= self.company.customers.healthy_health)]
        if len(ok):
            rows = cust_dyn.blank_rows(K.implementation_success, float(day), len(ok))
            rows["amount"], rows["customer"], rows["deal"], rows["ae"] = (
                1.0,
                ok,
                book.deal[ok],
                book.closer[ok],
            )
            rows["csm"], rows["consultant"], rows["segment"] = (
                book.csm[ok],
                book.consultant[ok],
                book.segment[ok],
            )
            self.ledger.append_rows(rows)

    def _seed_customers(self) -> None:
        """The starting book (drawn from stream ``customers.initial``)."""
        rng = self.streams("customers.initial")
        cc = self.company.customers
        nd = self.neutral_terms[0]
        ae_people = self.sales.person
        for s, seg in enumerate(self.seg):
            n = seg.starting_customers
            if n == 0:
                continue
            idx = self.book.add(n)
            cv = seg.list_acv_cv
            sigma = math.sqrt(math.log1p(cv * cv))
            mu = math.log(seg.list_acv_mean_usd) - 0.5 * sigma**2
            lst = rng.lognormal(mu, sigma, n)
            conc = seg.fit_concentration
            fit = rng.beta(max(seg.mean_fit * conc, 1e-3), max((1 - seg.mean_fit) * conc, 1e-3), n)
            u = rng.random((n, 5))
            z = rng.standard_normal((n, 2))
            b = self.book
            b.list_arr_cents[idx] = np.round(lst * 100).astype(np.int64)
            b.arr_cents[idx] = np.round(lst * (1 - nd) * 100).astype(np.int64)
            b.segment[idx] = s
            b.source[idx] = (u[:, 0] >= self.company.lead_sources.outbound).astype(np.int8)
            b.status[idx] = LIVE
            b.discount[idx] = nd
            b.fit[idx] = fit
            value = np.clip(cc.starting_health_mean + cc.health_per_fit * (fit - 0.5), 0, 1)
            b.value[idx] = value
            b.health[idx] = np.clip(value + 0.1 * z[:, 0], 0, 1)
            b.usage[idx] = np.maximum(0.05, 1 + cc.usage_sd * z[:, 1])
            b.term_months[idx] = seg.contract_term_months
            b.contract_end_month[idx] = 1 + (u[:, 1] * seg.contract_term_months).astype(np.int32)
            b.cohort_day[idx] = -(1.0 + u[:, 2] * 4.0) * DAYS_PER_YEAR  # 1-5 years old: past their first year
            b.golive_day[idx] = b.cohort_day[idx]
            b.champion_since_day[idx] = -u[:, 3] * self.company.champions.mean_tenure_years * DAYS_PER_YEAR
            if ae_people:
                b.ae[idx] = np.asarray(ae_people)[
                    (u[:, 4] * len(ae_people)).astype(np.int64) % len(ae_people)
                ]
            b.closer[idx] = b.ae[idx]
            b.renewals[idx] = 1
            for i in idx.tolist():
                b.deal[i] = self.ledger.new_deal_id()
                b.csm[i] = self.cs.assign(s)

    # ------------------------------------------------------------------ the clock
    def _day(self, day: int) -> None:
        """The business day ``day`` (now): implementation success checks, the market's arrivals, the
        SDRs' and the AEs' work."""
        if day in self._checking:
            self._success_checks(day)
        self.market.day(day)
        if self.sdrs.person:
            self.sdrs.day(day)
        self.sales.day(day)

    def _month(self, m: int) -> None:
        """At each month start: snapshot the book (before anything of that day), then the flows of
        the month just ended, cash, renewals, people, and this month's decisions."""
        if self.market.orgs.any:
            self.market.orgs.record(float(self.env.now))
        self.pay_state.sync()  # every reader has read the month: its rows can go
        self.tally.sync()
        self.ledger.compact()
        self._snapshot()
        self.cs.snapshots()
        if m > 0:
            cust_dyn.monthly_update(self, m)
        cust_dyn.collect_cash(self, m)
        cust_dyn.renewals(self, m)
        self.sales.monthly_people(m, self.streams(f"people.ae.attrition.m{m}").random(len(self.sales.person)))
        self.cs.decide(m, self.streams(f"decisions.csm.m{m}").random(max(len(self.cs.people), 1)))
        self.market.decide_volumes(
            m, self.streams(f"decisions.marketing.m{m}").random(max(len(self.marketers), 1))
        )
        if self.sdrs.person:
            self.sdrs.monthly_people(
                m, self.streams(f"people.sdr.attrition.m{m}").random(len(self.sdrs.person))
            )

    def _snapshot(self) -> None:
        b = self.book
        arr = b.arr_snapshot()
        paying = arr > 0
        self.active_counts.append(int(np.count_nonzero(paying)))
        cc = self.company.customers
        h = b.health[: b.n][paying]
        self.nps_by_month.append(
            100.0 * (float((h > cc.promoter_health).mean()) - float((h < cc.detractor_health).mean()))
            if len(h)
            else math.nan
        )
        if len(self.arr_snapshots) < self.warmup_months:  # metrics read measured months only
            arr = np.zeros(0, dtype=np.int64)
        self.arr_snapshots.append(arr)
        self.final_health = b.health[: b.n].copy()

    def run(self) -> None:
        """Run the replication to the end of the horizon: business day by business day (the month's
        work first on a month start), SimPy running the continuous-time agents in between."""
        self._seed_customers()
        if self.billing is not None:
            self.billing.seed()
        self.start_arr_cents = self.book.total_arr_cents()
        self.market.start()
        env = self.env
        starts = self.calendar.month_starts
        m = 0
        for day in range(math.ceil(self.end_day)):
            if day > env.now:
                env.run(until=day)  # every event before the day starts
            if m < self.total_months and day == starts[m]:
                self._month(m)
                m += 1
            self._day(day)
        env.run(until=self.end_day)
        # the horizon ends at a month start: the last snapshot, then the last month's flows
        # (which move no ARR: revenue, tickets, advocacy) so that they are in the ledger
        self._snapshot()
        cust_dyn.monthly_update(self, self.total_months)


def build_result(world: World) -> ReplicationResult:
    """Payouts (``sim.plans`` engine) and metrics (``sim.metrics``) of a finished world."""
    # the pay state followed the ledger live: closing it gives the payouts of the window
    # (the same as replaying the ledger through compute_payouts; tests/world/test_payouts.py)
    payouts = payouts_from_state(world.pay_state, start_day=world.measure_start, end_day=world.end_day)
    world.tally.sync()
    obs = Observations(
        tally=world.tally,
        calendar=world.calendar,
        plan=world.plan,
        warmup_months=world.warmup_months,
        total_months=world.total_months,
        arr_snapshots=world.arr_snapshots,
        nps_by_month=world.nps_by_month,
        final_health=world.final_health,
        segment=world.book.segment[: world.book.n].copy(),
        promoter_health=world.company.customers.promoter_health,
        detractor_health=world.company.customers.detractor_health,
        marketing_budget_annual_usd=world.company.marketing.annual_program_budget_usd,
        market=world.market.orgs.observations(),
        extra={
            "leads_lost": float(world.market.leads_lost),
            "decisions": float(world.decisions),
            "opportunities": float(world.sales.opportunities_opened),
            "starting_arr": world.start_arr_cents / 100.0,
            "measure_start_arr": float(world.arr_snapshots[world.warmup_months].sum()) / 100.0,
            **world.sdrs.extra_metrics(),
        },
    )
    metrics = {k: float(v) for k, v in all_metrics(obs, payouts).items()}
    series = timeseries(obs)
    by_month = payouts.by_month()
    series.update(cash_series(obs, payouts))  # billed, cash collected, cash balance (monthly)
    series["payout_cost"] = [
        float(by_month.get(m, 0.0)) for m in range(world.warmup_months, world.total_months)
    ]
    dists = distributions(obs)
    if not dists["attainment"]:
        dists["attainment"] = [float(x) for x in payouts.attainment()]
    return ReplicationResult(
        plan=world.plan.name,
        replication=world.replication,
        metrics=metrics,
        timeseries=series,
        distributions=dists,
        payouts={k: float(v) for k, v in payouts.by_component().items()},
        people_pay={k: float(v) for k, v in payouts.by_person().items()},
    )


def plan_index(scenario: Scenario, plan: str | PlanDesign) -> tuple[PlanDesign, int]:
    """The plan design and its index in the scenario (a stable hash for plans not in it)."""
    name = plan if isinstance(plan, str) else plan.name
    for i, p in enumerate(scenario.plans):
        if p.name == name:
            return (p if isinstance(plan, str) else plan), i
    if isinstance(plan, str):
        raise KeyError(f"plan {plan!r} is not in scenario {scenario.name!r}")
    return plan, 1000 + zlib.crc32(plan.name.encode())


def simulate(
    scenario: Scenario,
    plan: str | PlanDesign,
    replication: int,
    policy: Policy | None = None,
    *,
    keep_ledger: bool = False,
) -> ReplicationResult:
    """Simulate one replication of one plan and return its metrics.

    ``plan`` is the name of one of the scenario's plans or a ``PlanDesign`` (a design not in
    the scenario gets its own streams when common random numbers are off). ``policy``
    answers every decision; by default the incentive policy of
    ``sim.behaviour.make_policy(scenario, plan_name)``. With ``keep_ledger`` the ledger's
    events are attached to the result (``result.ledger``).
    """
    t0 = time.perf_counter()
    design, index = plan_index(scenario, plan)
    if policy is None:
        from sim.behaviour import make_policy

        owner = scenario
        if not any(p is design for p in scenario.plans):  # a design passed in: the policy reads it
            plans = [design if p.name == design.name else p for p in scenario.plans]
            if all(p.name != design.name for p in scenario.plans):
                plans.append(design)
            owner = scenario.model_copy(update={"plans": plans})
        policy = make_policy(owner, design.name)
    salt = None if scenario.experiment.common_random_numbers else index
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the run allocates many short-lived acyclic objects; cyclic GC passes only cost time
    try:
        world = World(scenario, design, replication, policy, salt, keep_ledger=keep_ledger)
        world.run()
        result = build_result(world)
    finally:
        if gc_was_enabled:
            gc.enable()
    result.events_scheduled = world.env.scheduled
    result.wall_seconds = time.perf_counter() - t0
    if keep_ledger:
        result.ledger = list(world.ledger.events)
    return result
