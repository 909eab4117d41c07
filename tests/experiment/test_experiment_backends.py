"""Backends give identical results: serial, process (1 and 2 workers) and Dask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from experiment_fakes import ShuffledBackend, jittery_replicate, replicate
from experiment_helpers import BASE_COMPANY, THREE_PLANS, make_scenario, run_probe
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiment.backends import ProcessBackend, make_backend
from sim.experiment.runner import Runner
from sim.experiment.tasks import Task, run_task, scenario_json


def _scenario():  # type: ignore[no-untyped-def]
    # a precision loop with several rounds, so batching differs between backends
    return make_scenario(
        THREE_PLANS, "  replications: 5\n  batch_size: 3\n  max_replications: 14\n  precision: {nrr: 1.0e-9}"
    )


def _run(tmp_path: Path, backend: str, workers: int, fn=replicate) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path / f"{backend}-{workers}"
    Runner(_scenario(), replicate=fn, backend=backend, workers=workers, out=out).run()
    return out


CASES = [("serial", 1), ("process", 1), ("process", 2), ("dask", 2)]  # dask: the dev extra installs it


def test_identical_results_across_backends(tmp_path: Path) -> None:
    reference = _run(tmp_path, "serial", 1)
    ref = pd.read_parquet(reference / "replications.parquet")
    assert len(ref) == 3 * 14
    ref_details = pd.read_parquet(reference / "details.parquet")
    for backend, workers in CASES[1:]:
        out = _run(tmp_path, backend, workers, jittery_replicate if workers > 1 else replicate)
        got = pd.read_parquet(out / "replications.parquet")
        pd.testing.assert_frame_equal(got, ref, check_exact=True)
        pd.testing.assert_frame_equal(pd.read_parquet(out / "details.parquet"), ref_details, check_exact=True)
        assert (out / "summary.csv").read_text() == (reference / "summary.csv").read_text()


def test_process_backend_uses_other_processes() -> None:
    import os

    task = Task(scenario_json(_scenario()), [("conventional", 0)], "experiment_fakes:replicate")
    with ProcessBackend(1) as backend:
        out = backend.result(backend.submit(task))
    assert not out[0].worker.endswith(f":{os.getpid()}")
    assert out[0].result is not None


def test_closing_stops_the_tasks_still_running() -> None:
    # nothing reads a closed backend's results (work run ahead of the last round, an interrupted
    # run), so closing must not wait ten minutes for a replication still running
    import time

    quick = Task(scenario_json(_scenario()), [("conventional", 0)], "experiment_fakes:replicate")
    endless = Task(scenario_json(_scenario()), [("conventional", 1)], "experiment_fakes:endless_replicate")
    with ProcessBackend(2) as backend:
        assert backend.result(backend.submit(quick))[0].result is not None  # the workers are up
        running = backend.submit(endless)
        while not running.running():
            time.sleep(0.01)
        time.sleep(0.5)  # in a worker's hands by now
        closing = time.monotonic()
    assert time.monotonic() - closing < 60.0
    assert running.done() and not running.cancelled()
    assert running.exception() is not None  # stopped: the pool reports it broke off


def test_worker_records_errors_per_unit() -> None:
    task = Task(
        scenario_json(_scenario()),
        [("richer", 1), ("richer", 2), ("richer", 3)],
        "experiment_fakes:failing_replicate",
    )
    out = run_task(task)
    assert [o.error is None for o in out] == [True, False, True]
    assert out[1].traceback is not None and "boom" in out[1].traceback


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("threads", 2)


_REFERENCE: dict[str, Any] = {}


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(0, 10**6), st.floats(1e-4, 2e-2))
def test_completion_order_and_chunking_do_not_change_results(workers: int, seed: int, target: float) -> None:
    if "ref" not in _REFERENCE:
        _REFERENCE["scenario"] = sc = _scenario()
        _REFERENCE["ref"] = Runner(sc, replicate=replicate, backend="serial").run().replications
    sc = _REFERENCE["scenario"]
    backend = ShuffledBackend(workers, seed)
    runner = Runner(sc, replicate=replicate, backend=backend, target_task_seconds=target)
    got = runner.run().replications
    pd.testing.assert_frame_equal(got, _REFERENCE["ref"], check_exact=True)


_EARLY = """
import argparse, json, os
from multiprocessing import forkserver
from sim.commands.options import start_backend_early
start_backend_early(argparse.Namespace(backend=%r))
pid = forkserver._forkserver._forkserver_pid  # the server multiprocessing started, or None
from sim.experiment.backends import make_backend
from sim.experiment.tasks import Task, scenario_json
from sim.scenario import load_scenario
sc = load_scenario(%r, {"company.horizon_years": 0.25, "company.warmup_years": 0})
with make_backend("process", 1) as b:
    out = b.result(b.submit(Task(scenario_json(sc), [(sc.plans[0].name, 0)])))
