"""What live accounts do in a month, for every customer at once (numpy over the book).

At each month start, for the month just ended: health reverts toward value, takes noise, CSM
attention and ticket effects; usage drifts with health; champions move (a health shock and,
sometimes, a warm lead at their new company); promoters refer leads and give references;
upsell and cross-sell opportunities open and are worked by whoever the plan credits;
first-year revenue is recognised; tickets are counted. Customers still waiting for go-live have
their health set by the wait so far. Every draw is keyed by the customer (``Streams.keyed``), so
customer i sees the same luck in every plan whatever happened to other customers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy.special import ndtri

from sim.ledger import ROLE_CODE, SOURCE_CODE, K, Ledger, blank_rows
from sim.rng import Streams
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_YEAR
from sim.world.book import IMPLEMENTING, Book
from sim.world.movements import UNIFORMS, any_events, usage_factors
from sim.world.rows import account_rows, to_cents
from sim.world.rules import poisson_inv
from sim.world.services import Clock, PlanFacts, Segments

if TYPE_CHECKING:
    from sim.world.effects import TeamEffects

EndogenousLead = Callable[[int, int, float, int], None]
"""A referral (source 2) or champion (source 3) lead of (segment, source) arriving in so many days,
from a customer (``Market.endogenous_lead``)."""
ExpansionDeal = Callable[[float, int, str, int, float, float, float, float], None]
"""An upsell or cross-sell deal closing on a day, with its terms' and timing's uniforms
(``SalesTeam.expansion_later``)."""


class CsmTime(Protocol):
    """How the CSMs split their time this month (``sim/world/csms.py``)."""

    shares: np.ndarray
    neutral: np.ndarray
    people: list[int]

    def csm_rows(self, csm_ids: np.ndarray) -> np.ndarray:
        """Row of ``shares`` for each customer's CSM id."""
        ...


def _not_connected(*_: object) -> None:
    raise RuntimeError("Accounts is not connected to the market and the sales team (World wires it)")


