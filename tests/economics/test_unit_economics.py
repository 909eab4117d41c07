"""Unit economics (``sim/economics.py``): the formulas by hand, the allocation, and a simulated company.

Definitions: ``docs/metrics.md``, "Unit economics".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.economics import head_years, lifetime_years, loaded_costs, unit_economics
from sim.ledger import DEAL_KIND_CODE, KIND_CODE, SOURCE_CODE
from sim.replication import simulate
from sim.scenario.company import Company
from sim.segment_tally import SegmentTally
from sim.time.calendar import DAYS_PER_YEAR
from tests.world.world_fixtures import tiny


def test_lifetime_years_by_hand() -> None:
    # annual terms, no discount: 1 + NRR + NRR^2 + ... over K years
    assert lifetime_years(0.5, 12, 0.0, 3.0) == pytest.approx(1 + 0.5 + 0.25)
    assert lifetime_years(0.5, 12, 0.0, 40.0) == pytest.approx(2.0, rel=1e-9)
    # NRR 1, no discount: the horizon itself
    assert lifetime_years(1.0, 12, 0.0, 10.0) == pytest.approx(10.0)
    # discounting: NRR 1.1 at 10% is flat
    assert lifetime_years(1.1, 12, 0.10, 7.0) == pytest.approx(7.0)
    # a 24-month term: (24/12) x (1 + x) with x = (0.81 / 1)^2 over 4 years
    assert lifetime_years(0.9, 24, 0.0, 4.0) == pytest.approx(2 * (1 + 0.81))
    # undefined NRR
    assert math.isnan(lifetime_years(math.nan, 12, 0.1, 10.0))


def test_monthly_terms_give_one_over_twelve_monthly_churn() -> None:
    # a = 10% a year on monthly terms: NRR = 0.9 = (1 - p_m)^12, revenue-years 1 / (12 p_m), not 1 / a
    a = 0.10
    p_m = 1 - (1 - a) ** (1 / 12)
    got = lifetime_years(1 - a, 1, 0.0, 400.0)
    assert got == pytest.approx(1 / (12 * p_m), rel=1e-9)
    assert got == pytest.approx(9.5335, abs=1e-3)
    assert got < 1 / a  # ACV / annual churn overstates by ~4.9%


@given(
    st.floats(0.05, 1.5), st.sampled_from([1, 3, 6, 12, 24, 36]), st.floats(0.0, 0.3), st.floats(0.5, 30.0)
)
def test_lifetime_years_is_the_sum_it_says(nrr: float, term: int, r: float, horizon: float) -> None:
    t = term / 12
    n = math.ceil(horizon / t - 1e-12)
    direct = sum(t * ((nrr / (1 + r)) ** t) ** k for k in range(n))
    assert lifetime_years(nrr, term, r, horizon) == pytest.approx(direct, rel=1e-9)


def test_loaded_costs_by_hand() -> None:
    company = Company.model_validate(
        {
            "costs": {
                "benefits_load": 0.25,
                "roles": {
                    "ae": {
                        "tooling_per_head_annual_usd": 10_000,
                        "heads_per_manager": 5,
                        "manager_annual_cost_usd": 200_000,
                        "support_heads_per_head": 0.5,
                        "support_annual_cost_usd": 100_000,
                    }
                },
            }
        }
    )
    got = loaded_costs(company, {"ae": 300_000.0}, {"ae": 100_000.0}, {"ae": 3.0})
    # 400k pay x 1.25 + 3 head-years x (10k tooling + 0.5 x 100k support + 200k / 5 manager)
    assert got["ae"] == pytest.approx(500_000 + 3 * (10_000 + 50_000 + 40_000))
    assert got["sdr"] == 0.0


def test_head_years_clip_to_the_window() -> None:
    y = DAYS_PER_YEAR
    roster = {1: ("ae", 0.0, 1e9), 2: ("ae", 0.5 * y, 1.5 * y), 3: ("csm", -y, 0.25 * y)}
    got = head_years(roster, 0.0, y)
    assert got["ae"] == pytest.approx(1.5)
    assert got["csm"] == pytest.approx(0.25)


class _Payouts:
    def __init__(self, base: dict[str, float], variable: dict[str, float]) -> None:
        self._base, self._variable = base, variable

    def base_by_role(self) -> dict[str, float]:
        return self._base

    def by_role(self) -> dict[str, float]:
        return self._variable


class _Drivers:
    def __init__(self, pipeline: list[float], csm: np.ndarray) -> None:
        self.pipeline_days = np.asarray(pipeline, dtype=float)
        self.csm_time = csm


def _tally() -> SegmentTally:
    t = SegmentTally()
    k, dk = KIND_CODE, DEAL_KIND_CODE
    t.movements[k["arr_new"]] = [1_000_000.0, 2_000_000.0, 0.0]
    t.new_logos[:] = [100.0, 40.0, 0.0]
    t.renewed[:] = [5_000_000.0, 10_000_000.0, 0.0]
    t.movements[k["arr_expansion"]] = [100_000.0, 400_000.0, 0.0]
    t.movements[k["arr_upsell"]] = [50_000.0, 150_000.0, 0.0]
    t.movements[k["arr_churn"]] = [-700_000.0, -500_000.0, 0.0]
    t.ae_bookings[dk["new"]] = [1_000_000.0, 2_000_000.0, 0.0]
    t.ae_bookings[dk["cross_sell"]] = [0.0, 1_000_000.0, 0.0]
    t.marketing_leads[:] = [300.0, 100.0, 0.0]
    t.new_by_source[SOURCE_CODE["referral"]] = [100_000.0, 0.0, 0.0]
    return t


def _company(**costs: Any) -> Company:
    base = {
        "benefits_load": 0.0,
        "gross_margin": 0.8,
        "discount_rate_annual": 0.0,
        "ltv_horizon_years": 3.0,
        "roles": {r: {} for r in ("ae", "sdr", "csm", "consultant", "marketing", "product")},
    }
    base.update(costs)
    return Company.model_validate({"costs": base, "marketing": {"annual_program_budget_usd": 400_000}})


def test_allocation_by_hand() -> None:
    y = DAYS_PER_YEAR
    roster = {1: ("ae", 0.0, 1e9), 2: ("csm", 0.0, 1e9), 3: ("marketing", 0.0, 1e9)}
    payouts = _Payouts({"ae": 800_000.0, "csm": 400_000.0, "marketing": 200_000.0}, {"ae": 400_000.0})
    # CSM time: smb 1 CSM-month of saves, mid-market 1 of expansion, 2 of advocacy (quarter each)
    csm = np.zeros((3, 4))
    csm[0, 0], csm[1, 2], csm[1, 3] = 1.0, 1.0, 2.0
    drivers = _Drivers([300.0, 100.0, 0.0], csm)
    ret = {"nrr_smb": 0.9, "nrr_mid_market": 1.0, "nrr_enterprise": math.nan}
    out = unit_economics(
        _company(), payouts, roster, _tally(), drivers, ret, np.array([10e6, 20e6, 0.0]), 0.0, 2 * y, 2.0
    )  # fmt: skip
    # per year: AE 600k (new share 3/4 = 450k: smb 3/4 by pipeline days, mid 1/4), CSM 200k,
    # marketing 100k + 400k programme (3/4 smb, 1/4 mid by marketing leads)
    acq_smb = 450_000 * 0.75 + 500_000 * 0.75
    acq_mid = 450_000 * 0.25 + 500_000 * 0.25 + 200_000 * 0.5  # advocacy: half the CSM time
    assert out["acquisition_cost_smb"] == pytest.approx(acq_smb)
    assert out["acquisition_cost_mid_market"] == pytest.approx(acq_mid)
    assert out["cac_ratio_smb"] == pytest.approx(acq_smb / 500_000)
    assert out["cac_smb"] == pytest.approx(acq_smb / 50)
    assert out["payback_months_smb"] == pytest.approx(12 * acq_smb / 500_000 / 0.8)
    assert out["crc_smb"] == pytest.approx(200_000 * 0.25 / 2_500_000)
    assert out["cuc_mid_market"] == pytest.approx((200_000 * 0.25 + 150_000) / 75_000)
    assert math.isnan(out["cec_smb"]) is False and out["cec_smb"] == 0.0
    assert out["logos_lost_usd_smb"] == pytest.approx(350_000)
    assert out["headwind_usd_mid_market"] == pytest.approx(250_000)
    assert out["tailwind_usd_mid_market"] == pytest.approx(275_000)
    # LTV: margin x ACV x (1 + NRR + NRR^2); smb ACV 10k
    assert out["ltv_smb"] == pytest.approx(0.8 * 10_000 * (1 + 0.9 + 0.81))
    # second order: referral new ARR 50k/yr on 10M mean ARR, one generation
    assert out["ltv_second_order_smb"] == pytest.approx(out["ltv_smb"] * (1 + 0.005 * 2.71))
    assert math.isnan(out["ltv_enterprise"])
    assert out["ltv"] == pytest.approx((50 * out["ltv_smb"] + 20 * out["ltv_mid_market"]) / 70)
    # every dollar of the sales and CS roles lands in exactly one pool
    pools = out["acquisition_cost"] + out["retention_cost"] + out["expansion_cost"] + out["upsell_cost"]
    assert pools == pytest.approx(out["loaded_cost"])


def test_pools_add_up_in_a_simulated_company() -> None:
    r = simulate(tiny(), "base", 0)
    m = r.metrics
    pools = sum(m[k] for k in ("acquisition_cost", "retention_cost", "expansion_cost", "upsell_cost"))
    service = m.get("loaded_cost_consultant", 0.0) + m.get("loaded_cost_product", 0.0)
    assert pools + service == pytest.approx(m["loaded_cost"], rel=1e-9)
    assert m["loaded_cost_ae"] > m["total_comp_cost"] * 0.3  # AE pay x load, plus overlays
    # by-segment sums add up to the company's
    for metric in ("acquisition_cost", "new_arr", "headwind_usd", "tailwind_usd"):
        segs = sum(m[f"{metric}_{s}"] for s in ("smb", "mid_market", "enterprise"))
        assert segs == pytest.approx(m[metric], rel=1e-9)
    assert m["cac_ratio"] == pytest.approx(m["acquisition_cost"] / m["new_arr"])
    assert m["cac"] == pytest.approx(m["acquisition_cost"] / m["new_logos"])


def test_demand_generation_is_acquisition_cost_by_segment() -> None:
    y = DAYS_PER_YEAR
    roster = {1: ("ae", 0.0, 1e9)}
    payouts = _Payouts({"ae": 800_000.0}, {"ae": 400_000.0})
    drivers = _Drivers([300.0, 100.0, 0.0], np.zeros((3, 4)))
    ret = {"nrr_smb": 0.9, "nrr_mid_market": 1.0, "nrr_enterprise": math.nan}
    args = (payouts, roster, _tally(), drivers, ret, np.array([10e6, 20e6, 0.0]), 0.0, 2 * y, 2.0)
    plain = unit_economics(_company(), *args)
    per_lead = {"smb": 1_000.0, "mid_market": 4_000.0, "enterprise": 9_000.0}
    company = _company(demand_generation_per_lead_usd=per_lead)
    company = company.model_copy(
        update={"segments": company.segments.model_copy(update={"smb": company.segments.smb.model_copy(
            update={"leads_per_month": 10.0})})}
    )  # fmt: skip
    got = unit_economics(company, *args)
    mm = company.segments.mid_market.leads_per_month
    ent = company.segments.enterprise.leads_per_month
    # 12 x leads a month x cost per lead, added to the segment's acquisition cost and the loaded cost
    assert got["acquisition_cost_smb"] - plain["acquisition_cost_smb"] == pytest.approx(120 * 1_000)
    assert got["acquisition_cost_mid_market"] - plain["acquisition_cost_mid_market"] == pytest.approx(
        12 * mm * 4_000
    )
    extra = 120 * 1_000 + 12 * mm * 4_000 + 12 * ent * 9_000
    assert got["loaded_cost"] - plain["loaded_cost"] == pytest.approx(extra)
    assert got["cac_ratio_smb"] == pytest.approx(got["acquisition_cost_smb"] / 500_000)
