"""Outputs written in pieces (the back-test's payout lines, plan by plan) are still atomic: the
file appears whole when the writing ends, and a failure leaves the old file and no temp file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.files import atomic_writer
from sim.plans.backtest import price_plan, read_deals
from sim.plans.deal_ledger import deals_to_events
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parent.parent.parent
PLANS = REPO / "tests" / "plans" / "data" / "seed-plans.yaml"
SAMPLE = REPO / "scenarios" / "data" / "sample-deals.csv"


def test_pieces_arrive_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with atomic_writer(target) as fh:
        fh.write(b"one\n")
        assert not target.exists()  # nothing visible until the block ends
        fh.write(b"two\n")
    assert target.read_bytes() == b"one\ntwo\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_failure_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_writer(target) as fh:
        fh.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_backtest_lines_of_every_plan_in_one_file(tmp_path: Path) -> None:
    out = tmp_path / "lines.csv"
    assert main(["backtest", str(SAMPLE), "--scenario", str(PLANS), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("plan,person,name,") == 1  # one header, whatever the plans
    frame = pd.read_csv(out)
    scenario = load_scenario(PLANS)
    led = deals_to_events(read_deals(SAMPLE), scenario.company.fiscal_year_start_month)
    for plan in scenario.plans:
        mine = frame[frame["plan"] == plan.name]
        lines = price_plan(led, plan).lines
        assert len(mine) == len(lines)
        assert mine["amount"].to_numpy() == pytest.approx([x.amount for x in lines])
        assert (mine["reason"].fillna("").tolist()) == [x.reason for x in lines]
