"""The notebook API: ``sim.run(...) -> Results``.

Example::

    import sim
    res = sim.run("scenarios/seed-plans.yaml", reps=8, company__horizon_years=2)
    res.summary()            # per plan and metric: mean, CI, P10/P50/P90
    res.comparison()         # paired differences vs the baseline
    res.plot_metric("nrr")   # forest plot (matplotlib Figure)
    res.plot_arr()           # ARR over time with P10-P90 bands
    sim.Results.load("runs/seed-plans-20261123T120000Z")
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sim.experiment.progress import make_progress
from sim.experiment.runner import RunFailed, Runner
from sim.experiment.tasks import ReplicationFn
from sim.problems import Problem, ScenarioError
from sim.results import Results
from sim.scenario.experiment import Experiment, replications_problem
from sim.scenario.load import resolve_raw, validate_data
from sim.scenario.overrides import apply_overrides, parse_set
from sim.scenario.schema import Scenario

__all__ = ["Results", "resolve_scenario", "run"]


def resolve_scenario(
    scenario_or_path: Scenario | str | Path,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    *,
    reps: int | None = None,
    seed: int | None = None,
    max_reps: int | None = None,
) -> Scenario:
    """A validated scenario from a Scenario or a file, with dotted-path overrides applied.

    ``overrides`` is a mapping of dotted paths or ``path=value`` strings (``--set``). ``reps``
    alone means exactly that many replications per plan: ``experiment.replications`` and
    ``max_replications`` are set to it and the precision loop is off. ``max_reps`` asks for the
    precision loop (``experiment.precision``) up to that many replications per plan, starting
    from ``reps`` (or the scenario's first round). ``seed`` sets ``experiment.seed``. Invalid input
    raises :class:`~sim.scenario.ScenarioError`.
    """
    for name, n in (("reps", reps), ("max_reps", max_reps)):
        problem = None if n is None else replications_problem(n)
        if problem is not None:
            raise ScenarioError([Problem("(arguments)", name, problem)])
    if overrides is None:
        mapping: dict[str, Any] = {}
    elif isinstance(overrides, Mapping):
        mapping = dict(overrides)
    else:
        mapping = dict(parse_set(overrides))
    if isinstance(scenario_or_path, Scenario):
        if not mapping and reps is None and seed is None and max_reps is None:
            return scenario_or_path
        data = scenario_or_path.model_dump(mode="json")
        label = "<overrides>"
    else:
        data = resolve_raw(scenario_or_path)
        label = str(scenario_or_path)
    apply_overrides(data, mapping, "--set")
    if reps is not None or seed is not None or max_reps is not None:
        exp = data.get("experiment")
        if not isinstance(exp, dict):
            exp = data["experiment"] = {}
        if reps is not None:
            exp["replications"] = reps
        if max_reps is not None:
            exp["max_replications"] = max_reps
            first = exp.get("replications", Experiment.model_fields["replications"].default)
            if isinstance(first, int) and first > max_reps:
                exp["replications"] = max_reps
        elif reps is not None:  # exactly N: no precision loop
            exp["max_replications"] = reps
            exp["precision"] = {}
        if seed is not None:
            exp["seed"] = seed
    return validate_data(data, label)


def run(
    scenario_or_path: Scenario | str | Path,
    *,
    reps: int | None = None,
    max_reps: int | None = None,
    seed: int | None = None,
    backend: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    quiet: bool = False,
    set: Mapping[str, Any] | None = None,
    replicate: str | ReplicationFn | None = None,
    **overrides: Any,
) -> Results:
    """Run every plan of a scenario and return the :class:`Results`.

    ``overrides`` are dotted paths written with ``__`` (``company__horizon_years=2``);
    ``set`` takes them as a dict with dots (``set={"company.segments.smb.annual_churn": 0.2}``).
    ``reps=N`` runs exactly N replications per plan; ``max_reps=M`` runs the scenario's precision
    loop (``experiment.precision``) up to M per plan, from ``reps`` (or the scenario's first round);
    neither: the scenario's own settings. ``seed`` sets the scenario seed. The backend and workers
    default to the command line's (``process``, one worker per core); progress shows as a bar (in a
    notebook, an HTML bar updated in place) unless ``quiet``. ``out`` writes a results folder
    (nothing is written without it); ``resume`` continues an interrupted run there, ``force``
    starts over in a folder that holds an earlier run (as ``--resume`` and ``--force``).
    ``replicate`` replaces the world's ``simulate`` (tests).
    Replications that raise are listed in ``Results.failures`` with a warning.
    """
    mapping: dict[str, Any] = dict(set or {})
    mapping.update({k.replace("__", "."): v for k, v in overrides.items()})
    scenario = resolve_scenario(scenario_or_path, mapping, reps=reps, seed=seed, max_reps=max_reps)
    runner = Runner(
        scenario,
        replicate=replicate,
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        out=out,
        resume=resume,
        force=force,
        progress=make_progress(quiet),
        command=["sim.run"],
    )
    try:
        return Results.of(runner.run())
    except RunFailed as exc:
        warnings.warn(str(exc), RuntimeWarning, stacklevel=2)
        return Results.of(exc.results)
