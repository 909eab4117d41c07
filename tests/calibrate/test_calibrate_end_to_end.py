"""``incentsim calibrate`` on a small synthetic export: what it writes, and the folder rules.

One small company (one segment, fifteen months) is simulated once for the module; the command
runs on its exports with few replications (the statistics are checked by the slow recovery test).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.api import resolve_scenario
from sim.calibrate.fit_table import FIT_COLUMNS
from sim.cli import main
from sim.files import FolderLock
from sim.scenario import Scenario, load_scenario
from tests.calibrate.company import BASE, SMALL


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Synthetic exports made by ``incentsim synthesize``, and the current-plan scenario as a file."""
    folder = tmp_path_factory.mktemp("exports")
    truth = resolve_scenario(BASE, SMALL | {"behaviour.rationality_per_kusd": 1.5, "experiment.seed": 77})
    (folder / "given-truth.yaml").write_text(yaml.safe_dump(truth.model_dump(mode="json"), sort_keys=False))
    assert main(["synthesize", str(folder / "given-truth.yaml"), "--out", str(folder)]) == 0
    plan = resolve_scenario(BASE, SMALL | {"company.segments.smb.base_win_rate": 0.2})
    (folder / "plan.yaml").write_text(yaml.safe_dump(plan.model_dump(mode="json"), sort_keys=False))
    return folder, folder / "plan.yaml"


