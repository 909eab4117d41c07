"""Prospecting effort: each AE's monthly choice of how hard to prospect, valued forward to the period end.

At each month start every AE on staff chooses an effort ``e`` from
``behaviour.ae.prospecting_effort_options`` (neutral ``neutral_prospecting_effort``), which scales
the leads they source this month (:mod:`sim.world.prospecting`). Effort costs
``prospecting_effort_cost_kusd_per_month x (e² − n²) / 2`` ($k a month; ``n`` the neutral effort;
shirking saves it). The decision is asked only when the AE sources
leads and the plan pays AEs on a booking measure (``bookings_acv``, ``new_logo_acv``,
``net_new_arr``); otherwise effort stays neutral.

**What an option is worth.** The valuation prices credits where they land, at the attainment of the
period so far (``docs/model.md``, "Valuing an option"); a threshold bonus is worth something only
when the credits still to come in the period can reach it. So an option describes the AE's credits
still to come before the end ``H`` of the quota period (``PlanFacts.effort_period``) as a
distribution: ``X_e = B + e · M`` with ``B`` what is expected whatever the effort (the pipeline of
earlier leads, later months' leads at neutral effort, the AE's share of the market's leads) and
``M`` this month's self-sourced leads' credits landing before ``H``; each lead is won with the
neutral terms' probability ``q`` (fit above the neutral pursue threshold) and closes after the
segment's cycle, its ACV lognormal, so ``X_e`` has mean ``Σ q·A·G`` and variance
``Σ (q·G·E[A²] − (q·G·A)²)`` (``G`` the probability the close lands before ``H``). ``X_e`` is
described as ``K`` equally likely amounts (the normal's quantiles at ``(i − ½)/K``, floored at 0)
landing a day before ``H``; the next period is described the same way (``X'_e = B' + e · M'``, every
later credit of this month's leads in ``M'``), landing a day before its end and met by that period's
attainment (0: it has not started). Summed over the amounts, the valuation gives ``E[pay(a₀ + X_e)]
− pay(a₀) + E[pay(X'_e)]``: the chance of reaching a bonus in this period and the next enters,
which a single expected credit (or a myopic valuation of one deal) would miss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from sim.policy.decisions import Decision, Option, OptionTable, OutcomeColumn
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.time.calendar import DAYS_PER_MONTH
from sim.vocabulary import MONTHS_PER
from sim.world.deal_terms import DealTerms, sigmoid
from sim.world.prospecting import Prospecting
from sim.world.services import Choices, Clock, PlanFacts, Segments

EFFORT_MEASURES: tuple[str, ...] = ("bookings_acv", "new_logo_acv", "net_new_arr")
"""Measures credited at the close of a new deal: the ones an effort option describes."""
QUANTILES = 7
"""Equally likely amounts describing the credits still to come in the period."""
_Z = special.ndtri((np.arange(QUANTILES) + 0.5) / QUANTILES)
_FIT_GRID = np.linspace(0.0, 1.0, 201)


def _beta_pdf(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """Beta(a, b) density at ``x`` in [0, 1] (``scipy.special``: importing ``scipy.stats`` would
    cost every worker process about half a second at start)."""
    with np.errstate(divide="ignore", over="ignore"):
        return np.asarray(
            np.exp(special.xlogy(a - 1.0, x) + special.xlog1py(b - 1.0, -x) - special.betaln(a, b))
        )


class EffortDecisions:
    """The AEs' monthly prospecting-effort decisions (module docstring)."""

    def __init__(
        self,
        clock: Clock,
        segments: Segments,
        company: Company,
        behaviour: Behaviour,
        deal_terms: DealTerms,
        choices: Choices,
        facts: PlanFacts,
        prospecting: Prospecting,
    ) -> None:
        self.clock = clock
        self.segments = segments
        self.company = company
        self.choices = choices
        self.facts = facts
        self.prospecting = prospecting
        b = behaviour.ae
        self.levels = np.array(b.prospecting_effort_options or [b.neutral_prospecting_effort], dtype=float)
        self.neutral = int(np.argmin(np.abs(self.levels - b.neutral_prospecting_effort)))
        n = self.levels[self.neutral]
        self.cost = b.prospecting_effort_cost_kusd_per_month * (self.levels**2 - n**2) / 2.0
        self.labels = tuple(
            Option(f"effort {e:g}", (), float(c), float(e))
            for e, c in zip(self.levels, self.cost, strict=True)
        )
        self.measures = tuple(m for m in choices.measures("ae") if m in EFFORT_MEASURES)
        self.on = prospecting.on and len(self.levels) > 1 and bool(self.measures)
        self._deal = [self._deal_moments(s, deal_terms, b.neutral_pursue_min_fit) for s in range(3)]
        self._chosen = [0.0, 0.0]
        """Sum of the efforts chosen and AE-months asked in the measured window."""

    def _deal_moments(self, s: int, terms: DealTerms, min_fit: float) -> tuple[float, float, float]:
        """(q, E[ACV], E[ACV²]) of a lead of segment ``s`` on the neutral terms: the chance it is
        pursued and won, and the moments of its ACV."""
        seg = self.segments.seg[s]
        conc = seg.fit_concentration
        pdf = _beta_pdf(_FIT_GRID, max(seg.mean_fit * conc, 1e-3), max((1 - seg.mean_fit) * conc, 1e-3))
        t = terms.terms[terms.neutral]
        win = np.array([sigmoid(terms.lead_logit(s, f, 0) + t.log_odds) for f in _FIT_GRID])
        pursued = min_fit <= _FIT_GRID
        q = float(np.trapezoid(pdf * win * pursued, _FIT_GRID) / max(np.trapezoid(pdf, _FIT_GRID), 1e-12))
        acv = seg.list_acv_mean_usd * (1 - t.discount) * (1 + t.overcommit)
        return q, acv, acv * acv * (1 + seg.list_acv_cv**2)

    def _closed_by(self, s: int, days: np.ndarray) -> np.ndarray:
        """Probability a lead of segment ``s`` closes within ``days`` of its opening."""
        d = self.company.deals
        mean = self.segments.seg[s].sales_cycle_days
        days = np.maximum(days, 0.0)
        if d.cycle_distribution == "fixed":
            return (days >= mean).astype(float)
        return np.asarray(special.gammainc(d.cycle_shape, days / (mean / d.cycle_shape)))

    def _flows(
        self, s: int, days: np.ndarray, weight: np.ndarray, lo: float, hi: float
    ) -> tuple[float, float]:
        """(mean, variance) of the credits landing in ``[lo, hi)`` of leads of segment ``s`` opened on
        ``days`` (``weight`` leads each)."""
        q, a, a2 = self._deal[s]
        p = q * (self._closed_by(s, hi - days) - self._closed_by(s, lo - days))
        return float(np.sum(weight * p * a)), float(np.sum(weight * (p * a2 - (p * a) ** 2)))

    def decide(self, month: int, people: Sequence[int], active: Sequence[bool], ramp: Sequence[float],
               us: np.ndarray) -> None:  # fmt: skip
        """Every active AE chooses this month's effort (``prospecting.effort`` by seat)."""
        pros = self.prospecting
        if not self.on:
            return
        clock = self.clock
        now = float(clock.env.now)
        cal = clock.calendar
        period = self.facts.effort_period
        h1 = cal.period_end(now, period)
        try:
            h2 = cal.period_end(h1, period)
        except IndexError:  # past the calendar's margin: a period's length later
            h2 = h1 + MONTHS_PER[period] * DAYS_PER_MONTH
        starts = cal.month_starts
        month_end = float(starts[month + 1]) if month + 1 < len(starts) else clock.end_day
        n_active = max(sum(bool(a) for a in active), 1)
        wd = clock.workdays
        past = np.arange(math.floor(now) - 400, math.floor(now), dtype=float)
        this = np.arange(math.floor(now), math.floor(month_end), dtype=float)
        later = np.arange(math.floor(month_end), math.ceil(h2), dtype=float)
        for k, person in enumerate(people):
            if not active[k]:
                pros.effort[k] = self.levels[self.neutral]
                continue

            def works(days: np.ndarray, person: int = person) -> np.ndarray:
                if wd is None:
                    return np.ones(len(days))
                return np.array([1.0 if wd.works(person, float(d)) else 0.0 for d in days])

            # [mean, variance] of the credits landing in this period and in the next one: whatever the
            # effort (base) and per unit of this month's effort (mine); the next period takes every
            # later credit of this month's leads
            base = np.zeros((2, 2))
            mine = np.zeros((2, 2))
            w_past, w_this, w_later = works(past), works(this), works(later)
            for s in range(3):
                rate = float(pros.rates[s]) * ramp[k] * pros.ability(person)
                exo = self.segments.seg[s].leads_per_month / DAYS_PER_MONTH / n_active
                for j, (lo, hi) in enumerate(((now, h1), (h1, h2))):
                    for days, weight in ((past, rate * w_past + exo), (later, rate * w_later + exo),
                                         (this, np.full(len(this), exo))):  # fmt: skip
                        base[j] += self._flows(s, days, weight, lo, hi)
                    mine[j] += self._flows(s, this, rate * w_this, lo, hi if j == 0 else math.inf)
            table = self._table(now, (h1, h2), base, mine)
            d = Decision(
                "prospecting_effort", now, "ae", person, self.labels, self.neutral,
                {"month": float(month), "expected_in_period": float(base[0, 0] + mine[0, 0])}, table,
            )  # fmt: skip
            pros.effort[k] = self.levels[self.choices.one(d, float(us[k]))]
            if now >= clock.measure_start:
                self._chosen[0] += float(pros.effort[k])
                self._chosen[1] += 1

    def extra_metrics(self) -> dict[str, float]:
        """``self_sourced_leads`` (per measured year) and ``prospecting_effort_mean`` (over the AE-months
        of the window), when AEs source leads."""
        if not self.prospecting.on:
            return {}
        years = (self.clock.total_months - self.clock.warmup_months) / 12.0
        n = self._chosen[1]
        effort = self._chosen[0] / n if n else float(self.levels[self.neutral])
        return {
            "self_sourced_leads": self.prospecting.sourced_in_window / years,
            "prospecting_effort_mean": effort,
        }

    def _table(
        self, now: float, ends: tuple[float, float], base: np.ndarray, mine: np.ndarray
    ) -> OptionTable:
        """The options' credits (module docstring): ``QUANTILES`` equally likely amounts per measure
        for this period and for the next, each landing a day before the period's end."""
        e = self.levels
        n = len(e)
        cols: list[OutcomeColumn] = []
        for j, end in enumerate(ends):
            mean = base[j, 0] + e * mine[j, 0]
            sd = np.sqrt(np.maximum(base[j, 1] + e * mine[j, 1], 0.0))
            amounts = np.maximum(mean[None, :] + _Z[:, None] * sd[None, :], 0.0)
            delay = max(end - now - 1.0, 0.5)
            for m in self.measures:
                cols.extend(
                    OutcomeColumn.build(
                        m, n, amount=amounts[i], probability=1.0 / QUANTILES, delay_days=delay
                    )
                    for i in range(QUANTILES)
                )
        return OptionTable(tuple(cols), self.cost.copy())
