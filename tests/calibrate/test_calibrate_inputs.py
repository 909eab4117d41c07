"""Reading CRM exports: bad input is one line per problem, exit 2, and nothing is written.

The corpus (tests/corpus/calibrate/) is a small valid export and, per bad case, the one file that
differs from it; each case runs the real command line and checks its exit code and message.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.history import load_history
from sim.calibrate.inputs import read_accounts, read_opportunities, read_people
from sim.cli import main
from sim.problems import ScenarioError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "calibrate"
PLAN = ROOT / "scenarios" / "base-company.yaml"

CASES = {
    "missing_column": (
        "opportunities.csv: row 1.close_date: expected a column 'close_date' (or one of closed_date, close, "
        "closed_at, or --map close_date=HEADER), found columns opportunity_id, opportunity_owner"
    ),
    "lost_deals_absent": (
        "opportunities.csv: outcome: expected won and lost new-business opportunities (win rates need both), "
        "found 22 won and 0 lost closed from 2025-02-01 to 2025-11-01; export closed-lost opportunities too"
    ),
    "dates_out_of_order": (
        "opportunities.csv: row 5.close_date: expected a date on or after created_date (2025-02-16), found "
        "'2025-02-07'"
    ),
    "segment_with_three_deals": (
        "opportunities.csv: segment enterprise: expected at least 10 closed new-business opportunities per "
        "segment (for its win rate, deal sizes and sales cycle), found 3 from 2025-02-01 to 2025-11-01; "
        "relabel or drop this segment's rows, or lower --min-deals"
    ),
}


def _case(name: str, tmp: Path) -> tuple[Path, Path]:
    """The valid export with the case's files laid over it, copied to ``tmp``."""
    for f in (CORPUS / "valid").iterdir():
        shutil.copy(f, tmp / f.name)
    if name != "valid":
        for f in (CORPUS / name).iterdir():
            shutil.copy(f, tmp / f.name)
    return tmp / "opportunities.csv", tmp / "accounts.csv"


def _cli(opps: Path, accounts: Path, out: Path, *extra: str) -> list[str]:
    return [
        "calibrate",
        "--opportunities",
        str(opps),
        "--accounts",
        str(accounts),
        "--plan",
        str(PLAN),
        "--out",
        str(out),
        "--min-deals",
        "10",
        *extra,
    ]


def test_the_valid_corpus_reads() -> None:
    crm = load_history(
        CORPUS / "valid" / "opportunities.csv",
        CORPUS / "valid" / "accounts.csv",
        load_scenario(PLAN),
        min_deals=10,
    )
    assert str(crm.start) == "2025-02-01" and str(crm.end) == "2025-11-01"
    assert crm.segments() == ["smb", "mid_market"]
    assert set(crm.new_business()["won"]) == {True, False}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opps, accounts = _case(case, tmp_path)
    out = tmp_path / "out"
    assert main(_cli(opps, accounts, out)) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: {tmp_path}/{CASES[case]}" or (
        case == "missing_column" and err[0].startswith(f"error: {tmp_path}/{CASES[case]}")
    ), err
    assert all(line.startswith("error: ") for line in err)
    assert "Traceback" not in "\n".join(err)
    assert not out.exists()  # read and checked before anything is written


def test_every_bad_row_is_reported(tmp_path: Path) -> None:
    text = (
        "Opportunity ID,Owner,Amount,Created Date,Close Date,Stage,Segment,Discount,Lead Source\n"
        "A,Ann,1000,2025-01-01,2025-02-01,Closed Won,SMB,10%,Inbound\n"
        "A,,12x,2025-01-01,2025-13-01,Maybe,Tiny,150%,Billboard\n"
    )
    path = tmp_path / "o.csv"
    path.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        read_opportunities(path)
    paths = exc.value.paths
    assert paths == [
        "row 3.id",
        "row 3.owner",
        "row 3.outcome",
        "row 3.amount",
        "row 3.discount",
        "row 3.close_date",
        "row 3.segment",
        "row 3.source",
    ]


