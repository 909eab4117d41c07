"""Billing and cash collection (``company.billing``, ``sim/world/billing.py``) and the cash metrics."""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from world_fixtures import TINY, tiny

from sim.ledger import Event
from sim.metrics import Observations, Tally, cash_metrics, cash_series
from sim.plans import compute_payouts
from sim.policy.neutral import NeutralPolicy
from sim.replication import build_world, simulate
from sim.scenario import Scenario
from sim.time.calendar import Calendar
from sim.world.billing import cash_outlook, collection_delay_days, split_cents
from sim.world.model import World

NO_RISK = {"non_payment_probability": 0.0, "non_payment_per_overcommit": 0.0}


def billed(
    freq: str = "monthly", plan: dict[str, Any] | None = None, years: float = 1.0, **billing: Any
) -> Scenario:
    """The tiny scenario with billing on, no first-invoice risk and no failed implementations."""
    data = copy.deepcopy(TINY)
    data["company"]["horizon_years"] = years
    data["company"]["billing"] = {"enabled": True, "frequency": freq, **billing}
    data["company"]["customers"] = dict(NO_RISK)
    data["company"]["consultants"]["failure_quality"] = 0.0
    if plan is not None:
        data["plans"][0]["ae"]["components"] = [plan]
    return Scenario.model_validate(data)


def run(sc: Scenario, rep: int = 0) -> tuple[World, list[Event]]:
    w = build_world(sc, sc.plans[0], rep, NeutralPolicy())
    w.run()
    return w, list(w.ledger.events)


# ------------------------------------------------------------------ pure pieces
@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10**10),
    st.integers(1, 60),
    st.sampled_from([1, 3, 12]),
)
def test_split_cents_bills_the_whole_period_to_the_cent(total: int, months: int, period: int) -> None:
    parts = split_cents(total, months, period)
    assert sum(c for _, c in parts) == total
    assert sum(m for m, _ in parts) == months
    assert len(parts) == math.ceil(months / period)
    assert all(0 < m <= period for m, _ in parts) and all(c >= 0 for _, c in parts)


def test_delay_distributions_have_their_mean() -> None:
    from sim.scenario.billing import Billing

    u = (np.arange(200_000) + 0.5) / 200_000  # a fine quadrature of the inverse CDF
    for dist in ("fixed", "exponential", "gamma"):
        cfg = Billing(collection_delay_distribution=dist, collection_delay_mean_days=12.0)
        d = collection_delay_days(u, cfg)
        assert d.mean() == pytest.approx(12.0, rel=2e-3), dist
    assert collection_delay_days(u, Billing(collection_delay_mean_days=0.0)).max() == 0.0


def test_cash_outlook_the_reps_value_cash_with() -> None:
    from sim.scenario.billing import Billing
    from sim.time.calendar import DAYS_PER_MONTH

    assert cash_outlook(Billing(), 12) == (30.0, 0.0, 1.0)  # off: the single invoice, next month start
    on = Billing(enabled=True, frequency="monthly", payment_terms_days=30, collection_delay_mean_days=10)
    assert cash_outlook(on, 12) == (40.0, 11 * DAYS_PER_MONTH, 1.0)
    lag, spread, share = cash_outlook(on.model_copy(update={"default_probability": 0.1}), 24)
    assert lag == 40.0
    assert spread == 23 * DAYS_PER_MONTH
    assert share == pytest.approx(2.0 * sum(0.9**j for j in range(1, 25)) / 24)
    annual = on.model_copy(update={"frequency": "annual_upfront"})
    assert cash_outlook(annual, 12)[1:] == (0.0, 1.0)


