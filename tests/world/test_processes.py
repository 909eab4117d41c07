"""Unit tests of the world's processes on tiny hand-built books: renewal, implementation queue,
referrals, champion moves and tickets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from world_fixtures import tiny

from sim.policy import NeutralPolicy
from sim.policy.decisions import OptionTable
from sim.replication import build_world
from sim.rng import stream
from sim.scenario import Scenario
from sim.world.book import IMPLEMENTING, LIVE
from sim.world.lead import N_UNIFORMS, Lead, LeadColumns
from sim.world.model import World
from sim.world.rules import poisson_inv, renewal_churn_probability


def make_world(sc: Scenario, replication: int = 0) -> World:
    return build_world(sc, sc.plans[0], replication, NeutralPolicy())


def add_customers(
    w: World,
    n: int,
    *,
    health: float | np.ndarray = 0.6,
    segment: int = 0,
    arr_cents: int = 1_000_000,
    discount: float | np.ndarray = 0.0,
    end_month: int = 1,
) -> np.ndarray:
    b = w.book
    idx = b.add(n)
    b.arr_cents[idx] = arr_cents
    b.list_arr_cents[idx] = arr_cents
    b.segment[idx] = segment
    b.source[idx] = 0
    b.status[idx] = LIVE
    b.health[idx] = health
    b.value[idx] = health
    b.discount[idx] = discount
    b.term_months[idx] = 12
    b.contract_end_month[idx] = end_month
    b.golive_day[idx] = -1000.0
    b.quality[idx] = 1.0
    b.usage[idx] = 1.0
    b.renewals[idx] = 1
    for i in idx.tolist():
        b.deal[i] = w.ledger.new_deal_id()
    return idx


def quiet(**extra: object) -> Scenario:
    """A tiny company whose customers have no noise, no drift and no random extras."""
    base: dict[str, object] = {
        "company__customers__health_noise_per_month": 0.0,
        "company__customers__health_reversion_per_month": 0.0,
        "company__customers__usage_sd": 0.0,
        "company__customers__referrals_per_promoter_per_year": 0.0,
        "company__customers__references_per_promoter_per_year": 0.0,
        "company__champions__mean_tenure_years": 1000.0,
        "company__segments__smb__tickets_per_month": 0.0,
        "company__segments__smb__upsell_opportunities_per_year": 0.0,
        "company__segments__smb__cross_sell_opportunities_per_year": 0.0,
        "company__segments__smb__annual_expansion": 0.0,
        "company__segments__smb__annual_contraction": 0.0,
        "company__segments__smb__starting_customers": 0,
        "company__segments__mid_market__starting_customers": 0,
        "company__segments__enterprise__starting_customers": 0,
        "behaviour__csm__save_health_per_month": 0.0,
        "behaviour__csm__value_review_health_per_month": 0.0,
    }
    base.update(extra)
    return tiny(**base)


def to_month(w: World, m: int) -> None:
    w.env.run(until=float(w.calendar.month_starts[m]))


def market_days(w: World, m0: int, m1: int) -> None:
    """The market's business days from month ``m0``'s start to month ``m1``'s (leads delivered)."""
    for day in range(int(w.calendar.month_starts[m0]), int(w.calendar.month_starts[m1])):
        w.market.day(day)


def binomial_ok(k: int, n: int, p: float, z: float = 4.5) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return abs(k - n * p) <= z * sd + 1


# ------------------------------------------------------------------ renewal
@pytest.mark.parametrize("health", [0.2, 0.5, 0.85])
@pytest.mark.parametrize("discount", [0.0, 0.3])
def test_renewal_churn_follows_the_formula(health: float, discount: float) -> None:
    sc = quiet(company__segments__smb__annual_churn=0.15)
    w = make_world(sc, replication=int(health * 100 + discount * 10))
    n = 4000
    add_customers(w, n, health=health, discount=discount, end_month=1)
    to_month(w, 1)
    w.renewals.renewals(1)
    churned = sum(1 for e in w.ledger.events if e.kind == "arr_churn")
    cc = sc.company.customers
    inc = discount / (1 - discount) if discount >= cc.deep_discount else 0.0
    p = float(
        renewal_churn_probability(
            0.15, 12, health, inc, cc.renewal_health_sensitivity, cc.renewal_price_sensitivity
        )
    )
    assert binomial_ok(churned, n, p), (churned, n * p)
    renewed = [e for e in w.ledger.events if e.kind == "renewal"]
    assert len(renewed) == n - churned
    assert all(w.book.contract_end_month[e.customer] == 13 for e in renewed)


