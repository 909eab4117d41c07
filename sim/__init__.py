"""incentsim: simulate how compensation plans change behaviour, retention and revenue.

Public API::

    from sim import load_scenario
    scenario = load_scenario("scenarios/seed-plans.yaml")
"""

from sim._version import __version__
from sim.scenario import Scenario, ScenarioError, load_scenario, load_scenario_text

__all__ = ["Scenario", "ScenarioError", "__version__", "load_scenario", "load_scenario_text"]
