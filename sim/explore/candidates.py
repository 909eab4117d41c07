"""Candidate plans: the levers' plan with lever values set, as a scenario the point runner can run."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import yaml

from sim.problems import ScenarioError
from sim.scenario.levers import Levers
from sim.scenario.load import validate_data
from sim.scenario.overrides import apply_overrides
from sim.scenario.paths import resolve_field
from sim.scenario.schema import Scenario


@dataclass
class Candidate:
    """A plan design proposed by the search."""

    name: str
    params: dict[str, Any]
    """Lever path -> value."""
    scenario: Scenario | None = None
    """The scenario with the candidate plan added (None when infeasible)."""
    problem: str = ""
    """Why it is infeasible (a broken constraint, an invalid plan)."""
    violations: list[float] = field(default_factory=list)
    """How far each linked constraint is broken (0 when it holds)."""
    scenario_at: list[Scenario] = field(default_factory=list)
    """The candidate's scenario at each evaluation point (see :func:`at_points`)."""

    @property
    def feasible(self) -> bool:
        """True when the plan is valid and every linked constraint holds."""
        return self.scenario is not None


def suggest(trial: Any, levers: Levers, scenario: Scenario) -> dict[str, Any]:
    """Ask an Optuna trial for a value of every lever (the lever path is the parameter name)."""
    plan = scenario.plan(levers.plan)
    out: dict[str, Any] = {}
    for path, lever in levers.fields.items():
        if lever.choices is not None:
            out[path] = trial.suggest_categorical(path, list(lever.choices))
            continue
        assert lever.low is not None and lever.high is not None
        if lever.integer or resolve_field(plan, path).kind == "integer":
            step = int(lever.step) if lever.step else 1
            out[path] = trial.suggest_int(path, int(lever.low), int(lever.high), step=step, log=lever.log)
        else:
            out[path] = trial.suggest_float(path, lever.low, lever.high, step=lever.step, log=lever.log)
    return out


def build(
    scenario: Scenario, params: dict[str, Any], name: str, *, keep_uncertainties: bool = False
) -> Candidate:
    """The candidate of ``params``: infeasible when a linked constraint breaks or the plan with
    these values is not a valid plan; else the scenario with the candidate plan appended (its
    ``levers:`` removed; its ``uncertainties:`` too unless ``keep_uncertainties``)."""
    levers = scenario.levers
    assert levers is not None
    base = scenario.plan(levers.plan)
    cons = levers.parsed_constraints()
    values: dict[str, float] = {}
    for c in cons:
        for path in c.paths():
            values[path] = float(params[path]) if path in params else float(resolve_field(base, path).value)
    slack = [c.slack(values) for c in cons]
    violations = [max(0.0, -s) for s in slack]
    cand = Candidate(name, dict(params), violations=violations)
    broken = [levers.constraints[i] for i, s in enumerate(slack) if s < 0]
    if broken:
        cand.problem = f"breaks {broken[0]}"
        return cand
    data = scenario.model_dump(mode="json")
    data["levers"] = None
    if not keep_uncertainties:
        data["uncertainties"] = {}
    plan = copy.deepcopy(next(p for p in data["plans"] if p["name"] == levers.plan))
    plan["name"] = name
    plan["description"] = f"{levers.plan} with " + ", ".join(f"{k} = {_show(v)}" for k, v in params.items())
    data["plans"].append(plan)
    apply_overrides(data, {f"plans.{name}.{k}": v for k, v in params.items()}, "levers")
    try:
        cand.scenario = validate_data(data, "levers")
    except ScenarioError as exc:
        first = exc.problems[0]
        cand.problem = f"not a valid plan: {first.path}: {first.message}"
        cand.violations = [*violations, 1.0]
    return cand


def _show(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def plan_yaml(candidate: Candidate, comment: str = "") -> str:
    """The candidate plan as YAML ready to paste under ``plans:`` (every non-default field)."""
    assert candidate.scenario is not None
    plan = candidate.scenario.plan(candidate.name)
    data = plan.model_dump(mode="json", exclude_defaults=True)
    data = {"name": data.pop("name"), "description": plan.description, **data}
    text = yaml.safe_dump([data], sort_keys=False, allow_unicode=True, width=100)
    head = "".join(f"# {line}\n" for line in comment.splitlines()) if comment else ""
    return head + text


def violation_total(c: Candidate) -> float:
    """Sum of the constraint violations (0 for a feasible candidate)."""
    return float(sum(c.violations)) if c.violations else (0.0 if c.feasible else math.inf)


def at_points(points: list[Scenario], params: dict[str, Any], name: str) -> Candidate:
    """The candidate built on every evaluation point (each a scenario with the levers): its
    feasibility and nominal scenario from the first point, ``scenario_at`` from all of them."""
    first = build(points[0], params, name)
    if first.feasible:
        first.scenario_at = [first.scenario, *(build(p, params, name).scenario for p in points[1:])]  # type: ignore[list-item]
    return first