# ------------------------------------------------------------------ billing off = today
def test_billing_off_leaves_the_ledger_exactly_as_today() -> None:
    today = simulate(tiny(), "base", 3, NeutralPolicy(), keep_ledger=True)
    off = simulate(
        tiny(company__billing={"enabled": False, "frequency": "monthly", "default_probability": 0.5}),
        "base",
        3,
        NeutralPolicy(),
        keep_ledger=True,
    )
    assert today.ledger is not None and off.ledger is not None
    assert len(today.ledger) == len(off.ledger)
    assert today.ledger == off.ledger
    assert today.payouts == off.payouts
    assert all(today.metrics[k] == off.metrics[k] or math.isnan(today.metrics[k]) for k in today.metrics)
    assert not any(e.kind == "invoice" for e in off.ledger)


# ------------------------------------------------------------------ timing
def _settlements(ledger: list[Event]) -> tuple[dict[tuple[int, float], list[Event]], list[Event]]:
    invoices: dict[tuple[int, float], list[Event]] = defaultdict(list)
    for e in ledger:
        if e.kind == "invoice" and e.amount > 0:
            invoices[(e.customer, e.day)].append(e)
    return invoices, [e for e in ledger if e.kind == "cash"]


def test_zero_delay_variance_collects_exactly_at_terms() -> None:
    for mean in (0.0, 7.0):
        sc = billed(
            "monthly",
            payment_terms_days=30,
            collection_delay_distribution="fixed",
            collection_delay_mean_days=mean,
        )
        w, ledger = run(sc)
        invoices, cash = _settlements(ledger)
        assert len(cash) > 300
        for e in cash:
            assert e.day == (e.forecast_day + 30.0) + mean  # exactly at terms (+ the fixed delay)
            issued = invoices[(e.customer, e.forecast_day)]
            assert any(i.amount == e.amount and i.deal == e.deal for i in issued)
        # every invoice issued early enough was settled: paid, or voided / written off
        settled = sum(
            1 for e in ledger if e.kind in ("cash", "non_payment") or (e.kind == "invoice" and e.amount < 0)
        )
        early = sum(
            1 for e in ledger if e.kind == "invoice" and e.amount > 0 and e.day < w.clock.end_day - 30 - mean
        )
        assert settled >= early


def test_exponential_delay_has_the_configured_mean_lag() -> None:
    mean, terms = 20.0, 30.0
    sc = billed("monthly", years=2.0, payment_terms_days=terms, collection_delay_mean_days=mean)
    w, ledger = run(sc)
    horizon = w.clock.end_day - terms - 15 * mean  # invoices that cannot be censored by the end (P < 1e-6)
    lags = np.array(
        [e.day - e.forecast_day - terms for e in ledger if e.kind == "cash" and e.forecast_day < horizon]
    )
    assert len(lags) > 500
    assert lags.min() >= 0
    half = 3.3 * lags.std(ddof=1) / math.sqrt(len(lags))  # 99.9% interval
    assert abs(lags.mean() - mean) < half, (lags.mean(), half)
    assert lags.std(ddof=1) == pytest.approx(mean, rel=0.2)  # exponential: sd = mean


def test_monthly_and_annual_billing_collect_the_same_per_contract_year() -> None:
    kw: dict[str, Any] = {
        "payment_terms_days": 30,
        "collection_delay_distribution": "fixed",
        "collection_delay_mean_days": 5,
    }
    runs = {f: run(billed(f, years=2.0, **kw), rep=1) for f in ("annual_upfront", "monthly")}
    w = runs["monthly"][0]
    starts = w.calendar.month_starts
    renewals = [e for e in runs["monthly"][1] if e.kind == "renewal" and e.amount > 0]
    assert renewals == [e for e in runs["annual_upfront"][1] if e.kind == "renewal" and e.amount > 0]
    totals: dict[str, list[int]] = {}
    lags: dict[str, float] = {}
    checked = 0
    for f, (_, ledger) in runs.items():
        cash = [e for e in ledger if e.kind == "cash" and e.deal_kind == "renewal"]
        sums, lag_num, lag_den = [], 0.0, 0.0
        for r in renewals:
            m = w.clock.month_of(r.day)
            if m + r.term_months + 1 >= w.clock.total_months:
                continue  # the contract year (and its last payment) must end inside the run
            lo, hi = float(starts[m]), float(starts[m + r.term_months])
            mine = [e for e in cash if e.customer == r.customer and lo <= e.forecast_day < hi]
            sums.append(round(sum(e.amount for e in mine) * 100))
            lag_num += sum(e.amount * (e.day - r.day) for e in mine)
            lag_den += sum(e.amount for e in mine)
        totals[f] = sums
        lags[f] = lag_num / lag_den
        checked = len(sums)
    assert checked > 10
    assert totals["monthly"] == totals["annual_upfront"]  # to the cent
    for r_cents, paid in zip(
        [
            round(r.amount * 100)
            for r in renewals
            if w.clock.month_of(r.day) + r.term_months + 1 < w.clock.total_months
        ],
        totals["monthly"],
        strict=True,
    ):
        assert paid == r_cents  # the whole renewed ARR of the year, collected
    assert lags["annual_upfront"] == pytest.approx(35.0)
    assert lags["monthly"] > lags["annual_upfront"] + 120  # about 5.5 months later on average


