"""What an optimisation does (``optimise.yaml``): objectives, budgets, trials, racing and the robust
option; the checks that refuse settings that cannot run; the points a candidate is evaluated at."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import yaml

from sim.explore import design as dsg
from sim.explore.indices import OUTCOME_METRICS
from sim.explore.outcomes import DIRECTIONS
from sim.explore.search import Budget, parse_budget
from sim.explore.variants import variant
from sim.problems import Problem, ScenarioError
from sim.scenario.schema import Scenario

COMMAND = "incentsim optimise"

SETTINGS_FILE = "optimise.yaml"


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
            from sim.problems import unknown

            raise refuse("--objective", unknown(m, list(DIRECTIONS), "objective"))
    if len(set(objectives)) != len(objectives):
        raise refuse("--objective", "each objective may be given once")
    budgets = [parse_budget(b, OUTCOME_METRICS) for b in s.budgets]
    if s.trials < 1 or s.min_reps < 1 or s.max_reps < s.min_reps or s.batch < 1 or s.top < 1:
        raise refuse("--trials", "expected trials, batch, top, min-reps >= 1 and max-reps >= min-reps")
    if s.robust != "none":
        ok = s.robust == "mean" or (
            s.robust[:1] == "q" and s.robust[1:].isdecimal() and 0 < int(s.robust[1:]) < 50
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
