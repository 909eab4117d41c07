"""Back-test of the sample CSV through the seed plans (a frozen copy in tests/plans/data/), with
hand arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.plans.backtest import BacktestResult, backtest, read_deals
from sim.scenario import ScenarioError, load_scenario


@pytest.fixture(scope="module")
def result(request: pytest.FixtureRequest) -> BacktestResult:
    root = Path(request.config.rootpath)
    scenario = load_scenario(root / "tests" / "plans" / "data" / "seed-plans.yaml")
    return backtest(read_deals(root / "scenarios" / "data" / "sample-deals.csv"), scenario)


def _pay(result: BacktestResult, who: str, plan: str) -> float:
    return result.people()[who][plan]


def test_sample_shape(result: BacktestResult) -> None:
    led = result.ledger
    assert len({n for n in led.names.values() if n.startswith("ae:")}) == 5
    # Fiscal year starts in February (base-company.yaml): Feb 2025 - Jan 2026, 365 days.
    assert led.calendar.date_of(0).isoformat() == "2025-02-01"
    assert led.fiscal_end_day == 365.0


def test_conventional_by_hand(result: BacktestResult) -> None:
    # Conventional AE plan: quota 1,000,000/yr -> 250,000 per fiscal quarter (Feb-Apr, May-Jul,
    # Aug-Oct, Nov-Jan); 10% up to quota, 15% above, on bookings ACV at booking.
    # Ana Lopez:
    #   Q1 120k + 95k + 60k = 275k -> 250k x 10% + 25k x 15% = 25,000 + 3,750 = 28,750
    #   Q2 180k + 140k = 320k      -> 25,000 + 70k x 15%                       = 35,500
    #   Q3 210k                    -> 210k x 10%                                = 21,000
    #   Q4 75k + 230k + 90k = 395k -> 25,000 + 145k x 15%                      = 46,750
    #   total 132,000
    assert _pay(result, "ae:Ana Lopez", "conventional") == pytest.approx(132_000.0)
    # Dana Smith: new 60k + 95k + 110k, cross-sells (credited to the AE) 35k + 50k + 45k, every
    # quarter under quota -> 395k x 10% = 39,500; her upsells (40k, 30k) go to the CSM.
    assert _pay(result, "ae:Dana Smith", "conventional") == pytest.approx(39_500.0)
    # The CSMs have no variable component that the CSV can move (book GRR needs book snapshots).
    assert _pay(result, "csm:Eve Martin", "conventional") == 0.0


def test_clawback_by_hand(result: BacktestResult) -> None:
    # Chen Wei, same rates as conventional:
    #   Q1 80k (Raven) + 130k (Sable, Apr 25) = 210k -> 21,000
    #   Q2 55k (Tundra) + 100k (Umber)        = 155k -> 15,500
    #   Q3 160k (Vertex) + 45k (Willow)       = 205k -> 20,500
    #   Q4 120k (Xenon) + 90k (Yarrow)        = 210k -> 21,000     total 78,000
    assert _pay(result, "ae:Chen Wei", "conventional") == pytest.approx(78_000.0)
    # Clawback plan (churn within 365 days, share 1): Raven churns 2025-11-30 (276 days after
    # 2025-02-27) -> -8,000; Tundra 2025-12-31 (215 days) -> -5,500; Vertex 2026-06-30 (305 days)
    # -> -16,000. Net 78,000 - 29,500 = 48,500.
    assert _pay(result, "ae:Chen Wei", "clawback") == pytest.approx(48_500.0)
    row = next(r for r in result.summary() if r["plan"] == "clawback")
    assert row["clawbacks_usd"] == pytest.approx(-29_500.0)


def test_pay_twice_by_hand(result: BacktestResult) -> None:
    # Crediting upsell and cross-sell to AE and CSM: Dana also earns on her upsells
    # 40k + 30k at 10% = +7,000 -> 46,500; CSM Eve Martin earns 5% on cross-sells
    # 35k (Birch) + 45k (Ember) = 80k -> 4,000.
    assert _pay(result, "ae:Dana Smith", "pay-twice-cross-sell") == pytest.approx(46_500.0)
    assert _pay(result, "csm:Eve Martin", "pay-twice-cross-sell") == pytest.approx(4_000.0)


def test_one_step_deeper_by_hand(result: BacktestResult) -> None:
    # 7% to quota, 11% above, plus 3% after 90 days of implementation success.
    # Chen books 780k, no quarter over quota: 780k x 7% = 54,600; success pay on every deal but
    # Tundra (implementation failed): (780k - 55k) x 3% = 21,750. Total 76,350.
    assert _pay(result, "ae:Chen Wei", "one-step-deeper") == pytest.approx(76_350.0)


def test_every_plan_pays_sensible_amounts(result: BacktestResult) -> None:
    for row in result.summary():
        assert 5.0 < float(row["variable_pct_of_bookings"]) < 15.0, row
        assert float(row["base_usd"]) > 500_000


def test_cli_prints_tables(
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    root = Path(request.config.rootpath)
    out = tmp_path / "lines.csv"
    code = main(
        [
            "backtest",
            str(root / "scenarios/data/sample-deals.csv"),
            "--scenario",
            str(root / "tests/plans/data/seed-plans.yaml"),
            "--out",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "Cost per plan" in text and "Winners and losers" in text and "132,000" in text
    assert out.read_text().startswith("plan,person,name,")


def test_csv_errors_exit_2(
    capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "ID, Owner ,Amount,Close Date,Type,Discount\n"
        "1,Ann,25x,2025-03-01,new,0.1\n"
        "2,Bob,1000,2025-03-01,barter,150%\n"
    )
    root = Path(request.config.rootpath)
    code = main(["backtest", str(bad), "--scenario", str(root / "tests/plans/data/seed-plans.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [
        f"error: {bad}: row 2.amount: expected an amount in dollars like 25000 or $25,000, found '25x'",
        f"error: {bad}: row 3.type: expected new, upsell, cross_sell or renewal, found 'barter'",
        f"error: {bad}: row 3.discount: expected a fraction in [0, 1) like 0.15, or a percentage like 15%, "
        "found '150%'",
    ]


def test_missing_column_and_lenient_headers(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("Deal ID,Rep,ACV,Closed Date\n1,Ann,100,2025-03-01\n")
    with pytest.raises(ScenarioError) as exc:
        read_deals(f)
    assert exc.value.paths == ["row 1.type"]
    f.write_text(
        "Deal ID,Rep,ACV ($),Closed Date,Opportunity Type,Discount %\n"
        '1,Ann,"$1,000",03/01/2025,New Business,15%\n'
    )
    (deal,) = read_deals(f)
    assert (deal.owner, deal.amount, deal.kind, deal.discount) == ("Ann", 1000.0, "new", 0.15)