def test_synthesize_writes_exports_and_refuses_to_overwrite_them(
    exports: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = exports
    o = pd.read_csv(folder / "opportunities.csv")
    assert {"Closed Won", "Closed Lost"} == set(o["Stage"])
    assert o["Discount"].isna().any() and o["Discount"].dropna().str.endswith("%").all()
    assert load_scenario(folder / "truth.yaml").behaviour.rationality_per_kusd == 1.5
    before = (folder / "accounts.csv").read_bytes()
    assert main(["synthesize", str(folder / "given-truth.yaml"), "--out", str(folder)]) == 2
    assert "exists; expected a new file (use --force" in capsys.readouterr().err
    assert (folder / "accounts.csv").read_bytes() == before


def _args(folder: Path, plan: Path, out: Path, *extra: str) -> list[str]:
    return [
        "calibrate",
        "--opportunities",
        str(folder / "opportunities.csv"),
        "--accounts",
        str(folder / "accounts.csv"),
        "--people",
        str(folder / "people.csv"),
        "--plan",
        str(plan),
        "--out",
        str(out),
        "--reps",
        "2",
        "--final-reps",
        "3",
        "--backend",
        "serial",
        "--behaviour",
        "behaviour.rationality_per_kusd",
        *extra,
    ]


@pytest.fixture(scope="module")
def calibrated(exports: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, plan = exports
    out = tmp_path_factory.mktemp("calibration") / "out"
    assert main(_args(folder, plan, out, "--quiet")) == 0
    return out


def test_it_writes_every_output(calibrated: Path) -> None:
    names = {p.name for p in calibrated.iterdir()}
    assert {
        "calibrated.yaml",
        "fit.csv",
        "estimates.csv",
        "uncertainties.yaml",
        "report.html",
        "calibration.json",
        "checkpoints",
    } <= names
    assert not [n for n in names if n.endswith(".tmp")]


def test_the_calibrated_scenario_extends_nothing_and_validates(
    calibrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load((calibrated / "calibrated.yaml").read_text())
    assert "extends" not in data
    assert main(["validate", str(calibrated / "calibrated.yaml")]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    sc = load_scenario(calibrated / "calibrated.yaml")
    assert sc.company.segments.mid_market.leads_per_month == 0  # a segment without deals is off
    assert sc.company.horizon_years == 1.25
    est = pd.read_csv(calibrated / "estimates.csv").set_index("path")
    assert sc.company.segments.smb.base_win_rate == pytest.approx(
        est.loc["company.segments.smb.base_win_rate", "value"]
    )
    assert sc.behaviour.rationality_per_kusd == pytest.approx(
        est.loc["behaviour.rationality_per_kusd", "value"]
    )


def test_fit_has_every_moment_with_intervals(calibrated: Path) -> None:
    fit = pd.read_csv(calibrated / "fit.csv")
    assert list(fit.columns) == list(FIT_COLUMNS)
    assert {
        "win_rate.smb",
        "discount_share.0",
        "late_close_share",
        "grr.smb",
        "attainment_above_quota",
    } <= set(fit["moment"])
    assert set(fit["role"]) == {"bridge", "behaviour", "distribution", "check"} - {"check"} | set(fit["role"])
    main = fit[fit["role"] != "distribution"].dropna(subset=["observed"])
    assert (main["observed_low"] <= main["observed"]).all() and (
        main["observed"] <= main["observed_high"]
    ).all()


def test_what_is_not_identified_is_an_uncertainty(calibrated: Path) -> None:
    block = yaml.safe_load((calibrated / "uncertainties.yaml").read_text())["uncertainties"]
    est = pd.read_csv(calibrated / "estimates.csv")
    unidentified = set(
        est.loc[~est["identified"] & est["stage"].isin(["direct", "bridged", "behaviour"]), "path"]
    )
    unidentified -= {p for p in unidentified if p not in block and est.set_index("path").loc[p, "value"] == 0}
    assert unidentified <= set(block)
    assert "behaviour.ae.effort_cost_kusd_per_opportunity" in block
    assert "company.customers.renewal_health_sensitivity" in block
    for path, u in block.items():
        assert u["low"] < u["high"] and u["source"], path
    if "uncertainties" in Scenario.model_fields:  # the scenario schema carries them (sensitivity)
        assert yaml.safe_load((calibrated / "calibrated.yaml").read_text())["uncertainties"] == block


def test_a_folder_that_is_not_empty_is_refused_and_resume_recomputes_nothing(
    exports: tuple[Path, Path], calibrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, plan = exports
    before = (calibrated / "calibrated.yaml").read_bytes()
    assert main(_args(folder, plan, calibrated)) == 2
    assert "folder exists and is not empty; use --resume, another --out or --force" in capsys.readouterr().err
    assert main(_args(folder, plan, calibrated, "--resume")) == 0
    out = capsys.readouterr().out
    assert "0 replications simulated" in out
    assert (calibrated / "calibrated.yaml").read_bytes() == before  # the same answer from the checkpoints
    assert main(_args(folder, plan, calibrated, "--resume", "--reps", "3")) == 2  # other settings
    assert "cannot resume: the inputs or settings differ" in capsys.readouterr().err


def test_a_locked_folder_is_refused(
    exports: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, plan = exports
    with FolderLock(tmp_path / "busy"):
        assert main(_args(folder, plan, tmp_path / "busy")) == 2
    assert "results folder is in use by process" in capsys.readouterr().err


def test_a_calibration_prints_what_the_command_prints(
    exports: tuple[Path, Path], calibrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.calibrate import Settings, calibrate

    folder, plan = exports
    sc = load_scenario(plan)
    cal = calibrate(
        folder / "opportunities.csv", folder / "accounts.csv", sc, folder / "people.csv", out=calibrated,
        settings=Settings(reps=2, final_reps=3, seed=sc.experiment.seed),
        behaviour=["behaviour.rationality_per_kusd"], resume=True,
    )  # fmt: skip
    text = str(cal)
    fit = cal.fit_table()
    moments = fit[fit["role"] != "distribution"]
    headline = f"{int(moments['within_ci'].sum())} of {len(moments)} moments within their 95% interval"
    assert headline in text.splitlines()[0]
    assert "behaviour.rationality_per_kusd" in text and "0 replications simulated" in text
    assert "\x1b[" not in text  # plain text, no escape codes
    name, dates = f"{sc.name}-calibrated", f"{cal.crm.start} - {cal.crm.end}"
    assert repr(cal) == f"<Calibration of {name}: Calibrated to {dates}: {headline}, {calibrated}>"
    assert main(_args(folder, plan, calibrated, "--resume")) == 0
    assert capsys.readouterr().out.startswith(text)
