"""The market: lead arrivals per segment and source, and marketing's volume decision.

Outbound and marketing leads arrive as Poisson processes per segment. Every lead draws all
of its own random numbers (fit, list ACV, win uniform, cycle length, decision uniforms,
implementation noise) from its (segment, source) stream when it arrives, in batches, so that
what happens to one deal never shifts the draws of another. Marketing leads are generated at
the highest volume any marketer could choose and thinned to the chosen volume, so a
marketer choosing less volume removes leads without reshuffling the others (common random
numbers). Referral and champion leads arise from customers (see ``customers.py``). In a
finite market (``addressable_organisations > 0``) arrivals are thinned to the share of
organisations available and every lead takes an organisation (``addressable.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from sim.decisions import Decision, MeasureOutcome, Option
from sim.time.calendar import DAYS_PER_MONTH
from sim.world.addressable import Organisations
from sim.world.lead import BATCH, N_UNIFORMS, U_MARKETER, U_THIN, U_USAGE, Lead

if TYPE_CHECKING:
    from sim.world.model import World


class LeadStream:
    """Batches of leads for one (segment, source) drawn from one named stream."""

    def __init__(self, world: World, segment: int, source: int, name: str) -> None:
        self.world = world
        self.segment = segment
        self.source = source
        self.rng = world.streams(name)
        seg = world.seg[segment]
        conc = seg.fit_concentration
        self.alpha = max(seg.mean_fit * conc, 1e-3)
        self.beta = max((1 - seg.mean_fit) * conc, 1e-3)
        cv = seg.list_acv_cv
        self.sigma = float(np.sqrt(np.log1p(cv * cv)))
        self.mu = float(np.log(seg.list_acv_mean_usd) - 0.5 * self.sigma**2)
        self._buf: list[Lead] = []
        self._pos = 0
        self.drawn = 0
        """Leads handed out so far (the next lead's ``seq``)."""

    def _refill(self) -> None:
        rng = self.rng
        w = self.world
        fit = rng.beta(self.alpha, self.beta, BATCH).tolist()
        acv = (
            rng.lognormal(self.mu, self.sigma, BATCH).tolist()
            if self.sigma > 0
            else [float(np.exp(self.mu))] * BATCH
        )
        cyc = rng.standard_gamma(w.company.deals.cycle_shape, BATCH).tolist()
        impl = rng.standard_gamma(w.company.consultants.duration_shape, BATCH).tolist()
        qz = np.abs(rng.standard_normal(BATCH)).tolist()
        draws = rng.random((BATCH, N_UNIFORMS))
        us = draws.tolist()
        zs = ndtri(draws[:, U_USAGE]).tolist()
        self._buf = [
            Lead(self.segment, self.source, fit[i], acv[i], cyc[i], impl[i], qz[i], us[i], usage_z=zs[i])
            for i in range(BATCH)
        ]
        self._pos = 0

    def next(self) -> Lead:
        """The next lead of this stream."""
        if self._pos >= len(self._buf):
            self._refill()
        lead = self._buf[self._pos]
        self._pos += 1
        self.drawn += 1
        lead.seq = self.drawn - 1
        return lead


class _Arrivals:
    """The Poisson arrivals of one exogenous (segment, source) stream: gaps drawn in batches."""

    __slots__ = ("gaps", "next_day", "pos", "rate", "rng", "segment", "source")

    def __init__(self, segment: int, source: int, rate_per_day: float, rng: np.random.Generator) -> None:
        self.segment, self.source, self.rate, self.rng = segment, source, rate_per_day, rng
        self.gaps: list[float] = []
        self.pos = 0
        self.next_day = 0.0
        self.advance()

    def advance(self) -> None:
        """Move to the next arrival (``next_day``)."""
        if self.pos >= len(self.gaps):
            self.gaps = self.rng.exponential(1.0 / self.rate, BATCH).tolist()
            self.pos = 0
        self.next_day += self.gaps[self.pos]
        self.pos += 1


class Market:
    """Exogenous lead arrivals and the marketers' volume choices."""

    def __init__(self, world: World) -> None:
        self.world = world
        c = world.company
        b = world.behaviour.marketing
        self.max_volume = max(b.volume_options) if b.volume_options else 1.0
        self.volume: dict[int, float] = {}
        """Current lead-volume multiplier per marketer."""
        self.fit_shift: dict[int, float] = {}
        self.streams: dict[tuple[int, int], LeadStream] = {}
        for s, name in enumerate(world.segment_names):
            for src, src_name in ((0, "outbound"), (1, "marketing"), (2, "referral"), (3, "champion")):
                self.streams[(s, src)] = LeadStream(world, s, src, f"market.{name}.{src_name}.leads")
        self.lead_share = {0: c.lead_sources.outbound, 1: c.lead_sources.marketing}
        self.arrivals: list[_Arrivals] = []
        self._endogenous: dict[int, list[tuple[float, int, Lead, tuple[float, float] | None]]] = {}
        """Referral and champion leads by the business day they arrive: (day, order, lead, uniforms)."""
        self._scheduled = 0
        self.leads_lost = 0
        self.orgs = Organisations(world.clock, world.segments, world.book, world.ledger, world.streams)
        """Finite markets (segments with addressable_organisations > 0; sim/world/addressable.py)."""

    def start(self) -> None:
        """Seat the finite markets and draw the first arrival of each exogenous stream."""
        self.orgs.start()
        for s, name in enumerate(self.world.segment_names):
            seg = self.world.seg[s]
            for src, src_name in ((0, "outbound"), (1, "marketing")):
                rate = seg.leads_per_month * self.lead_share[src] / DAYS_PER_MONTH
                if src == 1:
                    rate *= self.max_volume
                if rate > 0:
                    rng = self.world.streams(f"market.{name}.{src_name}.arrivals")
                    self.arrivals.append(_Arrivals(s, src, rate, rng))

    def day(self, day: int) -> None:
        """The leads that arrive on business day ``day``, in the order of their arrival times:
        exogenous ones (thinned, admitted, routed: :meth:`arrive`) and referral or champion ones."""
        limit = min(day + 1.0, self.world.end_day)
        due: list[tuple[float, int, Lead, tuple[float, float] | None, bool]] = []
        for a in self.arrivals:
            while a.next_day < limit:
                lead = self.streams[(a.segment, a.source)].next()
                due.append((a.next_day, len(due), lead, None, True))
                a.advance()
        for t, _, lead, ou in self._endogenous.pop(day, ()):
            due.append((t, len(due), lead, ou, False))
        if len(due) > 1:
            due.sort(key=lambda x: (x[0], x[1]))
        sales = self.world.sales
        for _, _, lead, ou, exogenous in due:
            if exogenous:
                self.arrive(lead.segment, lead.source, lead)
            elif ou is not None:  # finite market: the lead takes an available organisation now
                self.orgs.deliver(lead, ou, sales.receive)
            else:
                sales.receive(lead)

    def arrive(self, segment: int, source: int, lead: Lead) -> None:
        """An exogenous lead of the unlimited stream arrives: thinned to the marketers' volume and to
        a finite market's availability, recorded when marketing sourced it, then handed on."""
        ou = self.orgs.uniforms(segment, source) if self.orgs.finite(segment) else None
        # finite market: one row of uniforms per candidate, whatever happens to it
        if source == 1:
            marketers = self.world.marketers
            if marketers:
                m = marketers[min(int(lead.u[U_MARKETER] * len(marketers)), len(marketers) - 1)]
                lead.marketer = m
                v = self.volume.get(m, 1.0)
                lead.fit = min(max(lead.fit - self.fit_shift.get(m, 0.0), 0.0), 1.0)
            else:
                v = self.world.behaviour.marketing.neutral_volume
            if lead.u[U_THIN] * self.max_volume >= v:
                return
        if ou is not None and not self.orgs.admit(lead, ou):
            return  # saturation: kept with probability available / organisations
        if source == 1:
            self.world.record_lead(lead)
        if source in self.world.sdrs.sources:
            self.world.sdrs.receive(lead)  # SDRs qualify it first (sim/world/sdrs.py)
        else:
            self.world.sales.receive(lead)

    def endogenous_lead(self, segment: int, source: int, delay: float, referrer: int) -> None:
        """A referral (source 2) or champion (source 3) lead arriving ``delay`` days from now."""
        lead = self.streams[(segment, source)].next()
        lead.referrer = referrer
        ou = self.orgs.uniforms(segment, source) if self.orgs.finite(segment) else None
        at = float(self.world.env.now) + delay
        if at < self.world.end_day:
            self._scheduled += 1
            self._endogenous.setdefault(int(at), []).append((at, self._scheduled, lead, ou))

    # ------------------------------------------------------------------ marketing decision
    def decide_volumes(self, month: int, us: np.ndarray) -> None:
        """Each marketer chooses this month's lead volume (Decision ``marketing_volume``)."""
        w = self.world
        b = w.behaviour.marketing
        opts = b.volume_options or [1.0]
        neutral = int(np.argmin([abs(v - b.neutral_volume) for v in opts]))
        measures = w.role_measures.get("marketing", ())
        n_m = max(len(w.marketers), 1)
        for k, m in enumerate(w.marketers):
            options = []
            for v in opts:
                outs: list[MeasureOutcome] = []
                if measures:
                    outs = self._marketing_outcomes(v, n_m, measures)
                options.append(Option(label=f"volume {v:g}", outcomes=tuple(outs), value=v))
            d = Decision(
                "marketing_volume",
                w.env.now,
                "marketing",
                m,
                tuple(options),
                neutral,
                {"month": float(month)},
            )
            i = w.choose(d, float(us[k]))
            v = opts[i]
            self.volume[m] = v
            self.fit_shift[m] = b.fit_per_volume * (v - 1.0)

    def _marketing_outcomes(self, v: float, n_m: int, measures: tuple[str, ...]) -> list[MeasureOutcome]:
        w = self.world
        shift = w.behaviour.marketing.fit_per_volume * (v - 1.0)
        leads = 0.0
        acv = 0.0
        for s in range(3):
            seg = w.seg[s]
            n = seg.leads_per_month * self.lead_share[1] * v / n_m * self.orgs.available_share(s)
            leads += n
            p = w.sales.deal_terms.expected_win(
                s, seg.mean_fit - shift, 1, w.neutral_terms[0], w.neutral_terms[1], w.neutral_terms[2]
            )
            acv += n * p * seg.list_acv_mean_usd * (1 - w.neutral_terms[0])
        outs = []
        if "leads" in measures:
            outs.append(MeasureOutcome("leads", leads, 1.0, 15.0))
        for m in ("marketing_sourced_acv", "bookings_acv", "new_logo_acv"):
            if m in measures:
                outs.append(MeasureOutcome(m, acv, 1.0, 15.0 + 60.0))
        return outs
