"""Scenario files: the validated description of a company, its people's behaviour and the plans."""

from sim.problems import Problem, ScenarioError
from sim.scenario.load import dump_scenario, load_scenario, load_scenario_text
from sim.scenario.overrides import parse_set, with_overrides
from sim.scenario.schema import Scenario

__all__ = [
    "Problem",
    "Scenario",
    "ScenarioError",
    "dump_scenario",
    "load_scenario",
    "load_scenario_text",
    "parse_set",
    "with_overrides",
]
