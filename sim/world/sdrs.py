"""SDRs (sales/business development reps): they qualify leads and hand meetings to AEs.

Off unless ``company.sdrs.headcount > 0``. Leads of the sources the SDRs work
(``company.sdrs.sources``, outbound by default) go to the SDR with the most free slots instead
of straight to an AE (capacity ``max_open_leads``, ramping linearly with tenure as for AEs; a
lead no SDR has room for is lost). The SDR works the lead ``work_days`` and then decides
(Decision ``qualify``) whether to qualify it out or to set a meeting, which hands it to an AE
(``SalesTeam.receive``) carrying the SDR as its originator (``Lead.sdr``): the AE's own
``pursue`` decision accepts the meeting (an ``opportunity`` event) or not, and a won deal's
booking, ARR and first-year revenue carry the SDR too, so plans can pay the originator.

The decision is valued like every other: the "set meeting" option lists what it would credit
the SDR in plan-measure vocabulary (a meeting now; a qualified opportunity with the
probability ``a`` that an AE accepts; the deal's ACV and first-year revenue with probability
``a x p_win`` after the sales cycle and go-live), less the effort of setting a meeting. The
acceptance probability ``a`` is the SDRs' shared estimate per segment and fit band: a prior that
AEs accept exactly the leads of fit >= ``ae.neutral_pursue_min_fit`` (weight
``sdr.acceptance_prior_weight`` meetings) updated with the acceptances seen. The neutral choice
is a fit threshold (``sdr.neutral_min_fit``). Every SDR draw comes from named streams keyed by
the lead's position in its (segment, source) stream (``Lead.seq``), so common random numbers
hold across plans.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.ledger import ROLE_CODE, K, Ledger
from sim.policy.decisions import Decision, MeasureOutcome, Option
from sim.policy.lazy import lazy_options
from sim.rng import Streams
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_MONTH
from sim.world.addressable import Organisations
from sim.world.book import SOURCE_NAMES
from sim.world.deal_terms import DealTerms
from sim.world.lead import BATCH, Lead
from sim.world.rules import HealthRules
from sim.world.seats import Seats
from sim.world.services import Choices, Clock, PlanFacts, Segments, Staff


def _not_connected(lead: Lead) -> None:
    raise RuntimeError("SdrTeam.to_sales is not connected (World wires it)")


FIT_BANDS = 10
"""Fit bands (of width 0.1) of the SDRs' acceptance estimate."""
SDR_MEASURES = ("meetings_set", "qualified_opportunities", "sdr_closed_acv", "sdr_first_year_revenue")
"""The measures only SDRs are credited with (``sim/plans/measures.py``)."""