# ------------------------------------------------------------------ defaults and clawbacks
def test_default_rate_matches_the_configured_probability() -> None:
    p = 0.04
    # both outcomes settle at the due date, so an earlier default voids paid and unpaid alike
    sc = billed(
        "monthly",
        default_probability=p,
        collection_delay_distribution="fixed",
        collection_delay_mean_days=0.0,
        default_recognised_after_days=0.0,
    )
    _, ledger = run(sc, rep=2)
    paid = sum(1 for e in ledger if e.kind == "cash")
    lost = sum(1 for e in ledger if e.kind == "non_payment")
    assert lost > 20
    assert stats.binomtest(lost, paid + lost, p).pvalue > 1e-3, (lost, paid + lost)
    # a defaulting customer is cancelled: nothing of it is collected afterwards
    gone = {e.customer: e.day for e in ledger if e.kind == "non_payment"}
    assert not any(e.kind == "cash" and e.customer in gone and e.day > gone[e.customer] for e in ledger)
    churned = {e.customer for e in ledger if e.kind == "arr_churn" and e.deal_kind == "non_payment"}
    assert set(gone) <= churned


def test_first_invoice_risk_of_the_company_still_applies() -> None:
    data = copy.deepcopy(TINY)
    data["company"]["billing"] = {"enabled": True, "frequency": "quarterly"}
    data["company"]["customers"] = {"non_payment_probability": 0.3, "non_payment_per_overcommit": 0.0}
    _, ledger = run(Scenario.model_validate(data), rep=4)
    lost = [e for e in ledger if e.kind == "non_payment"]
    assert lost and all(e.deal_kind in ("new", "expansion") for e in lost)  # default_probability is 0


def test_defaults_claw_back_the_closing_aes_commission() -> None:
    comp = {
        "name": "commission",
        "measure": "bookings_acv",
        "rates": [{"from_attainment": 0, "rate": 0.10}],
        "clawback": {"window_days": 365, "share": 1.0, "triggers": ["non_payment"]},
    }
    sc = billed("monthly", plan=comp, default_probability=0.05)
    w, ledger = run(sc, rep=5)
    pay = compute_payouts(ledger, sc.plans[0], w.calendar, start_day=0.0, end_day=w.clock.end_day)
    bookings = {e.deal: e for e in ledger if e.kind == "booking" and e.deal_kind == "new"}
    lines_by_deal: dict[int, list[Any]] = defaultdict(list)
    for x in pay.lines:
        if x.component == "commission":
            lines_by_deal[int(x.reason.split("deal ")[1].split(")")[0].split()[0])].append(x)
    hits = 0
    for e in ledger:
        if e.kind != "non_payment" or e.deal not in bookings:
            continue
        b = bookings[e.deal]
        lines = lines_by_deal[e.deal]
        back = [x for x in lines if x.amount < 0]
        if e.day - b.day <= 365:
            hits += 1
            assert len(back) == 1 and "non_payment" in back[0].reason
            assert back[0].person == b.ae and back[0].day == e.day  # the closing AE, when it defaults
            assert sum(x.amount for x in lines) == pytest.approx(0.0, abs=1e-6)  # share 1: all of it
            assert back[0].amount == pytest.approx(-0.10 * b.amount)
        else:
            assert not back
    assert hits >= 3
    clawed = sum(x.amount for x in pay.lines if x.amount < 0)
    assert clawed < 0


