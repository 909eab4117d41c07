"""Shared test fixtures: the repository root, scenarios from strings, hypothesis profiles.

Hypothesis profiles: ``dev`` (default, quick), ``ci`` (more examples, no deadline,
derandomized so CI is reproducible). Choose with ``HYPOTHESIS_PROFILE=ci``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from sim.scenario import Scenario, load_scenario_text

REPO_ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = REPO_ROOT / "scenarios"

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the folder holding ``pyproject.toml``)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    """The repository's ``scenarios/`` folder."""
    return SCENARIOS_DIR


ScenarioFromText = Callable[..., Scenario]


@pytest.fixture
def scenario_from_text() -> ScenarioFromText:
    """Load a scenario from a YAML string; ``extends`` resolves relative to ``scenarios/``.

    Call as ``scenario_from_text(text, overrides=None, name="<test>")``; raises
    :class:`sim.scenario.ScenarioError` exactly as a file would.
    """

    def load(
        text: str, overrides: Mapping[str, Any] | Iterable[str] | None = None, name: str = "<test>"
    ) -> Scenario:
        return load_scenario_text(text, name=name, base_dir=SCENARIOS_DIR, overrides=overrides)

    return load
