"""Marketing: the marketers and their monthly lead-volume decision.

Each month each marketer chooses a lead-volume multiplier (``marketing_volume``, options
``behaviour.marketing.volume_options``); more volume brings more marketing leads of lower fit
(``fit_per_volume``). The market generates marketing leads at the largest volume any marketer
could choose and thins them to each one's choice (``sim/world/market.py``), so a marketer choosing
less volume removes leads without reshuffling the others (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.policy.decisions import Decision, MeasureOutcome, Option
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.world.deal_terms import DealTerms
from sim.world.services import Choices, Clock, Segments, Staff


class Marketers:
    """The marketing team: its people and their current volume choices."""

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        segments: Segments,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
        deal_terms: DealTerms,
        available_share: Callable[[int], float],
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.choices = choices
        self.company = company
        self.behaviour = behaviour
        self.deal_terms = deal_terms
        self.available_share = available_share
        """Share of a segment's organisations available (1 in an unlimited market)."""
        self.people: list[int] = staff.team("marketing", company.marketing.headcount)
        b = behaviour.marketing
        self.max_volume = max(b.volume_options) if b.volume_options else 1.0
        """The volume marketing leads are generated at (then thinned to each marketer's choice)."""
        self.volume: dict[int, float] = {}
        """Current lead-volume multiplier per marketer."""
        self.fit_shift: dict[int, float] = {}
        """How much fit each marketer's current volume takes off a lead."""

    def grow(self, people: list[int]) -> None:
        """Marketers a plan adds."""
        self.people += people

    def decide(self, month: int, us: np.ndarray) -> None:
        """Each marketer chooses this month's lead volume (Decision ``marketing_volume``)."""
        b = self.behaviour.marketing
        opts = b.volume_options or [1.0]
        neutral = int(np.argmin([abs(v - b.neutral_volume) for v in opts]))
        measures = self.choices.measures("marketing")
        n_m = max(len(self.people), 1)
        for k, m in enumerate(self.people):
            options = []
            for v in opts:
                outs: list[MeasureOutcome] = []
                if measures:
                    outs = self._outcomes(v, n_m, measures)
                options.append(Option(label=f"volume {v:g}", outcomes=tuple(outs), value=v))
            d = Decision(
                "marketing_volume",
                self.clock.env.now,
                "marketing",
                m,
                tuple(options),
                neutral,
                {"month": float(month)},
            )
            i = self.choices.one(d, float(us[k]))
            v = opts[i]
            self.volume[m] = v
            self.fit_shift[m] = b.fit_per_volume * (v - 1.0)

    def _outcomes(self, v: float, n_m: int, measures: tuple[str, ...]) -> list[MeasureOutcome]:
        """What a month at volume ``v`` would credit one of ``n_m`` marketers: leads, and the ACV they
        would bring at the neutral terms after the sales cycle (about two months)."""
        shift = self.behaviour.marketing.fit_per_volume * (v - 1.0)
        share = self.company.lead_sources.marketing
        d0, p0, o0 = self.deal_terms.neutral_terms
        leads = 0.0
        acv = 0.0
        for s in range(3):
            seg = self.segments.seg[s]
            n = seg.leads_per_month * share * v / n_m * self.available_share(s)
            leads += n
            p = self.deal_terms.expected_win(s, seg.mean_fit - shift, 1, d0, p0, o0)
            acv += n * p * seg.list_acv_mean_usd * (1 - d0)
        outs = []
        if "leads" in measures:
            outs.append(MeasureOutcome("leads", leads, 1.0, 15.0))
        for m in ("marketing_sourced_acv", "bookings_acv", "new_logo_acv"):
            if m in measures:
                outs.append(MeasureOutcome(m, acv, 1.0, 15.0 + 60.0))
        return outs
