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
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.experiment.backends import Backend, make_backend
from sim.experiment.folder import open_results_folder
from sim.experiment.progress import Progress
from sim.experiment.results import CONFIG_FILE, config_text, to_strict_json
from sim.experiment.runner import resolve_replicate
from sim.experiment.tasks import ReplicationFn
from sim.explore import design as dsg
from sim.explore.candidates import Candidate, at_points, suggest, violation_total
from sim.explore.extra import require
from sim.explore.indices import OUTCOME_METRICS
from sim.explore.outcomes import DIRECTIONS
from sim.explore.points import PointRunner
from sim.explore.search import Budget, Evaluation, Search, parse_budget
from sim.explore.storage import STUDY_FILE, driver_token, open_storage
from sim.explore.variants import variant
from sim.files import atomic_write_text
from sim.rng import seed_sequence
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.schema import Scenario

COMMAND = "incentsim optimise"
SETTINGS_FILE = "optimise.yaml"
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


@dataclass(frozen=True)
class OptimiseSettings:
    """What an optimisation does (``optimise.yaml``; a resume must match it)."""

    objectives: tuple[str, ...] = ()
    """Metrics to improve (empty: the scenario's ``experiment.objective``); two or more: a Pareto front."""
    budgets: tuple[str, ...] = ()
    """``metric<=value`` or ``metric>=value`` on a candidate's mean."""
    trials: int = 40
    min_reps: int = 2
    """Replications per racing stage (the first stage of every candidate)."""
    max_reps: int = 6
    """Replications of a candidate that is never stopped early (and of the reference)."""
    batch: int = 4
    """Trials asked and raced together (results do not depend on the workers)."""
    top: int = 3
    """Candidates confirmed on fresh replications."""
    confirm_reps: int = 0
    """Replications per plan in the confirmation (0: the scenario's experiment settings)."""
    robust: str = "none"
    """``none``; ``mean`` or ``q10``/``q25``...: the mean or a quantile over ``robust_points``
    samples of the scenario's uncertainties."""
    robust_points: int = 8
    race_confidence: float = 0.9
    """One-sided confidence of the racing rules."""
    storage: str | None = None
    """SQLAlchemy URL of the study (default: ``study.db`` in the results folder)."""

    def text(self) -> str:
        """The YAML recorded in the folder."""
        data = asdict(self)
        data["objectives"], data["budgets"] = list(self.objectives), list(self.budgets)
        return yaml.safe_dump(data, sort_keys=False)


def check(scenario: Scenario, s: OptimiseSettings) -> tuple[list[str], list[Budget]]:
    """The objectives and budgets; :class:`ScenarioError` (exit 2) for settings that cannot run."""

    def refuse(where: str, message: str) -> ScenarioError:
        return ScenarioError([Problem(COMMAND, where, message)])

    if scenario.levers is None:
        raise refuse("levers", "the scenario declares none; add a levers: block (see docs/explore.md)")
    objectives = list(s.objectives) or [scenario.experiment.objective]
    for m in objectives:
        if m not in DIRECTIONS:
            from sim.scenario.load import _unknown

            raise refuse("--objective", _unknown(m, list(DIRECTIONS), "objective"))
    if len(set(objectives)) != len(objectives):
        raise refuse("--objective", "each objective may be given once")
    budgets = [parse_budget(b, OUTCOME_METRICS) for b in s.budgets]
    if s.trials < 1 or s.min_reps < 1 or s.max_reps < s.min_reps or s.batch < 1 or s.top < 1:
        raise refuse("--trials", "expected trials, batch, top, min-reps >= 1 and max-reps >= min-reps")
    if s.robust != "none":
        ok = s.robust == "mean" or (
            s.robust[:1] == "q" and s.robust[1:].isdigit() and 0 < int(s.robust[1:]) < 50
        )
        if not ok:
            raise refuse("--robust", f"expected none, mean or q1..q49 (a lower quantile), found {s.robust!r}")
        if not scenario.uncertainties:
            raise refuse("--robust", "needs the scenario's uncertainties: block")
        if s.robust_points < 2:
            raise refuse("--robust-points", "expected at least 2 points")
    return objectives, budgets


