"""incentsim: simulate how compensation plans change behaviour, retention and revenue.

Public API::

    from sim import load_scenario
    scenario = load_scenario("scenarios/seed-plans.yaml")

    import sim
    results = sim.run("scenarios/seed-plans.yaml", reps=8)   # -> sim.Results
    robust = sim.sensitivity("scenarios/seed-plans.yaml")       # -> probability each plan is best
"""

from typing import TYPE_CHECKING, Any

from sim._version import __version__
from sim.scenario import Scenario, ScenarioError, load_scenario, load_scenario_text

if TYPE_CHECKING:
    from sim.api import run
    from sim.experiment.results import Results
    from sim.explore.api import sensitivity

__all__ = [
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "load_scenario_text",
    "run",
    "sensitivity",
]


def __getattr__(name: str) -> Any:
    """Lazy exports: ``run`` and ``Results`` import the experiment machinery on first use."""
    if name == "run":
        from sim.api import run

        return run
    if name == "sensitivity":
        from sim.explore.api import sensitivity

        return sensitivity
    if name == "Results":
        from sim.experiment.results import Results

        return Results
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
