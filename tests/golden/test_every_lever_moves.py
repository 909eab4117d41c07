"""Every lever in ``scenarios/`` moves something besides cost (issue 19, "What it must show").

A plan whose outcomes are bit-identical to its scenario's baseline in every replication, with
only pay differing, reports "costs more, changes nothing": an artefact of a rule the world has no
behaviour for. The golden snapshots hold every plan's per-replication metrics under common random
numbers (the same replication indices for every plan), so the check reads them: no simulation.
Known exceptions are strict ``xfail`` cases with their reason (they fail the run once they move).
"""

from __future__ import annotations

import golden
import pytest

from sim.scenario import load_scenario
from sim.vocabulary.metrics import info

PAY_PREFIXES = (
    "payout", "total_comp_cost", "total_cost", "cost_of_sales", "cac", "crc", "ote_attainment",
    "pay_spread", "advocacy_spend_usd", "decisions", "loaded_cost", "acquisition_cost", "retention_cost",
    "expansion_cost", "upsell_cost", "cec", "cuc", "payback_months", "ltv_to_cac",
)  # fmt: skip
"""What a plan pays (or how often the policy is asked), not what anyone does: fully loaded costs and
the unit economics built on them include variable pay (``sim/economics.py``)."""

KNOWN_INERT: dict[tuple[str, str], str] = {}
"""(scenario, plan) pairs known to move nothing, with the reason (none at present)."""


def _cases() -> list[object]:
    out: list[object] = []
    for name in golden.scenario_names():
        scenario = load_scenario(golden.SCENARIOS_DIR / f"{name}.yaml")
        baseline = scenario.experiment.baseline_plan or scenario.plans[0].name
        for plan in scenario.plans:
            if plan.name == baseline:
                continue
            reason = KNOWN_INERT.get((name, plan.name))
            marks = pytest.mark.xfail(strict=True, reason=reason) if reason else ()
            out.append(pytest.param(name, baseline, plan.name, marks=marks, id=f"{name}:{plan.name}"))
    return out


@pytest.mark.parametrize(("name", "baseline", "plan"), _cases())
def test_plan_moves_an_outcome(name: str, baseline: str, plan: str) -> None:
    samples = golden.Snapshot.read(golden.snapshot_path(name)).samples
    base, mine = samples[baseline], samples[plan]
    outcomes = [m for m in mine if m in base and not m.startswith(PAY_PREFIXES) and info(m) is not None]
    assert len(outcomes) > 50
    moved = [m for m in outcomes if golden.digest({"x": {m: mine[m]}}) != golden.digest({"x": {m: base[m]}})]
    assert moved, f"{name}: plan {plan} changes no outcome of {baseline}, only cost"
