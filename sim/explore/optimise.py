"""``incentsim optimise``: search a plan's levers for the best plan within a budget (Optuna), then
confirm the best candidates on fresh replications.

1. The reference: every hand-written plan on replications ``0..max_reps-1`` (``search.py``).
2. The study (Optuna, stored in SQLite ``study.db`` in the results folder by default, any
   SQLAlchemy URL with ``storage``): trials asked in batches of ``batch``; each trial's levers
   make a candidate plan (``candidates.py``), raced on common random numbers; one objective uses
   TPE, several NSGA-II (a Pareto front); linked constraints and budgets are Optuna constraints.
   The sampler of each batch is seeded from the scenario seed and the number of trials so far.
3. The confirmation (``confirm.py``): the best ``top`` candidates and every hand-written plan run
   as an ordinary experiment on a fresh seed.

A killed search resumes with ``resume``: finished trials stay; a trial that was running is
re-asked with the same levers and reuses its checkpointed replications.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.experiment.backends import Backend, make_backend
from sim.experiment.folder import open_results_folder
from sim.experiment.progress import Progress
from sim.experiment.results import CONFIG_FILE, config_text
from sim.experiment.runner import resolve_replicate
from sim.experiment.tasks import ReplicationFn
from sim.explore.confirm import Optimisation, confirm
from sim.explore.extra import require
from sim.explore.optimise_settings import COMMAND, SETTINGS_FILE, OptimiseSettings, check
from sim.explore.points import PointRunner
from sim.explore.storage import STUDY_FILE, driver_token, open_storage
from sim.explore.study import Study
from sim.files import atomic_write_text
from sim.formats import to_strict_json
from sim.problems import Problem, ScenarioError
from sim.scenario.schema import Scenario

RESULT_FILES: tuple[str, ...] = (
    "metadata.json",
    STUDY_FILE,
    ".study-driver",
    "trials.csv",
    "verdict.json",
    "best-plans.yaml",
    "report.html",
    "plots",
    "confirmation",
)


def run_optimise(
    scenario: Scenario,
    settings: OptimiseSettings,
    *,
    backend: str | Backend = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    replicate: str | ReplicationFn | None = None,
    command: Sequence[str] | None = None,
) -> Any:
    """Run an optimisation; returns an :class:`~sim.explore.confirm.Optimisation`."""
    check(scenario, settings)
    for module in ("optuna",):
        require(module, COMMAND)
    folder = Path(out) if out is not None else None
    if resume and folder is None:
        raise ScenarioError([Problem("--resume", "(arguments)", "needs --out DIR (the folder to resume)")])
    progress = progress or Progress()
    lock = store = None
    if folder is not None:
        lock, store = open_results_folder(
            folder,
            configs={CONFIG_FILE: config_text(scenario), SETTINGS_FILE: settings.text()},
            resume=resume,
            force=force,
            result_files=RESULT_FILES,
        )
    try:
        be = backend if isinstance(backend, Backend) else make_backend(backend, workers, scheduler)
        token = driver_token(folder)
        t0 = time.perf_counter()
        runner = PointRunner(be, resolve_replicate(replicate), store=store, progress=Progress())
        if folder is not None:
            atomic_write_text(
                folder / "metadata.json",
                to_strict_json({"status": "running", "command": list(command or [])}),
            )
        try:
            with runner:
                storage = open_storage(folder, settings.storage)
                study = Study(scenario, settings, runner, storage, token, progress)
                study.run()
        except BaseException:
            if folder is not None:
                meta = {"status": "interrupted", "computed": runner.computed, "command": list(command or [])}
                atomic_write_text(folder / "metadata.json", to_strict_json(meta))
            raise
        result: Optimisation = confirm(
            study,
            be,
            folder,
            resume=resume,
            progress=progress,
            command=command,
            replicate=resolve_replicate(replicate),
        )
        result.metadata.update(
            wall_seconds=round(time.perf_counter() - t0, 3),
            computed=runner.computed,
            loaded_from_checkpoints=runner.loaded,
            backend=be.describe(),
        )
        if folder is not None:
            result.write(folder)
        return result
    finally:
        if lock is not None:
            lock.release()
