"""The runner: precision loop, common random numbers (A/A), resume, failures, folder files."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from experiment_fakes import (
    PRECISION_SIGMA,
    ShuffledBackend,
    failing_replicate,
    interrupting_replicate,
    plan1_fails_replicate,
    precision_replicate,
    replicate,
)
from experiment_helpers import THREE_PLANS, make_scenario
from scipy import stats as sps

from sim.experiment.results import RunResults
from sim.experiment.runner import PRECISION_MAX, PRECISION_MET, RunFailed, Runner
from sim.files import atomic_write_text
from sim.results import Results
from sim.scenario import ScenarioError, with_overrides
from sim.scenario.experiment import METRICS

TWO_PLANS = """\
  - name: conventional
    based_on: conventional
  - name: other
    based_on: conventional
    ae: {base_salary_annual_usd: 110000}
"""


def expected_stop(start: int, batch: int, cap: int, amplitude: float, target: float, conf: float) -> int:
    """First n in start, start+batch, ... with t(conf, n-1) * amplitude / sqrt(n-1) <= target.

    The paired differences alternate +a, -a, so for even n their mean is 0 and their sample
    standard deviation is a * sqrt(n / (n - 1)); the half-width t * s / sqrt(n) is
    t * a / sqrt(n - 1).
    """
    n = start
    while True:
        t = sps.t.ppf(0.5 + conf / 2, n - 1)
        if t * amplitude / math.sqrt(n - 1) <= target or n >= cap:
            return n
        n = min(n + batch, cap)


def test_precision_loop_stops_at_the_t_formula_count() -> None:
    sc = make_scenario(
        TWO_PLANS, "  replications: 10\n  batch_size: 4\n  max_replications: 400\n  precision: {nrr: 0.005}"
    )
    res = Runner(sc, replicate=precision_replicate, backend="serial").run()
    n = expected_stop(10, 4, 400, PRECISION_SIGMA, 0.005, 0.95)
    assert 30 < n < 400  # the loop really had to add batches
    assert res.replications.groupby("plan").size().tolist() == [n, n]
    assert res.metadata["precision"]["status"] == PRECISION_MET
    assert res.metadata["precision"]["half_widths"]["nrr"] <= 0.005
    comp = res.comparison(["nrr"])
    assert comp["half_width"].iloc[0] == pytest.approx(
        sps.t.ppf(0.975, n - 1) * PRECISION_SIGMA / math.sqrt(n - 1)
    )


def test_precision_loop_count_does_not_depend_on_workers_or_order() -> None:
    # several workers: the tail of each round runs ahead into the next round
    sc = make_scenario(
        TWO_PLANS, "  replications: 10\n  batch_size: 4\n  max_replications: 400\n  precision: {nrr: 0.005}"
    )
    serial = Runner(sc, replicate=precision_replicate, backend="serial").run()
    backend = ShuffledBackend(3, seed=0)  # a deterministic order in which the last round ran ahead
    shuffled = Runner(sc, replicate=precision_replicate, backend=backend).run()
    pd.testing.assert_frame_equal(shuffled.replications, serial.replications, check_exact=True)
    n = len(serial.replications) // 2
    assert max(k for _p, k in backend.submitted) >= n  # work ahead of the last round was submitted


def test_nothing_runs_ahead_of_a_round_whose_complete_pairs_meet_the_target() -> None:
    # the paired NRR differences are far inside the target from the first pairs on, so the loop
    # stops after one round: work ahead of it would be discarded, and the run would wait for it
    sc = make_scenario(
        TWO_PLANS, "  replications: 10\n  batch_size: 4\n  max_replications: 400\n  precision: {nrr: 0.05}"
    )
    backend = ShuffledBackend(3, seed=0)
    res = Runner(sc, replicate=replicate, backend=backend).run()
    assert res.metadata["precision"]["rounds"] == 1
    assert sorted(backend.submitted) == sorted((p, k) for p in ("conventional", "other") for k in range(10))


def test_the_backend_closes_before_the_results_are_built_and_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # closing the backend stops the look-ahead replications still running (the process backend
    # terminates its workers), so the tables and files are made on free cores, not beside them
    sc = make_scenario(
        TWO_PLANS, "  replications: 10\n  batch_size: 4\n  max_replications: 400\n  precision: {nrr: 0.005}"
    )
    events: list[str] = []

    class Recording(ShuffledBackend):
        def close(self) -> None:
            events.append("close")

    def spy(name: str, real: Any) -> Any:
        def inner(*args: Any, **kwargs: Any) -> Any:
            events.append(name)
            return real(*args, **kwargs)

        return inner

    build = RunResults.from_results.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(RunResults, "from_results", classmethod(spy("build", build)))
    monkeypatch.setattr(RunResults, "write", spy("write", RunResults.write))
    backend = Recording(3, seed=0)
    Runner(sc, replicate=precision_replicate, backend=backend, out=tmp_path / "run").run()
    assert max(k for _p, k in backend.submitted) >= 10  # work ran ahead of the last round
    assert events == ["close", "build", "write"]


def test_precision_loop_bonferroni_with_three_plans() -> None:
    # plan 2 alternates by 2*sigma; with m = 2 comparisons each interval is at 97.5%
    sc = make_scenario(
        THREE_PLANS, "  replications: 10\n  batch_size: 6\n  max_replications: 1000\n  precision: {nrr: 0.01}"
    )
    res = Runner(sc, replicate=precision_replicate, backend="serial").run()
    n = expected_stop(10, 6, 1000, 2 * PRECISION_SIGMA, 0.01, 0.975)
    assert n != expected_stop(10, 6, 1000, 2 * PRECISION_SIGMA, 0.01, 0.95)
    assert set(res.replications.groupby("plan").size()) == {n}


def test_precision_loop_stops_at_max() -> None:
    sc = make_scenario(
        TWO_PLANS, "  replications: 10\n  batch_size: 4\n  max_replications: 22\n  precision: {nrr: 0.005}"
    )
    res = Runner(sc, replicate=precision_replicate, backend="serial").run()
    assert set(res.replications.groupby("plan").size()) == {22}
    assert res.metadata["precision"]["status"] == PRECISION_MAX
    assert res.metadata["precision"]["rounds"] == 4  # 10, 14, 18, 22


AA_PLANS = """\
  - name: conventional
    based_on: conventional
  - name: copy
    based_on: conventional
    description: the same rules under another name
