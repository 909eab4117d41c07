"""`incentsim run` against a new user's probes (issue 15): results folders that are files, busy
or already used, SIGTERM, unsafe scenario names, undefined numbers in the written tables."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiment_helpers import HERE, ROOT, SCENARIOS, make_scenario

from sim.cli import main
from sim.experiment.checkpoints import CheckpointStore
from sim.experiment.runner import default_out_dir
from sim.files import LOCK_FILE, FolderLock
from sim.formats import csv_text
from sim.results import Results

FAKE = "experiment_fakes:replicate"
ONE_PLAN = "  - name: conventional\n    based_on: conventional\n"

SCENARIO = f"""\
extends: {SCENARIOS / "base-company.yaml"}
name: NAME
plans:
  - name: conventional
    based_on: conventional
  - name: richer
    based_on: conventional
    ae: {{base_salary_annual_usd: 110000}}
experiment:
  replications: 3
  max_replications: 3
  precision: {{}}
output:
  report: false
"""


def _scenario(tmp_path: Path, name: str = "probe") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("NAME", json.dumps(name)), encoding="utf-8")
    return path


def _run(monkeypatch: pytest.MonkeyPatch, *args: str, fn: str = FAKE) -> int:
    monkeypatch.setenv("INCENTSIM_REPLICATION_FN", fn)
    return main(["run", *args, "--backend", "serial"])


def _strict(text: str) -> object:
    def no_constant(name: str) -> object:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=no_constant)


def test_a_busy_folder_is_refused_naming_the_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    with FolderLock(out):
        assert _run(monkeypatch, str(_scenario(tmp_path)), "--out", str(out), "--quiet") == 2
        err = capsys.readouterr().err
        assert err == (
            f"error: {out}: (folder): results folder is in use by process {os.getpid()} "
            f"(lock file {LOCK_FILE}); wait for it to finish or stop it\n"
        )
        assert _run(monkeypatch, str(_scenario(tmp_path)), "--out", str(out), "--resume", "--quiet") == 2
    assert [p.name for p in out.iterdir()] == [LOCK_FILE]  # nothing written by the refused runs
    # released: the run goes ahead (the lock file alone does not make the folder "not empty")
    assert _run(monkeypatch, str(_scenario(tmp_path)), "--out", str(out), "--quiet") == 0


def test_a_second_process_is_refused_while_a_run_holds_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "r"
    code = (
        f"import sys, time; sys.path[:0] = [{str(ROOT)!r}]\n"
        f"from sim.files import FolderLock\n"
        f"lock = FolderLock({str(out)!r}).acquire(); print('locked', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(Exception, match=f"in use by process {holder.pid}"):
            FolderLock(out).acquire()
    finally:
        holder.kill()
        holder.wait()
    FolderLock(out).acquire().release()  # the kernel dropped the dead holder's lock


def test_force_starts_over_and_resume_refuses_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    s = str(_scenario(tmp_path))
    out = tmp_path / "r"
    assert _run(monkeypatch, s, "--out", str(out), "--quiet") == 0
    assert _run(monkeypatch, s, "--out", str(out), "--quiet") == 2
    assert "--force" in capsys.readouterr().err
    (out / "checkpoints" / "old-marker").write_text("")
    assert _run(monkeypatch, s, "--out", str(out), "--quiet", "--force") == 0
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["computed"] == 6 and meta["loaded_from_checkpoints"] == 0
    assert not (out / "checkpoints" / "old-marker").exists()  # the old checkpoints are gone
    assert _run(monkeypatch, s, "--out", str(out), "--quiet", "--force", "--resume") == 2


def test_checkpoint_numbers_never_collide(tmp_path: Path) -> None:
    from experiment_fakes import replicate

    sc = make_scenario(ONE_PLAN)
    first, second = CheckpointStore(tmp_path), CheckpointStore(tmp_path)
    first.open()
    second.open()  # both think chunk 1 is next
    a = first.write([replicate(sc, "conventional", 0)], [0.1])
    b = second.write([replicate(sc, "conventional", 1)], [0.1])
    assert a is not None and b is not None and a != b
    assert set(first.load()) == {("conventional", 0), ("conventional", 1)}


@pytest.mark.parametrize("name", ["../../../x", "/srv/abs", "..", "a/b\\c", "\x1b[31m", "名前"])
def test_default_results_folder_stays_under_runs(name: str, tmp_path: Path) -> None:
    sc = make_scenario(ONE_PLAN).model_copy(update={"name": name})
    folder = default_out_dir(sc, tmp_path / "runs")
    assert folder.parent == tmp_path / "runs"
    assert folder.resolve().parent == (tmp_path / "runs").resolve()
    assert folder.name.isascii() and folder.name.isprintable() and not folder.name.startswith(".")


def test_scenario_name_with_markup_and_escapes_completes_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``x[/]`` used to raise MarkupError after the simulation (no report.html); ANSI went raw."""
    monkeypatch.chdir(tmp_path)
    name = "x[/] [bold red]Eve\x1b[31m ../../../up"
    code = _run(
        monkeypatch,
        str(_scenario(tmp_path, name)),
        "--set",
        "output.report=true",
        "--set",
        "output.plots=false",
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "\x1b" not in out and "x[/] [bold red]Eve\\x1b[31m" in out
    (folder,) = (tmp_path / "runs").iterdir()  # default folder under runs/, name sanitised
    assert (folder / "report.html").exists()
    assert _strict((folder / "metadata.json").read_text())["status"] == "complete"  # type: ignore[index]


def test_run_out_file_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file.txt"
    target.write_text("mine")
    assert _run(monkeypatch, str(_scenario(tmp_path)), "--out", str(target)) == 2
    assert capsys.readouterr().err == (
        f"error: {target}: (folder): expected a results folder, found a file; use another --out\n"
    )
    assert target.read_text() == "mine"


def test_undefined_numbers_are_empty_cells_and_null() -> None:
    df = pd.DataFrame({"plan": ["a", "b"], "variance_reduction": [math.inf, 2.0], "mean": [math.nan, 1.0]})
    text = csv_text(df)
    assert text.splitlines() == ["plan,variance_reduction,mean", "a,,", "b,2.0,1.0"]


def test_written_tables_hold_no_nan_or_inf(tmp_path: Path) -> None:
    """Plan b = plan a + a constant: the paired variance is 0, so variance_reduction is infinite in
    memory; comparison.csv shows an empty cell, metadata and failures are standard JSON."""
    sc = make_scenario(ONE_PLAN + "  - name: b\n    based_on: conventional\n")
    reps = pd.DataFrame(
        {
            "plan": ["conventional"] * 4 + ["b"] * 4,
            "replication": np.tile(np.arange(4), 2),
            "nrr": [1.0, 1.1, 0.9, 1.05, 1.01, 1.11, 0.91, 1.06],
            "collection_days_mean": [math.nan] * 8,
        }
    )
    res = Results(sc, reps, metadata={"x": math.nan}, failures=[{"error": "e", "value": math.inf}])
    assert np.isinf(res.comparison(["nrr"])["variance_reduction"]).all()
    res.write(tmp_path)
    for name in ("summary.csv", "comparison.csv"):
        text = (tmp_path / name).read_text()
        assert "inf" not in text and "nan" not in text.lower(), text
    comp = pd.read_csv(tmp_path / "comparison.csv")
    assert comp.loc[comp["metric"] == "nrr", "variance_reduction"].isna().all()
    summ = pd.read_csv(tmp_path / "summary.csv", keep_default_na=False)
    assert (summ.loc[summ["metric"] == "collection_days_mean", "mean"] == "").all()
    assert _strict((tmp_path / "failures.json").read_text()) == [{"error": "e", "value": None}]


def _env(fn: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT), env.get("PYTHONPATH", "")])
    env["INCENTSIM_REPLICATION_FN"] = fn
    env["FAKE_SLEEP"] = "0.05"
    return env


def test_sigterm_is_handled_like_ctrl_c_and_the_run_resumes(tmp_path: Path) -> None:
    s = _scenario(tmp_path)
    text = s.read_text().replace(
        "replications: 3\n  max_replications: 3", "replications: 20\n  max_replications: 20"
    )
    s.write_text(text)
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "sim", "run", str(s), "--out", str(out), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(
        cmd,
        env=_env("experiment_fakes:slow_replicate"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list((out / "checkpoints").glob("chunk-*.parquet")) if out.exists() else True:
            assert time.monotonic() < deadline, "no checkpoint appeared"
            assert proc.poll() is None, "run finished before it could be stopped"
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)  # the parent only, as a service manager does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "error: terminated (SIGTERM)"
    assert "leaked" not in err and "Traceback" not in err
    assert _strict((out / "metadata.json").read_text())["status"] == "interrupted"  # type: ignore[index]
    resumed = subprocess.run(
        [*cmd[:-3], "--resume", "--backend", "serial", "--quiet"],
        env=_env(FAKE),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    meta = _strict((out / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["loaded_from_checkpoints"] > 0  # type: ignore[index]
