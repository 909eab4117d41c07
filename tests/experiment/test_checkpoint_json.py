"""A checkpointed result's JSON: the text of ``to_json(dataclasses.asdict(result))`` (the shallow
conversion must not change a byte), and an exact round trip."""

from __future__ import annotations

import dataclasses
import math

import pytest

from sim.experiment.checkpoints import result_from_json, result_to_json
from sim.formats import to_json
from sim.replication import simulate
from sim.scenario import Scenario

_SMALL = {
    "name": "small",
    "company": {
        "horizon_years": 0.5,
        "warmup_years": 0.25,
        "segments": {s: {"starting_customers": 20, "leads_per_month": 8} for s in ("smb", "mid_market")}
        | {"enterprise": {"starting_customers": 0, "leads_per_month": 0}},
        "reps": {"headcount": 3},
        "csms": {"headcount": 2},
        "consultants": {"headcount": 2},
    },
    "plans": [{"name": "p", "ae": {"components": [{"name": "c", "measure": "bookings_acv", "rates": [
        {"from_attainment": 0, "rate": 0.1}]}]}}],
    "experiment": {"seed": 3},
}  # fmt: skip


@pytest.mark.parametrize("keep_ledger", [False, True])
def test_checkpoint_text_is_asdicts(keep_ledger: bool) -> None:
    r = simulate(Scenario.model_validate(_SMALL), "p", 1, keep_ledger=keep_ledger)
    assert (r.ledger is not None) == keep_ledger
    text = result_to_json(r)
    assert text == to_json(dataclasses.asdict(r))
    back = result_from_json(text)
    assert back.metrics.keys() == r.metrics.keys()
    for k, v in r.metrics.items():
        assert back.metrics[k] == v or (math.isnan(v) and math.isnan(back.metrics[k]))
    assert back.timeseries == r.timeseries and back.people == r.people
