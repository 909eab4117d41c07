"""The market: lead arrivals per segment and source, delivered to whoever works them.

Outbound and marketing leads arrive as Poisson processes per segment; each lead takes the next
lead of its (segment, source) stream (``sim/world/lead.py``) when it arrives. Marketing leads are
generated at the highest volume any marketer could choose and thinned to the chosen volume
(``sim/world/marketing.py``). Referral and champion leads arise from customers
(``sim/world/accounts.py``) and arrive later. In a finite market (``addressable_organisations >
0``) arrivals are thinned to the share of organisations available and every lead takes an
organisation (``sim/world/addressable.py``). Leads are delivered at the start of the business
day they arrive on, in the order of their arrival times: to the SDRs for the sources they work,
else to the AEs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.ledger import ROLE_CODE, SOURCE_CODE, K, Ledger
from sim.rng import Streams
from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_MONTH
from sim.world.addressable import Organisations
from sim.world.book import SOURCE_NAMES
from sim.world.lead import BATCH, U_MARKETER, U_THIN, Lead, LeadStream
from sim.world.marketing import Marketers
from sim.world.services import Clock, Segments

Receive = Callable[[Lead], None]
"""Who takes a lead (``SalesTeam.receive``, ``SdrTeam.receive``)."""
_MARKETING_SOURCE = SOURCE_CODE["marketing"]
_MARKETING_ROLE = ROLE_CODE["marketing"]


def _not_connected(lead: Lead) -> None:
    raise RuntimeError("Market.to_sales is not connected (World wires it)")


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
    """Exogenous lead arrivals, referral and champion leads, and their delivery."""

    def __init__(
        self,
        clock: Clock,
        segments: Segments,
        streams: Streams,
        ledger: Ledger,
        company: Company,
        marketers: Marketers,
        organisations: Organisations,
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.rng = streams
        self.ledger = ledger
        self.company = company
        self.marketers = marketers
        self.orgs = organisations
        """Finite markets (segments with addressable_organisations > 0; sim/world/addressable.py)."""
        c = company
        self.streams: dict[tuple[int, int], LeadStream] = {}
        for s, name in enumerate(segments.names):
            for src, src_name in enumerate(SOURCE_NAMES):
                self.streams[(s, src)] = LeadStream(
                    streams(f"market.{name}.{src_name}.leads"), s, src, segments.seg[s], c.deals.cycle_shape,
                    c.consultants.duration_shape,
                )  # fmt: skip
        self.lead_share = {0: c.lead_sources.outbound, 1: c.lead_sources.marketing}
        self.arrivals: list[_Arrivals] = []
        self._endogenous: dict[int, list[tuple[float, int, Lead, tuple[float, float] | None]]] = {}
        """Referral and champion leads by the business day they arrive: (day, order, lead, uniforms)."""
        self._scheduled = 0
        self.to_sales: Receive = _not_connected
        """The AEs' inbox."""
        self.to_sdrs: Receive = _not_connected
        """The SDRs' inbox (for the sources in ``sdr_sources``)."""
        self.sdr_sources: frozenset[int] = frozenset()
        """Sources whose leads the SDRs work first."""

    def start(self) -> None:
        """Seat the finite markets and draw the first arrival of each exogenous stream."""
        self.orgs.start()
        for s, name in enumerate(self.segments.names):
            seg = self.segments.seg[s]
            for src, src_name in ((0, "outbound"), (1, "marketing")):
                rate = seg.leads_per_month * self.lead_share[src] / DAYS_PER_MONTH
                if src == 1:
                    rate *= self.marketers.max_volume
                if rate > 0:
                    rng = self.rng(f"market.{name}.{src_name}.arrivals")
                    self.arrivals.append(_Arrivals(s, src, rate, rng))

    def day(self, day: int) -> None:
        """The leads that arrive on business day ``day``, in the order of their arrival times:
        exogenous ones (thinned, admitted, routed: :meth:`arrive`) and referral or champion ones."""
        limit = min(day + 1.0, self.clock.end_day)
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
        for _, _, lead, ou, exogenous in due:
            if exogenous:
                self.arrive(lead.segment, lead.source, lead)
            elif ou is not None:  # finite market: the lead takes an available organisation now
                self.orgs.deliver(lead, ou, self.to_sales)
            else:
                self.to_sales(lead)

    def arrive(self, segment: int, source: int, lead: Lead) -> None:
        """An exogenous lead of the unlimited stream arrives: thinned to the marketers' volume and to
        a finite market's availability, recorded when marketing sourced it, then handed on."""
        ou = self.orgs.uniforms(segment, source) if self.orgs.finite(segment) else None
        # finite market: one row of uniforms per candidate, whatever happens to it
        if source == 1:
            mk = self.marketers
            people = mk.people
            if people:
                m = people[min(int(lead.u[U_MARKETER] * len(people)), len(people) - 1)]
                lead.marketer = m
                v = mk.volume.get(m, 1.0)
                lead.fit = min(max(lead.fit - mk.fit_shift.get(m, 0.0), 0.0), 1.0)
            else:
                v = mk.behaviour.marketing.neutral_volume
            if lead.u[U_THIN] * mk.max_volume >= v:
                return
        if ou is not None and not self.orgs.admit(lead, ou):
            return  # saturation: kept with probability available / organisations
        if source == 1:  # a marketing lead (``lead`` event credited to its marketer)
            self.ledger.add(
                K.lead, self.clock.env.now, 1.0, marketer=lead.marketer, person=lead.marketer,
                segment=lead.segment, source=_MARKETING_SOURCE, role=_MARKETING_ROLE,
                list_price=round(lead.list_acv, 2),
            )  # fmt: skip
        if source in self.sdr_sources:
            self.to_sdrs(lead)  # SDRs qualify it first (sim/world/sdrs.py)
        else:
            self.to_sales(lead)

    def endogenous_lead(self, segment: int, source: int, delay: float, referrer: int) -> None:
        """A referral (source 2) or champion (source 3) lead arriving ``delay`` days from now."""
        lead = self.streams[(segment, source)].next()
        lead.referrer = referrer
        ou = self.orgs.uniforms(segment, source) if self.orgs.finite(segment) else None
        at = float(self.clock.env.now) + delay
        if at < self.clock.end_day:
            self._scheduled += 1
            self._endogenous.setdefault(int(at), []).append((at, self._scheduled, lead, ou))