class Accounts:
    """The monthly flows of the customer book."""

    def __init__(
        self,
        clock: Clock,
        segments: Segments,
        book: Book,
        ledger: Ledger,
        streams: Streams,
        company: Company,
        behaviour: Behaviour,
        facts: PlanFacts,
        csms: CsmTime,
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.book = book
        self.ledger = ledger
        self.streams = streams
        self.company = company
        self.behaviour = behaviour
        self.facts = facts
        self.csms = csms
        with_ae = company.deals.expansion_rate_with_ae
        self.expansion_rate_mult = {k: facts.opportunity_rate(k, with_ae) for k in ("upsell", "cross_sell")}
        """Opportunity rate multiplier per kind of expansion: more when AEs work them."""
        self.endogenous_lead: EndogenousLead = _not_connected
        self.expansion_later: ExpansionDeal = _not_connected
        self.stuffing_on: Callable[[str], bool] = lambda kind: False
        """Whether expansion deals of a kind have an over-commitment choice (``ExpansionTerms.on``)."""
        self.effects: TeamEffects | None = None
        """Product, support, education and advocacy (``sim/world/effects.py``); None: none of them."""
        rates = np.concatenate(
            [segments.array("expansion_events_per_year"), segments.array("contraction_events_per_year")]
        )
        self.movement_events = any_events(rates)
        """Expansion and contraction events are on (``sim/world/movements.py``)."""

    def _draws(self, name: str, month: int, customers: np.ndarray, cols: int) -> np.ndarray:
        """This month's uniforms of stream ``customers.<name>``, one row per customer, keyed by the
        customers' entity keys: a customer's luck does not depend on which others exist."""
        return self.streams.keyed(f"customers.{name}.m{month}", self.book.key[customers], cols)

    def month(self, month: int) -> None:
        """Flows of the month that just ended (now = start of ``month``), for every live customer."""
        book = self.book
        self._waiting_health()
        live = book.live()
        if len(live) == 0:
            return
        now = float(self.clock.env.now)
        start = float(self.clock.calendar.month_starts[month - 1])
        dt = now - start
        cc = self.company.customers
        cb = self.behaviour.csm
        seg = book.segment[live]
        h = book.health[live]
        z = ndtri(self._draws("health", month, live, 2))
        u = self._draws("events", month, live, 8)
        rows = self.csms.csm_rows(book.csm[live])
        sh = self.csms.shares[rows]
        per_segment = self.segments.array
        # tickets (a product-quality lever)
        sup = self.company.support
        mean_rate = per_segment("tickets_per_month")[seg] / sup.product_quality
        lam = mean_rate * (1.0 + sup.tickets_per_quality_gap * (1.0 - book.quality[live])) * (dt / 30.4375)
        fx = self.effects
        if fx is not None:
            lam = fx.ticket_rate(live, lam)
        tickets = poisson_inv(u[:, 0], lam)
        extra = fx.health(live, tickets) if fx is not None else None
        # health
        h = (
            h
            + cc.health_reversion_per_month * (book.value[live] - h)
            + cc.health_noise_per_month * z[:, 0]
            + cb.save_health_per_month * sh[:, 0] * (h < cc.detractor_health)
            + cb.value_review_health_per_month * sh[:, 1]
            - sup.health_per_ticket * (tickets - per_segment("tickets_per_month")[seg] * dt / 30.4375)
        )
        if extra is not None:  # late answers, training
            h = h + extra
        # advocacy attention of each account (its CSM's time on advocacy, relative to the neutral split)
        neutral_adv = 1 + cb.advocacy_multiplier * self.csms.neutral[3]
        adv = (1 + cb.advocacy_multiplier * sh[:, 3]) / neutral_adv
        adv = np.where(rows < len(self.csms.people), adv, 1.0 / neutral_adv)
        if fx is not None:
            lift = fx.advocacy_lift(rows, len(self.csms.people))
            if not isinstance(lift, float) or lift != 1.0:
                adv = adv * lift
        # champion moves
        ch = self.company.champions
        p_move = 1.0 - np.exp(-dt / (DAYS_PER_YEAR * ch.mean_tenure_years))
        moved = u[:, 1] < p_move
        h = np.where(moved, h - ch.health_shock, h)
        h = np.clip(h, 0.0, 1.0)
        book.health[live] = h
        # usage drifts with health: growth when healthy, shrinkage when not
        grow, shrink = per_segment("annual_expansion")[seg], per_segment("annual_contraction")[seg]
        drift = grow * 2 * h - shrink * 2 * (1 - h) if cc.usage_drift else 0.0
        usage = book.usage[live] * np.exp(drift * dt / DAYS_PER_YEAR + cc.usage_sd / np.sqrt(12) * z[:, 1])
        if self.movement_events:  # expansion and contraction as events (sim/world/movements.py)
            usage = usage * usage_factors(
                self._draws("movements", month, live, UNIFORMS), h,
                per_segment("expansion_events_per_year")[seg], per_segment("expansion_event_size")[seg],
                per_segment("contraction_events_per_year")[seg], per_segment("contraction_event_size")[seg],
                dt / DAYS_PER_YEAR, cc,
            )  # fmt: skip
        book.usage[live] = np.maximum(usage, 0.01)
        led = self.ledger
        moved_j = np.flatnonzero(moved)
        movers = live[moved_j]
        led.append_rows(account_rows(book, K.champion_move, now, movers))
        book.champion_since_day[movers] = now
        warm = ch.warm_lead_probability if fx is None else fx.warm_probability(adv[moved_j])
        j = moved_j[u[moved_j, 2] < warm]
        lead = self.endogenous_lead
        for sg, x, c in zip(seg[j].tolist(), (u[j, 3] * dt).tolist(), live[j].tolist(), strict=True):
            lead(sg, 3, x, c)
        # advocacy: promoters refer leads and give references
        promoter = h > cc.promoter_health
        frac = dt / DAYS_PER_YEAR
        n_ref = poisson_inv(u[:, 4], np.where(promoter, cc.referrals_per_promoter_per_year * frac * adv, 0.0))
        n_refc = poisson_inv(
            u[:, 5], np.where(promoter, cc.references_per_promoter_per_year * frac * adv, 0.0)
        )
        referrers = np.repeat(live, n_ref)
        refs = account_rows(book, K.referral, now, referrers)
        refs["source"] = SOURCE_CODE["referral"]
        led.append_rows(refs)
        j = np.flatnonzero(n_ref)
        referred = zip(seg[j].tolist(), u[j, 3].tolist(), n_ref[j].tolist(), live[j].tolist(), strict=True)
        for sg, x, n, c in referred:
            for r in range(n):
                lead(sg, 2, (x + r) / n * dt, c)
        led.append_rows(account_rows(book, K.reference, now, np.repeat(live, n_refc)))
        if fx is not None:
            fx.references(np.repeat(seg, n_refc))
        # expansion opportunities (worked by whoever the crediting rules name)
        self._expansion_opportunities(month, live, h, seg, sh, u, frac)
        # first-year revenue, realised by usage (monthly, per customer)
        glive = book.golive_day[live]
        lo = np.maximum(glive, start)
        hi = np.minimum(glive + 365.0, now)
        share = np.clip((hi - lo) / max(dt, 1e-9), 0.0, 1.0)
        rev = book.arr_cents[live] / 100.0 / 12.0 * np.minimum(book.usage[live], 1.0) * share
        paid = np.flatnonzero(rev > 0)
        payers = live[paid]
        revenue = blank_rows(K.revenue, now, len(payers))
        revenue["amount"] = to_cents(rev[paid])
        revenue["customer"], revenue["deal"], revenue["ae"] = payers, book.deal[payers], book.closer[payers]
        revenue["csm"], revenue["consultant"], revenue["segment"] = (
            book.csm[payers],
            book.consultant[payers],
            seg[paid],
        )
        revenue["source"], revenue["first_year"], revenue["sdr"] = (
            1 + book.source[payers],
            True,
            book.sdr[payers],
        )
        led.append_rows(revenue)
        led.add(K.tickets, now, float(int(tickets.sum())), role=ROLE_CODE["product"])

    def _waiting_health(self) -> None:
        """Customers still waiting for go-live: health = value less the promise gap and the
        late-value penalty so far (the starting-health formula applied to the wait to date)."""
        book = self.book
        impl = np.flatnonzero(book.status[: book.n] == IMPLEMENTING)
        if len(impl) == 0:
            return
        cc = self.company.customers
        gap = 0.5 * self.behaviour.ae.promise_health_gap * book.promise[impl]
        excess = (
            self.clock.env.now
            - book.cohort_day[impl]
            - self.segments.array("implementation_days")[book.segment[impl]]
        )
        h = book.value[impl] - gap - cc.health_per_wait_month * np.maximum(excess, 0.0) / 30.4375
        book.health[impl] = np.clip(h, 0.0, 1.0)

    def _expansion_opportunities(
        self,
        month: int,
        live: np.ndarray,
        h: np.ndarray,
        seg: np.ndarray,
        sh: np.ndarray,
        u: np.ndarray,
        frac: float,
    ) -> None:
        """Upsell and cross-sell opportunities of the month: a Poisson count per account and kind
        (at most one worked a month), each sized exponentially, won with a health-dependent
        probability and closing within ``2 x expansion_cycle_days`` (only the won are timed)."""
        book = self.book
        cb = self.behaviour.csm
        d = self.company.deals
        exp_mult = (1 + cb.expansion_multiplier * sh[:, 2]) / (
            1 + cb.expansion_multiplier * self.csms.neutral[2]
        )
        features = 1.0 if self.effects is None else self.effects.expansion_rate()
        if features != 1.0:  # the product's features
            exp_mult = exp_mult * features
        counts = []
        for col, kind in ((6, "upsell"), (7, "cross_sell")):
            rate = (
                self.segments.array(f"{kind}_opportunities_per_year")[seg]
                * frac
                * exp_mult
                * self.expansion_rate_mult[kind]
            )
            counts.append(poisson_inv(u[:, col], rate))
        some = np.flatnonzero((counts[0] > 0) | (counts[1] > 0))
        uo = np.empty((len(live), 6))
        uo[some] = self._draws("expansion", month, live[some], 6)  # keyed: the same rows as drawn for all
        now = float(self.clock.env.now)
        wd = self.clock.workdays
        for n, kind in zip(counts, ("upsell", "cross_sell"), strict=True):
            credited = self.facts.credited(kind)
            odds = (
                np.log(d.expansion_win_rate / max(1 - d.expansion_win_rate, 1e-9))
                if 0 < d.expansion_win_rate < 1
                else (-50.0 if d.expansion_win_rate <= 0 else 50.0)
            )
            both = d.both_credited_win_odds if len(credited) > 1 else 0.0
            p = 1.0 / (1.0 + np.exp(-(odds + d.win_odds_per_health * (h - 0.5) + both)))
            size = self.segments.array(f"{kind}_size")[seg]
            k0 = 0 if kind == "upsell" else 3
            js = np.flatnonzero(n)  # one opportunity a month per account and kind, sized exponentially
            cents = np.rint(
                book.arr_cents[live[js]].astype(np.float64)
                * size[js]
                * -np.log(np.maximum(uo[js, k0], 1e-12))
            )
            delays = uo[js, k0 + 1] * 2 * d.expansion_cycle_days
            win = uo[js, k0 + 2] < p[js]  # a deal lost at its close changes nothing: only the won are timed
            won = live[js][win]
            # the over-commitment choice's uniform (sim/world/stuffing.py), drawn only when there is one
            ut = (
                self.streams.keyed(f"customers.expansion_terms.{kind}.m{month}", book.key[won], 2)
                if self.stuffing_on(kind) and len(won)
                else np.full((len(won), 2), 0.5)
            )
            for c, cent, delay, pw, uw, uc, ud in zip(
                won.tolist(), cents[win].astype(np.int64).tolist(), delays[win].tolist(),
                p[js][win].tolist(), uo[js, k0 + 2][win].tolist(), ut[:, 0].tolist(), ut[:, 1].tolist(),
                strict=True,
            ):  # fmt: skip
                at = now + delay
                if wd is not None:  # expansion deals close on company working days
                    at = wd.next_open(at)
                self.expansion_later(at, c, kind, cent, pw, uw, uc, ud)
