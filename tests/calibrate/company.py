"""The small company the calibration tests simulate: one segment, three AEs, fifteen months."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "base-company.yaml"
SMALL = {
    "company.horizon_years": 1.25, "company.warmup_years": 0.25,
    "company.segments.smb.starting_customers": 60, "company.segments.smb.leads_per_month": 28,
    "company.segments.mid_market.starting_customers": 0, "company.segments.mid_market.leads_per_month": 0,
    "company.segments.enterprise.starting_customers": 0, "company.segments.enterprise.leads_per_month": 0,
    "company.reps.headcount": 3, "company.csms.headcount": 1, "company.consultants.headcount": 1,
    "company.consultants.concurrent_projects": 12, "company.marketing.headcount": 1,
    "plans.conventional.ae.quota.annual_amount": 500000,
}  # fmt: skip
"""Overrides of the base company (``--set`` paths)."""
