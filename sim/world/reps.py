"""Sales reps (AEs): capacity, ramp, attrition and backfill, and the deal-table decisions.

Every lead goes to the rep with the most free opportunity slots (capacity ramps linearly
with tenure); when no rep has a free slot the lead is lost (counted in ``leads_lost``).
The rep decides whether to pursue it (``pursue``), on what terms (``deal_terms``: discount x
promise x overcommitment) and, when the natural close falls within two weeks of a quarter
end, when to close (``close_timing``). The deal then closes after a gamma-distributed cycle;
it is won when the lead's pre-drawn uniform falls below the win probability

    logit(p) = logit(base_win_rate) + win_odds_per_fit * (fit - mean_fit) + source odds
               + discount * win_odds_per_discount + promise * win_odds_per_promise
               + overcommit * win_odds_per_overcommit.

Open opportunities of a rep who leaves are lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.decisions import FIELDS, ROW, Decision, Option, OptionTable, OutcomeColumn
from sim.ledger import CREDITED_CODE, DEAL_KIND_CODE, K
from sim.world.billing import cash_outlook
from sim.world.customers import (
    IMPLEMENTING,
    LIVE,
    renewal_churn_probability,
    renewal_price_increase,
)
from sim.world.deal_outlook import CREDIT_OF, fill
from sim.world.lead import U_PURSUE, U_TERMS, U_TIMING, U_WIN, Lead
from sim.world.options import table_options
from sim.world.seats import Seats

if TYPE_CHECKING:
    from sim.world.model import World

_N_FIELDS = len(FIELDS)
FIT_GRID = 200
"""Resolution of the fit grid on which deal-outcome expectations are cached."""
WINDOW_DAYS = 14.0
"""Close-timing window: the last two weeks of a quarter and the first two of the next."""


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(slots=True)
class Opportunity:
    """An opportunity being worked."""

    lead: Lead
    seat: int
    ae: int
    discount: float
    promise: float
    overcommit: float
    p_win: float
    forecast_day: float
    close_day: float
    opened_day: float


@dataclass(slots=True)
class TermOption:
    """One joint deal-terms option and its win log-odds shift."""

    discount: float
    promise: float
    overcommit: float
    log_odds: float
    label: str


class SalesTeam(Seats):
    """The AEs (seats with open-opportunity slots: ``sim.world.seats``) and their opportunities."""

    def __init__(self, world: World) -> None:
        c = world.company
        b = world.behaviour.ae
        r = c.reps
        self.world = world
        super().__init__(
            world.staff,
            world.clock,
            world.policy.attrition_multiplier,
            "ae",
            r.headcount,
            r.max_open_opportunities,
            r.ramp_months * 30.4375,
            r.annual_attrition,
            r.backfill_days,
        )
        self.terms: list[TermOption] = []
        for d in b.discount_options or [0.0]:
            for p in b.promise_options or [0.0]:
                for o in b.overcommit_options or [0.0]:
                    self.terms.append(
                        TermOption(
                            d,
                            p,
                            o,
                            d * b.win_odds_per_discount
                            + p * b.win_odds_per_promise
                            + o * b.win_odds_per_overcommit,
                            f"discount {d:g} promise {p:g} overcommit {o:g}",
                        )
                    )
        self.t_discount = np.array([t.discount for t in self.terms])
        self.t_promise = np.array([t.promise for t in self.terms])
        self.t_overcommit = np.array([t.overcommit for t in self.terms])
        self.t_log_odds = np.array([t.log_odds for t in self.terms])
        nd = world.neutral_terms
        self.neutral_term = int(
            np.argmin(
                [
                    abs(t.discount - nd[0]) * 100 + abs(t.promise - nd[1]) * 10 + abs(t.overcommit - nd[2])
                    for t in self.terms
                ]
            )
        )
        self.base_logit = [_logit(world.seg[s].base_win_rate) for s in range(3)]
        dd = c.deals
        self.source_odds = [0.0, 0.0, dd.referral_win_odds, dd.champion_win_odds]
        self.source_cycle = [1.0, 1.0, dd.referral_cycle_multiplier, dd.champion_cycle_multiplier]
        self.opportunities_opened = 0

        self._delays: dict[tuple[int, float], np.ndarray] = {}

        self._no_effort: dict[int, np.ndarray] = {}
        cust = world.company.customers
        self._full_nonpay = cust.non_payment_probability + cust.non_payment_per_overcommit * self.t_overcommit
        self._cash = [cash_outlook(world.company.billing, s.contract_term_months) for s in world.seg]
        self._renewal_delay = [s.contract_term_months * 30.4375 for s in world.seg]
        self._success_days = float(world.success_days)
        self._min_fit = b.neutral_pursue_min_fit
        self._pursue_rows = np.array([-1, self.neutral_term], dtype=np.int64)
        """A pursued lead is the deal on the neutral terms; skipping it is no deal."""
        self._pursue_effort = np.array([0.0, b.effort_cost_kusd_per_opportunity])
        grid = np.arange(FIT_GRID + 1) / FIT_GRID
        pulled = np.minimum(self.t_discount + b.pull_in_discount, 0.95)
        self._full_base = [
            self._base_data(s, grid, self.t_discount, self.t_promise, self._full_nonpay)
            for s in range(len(world.seg))
        ]
        """Base data of the full table of terms, by segment and fit grid point (``[grid, field, option]``;
        the fit enters as the nearest grid point, far below the noise of any decision)."""
        self._pulled_base = [
            self._base_data(s, grid, pulled, self.t_promise, self._full_nonpay) for s in range(len(world.seg))
        ]
        """The same terms pulled in (the extra discount of a pull-in)."""
        self.measures = world.role_measures.get("ae", ())
        self._credit_measures = tuple(m for m in self.measures if m in CREDIT_OF)
        """The measures a deal credits that the AE's plan pays on: the columns of a terms table."""
        self._credits = np.array([CREDIT_OF[m] for m in self._credit_measures], dtype=np.int64)
        self._label_only_terms = tuple(Option(t.label, (), 0.0, t.discount) for t in self.terms)
        """The options without outcomes (a plan that pays the AE on nothing the deal earns)."""
        self._label_only_pursue = (
            Option("skip", (), 0.0, 0.0),
            Option("pursue", (), b.effort_cost_kusd_per_opportunity, 1.0),
        )
        """The pursue options; their outcomes come from the deal-terms table when a policy asks."""

    # ------------------------------------------------------------------ model pieces
    def expected_win(
        self, segment: int, fit: float, source: int, discount: float, promise: float, overcommit: float
    ) -> float:
        """Win probability of a lead under given terms (the formula in the module docstring)."""
        b = self.world.behaviour.ae
        return _sigmoid(
            self._lead_logit(segment, fit, source)
            + discount * b.win_odds_per_discount
            + promise * b.win_odds_per_promise
            + overcommit * b.win_odds_per_overcommit
        )

    def _lead_logit(self, segment: int, fit: float, source: int) -> float:
        w = self.world
        return (
            self.base_logit[segment]
            + w.company.deals.win_odds_per_fit * (fit - w.seg[segment].mean_fit)
            + self.source_odds[source]
        )

    def _cycle_mean(self, segment: int, source: int) -> float:
        return self.world.seg[segment].sales_cycle_days * self.source_cycle[source]

    # ------------------------------------------------------------------ leads
    def on_lead(self, lead: Lead) -> None:
        """A lead arrives: assign a rep, decide, and schedule the close."""
        w = self.world
        best = int(self.free.argmax()) if len(self.free) else -1
        if best < 0 or self.free[best] <= 0:
            self.world.market.leads_lost += 1
            w.market.orgs.reject(lead)  # finite market: the organisation cools off
            return
        now = w.env.now
        ae = self.person[best]
        seg = lead.segment
        cycle_mean = self._cycle_mean(seg, lead.source)
        logit = self._lead_logit(seg, lead.fit, lead.source)
        # pursue
        attrs = {
            "segment": float(seg),
            "fit": lead.fit,
            "list_acv": lead.list_acv,
            "source": float(lead.source),
        }
        neutral_pursue = 1 if lead.fit >= self._min_fit else 0
        built: list[OptionTable] = []

        def terms() -> OptionTable:
            """Every deal-terms option of this lead as columns (built once, if a policy asks)."""
            if not built:
                built.append(self._full_table(lead, logit, cycle_mean))
            return built[0]

        def pursue_table() -> OptionTable:
            return terms().take(self._pursue_rows, self._pursue_effort)

        d = Decision(
            "pursue",
            now,
            "ae",
            ae,
            table_options(pursue_table, self._label_only_pursue),
            neutral_pursue,
            attrs,
            pursue_table,
        )
        if w.choose(d, lead.u[U_PURSUE]) == 0:
            w.market.orgs.reject(lead)  # finite market: the organisation cools off
            return
        # deal terms
        k = w.choose(
            Decision(
                "deal_terms",
                now,
                "ae",
                ae,
                table_options(terms, self._label_only_terms),
                self.neutral_term,
                attrs,
                terms,
            ),
            lead.u[U_TERMS],
        )
        t = self.terms[k]
        natural = now + lead.cycle_std * cycle_mean / w.company.deals.cycle_shape
        wd = w.workdays
        if wd is not None:  # the cycle advances on the AE's working days; the close falls in one
            natural = wd.cycle_end(ae, now, natural - now)
        discount = t.discount
        # close timing: decided two weeks before the quarter end, when the rep knows where
        # they stand (Oyer 1998; Larkin 2014), for deals whose natural close falls within two
        # weeks either side of that quarter end
        options: list[tuple[str, float, float]] = []
        decide_day = now
        if natural < w.end_day and wd is not None:  # the windows in working days (sim/time/workdays.py)
            options, decide_day = self._working_day_timing(ae, now, natural, discount)
        elif natural < w.end_day:  # a close after the horizon has no timing choice
            q_start, q_end = w.clock.quarter_bounds(natural)
            if natural >= q_end - WINDOW_DAYS:
                options = [("as_is", natural, discount), ("push", q_end + 1.0, discount)]
                decide_day = max(now, q_end - WINDOW_DAYS)
            elif natural < q_start + WINDOW_DAYS and q_start - 1.0 > now:
                pull = min(discount + w.behaviour.ae.pull_in_discount, 0.95)
                options = [("as_is", natural, discount), ("pull_in", q_start - 1.0, pull)]
                decide_day = max(now, q_start - WINDOW_DAYS)
        opp = Opportunity(
            lead,
            best,
            ae,
            discount,
            t.promise,
            t.overcommit,
            _sigmoid(logit + t.log_odds),
            now + cycle_mean,
            natural,
            now,
        )
        self.open[best] += 1
        self._refresh(best)
        self.opportunities_opened += 1
        if options:
            ev = w.env.timeout(max(decide_day - now, 0.0))
            ev.callbacks.append(lambda _ev: self._time_close(opp, t, options, attrs))
        else:
            self._schedule_close(opp)

    def _working_day_timing(
        self, ae: int, now: float, natural: float, discount: float
    ) -> tuple[list[tuple[str, float, float]], float]:
        """Close-timing options and decision day with a working-day calendar: the window is the last
        (first) ``period_end_working_days`` company working days of the quarter; a push closes on the
        AE's first working day of the next quarter, a pull-in on their last working day of the
        previous one (the deadline)."""
        w = self.world
        wd = w.workdays
        assert wd is not None
        q_start, q_end = w.clock.quarter_bounds(natural)
        late = wd.window_start(q_end)
        if natural >= late:
            push = wd.next_working(ae, wd.window_end(q_end, 1) - 1.0)
            return [("as_is", natural, discount), ("push", push, discount)], max(now, late)
        if natural < wd.window_end(q_start):
            pull_day = wd.last_working_before(ae, q_start)
            if pull_day > now:
                pull = min(discount + w.behaviour.ae.pull_in_discount, 0.95)
                return [("as_is", natural, discount), ("pull_in", pull_day, pull)], max(
                    now, wd.window_start(q_start)
                )
        return [], now

    def _p_win(self, lead: Lead, discount: float, t: TermOption) -> float:
        b = self.world.behaviour.ae
        return _sigmoid(
            self._lead_logit(lead.segment, lead.fit, lead.source)
            + discount * b.win_odds_per_discount
            + t.promise * b.win_odds_per_promise
            + t.overcommit * b.win_odds_per_overcommit
        )

    def _schedule_close(self, opp: Opportunity) -> None:
        w = self.world
        ev = w.env.timeout(max(opp.close_day - w.env.now, 0.0))
        ev.callbacks.append(lambda _ev: self._close(opp))

    def _time_close(
        self,
        opp: Opportunity,
        t: TermOption,
        options: list[tuple[str, float, float]],
        attrs: dict[str, float],
    ) -> None:
        """The close-timing decision, taken two weeks before the quarter end."""
        w = self.world
        now = w.env.now
        if self.person[opp.seat] != opp.ae or not self.active[opp.seat]:
            self._schedule_close(opp)  # the rep left; _close drops the opportunity
            return
        lead = opp.lead
        natural = opp.close_day
        topts = [(label, disc, day, self._p_win(lead, disc, t)) for label, day, disc in options]

        def timing_table() -> OptionTable:
            k = self.terms.index(t)
            pulled = options[-1][0] == "pull_in"
            return self._term_table(
                lead,
                np.array([x[1] for x in topts]),
                self.t_promise[[k, k]],
                self.t_overcommit[[k, k]],
                np.array([max(x[2] - now, 0.0) for x in topts]),
                np.array([x[3] for x in topts]),
                base=self._timing_base(lead, k, pulled),
            )

        labels = tuple(Option(x[0], (), 0.0, x[2] - natural) for x in topts)
        j = w.choose(
            Decision(
                "close_timing",
                now,
                "ae",
                opp.ae,
                table_options(timing_table, labels),
                0,
                {**attrs, "natural_close_day": natural, "alternative_close_day": options[-1][1]},
                timing_table,
            ),
            lead.u[U_TIMING],
        )
        _, close, discount = options[j]
        opp.discount = discount
        opp.p_win = topts[j][3]
        opp.close_day = close
        self._schedule_close(opp)

    def _base_data(
        self, segment: int, fit: np.ndarray, discount: np.ndarray, promise: np.ndarray, nonpay: np.ndarray
    ) -> np.ndarray:
        """The fields a deal's credits share whatever the measure and the day (terms, timing, risks:
        ``sim.decisions.FIELDS``), as ``[fit, field, option]`` for the fits and term arrays given:
        the implementation's success probability and the first renewal's churn probability follow
        the value the account is expected to get (fit, neutral quality, the promise gap)."""
        w = self.world
        seg = w.seg[segment]
        cc = w.company.customers
        gap = 0.5 * w.behaviour.ae.promise_health_gap * promise
        healthy = (
            cc.starting_health_mean
            + cc.health_per_fit * (fit - 0.5)
            + cc.health_per_quality * (w.neutral_quality - 0.8)
        )
        value = np.clip(np.clip(healthy, 0.0, 1.0)[:, None] - gap, 0.0, 1.0)
        start = np.clip(value - gap, 0.0, 1.0)
        success = w.success_probabilities(start, value)
        increase = renewal_price_increase(discount, cc.deep_discount)
        churn = renewal_churn_probability(
            seg.annual_churn, seg.contract_term_months, value, increase, cc.renewal_health_sensitivity,
            cc.renewal_price_sensitivity,
        )  # fmt: skip
        cash_lag, cash_spread, _ = self._cash[segment]
        one = OutcomeColumn.build(
            "", len(discount), discount=discount, renewal_delay_days=seg.contract_term_months * 30.4375,
            cash_delay_days=cash_lag + cash_spread / 2, failure_probability=w.neutral_failure,
            non_payment_probability=nonpay, term_months=seg.contract_term_months,
        ).data  # fmt: skip
        out = np.repeat(one[None], len(fit), axis=0)
        out[:, ROW["success_probability"]] = success
        out[:, ROW["churn_probability"]] = churn
        return out

    def neutral_outlook(self, segment: int, fit: float) -> tuple[float, float]:
        """(implementation success probability, first-renewal churn probability) of a deal on the
        neutral terms (for an SDR valuing a meeting)."""
        col = self._full_base[segment][round(fit * FIT_GRID)][:, self.neutral_term]
        return float(col[ROW["success_probability"]]), float(col[ROW["churn_probability"]])

    def _term_table(
        self,
        lead: Lead,
        discount: np.ndarray,
        promise: np.ndarray,
        overcommit: np.ndarray,
        close_delay: float | np.ndarray,
        p_win: np.ndarray | None,
        base: np.ndarray | None = None,
    ) -> OptionTable:
        """What deals on these terms would credit to the AE (expected, from the true model): one
        column per measure the AE's plan pays on, one row per row of the term arrays
        (``sim.world.deal_outlook``); ``base``: the fields the credits share, when known."""
        w = self.world
        seg = w.seg[lead.segment]
        cust = w.company.customers
        n = len(discount)
        logit = math.nan
        if p_win is None:  # every deal-terms option: their log-odds shifts are precomputed
            logit = self._lead_logit(lead.segment, lead.fit, lead.source)
            p_win = self.t_log_odds
        go_live = w.implementation.expected_days(lead.segment, 1.0)
        full = discount is self.t_discount
        if isinstance(close_delay, np.ndarray):
            delay = close_delay
        else:
            key = (n, float(close_delay))
            delay = self._delays.get(key)  # type: ignore[assignment]
            if delay is None:
                delay = self._delays[key] = np.full(n, float(close_delay))
        renewal_delay = seg.contract_term_months * 30.4375
        cash_lag, cash_spread, cash_share = self._cash[lead.segment]
        nonpay = (
            self._full_nonpay
            if full
            else cust.non_payment_probability + cust.non_payment_per_overcommit * overcommit
        )
        if base is None:
            if full:
                base = self._full_base[lead.segment][round(lead.fit * FIT_GRID)]
            else:
                fit = np.array([round(lead.fit * FIT_GRID) / FIT_GRID])
                base = self._base_data(lead.segment, fit, discount, promise, nonpay)[0]
        data = np.empty((len(self._credits), base.shape[0], n))
        fill(
            self._credits, base, float(lead.list_acv), discount, overcommit, logit, p_win, delay,
            float(go_live), float(w.success_days), renewal_delay, float(cash_lag), float(cash_spread),
            float(cash_share), data,
        )  # fmt: skip
        return OptionTable.of_stacked(data, self._credit_measures, self._zeros(n))

    def _full_table(self, lead: Lead, logit: float, close_delay: float) -> OptionTable:
        """Every deal-terms option of ``lead`` as an option table (:meth:`_term_table` of the full
        table of terms, closing ``close_delay`` days from now)."""
        s = lead.segment
        n = len(self.terms)
        delay = self._delays.get((n, close_delay))
        if delay is None:
            delay = self._delays[(n, close_delay)] = np.full(n, close_delay)
        data = np.empty((len(self._credits), _N_FIELDS, n))
        cash_lag, cash_spread, cash_share = self._cash[s]
        fill(
            self._credits, self._full_base[s][round(lead.fit * FIT_GRID)], lead.list_acv, self.t_discount,
            self.t_overcommit, logit, self.t_log_odds, delay, self.world.implementation.expected_days(s, 1.0),
            self._success_days, self._renewal_delay[s], cash_lag, cash_spread, cash_share, data,
        )  # fmt: skip
        return OptionTable.of_stacked(data, self._credit_measures, self._zeros(n))

    def _zeros(self, n: int) -> np.ndarray:
        """No effort for ``n`` options (one array per size, never written)."""
        got = self._no_effort.get(n)
        if got is None:
            got = self._no_effort[n] = np.zeros(n)
        return got

    def _timing_base(self, lead: Lead, k: int, pulled: bool) -> np.ndarray:
        """The base data of a close-timing table for term option ``k``: the deal as it stands, and
        either the same deal pushed or the deal pulled in at the extra discount."""
        g = round(lead.fit * FIT_GRID)
        full = self._full_base[lead.segment][g]
        other = self._pulled_base[lead.segment][g] if pulled else full
        return np.stack([full[:, k], other[:, k]], axis=1)

    def _term_columns(
        self,
        lead: Lead,
        discount: np.ndarray,
        promise: np.ndarray,
        overcommit: np.ndarray,
        close_delay: float | np.ndarray,
        p_win: np.ndarray | None,
    ) -> tuple[OutcomeColumn, ...]:
        """The columns of :meth:`_term_table`."""
        return self._term_table(lead, discount, promise, overcommit, close_delay, p_win).columns

    def _close(self, opp: Opportunity) -> None:
        w = self.world
        if self.person[opp.seat] != opp.ae:
            w.market.orgs.reject(opp.lead)  # finite market: the organisation cools off
            return  # the rep left and was replaced; the opportunity was lost
        self.open[opp.seat] -= 1
        self._refresh(opp.seat)
        if not self.active[opp.seat]:
            w.market.orgs.reject(opp.lead)
            return  # the rep left; the opportunity is lost
        if opp.lead.u[U_WIN] >= opp.p_win:
            w.market.orgs.reject(opp.lead)
            return
        w.new_customer(opp)

    # ------------------------------------------------------------------ expansion deals
    def expansion_deal(self, cust: int, kind: str, acv_cents: int, p_win: float, u: float) -> None:
        """An upsell/cross-sell opportunity on an account closes now (won when ``u < p_win``)."""
        w = self.world
        book = w.book
        if book.status[cust] not in (IMPLEMENTING, LIVE) or u >= p_win or acv_cents <= 0:
            return
        deal = w.ledger.new_deal_id()
        now = w.env.now
        credited = w.crediting[kind]
        ae = int(book.ae[cust])
        csm = int(book.csm[cust])
        seg = int(book.segment[cust])
        amount = acv_cents / 100.0
        src = 1 + int(book.source[cust])
        code = CREDITED_CODE[credited]
        term = int(book.term_months[cust])
        w.ledger.add(
            K.booking, now, amount, cust, deal, ae, csm, segment=seg, deal_kind=DEAL_KIND_CODE[kind],
            source=src, list_price=amount, term_months=term, credited=code, forecast_day=now,
        )  # fmt: skip
        w.ledger.add(
            K.arr_upsell if kind == "upsell" else K.arr_cross_sell, now, amount, cust, deal, ae, csm,
            segment=seg, deal_kind=DEAL_KIND_CODE[kind], source=src, credited=code,
        )  # fmt: skip
        book.arr_cents[cust] += acv_cents
        book.list_arr_cents[cust] += acv_cents
        w.invoice(cust, acv_cents, deal, 2)

    # ------------------------------------------------------------------ people
    def _seat_refilled(self, old: int, new: int) -> None:
        """The replacement inherits the departed AE's accounts."""
        book = self.world.book
        ae = book.ae[: book.n]
        ae[ae == old] = new