def test_headers_are_matched_loosely_and_map_names_the_rest(tmp_path: Path) -> None:
    text = (
        "Deal ID;Rep;Net ACV (USD);Opened;Closed At;Result;Tier;Disc;Origin;ICP Fit\n"
        "D1;Ann;$9,000;03/01/2025;2025-04-15;Closed Won;Mid Market;15%;Customer Referral;0.7\n"
        "D2;Bob;4000;2025-03-02;2025-04-20;closed lost;smb;0.05;outbound;\n"
        "D3;Bob;5000;2025-03-02;2025-04-20;Negotiation;smb;0.05;outbound;\n"
    )
    path = tmp_path / "o.csv"
    path.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        read_opportunities(path)
    assert "row 1.amount" in exc.value.paths and "row 1.created_date" in exc.value.paths
    o = read_opportunities(
        path,
        {"amount": "Net ACV", "created_date": "Opened", "discount": "Disc", "opportunities.fit": "ICP Fit"},
    )
    assert list(o["id"]) == ["D1", "D2"]  # the open one is left out
    assert o["amount"].tolist() == [9000.0, 4000.0]
    assert o["discount"].tolist() == [0.15, 0.05]
    assert o["segment"].tolist() == ["mid_market", "smb"]
    assert o["source"].tolist() == ["referral", "outbound"]
    assert o["won"].tolist() == [True, False]
    assert o["fit"].iloc[0] == 0.7 and np.isnan(o["fit"].iloc[1])
    assert str(o["created"].iloc[0].date()) == "2025-03-01"


def test_a_map_to_a_header_that_is_not_there(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("id,owner,amount,created,close_date,stage\nA,Ann,1,2025-01-01,2025-01-02,won\n")
    with pytest.raises(ScenarioError) as exc:
        read_opportunities(path, {"amount": "Net ACV"})
    assert (
        exc.value.problems[0]
        .line()
        .endswith(
            "row 1.amount: expected a column 'Net ACV' (from --map), found columns id, owner, amount, "
            "created, close_date, stage"
        )
    )


def test_arr_events_become_monthly_arr(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "Account,Date,Event,Amount\n"
        "X,2025-01-10,new,1200\nX,2025-03-05,expansion,300\nX,2025-04-20,contraction,-500\n"
        "X,2025-06-01,churn,\nY,2025-02-01,new,100\nY,2025-05-01,renewal,150\n"
    )
    arr = read_accounts(path)
    x = arr[arr["account"] == "X"].set_index("month")["arr"]
    assert x.tolist() == [1200.0, 1200.0, 1500.0, 1000.0, 1000.0, 0.0]
    y = arr[arr["account"] == "Y"]["arr"].tolist()
    assert y == [100.0, 100.0, 100.0, 150.0, 150.0]


def test_monthly_arr_rows_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("account,month,arr\nX,2025-01,100\nX,2025-01,200\n,2025-02,-5\n")
    with pytest.raises(ScenarioError) as exc:
        read_accounts(path)
    assert exc.value.paths == ["row 3.month", "row 4.account", "row 4.arr"]


def test_people_leave_before_hire_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "Name,Role,Hire Date,Leave Date,Annual Quota\nAnn,Account Executive,2025-03-01,2025-02-01,\n"
    )
    with pytest.raises(ScenarioError) as exc:
        read_people(path)
    assert exc.value.paths == ["row 2.leave_date"]
    path.write_text("Name,Role,Hire Date,Leave Date,Annual Quota\nAnn,AE,2025-03-01,,900000\n")
    p = read_people(path)
    assert p["role"].tolist() == ["ae"] and p["quota"].tolist() == [900000.0] and pd.isna(p["leave"].iloc[0])


def test_the_command_without_its_extra_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "lifelines" else real(name, *a)
    )
    opps, accounts = _case("valid", tmp_path)
    assert main(_cli(opps, accounts, tmp_path / "out")) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: incentsim calibrate: (installation): needs lifelines; install the calibrate extra: "
        "pip install 'incentsim[calibrate]'"
    ]
