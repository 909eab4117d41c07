"""The root of a scenario: company, behaviour, plan designs, experiment, output and what to explore."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.problems import PATH_MARK
from sim.scenario.base import StrictModel
from sim.scenario.behaviour import Behaviour
from sim.scenario.company import Company
from sim.scenario.experiment import Experiment, Output
from sim.scenario.levers import Levers, check_levers
from sim.scenario.plans import PlanDesign
from sim.scenario.uncertainties import Uncertainty, check_uncertainties


class Scenario(StrictModel):
    """One scenario file, fully resolved (``extends`` and ``--set`` already applied)."""

    name: str = Field(min_length=1)
    """Name of the scenario (results folders and the report are named after it)."""
    description: str = ""
    """The question the scenario asks, in words (the report opens with it)."""
    company: Company = Field(default_factory=Company)
    """The simulated company."""
    behaviour: Behaviour = Field(default_factory=Behaviour)
    """How people respond to their pay."""
    plans: list[PlanDesign] = Field(min_length=1)
    """The plan designs compared (the first is the baseline unless ``experiment.baseline_plan``)."""
    experiment: Experiment = Field(default_factory=Experiment)
    """Replications, seed, baseline, precision and the decision's objective."""
    output: Output = Field(default_factory=Output)
    """What a run writes."""
    uncertainties: dict[str, Uncertainty] = Field(default_factory=dict)
    """Parameters nobody can observe, each a dotted path (as ``--set`` writes it) with a range or
    distribution and its source; ``incentsim sensitivity`` samples them (``docs/explore.md``)."""
    levers: Levers | None = None
    """Fields of one plan ``incentsim optimise`` may set, with their ranges or choices and the
    constraints that link them (``docs/explore.md``)."""

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        names = [p.name for p in self.plans]
        for i, n in enumerate(names):
            if n in names[:i]:
                raise ValueError(f"{PATH_MARK}plans.{i}.name: plan name {n!r} is used twice")
        base = self.experiment.baseline_plan
        if base is not None and base not in names:
            raise ValueError(
                f"{PATH_MARK}experiment.baseline_plan: expected one of the plan names "
                f"({', '.join(names)}), found {base!r}"
            )
        check_uncertainties(self.uncertainties, self)
        check_levers(self.levers, self.plans)
        return self

    @property
    def baseline(self) -> str:
        """The name of the baseline plan."""
        return self.experiment.baseline_plan or self.plans[0].name

    def plan(self, name: str) -> PlanDesign:
        """The plan design with this name."""
        for p in self.plans:
            if p.name == name:
                return p
        raise KeyError(name)
