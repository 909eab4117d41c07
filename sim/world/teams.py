"""Teams whose choice is a monthly effort: product, customer education and customer marketing.

Each month each person of the team whose plan pays on a measure the choice moves chooses one
option (Decision ``product_focus``, ``education_effort``, ``customer_marketing_effort``); the team
acts with the mean (product) or the sum (education, customer marketing) of its people's choices.
Every option lists what it would credit the person in plan-measure vocabulary, the person's own
share of the team's change (a team measure moves by what one person changes), so the team's plan
decides the direction
(``docs/model.md``, "World: product, support, education and customer marketing"):

* **Product** splits engineering between quality work and features. The product follows the
  team's focus ``f`` slowly: each month the ticket multiplier ``M`` and the expansion multiplier
  ``X`` close ``adjust_per_month`` of the gap to ``exp(-tickets_per_focus (f - f0))`` and
  ``exp(-expansion_per_focus (f - f0))`` (``f0`` the neutral focus). Outcomes: ``tickets`` (the
  next twelve months' tickets, spread over the year), ``company_grr``/``company_nrr`` (the health
  the tickets cost, and the expansion the features bring).
* **Customer education** trains accounts in their first ``eligible_months`` after go-live: with
  efforts ``e_k`` a share ``s = min(1, sum(e_k) x accounts_per_educator_per_month / eligible)`` of
  them is trained a month, each gaining ``health_per_training x s``. Outcomes:
  ``implementation_success_90d`` (accounts still before their success check whose chance rises),
  ``company_grr``/``company_nrr``.
* **Customer marketing** runs reference, case-study and event programmes: reference and referral
  rates x ``1 + max_lift x (1 - exp(-sum(e_k) / people_scale))``. Outcomes: ``references``,
  ``referrals``, ``company_new_arr`` (the referred deals' expected ARR).

A team whose plan pays on none of those measures makes the neutral choice without being asked (no
decision is counted). With a neutral choice every multiplier stays exactly 1 (the world without
these teams).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from sim.policy.decisions import Decision, MeasureOutcome, Option
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.world.book import Book
from sim.world.outlook import Outlook, company_ratio_outcomes
from sim.world.rules import HealthRules
from sim.world.services import Choices, Clock, Segments, Staff


class EffortTeam:
    """People of one role choosing one of ``options`` each month (see the module docstring)."""

    role = ""
    kind = ""

    def __init__(
        self,
        clock: Clock,
        choices: Choices,
        people: list[int],
        options: list[float],
        neutral: float,
        effort_kusd: float,
    ) -> None:
        self.clock = clock
        self.choices = choices
        self.people = people
        self.options = list(options) or [neutral]
        self.neutral = int(np.argmin([abs(v - neutral) for v in self.options]))
        self.effort_kusd = effort_kusd
        self.level = np.full(len(people), self.options[self.neutral])
        """Each person's current choice."""

    def grow(self, people: list[int]) -> None:
        """People a plan adds (at the neutral choice)."""
        self.people += people
        self.level = np.concatenate([self.level, np.full(len(people), self.options[self.neutral])])

    def decide(self, month: int, us: np.ndarray) -> None:
        """Each person's choice this month, then the team's state moves."""
        measures = self.choices.measures(self.role)
        if not self.people or not measures:  # nothing the choice moves is paid: the neutral choice
            self.level[:] = self.options[self.neutral]
            self.advance()
            return
        now = float(self.clock.env.now)
        base = self.options[self.neutral]
        self.prepare(month)
        for k, person in enumerate(self.people):
            options = tuple(
                Option(
                    f"{self.kind.split('_')[-1]} {v:g}",
                    tuple(self.outcomes(k, v, measures)),
                    self.effort_kusd * abs(v - base),
                    v,
                )
                for v in self.options
            )
            d = Decision(self.kind, now, self.role, person, options, self.neutral, {"month": float(month)})
            self.level[k] = self.options[self.choices.one(d, float(us[k]))]
        self.advance()

    def prepare(self, month: int) -> None:
        """What the outcomes of this month's options need (computed once for the team)."""

    def outcomes(self, k: int, v: float, measures: tuple[str, ...]) -> list[MeasureOutcome]:
        """What option ``v`` of person ``k`` would credit them (measures their plan pays on)."""
        return []

    def advance(self) -> None:
        """The team's state after this month's choices."""

    def with_choice(self, k: int, v: float) -> np.ndarray:
        """The team's choices if person ``k`` chose ``v``."""
        level = self.level.copy()
        level[k] = v
        return level


