"""Calibration band checks for ``scenarios/base-company.yaml`` under its conventional plan.

Three replications of the conventional plan with the default (incentive) policy, the same
ones ``incentsim run`` would draw first. Each test asserts the replication mean lies in a
published band and, for GRR and NRR, that the whole 95% t-interval does. Sources and the
parameter choices are in docs/calibration.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.replication import simulate
from sim.scenario import load_scenario
from sim.validation.bands import BANDS

BASE = Path(__file__).resolve().parents[2] / "scenarios" / "base-company.yaml"
REPLICATIONS = 3


@pytest.fixture(scope="module")
def runs() -> list[Mapping[str, float]]:
    """Metrics of replications 0..2 of the conventional plan."""
    scenario = load_scenario(BASE)
    return [simulate(scenario, "conventional", k).metrics for k in range(REPLICATIONS)]


def _values(runs: list[Mapping[str, float]], metric: str) -> np.ndarray:
    return np.array([float(r[metric]) for r in runs])


def _ci(values: np.ndarray) -> tuple[float, float]:
    mean = float(values.mean())
    hw = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean - hw, mean + hw


def test_overall_grr_in_saas_capital_band(runs: list[Mapping[str, float]]) -> None:
    """GRR 88-94%: SaaS Capital 2023 retention benchmarks, median GRR about 90-93% for
    private B2B SaaS; the 95% interval over replications must lie inside the band.
    Bands: sim.validation.bands.BANDS (one table for these tests and validate-model)."""
    lo, hi = _ci(_values(runs, "grr"))
    assert lo >= BANDS["grr"].lo and hi <= BANDS["grr"].hi, (lo, hi)


def test_overall_nrr_in_saas_capital_band(runs: list[Mapping[str, float]]) -> None:
    """NRR 100-110%: SaaS Capital 2023, median NRR about 100-110% for private B2B SaaS."""
    lo, hi = _ci(_values(runs, "nrr"))
    assert lo >= BANDS["nrr"].lo and hi <= BANDS["nrr"].hi, (lo, hi)


def test_retention_rises_with_contract_size(runs: list[Mapping[str, float]]) -> None:
    """SMB < mid-market < enterprise for both GRR and NRR (SaaS Capital 2023: retention rises
    with ACV; seed 003: "SMB churns heavily", mid-market NRR 95-100%, top enterprise 120-130%)."""
    for kind in ("grr", "nrr"):
        smb = _values(runs, f"{kind}_smb").mean()
        mid = _values(runs, f"{kind}_mid_market").mean()
        ent = _values(runs, f"{kind}_enterprise").mean()
        assert smb < mid < ent, (kind, smb, mid, ent)


def test_segment_bands(runs: list[Mapping[str, float]]) -> None:
    """Seed 003: SMB loses net revenue (NRR below 100%, GRR mid-80s), mid-market NRR near
    95-105%, enterprise NRR clearly above 105% (top quartile 120-130%; median lower)."""
    for metric in ("nrr_smb", "grr_smb", "nrr_mid_market", "nrr_enterprise"):
        assert BANDS[metric].contains(_values(runs, metric).mean()), (metric, BANDS[metric])


def test_ae_commission_about_ten_percent_of_new_acv(runs: list[Mapping[str, float]]) -> None:
    """AE variable pay / new-logo ARR near 10% (typical AE commission about 10% of first-year
    ACV at quota, BRIEF reference figures); accelerators above quota and expansion credit push
    the measured ratio somewhat above the plan's 10% rate, so the band is 9-14%."""
    ratio = _values(runs, "payout_cost_ae") / _values(runs, "new_arr")
    assert 0.09 <= ratio.mean() <= 0.14, ratio


def test_about_half_of_reps_at_quota(runs: list[Mapping[str, float]]) -> None:
    """Share of AE quota periods at or above quota 40-60% ("about half of reps at or above
    quota"; quota-attainment surveys put it near or below one half)."""
    share = _values(runs, "share_at_quota").mean()
    assert 0.40 <= share <= 0.60, share


def test_time_to_value_in_weeks_and_queue_stable(runs: list[Mapping[str, float]]) -> None:
    """Time from booking to go-live is weeks, not months: 14-35 days on average. The segments'
    implementation_days (7 SMB, 25 mid-market, 60 enterprise) weighted by a new-logo mix that is
    mostly SMB and mid-market put pure service near two to three weeks; a stable queue adds a
    wait of at most about half that. No lead is lost for want of a rep (capacity keeps up)."""
    ttv = _values(runs, "time_to_value_days").mean()
    assert 14.0 <= ttv <= 35.0, ttv
    assert _values(runs, "leads_lost").max() == 0