def test_churn_probability_moves_with_health_and_price() -> None:
    cc = tiny().company.customers

    def p(h: float, inc: float) -> float:
        return float(
            renewal_churn_probability(
                0.1, 12, h, inc, cc.renewal_health_sensitivity, cc.renewal_price_sensitivity
            )
        )

    assert p(0.5, 0.0) == pytest.approx(0.1)
    assert p(0.2, 0.0) > p(0.5, 0.0) > p(0.8, 0.0)
    assert p(0.5, 0.4) > p(0.5, 0.0)
    # log-odds are linear in health with slope -sensitivity
    lo = lambda x: math.log(x / (1 - x))  # noqa: E731
    assert lo(p(0.7, 0.0)) - lo(p(0.5, 0.0)) == pytest.approx(-0.2 * cc.renewal_health_sensitivity)


def test_deep_discount_not_repeated_erodes_or_uplifts_price() -> None:
    sc = quiet(company__segments__smb__annual_churn=0.0001)
    w = make_world(sc)
    add_customers(w, 500, health=0.5, discount=0.3, arr_cents=700_000)
    to_month(w, 1)
    w.renewals.renewals(1)
    ev = w.ledger.events
    up = [e for e in ev if e.kind == "arr_expansion"]
    cut = [e for e in ev if e.kind == "arr_price_erosion"]
    assert up and cut
    assert binomial_ok(len(up), len(up) + len(cut), 0.5)  # accept list price with probability = health
    assert all(e.amount == pytest.approx(7000 * 0.3 / 0.7, abs=0.01) for e in up)
    assert all(
        e.amount == pytest.approx(-7000 * sc.company.customers.price_erosion_share * 0.3, abs=0.01)
        for e in cut
    )


def test_unused_commitment_becomes_contraction_at_renewal() -> None:
    w = make_world(quiet(company__segments__smb__annual_churn=0.0001))
    idx = add_customers(w, 10)
    w.book.usage[idx] = 0.8
    to_month(w, 1)
    w.renewals.renewals(1)
    con = [e for e in w.ledger.events if e.kind == "arr_contraction"]
    assert len(con) == 10 and all(e.amount == pytest.approx(-2000.0) for e in con)


# ------------------------------------------------------------------ implementation queue
def _lead(segment: int = 0) -> Lead:
    return Lead(segment, 0, 0.6, 9000.0, 2.0, 4.0, 0.0, [0.5] * N_UNIFORMS)


def test_projects_wait_when_every_consultant_is_busy() -> None:
    sc = quiet(
        company__consultants__headcount=1,
        company__consultants__concurrent_projects=1,
        company__consultants__duration_shape=4.0,
        company__consultants__quality_noise_sd=0.0,
    )
    w = make_world(sc)
    idx = add_customers(w, 3)
    w.book.status[idx] = IMPLEMENTING
    w.book.cohort_day[idx] = 0.0
    for i in idx.tolist():
        w.implementation.start(i, _lead())  # impl_std = shape -> duration = implementation_days exactly
    w.env.run(until=100.0)
    d = sc.company.segments.smb.implementation_days
    assert w.implementation.waits == pytest.approx([0.0, d, 2 * d])
    lives = [e.day for e in w.ledger.events if e.kind == "go_live"]
    assert lives == pytest.approx([d, 2 * d, 3 * d])


def test_every_segments_expected_days_follow_the_queue_and_the_slots() -> None:
    sc = quiet(company__consultants__headcount=1, company__consultants__concurrent_projects=1)
    w = make_world(sc)
    team = w.implementation
    idx = add_customers(w, 4)
    w.book.status[idx] = IMPLEMENTING

    def each() -> list[float]:
        return [team.expected_days(s, 1.0) for s in range(len(w.segments.seg))]

    seen = []
    for i in idx.tolist():  # the first starts; the rest wait, each adding to the expected wait
        w.implementation.start(i, _lead())
        assert team.expected_days_all(1.0).tolist() == each()  # bit for bit
        seen.append(team.expected_days_all(1.0)[0])
    assert seen[0] < seen[1] < seen[2] < seen[3]
    team.grow([99])  # a second slot halves the wait
    assert team.expected_days_all(1.0).tolist() == each()
    assert team.expected_days_all(0.5).tolist() == [team.expected_days(s, 0.5) for s in range(len(each()))]