class ProductTeam(EffortTeam):
    """The product team's quality-versus-features focus and the product it makes."""

    role = "product"
    kind = "product_focus"

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        book: Book,
        segments: Segments,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
    ) -> None:
        b = behaviour.product
        people = staff.team("product", company.support.product_headcount)
        super().__init__(
            clock, choices, people, b.focus_options, b.neutral_focus, b.effort_cost_kusd_per_month
        )
        self.book = book
        self.segments = segments
        self.company = company
        self.f0 = self.options[self.neutral]
        self.ticket_rate = 1.0
        """Multiplier of every account's ticket rate (the product's quality)."""
        self.expansion_rate = 1.0
        """Multiplier of upsell and cross-sell opportunity rates (the product's features)."""
        self._outlook: Outlook | None = None
        self._base = np.zeros(0)

    def _targets(self, level: np.ndarray) -> tuple[float, float]:
        p = self.company.product
        f = float(level.mean()) if len(level) else self.f0
        if f == self.f0:
            return 1.0, 1.0
        return math.exp(-p.tickets_per_focus * (f - self.f0)), math.exp(
            -p.expansion_per_focus * (f - self.f0)
        )

    def advance(self) -> None:
        t, x = self._targets(self.level)
        rho = self.company.product.adjust_per_month
        if t != self.ticket_rate:
            self.ticket_rate = self.ticket_rate + rho * (t - self.ticket_rate)
        if x != self.expansion_rate:
            self.expansion_rate = self.expansion_rate + rho * (x - self.expansion_rate)

    def prepare(self, month: int) -> None:
        book = self.book
        self._outlook = o = Outlook(book, self.segments, self.company, month)
        sup = self.company.support
        rate = self.segments.array("tickets_per_month")[o.seg] / sup.product_quality
        self._base = rate * (1.0 + sup.tickets_per_quality_gap * (1.0 - book.quality[o.live]))

    def _paths(self, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ticket and expansion multipliers over the next twelve months at these choices."""
        t, x = self._targets(level)
        decay = (1.0 - self.company.product.adjust_per_month) ** np.arange(1, 13)
        return t + (self.ticket_rate - t) * decay, x + (self.expansion_rate - x) * decay

    def outcomes(self, k: int, v: float, measures: tuple[str, ...]) -> list[MeasureOutcome]:
        o = self._outlook
        assert o is not None
        tickets, expansion = self._paths(self.with_choice(k, v))
        out = []
        if "tickets" in measures:
            out.append(MeasureOutcome("tickets", float(self._base.sum() * tickets.sum()), 1.0, 0.0, 365.0))
        if "company_grr" in measures or "company_nrr" in measures:
            hpt = self.company.support.health_per_ticket
            kept = o.kept_flow(-hpt * self._base * (float(tickets.mean()) - self.ticket_rate))
            grr, nrr = o.ratio(kept, o.expansion_arr * (float(expansion.mean()) - self.expansion_rate))
            out.extend(company_ratio_outcomes(measures, grr, nrr))
        return out


class EducationTeam(EffortTeam):
    """Customer education: training of newly live accounts."""

    role = "education"
    kind = "education_effort"

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        book: Book,
        segments: Segments,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
        rules: HealthRules,
    ) -> None:
        b = behaviour.education
        people = staff.team("education", company.education.headcount)
        super().__init__(
            clock, choices, people, b.effort_options, b.neutral_effort, b.effort_cost_kusd_per_month
        )
        self.book = book
        self.segments = segments
        self.company = company
        self.rules = rules
        self._outlook: Outlook | None = None
        self._eligible = np.zeros(0, dtype=np.int64)

    def eligible(self) -> np.ndarray:
        """Live accounts within ``eligible_months`` of go-live."""
        book = self.book
        live = book.live()
        span = self.company.education.eligible_months * 30.4375
        return live[self.clock.env.now - book.golive_day[live] < span]

    def trained_share(self, level: np.ndarray, eligible: int) -> float:
        """Share of eligible accounts trained in a month at these efforts."""
        if eligible <= 0 or not len(level):
            return 0.0
        return min(
            1.0, float(level.sum()) * self.company.education.accounts_per_educator_per_month / eligible
        )

    def health(self, live: np.ndarray) -> np.ndarray:
        """This month's training effect on each live account (0 outside the eligible window)."""
        e = self.eligible()
        gain = self.company.education.health_per_training * self.trained_share(self.level, len(e))
        return np.where(np.isin(live, e), gain, 0.0)

    def prepare(self, month: int) -> None:
        self._outlook = Outlook(self.book, self.segments, self.company, month)
        self._eligible = self.eligible()

    def outcomes(self, k: int, v: float, measures: tuple[str, ...]) -> list[MeasureOutcome]:
        o = self._outlook
        assert o is not None
        e = self._eligible
        gain = self.company.education.health_per_training * self.trained_share(self.with_choice(k, v), len(e))
        out = []
        if "implementation_success_90d" in measures and len(e):
            book, cc = self.book, self.company.customers
            left = self.rules.success_days - (self.clock.env.now - book.golive_day[e])
            waiting = e[left > 0]
            months = np.maximum(left[left > 0], 0.0) / 30.4375
            sd = cc.health_noise_per_month * np.sqrt(months) + 0.05
            h = book.health[waiting]
            decay = (1.0 - cc.health_reversion_per_month) ** months
            p = ndtr((h + gain * decay - cc.healthy_health) / sd) - ndtr((h - cc.healthy_health) / sd)
            out.append(MeasureOutcome("implementation_success_90d", float(p.sum()), 1.0, float(left.mean())))
        if "company_grr" in measures or "company_nrr" in measures:
            grr, nrr = o.ratio(o.kept(np.where(np.isin(o.live, e), gain, 0.0)))
            out.extend(company_ratio_outcomes(measures, grr, nrr))
        return out


class CustomerMarketingTeam(EffortTeam):
    """Customer marketing: reference, case-study and event programmes."""

    role = "customer_marketing"
    kind = "customer_marketing_effort"

    def __init__(
        self,
        clock: Clock,
        staff: Staff,
        book: Book,
        segments: Segments,
        choices: Choices,
        company: Company,
        behaviour: Behaviour,
        expected_win: object,
    ) -> None:
        b = behaviour.customer_marketing
        people = staff.team("customer_marketing", company.customer_marketing.headcount)
        super().__init__(
            clock, choices, people, b.effort_options, b.neutral_effort, b.effort_cost_kusd_per_month
        )
        self.book = book
        self.segments = segments
        self.company = company
        self.expected_win = expected_win
        self._promoters = 0.0
        self._referral_arr = 0.0

    def lift(self, level: np.ndarray | None = None) -> float:
        """The programmes' multiplier of reference and referral rates."""
        cm = self.company.customer_marketing
        lv = self.level if level is None else level
        if not len(lv):
            return 1.0
        return 1.0 + cm.max_lift * (1.0 - math.exp(-float(lv.sum()) / cm.people_scale))

    def prepare(self, month: int) -> None:
        book = self.book
        live = book.live()
        promoters = live[book.health[live] > self.company.customers.promoter_health]
        self._promoters = float(len(promoters))
        seg = book.segment[promoters]
        acv = self.segments.array("list_acv_mean_usd")[seg]
        win = np.array([self.expected_win(int(s)) for s in range(3)])[seg] if len(seg) else np.zeros(0)  # type: ignore[operator]
        self._referral_arr = float((acv * win).mean()) if len(seg) else 0.0

    def outcomes(self, k: int, v: float, measures: tuple[str, ...]) -> list[MeasureOutcome]:
        cc = self.company.customers
        lift = self.lift(self.with_choice(k, v))
        refs = self._promoters * cc.references_per_promoter_per_year / 12.0 * lift
        referrals = self._promoters * cc.referrals_per_promoter_per_year / 12.0 * lift
        out = []
        if "references" in measures:
            out.append(MeasureOutcome("references", refs, 1.0, 15.0))
        if "referrals" in measures:
            out.append(MeasureOutcome("referrals", referrals, 1.0, 15.0))
        if "company_new_arr" in measures:
            out.append(MeasureOutcome("company_new_arr", referrals * self._referral_arr, 1.0, 120.0))
        return out
