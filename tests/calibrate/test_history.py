"""``sim.replication.history``: the world run exactly as ``simulate`` runs it, without its result.

Calibration reads only a replication's ledger (``sim/calibrate/points.py``, ``synthetic.py``), so it
asks :func:`~sim.replication.history`, which leaves out the readers that only build a result. These
tests hold it to the ledger ``simulate(..., keep_ledger=True)`` keeps, event for event.
"""

from __future__ import annotations

import pytest

from sim.api import resolve_scenario
from sim.calibrate.simulated import OpportunityLog
from sim.policy import make_policy
from sim.replication import history, simulate
from sim.scenario import Scenario
from tests.calibrate.company import BASE, SMALL
from tests.calibrate.recovery import TRUTH


def _logged(sc: Scenario) -> OpportunityLog:
    return OpportunityLog(make_policy(sc, sc.baseline), sc.behaviour.ae.pull_in_discount)


@pytest.mark.parametrize("replication", [0, 3])
def test_history_is_the_ledger_simulate_keeps_under_the_calibrations_policy(replication: int) -> None:
    kept_log, log = _logged(TRUTH), _logged(TRUTH)
    kept = simulate(TRUTH, TRUTH.baseline, replication, policy=kept_log, keep_ledger=True).ledger
    got = history(TRUTH, TRUTH.baseline, replication, policy=log)
    assert kept is not None and len(kept) > 500
    assert got.ledger == kept
    assert log.opened == kept_log.opened and log.pulled == kept_log.pulled
    assert got.wall_seconds > 0


def test_history_is_the_ledger_simulate_keeps_under_the_default_policy() -> None:
    sc = resolve_scenario(
        BASE, SMALL | {"company.horizon_years": 0.5, "company.segments.mid_market.leads_per_month": 10}
    )
    kept = simulate(sc, sc.baseline, 2, keep_ledger=True).ledger
    assert kept is not None and {e.segment for e in kept if e.kind == "booking"} >= {0, 1}
    assert history(sc, sc.baseline, 2).ledger == kept
