"""Parameter recovery (slow): calibrations of synthetic exports made from known parameters find them.

Twenty independent exports of one small company (``tests/calibrate/recovery.py``: replications
0-19 of the truth, its own seed) are calibrated with another scenario as the starting point (a
wrong win rate, churn, lead volume and deal size), stage 2 searching the AEs' rationality. For
every field a calibration calls identified, its 95% interval must hold the truth in at least 90%
of the exports that identify it; fields the exports cannot show must be reported as not identified.
Then the calibrated company, simulated afresh (another seed), must reproduce the observed moments
within their intervals. ``benchmarks/calibration_recovery.py`` runs the same study on demand and
prints the coverage of every field (``benchmarks/README.md`` has the measured figures).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sim.calibrate import Calibration
from sim.calibrate.estimates import BEHAVIOUR, BRIDGED, DIRECT
from sim.calibrate.history import load_history
from sim.calibrate.points import Evaluator
from sim.calibrate.stage1 import stage_one
from sim.experiment.backends import Backend, make_backend
from sim.scenario import Scenario
from tests.calibrate.recovery import (
    NEVER_IDENTIFIED,
    START,
    calibrate_all,
    coverage,
    short_of_bar,
    write_all,
)

pytestmark = pytest.mark.slow

DATASETS = 20


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_all(tmp_path_factory.mktemp("recovery"), DATASETS)


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    """One pool of two worker processes (the CI machine's two cores) for the whole study."""
    with make_backend("process", 2) as b:
        yield b


@pytest.fixture(scope="module")
def calibrations(exports: list[Path], backend: Backend) -> list[Calibration]:
    return calibrate_all(exports, backend)


def test_stage_one_recovers_the_fields_it_identifies(exports: list[Path]) -> None:
    runs = []
    for f in exports:
        crm = load_history(f / "opportunities.csv", f / "accounts.csv", START, f / "people.csv")
        runs.append([e for e in stage_one(crm, START).estimates if e.stage == DIRECT])
    cov = coverage(runs)
    assert {"company.deals.cycle_shape", "company.lead_sources.outbound"} <= set(cov)
    assert not short_of_bar(cov), cov


def test_stage_two_recovers_the_fields_it_identifies(calibrations: list[Calibration]) -> None:
    cov = coverage([c.estimates for c in calibrations])
    print(cov)  # shown with -s or -rA: the coverage of every field
    assert not short_of_bar(cov), (
        f"fields whose intervals held the truth in under 90% of the exports identifying them: "
        f"{short_of_bar(cov)}; all: {cov}"
    )


LEADS_SATURATE = (
    "known limitation (docs/calibrate.md, run 6): the three AEs' opportunity capacity (12 each) binds, so "
    "opportunities per month, the only statistic of lead volume in an opportunity export, rise only half "
    "as fast as leads (measured at export 3's estimate, 16 replications, central difference on log leads: "
    "8.0 +- 0.8 opportunities a month per unit, 21.8 +- 0.8 with the capacity lifted) and vary 1.7 times "
    "as much between histories; its interval is then wider than the estimate in 6 of the 20 exports"
)


@pytest.mark.parametrize(
    "path",
    [
        "behaviour.rationality_per_kusd",
        pytest.param(
            "company.segments.smb.leads_per_month",
            marks=pytest.mark.xfail(strict=True, reason=LEADS_SATURATE),
        ),
        "company.segments.smb.base_win_rate",
        "company.segments.smb.sales_cycle_days",
    ],
)
def test_stage_two_identifies_the_main_fields_in_most_exports(
    calibrations: list[Calibration], path: str
) -> None:
    """Power: the fields the exports are made to show are identified in three quarters of them."""
    cov = coverage([c.estimates for c in calibrations])
    assert cov.get(path, (0, 0))[0] >= 0.75 * DATASETS, (path, cov)


def test_what_the_exports_cannot_show_is_reported_as_not_identified(calibrations: list[Calibration]) -> None:
    for cal in calibrations:
        by_path = {e.path: e for e in cal.estimates}
        for path in NEVER_IDENTIFIED:
            assert not by_path[path].identified, path
            assert path in cal.uncertainties, path
        for e in cal.estimates:
            if not e.identified and e.stage in (DIRECT, BRIDGED, BEHAVIOUR) and e.value:
                assert e.path in cal.uncertainties, e.path
        assert Scenario.model_validate(cal.data).name.endswith("-calibrated")


def test_the_calibrated_company_reproduces_the_observed_moments(
    calibrations: list[Calibration], backend: Backend
) -> None:
    """Fresh replications (another seed) of two calibrated companies against their exports: every
    matched moment within 3.5 standard errors, and at least 90% of them within their 95% interval."""
    inside, total = 0, 0
    for cal in calibrations[:2]:
        fresh = cal.scenario.model_copy(
            update={"experiment": cal.scenario.experiment.model_copy(update={"seed": 31337})}
        )
        sims = Evaluator(fresh, fresh.baseline, cal.spec, cal.fit.names, backend).evaluate([{}], 8)[0]
        fit = cal.fit_table().set_index("moment")
        for j, name in enumerate(cal.fit.names):
            if fit.loc[name, "role"] not in ("bridge", "behaviour") or not math.isfinite(cal.fit.observed[j]):
                continue
            col = sims[:, j][np.isfinite(sims[:, j])]
            sd = float(np.std(col, ddof=1))
            if not sd > 0:
                continue
            z = (cal.fit.observed[j] - col.mean()) / (sd * math.sqrt(1 + 1 / len(col)))
            assert abs(z) < 3.5, (name, z)
            inside += int(abs(z) <= 2.365)  # t with 7 degrees of freedom
            total += 1
    assert inside >= 0.9 * total, (inside, total)