def test_more_slots_remove_the_wait() -> None:
    sc = quiet(company__consultants__headcount=3, company__consultants__concurrent_projects=1)
    w = make_world(sc)
    idx = add_customers(w, 3)
    w.book.status[idx] = IMPLEMENTING
    for i in idx.tolist():
        w.implementation.start(i, _lead())
    w.env.run(until=100.0)
    assert w.implementation.waits == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------ referrals
def test_promoters_refer_leads_at_the_configured_rate() -> None:
    rate = 1.2
    sc = quiet(company__customers__referrals_per_promoter_per_year=rate)
    w = make_world(sc)
    n = 3000
    idx = add_customers(w, n, health=0.9, end_month=99)
    add_customers(w, 1000, health=0.6, end_month=99)  # passives: never refer
    arrived: list[Lead] = []
    w.market.to_sales = arrived.append  # the AEs' inbox
    to_month(w, 1)
    w.accounts.month(1)
    dt = float(w.calendar.month_starts[1] - w.calendar.month_starts[0])
    refs = [e for e in w.ledger.events if e.kind == "referral"]
    expected = n * rate * dt / 365.25
    assert abs(len(refs) - expected) < 4.5 * math.sqrt(expected)
    assert {e.customer for e in refs} <= set(idx.tolist())
    market_days(w, 1, 2)
    assert len(arrived) == len(refs) and all(lead.source == 2 for lead in arrived)


# ------------------------------------------------------------------ champion moves
def test_champion_moves_shock_health_and_bring_a_warm_lead() -> None:
    sc = quiet(
        company__champions__mean_tenure_years=0.5,
        company__champions__health_shock=0.2,
        company__champions__warm_lead_probability=1.0,
    )
    w = make_world(sc)
    n = 4000
    add_customers(w, n, health=0.7, end_month=99)
    arrived: list[Lead] = []
    w.market.to_sales = arrived.append  # the AEs' inbox
    to_month(w, 1)
    w.accounts.month(1)
    moves = [e for e in w.ledger.events if e.kind == "champion_move"]
    dt = float(w.calendar.month_starts[1] - w.calendar.month_starts[0])
    assert binomial_ok(len(moves), n, 1 - math.exp(-dt / (365.25 * 0.5)))
    moved = np.array(sorted({e.customer for e in moves}))
    stayed = np.setdiff1d(np.arange(n), moved)
    assert np.allclose(w.book.health[moved], 0.5) and np.allclose(w.book.health[stayed], 0.7)
    market_days(w, 1, 2)
    assert len(arrived) == len(moves) and all(lead.source == 3 for lead in arrived)


# ------------------------------------------------------------------ tickets
@pytest.mark.parametrize("quality", [1.0, 2.0, 4.0])
def test_ticket_rate_scales_with_one_over_product_quality(quality: float) -> None:
    sc = quiet(company__segments__smb__tickets_per_month=3.0, company__support__product_quality=quality)
    w = make_world(sc)
    n = 2000
    add_customers(w, n, end_month=99)
    to_month(w, 1)
    w.accounts.month(1)
    tickets = [e for e in w.ledger.events if e.kind == "tickets"]
    assert len(tickets) == 1  # aggregated per month for the product team
    dt = float(w.calendar.month_starts[1] - w.calendar.month_starts[0])
    expected = n * 3.0 / quality * dt / 30.4375
    assert abs(tickets[0].amount - expected) < 4.5 * math.sqrt(expected)


def test_poisson_inversion_matches_the_poisson_mean_and_variance() -> None:
    rng = stream(1, 0, "test.poisson")
    u = rng.random(200_000)
    k = poisson_inv(u, np.full(u.shape, 2.5))
    assert k.mean() == pytest.approx(2.5, abs=0.03)
    assert k.var() == pytest.approx(2.5, abs=0.06)