def test_cash_measure_pays_on_collection_and_not_on_renewal_cash() -> None:
    comp = {"name": "cash", "measure": "cash_collected", "rates": [{"from_attainment": 0, "rate": 0.05}]}
    sc = billed("quarterly", plan=comp, collection_delay_distribution="fixed", collection_delay_mean_days=10)
    w, ledger = run(sc, rep=6)
    pay = compute_payouts(ledger, sc.plans[0], w.calendar, start_day=0.0, end_day=w.clock.end_day)
    ae_deals = {e.deal for e in ledger if e.kind == "booking" and "ae" in e.credited}  # crediting rules
    sales_cash = [e for e in ledger if e.kind == "cash" and e.deal_kind != "renewal" and e.deal in ae_deals]
    assert sales_cash and any(e.deal_kind == "renewal" for e in ledger if e.kind == "cash")
    cash_lines = [x for x in pay.lines if x.component == "cash"]
    assert sum(x.amount for x in cash_lines) == pytest.approx(0.05 * sum(e.amount for e in sales_cash))
    by_day: dict[tuple[int, float], float] = defaultdict(float)
    for e in sales_cash:
        by_day[(e.ae, e.day)] += 0.05 * e.amount
    paid: dict[tuple[int, float], float] = defaultdict(float)
    for x in cash_lines:
        paid[(x.person, x.day)] += x.amount
    assert paid.keys() == by_day.keys()  # paid to the deal's AE on the day the cash arrives
    assert all(paid[k] == pytest.approx(v) for k, v in by_day.items())


# ------------------------------------------------------------------ metrics
def _obs(events: list[Event], warmup: int, total: int, invoiced: bool = True) -> Observations:
    cal = Calendar(1, total)
    plan = tiny().plans[0]
    tally = Tally.of(events, cal, plan, warmup, total, invoiced)
    return Observations(
        tally,
        cal,
        plan,
        warmup,
        total,
        [np.zeros(0, dtype=np.int64)] * (total + 1),
        [math.nan] * (total + 1),
        np.zeros(0),
        np.zeros(0, dtype=np.int8),
        0.75,
        0.45,
    )


def test_dso_and_collection_numbers_on_a_hand_ledger() -> None:
    # calendar from 2025-01-01: month 1 starts on day 31; window = months 1..12 = [31, 365)
    ev = [
        Event(10.0, "invoice", 800.0, customer=1),  # warm-up invoice, paid inside the window
        Event(41.0, "cash", 800.0, customer=1, forecast_day=10.0),
        Event(31.0, "invoice", 1000.0, customer=2),
        Event(61.0, "cash", 1000.0, customer=2, forecast_day=31.0),
        Event(100.0, "invoice", 2000.0, customer=3),
        Event(160.0, "cash", 2000.0, customer=3, forecast_day=100.0),
        Event(200.0, "invoice", 500.0, customer=4),
        Event(300.0, "non_payment", 500.0, customer=4, forecast_day=200.0),
        Event(340.0, "invoice", 400.0, customer=5),  # still open at the end
        Event(350.0, "invoice", -400.0, customer=5),  # a credit note voids it
    ]
    m = cash_metrics(_obs(ev, 1, 13))
    days = 396.0 - 31.0
    billed_w = 1000 + 2000 + 500 + 400 - 400
    area = 800 * 10 + 1000 * 30 + 2000 * 60 + 500 * 100 + 400 * 10  # dollar-days of receivables
    assert m["receivables_mean_usd"] == pytest.approx(area / days)
    assert m["dso"] == pytest.approx(area / billed_w)  # = mean receivables / (billed per day)
    assert m["collection_ratio"] == pytest.approx(3800 / billed_w)
    assert m["bad_debt_rate"] == pytest.approx(500 / billed_w)
    assert m["collection_days_mean"] == pytest.approx((800 * 31 + 1000 * 30 + 2000 * 60) / 3800)
    assert m["cash_collected_usd"] == pytest.approx(3800.0)  # one measured year
    assert m["collection_ratio_year1"] == pytest.approx(m["collection_ratio"])