class SdrTeam(Seats):
    """The SDRs: seats with lead slots (capacity, ramp, attrition, backfill: ``sim.world.seats``)
    and the ``qualify`` decision."""

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        segments: Segments,
        streams: Streams,
        ledger: Ledger,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
        facts: PlanFacts,
        rules: HealthRules,
        deal_terms: DealTerms,
        organisations: Organisations,
    ) -> None:
        c = company.sdrs
        n = c.headcount
        self.segments = segments
        self.streams = streams
        self.ledger = ledger
        self.choices = choices
        self.company = company
        self.behaviour = behaviour
        self.facts = facts
        self.rules = rules
        self.deal_terms = deal_terms
        self.orgs = organisations
        self.to_sales: Callable[[Lead], None] = _not_connected
        """The AEs' inbox (``SalesTeam.receive``)."""
        super().__init__(
            staff,
            clock,
            choices.attrition,
            "sdr",
            n,
            c.max_open_leads,
            c.ramp_months * DAYS_PER_MONTH,
            c.annual_attrition,
            c.backfill_days,
        )
        self.sources: frozenset[int] = (
            frozenset(SOURCE_NAMES.index(s) for s in c.sources)
            if staff.headcount("sdr", n) > 0
            else frozenset()
        )
        """Source codes the SDRs work (empty without SDRs: every lead goes straight to AEs)."""
        self._u: dict[tuple[int, int], list[float]] = {}
        self._rng: dict[tuple[int, int], np.random.Generator] = {}
        prior_w = behaviour.sdr.acceptance_prior_weight
        self._acc = np.zeros((3, FIT_BANDS))
        """Meetings accepted by AEs, per segment and fit band (the prior is added in ``acceptance``)."""
        self._seen = np.zeros((3, FIT_BANDS))
        self._prior_w = prior_w
        self.measures = choices.measures("sdr")
        self.leads_worked = 0
        self.leads_lost = 0
        """Leads of SDR-worked sources no SDR had a free slot for."""
        self.meetings = 0
        self.accepted = 0
        self.disqualified = 0
        self._inbox: list[Lead] = []
        self._working: dict[int, list[tuple[Lead, int, int]]] = {}
        """Leads being worked, by the business day their work ends: (lead, seat, SDR)."""

    # ------------------------------------------------------------------ draws
    def uniform(self, lead: Lead) -> float:
        """The lead's qualification uniform: draw ``seq`` of stream ``sdr.<segment>.<source>.qualify``."""
        key = (lead.segment, lead.source)
        buf = self._u.get(key)
        if buf is None:
            buf = self._u[key] = []
            name = f"sdr.{self.segments.names[lead.segment]}.{SOURCE_NAMES[lead.source]}.qualify"
            self._rng[key] = self.streams(name)
        while len(buf) <= lead.seq:
            buf.extend(self._rng[key].random(BATCH).tolist())
        return buf[max(lead.seq, 0)]

    # ------------------------------------------------------------------ the business day
    def receive(self, lead: Lead) -> None:
        """A lead of an SDR-worked source: taken by an SDR at the next business day."""
        self._inbox.append(lead)

    def day(self, day: int) -> None:
        """The business day ``day``: the leads whose work ends today are qualified (or not), then
        the day's new leads go to the SDRs with the most free slots (any whose work ends today
        too are qualified at once)."""
        self._qualify_due(day)
        if self._inbox:
            leads, self._inbox = self._inbox, []
            for lead in leads:
                self._take(lead)
            self._qualify_due(day)

    def _take(self, lead: Lead) -> None:
        """The SDR with most free slots works the lead (``work_days``, on their working days)."""
        best = int(self.free.argmax()) if len(self.free) else -1
        if best < 0 or self.free[best] <= 0:
            self.leads_lost += 1
            self.orgs.reject(lead)  # finite market: the organisation cools off
            return
        sdr = self.person[best]
        self.open[best] += 1
        self._refresh(best)
        self.leads_worked += 1
        now = float(self.clock.env.now)
        work = self.company.sdrs.work_days
        done = now + work
        wd = self.clock.workdays
        if wd is not None:  # the lead is worked on the SDR's working days (sim/time/workdays.py)
            done = wd.advance(sdr, now, work)
        self._working.setdefault(max(int(done), int(now)), []).append((lead, best, sdr))

    def _qualify_due(self, day: int) -> None:
        for lead, seat, sdr in self._working.pop(day, ()):
            self._qualify(lead, seat, sdr)

    def acceptance(self, segment: int, fit: float) -> float:
        """The SDRs' estimate of the probability an AE accepts a meeting with this lead."""
        band = min(int(fit * FIT_BANDS), FIT_BANDS - 1)
        prior = 1.0 if fit >= self.behaviour.ae.neutral_pursue_min_fit else 0.0
        return float(
            (self._prior_w * prior + self._acc[segment, band]) / (self._prior_w + self._seen[segment, band])
        )

    def _qualify(self, lead: Lead, seat: int, sdr: int) -> None:
        """The SDR has worked the lead: qualify it out or set a meeting (Decision ``qualify``)."""
        if self.person[seat] != sdr:
            self.orgs.reject(lead)
            return  # the SDR left and was replaced: the lead was dropped
        self.open[seat] -= 1
        self._refresh(seat)
        if not self.active[seat]:
            self.orgs.reject(lead)
            return  # the SDR left: the lead was dropped
        now = self.clock.env.now
        b = self.behaviour.sdr
        neutral = 1 if lead.fit >= b.neutral_min_fit else 0
        attrs = {
            "segment": float(lead.segment),
            "fit": lead.fit,
            "list_acv": lead.list_acv,
            "source": float(lead.source),
        }
        effort = b.effort_cost_kusd_per_meeting
        opts: tuple[Option, ...] = lazy_options(
            lambda: (
                Option("qualify out", (), 0.0, 0.0),
                Option("set meeting", self.meeting_outcomes(lead), effort, 1.0),
            ),
            2,
        )
        if (
            self.choices.one(Decision("qualify", now, "sdr", sdr, opts, neutral, attrs), self.uniform(lead))
            == 0
        ):
            self.disqualified += 1
            self.orgs.reject(lead)
            return
        lead.sdr = sdr
        self.ledger.add(K.meeting, now, 1.0, **self._common(lead))
        self.meetings += 1
        self.to_sales(lead)  # the AE's own pursue decision accepts the meeting or not (``meeting_worked``)

    def _common(self, lead: Lead) -> dict[str, Any]:
        """The fields of an SDR's meeting and opportunity events."""
        return {
            "segment": lead.segment, "source": 1 + lead.source, "sdr": lead.sdr, "person": lead.sdr,
            "role": ROLE_CODE["sdr"], "fit": lead.fit, "list_price": round(lead.list_acv, 2),
        }  # fmt: skip

    def meeting_worked(self, lead: Lead, accepted: bool) -> None:
        """An AE has triaged a meeting this SDR set: the acceptance estimate learns from it, and an
        accepted one is a qualified opportunity (``opportunity`` event)."""
        band = min(int(lead.fit * FIT_BANDS), FIT_BANDS - 1)
        self._seen[lead.segment, band] += 1
        if accepted:
            self._acc[lead.segment, band] += 1
            self.accepted += 1
            self.ledger.add(K.opportunity, float(self.clock.env.now), 1.0, **self._common(lead))

    def meeting_outcomes(self, lead: Lead) -> tuple[MeasureOutcome, ...]:
        """What setting a meeting with ``lead`` would credit the SDR (expected, at neutral deal
        terms), for the measures the SDR's plan pays on."""
        out: list[MeasureOutcome] = []
        ms = self.measures
        if not ms:
            return ()
        a = self.acceptance(lead.segment, lead.fit)
        if "meetings_set" in ms:
            out.append(MeasureOutcome("meetings_set", 1.0, 1.0, 0.0))
        if "qualified_opportunities" in ms:
            out.append(MeasureOutcome("qualified_opportunities", 1.0, a, 0.0))
        deal_measures = ["sdr_closed_acv", "sdr_first_year_revenue"]
        if self.facts.handoff_credits_bookings:
            deal_measures += ["bookings_acv", "new_logo_acv"]
        wanted = [m for m in deal_measures if m in ms]
        if not wanted:
            return tuple(out)
        dt = self.deal_terms
        d0, p0, o0 = dt.neutral_terms
        seg = self.segments.seg[lead.segment]
        p_win = dt.expected_win(lead.segment, lead.fit, lead.source, d0, p0, o0)
        acv = lead.list_acv * (1 - d0) * (1 + o0)
        cycle = seg.sales_cycle_days
        go_live = float(dt.go_live_all(1.0)[lead.segment])
        success, churn = dt.neutral_outlook(lead.segment, lead.fit)
        cust = self.company.customers
        nonpay = cust.non_payment_probability + cust.non_payment_per_overcommit * o0
        renewal = seg.contract_term_months * 30.4375
        for m in wanted:
            spread, delay = (365.0, cycle + go_live) if m == "sdr_first_year_revenue" else (0.0, cycle)
            amount = lead.list_acv * (1 - d0) if m == "sdr_first_year_revenue" else acv
            out.append(
                MeasureOutcome(
                    m,
                    amount,
                    a * p_win,
                    delay,
                    spread,
                    d0,
                    go_live,
                    success,
                    renewal,
                    30.0,
                    churn,
                    self.rules.neutral_failure,
                    nonpay,
                    seg.contract_term_months,
                )
            )
        return tuple(out)

    def extra_metrics(self) -> dict[str, float]:
        """Whole-run counters for the replication's extras (see ``docs/metrics.md``)."""
        if not self.sources:
            return {}
        return {
            "sdr_leads_worked": float(self.leads_worked),
            "sdr_leads_lost": float(self.leads_lost),
            "sdr_disqualified": float(self.disqualified),
        }
