"""``incentsim sensitivity`` on the command line: outputs, refusals (exit 2, one line), the extra."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.explore.sensitivity import Sensitivity

FAKE = "explore_fakes:ishigami"


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def fake_world(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCENTSIM_REPLICATION_FN", FAKE)


def test_writes_a_results_folder_and_refuses_to_overwrite_it(
    ishigami_yaml: Path, tmp_path: Path, fake_world: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = [
        "sensitivity",
        str(ishigami_yaml),
        "--samples",
        "4",
        "--reps",
        "2",
        "--backend",
        "serial",
        "--out",
        str(out),
    ]
    assert main([*args, "--quiet"]) == 0
    for name in (
        "config.resolved.yaml",
        "sensitivity.yaml",
        "design.csv",
        "samples.parquet",
        "indices.csv",
        "best.csv",
        "robustness.csv",
        "flips.json",
        "report.html",
        "metadata.json",
    ):
        assert (out / name).is_file(), name
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 4 * 5 * 2 * 2  # trajectories x (4 + 1) points x plans x replications
    indices = pd.read_csv(out / "indices.csv")
    assert {"kind", "plan", "metric", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"} <= set(
        indices.columns
    )
    assert set(indices["kind"]) == {"value", "difference"}
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["method"] == "morris" and meta["points"] == 20
    loaded = Sensitivity.load(out)  # the notebook view of a folder: the same tables
    pd.testing.assert_frame_equal(loaded.indices, indices.fillna({"note": ""}), check_exact=False, rtol=1e-12)
    html = (out / "report.html").read_text()
    assert "Which plan is best" in html and "Where the ranking flips" in html and "Tornado" not in html[:100]
    # not empty: refused without --resume or --force
    assert main([*args, "--quiet"]) == 2
    assert "not empty" in _one_error(capsys)
    # a resume with other options: refused, naming the settings file
    assert main([*args[:3], "8", *args[4:], "--resume", "--quiet"]) == 2  # --samples 8
    assert "sensitivity.yaml" in _one_error(capsys)
    # a resume of a finished run computes nothing
    assert main([*args, "--resume", "--quiet"]) == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["computed"] == 0 and meta["loaded_from_checkpoints"] == 80
    # the terminal summary
    assert main([*args, "--force"]) == 0
    text = capsys.readouterr().out
    assert "b is best at" in text and "results:" in text


def test_the_command_prints_what_the_notebook_prints_of_the_result(
    ishigami_yaml: Path, tmp_path: Path, fake_world: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.explore.sensitivity import Sensitivity

    out = tmp_path / "out"
    args = ["sensitivity", str(ishigami_yaml), "--samples", "4", "--reps", "2", "--backend", "serial"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    text = str(Sensitivity.load(out)).splitlines()
    assert text[0].endswith("points x 2 plans x 2 replications") and len(text) >= 3
    assert printed[: len(text)] == text
    assert printed[len(text)] == f"results: {out}"


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--method", "sobol", "--samples", "50"], "power of two (e.g. 64), found 50"),
        (["--params", "behaviour.rationality_per_kusd,behaviour.risk_aversion_per_kusdd"], "did you mean"),
        (["--scheduler", "tcp://localhost:8786"], "--scheduler: only used with --backend dask"),
        (["--resume"], "needs --out DIR"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    ishigami_yaml: Path, extra: list[str], fragment: str, fake_world: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sensitivity", str(ishigami_yaml), "--backend", "serial", *extra]) == 2
    assert fragment in _one_error(capsys)


def test_a_scenario_without_uncertainties_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ishigami import ROOT

    path = tmp_path / "none.yaml"
    path.write_text(f"extends: {ROOT / 'tests/corpus/bases/minimal.yaml'}\nname: none\n")
    assert main(["sensitivity", str(path), "--backend", "serial"]) == 2
    assert "declares none" in _one_error(capsys)


def test_a_sample_point_that_breaks_a_cross_field_rule_exits_2(
    ishigami_yaml: Path, fake_world: None, capsys: pytest.CaptureFixture[str]
) -> None:
    text = ishigami_yaml.read_text() + (
        "  company.customers.detractor_health: {low: 0.3, high: 0.9, source: overlaps promoter_health}\n"
    )
    ishigami_yaml.write_text(text)
    assert main(["sensitivity", str(ishigami_yaml), "--backend", "serial", "--samples", "4"]) == 2
    line = _one_error(capsys)
    assert (
        "sample point" in line
        and "company.customers.detractor_health" in line
        and "narrow the ranges" in line
    )


def test_without_the_explore_extra_it_says_what_to_install(
    ishigami_yaml: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "SALib", None)  # as if not installed
    assert main(["sensitivity", str(ishigami_yaml)]) == 2
    line = _one_error(capsys)
    assert "pip install 'incentsim[explore]'" in line and "SALib" in line