# ------------------------------------------------------------------ CSM books
def test_books_are_assigned_by_segment_then_capacity() -> None:
    sc = tiny(company__csms__headcount=6, company__csms__max_accounts=30)
    w = make_world(sc)
    w.customers.seed(w.deal_terms.neutral_terms[0], w.sales.person)
    pools = w.cs.segment_of
    assert sorted(set(pools.tolist())) == [0, 1, 2]  # every segment gets a CSM
    b = w.book
    for i in range(b.n):
        csm = int(b.csm[i])
        assert csm >= 0
        k = int(w.cs.index_of[csm])
        if pools[k] != b.segment[i]:  # only when the segment's own CSMs are full
            own = np.flatnonzero(pools == b.segment[i])
            assert (w.cs.count[own] >= 30).all()
    assert w.cs.count.max() <= 30
    assert int(w.cs.count.sum()) == b.n


def test_waiting_for_go_live_costs_health() -> None:
    sc = quiet(company__customers__health_per_wait_month=0.03)
    w = make_world(sc)
    idx = add_customers(w, 2, health=0.6)
    w.book.status[idx] = IMPLEMENTING
    w.book.cohort_day[idx] = 0.0
    w.book.promise[idx] = [0.0, 1.0]
    to_month(w, 3)
    w.accounts.month(3)
    d = sc.company.segments.smb.implementation_days
    excess = float(w.calendar.month_starts[3]) - d
    gap = 0.5 * sc.behaviour.ae.promise_health_gap
    assert w.book.health[idx[0]] == pytest.approx(0.6 - 0.03 * excess / 30.4375)
    assert w.book.health[idx[1]] == pytest.approx(0.6 - gap - 0.03 * excess / 30.4375)


# ------------------------------------------------------------------ marketing volume
def test_marketing_volume_thins_one_common_lead_stream() -> None:
    from sim.policy.decisions import Decision

    class Volume(NeutralPolicy):
        def __init__(self, pick: int) -> None:
            self.pick = pick

        def choose(self, decision: Decision, u: float) -> int:
            return self.pick if decision.kind == "marketing_volume" else decision.neutral

    from sim.replication import simulate

    sc = tiny(
        company__segments__smb__leads_per_month=60.0,
        company__lead_sources__outbound=0.0,
        company__lead_sources__marketing=1.0,
    )
    low = simulate(sc, "base", 0, Volume(0), keep_ledger=True)  # volume 0.8
    high = simulate(sc, "base", 0, Volume(2), keep_ledger=True)  # volume 1.3
    assert low.ledger is not None and high.ledger is not None
    # a lead is known by its day and its list price (a continuous draw of its own)
    days_low = {(e.day, e.list_price) for e in low.ledger if e.kind == "lead"}
    days_high = {(e.day, e.list_price) for e in high.ledger if e.kind == "lead"}
    assert len(days_low) == sum(e.kind == "lead" for e in low.ledger)  # every lead told apart
    assert days_low < days_high  # the low-volume leads are a subset of the high-volume ones
    ratio = len(days_low) / len(days_high)
    assert abs(ratio - 0.8 / 1.3) < 0.08


# ------------------------------------------------------------------ close timing
class _Timing(NeutralPolicy):
    def __init__(self, label: str) -> None:
        self.label = label

    def choose(self, decision, u):  # type: ignore[no-untyped-def]
        if decision.kind == "close_timing":
            for i, o in enumerate(decision.options):
                if o.label == self.label:
                    return i
        return decision.neutral


def test_pulling_in_and_pushing_move_closes_to_the_quarter_edges() -> None:
    from sim.replication import simulate

    sc = tiny(company__segments__smb__leads_per_month=40.0)
    from sim.time.calendar import Calendar

    cal = Calendar(sc.company.fiscal_year_start_month, 15)
    starts = {float(cal.month_starts[q]) for q in range(0, 16, 3)}
    runs = {
        lbl: simulate(sc, "base", 2, _Timing(lbl), keep_ledger=True) for lbl in ("as_is", "pull_in", "push")
    }
    new = {k: [e for e in r.ledger if e.kind == "booking" and e.deal_kind == "new"] for k, r in runs.items()}
    at_edge = {k: [e for e in v if e.day + 1.0 in starts] for k, v in new.items()}
    after_edge = {k: [e for e in v if e.day - 1.0 in starts] for k, v in new.items()}
    pull = sc.behaviour.ae.pull_in_discount
    neutral = sc.behaviour.ae.neutral_discount
    assert at_edge["pull_in"] and not at_edge["as_is"]
    assert all(e.discount == pytest.approx(neutral + pull) for e in at_edge["pull_in"])
    assert after_edge["push"] and not after_edge["as_is"]
    assert runs["pull_in"].metrics["period_end_share"] > runs["as_is"].metrics["period_end_share"]
    assert runs["push"].metrics["period_end_share"] < runs["as_is"].metrics["period_end_share"]


