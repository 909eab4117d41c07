"""A scenario with some fields changed: a sample point, a candidate plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.problems import Problem, ScenarioError
from sim.scenario.load import validate_data
from sim.scenario.overrides import apply_overrides
from sim.scenario.schema import Scenario


def variant(
    scenario: Scenario, overrides: Mapping[str, Any], label: str, *, drop_uncertainties: bool = False
) -> Scenario:
    """``scenario`` with dotted-path ``overrides`` (as ``--set``), validated.

    An invalid result (a sampled value that breaks a cross-field rule, such as a detractor health
    above the promoter health) is a :class:`ScenarioError` naming ``label`` and the values set.
    ``drop_uncertainties`` removes the ``uncertainties:`` block (a point is one concrete world).
    """
    data = scenario.model_dump(mode="json")
    if drop_uncertainties:
        data["uncertainties"] = {}
    apply_overrides(data, overrides, label)
    try:
        return validate_data(data, label)
    except ScenarioError as exc:
        first = exc.problems[0]
        shown = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in overrides.items()
        )
        raise ScenarioError(
            [Problem(label, first.path, f"{first.message} (with {shown}; narrow the ranges involved)")]
        ) from None