print(json.dumps({"early": pid, "used": forkserver._forkserver._forkserver_pid, "error": out[0].error}))
"""


@pytest.mark.parametrize("backend", ["process", "serial"])
def test_the_fork_server_starts_before_the_scenario_is_read_and_is_the_one_used(backend: str) -> None:
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver start method here")
    got = run_probe(_EARLY % (backend, str(BASE_COMPANY)))
    assert got["error"] is None
    if backend == "process":
        assert got["early"] is not None and got["used"] == got["early"]
    else:
        assert got["early"] is None and got["used"] is not None


def test_workers_import_sim_from_where_the_parent_did(tmp_path: Path) -> None:
    # a folder named sim in the working directory (a source checkout, or a user's own package): the
    # fork server's `python -c` would import it first, and its workers would run it, not the sim
    # the command imported
    decoy = tmp_path / "work" / "sim"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text('"""not incentsim"""\n')
    probe = tmp_path / "probe" / "probe.py"
    probe.parent.mkdir()
    probe.write_text(
        "import json\n"
        "if __name__ == '__main__':\n"
        "    import sim\n"
        "    from sim.experiment.backends import ProcessBackend\n"
        "    with ProcessBackend(1) as backend:\n"
        "        worker = backend._pool.submit(eval, \"__import__('sim').__file__\").result()\n"
        "    print(json.dumps({'parent': sim.__file__, 'worker': worker}))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(probe)], cwd=decoy.parent, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["parent"] == str(root / "sim" / "__init__.py")
    assert got["worker"] == got["parent"]


@pytest.mark.parametrize(("name", "warm_up"), [("serial", "compile_kernels"), ("dask", "fill_kernel_cache")])
def test_a_backend_compiles_the_kernels_first_for_the_simulation_only(
    name: str, warm_up: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # before a task of the real replication (once per process: the functions are memoised), never
    # for a fake: the serial backend compiles as the fork server does (over two cores on a cold
    # cache); a local Dask cluster's client fills numba's cache, which its workers load from
    import sim.warm

    calls: list[str] = []
    monkeypatch.setattr(sim.warm, warm_up, lambda: calls.append("compiled"))
    units = [("conventional", 0)]
    with make_backend(name, 1) as backend:
        backend.result(backend.submit(Task(scenario_json(_scenario()), units, "experiment_fakes:replicate")))
        assert calls == []
        out = backend.result(backend.submit(Task(scenario_json(_scenario()), units)))
        assert calls == ["compiled"]
        assert out[0].result is not None


def test_a_worker_that_dies_is_reported_with_what_to_do() -> None:
    from sim.experiment.backends import WORKER_LOST, WorkerLost

    task = Task(scenario_json(_scenario()), [("conventional", 0)], "experiment_fakes:dying_replicate")
    with ProcessBackend(1) as backend, pytest.raises(WorkerLost) as lost:
        backend.result(backend.submit(task))
    assert str(lost.value) == WORKER_LOST
    assert "--resume" in WORKER_LOST and 'if __name__ == "__main__":' in WORKER_LOST


def _script_run(tmp_path: Path, body: str, stdin: bool = False) -> subprocess.CompletedProcess[str]:
    """``body`` (a script that imports sim) run as ``python script.py``, or from standard input."""
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here.parents[1]), str(here)])}
    script = tmp_path / "analysis.py"
    script.write_text(body)
    argv = [sys.executable, "-"] if stdin else [sys.executable, str(script)]
    return subprocess.run(
        argv, cwd=tmp_path, input=body if stdin else None, capture_output=True, text=True, timeout=300,
        env=env,
    )  # fmt: skip


RUN = (
    "import sim\n"
    "{guard}sim.run({path!r}, reps=2, workers=2, quiet=True, out='runs/a', "
    "replicate='experiment_fakes:replicate')\n"
)


def test_a_script_without_a_main_guard_is_told_to_add_one(tmp_path: Path) -> None:
    # each worker imports the script again; its sim.run must not start a run in every worker
    # (it used to: the workers then failed on the results folder's lock, then the pool broke)
    from sim.experiment.backends import IN_A_WORKER, WORKER_LOST

    done = _script_run(tmp_path, RUN.format(guard="", path=str(BASE_COMPANY)))
    assert done.returncode != 0
    assert IN_A_WORKER in done.stderr and WORKER_LOST in done.stderr
    assert "FolderBusy" not in done.stderr
    guarded = RUN.format(guard="if __name__ == '__main__':\n    ", path=str(BASE_COMPANY))
    ok = _script_run(tmp_path, guarded.replace("runs/a", "runs/b"))
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "runs" / "b" / "summary.csv").is_file()


def test_a_script_read_from_standard_input_is_told_why_workers_cannot_start(tmp_path: Path) -> None:
    done = _script_run(tmp_path, RUN.format(guard="", path=str(BASE_COMPANY)), stdin=True)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: the process backend's workers import this process's main script")
    assert "'<stdin>'" in last and 'backend="serial"' in last