# ------------------------------------------------------------------ deal options
def test_deal_term_options_describe_the_deal_in_measure_vocabulary() -> None:
    import copy

    from world_fixtures import TINY

    from sim.scenario import Scenario

    data = copy.deepcopy(TINY)
    comps = data["plans"][0]["ae"]["components"]
    for name, measure in (
        ("rev", "first_year_revenue"),
        ("cash", "cash_collected"),
        ("ok", "implementation_success_90d"),
        ("renew", "first_year_renewals"),
    ):
        comps.append({"name": name, "measure": measure, "rates": [{"from_attainment": 0, "rate": 0.01}]})
    sc = Scenario.model_validate(data)
    w = build_world(sc, sc.plans[0], 0)  # the incentive policy: it reads every measure the plan pays on
    st = w.sales
    lead = Lead(1, 2, 0.7, 30000.0, 2.0, 4.0, 0.0, [0.5] * N_UNIFORMS)  # mid-market referral lead
    tables = st.deal_terms.lead_tables(LeadColumns.of([lead]), np.array([st.person[0]]), 0.0)
    cols = tables.table(0).columns
    assert all(len(c.amount) == len(st.terms) for c in cols)
    table = OptionTable(cols, np.zeros(len(st.terms)))
    cycle = sc.company.segments.mid_market.sales_cycle_days * sc.company.deals.referral_cycle_multiplier
    rows = [table.outcomes(i) for i in range(len(st.terms))]
    assert len(rows) == len(st.terms)
    b = sc.behaviour.ae
    seg = sc.company.segments.mid_market
    base = (
        math.log(seg.base_win_rate / (1 - seg.base_win_rate))
        + sc.company.deals.win_odds_per_fit * (0.7 - seg.mean_fit)
        + sc.company.deals.referral_win_odds
    )
    for t, row in zip(st.terms, rows, strict=True):
        by = {o.measure: o for o in row}
        assert set(by) == {
            "bookings_acv",
            "first_year_revenue",
            "cash_collected",
            "implementation_success_90d",
            "first_year_renewals",
        }
        p = 1 / (
            1
            + math.exp(
                -(
                    base
                    + t.discount * b.win_odds_per_discount
                    + t.promise * b.win_odds_per_promise
                    + t.overcommit * b.win_odds_per_overcommit
                )
            )
        )
        bk = by["bookings_acv"]
        assert bk.amount == pytest.approx(30000 * (1 - t.discount) * (1 + t.overcommit))
        assert bk.probability == pytest.approx(p) and bk.delay_days == cycle and bk.discount == t.discount
        assert bk.term_months == 12 and 0 < bk.churn_probability < 1 and 0 < bk.success_probability <= 1
        rev = by["first_year_revenue"]
        assert rev.amount == pytest.approx(30000 * (1 - t.discount)) and rev.spread_days == 365.0
        assert rev.delay_days == pytest.approx(cycle + bk.go_live_delay_days)
        assert by["implementation_success_90d"].probability == pytest.approx(p * bk.success_probability)
        assert by["first_year_renewals"].probability == pytest.approx(p * (1 - bk.churn_probability))
    # promising more lowers expected success; deeper discounts past the deep line raise churn
    first = {(t.discount, t.promise, t.overcommit): row[0] for t, row in zip(st.terms, rows, strict=True)}
    assert first[(0.0, 1.0, 0.0)].success_probability < first[(0.0, 0.0, 0.0)].success_probability
    assert first[(0.3, 0.0, 0.0)].churn_probability > first[(0.1, 0.0, 0.0)].churn_probability
