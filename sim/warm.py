"""Compile every kernel once, before replications run.

incentsim's kernels (the payout engine, the valuation of options, the deal-terms tables, the keyed
draws) are compiled by numba on first use and cached on disk. :func:`compile_kernels` runs one
tiny replication (a company of a few people, every kind of pay rule) so that each kernel is
compiled, or loaded from the cache, in the calling process: the process backend calls it in its
fork server, so the workers forked from it start with compiled code instead of each compiling
(tens of seconds on a fresh install) or loading it.
"""

from __future__ import annotations

import functools
from typing import Any

_RATES = [{"from_attainment": 0, "rate": 0.1}, {"from_attainment": 1, "rate": 0.15}]
_FLAT = [{"from_attainment": 0, "rate": 0.01}]
_CURVE = [{"attainment": 0.9, "payout": 0}, {"attainment": 1, "payout": 1}]
_BOOKED = {
    "name": "booked", "measure": "bookings_acv", "rates": _RATES, "threshold_attainment": 0.5,
    "cap_per_period_usd": 50000, "clawback": {"triggers": ["churn", "non_payment"]},
}  # fmt: skip
_REVENUE = {
    "name": "revenue", "measure": "first_year_revenue", "pays": "on_revenue", "rates": _RATES,
    "discount_bands": [{"max_discount": 0.2, "multiplier": 1.0}],
}  # fmt: skip
_GRR = {
    "name": "grr", "kind": "bonus", "measure": "book_grr", "period": "year", "target_usd": 1000,
    "target_value": 0.9, "curve": _CURVE,
}  # fmt: skip
_TINY: dict[str, Any] = {
    "name": "warm-up",
    "company": {
        "horizon_years": 0.25,
        "warmup_years": 0.0,
        "segments": {
            name: {"starting_customers": 6, "leads_per_month": 6, "list_acv_mean_usd": 9000}
            for name in ("smb", "mid_market", "enterprise")
        },
        "reps": {"headcount": 2, "max_open_opportunities": 5},
        "consultants": {"headcount": 1, "concurrent_projects": 2},
        "csms": {"headcount": 2, "max_accounts": 100},
        "marketing": {"headcount": 1},
        "sdrs": {"headcount": 1},
    },
    "plans": [
        {
            "name": "every-rule",
            "ae": {
                "quota": {"measure": "bookings_acv", "annual_amount": 400000},
                "components": [
                    _BOOKED,
                    _REVENUE,
                    {"name": "success", "measure": "bookings_acv", "pays": "after_success", "rates": _RATES},
                ],
                "spiffs": [{"event": "new_logo", "amount_usd": 100}],
            },
            "csm": {
                "components": [
                    _GRR,
                    {"name": "team", "measure": "renewals_arr", "scope": "team", "rates": _FLAT},
                ]
            },
            "consultant": {"components": [{"name": "live", "measure": "go_lives", "rates": _FLAT}]},
            "sdr": {"components": [{"name": "meet", "measure": "meetings_set", "rates": _FLAT}]},
        }
    ],
    "experiment": {"seed": 1},
}
"""A company of a few people whose plan uses every kind of pay rule (so every kernel runs)."""


@functools.cache
def compile_kernels() -> None:
    """Compile (or load from numba's cache) every kernel a replication uses, once per process."""
    from sim.replication import simulate
    from sim.scenario import Scenario

    scenario = Scenario.model_validate(_TINY)
    simulate(scenario, "every-rule", 0)