def evaluation_points(scenario: Scenario, s: OptimiseSettings) -> list[Scenario]:
    """The scenario itself, or ``robust_points`` Latin-hypercube samples of its uncertainties."""
    if s.robust == "none":
        return [variant(scenario, {}, "scenario", drop_uncertainties=True)]
    from scipy.stats import qmc

    params = dsg.parameters(scenario)
    rng = dsg.design_rng(scenario, "optimise.robust")
    unit = qmc.LatinHypercube(d=len(params), seed=rng).random(s.robust_points)
    values = dsg.values(params, unit)
    return [
        variant(scenario, dsg.overrides(params, row), f"robust point {i}", drop_uncertainties=True)
        for i, row in enumerate(values)
    ]


def _seed(scenario: Scenario, n: int, name: str) -> int:
    return int(seed_sequence(scenario.experiment.seed, n, name).generate_state(1)[0])


def _sampler(optuna: Any, scenario: Scenario, s: OptimiseSettings, n_objectives: int, n: int) -> Any:
    """A sampler seeded for the batch that starts at trial ``n`` (both read the constraints each
    trial sets: infeasible trials rank below feasible ones)."""
    seed = _seed(scenario, n, "explore.optimise.sampler")
    if n_objectives == 1:
        start = min(10, max(4, s.trials // 4))
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=start, multivariate=True)
    size = min(20, max(4, s.trials // 4))
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=size)


def _from_attrs(c: Candidate, attrs: dict[str, Any]) -> Evaluation:
    e = Evaluation(c, int(attrs.get("reps", 0)))
    e.diffs = {k: list(v) for k, v in attrs.get("diffs", {}).items()}
    e.point_diffs = {k: list(v) for k, v in attrs.get("point_diffs", {}).items()}
    e.budgets = {k: list(v) for k, v in attrs.get("budgets", {}).items()}
    e.stopped = str(attrs.get("stopped", ""))
    return e


def _dominates(a: Sequence[float], b: Sequence[float], objectives: Sequence[str]) -> bool:
    better = [(x if DIRECTIONS[m] else -x) for x, m in zip(a, objectives, strict=True)]
    other = [(y if DIRECTIONS[m] else -y) for y, m in zip(b, objectives, strict=True)]
    return all(p >= q for p, q in zip(better, other, strict=True)) and better != other


def ranked(study: Any, objectives: Sequence[str]) -> list[Any]:
    """Complete feasible trials that ran to the end, best first (several objectives: the Pareto
    front, ordered by the first objective)."""
    from optuna.trial import TrialState

    done = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if all(c <= 0 for c in t.user_attrs.get("constraints", [1.0])) and not t.user_attrs.get("stopped")
    ]
    sign = 1.0 if DIRECTIONS[objectives[0]] else -1.0
    if len(objectives) > 1:
        done = [t for t in done if not any(_dominates(o.values, t.values, objectives) for o in done)]
    return sorted(done, key=lambda t: (-sign * t.values[0], t.number))


def _incumbents(study: Any, objectives: Sequence[str], name: str) -> list[Evaluation]:
    best = ranked(study, objectives)
    chosen = best[:1] if len(objectives) == 1 else best
    return [_from_attrs(Candidate(name, dict(t.params)), dict(t.user_attrs)) for t in chosen]


class Study:
    """The search of one optimisation: Optuna study, evaluation points, reference and racing."""

    def __init__(
        self,
        scenario: Scenario,
        s: OptimiseSettings,
        runner: PointRunner,
        storage: Any,
        token: str,
        progress: Progress,
    ) -> None:
        self.optuna = require("optuna", COMMAND)
        self.optuna.logging.set_verbosity(self.optuna.logging.WARNING)
        self.scenario, self.s, self.token, self.progress = scenario, s, token, progress
        self.objectives, self.budgets = check(scenario, s)
        self.levers = scenario.levers
        assert self.levers is not None
        self.points = evaluation_points(scenario, s)
        plans = [p.name for p in scenario.plans]
        self.search = Search(
            runner,
            self.points,
            plans,
            scenario.baseline,
            self.objectives,
            self.budgets,
            s.min_reps,
            s.max_reps,
            s.race_confidence,
            s.robust if s.robust != "none" else "mean",
        )
        directions = ["maximize" if DIRECTIONS[m] else "minimize" for m in self.objectives]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", self.optuna.exceptions.ExperimentalWarning)
            self.study = self.optuna.create_study(
                study_name=f"{scenario.name}-optimise",
                storage=storage,
                directions=directions,
                load_if_exists=True,
                sampler=_sampler(self.optuna, scenario, s, len(self.objectives), 0),
            )

    def run(self) -> None:
        """Reference, then trials until ``trials`` are complete."""
        from optuna.trial import TrialState

        quiet, self.search.runner.progress = self.search.runner.progress, self.progress
        try:
            self.search.run_reference()
        finally:
            self.search.runner.progress = quiet
        for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if t.user_attrs.get("driver") == self.token:  # ours, interrupted: ask again with its levers
                self.study.tell(t.number, state=TrialState.FAIL)
                self.study.enqueue_trial(dict(t.params), user_attrs={"resumed_from": t.number})
        while True:
            complete = len(self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
            if complete >= self.s.trials:
                return
            self._batch(min(self.s.batch, self.s.trials - complete))
            self.progress.log(self._status())

    def _status(self) -> str:
        from optuna.trial import TrialState

        done = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        best = ranked(self.study, self.objectives)
        lead = ""
        if best:
            m = self.objectives[0]
            vs = self.scenario.baseline
            lead = f"; best so far trial {best[0].number}: {m} {best[0].values[0]:+.4g} vs {vs}"
        return f"trials: {len(done)} of {self.s.trials} complete{lead}"

    def _batch(self, size: int) -> None:
        n = len(self.study.get_trials(deepcopy=False))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", self.optuna.exceptions.ExperimentalWarning)
            self.study.sampler = _sampler(self.optuna, self.scenario, self.s, len(self.objectives), n)
            trials, cands = [], []
            for _ in range(size):
                trial = self.study.ask()
                trial.set_user_attr("driver", self.token)
                params = suggest(trial, self.levers, self.scenario)  # type: ignore[arg-type]
                trials.append(trial)
                cands.append(at_points(self.points, params, self.levers.name))  # type: ignore[union-attr]
        incumbents = _incumbents(self.study, self.objectives, self.levers.name)  # type: ignore[union-attr]
        for trial, ev in zip(trials, self.search.evaluate(cands, incumbents), strict=True):
            self._tell(trial, ev)

    def _constraints(self, trial: Any, values: list[float]) -> None:
        trial.set_user_attr("constraints", values)
        for name, v in zip(["levers", *(b.text() for b in self.budgets)], values, strict=True):
            trial.set_constraint(name, float(v))

    def _tell(self, trial: Any, ev: Evaluation) -> None:
        c = ev.candidate
        lever_violation = violation_total(c)
        if not c.feasible:  # never simulated: its values are the baseline's, its constraint is broken
            trial.set_user_attr("infeasible", c.problem)
            self._constraints(trial, [lever_violation, *([0.0] * len(self.budgets))])
            self.study.tell(trial, [0.0] * len(self.objectives))
            return
        means = ev.budget_means()
        trial.set_user_attr("reps", ev.reps)
        trial.set_user_attr("diffs", ev.diffs)
        trial.set_user_attr("point_diffs", ev.point_diffs)
        trial.set_user_attr("budgets", ev.budgets)
        trial.set_user_attr("stopped", ev.stopped)
        self._constraints(trial, [lever_violation, *(b.excess(means[b.metric]) for b in self.budgets)])
        self.study.tell(trial, self.search.score(ev))


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
    """Run an optimisation; returns an :class:`~sim.explore.outcome.Optimisation`."""
    from sim.explore.confirm import Optimisation, confirm

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
                study = Study(scenario, settings, runner, open_storage(folder, settings), token, progress)
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
