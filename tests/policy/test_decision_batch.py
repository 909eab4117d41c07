"""Decisions asked in batches (``Policy.choose_many``) answer exactly as the same decisions asked
one at a time (``Policy.choose`` on ``batch.decision(j)``), for every kind the world batches."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from sim.policy import make_policy
from sim.policy.batch import DecisionBatch, OptionTables
from sim.policy.decisions import Option
from sim.policy.incentive import IncentivePolicy
from sim.replication import simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "world"))
from world_fixtures import tiny


class _Checking(IncentivePolicy):
    """The incentive policy, answering every batch also one decision at a time and comparing."""

    def __init__(self, base: IncentivePolicy) -> None:
        super().__init__(base.behaviour, base.plan, measure_start_months=base.measure_start_months)
        self.kinds: dict[str, int] = {}
        self.deviated: dict[str, int] = {}

    def choose_many(self, batch: DecisionBatch, u: np.ndarray) -> np.ndarray:
        assert self.valuer is not None
        k = super().choose_many(batch, u)
        one = [IncentivePolicy.choose(self, batch.decision(j), float(u[j])) for j in range(len(batch))]
        assert k.tolist() == one, batch.kind
        for j in range(len(batch)):  # the batch's values are each decision's own valuation
            d = batch.decision(j)
            mean, sd = self.valuer.stack_pay(batch.tables)
            table = d.option_table()
            alone, alone_sd = self.valuer.pay(d.role, d.person, d.day, table.source or table)
            i = int(batch.which[j])
            assert mean[i] == pytest.approx(alone, rel=1e-12, abs=1e-9)
            assert sd[i] == pytest.approx(alone_sd, rel=1e-12, abs=1e-9)
        self.kinds[batch.kind] = self.kinds.get(batch.kind, 0) + len(batch)
        self.deviated[batch.kind] = self.deviated.get(batch.kind, 0) + int((k != batch.neutral).sum())
        return k


def _scenario() -> object:
    sc = tiny(behaviour__rationality_per_kusd=0.3, company__segments__smb__leads_per_month=30.0)
    data = sc.model_dump(mode="json")
    data["plans"][0]["csm"] = {
        "base_salary_annual_usd": 80000,
        "target_variable_annual_usd": 20000,
        "components": [
            {"name": "nrr", "measure": "book_nrr", "period": "quarter", "kind": "bonus", "target_usd": 5000,
             "target_value": 1.0,
             "curve": [{"attainment": 0.9, "payout": 0.0}, {"attainment": 1.1, "payout": 2.0}]},
        ],
    }  # fmt: skip
    return type(sc).model_validate(data)


def test_batches_answer_as_one_decision_at_a_time() -> None:
    sc = _scenario()
    policy = _Checking(make_policy(sc, "base"))  # type: ignore[arg-type]
    simulate(sc, "base", 0, policy)  # type: ignore[arg-type]
    assert set(policy.kinds) == {"pursue", "deal_terms", "close_timing", "csm_split"}
    assert all(n > 5 for n in policy.kinds.values())
    # the incentives moved decisions of every kind the AEs take in batches: the check compared choices
    # that differ from the neutral one, not only neutral answers
    assert policy.deviated["deal_terms"] > 0
    assert policy.deviated["pursue"] + policy.deviated["close_timing"] > 0


def test_a_batch_decision_as_a_decision() -> None:
    data = np.zeros((2, 1, 13, 3))
    data[:, 0, 0] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]  # amounts
    tables = OptionTables("ae", np.array([7, 9]), np.array([10.0, 11.0]), data, ("bookings_acv",))
    labels = (Option("a", (), 0.0, 0.1), Option("b", (), 1.5, 0.2))
    batch = DecisionBatch(
        "deal_terms", tables, np.array([1]), np.array([2, -1]), np.array([0.0, 1.5]), np.array([1]), labels,
        {"fit": np.array([0.3, 0.8])}, np.array([[5.0, 6.0]]),
    )  # fmt: skip
    d = batch.decision(0)
    assert (d.kind, d.role, d.person, d.day, d.neutral) == ("deal_terms", "ae", 9, 11.0, 1)
    assert d.attrs == {"fit": 0.8}
    assert [o.label for o in d.options] == ["a", "b"] and [o.value for o in d.options] == [5.0, 6.0]
    assert [o.effort_kusd for o in d.options] == [0.0, 1.5]
    assert [o.measure for o in d.options[0].outcomes] == ["bookings_acv"]
    assert d.options[0].outcomes[0].amount == 6.0  # row 2 of situation 1
    assert d.options[1].outcomes == ()  # row -1: no outcome
