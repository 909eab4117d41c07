"""Speed of one replication (run on demand: ``pytest -m benchmark tests/world``)."""

from __future__ import annotations

import time

import pytest

from sim import load_scenario
from sim.policy import NeutralPolicy
from sim.replication import simulate


@pytest.mark.benchmark
def test_base_company_replication_is_fast(scenarios_dir) -> None:  # type: ignore[no-untyped-def]
    sc = load_scenario(scenarios_dir / "base-company.yaml")
    simulate(sc, sc.plans[0].name, 0, NeutralPolicy())  # warm imports and caches
    t = time.process_time()
    r = simulate(sc, sc.plans[0].name, 1, NeutralPolicy())
    cpu = time.process_time() - t
    assert r.events_scheduled > 10_000
    assert cpu < 3.0, f"{cpu:.2f} CPU s per replication"
