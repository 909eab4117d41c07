"""The notebook API of exploration: ``sim.sensitivity(...)`` and ``sim.optimise(...)``, the same
runs as the command line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.experiment.tasks import ReplicationFn
    from sim.explore.confirm import Optimisation
    from sim.explore.sensitivity import Sensitivity
    from sim.scenario.schema import Scenario


def sensitivity(
    scenario_or_path: Scenario | str | Path,
    *,
    method: str = "morris",
    samples: int | None = None,
    reps: int | None = None,
    params: Sequence[str] = (),
    backend: str = "serial",
    workers: int | None = 1,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    quiet: bool = True,
    set: Mapping[str, Any] | None = None,
    replicate: str | ReplicationFn | None = None,
    **overrides: Any,
) -> Sensitivity:
    """Global sensitivity over the scenario's uncertainties (``incentsim sensitivity``).

    ``samples`` and ``reps`` default as on the command line (Morris: 10 trajectories, 1
    replication; Sobol: 64 base samples, 2 replications); ``params`` limits the uncertainties
    varied. ``set`` / ``**overrides`` change fields first (``company__horizon_years=1``). Returns a
    :class:`~sim.explore.sensitivity.Sensitivity` (``.indices``, ``.robustness``, ``.regions``,
    ``.plot_tornado()``...). Nothing is written without ``out``.
    """
    from sim.api import resolve_scenario
    from sim.experiment.progress import make_progress
    from sim.explore.sensitivity import DEFAULT_REPS, DEFAULT_SAMPLES, Settings, run_sensitivity

    mapping: dict[str, Any] = dict(set or {})
    mapping.update({k.replace("__", "."): v for k, v in overrides.items()})
    scenario = resolve_scenario(scenario_or_path, mapping)
    settings = Settings(
        method,
        samples or DEFAULT_SAMPLES.get(method, 1),
        reps or DEFAULT_REPS.get(method, 1),
        tuple(params),
    )
    return run_sensitivity(
        scenario,
        settings,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        out=out,
        resume=resume,
        force=force,
        progress=make_progress(quiet),
        replicate=replicate,
        command=["sim.sensitivity"],
    )


def optimise(
    scenario_or_path: Scenario | str | Path,
    *,
    objectives: Sequence[str] = (),
    budgets: Sequence[str] = (),
    trials: int = 40,
    min_reps: int = 2,
    max_reps: int = 6,
    batch: int = 4,
    top: int = 3,
    confirm_reps: int = 0,
    robust: str = "none",
    robust_points: int = 8,
    storage: str | None = None,
    backend: str = "serial",
    workers: int | None = 1,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    quiet: bool = True,
    set: Mapping[str, Any] | None = None,
    replicate: str | ReplicationFn | None = None,
    **overrides: Any,
) -> Optimisation:
    """Search the scenario's levers (``incentsim optimise``); the arguments are the command's
    options. Returns an :class:`~sim.explore.confirm.Optimisation` (``.trials``, ``.verdict``,
    ``.best_plans_yaml()``, ``.plot_front()``...). Without ``out`` the study lives in memory."""
    from sim.api import resolve_scenario
    from sim.experiment.progress import make_progress
    from sim.explore.optimise import run_optimise
    from sim.explore.optimise_settings import OptimiseSettings

    mapping: dict[str, Any] = dict(set or {})
    mapping.update({k.replace("__", "."): v for k, v in overrides.items()})
    scenario = resolve_scenario(scenario_or_path, mapping)
    settings = OptimiseSettings(
        tuple(objectives),
        tuple(budgets),
        trials,
        min_reps,
        max_reps,
        batch,
        top,
        confirm_reps,
        robust,
        robust_points,
        storage=storage,
    )
    return run_optimise(
        scenario,
        settings,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        out=out,
        resume=resume,
        force=force,
        progress=make_progress(quiet),
        replicate=replicate,
        command=["sim.optimise"],
    )