def test_billing_off_tally_counts_bookings_as_invoices() -> None:
    ev = [
        Event(40.0, "booking", 1200.0, deal_kind="new"),
        Event(45.0, "booking", 999.0, deal_kind="renewal"),  # never billed per deal
        Event(59.0, "cash", 1200.0),
    ]
    m = cash_metrics(_obs(ev, 1, 13, invoiced=False))
    assert m["collection_ratio"] == 1.0
    assert m["dso"] == pytest.approx(19.0)
    assert math.isnan(m["collection_days_mean"])


@dataclass
class _Line:
    pay_month: int
    amount: float


@dataclass
class _Pay:
    lines: list[_Line]

    def paid_by_month(self, first: int, count: int) -> list[float]:
        paid = [0.0] * count
        for line in self.lines:
            if 0 <= line.pay_month - first < count:
                paid[line.pay_month - first] += line.amount
        return paid


def test_cash_balance_is_cumulative_cash_less_pay() -> None:
    ev = [Event(40.0, "cash", 1000.0), Event(70.0, "cash", 500.0), Event(10.0, "cash", 77.0)]
    pay = _Pay([_Line(1, 300.0), _Line(2, 100.0), _Line(2, -50.0), _Line(0, 999.0)])
    s = cash_series(_obs(ev, 1, 13), pay)
    assert s["cash_collected"][:3] == [1000.0, 500.0, 0.0]
    assert s["cash_balance"][:3] == [700.0, 1150.0, 1150.0]
    assert len(s["cash_balance"]) == 12


def test_world_cash_metrics_are_consistent() -> None:
    sc = billed("quarterly", default_probability=0.02)
    r = simulate(sc, "base", 0, NeutralPolicy())
    m = r.metrics
    assert 0.8 < m["collection_ratio"] <= 1.05  # a year's billing less what is still open at the end
    assert 0 < m["bad_debt_rate"] < 0.1
    # Little's law: DSO is close to the mean days an invoice stays open (terms 30 + delay 15)
    assert 35 < m["dso"] < 60 and 40 < m["collection_days_mean"] < 50
    ts = r.timeseries
    assert sum(ts["cash_collected"]) == pytest.approx(m["cash_collected_usd"] * 1.0)
    assert len(ts["cash_balance"]) == len(ts["arr"])


def test_billing_is_deterministic_and_keeps_payment_luck_positional() -> None:
    sc = billed("quarterly", default_probability=0.02)
    a = simulate(sc, "base", 1, NeutralPolicy(), keep_ledger=True)
    b = simulate(sc, "base", 1, NeutralPolicy(), keep_ledger=True)
    assert a.ledger == b.ledger and a.metrics["dso"] == b.metrics["dso"]
    # a starting customer's invoices are paid on the same days whatever the AEs are paid
    data = sc.model_dump()
    data["plans"][0]["ae"]["components"][0]["rates"] = [{"from_attainment": 0, "rate": 0.30}]
    a = simulate(sc, "base", 1, keep_ledger=True)  # the incentive policy: behaviour follows the plan
    other = simulate(Scenario.model_validate(data), "base", 1, keep_ledger=True)
    assert a.ledger is not None and other.ledger is not None
    assert a.ledger != other.ledger  # the plans are run differently

    def seeded(ledger: list[Event]) -> list[tuple[int, float, float]]:
        return [
            (e.customer, e.forecast_day, e.day)
            for e in ledger
            if e.kind == "cash" and e.customer < 60 and e.day < 200
        ]

    assert seeded(a.ledger) and seeded(a.ledger) == seeded(other.ledger)