"""


def test_aa_identical_plans_have_exactly_zero_difference_under_crn() -> None:
    sc = make_scenario(AA_PLANS, "  replications: 12\n  max_replications: 12\n  precision: {}")
    res = Runner(sc, replicate=replicate, backend="serial").run()
    comp = res.comparison()
    assert len(comp) == len(res.replications.columns) - 2
    assert (comp["diff"] == 0.0).all()
    assert ((comp["ci_low"] == 0.0) | comp["ci_low"].isna()).all()
    assert not comp["significant"].any()
    reps = res.replications
    a = reps[reps["plan"] == "conventional"].drop(columns="plan").reset_index(drop=True)
    b = reps[reps["plan"] == "copy"].drop(columns="plan").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_aa_without_crn_covers_zero_about_95_percent() -> None:
    experiments, reps = 200, 4
    covered = 0
    base = make_scenario(
        AA_PLANS,
        f"  replications: {reps}\n  max_replications: {reps}\n"
        "  precision: {}\n  common_random_numbers: false",
    )
    base.output.timeseries = False
    for seed in range(experiments):
        sc = base.model_copy(deep=True)
        sc.experiment.seed = seed
        res = Runner(sc, replicate=replicate, backend="serial").run()
        row = res.comparison(["nrr"]).iloc[0]
        assert row["diff"] != 0.0  # independent streams per plan
        covered += bool(row["ci_low"] <= 0.0 <= row["ci_high"])
    # accept the central 99.9% of Binomial(200, 0.95)
    lo, hi = sps.binom.ppf([0.0005, 0.9995], experiments, 0.95)
    assert lo <= covered <= hi, covered


def test_crn_pairs_reduce_variance() -> None:
    sc = make_scenario(TWO_PLANS, "  replications: 20\n  max_replications: 20\n  precision: {}")
    res = Runner(sc, replicate=replicate, backend="serial").run()
    vr = res.comparison(["nrr", "grr"])["variance_reduction"]
    assert (vr > 10).all()


def test_folder_contents(tmp_path: Path, three_plan_scenario) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    res = Runner(three_plan_scenario, replicate=replicate, backend="serial", out=out).run()
    for name in (
        "config.resolved.yaml",
        "metadata.json",
        "replications.parquet",
        "summary.csv",
        "comparison.csv",
        "timeseries.parquet",
        "details.parquet",
    ):
        assert (out / name).is_file(), name
    assert not (out / "failures.json").exists()
    reps = pd.read_parquet(out / "replications.parquet")
    assert list(reps.columns[:2]) == ["plan", "replication"]
    assert set(METRICS) <= set(reps.columns) and "grr_smb" in reps.columns
    assert len(reps) == 18
    assert reps["plan"].tolist() == ["conventional"] * 6 + ["richer"] * 6 + ["leaner"] * 6
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["plan", "metric", "mean", "ci_low", "ci_high", "p10", "p50", "p90", "n"]
    ttv = summary[(summary["metric"] == "time_to_value_days")]
    assert (ttv["n"] <= 6).all() and (ttv["n"] < 6).any()  # NaN replications are left out
    comp = pd.read_csv(out / "comparison.csv")
    assert set(comp["plan"]) == {"richer", "leaner"} and (comp["baseline"] == "conventional").all()
    for col in ("diff", "ci_low", "ci_high", "significant", "half_width", "variance_reduction"):
        assert col in comp.columns
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["plan", "month", "series", "mean", "p10", "p90"]
    assert set(ts["series"]) == {"arr", "customers"} and ts["month"].max() == 11
    details = pd.read_parquet(out / "details.parquet")
    assert set(details["kind"]) == {"distributions", "payouts", "people_pay", "timeseries"}
    meta = json.loads((out / "metadata.json").read_text())
    for key in (
        "incentsim_version",
        "git_commit",
        "seed",
        "command",
        "started_utc",
        "finished_utc",
        "packages",
        "backend",
        "workers",
        "replications_per_plan",
        "precision",
    ):
        assert key in meta, key
    assert meta["status"] == "complete" and meta["replications_per_plan"] == {
        "conventional": 6,
        "richer": 6,
        "leaner": 6,
    }
    loaded = Results.load(out)
    pd.testing.assert_frame_equal(loaded.replications, reps, check_exact=True)
    pd.testing.assert_frame_equal(loaded.summary(), res.summary(), check_exact=False)


def test_resume_recomputes_only_missing(tmp_path: Path) -> None:
    sc = make_scenario(
        TWO_PLANS, "  replications: 6\n  batch_size: 4\n  max_replications: 30\n  precision: {nrr: 1.0e-9}"
    )
    full = Runner(sc, replicate=replicate, backend="serial", out=tmp_path / "full").run()
    part = tmp_path / "part"
    shutil.copytree(tmp_path / "full", part)
    for name in ("replications.parquet", "summary.csv", "comparison.csv", "metadata.json"):
        (part / name).unlink()
    chunks = sorted((part / "checkpoints").glob("chunk-*.parquet"))
    assert len(chunks) > 4
    dropped = sum(len(pd.read_parquet(c)) for c in chunks[2::3])
    for c in chunks[2::3]:
        c.unlink()
    stale = [part / ".replications.parquet.999.tmp", part / "checkpoints" / ".chunk-000999.parquet.999.tmp"]
    for path in stale:  # what a kill during a write leaves behind
        path.write_bytes(b"PAR1 partial")
    runner = Runner(sc, replicate=replicate, backend="serial", out=part, resume=True)
    resumed = runner.run()
    assert not any(p.exists() for p in stale)
    assert runner.computed == dropped
    assert runner.loaded == 60 - dropped
    full_reps = pd.read_parquet(tmp_path / "full" / "replications.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(part / "replications.parquet"), full_reps, check_exact=True)
    pd.testing.assert_frame_equal(resumed.details, full.details, check_exact=True)


def test_resume_refuses_a_different_config(tmp_path: Path, three_plan_scenario) -> None:  # type: ignore[no-untyped-def]
    Runner(three_plan_scenario, replicate=replicate, backend="serial", out=tmp_path / "r").run()
    changed = with_overrides(three_plan_scenario, {"experiment.seed": 1})
    with pytest.raises(ScenarioError) as err:
        Runner(changed, replicate=replicate, backend="serial", out=tmp_path / "r", resume=True).run()
    assert len(err.value.problems) == 1 and "differs" in err.value.problems[0].message
    with pytest.raises(ScenarioError):  # not empty and no --resume
        Runner(three_plan_scenario, replicate=replicate, backend="serial", out=tmp_path / "r").run()


def test_failures_are_recorded_and_the_batch_goes_on(tmp_path: Path, three_plan_scenario) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RunFailed) as err:
        Runner(three_plan_scenario, replicate=failing_replicate, backend="serial", out=tmp_path / "f").run()
    assert "richer#2" in str(err.value)
    reps = pd.read_parquet(tmp_path / "f" / "replications.parquet")
    assert len(reps) == 17
    fails = json.loads((tmp_path / "f" / "failures.json").read_text())
    assert [(f["plan"], f["replication"]) for f in fails] == [("richer", 2)]
    assert "boom in the fake world" in fails[0]["error"] and "Traceback" in fails[0]["traceback"]
    assert json.loads((tmp_path / "f" / "metadata.json").read_text())["status"] == "failed"
    # the pair with the failed replication drops out of the paired statistics
    comp = err.value.results.comparison(["nrr"])
    assert comp.set_index("plan").loc["richer", "n"] == 5


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_chunk_size_targets_100ms_per_task(three_plan_scenario) -> None:  # type: ignore[no-untyped-def]
    runner = Runner(three_plan_scenario, replicate=replicate, backend="serial")
    assert runner._chunk_size(100) == 1  # no estimate yet
    runner._seconds = [0.01] * 10
    assert runner._chunk_size(1000) == 10  # 10 x 10 ms = 100 ms
    assert runner._chunk_size(6) == 3  # the tail is shared between workers
    runner._seconds = [0.5]
    assert runner._chunk_size(1000) == 1


def test_precision_ignores_comparisons_without_valid_pairs() -> None:
    # the second plan fails in every replication: its half-width is undefined, the loop must not
    # run to max_replications because of it
    sc = make_scenario(
        THREE_PLANS, "  replications: 10\n  batch_size: 4\n  max_replications: 400\n  precision: {nrr: 0.01}"
    )
    with pytest.raises(RunFailed) as err:
        Runner(sc, replicate=plan1_fails_replicate, backend="serial").run()
    res = err.value.results
    n = expected_stop(10, 4, 400, 2 * PRECISION_SIGMA, 0.01, 0.975)
    assert res.replications.groupby("plan").size().to_dict() == {"conventional": n, "leaner": n}
    assert len(res.failures) == n


def test_interrupted_run_is_marked_and_resumes(tmp_path: Path, three_plan_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = with_overrides(
        three_plan_scenario, {"experiment.replications": 10, "experiment.max_replications": 10}
    )
    out = tmp_path / "i"
    with pytest.raises(KeyboardInterrupt):
        Runner(sc, replicate=interrupting_replicate, backend="serial", out=out).run()
    assert json.loads((out / "metadata.json").read_text())["status"] == "interrupted"
    assert not (out / "replications.parquet").exists()
    runner = Runner(sc, replicate=replicate, backend="serial", out=out, resume=True)
    res = runner.run()
    # checkpoints are per task: the interrupted task's replications are recomputed, nothing else
    chunks = sum(len(pd.read_parquet(c)) for c in (out / "checkpoints").glob("chunk-*.parquet"))
    assert 0 < runner.loaded < 21 and runner.loaded + runner.computed == 30 == chunks
    full = Runner(sc, replicate=replicate, backend="serial").run()
    pd.testing.assert_frame_equal(res.replications, full.replications, check_exact=True)


def test_git_commit_of_a_pip_installed_clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``pip install .`` from a clone records the clone's folder; the commit is read from there."""
    import subprocess

    from sim.experiment import provenance

    git = shutil.which("git")
    if git is None:
        pytest.skip("no git on this machine")
    clone = tmp_path / "clone"
    clone.mkdir()
    ident = ["-c", "user.email=a@b", "-c", "user.name=a"]
    for args in (["init", "-q"], [*ident, "commit", "-q", "--allow-empty", "-m", "x"]):
        subprocess.run([git, *args], cwd=clone, check=True, capture_output=True)
    sha = subprocess.run([git, "rev-parse", "HEAD"], cwd=clone, check=True, capture_output=True, text=True)

    class Dist:
        def read_text(self, name: str) -> str | None:
            return json.dumps({"url": clone.as_uri(), "dir_info": {}}) if name == "direct_url.json" else None

    monkeypatch.setattr(provenance.importlib_metadata, "distribution", lambda _name: Dist())
    assert provenance._install_origin() == clone
    installed = tmp_path / "venv" / "site-packages" / "sim"  # no repository around the package
    assert provenance.code_commit(installed, provenance._install_origin()) == sha.stdout.strip()
    assert provenance.code_commit(installed, None) is None
    assert provenance.code_commit(installed, "0123abcd") == "0123abcd"  # a VCS install names its commit
