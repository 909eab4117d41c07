"""``incentsim sensitivity``: global sensitivity over the scenario's uncertainties.

1. A design over the uncertainties (SALib: Morris trajectories or Saltelli's Sobol scheme) on
   the unit hypercube, turned into parameter values by each distribution (``design.py``).
2. Every sample point is the scenario with those values (validated like ``--set``); every plan x
   ``reps`` replications runs at every point with common random numbers (``points.py``).
3. Indices of every outcome (``indices.py``), the best plan per point, the probability each plan is
   best and the flip regions (``robustness.py``).

Results folder (``docs/explore.md``)::

    config.resolved.yaml   the scenario as run (with its uncertainties)
    sensitivity.yaml       method, samples, replications, parameters (a resume must match)
    metadata.json          version, commit, command, times, backend, status
    checkpoints/           finished replications (a resume computes only the rest)
    design.csv             point, block, each parameter's quantile (u:...) and value
    samples.parquet        every point x plan x replication: parameter values and every outcome
    indices.csv            kind, plan, metric, parameter, indices with CIs, noise_share, note
    best.csv               point, best plan, runner-up, lead, decisive
    robustness.csv         plan, p_best with its interval, p_best_decisive
    flips.json             PRIM regions where the ranking flips, with a sentence each
    report.html, plots/    the report
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.experiment.backends import Backend, make_backend
from sim.experiment.folder import open_results_folder
from sim.experiment.progress import Progress
from sim.experiment.provenance import git_commit, package_versions
from sim.experiment.results import CONFIG_FILE, METADATA_FILE, config_text
from sim.experiment.runner import resolve_replicate
from sim.experiment.tasks import ReplicationFn
from sim.explore import design as dsg
from sim.explore import plots
from sim.explore.points import PointRequest, PointRunner
from sim.explore.sensitivity_result import SETTINGS_FILE, SensitivityResult, Settings
from sim.explore.variants import variant
from sim.files import atomic_write_text
from sim.problems import Problem, ScenarioError
from sim.scenario.schema import Scenario

RESULT_FILES: tuple[str, ...] = (
    METADATA_FILE,
    "design.csv",
    "samples.parquet",
    "indices.csv",
    "best.csv",
    "robustness.csv",
    "flips.json",
    "report.html",
    "plots",
)

DEFAULT_SAMPLES: dict[str, int] = {"morris": 10, "sobol": 64}

DEFAULT_REPS: dict[str, int] = {"morris": 1, "sobol": 2}

COMMAND = "incentsim sensitivity"


def check_settings(scenario: Scenario, settings: Settings) -> list[str]:
    """The parameters to vary; a :class:`ScenarioError` (exit 2) for settings that cannot run."""

    def refuse(where: str, message: str) -> ScenarioError:
        return ScenarioError([Problem(COMMAND, where, message)])

    if not scenario.uncertainties:
        raise refuse(
            "uncertainties", "the scenario declares none; add an uncertainties: block (see docs/explore.md)"
        )
    if settings.method not in dsg.METHODS:
        raise refuse("--method", f"expected one of {', '.join(dsg.METHODS)}, found {settings.method!r}")
    if settings.samples < 1 or settings.reps < 1:
        raise refuse("--samples", "expected positive --samples and --reps")
    if settings.method == "sobol" and settings.samples & (settings.samples - 1):
        up = 1 << (settings.samples - 1).bit_length()
        raise refuse("--samples", f"Sobol needs a power of two (e.g. {up}), found {settings.samples}")
    if settings.method == "morris" and settings.samples < 2:
        raise refuse("--samples", f"Morris needs at least 2 trajectories, found {settings.samples}")
    chosen = list(settings.parameters) or list(scenario.uncertainties)
    for path in chosen:
        if path not in scenario.uncertainties:
            from sim.problems import unknown

            raise refuse("--params", unknown(path, list(scenario.uncertainties), "uncertainty"))
    if len(set(chosen)) != len(chosen):
        raise refuse("--params", "each uncertainty may be listed once")
    return chosen


def blocks_of(method: str, points: int, dims: int) -> np.ndarray:
    """The independent block of each point: a Morris trajectory, a Sobol base sample."""
    size = dims + 1 if method == "morris" else dims + 2
    return np.arange(points) // size


class Sensitivity(SensitivityResult):
    """Results of a sensitivity run (:class:`~sim.explore.sensitivity_result.SensitivityResult`)
    with their figures; :func:`run_sensitivity` makes one, :meth:`load` reads a folder."""

    def __str__(self) -> str:
        """What ``incentsim sensitivity`` prints: the design's size, the probability each plan is
        best, and the regions where the best plan changes."""
        from sim.explore.report import probability_sentence

        reps = self.settings.reps
        each = f"{reps} replication{'' if reps == 1 else 's'}"
        lines = [f"{len(self.design)} points x {len(self.plans)} plans x {each}"]
        lines += ["  " + probability_sentence(self, row) for row in self.robustness.to_dict("records")]
        lines += ["  " + region.words() for region in self.regions]
        return "\n".join(lines)

    # --- notebook views ----------------------------------------------------------------------

    def plot_indices(self, plan: str | None = None, metric: str | None = None) -> Any:
        """Morris mu*-sigma plot or Sobol bars (of a plan's paired difference of ``metric``)."""
        return plots.indices_figure(self, plan or self.first_other(), metric or self.objective)

    def plot_tornado(self, plan: str | None = None, metric: str | None = None) -> Any:
        """Tornado of a plan's paired difference against the baseline."""
        return plots.tornado_figure(self, plan or self.first_other(), metric or self.objective)

    def plot_probability_best(self) -> Any:
        """Probability each plan is best, with intervals."""
        return plots.probability_figure(self)


def point_requests(
    scenario: Scenario, params: Sequence[dsg.Parameter], values: np.ndarray, reps: int
) -> list[PointRequest]:
    """One request per sample point (the scenario with the point's values; uncertainties removed)."""
    plans = [p.name for p in scenario.plans]
    out = []
    for i, row in enumerate(values):
        sc = variant(scenario, dsg.overrides(params, row), f"sample point {i}", drop_uncertainties=True)
        out.append(PointRequest(f"s{i:06d}", sc, plans, range(reps)))
    return out


def design_table(
    method: str, params: Sequence[dsg.Parameter], unit: np.ndarray, values: np.ndarray
) -> pd.DataFrame:
    """``design.csv``."""
    df = pd.DataFrame({"point": np.arange(len(unit)), "block": blocks_of(method, len(unit), len(params))})
    for j, p in enumerate(params):
        df[f"u:{p.path}"] = unit[:, j]
    for j, p in enumerate(params):
        df[p.path] = values[:, j]
    return df


def run_sensitivity(
    scenario: Scenario,
    settings: Settings,
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
) -> Sensitivity:
    """Run a sensitivity analysis; writes the results folder when ``out`` is given."""
    chosen = check_settings(scenario, settings)
    settings = Settings(settings.method, settings.samples, settings.reps, tuple(settings.parameters))
    params = dsg.parameters(scenario, chosen)
    unit = dsg.unit_design(scenario, params, settings.method, settings.samples)
    values = dsg.values(params, unit)
    requests = point_requests(scenario, params, values, settings.reps)
    design = design_table(settings.method, params, unit, values)
    folder = Path(out) if out is not None else None
    if resume and folder is None:
        raise ScenarioError([Problem("--resume", "(arguments)", "needs --out DIR (the folder to resume)")])
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
        meta = _metadata(scenario, settings, be, command, resume, len(requests))
        if folder is not None:
            _write_meta(folder, meta, "running")
        t0 = time.perf_counter()
        runner = PointRunner(be, resolve_replicate(replicate), store=store, progress=progress)
        try:
            with runner:
                meta["backend_detail"] = be.describe()
                rows = runner.run(requests)
        except BaseException:
            if folder is not None:
                _write_meta(folder, {**meta, "computed": runner.computed}, "interrupted")
            raise
        meta.update(
            loaded_from_checkpoints=runner.loaded,
            computed=runner.computed,
            wall_seconds=round(time.perf_counter() - t0, 3),
            cpu_seconds_per_replication=(sum(runner.cpu_seconds) / len(runner.cpu_seconds))
            if runner.cpu_seconds
            else None,
        )
        point_ix = {r.point: i for i, r in enumerate(requests)}
        rows = rows.assign(point=rows["point"].map(point_ix).astype(np.int64))
        result = Sensitivity(scenario, settings, design, rows, meta, folder)
        if folder is not None:
            result.write(folder)
            _write_meta(folder, meta, "complete")
            if scenario.output.report:
                from sim.explore.report import write_sensitivity_report

                write_sensitivity_report(result, folder, save_plots=scenario.output.plots)
        return result
    finally:
        if lock is not None:
            lock.release()


def _metadata(
    scenario: Scenario,
    settings: Settings,
    backend: Backend,
    command: Sequence[str] | None,
    resume: bool,
    points: int,
) -> dict[str, Any]:
    from datetime import UTC, datetime

    return {
        "incentsim_version": __version__,
        "git_commit": git_commit(),
        "scenario": scenario.name,
        "command": list(command) if command is not None else list(sys.argv),
        "started_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions((*package_versions().keys(), "SALib", "ema_workbench")),
        "backend": backend.name,
        "workers": backend.workers,
        "resumed": resume,
        "seed": scenario.experiment.seed,
        "method": settings.method,
        "samples": settings.samples,
        "points": points,
        "replications_per_point": settings.reps,
        "plans": [p.name for p in scenario.plans],
        "baseline": scenario.baseline,
        "objective": scenario.experiment.objective,
        "confidence": scenario.experiment.confidence,
    }


def _write_meta(folder: Path, meta: dict[str, Any], status: str) -> None:
    from datetime import UTC, datetime

    from sim.formats import to_strict_json

    meta = {**meta, "status": status}
    if status != "running":
        meta["finished_utc"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    atomic_write_text(folder / METADATA_FILE, to_strict_json(meta, indent=2))
