"""The search of one optimisation: an Optuna study on its storage, seeded samplers, the reference
plans, racing of candidates in batches, and the ranking of finished trials."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from sim.experiment.progress import Progress
from sim.explore.candidates import Candidate, at_points, suggest, violation_total
from sim.explore.extra import require
from sim.explore.optimise_settings import COMMAND, OptimiseSettings, check, evaluation_points
from sim.explore.outcomes import DIRECTIONS
from sim.explore.points import PointRunner
from sim.explore.search import Evaluation, Search
from sim.rng import seed_sequence
from sim.scenario.schema import Scenario


def trial_seed(scenario: Scenario, n: int, name: str) -> int:
    """An integer seed for a library that takes one (Optuna's samplers and fANOVA), from the named
    stream ``name`` of the scenario seed at index ``n``."""
    return int(seed_sequence(scenario.experiment.seed, n, name).generate_state(1)[0])


def _sampler(optuna: Any, scenario: Scenario, s: OptimiseSettings, n_objectives: int, n: int) -> Any:
    """A sampler seeded for the batch that starts at trial ``n`` (both read the constraints each
    trial sets: infeasible trials rank below feasible ones)."""
    seed = trial_seed(scenario, n, "explore.optimise.sampler")
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


def dominates(a: Sequence[float], b: Sequence[float], objectives: Sequence[str]) -> bool:
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
        done = [t for t in done if not any(dominates(o.values, t.values, objectives) for o in done)]
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
