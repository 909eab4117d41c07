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
    """The Poisson arrivals of one (segment, source) stream: gaps drawn in batches, one timeout each."""

    __slots__ = ("end", "env", "gaps", "market", "pos", "rate", "rng", "segment", "source", "stream")

    def __init__(
        self, market: Market, segment: int, source: int, rate_per_day: float, rng: np.random.Generator
    ) -> None:
        self.market = market
        self.env = market.world.env
        self.end = market.world.end_day
        self.segment, self.source, self.rate, self.rng = segment, source, rate_per_day, rng
        self.stream = market.streams[(segment, source)]
        self.gaps: list[float] = []
        self.pos = 0

    def next(self) -> None:
        """Schedule the next arrival."""
        if self.pos >= len(self.gaps):
            self.gaps = self.rng.exponential(1.0 / self.rate, BATCH).tolist()
            self.pos = 0
        ev = self.env.timeout(self.gaps[self.pos])
        self.pos += 1
        ev.callbacks.append(self._arrive)

    def _arrive(self, _event: object) -> None:
        if self.env.now >= self.end:
            return
        self.market.arrive(self.segment, self.source, self.stream.next())
        self.next()


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
        self.leads_lost = 0
        self.orgs = Organisations(world.clock, world.segments, world.book, world.ledger, world.streams)
        """Finite markets (segments with addressable_organisations > 0; sim/world/addressable.py)."""

    def start(self) -> None:
        """Start the arrival processes."""
        self.orgs.start()
        for s, name in enumerate(self.world.segment_names):
            seg = self.world.seg[s]
            for src, src_name in ((0, "outbound"), (1, "marketing")):
                rate = seg.leads_per_month * self.lead_share[src] / DAYS_PER_MONTH
                if src == 1:
                    rate *= self.max_volume
                if rate > 0:
                    rng = self.world.streams(f"market.{name}.{src_name}.arrivals")
                    _Arrivals(self, s, src, rate, rng).next()

    def arrive(self, segment: int, source: int, lead: Lead) -> None:
        """An exogenous lead of the unlimited stream arrives: thinned to the marketers' volume and to
        a finite market's availability, recorded when marketing sourced it, then worked."""
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
            self.world.sdrs.on_lead(lead)  # SDRs qualify it first (sim/world/sdrs.py)
        else:
            self.world.sales.on_lead(lead)

    def endogenous_lead(self, segment: int, source: int, delay: float, referrer: int) -> None:
        """Schedule a referral (source 2) or champion (source 3) lead ``delay`` days from now."""
        lead = self.streams[(segment, source)].next()
        lead.referrer = referrer
        ev = self.world.env.timeout(delay)
        if self.orgs.finite(segment):  # the lead takes an available organisation when it arrives
            ou = self.orgs.uniforms(segment, source)
            ev.callbacks.append(lambda _ev: self.orgs.deliver(lead, ou, self.world.sales.on_lead))
            return
        ev.callbacks.append(lambda _ev: self.world.sales.on_lead(lead))

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
            p = w.sales.expected_win(
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
