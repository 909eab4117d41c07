"""The calibrated scenario: the current-plan scenario resolved (it extends nothing), the estimates
set, and the fields the data cannot identify written as ``uncertainties:`` (the convention the
sensitivity command reads: a dotted path to ``{distribution, low, high, mode|mean+sd, source}``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from sim.calibrate.estimates import BEHAVIOUR, COUNT, REPORTED, Estimate
from sim.calibrate.params import behaviour_param, rounded
from sim.problems import ScenarioError
from sim.scenario.schema import Scenario

UNOBSERVED: tuple[tuple[str, str], ...] = (
    ("behaviour.ae.win_odds_per_discount", "a CRM's win-discount slope mixes the discount with promises"),
    ("behaviour.ae.win_odds_per_promise", "over-promising is not recorded in a CRM export"),
    ("behaviour.ae.promise_health_gap", "over-promising and customer health are not in the exports"),
    ("company.customers.renewal_health_sensitivity", "customer health is not in the exports"),
    ("company.customers.renewal_price_sensitivity", "renewal price changes are not separated in the exports"),
    ("company.customers.health_per_quality", "implementation quality is not in the exports"),
    ("behaviour.csm.expansion_multiplier", "how CSMs spend their time is not in the exports"),
    ("behaviour.csm.save_health_per_month", "how CSMs spend their time is not in the exports"),
    ("company.customers.referrals_per_promoter_per_year", "promoters (NPS) are not in the exports"),
    ("company.champions.mean_tenure_years", "champions' job changes are not in the exports"),
    ("behaviour.annual_time_preference", "pay timing preferences are not identified by one plan's data"),
)
"""Fields no CRM export informs, given a range of half to one and a half times their current value."""
SPREAD = 0.5


def _get(scenario: Scenario, path: str) -> Any:
    node: Any = scenario
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _valid(base: Scenario, path: str, value: float) -> bool:
    from sim.api import resolve_scenario

    try:
        resolve_scenario(base, {path: value})
    except ScenarioError:
        return False
    return True


def judged_range(base: Scenario, path: str, value: float, source: str) -> dict[str, Any] | None:
    """A triangular range of ``value`` x (1 -/+ SPREAD), each end pulled toward the value until the
    field accepts it (a fraction stays at most 1); a whole-number field gets a uniform range of whole
    numbers; None for a value of 0."""
    if value == 0 or not math.isfinite(value):
        return None
    current = _get(base, path)
    if isinstance(current, int) and not isinstance(current, bool):
        whole = math.floor(value * (1 - SPREAD)), math.ceil(value * (1 + SPREAD))
        if not whole[0] < whole[1] or not all(_valid(base, path, v) for v in whole):
            return None
        return {"distribution": "uniform", "low": whole[0], "high": whole[1], "source": source}
    ends = []
    for f in (1 - SPREAD, 1 + SPREAD):
        end = value * f
        for _ in range(20):
            if _valid(base, path, rounded(end)):
                break
            end = (end + value) / 2
        ends.append(rounded(end))
    low, high = sorted(ends)
    if not low < high:
        return None
    return {"distribution": "triangular", "low": low, "high": high, "mode": rounded(value), "source": source}


def uncertainties(base: Scenario, estimates: Iterable[Estimate]) -> dict[str, dict[str, Any]]:
    """The ``uncertainties:`` block: every field the data do not identify (behaviour fields over
    their search range, the others around their value), then the fields no export informs."""
    out: dict[str, dict[str, Any]] = {}
    for e in estimates:
        if e.identified or e.stage in (COUNT, REPORTED) or e.path.startswith("seasonality."):
            continue
        why = (
            f"calibration: not identified by the exports ({e.note})"
            if e.note
            else "calibration: not identified"
        )
        if e.stage == BEHAVIOUR:
            p = behaviour_param(e.path)
            log = p.scale.name == "log" and p.low > 0
            out[e.path] = {
                "distribution": "log_uniform" if log else "uniform",
                "low": p.low,
                "high": p.high,
                "source": f"{why}; the range searched",
            }
        else:
            got = judged_range(base, e.path, e.value, f"{why}; judgement: half to 1.5 times the value used")
            if got is not None:
                out[e.path] = got
    for path, why in UNOBSERVED:
        if path in out:
            continue
        got = judged_range(
            base,
            path,
            float(_get(base, path)),
            f"{why}; judgement: half to 1.5 times the current scenario's value",
        )
        if got is not None:
            out[path] = got
    return out


def calibrated_scenario(
    base: Scenario,
    values: Mapping[str, float],
    name: str,
    description: str,
    block: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Any], Scenario]:
    """The calibrated scenario's data (ready for YAML) and the validated scenario.

    ``base`` is the current-plan scenario with stage 1's fields set; ``values`` the stage-2
    fields. The ``uncertainties:`` block is written when this version's scenario schema has it.
    """
    from sim.scenario.load import apply_overrides, validate_data

    data = base.model_dump(mode="json")
    apply_overrides(
        data, {k: rounded(v) if isinstance(v, float) else v for k, v in values.items()}, "calibration"
    )
    data["name"] = name
    data["description"] = description
    data.get("output", {}).pop("dir", None)
    if "uncertainties" in Scenario.model_fields and block:
        data["uncertainties"] = {k: dict(v) for k, v in block.items()}
    return data, validate_data(data, "calibrated.yaml")
