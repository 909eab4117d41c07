"""The moments, exactly: hand-made histories with known answers, and a simulated history read as a
CRM export agreeing with the replication's own numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.api import resolve_scenario
from sim.calibrate.crm import (
    ARR_COLUMNS,
    OPPORTUNITY_COLUMNS,
    PEOPLE_COLUMNS,
    Crm,
    empty_frame,
    fiscal_quarter_start,
)
from sim.calibrate.moments import MomentSpec, moments, win_regression
from sim.calibrate.points import hide_cells
from sim.calibrate.simulated import OpportunityLog, crm_of
from sim.ledger import rows_of
from sim.policy import make_policy
from sim.replication import simulate
from tests.calibrate.company import BASE, SMALL

D = np.datetime64


def _opps(rows: list[tuple]) -> pd.DataFrame:
    cols = list(OPPORTUNITY_COLUMNS)
    return pd.DataFrame(rows, columns=cols).astype(OPPORTUNITY_COLUMNS)


def _crm(opps: pd.DataFrame, arr: pd.DataFrame | None = None, people: pd.DataFrame | None = None) -> Crm:
    arr = arr if arr is not None else empty_frame(ARR_COLUMNS)
    people = people if people is not None else empty_frame(PEOPLE_COLUMNS)
    return Crm(opps, arr, people, 2, D("2025-02-01"), D("2026-05-01"))


def _row(i: int, won: bool, closed: str, discount: float, amount: float = 10_000.0, owner: str = "ae:1",
         created: str = "2025-01-15", kind: str = "new", account: str = "") -> tuple:  # fmt: skip
    return (f"O{i}", owner, account or f"A{i}", "smb", kind, won, amount, discount, D(created), D(closed),
            "outbound", 0.5, 12.0)  # fmt: skip


SPEC = MomentSpec(("smb",), (0.0, 0.1, 0.2), 0.1, quota_months=3, annual_quota=400_000.0, retention=True)


def test_fiscal_quarters_follow_the_fiscal_year() -> None:
    days = np.array(["2025-01-31", "2025-02-01", "2025-04-30", "2025-05-01"], dtype="datetime64[D]")
    assert fiscal_quarter_start(days, 2).astype(str).tolist() == ["2024-11-01", "2025-02-01", "2025-02-01",
                                                                  "2025-05-01"]  # fmt: skip


def test_deal_moments_have_their_definitions() -> None:
    rows = [
        _row(1, True, "2025-04-25", 0.1),  # last 14 days of the Feb-Apr quarter (6 days left), last 7 days
        _row(2, True, "2025-02-03", 0.2),  # first 14 days
        _row(3, False, "2025-03-10", 0.0),
        _row(4, False, "2025-03-11", 0.1),
        _row(5, True, "2025-03-20", 0.0),
        _row(6, True, "2024-12-20", 0.0),  # closed before the window: not counted
    ]
    m = moments(_crm(_opps(rows)), SPEC)
    assert m["win_rate.smb"] == pytest.approx(3 / 5)
    assert m["opportunities_per_month.smb"] == pytest.approx(5 / 15)
    assert m["discount_share.0"] == pytest.approx(2 / 5) and m["discount_share.0.2"] == pytest.approx(1 / 5)
    assert "discount_share.0.1" not in m  # the most common (neutral) option is implied
    assert m["late_close_share"] == pytest.approx(1 / 3) and m["early_close_share"] == pytest.approx(1 / 3)
    assert m["quarter_end_discount_gap"] == pytest.approx(0.1 - 0.1)
    assert m["cycle_days.smb"] == pytest.approx(np.mean([100, 19, 64]))
    discounts = np.array([0.1, 0.2, 0, 0.1, 0])
    assert m["log_list_acv.smb"] == pytest.approx(np.mean(np.log(10_000 / (1 - discounts))))
    # 2025-04-25 is day 83 of an 89-day quarter: week 12; the 13th holds days 84 on
    assert m["close_week.12"] == pytest.approx(1 / 3) and m["close_week.01"] == pytest.approx(1 / 3)


def test_attainment_is_per_person_and_whole_period() -> None:
    people = pd.DataFrame(
        [("ae:1", "ae", D("2024-01-01"), pd.NaT, np.nan), ("ae:2", "ae", D("2025-03-01"), pd.NaT, 200_000.0)],
        columns=list(PEOPLE_COLUMNS),
    ).astype(PEOPLE_COLUMNS)
    rows = [_row(1, True, "2025-03-01", 0.0, amount=104_000.0), _row(2, True, "2025-06-01", 0.0, 95_000.0),
            _row(3, True, "2025-06-02", 0.0, 51_000.0, owner="ae:2")]  # fmt: skip
    m = moments(_crm(_opps(rows), people=people), SPEC)
    # ae:1 (plan quota 100k a quarter): Feb-Apr 1.04, May-Jul 0.95, three more quarters at 0;
    # ae:2 (own quota 50k a quarter) from May: 1.02, then three quarters at 0 -> 9 person-quarters
    assert m["attainment_above_quota"] == pytest.approx(2 / 9)
    assert m["attainment_below_quota"] == pytest.approx(1 / 9)
    assert m["attainment_bin.01"] == pytest.approx(6 / 9)
    assert m["aes_employed"] == pytest.approx((15 + 14) / 15)


def test_retention_uses_twelve_month_cohorts() -> None:
    months = pd.date_range("2025-02-01", periods=15, freq="MS")
    arr = []
    for k, m in enumerate(months):
        arr.append(("a", "smb", m, 100.0 if k < 12 else 0.0))  # churns after 12 months
        arr.append(("b", "smb", m, 100.0 + 10 * k))  # grows 10 a month
        arr.append(("c", "smb", m, 200.0 if k < 6 else 150.0))  # contracts
    a = pd.DataFrame(arr, columns=list(ARR_COLUMNS)).astype(ARR_COLUMNS)
    crm = _crm(_opps([_row(1, True, "2025-03-01", 0.0), _row(2, False, "2025-03-02", 0.0)]), arr=a)
    m = moments(crm, SPEC)
    then = [(100, 100 + 10 * t, 200 if t < 6 else 150) for t in range(3)]
    now = [(0, 100 + 10 * (t + 12), 150) for t in range(3)]
    grr = sum(sum(min(x, y) for x, y in zip(n, t, strict=True)) for n, t in zip(now, then, strict=True))
    base = sum(sum(t) for t in then)
    assert m["logo_churn.smb"] == pytest.approx(1 / 3)
    assert m["grr.smb"] == pytest.approx(grr / base)
    assert m["nrr.smb"] == pytest.approx(sum(sum(n) for n in now) / base)
    assert m["accounts_at_start.smb"] == 3


def test_the_win_regression_is_the_logistic_maximum_likelihood() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    n = 600
    disc = rng.choice([0.0, 0.1, 0.2, 0.3], n)
    fit = rng.uniform(0.2, 1.0, n)
    won = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 4 * disc + 2 * fit)))
    rows = [_row(i, bool(w), "2025-03-01", float(d)) for i, (w, d) in enumerate(zip(won, disc, strict=True))]
    o = _opps(rows)
    o["fit"] = fit
    got = win_regression(o, MomentSpec(("smb",), (0.0,), 0.0, fit=True))
    X = np.column_stack([np.ones(n), disc, fit])
    ref = sm.GLM(won.astype(float), X, family=sm.families.Binomial()).fit()
    assert got["win_logit.discount"] == pytest.approx(ref.params[1], rel=1e-6)
    assert got["win_logit.fit"] == pytest.approx(ref.params[2], rel=1e-6)


@pytest.fixture(scope="module")
def simulated() -> tuple:
    sc = resolve_scenario(BASE, SMALL)
    log = OpportunityLog(make_policy(sc, "conventional"), sc.behaviour.ae.pull_in_discount)
    kept = simulate(sc, "conventional", 0, policy=log, keep_ledger=True)
    return sc, log, kept


def test_noting_opportunities_changes_nothing(simulated: tuple) -> None:
    sc, _, kept = simulated
    plain = simulate(sc, "conventional", 0)
    assert plain.metrics.keys() == kept.metrics.keys()
    for k, v in plain.metrics.items():
        assert v == kept.metrics[k] or (math.isnan(v) and math.isnan(kept.metrics[k])), k


def test_a_simulated_history_reads_as_the_replication_counted(simulated: tuple) -> None:
    sc, log, kept = simulated
    crm = crm_of(sc, "conventional", 0, kept.ledger or [], log)
    # month-end ARR of every account sums to the replication's ARR series (measured months)
    total = crm.arr.groupby("month")["arr"].sum()
    series = kept.timeseries["arr"]
    ends = total.loc[total.index >= crm.start].to_numpy()[: len(series) - 1]
    assert ends == pytest.approx(np.asarray(series[: len(ends)]), rel=1e-9)
    # every won new deal is a booking of the ledger; every opportunity opened is won or lost (or open)
    o = crm.opportunities
    bookings = [e for e in kept.ledger or [] if e.kind == "booking" and e.deal_kind == "new"]
    assert int((o["won"] & (o["type"] == "new")).sum()) == len(bookings)
    assert int((o["type"] == "new").sum()) <= len(log.opened)
    assert (o["closed"] >= o["created"]).all()
    assert set(crm.people["role"]) == {"ae"}


def test_a_history_reads_the_same_from_ledger_rows_as_from_events(simulated: tuple) -> None:
    """``crm_of`` takes the ledger as rows (what ``history`` keeps) or as events: one export."""
    sc, log, kept = simulated
    events = kept.ledger or []
    from_events = crm_of(sc, "conventional", 0, events, log)
    from_rows = crm_of(sc, "conventional", 0, rows_of(events), log)
    for a, b in zip(
        (from_events.opportunities, from_events.arr, from_events.people),
        (from_rows.opportunities, from_rows.arr, from_rows.people),
        strict=True,
    ):
        pd.testing.assert_frame_equal(a, b)
    assert len(from_rows.opportunities) > 50 and len(from_rows.arr) > 500


def test_a_history_and_its_moments_read_the_same_under_copy_on_write(simulated: tuple) -> None:
    """pandas 3 hands out read-only arrays (copy-on-write, pandas 2's opt-in mode): the export,
    its hidden cells and its moments must not write into a column's array, and read the same."""
    sc, log, kept = simulated
    spec = MomentSpec(("smb",), (0.0, 0.1, 0.2), 0.1, annual_quota=400_000.0, fit=True)
    missing = {"discount": 0.2, "fit": 0.2, "created": 0.2, "source": 0.2}

    def read() -> dict[str, float]:
        crm = crm_of(sc, "conventional", 0, rows_of(kept.ledger or []), log)
        hide_cells(crm.opportunities, missing, np.random.default_rng(5))
        return moments(crm, spec)

    plain = read()
    with pd.option_context("mode.copy_on_write", True):
        cow = read()
    assert plain.keys() == cow.keys() and len(plain) > 40
    for k, v in plain.items():
        assert v == cow[k] or (math.isnan(v) and math.isnan(cow[k])), k
