"""incentsim: simulate how compensation plans change behaviour, retention and revenue.

Public API::

    from sim import load_scenario
    scenario = load_scenario("scenarios/seed-plans.yaml")

    import sim
    results = sim.run("scenarios/seed-plans.yaml", reps=8)   # -> sim.Results
    robust = sim.sensitivity("scenarios/seed-plans.yaml")       # -> probability each plan is best
    designed = sim.optimise("scenarios/design-a-plan.yaml", budgets=["payout_share_of_bookings<=0.12"])
"""

from typing import TYPE_CHECKING, Any

from sim._version import __version__
from sim.scenario import Scenario, ScenarioError, load_scenario, load_scenario_text

if TYPE_CHECKING:
    from sim.api import run
    from sim.explore.api import optimise, sensitivity
    from sim.results import Results

__all__ = [
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "load_scenario_text",
    "optimise",
    "run",
    "sensitivity",
]


def __getattr__(name: str) -> Any:
    """Lazy exports: ``run``, ``Results``, ``sensitivity`` and ``optimise`` import the experiment
    machinery on first use."""
    if name == "run":
        from sim.api import run

        return run
    if name in ("sensitivity", "optimise"):
        from sim.explore import api

        return getattr(api, name)
    if name == "Results":
        from sim.results import Results

        return Results
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names with its lazy exports (what tab completion in a notebook offers)."""
    return sorted({*globals(), *__all__})
