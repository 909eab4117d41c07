"""``incentsim optimise`` on the command line: kill -9 and resume, refusals (exit 2, one line)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ishigami import HERE, ROOT
from test_optimise import TOY

from sim.cli import main


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _complete(db: Path) -> list[tuple[int, float, float]]:
    """(number, lever value, value) of every complete trial."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=10) as con:
            return con.execute(
                "SELECT t.number, p.param_value, v.value FROM trials t "
                "JOIN trial_params p ON p.trial_id = t.trial_id "
                "JOIN trial_values v ON v.trial_id = t.trial_id "
                "WHERE t.state = 'COMPLETE' ORDER BY t.number"
            ).fetchall()
    except sqlite3.OperationalError:  # the study's tables are not created yet
        return []


def test_kill_9_mid_study_then_resume_without_repeating_finished_trials(tmp_path: Path) -> None:
    scenario = tmp_path / "toy.yaml"
    scenario.write_text(TOY)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "sim", "optimise", str(scenario), "--trials", "10", "--batch", "2"]
    args += ["--backend", "serial", "--confirm-reps", "2", "--top", "1", "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    proc = subprocess.Popen(args, env={**env, "INCENTSIM_REPLICATION_FN": "explore_fakes:slow_rate_world"})
    deadline = time.monotonic() + 120
    try:
        while len(_complete(out / "study.db")) < 3:
            assert proc.poll() is None, "the study ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    before = _complete(out / "study.db")
    assert 3 <= len(before) < 10
    assert not (out / "verdict.json").exists()
    resumed = subprocess.run(
        [*args, "--resume"], env={**env, "INCENTSIM_REPLICATION_FN": "explore_fakes:rate_world"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    after = _complete(out / "study.db")
    assert len(after) == 10
    assert after[: len(before)] == before  # finished trials kept, neither repeated nor changed
    numbers = [n for n, _p, _v in after]
    assert len(set(numbers)) == len(numbers)
    assert (out / "verdict.json").is_file() and (out / "best-plans.yaml").is_file()


def test_bad_levers_and_options_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TOY.replace("rates.0.rate:", "rates.0.rat:"))
    assert main(["optimise", str(bad), "--backend", "serial"]) == 2
    assert "did you mean 'rate'?" in _one_error(capsys)
    good = tmp_path / "good.yaml"
    good.write_text(TOY)
    for extra, fragment in (
        (["--objective", "nrrr"], "did you mean 'nrr'?"),
        (["--budget", "payout_share_of_booking<=0.12"], "did you mean 'payout_share_of_bookings'?"),
        (["--budget", "payout_cost<0.12"], "expected METRIC<=VALUE"),
        (["--robust", "q10"], "needs the scenario's uncertainties"),
        (["--min-reps", "4", "--max-reps", "2"], "max-reps >= min-reps"),
    ):
        assert main(["optimise", str(good), "--backend", "serial", *extra]) == 2, extra
        assert fragment in _one_error(capsys), extra
    none = tmp_path / "none.yaml"
    none.write_text(TOY.split("levers:")[0] + "experiment: {replications: 3, max_replications: 3}\n")
    assert main(["optimise", str(none), "--backend", "serial"]) == 2
    assert "levers" in _one_error(capsys)


def test_without_optuna_it_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(TOY)
    monkeypatch.setitem(sys.modules, "optuna", None)
    assert main(["optimise", str(good)]) == 2
    assert "pip install 'incentsim[explore]'" in _one_error(capsys)
