"""λ judged against the role's variable pay at target (``behaviour.stake_reference_variable_usd``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.policy.incentive import make_policy, role_rationality
from sim.scenario import load_scenario, with_overrides

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "one-step-deeper.yaml"


def test_role_rationality_scales_by_reference_over_variable() -> None:
    s = load_scenario(BASE)
    plan = s.plan("implementation-on-renewals")
    b = s.behaviour.model_copy(update={"rationality_per_kusd": 2.0, "stake_reference_variable_usd": 100000.0})
    assert role_rationality(b, plan, "consultant") == pytest.approx(2.0 * 100000 / 20000)
    assert role_rationality(b, plan, "ae") == pytest.approx(2.0 * 100000 / plan.ae.target_variable_annual_usd)
    # a role without variable pay at target keeps λ as given
    assert plan.marketing.target_variable_annual_usd == 0
    assert role_rationality(b, plan, "marketing") == pytest.approx(2.0)
    off = b.model_copy(update={"stake_reference_variable_usd": None})
    assert role_rationality(off, plan, "consultant") == pytest.approx(2.0)


def test_absent_reference_leaves_every_role_at_the_scenario_lambda() -> None:
    s = with_overrides(load_scenario(BASE), {"behaviour.stake_reference_variable_usd": None})
    policy = make_policy(s, "implementation-on-renewals")
    assert set(policy._lam.values()) == {s.behaviour.rationality_per_kusd}
