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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim._version import __version__
from sim.experiment.backends import Backend, make_backend
from sim.experiment.folder import open_results_folder
from sim.experiment.progress import Progress
from sim.experiment.results import CONFIG_FILE, METADATA_FILE, atomic_write_parquet, config_text, csv_text
from sim.experiment.runner import git_commit, package_versions, resolve_replicate
from sim.experiment.tasks import ReplicationFn
from sim.explore import design as dsg
from sim.explore.indices import indices_table, outcomes
from sim.explore.points import PointRequest, PointRunner
from sim.explore.robustness import best_per_point, flip_regions, probability_best
from sim.explore.variants import variant
from sim.files import atomic_write_text
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.schema import Scenario

SETTINGS_FILE = "sensitivity.yaml"
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


@dataclass(frozen=True)
class Settings:
    """What a sensitivity run does (``sensitivity.yaml``)."""

    method: str = "morris"
    samples: int = 10
    """Morris: trajectories; Sobol: base samples N (a power of two)."""
    reps: int = 2
    """Replications of every plan at every point."""
    parameters: tuple[str, ...] = ()
    """The uncertainties varied (empty: all of them); the others stay at the scenario's values."""

    def text(self) -> str:
        """The YAML recorded in the folder."""
        data = asdict(self)
        data["parameters"] = list(self.parameters)
        return yaml.safe_dump(data, sort_keys=False)


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
            from sim.scenario.load import _unknown

            raise refuse("--params", _unknown(path, list(scenario.uncertainties), "uncertainty"))
    if len(set(chosen)) != len(chosen):
        raise refuse("--params", "each uncertainty may be listed once")
    return chosen


def blocks_of(method: str, points: int, dims: int) -> np.ndarray:
    """The independent block of each point: a Morris trajectory, a Sobol base sample."""
    size = dims + 1 if method == "morris" else dims + 2
    return np.arange(points) // size


class Sensitivity:
    """Results of a sensitivity run; :func:`run_sensitivity` makes one, :meth:`load` reads a folder.

    Attributes: ``scenario``, ``settings``, ``params``, ``design`` (point, block, u:*, values),
    ``rows`` (point x plan x replication outcomes), ``samples`` (the rows with the point's
    parameter values), ``indices``, ``best``, ``robustness``, ``regions`` (flip regions),
    ``metadata``, ``folder``.
    """

    def __init__(
        self,
        scenario: Scenario,
        settings: Settings,
        design: pd.DataFrame,
        rows: pd.DataFrame,
        metadata: dict[str, Any] | None = None,
        folder: Path | None = None,
    ) -> None:
        self.scenario = scenario
        self.settings = settings
        self.params = dsg.parameters(scenario, settings.parameters or None)
        self.design = design
        order = {p.name: i for i, p in enumerate(scenario.plans)}
        rows = rows.assign(_o=rows["plan"].map(order)).sort_values(
            ["point", "replication", "_o"], kind="stable"
        )
        self.rows = rows.drop(columns="_o").reset_index(drop=True)
        samples = self.rows
        self.metadata = dict(metadata or {})
        self.folder = folder
        exp = scenario.experiment
        self.plans = [p.name for p in scenario.plans]
        self.baseline = scenario.baseline
        self.objective = exp.objective
        self.confidence = exp.confidence
        points, reps = len(design), settings.reps
        self.unit = design[[f"u:{p.path}" for p in self.params]].to_numpy(dtype=float)
        self.values = design[[p.path for p in self.params]].to_numpy(dtype=float)
        self.outcomes = outcomes(samples, points, reps, self.plans, self.baseline)
        self.indices = indices_table(
            settings.method, self.params, self.unit, self.outcomes, self.confidence, exp.seed
        )
        self.best = best_per_point(samples, points, reps, self.plans, self.objective, self.confidence)
        blocks = design["block"].to_numpy()
        self.robustness = probability_best(self.best, self.plans, blocks, self.confidence, exp.seed)
        self.regions = (
            flip_regions(self.values, self.params, self.best, self.plans) if len(self.plans) > 1 else []
        )

    @property
    def samples(self) -> pd.DataFrame:
        """Every point x plan x replication with the point's parameter values (``samples.parquet``)."""
        return self.rows.merge(self.design, on="point", how="left")

    def outcome(self, metric: str, plan: str, kind: str = "difference") -> np.ndarray:
        """One outcome's value at every point."""
        for o in self.outcomes:
            if (o.metric, o.plan, o.kind) == (metric, plan, kind):
                return o.y
        raise KeyError(f"no {kind} outcome {metric!r} for plan {plan!r}")

    def write(self, folder: Path) -> None:
        """Write the tables (config, settings and metadata are written by the run)."""
        from sim.experiment.results import to_strict_json

        atomic_write_text(folder / "design.csv", csv_text(self.design))
        atomic_write_parquet(folder / "samples.parquet", self.samples)
        atomic_write_text(folder / "indices.csv", csv_text(self.indices))
        atomic_write_text(folder / "best.csv", csv_text(self.best))
        atomic_write_text(folder / "robustness.csv", csv_text(self.robustness))
        atomic_write_text(
            folder / "flips.json", to_strict_json([r.as_dict() for r in self.regions], indent=2)
        )
        self.folder = folder

    @classmethod
    def load(cls, folder: str | Path) -> Sensitivity:
        """Read a folder written by ``incentsim sensitivity`` (indices are recomputed, identically)."""
        import json

        folder = Path(folder)
        scenario = Scenario.model_validate(yaml.safe_load((folder / CONFIG_FILE).read_text("utf-8")))
        raw = yaml.safe_load((folder / SETTINGS_FILE).read_text("utf-8"))
        settings = Settings(**{**raw, "parameters": tuple(raw.get("parameters") or ())})
        meta_path = folder / METADATA_FILE
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        design = pd.read_csv(folder / "design.csv")
        samples = pd.read_parquet(folder / "samples.parquet")
        keys = ["point", "plan", "replication"]
        keep = [*keys, *[c for c in samples.columns if c not in design.columns and c not in keys]]
        return cls(scenario, settings, design, samples[keep], meta, folder)

    # --- notebook views ----------------------------------------------------------------------

    def table(self, metric: str | None = None, kind: str = "difference") -> pd.DataFrame:
        """The indices of one metric (default: the objective) and kind, one row per plan x parameter."""
        m = metric or self.objective
        sel = self.indices[(self.indices["metric"] == m) & (self.indices["kind"] == kind)]
        return sel.reset_index(drop=True)

    def plot_indices(self, plan: str | None = None, metric: str | None = None) -> Any:
        """Morris mu*-sigma plot or Sobol bars (of a plan's paired difference of ``metric``)."""
        from sim.explore import plots

        return plots.indices_figure(self, plan or self._first_other(), metric or self.objective)

    def plot_tornado(self, plan: str | None = None, metric: str | None = None) -> Any:
        """Tornado of a plan's paired difference against the baseline."""
        from sim.explore import plots

        return plots.tornado_figure(self, plan or self._first_other(), metric or self.objective)

    def plot_probability_best(self) -> Any:
        """Probability each plan is best, with intervals."""
        from sim.explore import plots

        return plots.probability_figure(self)

    def _first_other(self) -> str:
        others = [p for p in self.plans if p != self.baseline]
        return others[0] if others else self.baseline


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

    from sim.experiment.results import to_strict_json

    meta = {**meta, "status": status}
    if status != "running":
        meta["finished_utc"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    atomic_write_text(folder / METADATA_FILE, to_strict_json(meta, indent=2))
