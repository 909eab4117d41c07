"""`incentsim run` end to end in a subprocess: exit codes, SIGKILL then --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from experiment_helpers import HERE, ROOT, SCENARIOS

from sim.experiment.runner import Runner
from sim.scenario import load_scenario

SCENARIO = f"""\
extends: {SCENARIOS / "base-company.yaml"}
name: cli-test
plans:
  - name: conventional
    based_on: conventional
  - name: richer
    based_on: conventional
    ae: {{base_salary_annual_usd: 110000}}
experiment:
  replications: 10
  batch_size: 10
  max_replications: 40
  precision: {{nrr: 1.0e-9}}
output:
  report: false
"""


def _env(fn: str = "experiment_fakes:replicate", sleep: str = "0.05") -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT), env.get("PYTHONPATH", "")])
    env["INCENTSIM_REPLICATION_FN"] = fn  # test-only hook
    env["FAKE_SLEEP"] = sleep
    return env


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", "run", *args]


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "cli.yaml"
    path.write_text(SCENARIO)
    return path


def _check_readable(folder: Path) -> None:
    """Every file under a final name parses completely."""
    for path in folder.rglob("*"):
        if path.is_dir() or path.name.endswith(".tmp"):
            continue
        if path.suffix == ".parquet":
            pq.read_table(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".yaml":
            assert yaml.safe_load(path.read_text())["name"] == "cli-test"
        elif path.suffix == ".csv":
            pd.read_csv(path)


def test_sigkill_then_resume_gives_identical_results(tmp_path: Path, scenario_file: Path) -> None:
    ref = tmp_path / "ref"
    sc = load_scenario(scenario_file)
    Runner(sc, replicate="experiment_fakes:replicate", backend="serial", out=ref).run()

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        _cmd(str(scenario_file), "--out", str(out), "--workers", "2", "--quiet"),
        env=_env("experiment_fakes:slow_replicate"),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.exists():
                _check_readable(out)
            chunks = list((out / "checkpoints").glob("chunk-*.parquet")) if out.exists() else []
            if len(chunks) >= 4:
                break
            assert proc.poll() is None, "run finished before it could be killed"
            time.sleep(0.01)
        else:
            pytest.fail("no checkpoints appeared")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker processes
        proc.wait()
    assert not (out / "replications.parquet").exists()
    _check_readable(out)

    args = [str(scenario_file), "--out", str(out), "--resume", "--backend", "serial", "--quiet"]
    resumed = subprocess.run(_cmd(*args), env=_env(), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    _check_readable(out)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["loaded_from_checkpoints"] > 0
    assert meta["loaded_from_checkpoints"] + meta["computed"] == 80
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "replications.parquet"),
        pd.read_parquet(ref / "replications.parquet"),
        check_exact=True,
    )
    assert (out / "comparison.csv").read_text() == (ref / "comparison.csv").read_text()
    assert not list(out.rglob("*.tmp"))


def _main(monkeypatch: pytest.MonkeyPatch, fn: str, *args: str) -> int:
    """``incentsim run`` in this process (fast) with a fake replication function."""
    from sim.cli import main

    monkeypatch.setenv("INCENTSIM_REPLICATION_FN", fn)
    return main(["run", *args])


def test_resume_with_other_config_exits_2(
    tmp_path: Path, scenario_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    args = [str(scenario_file), "--out", str(out), "--backend", "serial", "--quiet"]
    assert _main(monkeypatch, "experiment_fakes:replicate", *args) == 0
    capsys.readouterr()
    assert _main(monkeypatch, "experiment_fakes:replicate", *args, "--resume", "--seed", "5") == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "differs" in lines[0]
    # without --resume an existing folder is refused too
    assert _main(monkeypatch, "experiment_fakes:replicate", *args) == 2
    # the same configuration resumes (nothing left to compute)
    assert _main(monkeypatch, "experiment_fakes:replicate", *args, "--resume") == 0
    assert json.loads((out / "metadata.json").read_text())["computed"] == 0


def test_scenario_errors_exit_2(
    tmp_path: Path, scenario_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fn = "experiment_fakes:replicate"
    assert (
        _main(
            monkeypatch,
            fn,
            str(scenario_file),
            "--set",
            "company.horizon_years=-1",
            "--out",
            str(tmp_path / "x"),
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "company.horizon_years" in err and err.startswith("error: ")
    assert _main(monkeypatch, fn, str(tmp_path / "nope.yaml")) == 2
    assert "file not found" in capsys.readouterr().err
    assert _main(monkeypatch, fn, str(scenario_file), "--resume") == 2
    assert "--resume" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_failures_exit_1_and_name_them(
    tmp_path: Path, scenario_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "f"
    code = _main(
        monkeypatch,
        "experiment_fakes:failing_replicate",
        str(scenario_file),
        "--out",
        str(out),
        "--backend",
        "serial",
        "--reps",
        "4",
    )
    assert code == 1
    captured = capsys.readouterr()
    assert "richer#2" in captured.err.splitlines()[-1]
    assert "conventional" in captured.out  # the summary table is still printed
    assert json.loads((out / "failures.json").read_text())[0]["replication"] == 2


def test_subprocess_entry_point_runs_and_writes_the_report(tmp_path: Path, scenario_file: Path) -> None:
    out = tmp_path / "o"
    run = subprocess.run(
        _cmd(
            str(scenario_file),
            "--out",
            str(out),
            "--backend",
            "serial",
            "--reps",
            "3",
            "--set",
            "experiment.max_replications=3",
            "--set",
            "output.report=true",
            "--set",
            "output.plots=false",
        ),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "precision" in run.stdout and "incentsim: running 6 replications" in run.stderr
    assert f"report: {out / 'report.html'}" in run.stdout
    assert (out / "report.html").stat().st_size > 1000 and not (out / "plots").exists()


def test_redirected_output_keeps_every_column_whole(
    tmp_path: Path, scenario_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # capsys is not a terminal: rich would assume 80 columns and cut names ("conventio…")
    monkeypatch.setenv("COLUMNS", "80")
    out = tmp_path / "o"
    code = _main(monkeypatch, "experiment_fakes:replicate", str(scenario_file), "--out", str(out),
                 "--backend", "serial", "--reps", "4")  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "…" not in text
    for word in (
        "conventional (baseline)",
        "cost_of_sales",
        "payout per NRR point",
        "P(best NRR)",
        "richer vs",
    ):
        assert word in text, word
    assert json.loads((out / "metadata.json").read_text())["replications_per_plan"] == {
        "conventional": 4,
        "richer": 4,
    }  # --reps 4 means 4, although the scenario asks for a precision loop up to 40
