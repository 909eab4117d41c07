"""Compile every kernel once, before replications run.

incentsim's kernels (the payout engine, the valuation of options, the deal-terms tables, the keyed
draws) are compiled by numba on first use and cached on disk. :func:`compile_kernels` runs one
tiny replication (a company of a few people, every kind of pay rule) so that each kernel is
compiled, or loaded from the cache, in the calling process: the process backend calls it in its
fork server, so the workers forked from it start with compiled code instead of each compiling
(tens of seconds on a fresh install) or loading it.

numba compiles on one core. When the cache is cold (a fresh install, or kernels changed), the
compile is split over two: a helper process (``python -m sim.warm``) compiles the valuation kernels
and the deal-terms tables they price into the cache while this process compiles the payout
engine's main loop, each kernel for the argument types a replication calls it with
(:func:`kernel_signatures`); the tiny replication then loads them from the cache. About 27 s on one
core become about 16 s on two (``benchmarks/README.md``, figure 2b).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.scenario import Scenario

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
def _tiny() -> Scenario:
    """:data:`_TINY` validated, once per process (both the kernels' signatures and the tiny
    replication read it; validating it costs about 50 ms of every process's start)."""
    from sim.scenario import Scenario

    return Scenario.model_validate(_TINY)


def kernel_signatures() -> dict[str, list[tuple[Any, tuple[Any, ...]]]]:
    """The kernels that take longest to compile, with the argument types a replication calls them
    with, split in two groups of about equal compile time: ``"here"`` (a small kernel first, the
    probe of the cache; then the payout engine's main loop, with the period closes it calls) and
    ``"helper"`` (the valuation of options and the choice among them, the deal-terms tables they
    price, and which events credit what). ``tests/test_warm.py`` holds the types to those a
    replication of :data:`_TINY` uses."""
    from numba import typeof, types

    from sim.ledger import EVENT_DTYPE
    from sim.plans.credits import every_credit
    from sim.plans.engine import PayState
    from sim.plans.periods import month_of
    from sim.plans.replay import apply_rows
    from sim.policy.choice import choose_option, choose_options
    from sim.policy.expected_pay import expected_pay, expected_pay_many
    from sim.time.calendar import Calendar
    from sim.world.deal_outlook import fill_leads, fill_timing

    scenario = _tiny()
    state = PayState(scenario.plans[0], Calendar(scenario.company.fiscal_year_start_month, 3))
    plan, st = typeof(state.plan_tables), typeof(state.state_arrays)
    f8, i8, b1 = types.float64, types.int64, types.boolean

    def a(dtype: Any, ndim: int) -> Any:
        return types.Array(dtype, ndim, "C")

    f1, f2, f4, i1 = a(f8, 1), a(f8, 2), a(f8, 4), a(i8, 1)
    rows = typeof(np.empty(1, dtype=EVENT_DTYPE))
    pricing = (plan, st, i1, i1, a(b1, 1))  # pay state, spiffs by (role, measure), count measures
    outlook = (f8, f1, f1, f1, f1, f4)  # success days, renewal delay, cash lag, spread, share; out
    return {
        "here": [(month_of, (f1, f8)), (apply_rows, (rows, i8, i8, b1, i8, plan, st))],
        "helper": [
            (choose_option, (f1, f1, i1, f1, f8, i8, f8, f8)),
            (choose_options, (f2, f2, i1, i1, f1, f8, i1, f8, f1, i1)),
            (expected_pay_many, (f4, a(b1, 2), i1, i8, i1, f1, f8, *pricing, f2, f2)),
            (expected_pay, (a(f8, 3), a(b1, 2), i1, i8, i8, f8, f8, *pricing, f1, f1)),
            (fill_leads, (i1, f4, i1, i1, f1, f1, f1, f1, f1, f1, f1, *outlook)),
            (fill_timing, (i1, f4, f4, i1, i1, i1, f1, f2, f1, f2, f2, f1, *outlook)),
            (every_credit, (rows, i1)),
        ],
    }


def _compile(kernels: list[tuple[Any, tuple[Any, ...]]]) -> None:
    """Compile (or load from the cache) each kernel for its signature."""
    for kernel, signature in kernels:
        kernel.compile(signature)


def _from_cache(kernel: Any, signature: tuple[Any, ...]) -> bool:
    """Compile ``kernel`` for ``signature``; True when it was compiled already or came from the cache."""
    if tuple(signature) in kernel.overloads:
        return True
    hits = sum(kernel.stats.cache_hits.values())
    kernel.compile(signature)
    return sum(kernel.stats.cache_hits.values()) > hits


@functools.cache
def compile_kernels() -> None:
    """Compile (or load from numba's cache) every kernel a replication uses, once per process; on a
    cold cache the helper group compiles in another process meanwhile. Should the helper fail,
    a warning says so and this process compiles them itself (slower, the same kernels)."""
    probe, *here = kernel_signatures()["here"]
    _compile_every_kernel(here, cold=not _from_cache(*probe))


@functools.cache
def fill_kernel_cache() -> None:
    """Make sure numba's cache on disk holds every kernel, for worker processes that load them from
    it (a local Dask cluster's): on a cold cache, :func:`compile_kernels`' work, split over two
    cores; on a filled one, nothing but the probe (this process need not load the rest)."""
    probe, *here = kernel_signatures()["here"]
    if not _from_cache(*probe):
        _compile_every_kernel(here, cold=True)


def _compile_every_kernel(here: list[tuple[Any, tuple[Any, ...]]], cold: bool) -> None:
    """With ``cold``, compile the group ``here`` while the helper process compiles its own; then run
    the tiny replication, which compiles or loads every other kernel."""
    from sim.import_path import import_path_env
    from sim.replication import simulate

    if cold:
        # the helper compiles its group meanwhile; it imports what this process imports
        helper = subprocess.Popen(
            [sys.executable, "-m", "sim.warm"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, env={**os.environ, **import_path_env()},
        )  # fmt: skip
        _compile(here)
        _, err = helper.communicate()
        if helper.returncode:
            last = (err.strip().splitlines() or ["no message"])[-1]
            warnings.warn(
                f"the helper compiling kernels failed (exit {helper.returncode}: {last}); "
                "compiling them here",
                RuntimeWarning,
                stacklevel=3,
            )
    simulate(_tiny(), "every-rule", 0)


if __name__ == "__main__":  # the helper of compile_kernels
    _compile(kernel_signatures()["helper"])
